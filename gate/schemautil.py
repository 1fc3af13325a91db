"""JSON Schema errors turned into one precise message (shared by the policy, waiver and scenario loaders).

Each loader keeps its own wording for its own keys; what is common lives here: pick the most relevant
error, descend into oneOf/anyOf to the most specific cause, and phrase unknown and missing keys.
"""

from __future__ import annotations

import difflib
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

KeyPath = tuple[str | int, ...]


def first_error(schema: dict[str, Any], obj: Any) -> ValidationError | None:
    """The most relevant validation error of `obj`, or None when it is valid."""
    return best_match(jsonschema.Draft202012Validator(schema).iter_errors(obj))


def most_specific(err: ValidationError) -> ValidationError:
    """Descend from a oneOf/anyOf failure into the best-matching error among its alternatives."""
    while err.context:
        deeper = best_match(err.context)
        if deeper is None:
            break
        err = deeper
    return err


def common_message(err: ValidationError) -> tuple[KeyPath, str] | None:
    """(key path, message) for an unknown key (with 'did you mean') or a missing required key."""
    path: KeyPath = tuple(err.absolute_path)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(str(k) for k in set(err.instance) - set(allowed))
        if extra:
            hint = difflib.get_close_matches(extra[0], allowed, n=1)
            more = f"did you mean {hint[0]!r}?" if hint else f"allowed: {', '.join(allowed)}"
            return (*path, extra[0]), f"unknown key ({more})"
    if err.validator == "required":
        return path, err.message.replace("is a required property", "is required")
    return None
