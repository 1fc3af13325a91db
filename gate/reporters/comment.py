"""The sticky pull-request comment: what blocked the release, which evidence to look at, how to proceed.

One comment per pull request, found again by the hidden `MARKER` (see `gate.github`). The body is
kept under GitHub's 65,536-character limit. `render_resolved` is the short body the comment is
updated to once the gate passes again.
"""

from __future__ import annotations

from typing import Any

from gate.reporters._evidence import (
    code,
    evidence,
    fit,
    locations,
    partition_label,
)
from gate.reporters.markdown import headline
from gate.reporters.text import waive_command

MARKER = "<!-- synapse-gate:sticky -->"
COMMENT_LIMIT = 60_000  # characters; GitHub refuses bodies over 65,536
MAX_CONCLUSIONS = 20
MAX_EVIDENCE = 10
TRUNCATION_NOTE = (
    "\n> [!NOTE]\n> This comment was cut to stay under GitHub's size limit ({left} of {total} sections left "
    "out): the job summary and the JSON report have everything.\n"
)
RESOLVED_HEADING = "### synapse-gate: resolved"


def _run_link(run_url: str | None, words: str) -> str:
    return f"[{words}]({run_url})" if run_url else words


def _what_to_look_at(report: dict[str, Any], c: dict[str, Any], run_url: str | None) -> str:
    rows = evidence(report, c)
    out = [
        f"**{code(c.get('type'))}** in lineage {code(partition_label(c.get('partition')))} "
        f"(id {code(c.get('id'))}, {c.get('timestamp')}), from {len(rows)} leaf event(s):",
        "",
    ]
    for lid, leaf in rows[-MAX_EVIDENCE:]:  # the latest evidence completed the conclusion: show it
        locs = [str(loc) for loc in locations(report, lid)]
        where = ", ".join(code(x) for x in locs) if locs else "(origin not recorded)"
        out.append(f"- {code(lid)} {code(leaf.get('type', '?'))} at {leaf.get('timestamp', '?')}: {where}")
    if len(rows) > MAX_EVIDENCE:
        out.append(
            f"- … {len(rows) - MAX_EVIDENCE} earlier event(s): see the {_run_link(run_url, 'job summary')}"
        )
    return "\n".join(out) + "\n\n"


def _how_to_proceed(report: dict[str, Any], run_url: str | None) -> str:
    blocking = report.get("verdict", {}).get("blocking", [])
    # the same command the CLI prints: `waive` evaluates again, with the evidence this check read
    commands = "\n".join(waive_command(report, str(c.get("id"))) for c in blocking[:MAX_CONCLUSIONS])
    return (
        "#### How to proceed\n\n"
        "1. **Check the evidence** listed above: each event names the file and line it was read from. "
        f"The {_run_link(run_url, 'job summary of this run')} draws each conclusion's full derivation "
        "(which rule, within which window).\n"
        "2. **If the risk is real**, fix it where it comes from (the data, the eval, the spec) and push: "
        "the gate runs again and this comment is updated.\n"
        "3. **If the release should go ahead anyway**, someone accountable files a waiver for each blocking "
        "conclusion, with an expiry date, and commits the waivers file (named in the workflow's "
        "`waivers` input):\n\n"
        f"```sh\n{commands}\n```\n\n"
        "An expired waiver is ignored (and the report says so).\n\n"
    )


def render(report: dict[str, Any], *, run_url: str | None = None, limit: int = COMMENT_LIMIT) -> str:
    """The comment body for a report with blocking conclusions (or a warn-only would-block)."""
    verdict = report.get("verdict", {})
    blocking = verdict.get("blocking", [])
    title = "release blocked" if verdict.get("status") == "blocked" else "release check"
    blocks = [
        f"{MARKER}\n### synapse-gate: {title}\n\n{headline(report)}\n\n",
    ]
    if blocking:
        blocks.append("#### What to look at\n\n")
        for c in blocking[:MAX_CONCLUSIONS]:
            blocks.append(_what_to_look_at(report, c, run_url))
        if len(blocking) > MAX_CONCLUSIONS:
            blocks.append(
                f"… and {len(blocking) - MAX_CONCLUSIONS} more blocking conclusion(s): "
                f"see the {_run_link(run_url, 'job summary')}.\n\n"
            )
        blocks.append(_how_to_proceed(report, run_url))
    warnings = verdict.get("warnings", [])
    if warnings:
        types = sorted({str(c.get("type")) for c in warnings})
        blocks.append(f"Warnings (not blocking): {', '.join(code(t) for t in types)}.\n\n")
    policy = report.get("policy", {})
    blocks.append(
        f"<sub>Policy {code(policy.get('name', '?'))}, waivers as of {verdict.get('as_of', '?')}. "
        "This comment is updated in place on every run.</sub>\n"
    )
    return fit(blocks, limit, TRUNCATION_NOTE, measure="chars")


def render_resolved(report: dict[str, Any], *, run_url: str | None = None) -> str:
    """The body the sticky comment is updated to when the gate passes again."""
    verdict = report.get("verdict", {})
    waived = len(verdict.get("waived", []))
    tail = f" ({waived} conclusion{'s' if waived != 1 else ''} waived)" if waived else ""
    return (
        f"{MARKER}\n{RESOLVED_HEADING}\n\n"
        f"✅ The release gate passes as of {_run_link(run_url, 'this run')}: "
        f"no blocking conclusion remains{tail}. "
        "Earlier versions of this comment are in its edit history.\n"
    )
