"""Shared test helpers: run the gate in-process and reduce a report to a comparable digest."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gate.run import CheckRequest, CheckResult, check

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases" / "conformance"
EXAMPLES = ROOT / "examples"

# Parts of the report that record how the evidence was split into files (SPEC 6).
LOCATION_KEYS = ("origins", "sources", "messages", "request")


def run_check(*events: str | Path, **kwargs: Any) -> CheckResult:
    kwargs.setdefault("as_of", "2026-06-01")
    return check(CheckRequest(events=tuple(str(e) for e in events), **kwargs))


def without_locations(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in LOCATION_KEYS}


def digest(report: dict[str, Any]) -> dict[str, Any]:
    """The conformance view of a report: derived events by content (ids replaced by type@time)."""
    derived: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    for part in report["partitions"]:
        name = part["partition"]
        by_id = {d["id"]: d for d in part["derived"]}

        def leaves(d: dict[str, Any], by_id: dict[str, Any] = by_id) -> set[str]:
            out: set[str] = set()
            for c in d["children"]:
                out |= leaves(by_id[c]) if c in by_id else {c}
            return out

        for d in part["derived"]:
            kids = sorted(
                f"{by_id[c]['type']}@{by_id[c]['timestamp']}" if c in by_id else c for c in d["children"]
            )
            derived.append(
                {
                    "partition": name,
                    "type": d["type"],
                    "domain": d["domain"],
                    "timestamp": d["timestamp"],
                    "leaves": sorted(leaves(d)),
                    "children": kids,
                }
            )
        for m in part["pattern_matches"]:
            matches.append(
                {
                    "partition": name,
                    "watch_type": m["watch_type"],
                    "timestamp": m["timestamp"],
                    "occurrence": m["occurrence"],
                }
            )
    key = lambda d: json.dumps(d, sort_keys=True)  # noqa: E731
    return {
        "counts": dict(sorted(Counter(d["type"] for d in derived).items())),
        "derived": sorted(derived, key=key),
        "pattern_matches": sorted(matches, key=key),
        "blocked": any(
            d["type"] in ("release_gate_triggered", "governance_action_required") for d in derived
        ),
    }


def expected_digest(expected: dict[str, Any]) -> dict[str, Any]:
    key = lambda d: json.dumps(d, sort_keys=True)  # noqa: E731
    return {
        "counts": dict(sorted(expected["counts"].items())),
        "derived": sorted(expected["derived"], key=key),
        "pattern_matches": sorted(expected["pattern_matches"], key=key),
        "blocked": expected["blocked"],
    }


def write_jsonl(path: Path, events: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path
