"""Use the other cores (`--jobs`): lineage partitions and the input digest in forked processes.

Partitions are independent (SPEC 3.7). Workers are forked after the events are read, so they
inherit the parsed events instead of receiving them; each sends back its partitions' results, and
results are put back in partition order, so the report is byte-identical to a sequential run.
When a large file was read on two cores, its child evaluates a share of the lineages instead
(SplitEvaluation), as soon as this process has read its own half. Where fork is unavailable,
evaluation stays sequential.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from operator import itemgetter

from gate.engine import PartitionResult, evaluate_partition, partition_events
from gate.model import Event
from gate.policy.model import Policy
from gate.sources.events import EventCollector, Inputs, canonical_order
from gate.sources.split import Helper

MAX_AUTO_JOBS = 8
PARALLEL_MIN_EVENTS = 20_000  # events to evaluate; below this a forked worker costs more than it saves


def resolve_jobs(jobs: int) -> int:
    """`--jobs` as given, or for 0 one process per CPU this process may run on (at most 8)."""
    if jobs > 0:
        return jobs
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_AUTO_JOBS))


def evaluate_sorting(
    policy: Policy, name: str | None, events: Sequence[Event], evidence_for: frozenset[str]
) -> PartitionResult:
    """One partition's result, its events put in canonical order first (each process sorts its own
    partitions: sorting is part of the work shared out, like the evidence of `evidence_for` types)."""
    return evaluate_partition(policy, name, canonical_order(events), evidence_for)


def evaluate_parallel(
    policy: Policy,
    parts: Sequence[tuple[str | None, Sequence[Event]]],
    jobs: int,
    evidence_for: frozenset[str] = frozenset(),
) -> list[PartitionResult]:
    """Each partition's result, in partition order.

    The partitions are dealt into `jobs` groups of about equal size (largest first, each to the
    lightest group). This process evaluates the first group; a forked child evaluates each other
    group and sends its results back pickled. A child that fails changes nothing: its group is
    evaluated here instead."""
    small = sum(len(evs) for _, evs in parts) < PARALLEL_MIN_EVENTS
    if small or not hasattr(os, "fork") or jobs < 2 or len(parts) < 2:
        return [evaluate_sorting(policy, n, evs, evidence_for) for n, evs in parts]
    groups = _deal([len(evs) for _, evs in parts], min(jobs, len(parts)))
    pending = [_fork_group(policy, parts, group, evidence_for) for group in groups[1:]]
    results: dict[int, PartitionResult] = {}
    try:
        for i in groups[0]:
            results[i] = evaluate_sorting(policy, parts[i][0], parts[i][1], evidence_for)
        while pending:
            pid, fd, group = pending.pop(0)
            answer = _collect(pid, fd)
            if isinstance(answer, list) and len(answer) == len(group):
                results.update(zip(group, answer, strict=True))
            else:
                for i in group:
                    results[i] = evaluate_sorting(policy, parts[i][0], parts[i][1], evidence_for)
    finally:
        for pid, fd, _ in pending:  # only when this process failed: stop the others
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.close(fd)
                os.waitpid(pid, 0)
    return [results[i] for i in range(len(parts))]


def _deal(sizes: Sequence[int], n: int) -> list[list[int]]:
    """Indices of `sizes` in n groups of about equal sums (longest processing time first)."""
    groups: list[list[int]] = [[] for _ in range(n)]
    loads = [0] * n
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        lightest = loads.index(min(loads))
        groups[lightest].append(i)
        loads[lightest] += sizes[i]
    return [sorted(g) for g in groups if g]


def _fork_group(
    policy: Policy,
    parts: Sequence[tuple[str | None, Sequence[Event]]],
    group: list[int],
    evidence_for: frozenset[str],
) -> tuple[int, int, list[int]]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, checked through its answer
        code = 1
        try:
            os.close(read_fd)
            answer = [evaluate_sorting(policy, parts[i][0], parts[i][1], evidence_for) for i in group]
            with os.fdopen(write_fd, "wb") as out:
                out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd, group


def _collect(pid: int, fd: int) -> object:
    """A child's unpickled answer, or None if it failed."""
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    try:
        return pickle.loads(data)  # noqa: S301 - written by our own forked child, never by an input
    except Exception:  # noqa: BLE001 - a truncated answer: evaluate the group here
        return None


HELPER_SHARE = 0.58  # of the events evaluated; measured on the realistic benchmark (benchmarks/README.md)


_LINEAGE = itemgetter(4)  # Event.lineage


class SplitEvaluation:
    """The second core's share of evaluation, given to the child of a two-core read
    (gate.sources.split) as soon as this process has read its own half: the child evaluates the
    partitions of about half the lineages with the events it read and those sent to it, while
    this process takes over the child's events and evaluates the others. `collect` gives the
    child's results only when the events it saw are exactly those of the whole run."""

    def __init__(self, policy: Policy, wanted: frozenset[str], evidence_for: frozenset[str]) -> None:
        self.policy = policy
        self.wanted = wanted
        self.evidence_for = evidence_for
        self.names: tuple[str, ...] = ()  # the child's lineages, once a job was made

    def job(self, collector: EventCollector) -> bytes | None:
        wanted = self.wanted
        kept = [e for e in filter(None, collector._events) if e.type in wanted]  # (None: not kept)
        sizes = Counter(map(_LINEAGE, kept))
        sizes.pop(None, None)
        if len(sizes) < 2:
            return None
        # The child is idle while this process takes over what it read: it gets the larger share.
        target = HELPER_SHARE * sum(sizes.values())
        mine: list[str] = []
        load = 0
        for n in sorted(sizes, key=lambda n: (-sizes[n], n)):
            if load + sizes[n] <= target or not mine:
                mine.append(n)
                load += sizes[n]
        if len(mine) == len(sizes):
            mine.pop()  # leave this process at least one lineage
        self.names = tuple(sorted(mine))
        theirs = set(self.names)
        theirs.add(None)  # type: ignore[arg-type]  # lineage-less events go to every partition
        send = list(map(tuple, [e for e in kept if e.lineage in theirs]))
        return marshal.dumps((self.names, send))

    def run(self, collector: EventCollector, job: bytes) -> bytes:
        names, received = marshal.loads(job)
        theirs = set(names)
        events = [
            e
            for e in collector._events
            if e is not None and e.type in self.wanted and (e.lineage is None or e.lineage in theirs)
        ]
        events.extend(map(Event._make, received))
        parts = partition_events(events, presorted=True, names=names)
        results = [evaluate_sorting(self.policy, n, evs, self.evidence_for) for n, evs in parts]
        return pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)

    def collect(self, helper: Helper) -> dict[str | None, PartitionResult] | None:
        """The child's results by partition, or None (then evaluate those partitions here)."""
        data = helper.result()
        if data is None:
            return None
        try:
            results = pickle.loads(data)  # noqa: S301 - written by our own forked child, never an input
        except Exception:  # noqa: BLE001 - a truncated answer
            return None
        if not isinstance(results, list) or [r.partition for r in results] != list(self.names):
            return None
        return {r.partition: r for r in results}


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
