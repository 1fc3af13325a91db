"""`synapse-gate waive` and `synapse-gate verify`: the governance commands, thin shells over
`gate.waivers` and `gate.verify`."""

from __future__ import annotations

import difflib
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from gate.cli.app import main
from gate.cli.check import build_request
from gate.cli.common import evidence_options, handle_errors
from gate.errors import UsageError
from gate.run import check
from gate.timefmt import format_timestamp
from gate.verdict import Conclusion
from gate.verify import render as render_verify
from gate.verify import verify
from gate.waivers import append_waivers, parse_date, render_waiver

DEFAULT_WAIVERS = "waivers.yaml"
_RELATIVE = re.compile(r"([0-9]+)([dw])\Z")


def expiry_date(text: str, approved: str) -> str:
    """--expires: a date (YYYY-MM-DD), or a number of days/weeks after the approval date (14d, 2w)."""
    m = _RELATIVE.match(text.strip())
    if m:
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        return (parse_date(approved) + timedelta(days=days)).isoformat()
    try:
        parse_date(text)
    except ValueError:
        raise UsageError(
            f"--expires {text!r}: write a date (YYYY-MM-DD) or days/weeks from today (14d, 2w)"
        ) from None
    return text


@main.command("waive")
@click.argument("ref")
@click.option("--by", "approved_by", required=True, metavar="NAME", help="Who approves the waiver.")
@click.option("--reason", required=True, metavar="TEXT", help="Why the release may proceed.")
@click.option(
    "--expires",
    required=True,
    metavar="DATE",
    help="Last valid day (YYYY-MM-DD), or 14d / 2w after approval.",
)
@click.option("--link", metavar="URL", help="Where the decision is recorded (issue, ticket).")
@click.option(
    "--leaves",
    "by_leaves",
    is_flag=True,
    help="Waive by type and lineage, restricted to this conclusion's leaf evidence, instead of by id.",
)
@evidence_options
@handle_errors
def waive_cmd(
    ref: str,
    approved_by: str,
    reason: str,
    expires: str,
    link: str | None,
    by_leaves: bool,
    events: tuple[str, ...],
    **opts: Any,
) -> None:
    """Append a waiver for the blocking conclusion REF to the waivers file (default waivers.yaml).

    Give the same EVENTS and evidence options as `check`: the evaluation is run again so that only an
    id that really is blocking can be waived. The waiver is approved on the --as-of date (default:
    today, UTC) and valid through --expires, at most the policy's waivers.max_days (default 30).
    """
    if not events:
        raise UsageError(
            "name the evidence `check` read (the same EVENTS and options), so that REF can be confirmed"
        )
    path = opts.get("waivers") or DEFAULT_WAIVERS
    opts["waivers"] = path if Path(path).is_file() else None
    result = check(build_request(events, **opts))
    verdict = result.verdict
    hits = [c for c in verdict.blocking if c.id == ref]
    if not hits:
        raise UsageError(_not_blocking(ref, verdict.blocking, verdict.warnings, verdict.waived))
    approved = verdict.as_of
    until = expiry_date(expires, approved)
    days = (parse_date(until) - parse_date(approved)).days
    if days < 0:
        raise UsageError(f"--expires {until}: before the approval date {approved} (--as-of)")
    if days > result.policy.waiver_max_days:
        raise UsageError(
            f"--expires {until}: {days} days after approval ({approved}); policy {result.policy.name} "
            f"allows at most {result.policy.waiver_max_days} (waivers.max_days)"
        )
    entries = []
    for c in hits if by_leaves else hits[:1]:
        entries.append(
            render_waiver(
                id=None if by_leaves else ref,
                type=c.type if by_leaves else None,
                lineage=c.partition,
                leaves=c.evidence if by_leaves else (),
                approved_by=approved_by,
                reason=reason,
                approved=approved,
                expires=until,
                link=link,
                comment=_comment(c, "leaves of" if by_leaves else "id of"),
            )
        )
    written = append_waivers(path, entries, result.policy)
    added = written.waivers[-len(entries) :]
    for w in added:
        click.echo(
            f"{path}:{w.line}: added waiver for {w.covers()}, "
            f"approved by {w.approved_by}, expires {w.expires}"
        )
    click.echo(f"apply it with: synapse-gate check --waivers {path} ...")


def _comment(c: Conclusion, what: str) -> str:
    part = "lineage-less partition" if c.partition is None else f"lineage {c.partition}"
    return (
        f"{what} {c.type} at {format_timestamp(c.ts)} ({part}, {len(c.evidence)} leaf events); "
        "added by synapse-gate waive"
    )


def _not_blocking(
    ref: str, blocking: tuple[Conclusion, ...], warnings: tuple[Conclusion, ...], waived: tuple[Any, ...]
) -> str:
    for c, w in waived:
        if c.id == ref:
            where = f"{w.get('file')}:{w.get('line')}"
            return f"{ref}: {c.type} is already waived ({where}, expires {w.get('expires')})"
    for c in warnings:
        if c.id == ref:
            return f"{ref}: {c.type} is a warning, not a blocking conclusion; nothing to waive"
    if not blocking:
        return f"{ref}: no blocking conclusion in this evaluation; nothing to waive"
    ids = sorted({c.id for c in blocking})
    hint = difflib.get_close_matches(ref, ids, n=1, cutoff=0.5)
    more = (
        f"; did you mean {hint[0]}?"
        if hint
        else f" (blocking: {', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})"
    )
    return f"{ref}: not the id of a blocking conclusion of this evaluation{more}"


@main.command("verify")
@click.argument("report", type=click.Path(dir_okay=False))
@evidence_options
@handle_errors
def verify_cmd(report: str, events: tuple[str, ...], **opts: Any) -> None:
    """Re-evaluate the run REPORT (a `check --format json` report) records and confirm the same verdict
    and digests (exit 0), or print the differences (exit 1).

    The event sources, policy, waivers file, as-of date, history window, lineages and --fail-on recorded
    in the report are used unless given here. Run it from the directory `check` ran in when the report
    names relative paths.
    """
    ctx = click.get_current_context()
    given_on_cli = {
        name
        for name in ("policy", "waivers", "as_of", "fail_on", "warn_only", "lineages", "since", "until")
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)
    }
    if events:
        given_on_cli.add("events")
    result = verify(report, build_request(events, **opts), given_on_cli)
    sys.stdout.write(render_verify(result, report))
    sys.exit(result.exit_code)
