"""The error types of every stage and the exit codes they map to (SPEC 3.8).

Each stage raises its own subclass; the CLI and the Action entrypoint catch `GateError` once and
exit with its `exit_code`. Messages must already say where (file:line, key path) and must never
contain a secret: callers pass secrets through `gate.redact` before building a message.
"""

from __future__ import annotations

from typing import Any

EXIT_PASS = 0
EXIT_BLOCKED = 1
EXIT_INVALID = 2
EXIT_UNREADABLE = 3


class GateError(Exception):
    """Base of every error the gate reports to the user without a traceback."""

    exit_code = EXIT_UNREADABLE

    def __init__(self, message: str, hint: str | None = None) -> None:
        # One line always: a value from the input (a key, a member name) must not start a line of its
        # own, where a CI runner would read it as a workflow command (`::...::`, stderr included).
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(GateError):
    """Invalid command-line or Action input combination."""

    exit_code = EXIT_INVALID


class InputError(GateError):
    """An event file (or other evidence document) is malformed: names file, line and field."""

    exit_code = EXIT_INVALID


class IdConflict(InputError):
    """The same event id with different content; `origin` and `first` are gate.model.Origin."""

    def __init__(self, event_id: str, origin: Any, first: Any) -> None:
        super().__init__(
            f"{origin}: id: {event_id!r} is also used at {first} with different content "
            "(the same id must always carry the same event)"
        )
        self.event_id = event_id
        self.origin = origin
        self.first = first


class PolicyError(GateError):
    """A policy file is invalid: names file, line and key path."""

    exit_code = EXIT_INVALID


class WaiverError(GateError):
    """A waivers file is invalid, or a waiver rule is violated under --strict."""

    exit_code = EXIT_INVALID


class SourceError(GateError):
    """A remote source could not be read (network, missing or expired artifact): exit 3."""

    exit_code = EXIT_UNREADABLE


class InternalError(GateError):
    """A bug: something the gate did not expect. Fail closed with exit 3."""

    exit_code = EXIT_UNREADABLE


def where(file: str, line: int | None = None, field: str | None = None) -> str:
    """Format a location prefix: `file:line: field`."""
    loc = file if line is None else f"{file}:{line}"
    return f"{loc}: {field}" if field else loc
