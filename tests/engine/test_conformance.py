"""Every conformance case, with both built-in policies, matches its expected result (SPEC 3)."""

from __future__ import annotations

import json

import pytest
from helpers import CASES, digest, expected_digest, run_check

CASE_FILES = sorted(CASES.glob("*/expected.*.json"))


@pytest.mark.parametrize("expected_file", CASE_FILES, ids=lambda p: f"{p.parent.name}-{p.name[9:-5]}")
def test_case_matches_expected(expected_file):
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    result = run_check(expected_file.parent / "events.jsonl", policy=expected["policy"])
    assert digest(result.report) == expected_digest(expected)
    assert result.exit_code == (1 if expected["blocked"] else 0)


def test_all_cases_present():
    # Both built-in policies for each of the ten shipped cases.
    assert len(CASE_FILES) == 20
