"""`synapse-gate check`, `explain` and `validate`: thin shells over `gate.run` and the loaders."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.app import main
from gate.cli.common import evidence_options, handle_errors, limits_from
from gate.errors import UsageError
from gate.reporters import REPORTERS
from gate.reporters.text import render_explain
from gate.run import CheckRequest, CheckResult, check, eval_inputs


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
        jobs=opts.get("jobs") or 0,
        allow_http=bool(opts.get("allow_http")),
        progress=sys.stderr.isatty(),
        evals=eval_inputs(opts),
        limits=limits_from(opts),
        env=dict(os.environ),
    )


def write_output(text: str, output: str | None) -> None:
    """Write in slices: encoding a report of hundreds of MB at once would hold a second copy."""
    if output is None or output == "-":
        for i in range(0, len(text), WRITE_SLICE):
            sys.stdout.write(text[i : i + WRITE_SLICE])
        sys.stdout.flush()
        return
    try:
        with Path(output).open("w", encoding="utf-8", newline="") as f:
            for i in range(0, len(text), WRITE_SLICE):
                f.write(text[i : i + WRITE_SLICE])
    except OSError as e:
        raise UsageError(f"--output {output}: cannot write: {e.strerror}") from None


WRITE_SLICE = 1 << 22


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
    text = REPORTERS[fmt](result.report)
    write_output(text, output)
    if ONE_SHOT:
        # Keep the result referenced until the process ends (gate.cli.run leaves with os._exit):
        # freeing a million events one by one on the way out takes longer than the last steps.
        _KEEP_UNTIL_EXIT.append((result, text))
    sys.exit(result.exit_code)


ONE_SHOT = False  # set by gate.cli.run, the console entry point (not by click's test runner)
_KEEP_UNTIL_EXIT: list[object] = []


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


def _guess_kind(path: Path) -> str:
    """policy | waivers | spec | events, from the file's top-level shape (no evaluation)."""
    from gate.sources.events import kind_from_name

    if kind_from_name(path.name) == "jsonl":
        return "events"
    import yaml

    try:
        head = yaml.safe_load(path.read_bytes()[:65536].decode("utf-8", "replace").split("\n---", 1)[0])
    except yaml.YAMLError:
        return "events"  # the full reader gives the precise error
    if isinstance(head, dict):
        if "rules" in head or "types" in head:
            return "policy"
        if "constraints" in head or "required_tasks" in head:
            return "spec"
    if isinstance(head, list) and head and isinstance(head[0], dict) and "expires" in head[0]:
        return "waivers"
    return "events"


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["auto", "policy", "events", "waivers", "spec"]), default="auto",
              show_default=True, help="What the files are (auto: from their shape).")  # fmt: skip
@click.option("--policy", "-p", default="spec-locked-drift", show_default=True,
              help="Policy whose types and waiver limits apply to event and waiver files.")  # fmt: skip
@handle_errors
def validate_cmd(files: tuple[str, ...], kind: str, policy: str) -> None:
    """Validate policies, event files, waivers and spec contracts without evaluating anything.

    Prints one line per file; the first invalid file stops with its error (file:line: field) and exit 2.
    """
    from gate.policy import load_policy
    from gate.sources.base import SourceContext
    from gate.sources.events import EventCollector
    from gate.sources.local import LocalSource
    from gate.sources.spec_contract import load as load_spec
    from gate.waivers import load_waivers

    pol = load_policy(policy)
    for f in files:
        path = Path(f)
        if not path.is_file():
            raise UsageError(f"{f}: no such file")
        what = _guess_kind(path) if kind == "auto" else kind
        if what == "policy":
            p = load_policy(f)
            detail = f"policy {p.name}: {len(p.rules)} rules, {len(p.patterns)} patterns, {len(p.compositions)} compositions"
        elif what == "waivers":
            w = load_waivers(f, pol)
            detail = f"waivers: {len(w.waivers)}"
        elif what == "spec":
            s = load_spec(f, path.read_bytes())
            detail = f"spec contract {s.name}: {len(s.constraints)} constraints"
        else:
            collector = EventCollector(pol.types)
            for doc in LocalSource(f, SourceContext()).documents():
                collector.add_document(doc)
            inputs = collector.finish()
            unknown = f", unknown types: {', '.join(inputs.unknown_types)}" if inputs.unknown_types else ""
            detail = f"events: {inputs.records} records, {inputs.total} unique{unknown}"
        click.echo(f"ok  {f}  ({detail})")
