"""The text reporter: the verdict first, then each blocking conclusion as an evidence tree down to
the leaf events with file:line, then warnings and input messages."""

from __future__ import annotations

import shlex
from typing import Any

from gate.policy import DEFAULT_POLICY
from gate.reporters.tree import ReportIndex, draw

MAX_WARNINGS_LISTED = 20


def _counts(report: dict[str, Any]) -> str:
    inputs = report["inputs"]
    parts = [f"{inputs['events']} events"]
    if inputs["lineages"]:
        parts.append(f"{len(inputs['lineages'])} lineages")
    return ", ".join(parts)


def render(report: dict[str, Any]) -> str:
    v = report["verdict"]
    idx = ReportIndex(report)
    pol = report["policy"]
    out: list[str] = []
    n_block = len(v["blocking"])
    if v["status"] == "blocked":
        out.append(f"BLOCKED: {n_block} blocking conclusion{'s' if n_block != 1 else ''}")
    elif v["would_block"]:
        out.append(
            f"PASS (warn-only): the gate would have blocked on {n_block} conclusion{'s' if n_block != 1 else ''}"
        )
    else:
        out.append("PASS: no blocking conclusion")
    out.append(
        f"policy {pol['name']} (sha256 {pol['sha256'][:12]}), {_counts(report)}, "
        f"input {report['inputs']['digest'][:19]}, as of {v['as_of']}"
    )
    for c in v["blocking"]:
        out.append("")
        part = f" [lineage {c['partition']}]" if c["partition"] is not None else ""
        out.append(f"✗ {c['type']}{part} at {c['timestamp']} rests on {len(c['evidence'])} leaf events:")
        out.extend(draw(idx.lines(c["partition"], c["id"]), indent="    "))
        out.append(f"    waive: {waive_command(report, c['id'])}")
    for c in v.get("waived", []):
        w = c["waiver"]
        part = f" [lineage {c['partition']}]" if c["partition"] is not None else ""
        where = f" ({w['file']}:{w['line']})" if w.get("file") else ""
        out.append("")
        out.append(
            f"~ {c['type']}{part} at {c['timestamp']} {c['id']}: waived by {w.get('approved_by', '?')}, "
            f"expires {w.get('expires', '?')}{where}: {w.get('reason', '')}"
        )
    if v["warnings"]:
        out.append("")
        out.append(f"Warnings ({len(v['warnings'])}): approaching the gate")
        for c in v["warnings"][:MAX_WARNINGS_LISTED]:
            part = f" [lineage {c['partition']}]" if c["partition"] is not None else ""
            out.append(
                f"  ! {c['type']}{part} at {c['timestamp']} ({len(c['evidence'])} leaf events)  {c['id']}"
            )
            if c.get("approaching"):
                out.append(f"      {c['approaching']}")
        if len(v["warnings"]) > MAX_WARNINGS_LISTED:
            out.append(f"  ... {len(v['warnings']) - MAX_WARNINGS_LISTED} more in the JSON report")
    if v.get("notes"):
        out.append("")
    for n in v.get("notes", []):
        out.append(f"{n.get('level', 'note')}: {n.get('text', n)}")
    msgs = report.get("messages", [])
    if msgs:
        out.append("")
        for m in msgs:
            loc = ""
            if m.get("file"):
                loc = m["file"] + (f":{m['line']}" if m.get("line") else "") + ": "
            out.append(f"{m['level']}: {loc}{m['text']}")
    return "\n".join(out) + "\n"


def waive_command(report: dict[str, Any], cid: str) -> str:
    """The `synapse-gate waive` command for one blocking conclusion, with the evidence options the report
    was made with (from its `request`, `inputs.window` and `sources.refs`), so it can be pasted as is."""
    args = ["synapse-gate", "waive", shlex.quote(cid)]
    args += ["--by", "NAME", "--reason", "TEXT", "--expires", "YYYY-MM-DD"]
    req = report.get("request") or {}
    if req.get("waivers"):
        args += ["--waivers", shlex.quote(req["waivers"])]
    if req.get("policy") and req["policy"] != DEFAULT_POLICY:
        args += ["--policy", shlex.quote(req["policy"])]
    window = report.get("inputs", {}).get("window") or {}
    for key in ("since", "until"):
        if window.get(key):
            args += [f"--{key}", window[key]]
    for name in window.get("lineages") or ():
        args += ["--lineage", shlex.quote(name)]
    for t in report.get("verdict", {}).get("fail_on") or ():
        args += ["--fail-on", shlex.quote(t)]
    args += [shlex.quote(r) for r in report.get("sources", {}).get("refs") or ()]
    return " ".join(args)


def render_explain(report: dict[str, Any], ref: str) -> str:
    """The derivation tree of one derived event (by id) or of every derived event of a type."""
    idx = ReportIndex(report)
    roots = [(p, d) for (p, i), d in idx.derived.items() if i == ref or d["type"] == ref]
    if not roots:
        leaf = idx.leaves.get(ref)
        if leaf is not None:
            return f"{ref} is a leaf event: {leaf['type']} {leaf['timestamp']}  ({idx.where(ref)})\n"
        return ""
    out: list[str] = []
    for p, d in roots:
        if out:
            out.append("")
        part = f" [lineage {p}]" if p is not None else ""
        out.append(f"{d['type']}{part} {d['id']} at {d['timestamp']}")
        out.extend(draw(idx.lines(p, d["id"]), indent="  "))
    return "\n".join(out) + "\n"
