"""Building leaf events (SPEC §2) from eval comparisons: deterministic ids, no clock, stable order."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

EVAL_REGRESSION = "eval_regression_observed"
SPEC_VIOLATION = "spec_constraint_violation"

_PREFIX = {EVAL_REGRESSION: "evalreg", SPEC_VIOLATION: "specviol"}
_DOMAIN = {EVAL_REGRESSION: "eval", SPEC_VIOLATION: "spec"}


@dataclass(frozen=True, slots=True)
class EventContext:
    """What every event of one invocation shares: its time (from the file, or `--timestamp`), where that
    time came from, and the user's lineage and run (when given)."""

    timestamp: str
    timestamp_from: str
    lineage: str | None = None
    run: str | None = None


def canonical(value: Any) -> str:
    """Sorted-key compact JSON: the one serialisation used for ids and for output lines."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def make_event(etype: str, ctx: EventContext, identity: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    """One leaf event. `identity` lists what makes it this event (file digests, task, metric, kind...);
    the id is a readable prefix plus the first 16 hex digits of its sha256, so the same files and
    options always give the same id. Props whose value is None are left out."""
    full_identity = [etype, *identity, ctx.lineage, ctx.run, ctx.timestamp]
    h = hashlib.sha256(canonical(full_identity).encode("utf-8")).hexdigest()[:16]
    clean = {k: v for k, v in props.items() if v is not None}
    if ctx.run is not None:
        clean["run"] = ctx.run
    clean["timestamp_from"] = ctx.timestamp_from
    event: dict[str, Any] = {
        "type": etype,
        "timestamp": ctx.timestamp,
        "id": f"{_PREFIX[etype]}-{h}",
        "domain": _DOMAIN[etype],
        "props": clean,
    }
    if ctx.lineage is not None:
        event["lineage"] = ctx.lineage
    return event


def sort_key(event: dict[str, Any]) -> tuple[str, str, str, str]:
    props = event.get("props", {})
    return (str(props.get("task") or ""), str(props.get("metric") or ""), event["type"], event["id"])
