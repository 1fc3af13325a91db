"""`synapse-gate check`, `explain` and `validate`: thin shells over `gate.run` and the loaders."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.app import main
from gate.cli.common import evidence_options, handle_errors
from gate.errors import UsageError
from gate.reporters import REPORTERS
from gate.reporters.text import render_explain
from gate.run import CheckRequest, CheckResult, check


def build_request(events: tuple[str, ...], **opts: Any) -> CheckRequest:
    return CheckRequest(
        events=events,
        policy=opts["policy"],
        waivers=opts.get("waivers"),
        as_of=opts.get("as_of"),
        since=opts.get("since"),
        until=opts.get("until"),
        fail_on=tuple(opts.get("fail_on") or ()),
        warn_only=bool(opts.get("warn_only")),
        strict=bool(opts.get("strict")),
        lineages=tuple(opts.get("lineages") or ()),
        offline=bool(opts.get("offline")),
        jobs=opts.get("jobs") or 1,
        env=dict(os.environ),
    )


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"--output {output}: cannot write: {e.strerror}") from None


@main.command("check")
@evidence_options
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout."
)
@handle_errors
def check_cmd(events: tuple[str, ...], fmt: str, output: str | None, **opts: Any) -> None:
    """Evaluate EVENTS (files, directories, globs, `-` for stdin, URLs, artifacts) against the policy.

    Exit codes: 0 pass (warnings allowed), 1 blocked, 2 invalid usage, policy, waiver or input,
    3 a remote source could not be read, or an internal error.
    """
    result: CheckResult = check(build_request(events, **opts))
    write_output(REPORTERS[fmt](result.report), output)
    sys.exit(result.exit_code)


@main.command("explain")
@click.argument("ref")
@evidence_options
@handle_errors
def explain_cmd(ref: str, events: tuple[str, ...], **opts: Any) -> None:
    """Show how REF was derived: a derived event id, or a type (every event of that type), down to the
    leaf events and the files they came from, with the rule and window of each step."""
    result = check(build_request(events, **opts))
    text = render_explain(result.report, ref)
    if not text:
        raise UsageError(f"{ref!r}: no derived event has this id or type (see `check --format json`)")
    sys.stdout.write(text)
