"""Paths of the eval fixtures: the real samples and the files written for the tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "evals"
SAMPLES = FIXTURES / "samples"
