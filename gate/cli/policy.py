"""`synapse-gate policy list|show|test|init|lint`: thin shells over the modules of `gate.policy`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gate.cli.app import main
from gate.cli.common import handle_errors
from gate.policy import builtin_names, load_policy
from gate.policy.init import write_starter
from gate.policy.lint import lint
from gate.policy.lint import render as render_lint
from gate.policy.mermaid import render_mermaid
from gate.policy.model import Policy
from gate.policy.scenario_runner import default_case_dirs, run_tests
from gate.policy.scenario_runner import render as render_tests


def summary_line(policy: Policy) -> str:
    """The first line of the policy's description, else a count of what it holds."""
    for line in policy.description.splitlines():
        if line.strip():
            return line.strip()
    counts = [
        (len(policy.rules), "rule"),
        (len(policy.patterns), "pattern"),
        (len(policy.compositions), "composition"),
    ]
    held = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts)
    return f"{held}; blocking: {', '.join(policy.blocking)}"


@main.group("policy")
def policy_group() -> None:
    """Write, inspect, lint and test policies (built-in names or YAML files)."""


@policy_group.command("list")
@handle_errors
def list_cmd() -> None:
    """List the built-in policies with the first line of their description."""
    names = builtin_names()
    width = max(len(n) for n in names)
    for name in names:
        click.echo(f"{name.ljust(width)}  {summary_line(load_policy(name))}")


@policy_group.command("show")
@click.argument("policy")
@click.option(
    "--mermaid", is_flag=True, help="Print a Mermaid flowchart of the hierarchy instead of the YAML."
)
@handle_errors
def show_cmd(policy: str, mermaid: bool) -> None:
    """Print POLICY (a built-in name or a file) as shipped, or as a Mermaid flowchart."""
    loaded = load_policy(policy)
    text = render_mermaid(loaded) if mermaid else loaded.text
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@policy_group.command("test")
@click.argument("policy")
@click.argument("cases", nargs=-1, type=click.Path(path_type=Path), metavar="[CASES_DIR]...")
@handle_errors
def test_cmd(policy: str, cases: tuple[Path, ...]) -> None:
    """Run scenario folders (events + expect.yaml) against POLICY.

    CASES_DIR is a scenario folder or a folder holding scenario folders. Default: the scenarios shipped
    with a built-in policy, or `scenarios/` beside a policy file. Exit 0 all pass, 1 a scenario failed,
    2 an invalid expect.yaml, policy or event file.
    """
    run = run_tests(policy, list(cases) or default_case_dirs(policy))
    sys.stdout.write(render_tests(run))
    sys.exit(run.exit_code)


@policy_group.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path), metavar="[DIR]")
@handle_errors
def init_cmd(directory: Path) -> None:
    """Write a commented starter policy and one scenario folder into DIR (default: here).

    Never overwrites: if any of the files exists, nothing is written (exit 2)."""
    for path in write_starter(directory):
        click.echo(f"wrote {path.as_posix()}")
    policy_file = (directory / "policy.yaml").as_posix()
    click.echo(f"next: synapse-gate policy test {policy_file}")


@policy_group.command("lint")
@click.argument("policy")
@handle_errors
def lint_cmd(policy: str) -> None:
    """Warn about likely mistakes in POLICY. Exit 0 no warnings, 1 warnings, 2 invalid policy.

    Checks: never-fires, short-window, blocking-underived, same-type-or, pattern-unreachable
    (see docs/policies.md for each heuristic)."""
    loaded = load_policy(policy)
    warnings = lint(loaded)
    sys.stdout.write(render_lint(loaded, warnings))
    sys.exit(1 if warnings else 0)
