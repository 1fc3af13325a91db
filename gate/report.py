"""Build the report document (SPEC 6): one plain dict, the JSON of `--format json`, read by every reporter.

Byte-identical for the same inputs, policy, waivers and waiver date: keys sorted on output, every list
in a defined order, no wall-clock time. Where each leaf was read (`origins`), how the inputs were
split into documents (`sources`) and input messages that carry locations (`messages`) live in
sections of their own, so moving events between files changes only those.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from gate import __version__
from gate.engine import Evaluation
from gate.model import Origin
from gate.policy.model import Policy, iter_terms
from gate.sources.events import Inputs, suggest_type
from gate.timefmt import format_timestamp
from gate.verdict import Conclusion, Verdict

SCHEMA_VERSION = 1


def policy_section(policy: Policy) -> dict[str, Any]:
    return {
        "name": policy.name,
        "sha256": policy.sha256,
        "blocking": list(policy.blocking),
        "warning": list(policy.warning),
        "rules": {
            r.id: {
                "anchors": list(r.anchors),
                "derives": r.derive.type,
                "domain": r.derive.domain,
                "pairing": r.pairing,
                "windows": [t.within_text for t in iter_terms(r.when)],
            }
            for r in policy.rules
        },
        "patterns": {
            p.id: {"watch": list(p.watch), "depth": p.depth, "min_count": p.min_count}
            for p in policy.patterns
        },
        "compositions": {
            c.id: {
                "derives": c.derive.type,
                "within": c.within_text,
                "requires": [
                    {"pattern": r.pattern, "min_occurrences": r.min_occurrences} for r in c.requires
                ],
            }
            for c in policy.compositions
        },
    }


def conclusion_dict(c: Conclusion) -> dict[str, Any]:
    return {
        "id": c.id,
        "type": c.type,
        "partition": c.partition,
        "timestamp": format_timestamp(c.ts),
        "leaf": c.leaf,
        "evidence": list(c.evidence),
    }


def build_report(
    policy: Policy,
    inputs: Inputs,
    evaluation: Evaluation,
    verdict: Verdict,
    *,
    messages: Iterable[Mapping[str, Any]] = (),
    extra: Mapping[str, Any] | None = None,
    window: Mapping[str, Any] | None = None,
    waivers: Mapping[str, Any] | None = None,
    request: Mapping[str, Any] | None = None,
    refs: Iterable[str] | None = None,
    digest: str | None = None,
) -> dict[str, Any]:
    """`window` (history scoping) goes under `inputs.window`; `waivers` (gate.waivers.WaiverJudge.section)
    and `request` (the policy reference and waivers path the run used) are top-level keys; `refs` (the
    event references as given, secrets masked) go under `sources.refs`, with the other location data."""
    partitions = []
    referenced: set[str] = set()
    for p in evaluation.partitions:
        derived_ids = {d.id for d in p.derived}
        derived = []
        for d in p.derived:
            item: dict[str, Any] = {
                "id": d.id,
                "type": d.type,
                "domain": d.domain,
                "timestamp": format_timestamp(d.ts),
                "rule": d.rule,
                "kind": d.kind,
                "children": list(d.children),
                "props": d.props,
            }
            if d.anchor is not None:
                item["anchor"] = d.anchor
            derived.append(item)
            referenced.update(c for c in d.children if c not in derived_ids)
        partitions.append(
            {
                "partition": p.partition,
                "events": p.events,
                "derived": derived,
                "pattern_matches": [
                    {
                        "watcher": m.watcher,
                        "watch_type": m.watch_type,
                        "event": m.event,
                        "timestamp": format_timestamp(m.ts),
                        "occurrence": m.occurrence,
                    }
                    for m in p.matches
                ],
            }
        )
    for c in (*verdict.blocking, *verdict.warnings, *(c for c, _ in verdict.waived)):
        referenced.update(c.evidence)
    leaves: dict[str, Any] = {}
    origins: dict[str, Any] = {}
    found = inputs.kept_with_origins(referenced)
    for i in sorted(found):
        e, places = found[i]
        leaves[i] = {
            "type": e.type,
            "domain": e.domain,
            "timestamp": format_timestamp(e.ts),
            "lineage": e.lineage,
            "props": e.props,
        }
        origins[i] = [_origin(o) for o in places]
    known = policy.types
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "synapse-gate", "version": __version__},
        "policy": policy_section(policy),
        "inputs": {
            "digest": digest or inputs.digest(),
            "events": inputs.total,
            "unknown_types": {
                t: {"count": n, "suggestion": suggest_type(t, known)} for t, n in inputs.unknown_types.items()
            },
            "lineages": list(evaluation.lineages),
        },
        "partitions": partitions,
        "leaves": leaves,
        "verdict": {
            "status": verdict.status,
            "would_block": verdict.would_block,
            "warn_only": verdict.warn_only,
            "fail_on": list(verdict.fail_on),
            "as_of": verdict.as_of,
            "blocking": [conclusion_dict(c) for c in verdict.blocking],
            "warnings": [_warning_dict(verdict, i, c) for i, c in enumerate(verdict.warnings)],
            "waived": [{**conclusion_dict(c), "waiver": dict(w)} for c, w in verdict.waived],
            "notes": [dict(n) for n in verdict.notes],
        },
        "sources": {
            "documents": inputs.documents,
            "records": inputs.records,
            "merged_duplicates": inputs.merged_duplicates,
            "skipped": [{"name": n, "reason": r} for n, r in inputs.skipped],
        },
        "messages": [dict(m) for m in messages],
        "origins": origins,
    }
    if window is not None:
        report["inputs"]["window"] = dict(window)
    if waivers is not None:
        report["waivers"] = dict(waivers)
    if request is not None:
        report["request"] = dict(request)
    if refs is not None:
        report["sources"]["refs"] = list(refs)
    if extra:
        report.update(extra)
    return report


def _warning_dict(verdict: Verdict, i: int, c: Conclusion) -> dict[str, Any]:
    """A warning with its distance to the gate (`missing` steps, `reached` types; see gate.levels)."""
    out = conclusion_dict(c)
    if i < len(verdict.levels):
        lv = verdict.levels[i]
        out["missing"] = [dict(s) for s in lv["missing"]]
        out["reached"] = list(lv["reached"])
        out["approaching"] = lv["summary"]
    return out


def _origin(o: Origin) -> dict[str, Any]:
    return {"file": o.file, "line": o.line}


def dumps(report: Mapping[str, Any]) -> str:
    """The canonical serialisation: sorted keys, compact separators, UTF-8 text, trailing newline.
    Compact because the C encoder is used only without indent: pretty-printing a large report
    costs ten times more. Pipe through `jq .` or `python -m json.tool` to read it.
    (Written in one process: a forked writer would copy every page it reads, since reading a
    Python object writes its reference count, and that costs more than it saves.)"""
    return (
        json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"
    )
