"""Evaluate lineage partitions in parallel processes (`--jobs`): same results as one process.

Partitions are independent (SPEC 3.7). Workers are forked after the events are read, so they
inherit the parsed events instead of receiving them through pickling; each returns its
partition's result, and results are put back in partition order, so the report is byte-identical
to a sequential run. Where fork is unavailable, evaluation stays sequential.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence

from gate.engine import PartitionResult, evaluate_partition
from gate.model import Event
from gate.policy.model import Policy

_WORK: tuple[Policy, Sequence[tuple[str | None, Sequence[Event]]]] | None = None


def _evaluate_one(i: int) -> PartitionResult:
    assert _WORK is not None
    policy, parts = _WORK
    name, events = parts[i]
    return evaluate_partition(policy, name, events)


def evaluate_parallel(
    policy: Policy, parts: Sequence[tuple[str | None, Sequence[Event]]], jobs: int
) -> list[PartitionResult]:
    global _WORK
    if "fork" not in multiprocessing.get_all_start_methods() or jobs < 2 or len(parts) < 2:
        return [evaluate_partition(policy, name, evs) for name, evs in parts]
    # Largest partitions first, so one long partition does not start last.
    order = sorted(range(len(parts)), key=lambda i: -len(parts[i][1]))
    _WORK = (policy, parts)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(jobs, len(parts))) as pool:
            results = dict(zip(order, pool.map(_evaluate_one, order, chunksize=1), strict=True))
    finally:
        _WORK = None
    return [results[i] for i in range(len(parts))]
