"""Use the other cores (`--jobs`): lineage partitions and the input digest in forked processes.

Partitions are independent (SPEC 3.7). Workers are forked after the events are read, so they
inherit the parsed events instead of receiving them through pickling; each returns its
partition's result, and results are put back in partition order, so the report is byte-identical
to a sequential run. Where fork is unavailable, evaluation stays sequential.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence

from gate.engine import PartitionResult, evaluate_partition
from gate.model import Event
from gate.policy.model import Policy
from gate.sources.events import Inputs

MAX_AUTO_JOBS = 8


def resolve_jobs(jobs: int) -> int:
    """`--jobs` as given, or for 0 one process per CPU this process may run on (at most 8)."""
    if jobs > 0:
        return jobs
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS))


_WORK: tuple[Policy, Sequence[tuple[str | None, Sequence[Event]]], Sequence[int]] | None = None


def _evaluate_one(i: int) -> PartitionResult:
    assert _WORK is not None
    policy, parts, totals = _WORK
    name, events = parts[i]
    return evaluate_partition(policy, name, events, totals[i])


def evaluate_parallel(
    policy: Policy, parts: Sequence[tuple[str | None, Sequence[Event]]], jobs: int, totals: Sequence[int]
) -> list[PartitionResult]:
    """Each partition's result, in partition order (`totals`: each partition's count of events)."""
    global _WORK
    if "fork" not in multiprocessing.get_all_start_methods() or jobs < 2 or len(parts) < 2:
        return [evaluate_partition(policy, n, evs, t) for (n, evs), t in zip(parts, totals, strict=True)]
    # Largest partitions first, so one long partition does not start last.
    order = sorted(range(len(parts)), key=lambda i: -len(parts[i][1]))
    _WORK = (policy, parts, totals)
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(processes=min(jobs, len(parts))) as pool:
            results = dict(zip(order, pool.map(_evaluate_one, order, chunksize=1), strict=True))
    finally:
        _WORK = None
    return [results[i] for i in range(len(parts))]


class Pending:
    """A digest computed in a forked child while the caller goes on; `get()` waits for it. The child
    writes its answer (a few dozen bytes, so one atomic write) to a pipe and exits; any failure
    there falls back to computing the value here, so the result never depends on the child."""

    def __init__(self, compute: Callable[[], str], pid: int | None = None, fd: int | None = None) -> None:
        self._compute = compute
        self._pid = pid
        self._fd = fd

    def get(self) -> str:
        if self._pid is None or self._fd is None:
            return self._compute()
        chunks = []
        while True:
            chunk = os.read(self._fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
        ok = self._reap() == 0
        text = b"".join(chunks).decode("ascii", "replace")
        return text if ok and text.startswith("sha256:") else self._compute()

    def close(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()

    def _reap(self) -> int:
        status = 1
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            _, code = os.waitpid(self._pid, 0)
            status = os.waitstatus_to_exitcode(code)
            self._pid = None
        return status


def digest_in_background(inputs: Inputs, jobs: int) -> Pending:
    """The input digest (sha256 over every canonical event) computed by a forked child, which
    inherits the events instead of receiving them; in place when there is one job, few events, or
    no fork."""
    if jobs < 2 or len(inputs.events) < 50_000 or not hasattr(os, "fork"):
        return Pending(inputs.digest)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, answer, and leave without running any cleanup of the parent's
        code = 1
        try:
            os.close(read_fd)
            os.write(write_fd, inputs.digest().encode("ascii"))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return Pending(inputs.digest, pid, read_fd)
