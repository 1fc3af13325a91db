"""Fixtures for the governance tests: the seed example and a lineage-tagged history in temporary
directories, and a writer for waivers files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from gov_support import EXAMPLE


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """The seed walkthrough (SPEC 5): blocked by three governance_action_required and one
    release_gate_triggered, all in the lineage-less partition."""
    dst = tmp_path / "events.jsonl"
    shutil.copyfile(EXAMPLE, dst)
    return dst


@pytest.fixture
def lineages(tmp_path: Path) -> Path:
    """Run 1 of the example in lineage `alpha`, run 2 in `beta`: one governance_action_required each."""
    out = []
    for line in EXAMPLE.read_text().splitlines():
        ev = json.loads(line)
        run = ev["props"]["run"]
        if run == 3:
            continue
        ev["lineage"] = "alpha" if run == 1 else "beta"
        out.append(json.dumps(ev, sort_keys=True))
    dst = tmp_path / "lineages.jsonl"
    dst.write_text("\n".join(out) + "\n")
    return dst


@pytest.fixture
def write_waivers(tmp_path: Path) -> Callable[..., Path]:
    def write(*items: str, name: str = "waivers.yaml") -> Path:
        p = tmp_path / name
        p.write_text("".join(items))
        return p

    return write
