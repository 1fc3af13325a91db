"""Fixtures for the reporter tests: the hand-written contract report and whole-file golden comparison.

Set UPDATE_GOLDEN=1 to rewrite the golden files from the current output (then review the diff).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
GOLDEN = HERE.parent / "golden" / "reporters"


@pytest.fixture
def blocked_report() -> dict[str, Any]:
    """A report written by hand after the report contract: one lineage, one blocking conclusion."""
    data: dict[str, Any] = json.loads((HERE / "fixtures" / "blocked.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    def check(name: str, actual: str) -> None:
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)"

    return check
