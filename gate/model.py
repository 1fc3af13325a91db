"""Immutable value objects passed between the stages: leaf events, their origins, derived events.

Events, derived events and pattern matches are NamedTuples rather than frozen dataclasses: they are
created once per input line and per derivation (millions in a large history), and a NamedTuple is
built about three times faster while being just as immutable.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from typing import Any, NamedTuple

from gate.timefmt import format_timestamp


class Origin(NamedTuple):
    """Where a leaf event was read: a document name as reports show it and a 1-based line (or None)."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class Event(NamedTuple):
    """A leaf event (SPEC 2) after validation: time as ns since epoch (UTC), domain resolved."""

    id: str
    type: str
    ts: int
    domain: str | None = None
    lineage: str | None = None
    props: dict[str, Any] = {}  # noqa: RUF012 - never mutated; a shared empty default is safe

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.ts)

    def canonical(self) -> str:
        """Sorted-key compact JSON of the content (not the id): equal content <=> equal string."""
        return canonical_json(
            {
                "type": self.type,
                "domain": self.domain,
                "lineage": self.lineage,
                "props": self.props,
                "timestamp": self.timestamp,
            }
        )


class Derived(NamedTuple):
    """An event derived by a rule or a composition, as the report shows it."""

    id: str
    type: str
    ts: int
    domain: str | None
    rule: str
    kind: str  # "rule" | "composition"
    children: tuple[str, ...]
    props: dict[str, Any] = {}  # noqa: RUF012
    anchor: str | None = None  # the event whose processing fired the rule (None for compositions)

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.ts)


class PatternMatch(NamedTuple):
    """The m-th (or later) occurrence of a shape seen by a pattern watcher."""

    watcher: str
    watch_type: str
    event: str
    ts: int
    occurrence: int


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_value(value: Any) -> Any:
    """A JSON value with every object's keys in sorted order, for `event_bytes` (marshal writes a
    dict in its iteration order, so equal objects then give equal bytes)."""
    kind = type(value)
    if kind is dict:
        return {k: canonical_value(value[k]) for k in sorted(value)}
    if kind is list:
        return [canonical_value(v) for v in value]
    return value


def event_bytes(event: Event) -> bytes:
    """One event's canonical content (id, type, instant, domain, lineage, props) as bytes, written
    with marshal format 2: a fixed binary format without object sharing, so equal values give equal
    bytes in any process, and self-delimiting, so a concatenation of them reads back one way.
    Equal bytes <=> equal events; the input digest is sha256 over them, sorted."""
    return marshal.dumps(
        (event.id, event.type, event.ts, event.domain, event.lineage, canonical_value(event.props)),
        HASH_FORMAT,
    )


HASH_FORMAT = 2


def content_id(obj: Any) -> str:
    """The id of an event given without one (SPEC 2): the sha256 hex digest of its canonical JSON."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()
