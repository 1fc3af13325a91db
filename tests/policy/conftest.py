"""Fixtures for the policy-authoring tests: a CLI runner that shows output on failure, golden files.

Set UPDATE_GOLDEN=1 to rewrite the golden files from the current output (then review the diff).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gate.cli import main
from gate.policy.scenario_runner import shipped_scenarios_dir

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
LINT_CASES = HERE / "lint_cases"
REPO = HERE.parent.parent

Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """Run the CLI in-process; `expect` is the exit code, and a mismatch shows stdout and stderr."""

    def run(*args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == expect, (
            f"exit {result.exit_code} (expected {expect}) for {args}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
        return result

    return run


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(actual, encoding="utf-8")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{name} differs from the golden file (UPDATE_GOLDEN=1 rewrites it)"

    return check


@pytest.fixture
def scenario_copy(tmp_path: Path) -> Callable[[str, str], Path]:
    """A writable copy of a shipped scenario folder: (policy, case) -> folder."""

    def copy(policy: str, case: str) -> Path:
        dest = tmp_path / case
        shutil.copytree(shipped_scenarios_dir(policy) / case, dest)
        return dest

    return copy
