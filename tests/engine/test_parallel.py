"""--jobs: partitions and the input digest in forked processes give exactly the single-process report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from helpers import ROOT, run_check

from gate.model import Event
from gate.parallel import MAX_AUTO_JOBS, digest_in_background, resolve_jobs
from gate.report import dumps
from gate.sources.events import Inputs, OriginTable

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402


def test_background_digest_equals_the_inline_one():
    events = [Event(f"e{i}", "run_started", i * 10**9, None, None, {"k": i % 7}) for i in range(60_000)]
    inputs = Inputs(events=events, origins=OriginTable())
    pending = digest_in_background(inputs, jobs=2)
    assert pending._pid is not None  # really forked
    assert pending.get() == Inputs(events=list(reversed(events)), origins=OriginTable()).digest()


def test_background_digest_is_not_used_for_one_job_or_small_inputs():
    small = Inputs(events=[Event("a", "run_started", 0)], origins=OriginTable())
    assert digest_in_background(small, jobs=4)._pid is None
    assert digest_in_background(small, jobs=1).get() == small.digest()


def test_closing_a_pending_digest_reaps_the_child():
    events = [Event(f"e{i}", "run_started", i) for i in range(60_000)]
    pending = digest_in_background(Inputs(events=events, origins=OriginTable()), jobs=2)
    pid = pending._pid
    pending.close()
    assert pending._pid is None and pid is not None


def test_jobs_give_a_byte_identical_report(tmp_path: Path):
    path = tmp_path / "h.jsonl"
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in generate(60_000, 4, 3, profile="ladder")))
    one = dumps(run_check(path, jobs=1).report)
    two = dumps(run_check(path, jobs=2).report)
    assert one == two


def test_jobs_zero_means_one_per_available_cpu():
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert resolve_jobs(0) == min(cpus or 1, MAX_AUTO_JOBS)
    assert resolve_jobs(3) == 3


# -- the two-core reader's child evaluating part of the lineages (gate.parallel.SplitEvaluation) --


@pytest.fixture
def split_everything(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Read every JSON Lines file on two cores, and record whether the child's evaluation was used."""
    import gate.run
    from gate.parallel import SplitEvaluation

    monkeypatch.setattr(gate.run, "SPLIT_MIN_BYTES", 1)
    used: list[object] = []
    real = SplitEvaluation.collect
    monkeypatch.setattr(
        SplitEvaluation, "collect", lambda self, helper: used.append(real(self, helper)) or used[-1]
    )
    return used


def _history(tmp_path: Path, extra: list[dict] | None = None) -> Path:
    import json

    records = list(generate(6_000, 5, 9, profile="ladder")) + (extra or [])
    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_the_child_evaluates_lineages_and_the_report_is_unchanged(
    tmp_path: Path, split_everything: list[object]
):
    path = _history(tmp_path)
    two = dumps(run_check(path, jobs=2).report)
    assert split_everything and split_everything[0] is not None  # the child's results were used
    assert two == dumps(run_check(path, jobs=1).report)
    picked = {"lineages": ("ft-01", "ft-03")}
    assert dumps(run_check(path, jobs=2, **picked).report) == dumps(run_check(path, jobs=1, **picked).report)


def test_a_duplicate_across_the_halves_makes_the_child_work_unused(
    tmp_path: Path, split_everything: list[object]
):
    import json

    first = json.loads(_history(tmp_path).read_text().splitlines()[0])
    path = _history(tmp_path, [first])  # the first record again, at the end (in the child's half)
    two = run_check(path, jobs=2)
    assert two.inputs.merged_duplicates == 1
    assert split_everything == []  # not even asked for
    assert dumps(two.report) == dumps(run_check(path, jobs=1).report)


def test_events_read_after_the_split_file_make_the_child_work_unused(
    tmp_path: Path, split_everything: list[object]
):
    import json

    path = _history(tmp_path)
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps(
            {
                "id": "late",
                "type": "spec_constraint_violation",
                "timestamp": "2026-01-02T00:00:00Z",
                "lineage": "ft-00",
            }
        )
        + "\n"
    )
    two = run_check(path, later, jobs=2)
    assert split_everything == []
    assert dumps(two.report) == dumps(run_check(path, later, jobs=1).report)


def test_a_failing_child_changes_nothing(
    tmp_path: Path, split_everything: list[object], monkeypatch: pytest.MonkeyPatch
):
    from gate.parallel import SplitEvaluation

    def crash(self: object, collector: object, job: bytes) -> bytes:
        os._exit(5)

    monkeypatch.setattr(SplitEvaluation, "run", crash)
    path = _history(tmp_path)
    two = dumps(run_check(path, jobs=2).report)
    assert split_everything == [None]  # asked, failed, evaluated here instead
    assert two == dumps(run_check(path, jobs=1).report)


def test_a_failing_evaluation_worker_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import gate.parallel

    parent = os.getpid()
    real = gate.parallel.evaluate_sorting

    def dies_in_a_child(*args: object) -> object:
        if os.getpid() != parent:
            os._exit(7)
        return real(*args)  # type: ignore[arg-type]

    path = tmp_path / "h.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in generate(60_000, 4, 3, profile="ladder")))
    one = dumps(run_check(path, jobs=1).report)
    monkeypatch.setattr(gate.parallel, "evaluate_sorting", dies_in_a_child)
    assert dumps(run_check(path, jobs=2).report) == one
