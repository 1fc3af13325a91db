"""The spec contract: a YAML file of deterministic constraints over eval metrics -> violation events.

Format (validated by `gate/schemas/spec.schema.json`, documented in docs/evals.md):

    version: 1
    required_tasks: [boolq, hellaswag]      # a missing task is a violation
    constraints:
      - id: boolq-floor
        task: boolq
        metric: acc
        min: 0.55                           # violated when value < min
        max: 0.99                           # violated when value > max
        max_drop: 0.02                      # worsening from the baseline, absolute ...
      - id: piqa-rel
        task: piqa
        metric: acc
        max_drop: "2%"                      # ... or relative to |baseline|

Evaluating a contract over an EvalResult (and an optional baseline) gives `spec_constraint_violation`
events and notes (a `max_drop` that cannot be checked: no baseline, or not comparable). Errors in the
file name file:line and the key path.
"""

from __future__ import annotations

import difflib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from gate.errors import PolicyError
from gate.sources.evals.compare import comparability, oriented_drop
from gate.sources.evals.emit import SPEC_VIOLATION, EventContext, make_event
from gate.sources.evals.model import EvalResult, digest, type_name
from gate.yamlutil import format_path, line_for, load_located

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Constraint:
    """One constraint; `max_drop` is absolute, or a percentage of |baseline| when `max_drop_relative`."""

    id: str
    task: str
    metric: str
    min: float | None = None
    max: float | None = None
    max_drop: float | None = None
    max_drop_relative: bool = False
    max_drop_text: str | float | None = None  # as written, for the event's `threshold`
    description: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class SpecContract:
    file: str
    digest: str
    name: str | None
    required_tasks: tuple[str, ...]
    constraints: tuple[Constraint, ...]


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("gate").joinpath("schemas/spec.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


# --------------------------------------------------------------------------------------------------
# loading: YAML with node marks, then the schema, then the checks a schema cannot express


def _load_yaml(file: str, data: bytes) -> tuple[Any, dict[Path, int]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PolicyError(f"{file}: not UTF-8 text (byte {e.start})") from None
    doc, lines, _ = load_located(text, file, PolicyError)
    if doc is None:
        raise PolicyError(f"{file}: the spec contract is empty")
    return doc, lines


_EXPECTED = {"number": "a number", "string": "a string", "array": "a list", "object": "a mapping"}


def _yaml_type(v: Any) -> str:
    """type_name in YAML words."""
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    return type_name(v)


def _message(error: ValidationError) -> tuple[str, Path | None]:
    """A readable message, and the path of the key to point at (None: point at the value)."""
    path: Path = tuple(error.absolute_path)
    inst = error.instance
    if path and path[-1] == "max_drop":
        return (
            f'expected a number >= 0 (absolute) or a percentage such as "2%" (relative), '
            f"got {_yaml_type(inst)} ({inst!r})",
            None,
        )
    v = error.validator
    if v == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        unknown = [k for k in inst if k not in allowed]
        key = str(unknown[0])  # a YAML key may be a number; its line is recorded under its text
        hint = difflib.get_close_matches(key, allowed, n=1)
        msg = f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        return f"{msg}; allowed keys: {', '.join(allowed)}", (*path, key)
    if v == "required":
        missing = [k for k in error.validator_value if k not in inst]
        return f"missing required key {missing[0]!r}", None
    if v == "anyOf" and path and isinstance(path[-1], int):
        return "a constraint needs at least one bound: min, max or max_drop", None
    if v == "anyOf":
        return "the spec contract needs `constraints` or `required_tasks`", None
    if v == "type":
        expected = _EXPECTED.get(str(error.validator_value), str(error.validator_value))
        return f"expected {expected}, got {_yaml_type(inst)} ({inst!r})", None
    if v == "const":
        return f"expected {error.validator_value!r}, got {inst!r}", None
    if v == "pattern" and path and path[-1] == "id":
        return (
            f"{inst!r} is not a valid constraint id: use letters, digits and _ . : / -, "
            "starting with a letter or digit",
            None,
        )
    if v == "minLength":
        return "must not be empty", None
    if v == "uniqueItems":
        return "lists a task twice", None
    return error.message, None


def _line(lines: dict[Path, int], path: Path, key_path: Path | None) -> int:
    if key_path is not None and key_path in lines:
        return lines[key_path]
    return line_for(lines, path)


def load(file: str, data: bytes) -> SpecContract:
    """Parse and validate a spec contract; PolicyError names file:line and the key path."""
    doc, lines = _load_yaml(file, data)
    validator = jsonschema.Draft202012Validator(schema())
    error = best_match(validator.iter_errors(doc))
    if error is not None:
        if (
            error.validator in ("required",)
            and error.parent is not None
            and error.parent.validator == "anyOf"
        ):
            error = error.parent  # "needs one of", not "missing 'min'"
        message, key_path = _message(error)
        path = tuple(error.absolute_path)
        line = _line(lines, path, key_path)
        raise PolicyError(f"{file}:{line}: {format_path(key_path or path)}: {message}")
    constraints: list[Constraint] = []
    seen: dict[str, int] = {}
    for i, c in enumerate(doc.get("constraints", [])):
        line = line_for(lines, ("constraints", i))
        cid = c["id"]
        if cid in seen:
            id_line = line_for(lines, ("constraints", i, "id"))
            raise PolicyError(
                f"{file}:{id_line}: constraints[{i}].id: duplicate constraint id {cid!r} "
                f"(first on line {seen[cid]})"
            )
        seen[cid] = line_for(lines, ("constraints", i, "id"))
        lo, hi = c.get("min"), c.get("max")
        for key in ("min", "max", "max_drop"):
            if isinstance(c.get(key), float) and not math.isfinite(c[key]):
                key_line = line_for(lines, ("constraints", i, key))
                raise PolicyError(f"{file}:{key_line}: constraints[{i}].{key}: must be a finite number")
        if lo is not None and hi is not None and lo > hi:
            raise PolicyError(f"{file}:{line}: constraints[{i}]: min {lo} is greater than max {hi}")
        drop = c.get("max_drop")
        relative = isinstance(drop, str)
        constraints.append(
            Constraint(
                id=cid,
                task=c["task"],
                metric=c["metric"],
                min=lo,  # kept as written (140 stays 140 in the event's threshold)
                max=hi,
                max_drop=float(drop[:-1]) if relative else (float(drop) if drop is not None else None),
                max_drop_relative=relative,
                max_drop_text=drop,
                description=c.get("description"),
                line=line,
            )
        )
    return SpecContract(
        file=file,
        digest=digest(data),
        name=doc.get("name"),
        required_tasks=tuple(doc.get("required_tasks", [])),
        constraints=tuple(constraints),
    )


# --------------------------------------------------------------------------------------------------
# evaluation


def evaluate(
    spec: SpecContract, current: EvalResult, baseline: EvalResult | None, ctx: EventContext
) -> tuple[list[dict[str, Any]], list[str]]:
    """Violation events (unsorted) and notes."""
    events: list[dict[str, Any]] = []
    notes: list[str] = []

    def violation(cid: str, kind: str, task: str, metric: str | None, **props: Any) -> None:
        base_props = {
            "constraint": cid,
            "kind": kind,
            "spec": spec.file,
            "file": current.file,
            "format": current.format,
            "task": task,
            "metric": metric,
            "baseline_file": baseline.file if baseline is not None and "baseline" in props else None,
        }
        base_props.update(props)
        identity = [
            spec.digest,
            current.digest,
            baseline.digest if baseline is not None else None,
            cid,
            kind,
            task,
            metric,
        ]
        events.append(make_event(SPEC_VIOLATION, ctx, identity, base_props))

    for task in spec.required_tasks:
        if current.task(task) is None:
            violation(f"required_tasks:{task}", "missing_task", task, None, bound="required_tasks")

    for c in spec.constraints:
        t = current.task(c.task)
        if t is None:
            violation(c.id, "missing_task", c.task, c.metric, description=c.description)
            continue
        m = t.metric(c.metric)
        if m is None:
            violation(c.id, "missing_metric", c.task, c.metric, description=c.description)
            continue
        common = {"value": m.value, "higher_is_better": m.higher_is_better, "description": c.description}
        if c.min is not None and m.value < c.min:
            violation(c.id, "below_min", c.task, c.metric, bound="min", threshold=c.min, **common)
        if c.max is not None and m.value > c.max:
            violation(c.id, "above_max", c.task, c.metric, bound="max", threshold=c.max, **common)
        if c.max_drop is None:
            continue
        label = f"constraint {c.id!r} (task {c.task!r} metric {c.metric!r})"
        if baseline is None:
            notes.append(f"{label}: max_drop not checked: no baseline given")
            continue
        bt = baseline.task(c.task)
        bm = bt.metric(c.metric) if bt is not None else None
        if bt is None or bm is None:
            notes.append(f"{label}: max_drop not checked: the baseline ({baseline.file}) lacks it")
            continue
        reasons = comparability(t, bt)
        if reasons:
            notes.append(f"{label}: max_drop not checked: not comparable: {'; '.join(reasons)}")
            continue
        drop = oriented_drop(m.higher_is_better, m.value, bm.value)
        allowed = c.max_drop * abs(bm.value) / 100.0 if c.max_drop_relative else c.max_drop
        if drop > allowed:
            violation(
                c.id,
                "drop_exceeded",
                c.task,
                c.metric,
                bound="max_drop",
                threshold=c.max_drop_text,
                allowed_drop=allowed,
                baseline=bm.value,
                delta=m.value - bm.value,
                drop=drop,
                **common,
            )
    return events, notes
