"""Read one large local JSON Lines file on two cores (`--jobs` > 1).

The file is cut at the first line break after a little more than its middle (PARENT_SHARE). A forked child validates the second
half with a collector of its own while the parent reads the first; the child sends back what it
kept (events as plain tuples, packed origins, counts) through a pipe, and the parent merges it as
if it had read those lines itself: duplicates, conflicts and origins come out in file order, so
the result equals a sequential read. Only the max_events cap is judged after the merge (its error
then names the file, not the line). If the child fails for any reason other than an input error,
the parent reads the second half itself: the child can only make reading faster, never different.
"""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from gate.errors import IdConflict, InputError
from gate.model import Origin

if TYPE_CHECKING:
    from gate.sources.events import EventCollector

SPLIT_MIN_BYTES = 4 << 20  # below this (~30k records), a fork costs about what it saves
# The parent's share of the file: the child also packs and sends what it read, and the parent
# unpacks and merges it, so an even cut leaves the parent waiting. Measured on the realistic
# benchmark (benchmarks/README.md): reading ~5.1 us a line, packing ~0.8, unpacking and merging ~1.0.
PARENT_SHARE = 0.56


def split_point(path: str) -> tuple[int, int] | None:
    """(size, offset just after the first line break past the parent's share), or None when not
    worth it."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(int(size * PARENT_SHARE))
        f.readline()
        mid = f.tell()
    return (size, mid) if 0 < mid < size else None


def _lines_until(stream: BinaryIO, end: int) -> Iterator[bytes]:
    pos = 0
    for line in stream:
        if pos >= end:
            return
        pos += len(line)
        yield line


def _count_lines(path: str, end: int) -> int:
    n = 0
    with open(path, "rb") as f:
        left = end
        while left > 0:
            chunk = f.read(min(left, 8 << 20))
            if not chunk:
                break
            n += chunk.count(b"\n")
            left -= len(chunk)
    return n


class SplitTask(Protocol):
    """More work for the child once it has read its half (gate.parallel.SplitEvaluation): the
    parent says what (`job`, after reading its own half), the child does it with the events it
    read (`run`), and the parent takes the answer later (Helper.result)."""

    def job(self, collector: EventCollector) -> bytes | None: ...

    def run(self, collector: EventCollector, job: bytes) -> bytes: ...


@dataclass
class Helper:
    """The child that read the second half of a file, kept for one more task (see SplitTask)."""

    pid: int
    result_fd: int
    events_before: int  # unique events the parent held when it sent the job
    events_after: int = -1  # ... and after taking over the child's events (-1: not merged)
    merged_cleanly: bool = False  # no id of the child's half was known already
    done: bool = False

    def usable(self, total_events: int) -> bool:
        """Whether the task saw exactly the events the run ends with (no duplicate across the
        halves, nothing read after the file)."""
        return not self.done and self.merged_cleanly and self.events_after == total_events

    def result(self) -> bytes | None:
        """The task's answer (waits for it), or None if the child failed."""
        if self.done:
            return None
        self.done = True
        chunks = []
        while True:
            chunk = os.read(self.result_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(self.result_fd)
        _, status = os.waitpid(self.pid, 0)
        return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None

    def close(self) -> None:
        """Stop the child if its answer was never taken."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.close(self.result_fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _child(
    collector: EventCollector, name: str, path: str, mid: int, write_fd: int, shared: mmap.mmap
) -> None:
    """Runs in the forked child: read [mid, end) and leave one marshalled answer: in the shared
    memory when it fits (the pipe then carries only its length), else through the pipe."""
    try:
        first_line = _count_lines(path, mid) + 1
        with open(path, "rb") as f:
            f.seek(mid)
            collector._add_jsonl(name, f, first_line=first_line, count_cap=False)
        answer: Any = ("ok", collector.part())
    except IdConflict as e:  # the parent may know an earlier first place of this id
        answer = ("conflict", e.event_id, tuple(e.origin), tuple(e.first))
    except InputError as e:
        answer = ("input-error", e.message, e.hint)
    except BaseException as e:  # noqa: BLE001 - the parent reads this half itself instead
        answer = ("failed", f"{type(e).__name__}: {e}")
    data = marshal.dumps(answer)
    with os.fdopen(write_fd, "wb") as out:
        if len(data) <= len(shared):
            shared[: len(data)] = data
            out.write(b"M%d" % len(data))
        else:
            out.write(b"P" + data)


def _child_task(collector: EventCollector, job_fd: int, job_shared: mmap.mmap, result_fd: int) -> None:
    """Runs in the forked child after its answer: wait for the parent's job, do it, answer."""
    with os.fdopen(job_fd, "rb") as pipe:
        header = pipe.read()
    if not header or collector.task is None:
        return  # nothing to do
    with memoryview(job_shared) as view, view[: int(header)] as job:
        out = collector.task.run(collector, bytes(job))
    with os.fdopen(result_fd, "wb") as pipe:
        pipe.write(out)


def answer_room(path: str, mid: int) -> int:
    """Bytes of shared memory for the child's answer: twice what it reads covers it (its largest
    part, the events' canonical encodings, is about the size of the lines they came from)."""
    return 2 * (os.path.getsize(path) - mid) + (1 << 20)


def read_split(collector: EventCollector, name: str, stream: BinaryIO, path: str, mid: int) -> None:
    """Read `stream` (the whole file `path`) into `collector`, the part after `mid` in a child.
    With a `collector.task`, the child then stays for it (collector.helpers)."""
    from gate.sources.events import EventCollector

    # Copying the answer (about 1.3 bytes per byte read) through a pipe takes longer than reading it
    # from memory both processes map; pages are only used as far as they are written.
    shared = mmap.mmap(-1, answer_room(path, mid))
    job_shared = mmap.mmap(-1, answer_room(path, mid)) if collector.task is not None else None
    read_fd, write_fd = os.pipe()
    job_r, job_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, checked through its answer
        code = 1
        try:
            os.close(read_fd)
            os.close(job_w)
            os.close(result_r)
            child = EventCollector(collector.types, collector.limits, keep=collector.keep)
            child.task = collector.task
            _child(child, name, path, mid, write_fd, shared)
            if job_shared is not None:
                _child_task(child, job_r, job_shared, result_w)
            code = 0
        finally:
            os._exit(code)
    for fd in (write_fd, job_r, result_w):
        os.close(fd)
    helper = Helper(pid, result_r, events_before=-1)
    job_pipe, answer_pipe = os.fdopen(job_w, "wb"), os.fdopen(read_fd, "rb")
    try:
        collector._add_jsonl(name, _lines_until(stream, mid), count_cap=False)
        # The child has the second half; give it its next job now, so that it works on it while
        # this process takes over what it read.
        job = collector.task.job(collector) if collector.task is not None else None
        with job_pipe:
            if job is not None and job_shared is not None and len(job) <= len(job_shared):
                job_shared[: len(job)] = job
                job_pipe.write(b"%d" % len(job))
                helper.events_before = len(collector._events)
        with answer_pipe:
            payload = answer_pipe.read()
        try:
            if payload[:1] == b"M":
                with memoryview(shared) as view, view[: int(payload[1:])] as part:
                    answer = marshal.loads(part)
            else:
                answer = marshal.loads(payload[1:])
        except (EOFError, ValueError, TypeError):
            answer = ("failed", "no answer")
        finally:
            shared.close()
            if job_shared is not None:
                job_shared.close()
        if answer[0] == "input-error":
            raise InputError(answer[1], hint=answer[2])
        if answer[0] == "conflict":
            _, eid, origin, first = answer
            known = collector.first_origin(eid)
            raise IdConflict(eid, Origin(*origin), known if known is not None else Origin(*first))
        if answer[0] == "ok":
            helper.merged_cleanly = collector._merge_part(name, answer[1])
            helper.events_after = len(collector._events)
        else:
            helper.close()
            first_line = _count_lines(path, mid) + 1
            with open(path, "rb") as f:
                f.seek(mid)
                collector._add_jsonl(name, f, first_line=first_line)
    except BaseException:
        helper.close()
        job_pipe.close()
        answer_pipe.close()
        raise
    if helper.events_before < 0:
        helper.close()  # no job was given: the child has ended
    else:
        collector.helpers.append(helper)
    collector._check_event_cap(Origin(name, None))
