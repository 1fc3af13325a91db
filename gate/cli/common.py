"""Helpers shared by the command modules: error handling and the evidence options of check/explain."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click

from gate.errors import EXIT_UNREADABLE, GateError
from gate.policy import DEFAULT_POLICY
from gate.sources.base import Limits

F = TypeVar("F", bound=Callable[..., Any])


def fail(err: GateError) -> None:
    click.echo(f"synapse-gate: error: {err.message}", err=True)
    if err.hint:
        click.echo(f"hint: {err.hint}", err=True)
    sys.exit(err.exit_code)


def handle_errors(fn: F) -> F:
    """GateError -> one line on stderr and its exit code; anything else -> exit 3 (fail closed).
    Set SYNAPSE_GATE_DEBUG=1 to see the traceback of an internal error."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GateError as e:
            fail(e)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("synapse-gate: interrupted", err=True)
            sys.exit(130)
        except Exception as e:  # noqa: BLE001 - the gate must fail closed, never pass on a bug
            if os.environ.get("SYNAPSE_GATE_DEBUG"):
                traceback.print_exc()
            click.echo(
                f"synapse-gate: internal error: {type(e).__name__}: {e} (set SYNAPSE_GATE_DEBUG=1 for a traceback)",
                err=True,
            )
            sys.exit(EXIT_UNREADABLE)

    return wrapper  # type: ignore[return-value]


# Resource caps (SECURITY.md); each maps onto the `Limits` field of its name, except --max-archive-bytes.
_LIMITS = Limits()
LIMIT_OPTIONS = [
    click.option("--max-document-bytes", type=click.IntRange(min=1), default=_LIMITS.max_document_bytes,
                 show_default=True, metavar="BYTES",
                 help="Refuse any one document (file, stdin, download, archive member) larger than this."),
    click.option("--max-download-bytes", type=click.IntRange(min=1), default=_LIMITS.max_download_bytes,
                 show_default=True, metavar="BYTES", help="Refuse an HTTP response body larger than this."),
    click.option("--max-archive-members", type=click.IntRange(min=1), default=_LIMITS.max_archive_members,
                 show_default=True, help="Refuse an archive with more entries than this."),
    click.option("--max-archive-bytes", "max_archive_total_bytes", type=click.IntRange(min=1),
                 default=_LIMITS.max_archive_total_bytes, show_default=True, metavar="BYTES",
                 help="Refuse an archive whose uncompressed content is larger than this."),
    click.option("--max-compression-ratio", type=click.IntRange(min=1), default=_LIMITS.max_compression_ratio,
                 show_default=True, help="Refuse archive members (over 1 MiB) compressed more than this."),
    click.option("--max-events", type=click.IntRange(min=1), default=_LIMITS.max_events, show_default=True,
                 help="Refuse to read more event records than this in one run."),
    click.option("--max-depth", type=click.IntRange(1, 256), default=_LIMITS.max_depth, show_default=True,
                 help="Refuse events and YAML documents nested deeper than this."),
    click.option("--max-rules", type=click.IntRange(min=1), default=_LIMITS.max_rules, show_default=True,
                 help="Refuse a policy with more rules, patterns and compositions than this."),
]  # fmt: skip
LIMIT_FIELDS = tuple(f.name for f in dataclasses.fields(Limits))


def limits_from(opts: dict[str, Any]) -> Limits:
    """The Limits named by the cap options (absent ones keep their defaults)."""
    return Limits(**{k: opts[k] for k in LIMIT_FIELDS if opts.get(k) is not None})


def evidence_options(fn: F) -> F:
    """The options that say what evidence to read and how to judge it (check, explain)."""
    decorators = [
        click.argument("events", nargs=-1, metavar="[EVENTS]..."),
        click.option(
            "--policy",
            "-p",
            default=DEFAULT_POLICY,
            show_default=True,
            help="Built-in policy name (see `policy list`) or path to a policy YAML file.",
        ),
        click.option("--waivers", "-w", type=click.Path(dir_okay=False), help="Waivers YAML file."),
        click.option(
            "--as-of", metavar="YYYY-MM-DD", help="Date used to judge waiver expiry (default: today, UTC)."
        ),
        click.option(
            "--fail-on", multiple=True, metavar="TYPE", help="Also block on this type (repeatable)."
        ),
        click.option("--warn-only", is_flag=True, help="Report, but exit 0 even when the gate would block."),
        click.option("--strict", is_flag=True, help="Unknown event types (and unused waivers) are errors."),
        click.option(
            "--lineage",
            "lineages",
            multiple=True,
            metavar="NAME",
            help="Evaluate only this lineage (repeatable).",
        ),
        click.option(
            "--since",
            metavar="WHEN",
            help="Consider only leaf events at or after WHEN: RFC 3339, YYYY-MM-DD, or a duration before "
            "the end of the --as-of day (30d). Clipping history can hide older evidence.",
        ),
        click.option(
            "--until",
            metavar="WHEN",
            help="Consider only leaf events at or before WHEN (a date: through its end; a duration: "
            "counted back from the end of the --as-of day).",
        ),
        click.option("--offline", is_flag=True, help="Refuse every network source."),
        click.option(
            "--allow-http", is_flag=True, help="Allow plain http:// URLs to hosts other than loopback."
        ),
        *LIMIT_OPTIONS,
        click.option(
            "--eval",
            "evals",
            multiple=True,
            type=click.Path(dir_okay=False),
            metavar="RESULT",
            help="An eval result file (lm-eval, promptfoo, inspect_ai, OpenAI evals) turned into events "
            "(repeatable; see `events from-eval`).",
        ),
        click.option(
            "--eval-baseline",
            "eval_baselines",
            multiple=True,
            type=click.Path(dir_okay=False),
            metavar="RESULT",
            help="Baseline of the --eval at the same position (regressions are judged against it).",
        ),
        click.option(
            "--spec", type=click.Path(dir_okay=False), help="Spec contract checked on every --eval."
        ),
        click.option(
            "--eval-format",
            type=click.Choice(["auto", "lm-eval", "promptfoo", "inspect", "openai-evals"]),
            default="auto",
            show_default=True,
            help="Format of the --eval files.",
        ),
        click.option(
            "--abs-tol", type=float, default=0.0, show_default=True, help="Eval drop tolerated (absolute)."
        ),
        click.option(
            "--rel-tol", type=float, default=0.0, show_default=True, help="Eval drop tolerated (fraction)."
        ),
        click.option(
            "--z",
            type=float,
            default=1.96,
            show_default=True,
            help="z threshold where standard errors exist.",
        ),
        click.option("--eval-lineage", metavar="NAME", help="Lineage given to events made from --eval."),
        click.option("--eval-run", metavar="RUN", help="Run id given to events made from --eval."),
        click.option("--eval-timestamp", metavar="TS", help="Timestamp for eval files that carry none."),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(0, 64),
            default=0,
            show_default=True,
            help="Processes to read and evaluate with; 0: one per available CPU, up to 8. "
            "The report is the same for any value.",
        ),
    ]
    for d in reversed(decorators):
        fn = d(fn)
    return fn
