"""GitHub Actions annotations: the report as workflow commands (`::error file=...,line=...::msg`).

Blocking conclusions become `::error` lines, warnings and input warnings `::warning`, waived
conclusions and notices `::notice`, each placed on the file and line of the leaf evidence that
completed it. GitHub shows at most 10 annotations per level and step: past that, 9 are emitted and
the tenth says how many more are in the job summary, so that the count is never silently lost.
"""

from __future__ import annotations

from typing import Any

from gate.reporters._evidence import (
    ANNOTATIONS_PER_LEVEL,
    Location,
    anchor_location,
    conclusions,
)

_LEVELS = ("error", "warning", "notice")


def escape_data(value: str) -> str:
    """Escape a workflow-command message: `%`, CR and LF."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value: as data, plus `:` and `,`."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, *, title: str | None = None, location: Location | None = None) -> str:
    """One workflow-command line. A URL location is not a repository file: it goes in the message."""
    props: list[str] = []
    if location is not None and not location.is_url and location.file:
        props.append(f"file={escape_property(location.file)}")
        if location.line is not None:
            props.append(f"line={location.line}")
    if title:
        props.append(f"title={escape_property(title)}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{escape_data(message)}"


def _finding(report: dict[str, Any], role: str, c: dict[str, Any]) -> tuple[str, str, str, Location | None]:
    """(level, title, message, location) of one conclusion."""
    ctype = str(c.get("type", "?"))
    partition = c.get("partition")
    in_lineage = f" in lineage {partition}" if partition is not None else ""
    leaf_id, loc = anchor_location(report, c)
    n = len(c.get("evidence", []))
    leaves = report.get("leaves", {})
    leaf_type = str(leaves.get(leaf_id, {}).get("type", "?"))
    where = ""
    if loc is not None:
        where = f" (here: {leaf_type} {leaf_id})"
    else:
        origins = report.get("origins", {}).get(leaf_id, [])
        if origins:
            first = origins[0]
            where = f" (latest evidence {leaf_id} read from {first.get('file')})"
    if c.get("leaf"):
        what = f"{ctype} asserted directly by event {c.get('id')}{in_lineage}"
    else:
        what = f"{ctype} derived{in_lineage} at {c.get('timestamp')} from {n} leaf event(s){where}"
    if role == "blocking" and report.get("verdict", {}).get("status") != "blocked":
        level = "warning"  # warn-only: the same finding, without failing the step
        title = f"Would block the release (warn-only): {ctype}"
        text = f"{what}. The job summary shows its derivation."
    elif role == "blocking":
        level = "error"
        title = f"Release blocked: {ctype}"
        text = (
            f"{what}. The job summary shows its derivation; "
            f"to accept the risk, file a waiver for {c.get('id')}."
        )
    elif role == "warnings":
        level = "warning"
        title = f"Release risk: {ctype}"
        text = f"{what}."
    else:
        level = "notice"
        waiver = c.get("waiver", {}) or {}
        title = f"Waived: {ctype}"
        text = (
            f"{what}; waived by {waiver.get('approved_by', waiver.get('by', '?'))} "
            f"until {waiver.get('expires', '?')}: "
            f"{waiver.get('reason', '')}".rstrip(": ")
        )
    return level, title, text, loc


def _conclusion_line(report: dict[str, Any], role: str, c: dict[str, Any]) -> tuple[str, str]:
    level, title, text, loc = _finding(report, role, c)
    return level, command(level, text, title=title, location=loc) + "\n"


def _message_line(m: dict[str, Any]) -> tuple[str, str]:
    level = m.get("level") if m.get("level") in _LEVELS else "warning"
    file = m.get("file")
    line = m.get("line")
    loc = Location(file=str(file), line=line if isinstance(line, int) else None) if file else None
    code = m.get("code")
    title = f"synapse-gate: {code}" if code else "synapse-gate"
    text = str(m.get("text", ""))
    if loc is not None and loc.is_url:
        text = f"{loc}: {text}"
    return str(level), command(str(level), text, title=title, location=loc) + "\n"


def render(report: dict[str, Any]) -> str:
    """All annotation lines for a report, errors first, capped at 10 per level."""
    by_level: dict[str, list[str]] = {level: [] for level in _LEVELS}
    for role, c in conclusions(report):
        level, line = _conclusion_line(report, role, c)
        by_level[level].append(line)
    for m in report.get("messages", []):
        level, line = _message_line(m)
        by_level[level].append(line)
    for n in report.get("verdict", {}).get("notes", []):  # e.g. an expired waiver, ignored
        level = n.get("level") if n.get("level") in _LEVELS else "notice"
        title = f"synapse-gate: {n['code']}" if n.get("code") else "synapse-gate"
        by_level[str(level)].append(command(str(level), str(n.get("text", n)), title=title) + "\n")
    out: list[str] = []
    for level in _LEVELS:
        lines = by_level[level]
        if len(lines) <= ANNOTATIONS_PER_LEVEL:
            out.extend(lines)
            continue
        shown = ANNOTATIONS_PER_LEVEL - 1
        out.extend(lines[:shown])
        more = len(lines) - shown
        noun = {"error": "errors", "warning": "warnings", "notice": "notices"}[level]
        out.append(command(level, f"{more} more {noun} in the job summary.", title="synapse-gate") + "\n")
    return "".join(out)


def check_annotations(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The same findings as Checks API annotations (no cap: the API takes them 50 per request).

    Only findings placed on a repository file are annotations; the others are in the check's summary.
    """
    warn_only = report.get("verdict", {}).get("status") != "blocked"
    levels = {"blocking": "warning" if warn_only else "failure", "warnings": "warning", "waived": "notice"}
    out: list[dict[str, Any]] = []
    for role, c in conclusions(report):
        _, title, message, loc = _finding(report, role, c)
        if loc is None or loc.is_url:
            continue
        out.append(
            {
                "path": loc.file,
                "start_line": loc.line or 1,
                "end_line": loc.line or 1,
                "annotation_level": levels[role],
                "title": title,
                "message": message,
            }
        )
    for m in report.get("messages", []):
        file, line_no = m.get("file"), m.get("line")
        if not file or "://" in str(file):
            continue
        level = {"error": "failure", "warning": "warning"}.get(str(m.get("level")), "notice")
        out.append(
            {
                "path": str(file),
                "start_line": line_no if isinstance(line_no, int) else 1,
                "end_line": line_no if isinstance(line_no, int) else 1,
                "annotation_level": level,
                "title": f"synapse-gate: {m.get('code')}" if m.get("code") else "synapse-gate",
                "message": str(m.get("text", "")),
            }
        )
    return out
