"""Eval outputs -> leaf events: the entry point of `events from-eval` and `check --eval`.

One module per result format (lm-eval, promptfoo, inspect, openai-evals) turns a file's bytes into an
`EvalResult`; `compare` turns current vs baseline into `eval_regression_observed` events; the spec
contract (`gate.sources.spec_contract`) turns constraints into `spec_constraint_violation` events.
Adding a format = one module plus one line in `FORMATS`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.errors import InputError, UsageError
from gate.sources.evals import inspect_ai, lm_eval, openai_evals, promptfoo
from gate.sources.evals.compare import CompareOptions, compare
from gate.sources.evals.emit import EventContext, canonical, sort_key
from gate.sources.evals.model import (
    NOT_JSON,
    Adapter,
    EvalResult,
    MetricValue,
    TaskResult,
    json_error_reason,
    user_timestamp,
)

FORMATS: dict[str, Adapter] = {
    lm_eval.NAME: Adapter(lm_eval.NAME, lm_eval.sniff, lm_eval.parse),
    promptfoo.NAME: Adapter(promptfoo.NAME, promptfoo.sniff, promptfoo.parse),
    inspect_ai.NAME: Adapter(inspect_ai.NAME, inspect_ai.sniff, inspect_ai.parse),
    openai_evals.NAME: Adapter(openai_evals.NAME, openai_evals.sniff, openai_evals.parse),
}
AUTO = "auto"
MAX_SNIFF_BYTES = 256 << 20  # a whole-document JSON parse for detection; larger files need --format


@dataclass(frozen=True, slots=True)
class EvalEvents:
    """The events (deterministic order), the current file's display name, and notes for the user
    (not comparable, present on one side only, read but not used...)."""

    events: list[dict[str, Any]]
    origin: str
    notes: list[str] = field(default_factory=list)
    current: EvalResult | None = None
    baseline: EvalResult | None = None

    def jsonl(self) -> str:
        """One event per line, sorted-key compact JSON."""
        return "".join(canonical(e) + "\n" for e in self.events)


def detect_format(name: str, data: bytes) -> str:
    """The format of a result file, by content (and the `.eval` extension for inspect archives)."""
    doc: Any = NOT_JSON
    if data[:4] != inspect_ai.ZIP_MAGIC and len(data) <= MAX_SNIFF_BYTES:
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            doc = NOT_JSON
    matches = [key for key, adapter in FORMATS.items() if adapter.sniff(name, data, doc)]
    if len(matches) == 1:
        return matches[0]
    choices = ", ".join(FORMATS)
    if not matches:
        if doc is NOT_JSON and data.lstrip()[:1] in (b"{", b"["):
            # Looks like JSON but does not parse: say where, rather than "unknown format".
            try:
                json.loads(data.decode("utf-8-sig"))
            except json.JSONDecodeError as e:
                raise InputError(f"{name}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
            except (UnicodeDecodeError, RecursionError):
                pass
            except ValueError as e:  # an integer with thousands of digits
                raise InputError(f"{name}: invalid JSON: {json_error_reason(e)}") from None
        raise InputError(f"{name}: not a recognised eval result file (pass --format: one of {choices})")
    raise InputError(f"{name}: ambiguous eval format ({', '.join(matches)}): pass --format")


def parse_eval(name: str, data: bytes, fmt: str = AUTO) -> EvalResult:
    """Parse one result file. `fmt` is a key of FORMATS or "auto"."""
    if fmt == AUTO:
        fmt = detect_format(name, data)
    if fmt not in FORMATS:
        raise UsageError(f"--format: unknown eval format {fmt!r} (one of: {AUTO}, {', '.join(FORMATS)})")
    return FORMATS[fmt].parse(name, data)


def _read(path: str) -> tuple[str, bytes]:
    from gate.sources.local import display_name

    p = Path(path)
    shown = display_name(path)
    if not p.exists():
        raise InputError(f"{shown}: no such file")
    if p.is_dir():
        raise InputError(f"{shown}: is a directory, expected an eval result file")
    try:
        return shown, p.read_bytes()
    except OSError as e:
        raise InputError(f"{shown}: cannot read: {e.strerror}") from None


def eval_events(
    current: str,
    baseline: str | None = None,
    *,
    spec: str | None = None,
    fmt: str = AUTO,
    options: CompareOptions | None = None,
    lineage: str | None = None,
    run: str | None = None,
    timestamp: str | None = None,
) -> EvalEvents:
    """Events from local files: regressions of `current` against `baseline` (when given) and
    violations of the spec contract `spec` (when given)."""
    return eval_events_from_bytes(
        _read(current),
        _read(baseline) if baseline is not None else None,
        spec=_read(spec) if spec is not None else None,
        fmt=fmt,
        options=options,
        lineage=lineage,
        run=run,
        timestamp=timestamp,
    )


def eval_events_from_bytes(
    current: tuple[str, bytes],
    baseline: tuple[str, bytes] | None = None,
    *,
    spec: tuple[str, bytes] | None = None,
    fmt: str = AUTO,
    options: CompareOptions | None = None,
    lineage: str | None = None,
    run: str | None = None,
    timestamp: str | None = None,
) -> EvalEvents:
    """The same as `eval_events`, over `(display name, bytes)` pairs from any source."""
    from gate.sources import spec_contract  # here: spec_contract imports gate.sources.evals.*

    if fmt != AUTO and fmt not in FORMATS:
        raise UsageError(f"--format: unknown eval format {fmt!r} (one of: {AUTO}, {', '.join(FORMATS)})")
    for flag, value in (("--lineage", lineage), ("--run", run)):
        if value is not None and not value.strip():
            raise UsageError(f"{flag}: must not be empty")
    options = options if options is not None else CompareOptions()
    contract = spec_contract.load(*spec) if spec is not None else None
    cur = parse_eval(current[0], current[1], fmt)
    base = parse_eval(baseline[0], baseline[1], fmt) if baseline is not None else None
    if timestamp is not None:
        ctx = EventContext(user_timestamp(timestamp), "--timestamp", lineage, run)
    elif cur.timestamp is not None:
        ctx = EventContext(cur.timestamp, f"{cur.format}:{cur.timestamp_field}", lineage, run)
    else:
        raise UsageError(
            f"{cur.file}: this {cur.format} file carries no timestamp; pass --timestamp with the time "
            "the eval ran (RFC 3339 with an offset, e.g. 2024-06-03T01:41:54Z)"
        )
    notes = list(cur.notes)
    events: list[dict[str, Any]] = []
    if base is not None:
        notes.extend(base.notes)
        if base.format != cur.format:
            notes.append(f"{cur.file} is {cur.format} but the baseline {base.file} is {base.format}")
        found, more = compare(cur, base, options, ctx)
        events.extend(found)
        notes.extend(more)
    if contract is not None:
        found, more = spec_contract.evaluate(contract, cur, base, ctx)
        events.extend(found)
        notes.extend(more)
    events.sort(key=sort_key)
    return EvalEvents(events=events, origin=cur.file, notes=notes, current=cur, baseline=base)


__all__ = [
    "AUTO",
    "FORMATS",
    "Adapter",
    "CompareOptions",
    "EvalEvents",
    "EvalResult",
    "MetricValue",
    "TaskResult",
    "detect_format",
    "eval_events",
    "eval_events_from_bytes",
    "parse_eval",
]
