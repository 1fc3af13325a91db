"""Paths of the eval fixtures: the real samples and the files written for the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "evals"
SAMPLES = FIXTURES / "samples"


# Real lm-evaluation-harness results, relative to FIXTURES (tests run from there: see in_fixtures).
BLOOM_1B1 = "samples/lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json"
BLOOM_1B7 = "samples/lm-evaluation-harness/bloom-1b7_common_sense_reasoning_0-shot.json"
PYTHIA_14M = "samples/lm-evaluation-harness/results_2024-06-03T01-43-18.023720.json"
PYTHIA_70M = "samples/lm-evaluation-harness/results_2024-06-03T01-43-43.303701.json"
T0 = "2023-05-06T00:00:00Z"  # the bloom files carry no time of their own


@pytest.fixture
def in_fixtures() -> Iterator[None]:
    """Run from the fixtures folder, so that display names are the short relative paths."""
    old = os.getcwd()
    os.chdir(FIXTURES)
    try:
        yield
    finally:
        os.chdir(old)
