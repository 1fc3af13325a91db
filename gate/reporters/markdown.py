"""The job summary (`$GITHUB_STEP_SUMMARY`): the report as GitHub-flavoured Markdown.

Verdict first; then a table of the derived conclusions per lineage; then, for each blocking
conclusion, a Mermaid flowchart of its derivation (leaves -> ... -> conclusion, with the rule and
its window on each step) and its evidence list with file:line; then warnings, waivers, inputs and
messages. GitHub refuses a step summary over 1 MiB: the text is kept under that, and when sections
must be left out, a note says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from gate.reporters._evidence import (
    Node,
    code,
    conclusions,
    evidence,
    fit,
    locations,
    partition_label,
    text,
    walk,
    windows,
)

SUMMARY_LIMIT = 1_000_000  # bytes; GitHub's limit is 1 MiB per step, kept with headroom
MAX_DIAGRAM_NODES = 120  # larger flowcharts are unreadable (and Mermaid refuses very large ones)
MAX_EVIDENCE_ROWS = 100
TRUNCATION_NOTE = (
    "\n> [!WARNING]\n> This summary was cut to stay under GitHub's 1 MiB limit: {left} of {total} sections "
    "were left out. The JSON report (the action's `report` output, or `synapse-gate check --format json`) "
    "has everything.\n"
)


def headline(report: dict[str, Any]) -> str:
    """The verdict as one Markdown line: an emoji, the status, the counts."""
    verdict = report.get("verdict", {})
    nb, nw, nv = (len(verdict.get(k, [])) for k in ("blocking", "warnings", "waived"))
    if verdict.get("status") == "blocked":
        head = "❌ **Release blocked**"
    elif verdict.get("would_block"):
        head = "⚠️ **Pass (warn-only)**: the release would be blocked"
    else:
        head = "✅ **Pass**"
    counts = (
        f"{nb} blocking conclusion{'s' if nb != 1 else ''}, {nw} warning{'s' if nw != 1 else ''}, {nv} waived"
    )
    return f"{head}: {counts}."


def _policy_line(report: dict[str, Any]) -> str:
    policy = report.get("policy", {})
    verdict = report.get("verdict", {})
    sha = str(policy.get("sha256", ""))
    parts = [f"Policy {code(policy.get('name', '?'))} (sha256 {code(sha[:12])})"]
    parts.append(f"waivers evaluated as of {verdict.get('as_of', '?')}")
    fail_on = verdict.get("fail_on") or []
    if fail_on:
        parts.append("also failing on " + ", ".join(code(t) for t in fail_on))
    return "; ".join(parts) + "."


def _roles(report: dict[str, Any]) -> dict[str, str]:
    policy = report.get("policy", {})
    roles = {t: "warning" for t in policy.get("warning", [])}
    roles.update({t: "**blocking**" for t in policy.get("blocking", [])})
    return roles


def lineage_table(report: dict[str, Any]) -> str:
    """One row per (lineage, derived type): how many, the latest, its role in the verdict."""
    roles = _roles(report)
    waived_ids = {(c.get("partition"), c.get("id")) for c in report.get("verdict", {}).get("waived", [])}
    rows = ["| Lineage | Events | Derived type | Count | Latest | Role |", "|---|---:|---|---:|---|---|"]
    for part in report.get("partitions", []):
        name = part.get("partition")
        counts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for d in part.get("derived", []):
            counts[str(d.get("type"))].append(d)
        lineage = code(partition_label(name), in_table=True)
        if not counts:
            rows.append(f"| {lineage} | {part.get('events', 0)} | none | 0 | | |")
            continue
        for dtype in sorted(counts):
            items = counts[dtype]
            latest = max(str(d.get("timestamp", "")) for d in items)
            role = roles.get(dtype, "")
            nwaived = sum(1 for d in items if (name, d.get("id")) in waived_ids)
            if nwaived:
                role = f"{role} ({nwaived} waived)"
            rows.append(
                f"| {lineage} | {part.get('events', 0)} | {code(dtype, in_table=True)} | {len(items)} "
                f"| {latest} | {role} |"
            )
    return "\n".join(rows) + "\n"


def _mermaid_label(value: str) -> str:
    out = []
    for ch in value:
        out.append(
            {'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;", "|": "#124;", "`": "#96;"}.get(ch, ch)
        )
    return "".join(out).replace("\n", " ")


def flowchart(report: dict[str, Any], conclusion: dict[str, Any]) -> str:
    """A Mermaid flowchart of a conclusion's derivation, leaves on the left, the conclusion on the right."""
    nodes = walk(report, conclusion)
    if len(nodes) > MAX_DIAGRAM_NODES:
        return (
            f"_The derivation has {len(nodes)} events, too many to draw (the limit is {MAX_DIAGRAM_NODES}); "
            "the evidence list below is complete._\n"
        )
    ids = {n.id: f"n{i}" for i, n in enumerate(nodes)}
    lines = ["```mermaid", "flowchart LR"]
    for i, n in enumerate(nodes):
        lines.append(f"  {ids[n.id]}{_node_shape(report, n, conclusion=i == 0)}")
    for n in nodes:
        if n.leaf:
            continue
        w = windows(report, n)
        label = f"{n.rule}" + (f" · {'within ' if n.kind == 'composition' else ''}{w}" if w else "")
        for child in n.children:
            lines.append(f'  {ids[child]} -->|"{_mermaid_label(label)}"| {ids[n.id]}')
    lines.append(
        f"  classDef conclusion stroke-width:3px,stroke:#d1242f\n  class {ids[nodes[0].id]} conclusion"
    )
    lines.append("```")
    return "\n".join(lines) + "\n"


def _node_shape(report: dict[str, Any], n: Node, *, conclusion: bool) -> str:
    if n.leaf:
        where = locations(report, n.id)
        place = f"<br/>{_mermaid_label(str(where[0]))}" if where and not where[0].is_url else ""
        label = (
            f"{_mermaid_label(n.type)}<br/>{_mermaid_label(n.id)}<br/>{_mermaid_label(n.timestamp)}{place}"
        )
        return f'["{label}"]'
    return f'(["{_mermaid_label(n.type)}<br/>{_mermaid_label(n.timestamp)}"])'


def evidence_list(report: dict[str, Any], conclusion: dict[str, Any], limit: int = MAX_EVIDENCE_ROWS) -> str:
    """The leaf evidence of a conclusion, oldest first: id, type, time, and where it was read."""
    rows = evidence(report, conclusion)
    out = []
    for lid, leaf in rows[:limit]:
        locs = locations(report, lid)
        where = ", ".join(code(loc) for loc in locs) if locs else "(origin not recorded)"
        lineage = leaf.get("lineage")
        extra = f", lineage {code(lineage)}" if lineage else ""
        out.append(
            f"- {code(lid)} {code(leaf.get('type', '?'))} at {leaf.get('timestamp', '?')}{extra}: {where}"
        )
    if len(rows) > limit:
        out.append(f"- … and {len(rows) - limit} more (all of them are in the JSON report)")
    return "\n".join(out) + "\n"


def _blocking_section(report: dict[str, Any], c: dict[str, Any]) -> str:
    lineage = partition_label(c.get("partition"))
    head = f"### ❌ {code(c.get('type'))} in lineage {code(lineage)}\n\n"
    ident = f"Conclusion {code(c.get('id'))} at {c.get('timestamp')}"
    if c.get("leaf"):
        body = f"{ident}: asserted directly by an input event, not derived.\n\n"
    else:
        body = (
            f"{ident}, derived from {len(c.get('evidence', []))} leaf event(s):\n\n"
            + flowchart(report, c)
            + "\n"
        )
    return head + body + "**Evidence**\n\n" + evidence_list(report, c) + "\n"


def _other_section(report: dict[str, Any], role: str) -> str:
    items = report.get("verdict", {}).get(role, [])
    if not items:
        return ""
    title = {"warnings": "⚠️ Warnings", "waived": "Waived conclusions"}[role]
    out = [f"### {title}\n"]
    for c in items:
        line = (
            f"- {code(c.get('type'))} in lineage {code(partition_label(c.get('partition')))} at "
            f"{c.get('timestamp')} (id {code(c.get('id'))}), {len(c.get('evidence', []))} leaf event(s)"
        )
        if role == "waived":
            w = c.get("waiver", {}) or {}
            line += (
                f": waived by {text(w.get('approved_by', w.get('by', '?')))} until {w.get('expires', '?')}, "
                f"reason: {text(w.get('reason', ''))}"
            )
        out.append(line)
    return "\n".join(out) + "\n\n"


def inputs_section(report: dict[str, Any]) -> str:
    """What was read: counts, digest, lineages, unknown types, skipped sources."""
    inputs = report.get("inputs", {})
    # Document counts and skipped sources sit in `sources` (or, in the first layout, in `inputs`).
    sources = {**inputs, **report.get("sources", {})}
    out = ["### Inputs\n"]
    out.append(
        f"- {inputs.get('events', 0)} events from {sources.get('documents', 0)} document(s) "
        f"({sources.get('records', 0)} records, {sources.get('merged_duplicates', 0)} merged duplicates); "
        f"digest {code(inputs.get('digest', ''))}"
    )
    lineages = inputs.get("lineages", [])
    if lineages:
        out.append("- Lineages: " + ", ".join(code(x) for x in lineages))
    for utype, info in sorted(inputs.get("unknown_types", {}).items()):
        hint = f" (did you mean {code(info['suggestion'])}?)" if info.get("suggestion") else ""
        out.append(f"- Unknown type {code(utype)}: {info.get('count', 0)} event(s), used by no rule{hint}")
    for s in sources.get("skipped", []):
        out.append(f"- Skipped {code(s.get('name', '?'))}: {text(s.get('reason', ''))}")
    return "\n".join(out) + "\n\n"


def messages_section(report: dict[str, Any]) -> str:
    """Input messages and the verdict's notes (e.g. an expired waiver, ignored)."""
    messages = report.get("messages", [])
    notes = report.get("verdict", {}).get("notes", [])
    if not messages and not notes:
        return ""
    out = ["### Messages\n", "| Level | Code | Where | Message |", "|---|---|---|---|"]
    for n in notes:
        level = text(n.get("level", "note"), in_table=True)
        note = text(n.get("text", n), in_table=True)
        out.append(f"| {level} | {code(n.get('code', ''), in_table=True)} | | {note} |")
    for m in messages:
        file = m.get("file")
        where = ""
        if file:
            where = code(file if m.get("line") is None else f"{file}:{m.get('line')}", in_table=True)
        out.append(
            f"| {m.get('level', '')} | {code(m.get('code', ''), in_table=True)} | {where} "
            f"| {text(m.get('text', ''), in_table=True)} |"
        )
    return "\n".join(out) + "\n\n"


def footer(report: dict[str, Any]) -> str:
    tool = report.get("tool", {})
    return f"<sub>{text(tool.get('name', 'synapse-gate'))} {text(tool.get('version', ''))}</sub>\n"


def render(report: dict[str, Any], *, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary for `report`, at most `limit` bytes of UTF-8."""
    blocks = [
        "## synapse-gate\n\n",
        headline(report) + "\n\n" + _policy_line(report) + "\n\n",
        "### Derived conclusions per lineage\n\n" + lineage_table(report) + "\n",
    ]
    for role, c in conclusions(report):
        if role == "blocking":
            blocks.append(_blocking_section(report, c))
    blocks.append(_other_section(report, "warnings"))
    blocks.append(_other_section(report, "waived"))
    blocks.append(inputs_section(report))
    blocks.append(messages_section(report))
    blocks.append(footer(report))
    return fit([b for b in blocks if b], limit, TRUNCATION_NOTE)
