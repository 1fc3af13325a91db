"""The container action's entrypoint: `INPUT_*` -> `gate.run.check` (the same call as the CLI) -> reporters.

The runner gives a Docker action its inputs only as environment variables (`INPUT_<NAME>`, upper
case, hyphens kept) and runs it with the workspace as the working directory. This module maps
them onto a `CheckRequest`, runs the check, and sends the reporters' text where GitHub reads it:
annotations on stdout, the summary appended to `$GITHUB_STEP_SUMMARY`, outputs to `$GITHUB_OUTPUT`,
the sticky comment and the check run through `gate.github`. The exit code is the check's own
(0 pass, 1 blocked, 2 invalid input, 3 unreadable evidence); commenting can never change it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from gate.errors import EXIT_UNREADABLE, GateError, UsageError
from gate.redact import redact

DEFAULT_POLICY = "spec-locked-drift"
DEFAULT_REPORT_PATH = "synapse-gate-report.json"

# Every input of action.yml and what it becomes (a CheckRequest field, or an action option).
# tests/action/test_action_yml.py checks that this table and action.yml name the same inputs.
INPUTS: dict[str, str] = {
    "events": "CheckRequest.events",
    "policy": "CheckRequest.policy",
    "waivers": "CheckRequest.waivers",
    "lineage": "CheckRequest.lineages",
    "fail-on": "CheckRequest.fail_on",
    "warn-only": "CheckRequest.warn_only",
    "strict": "CheckRequest.strict",
    "as-of": "CheckRequest.as_of",
    "since": "CheckRequest.since",
    "until": "CheckRequest.until",
    "jobs": "CheckRequest.jobs",
    "offline": "CheckRequest.offline",
    "allow-http": "CheckRequest.allow_http",
    "max-document-bytes": "CheckRequest.limits",
    "max-download-bytes": "CheckRequest.limits",
    "max-archive-members": "CheckRequest.limits",
    "max-archive-bytes": "CheckRequest.limits",
    "max-compression-ratio": "CheckRequest.limits",
    "max-events": "CheckRequest.limits",
    "max-depth": "CheckRequest.limits",
    "max-rules": "CheckRequest.limits",
    "eval": "CheckRequest.evals",
    "eval-baseline": "CheckRequest.evals",
    "spec": "CheckRequest.evals",
    "eval-format": "CheckRequest.evals",
    "abs-tol": "CheckRequest.evals",
    "rel-tol": "CheckRequest.evals",
    "z": "CheckRequest.evals",
    "eval-lineage": "CheckRequest.evals",
    "eval-run": "CheckRequest.evals",
    "eval-timestamp": "CheckRequest.evals",
    "comment": "ActionOptions.comment",
    "check-run": "ActionOptions.check_run",
    "github-token": "ActionOptions.token",
    "report-path": "ActionOptions.report_path",
}

OUTPUTS = ("verdict", "blocked", "would-block", "blocking-types", "report", "counts")

_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")


@dataclass(frozen=True, slots=True)
class ActionOptions:
    """What the action does around the check (none of it changes the verdict)."""

    comment: bool
    check_run: bool
    token: str | None
    report_path: str


def get_input(env: Mapping[str, str], name: str) -> str:
    """The raw value of input `name` (`INPUT_<NAME>`, hyphens kept), stripped; "" when unset."""
    return env.get("INPUT_" + name.upper(), "").strip()


def get_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A boolean input, as the Actions toolkit reads one (YAML 1.2 core: true|True|TRUE|false|...)."""
    raw = get_input(env, name)
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise UsageError(f"input '{name}': expected true or false, got {raw!r}")


def get_int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An integer input within [low, high]."""
    raw = get_input(env, name)
    if not raw:
        return default
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        raise UsageError(f"input '{name}': expected an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def get_float(env: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number input."""
    raw = get_input(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"input '{name}': expected a number >= 0, got {raw!r}")
    return value


def get_lines(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """One value per line; blank lines and lines starting with '#' are ignored."""
    lines = (line.strip() for line in get_input(env, name).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def get_list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Names separated by commas, spaces or newlines (types and lineages contain none of them)."""
    return tuple(x for x in re.split(r"[\s,]+", get_input(env, name)) if x)


def _workspace_relative(path: str, workspace: str | None) -> str:
    """A path or glob under the workspace, made relative so that annotations land on repository files."""
    if not workspace or "://" in path or not os.path.isabs(path):
        return path
    root = os.path.abspath(workspace)
    full = os.path.abspath(path)
    if full == root or not full.startswith(root.rstrip(os.sep) + os.sep):
        return path
    return os.path.relpath(full, root).replace(os.sep, "/")


def parse_inputs(env: Mapping[str, str]) -> tuple[Any, ActionOptions]:
    """Map the action's inputs onto a `gate.run.CheckRequest` and the action's own options."""
    from gate.run import CheckRequest, eval_inputs
    from gate.sources.base import Limits

    defaults = Limits()

    workspace = env.get("GITHUB_WORKSPACE")
    events = tuple(_workspace_relative(p, workspace) for p in get_lines(env, "events"))
    if not events and not get_lines(env, "eval"):
        raise UsageError("input 'events' is required: paths, globs or URLs of event files, one per line")
    token = get_input(env, "github-token") or None
    check_env = dict(env)
    if token and not check_env.get("GITHUB_TOKEN"):
        check_env["GITHUB_TOKEN"] = token  # sources that read CI artifacts authenticate with it
    request = CheckRequest(
        events=events,
        policy=get_input(env, "policy") or DEFAULT_POLICY,
        waivers=_workspace_relative(get_input(env, "waivers"), workspace) or None,
        as_of=get_input(env, "as-of") or None,
        since=get_input(env, "since") or None,
        until=get_input(env, "until") or None,
        jobs=get_int(env, "jobs", 0, low=0, high=64),
        fail_on=get_list(env, "fail-on"),
        warn_only=get_bool(env, "warn-only", False),
        strict=get_bool(env, "strict", False),
        lineages=get_list(env, "lineage"),
        offline=get_bool(env, "offline", False),
        allow_http=get_bool(env, "allow-http", False),
        limits=Limits(
            max_document_bytes=get_int(
                env, "max-document-bytes", defaults.max_document_bytes, low=1, high=1 << 62
            ),
            max_download_bytes=get_int(
                env, "max-download-bytes", defaults.max_download_bytes, low=1, high=1 << 62
            ),
            max_archive_members=get_int(
                env, "max-archive-members", defaults.max_archive_members, low=1, high=1 << 62
            ),
            max_archive_total_bytes=get_int(
                env, "max-archive-bytes", defaults.max_archive_total_bytes, low=1, high=1 << 62
            ),
            max_compression_ratio=get_int(
                env, "max-compression-ratio", defaults.max_compression_ratio, low=1, high=1 << 62
            ),
            max_events=get_int(env, "max-events", defaults.max_events, low=1, high=1 << 62),
            max_depth=get_int(env, "max-depth", defaults.max_depth, low=1, high=256),
            max_rules=get_int(env, "max-rules", defaults.max_rules, low=1, high=1 << 62),
        ),
        evals=eval_inputs(
            {
                "evals": tuple(_workspace_relative(p, workspace) for p in get_lines(env, "eval")),
                "eval_baselines": tuple(
                    _workspace_relative(p, workspace) for p in get_lines(env, "eval-baseline")
                ),
                "spec": _workspace_relative(get_input(env, "spec"), workspace) or None,
                "eval_format": get_input(env, "eval-format") or "auto",
                "abs_tol": get_float(env, "abs-tol", 0.0),
                "rel_tol": get_float(env, "rel-tol", 0.0),
                "z": get_float(env, "z", 1.96),
                "eval_lineage": get_input(env, "eval-lineage") or None,
                "eval_run": get_input(env, "eval-run") or None,
                "eval_timestamp": get_input(env, "eval-timestamp") or None,
            }
        ),
        env=check_env,
    )
    options = ActionOptions(
        comment=get_bool(env, "comment", True),
        check_run=get_bool(env, "check-run", False),
        token=token,
        report_path=get_input(env, "report-path") or DEFAULT_REPORT_PATH,
    )
    return request, options


# -- outputs and the step summary (I/O, kept out of the reporters) ----------------------------------


def write_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append outputs to `$GITHUB_OUTPUT`, each as `name<<DELIMITER` with a random delimiter."""
    with open(path, "a", encoding="utf-8", newline="\n") as f:
        for name, value in values.items():
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in value:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            f.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(path: str, markdown: str) -> None:
    with open(path, "a", encoding="utf-8", newline="\n") as f:
        f.write(markdown if markdown.endswith("\n") else markdown + "\n")


def output_values(report: Mapping[str, Any], report_path: str) -> dict[str, str]:
    """The action's outputs for a report (names as in action.yml)."""
    verdict = report.get("verdict", {})
    blocking = verdict.get("blocking", [])
    counts = {
        "blocking": len(blocking),
        "warnings": len(verdict.get("warnings", [])),
        "waived": len(verdict.get("waived", [])),
        "events": report.get("inputs", {}).get("events", 0),
        "derived": sum(len(p.get("derived", [])) for p in report.get("partitions", [])),
        "partitions": len(report.get("partitions", [])),
    }
    return {
        "verdict": str(verdict.get("status", "")),
        "blocked": "true" if verdict.get("status") == "blocked" else "false",
        "would-block": "true" if verdict.get("would_block") else "false",
        "blocking-types": ",".join(sorted({str(c.get("type")) for c in blocking})),
        "report": report_path,
        "counts": json.dumps(counts, sort_keys=True),
    }


def _write_report(path: str, text: str) -> None:
    try:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"input 'report-path': cannot write {path}: {exc.strerror or exc}") from None


def _dumps(report: Mapping[str, Any]) -> str:
    from gate.report import dumps

    return dumps(report)


# -- the run ----------------------------------------------------------------------------------------


def run(env: Mapping[str, str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run the action with environment `env`; returns the exit code."""
    token = get_input(env, "github-token")
    masked = [token] if token else []
    if token:
        stdout.write(f"::add-mask::{token}\n")  # the runner hides it from the log from here on
        stdout.flush()

    def say(line: str) -> None:  # error and warning lines: every secret-looking part is masked
        stdout.write(redact(line, masked) + "\n")
        stdout.flush()

    def mask(text: str) -> str:  # reporter output: only the token (heuristics would mangle prose)
        return text.replace(token, "***") if token else text

    summary_path = env.get("GITHUB_STEP_SUMMARY")
    try:
        from gate.run import check

        request, options = parse_inputs(env)
        result = check(request)
    except GateError as exc:
        message = exc.message + (f" ({exc.hint})" if exc.hint else "")
        say(f"::error title=synapse-gate::{_escape(redact(message, masked))}")
        if summary_path:
            append_summary(
                summary_path, f"## synapse-gate\n\n❗ The check could not run: {redact(message, masked)}\n"
            )
        return exc.exit_code
    except Exception:  # a bug: fail closed with exit 3, never 1 (which would read as "blocked")
        stderr.write(redact(traceback.format_exc(), masked))
        say("::error title=synapse-gate::internal error (traceback above); the gate fails closed")
        return EXIT_UNREADABLE

    from gate.reporters import comment as comment_reporter
    from gate.reporters import github as github_reporter
    from gate.reporters import markdown as markdown_reporter

    report = result.report
    try:
        _write_report(options.report_path, _dumps(report))
    except UsageError as exc:
        say(f"::error title=synapse-gate::{_escape(exc.message)}")
        return exc.exit_code
    annotations = github_reporter.render(report)
    if annotations:
        stdout.write(mask(annotations))
        stdout.flush()
    if summary_path:
        append_summary(summary_path, mask(markdown_reporter.render(report)))
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        write_outputs(output_path, output_values(report, options.report_path))

    if options.comment or options.check_run:
        from gate.github import publish

        for warning in publish(
            env,
            report,
            token=options.token,
            comment=options.comment,
            check_run=options.check_run,
            comment_body=lambda run_url: comment_reporter.render(report, run_url=run_url),
            resolved_body=lambda run_url: comment_reporter.render_resolved(report, run_url=run_url),
            summary=lambda: markdown_reporter.render(report, limit=60_000),
        ):
            say(f"::warning title=synapse-gate::{_escape(redact(warning, masked))}")
    return int(result.exit_code)


def _escape(message: str) -> str:
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def main() -> int:
    """Process entry: run in the workspace with the process environment."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and os.path.isdir(workspace):
        os.chdir(workspace)
    return run(os.environ, stdout=sys.stdout, stderr=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
