"""The GitHub-facing reporters on real reports: `gate.run.check` over the bundled examples, golden files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gate.reporters import comment, github, markdown
from gate.run import CheckRequest, check

ROOT = Path(__file__).resolve().parents[2]
RUN_URL = "https://github.com/acme/models/actions/runs/1"
# name -> (request, exit code): as-of fixed so that waiver expiry does not depend on the day
CASES: dict[str, tuple[CheckRequest, int]] = {
    "drifting": (CheckRequest(events=("examples/drifting/",), as_of="2026-03-15"), 1),
    "multi-lineage": (
        CheckRequest(
            events=("examples/multi-lineage/",), waivers="examples/waivers.yaml", as_of="2026-03-15"
        ),
        1,
    ),
    "clean": (CheckRequest(events=("examples/clean/",), as_of="2026-03-15"), 0),
}


def _report(name: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(ROOT)  # origins keep paths as given: relative to the repository, like the action's
    request, exit_code = CASES[name]
    result = check(request)
    assert result.exit_code == exit_code
    report: dict[str, Any] = result.report
    return report


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_outputs_of_the_examples(name: str, monkeypatch: pytest.MonkeyPatch, golden: Any) -> None:
    report = _report(name, monkeypatch)
    golden(f"{name}-annotations.txt", github.render(report))
    golden(f"{name}-summary.md", markdown.render(report))
    if report["verdict"]["blocking"]:
        body = comment.render(report, run_url=RUN_URL)
        golden(f"{name}-comment.md", body)


@pytest.mark.parametrize("name", ["drifting", "multi-lineage"])
def test_every_blocking_leaf_is_in_the_summary(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(name, monkeypatch)
    text = markdown.render(report)
    assert report["verdict"]["blocking"]
    for c in report["verdict"]["blocking"]:
        assert f"`{c['id']}`" in text
        for leaf in c["evidence"]:
            origin = report["origins"][leaf][0]
            assert f"`{origin['file']}:{origin['line']}`" in text


def test_expired_waivers_are_said(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report("multi-lineage", monkeypatch)
    assert "waiver-expired" in github.render(report)
    assert "expired on" in markdown.render(report)


@pytest.mark.parametrize("fmt", ["github", "markdown", "comment"])
def test_cli_format_choice(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gate.cli import main

    monkeypatch.chdir(ROOT)
    args = ["check", "examples/drifting/", "--as-of", "2026-03-15", "--format", fmt]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    expected = {"github": github.render, "markdown": markdown.render, "comment": comment.render}[fmt]
    assert result.stdout == expected(_report("drifting", monkeypatch))
