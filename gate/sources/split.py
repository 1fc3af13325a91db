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

import marshal
import mmap
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from gate.errors import IdConflict, InputError
from gate.model import Origin

if TYPE_CHECKING:
    from gate.sources.events import EventCollector

SPLIT_MIN_BYTES = 32 << 20  # below this, a fork costs more than it saves
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


def answer_room(path: str, mid: int) -> int:
    """Bytes of shared memory for the child's answer: twice what it reads covers it (its largest
    part, the events' canonical encodings, is about the size of the lines they came from)."""
    return 2 * (os.path.getsize(path) - mid) + (1 << 20)


def read_split(collector: EventCollector, name: str, stream: BinaryIO, path: str, mid: int) -> None:
    """Read `stream` (the whole file `path`) into `collector`, the part after `mid` in a child."""
    from gate.sources.events import EventCollector

    # Copying the answer (about 1.3 bytes per byte read) through a pipe takes longer than reading it
    # from memory both processes map; pages are only used as far as they are written.
    shared = mmap.mmap(-1, answer_room(path, mid))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, checked through its answer
        code = 1
        try:
            os.close(read_fd)
            _child(
                EventCollector(collector.types, collector.limits, keep=collector.keep),
                name,
                path,
                mid,
                write_fd,
                shared,
            )
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        collector._add_jsonl(name, _lines_until(stream, mid), count_cap=False)
        with os.fdopen(read_fd, "rb") as pipe:
            payload = pipe.read()
    except BaseException:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise
    os.waitpid(pid, 0)
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
    if answer[0] == "input-error":
        raise InputError(answer[1], hint=answer[2])
    if answer[0] == "conflict":
        _, eid, origin, first = answer
        known = collector.first_origin(eid)
        raise IdConflict(eid, Origin(*origin), known if known is not None else Origin(*first))
    if answer[0] == "ok":
        collector._merge_part(name, answer[1])
    else:
        first_line = _count_lines(path, mid) + 1
        with open(path, "rb") as f:
            f.seek(mid)
            collector._add_jsonl(name, f, first_line=first_line)
    collector._check_event_cap(Origin(name, None))
