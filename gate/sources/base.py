"""The source plug-point: what every evidence source returns, and the error it raises.

A *source* turns one command-line reference (a path, a glob, `-`, a URL, an artifact reference)
into raw documents. Sources never parse events: `gate.sources.events` parses every document the
same way, whatever it came from, so that the same bytes always give the same events.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Protocol

from gate.errors import SourceError

if TYPE_CHECKING:
    from gate.http import HttpClient

__all__ = ["RawDocument", "Source", "SourceContext", "SourceError", "Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource caps for everything the gate reads (raise them with CLI flags; SECURITY.md lists them).
    Going over a cap is an error naming the cap, never a truncation."""

    max_document_bytes: int = 1 << 30  # one document (file, stdin, download, archive member)
    max_download_bytes: int = 512 << 20  # one HTTP response body
    max_archive_members: int = 10_000
    max_archive_total_bytes: int = 1 << 30
    max_compression_ratio: int = 200
    max_events: int = 20_000_000  # event records read in one run (duplicates included)
    max_depth: int = 64  # nesting of lists/objects in one event record or YAML document (at most 256)
    max_rules: int = 1_000  # rules + patterns + compositions of one policy (gate.policy.loader.MAX_RULES)


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source may use: flags and the environment, passed in explicitly (never read globally)."""

    offline: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    stdin: Callable[[], BinaryIO] | None = None
    progress: bool = False  # progress lines on stderr for large downloads
    allow_http: bool = False  # plain http:// to a non-loopback host (loopback is always allowed)
    http: HttpClient | None = None  # one client shared by the network sources (None: each builds one)


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One readable document. `name` is what errors and reports show: a path as the user gave it
    (forward slashes), `<stdin>`, `artifact://owner/repo/name/member`, or a URL with its query
    string removed. It must never contain a secret. `opener` returns a fresh binary stream."""

    name: str
    opener: Callable[[], BinaryIO]
    kind: str | None = None  # None: by extension (.jsonl/.ndjson, .json, .yaml/.yml); else a format name
    skip_reason: str | None = None  # set: not read, but listed in the report as skipped (never silent)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, kind: str | None = None) -> RawDocument:
        return cls(name=name, opener=lambda: io.BytesIO(data), kind=kind)


class Source(Protocol):
    """A resolved reference. `documents()` yields every document or raises SourceError/InputError;
    a source that cannot be read completely must raise, never yield a partial set silently."""

    def documents(self) -> Iterator[RawDocument]: ...
