"""Local sources: files, directories (recursive, sorted), globs, `file://` URLs and stdin."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from gate.errors import InputError
from gate.sources.archives import is_archive_name, read_local_archive
from gate.sources.base import Limits, RawDocument, SourceContext

EVENT_EXTENSIONS = (".jsonl", ".ndjson", ".json", ".yaml", ".yml")
GLOB_CHARS = set("*?[")


def display_name(path: str) -> str:
    """A path as reports show it: relative to the working directory when below it, forward slashes."""
    p = Path(path)
    if p.is_absolute():
        with contextlib.suppress(ValueError):  # not below the working directory: keep it absolute
            p = p.relative_to(Path.cwd())
    return PurePosixPath(*p.parts).as_posix() if p.parts else "."


def _nothing() -> BinaryIO:
    """The opener of a skipped document: it is listed, never read."""
    return io.BytesIO(b"")


def _file_document(path: Path, name: str) -> RawDocument:
    return RawDocument(name=name, opener=lambda: open(path, "rb"))  # noqa: SIM115 - caller closes


def _walk_dir(root: Path, shown: str, limits: Limits) -> Iterator[RawDocument]:
    entries: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in filenames:
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            entries.append((rel, full))
    for rel, full in sorted(entries):
        name = f"{shown.rstrip('/')}/{rel}"
        if full.name.startswith("."):
            yield RawDocument(name=name, opener=_nothing, skip_reason="hidden file")
        elif is_archive_name(full.name):
            yield from read_local_archive(full, name, limits)
        elif full.suffix.lower() in EVENT_EXTENSIONS:
            yield _file_document(full, name)
        else:
            yield RawDocument(name=name, opener=_nothing, skip_reason="not an event file extension")


class LocalSource:
    """A path, a directory or a glob pattern. A path that does not exist, or a glob that matches
    nothing, is an input error (exit 2): a gate must not pass because its evidence was mistyped."""

    def __init__(self, ref: str, ctx: SourceContext) -> None:
        self.ref = ref
        self.ctx = ctx

    def documents(self) -> Iterator[RawDocument]:
        ref = self.ref
        if any(c in GLOB_CHARS for c in ref) and not os.path.exists(ref):
            matches = sorted(glob.glob(ref, recursive=True))
            if not matches:
                raise InputError(f"{ref}: the pattern matches no file")
            for m in matches:
                yield from LocalSource(m, self.ctx).documents()
            return
        path = Path(ref)
        if path.is_dir():
            yield from _walk_dir(path, display_name(ref), self.ctx.limits)
        elif path.is_file() and is_archive_name(path.name):
            yield from read_local_archive(path, display_name(ref), self.ctx.limits)
        elif path.is_file():
            yield _file_document(path, display_name(ref))
        elif path.exists():
            raise InputError(f"{ref}: not a regular file or directory")
        else:
            raise InputError(f"{ref}: no such file or directory")


class StdinSource:
    """`-`: JSON Lines (or a JSON array / YAML list, detected by content) read from standard input."""

    def __init__(self, ctx: SourceContext) -> None:
        self.ctx = ctx

    def documents(self) -> Iterator[RawDocument]:
        opener = self.ctx.stdin or (lambda: sys.stdin.buffer)
        cap = self.ctx.limits.max_document_bytes
        data = opener().read(cap + 1)  # never more than the cap in memory
        if len(data) > cap:
            raise InputError(
                f"<stdin>: more than {cap} bytes, over the per-document cap (max_document_bytes)",
                hint="raise the cap with --max-document-bytes if this size is expected",
            )
        yield RawDocument.from_bytes("<stdin>", data, kind="auto")


def open_file_url(ref: str, ctx: SourceContext) -> LocalSource:
    """`file:///abs/path` (or `file:relative`) -> the same as the plain path."""
    parts = urlsplit(ref)
    if parts.netloc not in ("", "localhost"):
        raise InputError(f"{ref}: file URLs must name a local path (host {parts.netloc!r} given)")
    return LocalSource(unquote(parts.path), ctx)
