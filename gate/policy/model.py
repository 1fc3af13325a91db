"""The compiled policy: frozen value objects the engine evaluates (SPEC 3 and 4)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BLOCKING = ("release_gate_triggered", "governance_action_required")


@dataclass(frozen=True, slots=True)
class PeerTerm:
    peers: str
    within: int  # ns
    within_text: str
    at_least: int | None = None
    exactly: int | None = None
    where: tuple[tuple[str, Any], ...] = ()
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class AnyOf:
    terms: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    terms: tuple[Condition, ...]


Condition = PeerTerm | AnyOf | AllOf


@dataclass(frozen=True, slots=True)
class Derive:
    type: str
    domain: str | None
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    anchors: tuple[str, ...]
    when: Condition
    derive: Derive
    pairing: str = "any"
    description: str = ""

    def peer_terms(self) -> list[PeerTerm]:
        return list(iter_terms(self.when))


@dataclass(frozen=True, slots=True)
class Pattern:
    id: str
    watch: tuple[str, ...]
    depth: int
    min_count: int
    domains: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Requirement:
    pattern: str
    min_occurrences: int


@dataclass(frozen=True, slots=True)
class Composition:
    id: str
    requires: tuple[Requirement, ...]
    within: int
    within_text: str
    derive: Derive
    description: str = ""


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    types: dict[str, str] = field(compare=False, hash=False)
    rules: tuple[Rule, ...]
    patterns: tuple[Pattern, ...] = ()
    compositions: tuple[Composition, ...] = ()
    blocking: tuple[str, ...] = DEFAULT_BLOCKING
    warning: tuple[str, ...] = ()
    sha256: str = ""
    source: str = ""
    description: str = ""
    waiver_max_days: int = 30
    text: str = field(default="", compare=False, repr=False)

    def derived_types(self) -> set[str]:
        return {r.derive.type for r in self.rules} | {c.derive.type for c in self.compositions}


def iter_terms(cond: Condition) -> Iterator[PeerTerm]:
    if isinstance(cond, PeerTerm):
        yield cond
    else:
        for t in cond.terms:
            yield from iter_terms(t)
