"""--jobs: partitions and the input digest in forked processes give exactly the single-process report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
