"""The verdict (SPEC 3.8): which events block, which warn, which are waived; pass or blocked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.engine import Evaluation, leaves_below
from gate.model import Derived, Event
from gate.policy.model import Policy


@dataclass(frozen=True, slots=True)
class Conclusion:
    """One event of a blocking or warning type, with the leaf ids its derivation rests on."""

    id: str
    type: str
    partition: str | None
    ts: int
    leaf: bool
    evidence: tuple[str, ...]

    def sort_key(self) -> tuple[Any, ...]:
        return (self.partition is not None, self.partition or "", self.ts, self.type, self.id)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # "pass" | "blocked"
    would_block: bool
    warn_only: bool
    fail_on: tuple[str, ...]
    as_of: str
    blocking: tuple[Conclusion, ...]
    warnings: tuple[Conclusion, ...]
    waived: tuple[tuple[Conclusion, Mapping[str, Any]], ...] = ()
    notes: tuple[Mapping[str, Any], ...] = field(default=())
    # One entry per warning (same order): how far it is from the gate (gate.levels.analyse).
    levels: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def exit_code(self) -> int:
        return 1 if self.status == "blocked" else 0


WaiverLookup = Callable[[Conclusion], "Mapping[str, Any] | None"]


def evidence_index(evaluation: Evaluation) -> dict[tuple[str | None, str], Derived]:
    return {(p.partition, d.id): d for p in evaluation.partitions for d in p.derived}


def leaf_evidence(
    index: Mapping[tuple[str | None, str], Derived], partition: str | None, root: str
) -> tuple[str, ...]:
    """Sorted leaf ids below a derived event of `partition` (gate.engine.leaves_below)."""
    return leaves_below(lambda i: index.get((partition, i)), root)


def conclusions_of(
    types: Iterable[str],
    evaluation: Evaluation,
    leaves: Iterable[Event],
    index: Mapping[tuple[str | None, str], Derived] | None = None,
) -> list[Conclusion]:
    """Every derived or leaf event of `types`, with its leaf evidence: as evaluation worked it out
    (PartitionResult.evidence), else from `index` (evidence_index, built here if not given)."""
    wanted = set(types)
    out = []
    for p in evaluation.partitions:
        for d in p.derived:
            if d.type in wanted:
                evidence = p.evidence.get(d.id)
                if evidence is None:
                    if index is None:
                        index = evidence_index(evaluation)
                    evidence = leaf_evidence(index, p.partition, d.id)
                out.append(Conclusion(d.id, d.type, p.partition, d.ts, False, evidence))
    for e in leaves:
        if e.type in wanted:
            out.append(Conclusion(e.id, e.type, e.lineage, e.ts, True, (e.id,)))
    out.sort(key=Conclusion.sort_key)
    return out


def decide(
    policy: Policy,
    evaluation: Evaluation,
    leaves: Iterable[Event],
    *,
    as_of: str,
    fail_on: Iterable[str] = (),
    warn_only: bool = False,
    waiver_for: WaiverLookup | None = None,
) -> Verdict:
    leaves = list(leaves)
    fail_on_t = tuple(sorted(set(fail_on)))
    blocking_types = set(policy.blocking) | set(fail_on_t)
    warning_types = set(policy.warning) - blocking_types
    blocking: list[Conclusion] = []
    waived: list[tuple[Conclusion, Mapping[str, Any]]] = []
    for c in conclusions_of(blocking_types, evaluation, leaves):
        w = waiver_for(c) if waiver_for is not None else None
        if w is None:
            blocking.append(c)
        else:
            waived.append((c, w))
    warnings = conclusions_of(warning_types, evaluation, leaves)
    from gate.levels import analyse  # gate.levels reads Conclusion from this module

    levels = analyse(policy, evaluation, warnings, blocking_types)
    would_block = bool(blocking)
    return Verdict(
        status="blocked" if would_block and not warn_only else "pass",
        would_block=would_block,
        warn_only=warn_only,
        fail_on=fail_on_t,
        as_of=as_of,
        blocking=tuple(blocking),
        warnings=tuple(warnings),
        waived=tuple(waived),
        levels=levels,
    )
