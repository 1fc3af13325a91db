"""`synapse-gate events ...`: produce leaf events from evidence (here: eval result files) as JSONL."""

from __future__ import annotations

import sys

import click

from gate.cli.app import main
from gate.errors import GateError, UsageError
from gate.sources.evals import AUTO, FORMATS, CompareOptions, eval_events


def _fraction(text: str) -> float:
    """`0.02` or `2%` -> 0.02."""
    t = text.strip()
    scale = 100.0 if t.endswith("%") else 1.0
    try:
        return float(t[:-1] if scale != 1.0 else t) / scale
    except ValueError:
        raise UsageError(
            f"--rel-tol: expected a fraction (0.02) or a percentage (2%), got {text!r}"
        ) from None


@main.group("events")
def events() -> None:
    """Produce leaf events (JSONL on stdout) from evidence files."""


@events.command("from-eval")
@click.argument("current", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--baseline", type=click.Path(dir_okay=False, path_type=str), help="Result file to compare with."
)
@click.option("--spec", type=click.Path(dir_okay=False, path_type=str), help="Spec contract (YAML).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([AUTO, *FORMATS]),
    default=AUTO,
    show_default=True,
    help="Result file format (auto: by content).",
)
@click.option("--abs-tol", type=float, default=0.0, show_default=True, help="Ignore drops up to this much.")
@click.option(
    "--rel-tol",
    default="0",
    show_default=True,
    help="Ignore drops up to this fraction of the baseline (0.02 or 2%).",
)
@click.option(
    "--z",
    "z",
    type=float,
    default=1.96,
    show_default=True,
    help="Minimum z of a drop when both sides have stderr (0: off).",
)
@click.option("--lineage", default=None, help="Lineage to put on every event.")
@click.option("--run", default=None, help="Run id to put in every event's props.")
@click.option(
    "--timestamp", default=None, help="Event time (RFC 3339 with offset); required when the file has none."
)
def from_eval(
    current: str,
    baseline: str | None,
    spec: str | None,
    fmt: str,
    abs_tol: float,
    rel_tol: str,
    z: float,
    lineage: str | None,
    run: str | None,
    timestamp: str | None,
) -> None:
    """Turn an eval result file into eval_regression_observed (with --baseline) and
    spec_constraint_violation (with --spec) events, printed as JSONL; notes go to stderr.

    Formats: lm-eval (results*.json), promptfoo (output.json), inspect (.eval or .json logs),
    openai-evals (JSONL record with a final_report). Exit 0 when the events were produced (even none),
    2 on invalid input.
    """
    try:
        options = CompareOptions(abs_tol=abs_tol, rel_tol=_fraction(rel_tol), z=z if z > 0 else None)
        result = eval_events(
            current,
            baseline,
            spec=spec,
            fmt=fmt,
            options=options,
            lineage=lineage,
            run=run,
            timestamp=timestamp,
        )
    except GateError as e:
        click.echo(f"synapse-gate: error: {e}", err=True)
        if e.hint:
            click.echo(f"hint: {e.hint}", err=True)
        sys.exit(e.exit_code)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(result.jsonl(), nl=False)
