"""The normalised eval result every format adapter returns, and helpers the adapters share.

An adapter turns the bytes of one result file into an `EvalResult`: per task, per metric, the value and
what is needed to compare it honestly with a baseline (stderr, orientation, task version, n-shot,
sample count). Nothing here reads the clock, the environment or the file system.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeGuard

from gate.errors import InputError, UsageError
from gate.jsonutil import no_duplicate_keys


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One metric of one task. `higher_is_better` comes from the file when it says so, else from
    `orientation()` (documented in docs/evals.md)."""

    name: str
    value: float
    stderr: float | None
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class TaskResult:
    """One task (lm-eval task, inspect task, promptfoo prompt x provider, openai eval)."""

    name: str
    metrics: tuple[MetricValue, ...]  # sorted by name, names unique
    version: str | None = None
    n_shot: int | None = None
    samples: int | None = None
    model: str | None = None

    def metric(self, name: str) -> MetricValue | None:
        for m in self.metrics:
            if m.name == name:
                return m
        return None


@dataclass(frozen=True, slots=True)
class EvalResult:
    """A parsed result file. `timestamp` is RFC 3339 with an offset, taken from the file's own content
    (None when the file carries no time at all); `digest` is the sha256 of the file's bytes."""

    file: str
    format: str
    digest: str
    timestamp: str | None
    timestamp_field: str | None  # where the timestamp came from, e.g. "date" or "stats.completed_at"
    model: str | None
    tasks: tuple[TaskResult, ...]  # sorted by name, names unique
    notes: tuple[str, ...] = ()  # what the adapter read but did not turn into metrics (never silent)

    def task(self, name: str) -> TaskResult | None:
        for t in self.tasks:
            if t.name == name:
                return t
        return None


@dataclass(frozen=True, slots=True)
class Adapter:
    """One eval format. `sniff(name, data, doc)` says whether the bytes look like this format (never
    raises; `doc` is the whole file parsed as JSON, or NOT_JSON); `parse(name, data)` returns the
    EvalResult or raises InputError naming file and field."""

    name: str
    sniff: Callable[[str, bytes, Any], bool]
    parse: Callable[[str, bytes], EvalResult]


# --------------------------------------------------------------------------------------------------
# helpers shared by the adapters

NOT_JSON: Any = object()  # the `doc` a sniffer sees when the file is not one JSON document

# Metric names whose smaller values are better, matched as whole name tokens (split on `_`, `-`, ...).
LOWER_IS_BETTER_TOKENS = frozenset(
    {
        "loss",
        "perplexity",
        "ppl",
        "error",
        "errors",
        "violation",
        "violations",
        "latency",
        "cost",
        "wer",
        "cer",
        "ter",
        "mse",
        "mae",
        "rmse",
        "brier",
    }
)
LOWER_IS_BETTER_NAMES = frozenset({"bits_per_byte", "bits_per_token"})


def orientation(metric: str) -> bool:
    """Default orientation when the file does not state it: False for known lower-is-better names."""
    base = metric.split(",", 1)[0].lower()
    if base in LOWER_IS_BETTER_NAMES:
        return False
    tokens = set(re.split(r"[^a-z0-9]+", base))
    return not (tokens & LOWER_IS_BETTER_TOKENS)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fail(file: str, field: str, message: str) -> InputError:
    """An InputError naming file and field (a dotted JSON path)."""
    return InputError(f"{file}: {field}: {message}")


def json_error_reason(e: ValueError) -> str:
    """Why json.loads refused a document, when it is not a JSONDecodeError (no position known)."""
    text = str(e)
    if "integer string conversion" in text:  # Python's own 4300-digit limit: no advice about sys.*
        return "an integer with more than 4300 digits"
    return text


def load_json(file: str, data: bytes, what: str = "JSON") -> Any:
    """Parse a whole JSON document; a syntax error names file, line and column. Duplicate keys are
    an error (which of two values would count?)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{file}: not UTF-8 text (byte {e.start})") from None
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as e:
        raise InputError(f"{file}:{e.lineno}:{e.colno}: invalid {what}: {e.msg}") from None
    except RecursionError:
        raise InputError(f"{file}: invalid {what}: nested too deeply") from None
    except ValueError as e:  # a duplicate key, or an integer with thousands of digits
        raise InputError(f"{file}: invalid {what}: {json_error_reason(e)}") from None


def is_number(v: Any) -> TypeGuard[int | float]:
    """A finite JSON number that fits a float (bools are not numbers)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer of hundreds of digits: beyond any float
        return False


def expect_dict(file: str, field: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise fail(file, field, f"expected an object, got {type_name(v)}")
    return v


def expect_list(file: str, field: str, v: Any) -> list[Any]:
    if not isinstance(v, list):
        raise fail(file, field, f"expected an array, got {type_name(v)}")
    return v


def type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """An optional object member: `{}` when absent or not an object."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def version_str(v: Any) -> str | None:
    """Normalise a task version: 1, 1.0 and "1" are one version; None stays None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (int, float, str)):
        return str(v)
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def int_or_none(v: Any) -> int | None:
    if is_number(v) and float(v).is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isascii() and v.strip().isdigit() and len(v.strip()) <= 18:
        return int(v.strip())  # ASCII only: `isdigit` alone accepts fullwidth and other look-alike digits
    return None


def build_tasks(file: str, tasks: Mapping[str, TaskResult]) -> tuple[TaskResult, ...]:
    """Sort tasks by name (unique by construction: keys of a mapping)."""
    if not tasks:
        raise fail(file, "results", "no task results in this file")
    return tuple(tasks[k] for k in sorted(tasks))


# --------------------------------------------------------------------------------------------------
# timestamps: RFC 3339 with an offset, rendered one way so that the same instant gives the same text

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$",
    re.ASCII,  # \d must not match fullwidth or other look-alike digits
)


def parse_rfc3339(text: str) -> datetime | None:
    """Parse RFC 3339 (date-time with a mandatory offset); None when it does not match or has no offset.
    Written by hand because `datetime.fromisoformat` on Python 3.10 rejects `Z` and 1-5 or 7-9 digit
    fractions."""
    m = _RFC3339.match(text.strip())
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, zulu, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if zulu:
        tz = timezone.utc
    else:
        off = timedelta(hours=int(oh), minutes=int(om))
        if off >= timedelta(hours=24) or int(om) > 59:
            return None
        tz = timezone(-off if sign == "-" else off)
    try:
        return datetime(int(year), int(month), int(day), int(hh), int(mm), int(ss), micro, tzinfo=tz)
    except ValueError:
        return None


def render_rfc3339(dt: datetime) -> str:
    """`2024-06-03T01:41:54.392082Z`; the file's own offset is kept (`-04:00`), UTC is written `Z`,
    the fraction loses its trailing zeros."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime")
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        base += "." + f"{dt.microsecond:06d}".rstrip("0")
    off = dt.utcoffset()
    assert off is not None
    if off == timedelta(0):
        return base + "Z"
    total = int(off.total_seconds()) // 60
    sign = "+" if total >= 0 else "-"
    total = abs(total)
    return f"{base}{sign}{total // 60:02d}:{total % 60:02d}"


def epoch_to_rfc3339(seconds: float) -> str:
    """A Unix epoch (seconds, UTC by definition) as RFC 3339. Raises ValueError outside the years 1-9999."""
    try:
        return render_rfc3339(datetime.fromtimestamp(seconds, tz=timezone.utc))
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{seconds!r} seconds since 1970 is outside the years 1 to 9999") from None


def user_timestamp(text: str) -> str:
    """Validate a `--timestamp` value: RFC 3339 with an offset, never guessed."""
    dt = parse_rfc3339(text)
    if dt is None:
        raise UsageError(
            f"--timestamp: {text!r} is not an RFC 3339 date-time with an offset "
            "(e.g. 2024-06-03T01:41:54Z or 2024-06-03T03:41:54+02:00)"
        )
    return render_rfc3339(dt)
