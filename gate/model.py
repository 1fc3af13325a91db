"""Frozen value objects passed between the stages: leaf events, their origins, derived events."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from gate.timefmt import format_timestamp


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a leaf event was read: a document name as reports show it, and a 1-based line (None if unknown)."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Event:
    """A leaf event (SPEC 2) after validation: time as ns since epoch (UTC), domain resolved."""

    id: str
    type: str
    ts: int
    domain: str | None = None
    lineage: str | None = None
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

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


@dataclass(frozen=True, slots=True)
class Derived:
    """An event derived by a rule or a composition, as the report shows it."""

    id: str
    type: str
    ts: int
    domain: str | None
    rule: str
    kind: str  # "rule" | "composition"
    children: tuple[str, ...]
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    anchor: str | None = None  # the event whose processing fired the rule (None for compositions)

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.ts)


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """The m-th (or later) occurrence of a shape seen by a pattern watcher."""

    watcher: str
    watch_type: str
    event: str
    ts: int
    occurrence: int


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_id(obj: Any) -> str:
    """A stable content hash used for ids: sha256 of canonical JSON, first 32 hex digits."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()[:32]
