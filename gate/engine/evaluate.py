"""Evaluation of one policy over the leaf events of each lineage partition (SPEC 3.1-3.7).

Leaves are processed in canonical order (timestamp, then id). Each processed event becomes a peer
candidate in a per-type index of unconsumed events, ordered by processing sequence (which is also
time order, since derived events carry the time of the leaf that started their cascade). A window
query is a bisection on that index, so its cost depends on the window, not on the history.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gate.engine.conditions import CompiledCondition, compile_condition
from gate.model import Derived, Event, PatternMatch
from gate.policy.model import Composition, Pattern, Policy, Rule


class Node:
    """An event inside one partition's evaluation (mutable: it can be consumed)."""

    __slots__ = ("id", "type", "domain", "ts", "seq", "consumed", "children", "shapes", "props")

    def __init__(
        self,
        id: str,
        type: str,
        domain: str | None,
        ts: int,
        children: tuple[Node, ...] = (),
        props: Any = None,
    ) -> None:
        self.id = id
        self.type = type
        self.domain = domain
        self.ts = ts
        self.seq = -1
        self.consumed = False
        self.children = children
        self.shapes: dict[int, int] | None = None
        self.props = props


def _node_id(n: Node) -> str:
    return n.id


def derived_id(dtype: str, domain: str | None, ts: int, child_ids: list[str]) -> str:
    """Content hash of (type, domain, timestamp, sorted child ids): stable across runs and machines.
    Fields are joined with control characters that snake_case types and ids cannot hold ambiguously
    (ids are length-prefixed)."""
    text = "\x1e".join((dtype, domain or "", str(ts), *(f"{len(i)}:{i}" for i in child_ids)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class TypeIndex:
    """Unconsumed, already-processed events of one type, in processing order (times nondecreasing)."""

    __slots__ = ("times", "seqs", "nodes", "start", "horizon")

    def __init__(self, horizon: int) -> None:
        self.times: list[int] = []
        self.seqs: list[int] = []
        self.nodes: list[Node] = []
        self.start = 0  # entries before `start` are older than any window that can still reach them
        self.horizon = horizon  # the longest window any peer term uses for this type

    def add(self, node: Node) -> None:
        self.times.append(node.ts)
        self.seqs.append(node.seq)
        self.nodes.append(node)
        # Forget entries no window can reach again (time only moves forward).
        if len(self.times) - self.start > 64 and self.times[self.start] < node.ts - self.horizon:
            self.start = bisect_left(self.times, node.ts - self.horizon, self.start)
            if self.start > 4096 and self.start * 2 > len(self.times):
                del self.times[: self.start], self.seqs[: self.start], self.nodes[: self.start]
                self.start = 0

    def remove(self, node: Node) -> None:
        i = bisect_left(self.seqs, node.seq, self.start)
        if i < len(self.seqs) and self.seqs[i] == node.seq:
            del self.times[i], self.seqs[i], self.nodes[i]
            if i < self.start:
                self.start -= 1

    def window(self, lo_time: int) -> int:
        """Position of the first entry with time >= lo_time."""
        return bisect_left(self.times, lo_time, self.start)


@dataclass(frozen=True, slots=True)
class PartitionResult:
    partition: str | None
    events: int
    derived: tuple[Derived, ...]
    matches: tuple[PatternMatch, ...]
    # derived id -> its sorted leaf ids, for the types asked for (those the verdict lists)
    evidence: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def leaves_below(derived: Callable[[str], Derived | None], root: str) -> tuple[str, ...]:
    """Sorted leaf ids below a derived event of one partition (`derived`: its derived event of an
    id, or None for a leaf); iterative, so deep hierarchies do not hit the recursion limit."""
    leaves: set[str] = set()
    seen: set[str] = set()
    stack = [root]
    while stack:
        cur = stack.pop()
        d = derived(cur)
        if d is None:
            leaves.add(cur)
            continue
        for c in d.children:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return tuple(sorted(leaves))


@dataclass(frozen=True, slots=True)
class Evaluation:
    partitions: tuple[PartitionResult, ...]
    lineages: tuple[str, ...] = field(default=())


class _CompiledRule:
    __slots__ = ("rule", "cond", "cross", "derive_type", "derive_domain", "props")

    def __init__(self, rule: Rule, cond: CompiledCondition) -> None:
        self.rule = rule
        self.cond = cond
        self.cross = rule.pairing == "cross-type"
        self.derive_type = rule.derive.type
        self.derive_domain = rule.derive.domain
        self.props = rule.derive.props


class _Watcher:
    __slots__ = ("pattern", "counts", "times", "nodes", "compositions", "domains")

    def __init__(self, pattern: Pattern) -> None:
        self.pattern = pattern
        self.counts: dict[int, int] = {}
        self.times: list[int] = []
        self.nodes: list[Node] = []
        self.compositions: list[_Comp] = []
        self.domains = set(pattern.domains) if pattern.domains is not None else None


class _Comp:
    __slots__ = ("comp", "last_fire")

    def __init__(self, comp: Composition) -> None:
        self.comp = comp
        self.last_fire: int | None = None


def engine_types(policy: Policy) -> frozenset[str]:
    """The event types evaluation reads: those a rule anchors on or counts as peers. Events of any
    other type change no derivation, so callers may leave them out (they still count as events)."""
    types: set[str] = set()
    for rule in policy.rules:
        types.update(rule.anchors)
        types.update(term.peers for term in rule.peer_terms())
    return frozenset(types)


def partition_events(
    events: Iterable[Event], presorted: bool = False, names: Iterable[str] | None = None
) -> list[tuple[str | None, list[Event]]]:
    """Split events into lineage partitions (SPEC 3.7), each in canonical order (timestamp, then id).
    `presorted`: the events are already in canonical order (one pass, no sort). `names`: the
    lineages to make partitions for (default: those the events carry)."""
    ordered = list(events) if presorted else sorted(events, key=_canonical_key)
    if names is None:
        names = {e.lineage for e in ordered if e.lineage is not None}
    names = sorted(names)
    if not names:
        return [(None, ordered)]
    groups: dict[str | None, list[Event]] = {name: [] for name in names}
    every = list(groups.values())
    for e in ordered:
        if e.lineage is None:  # shared context: part of every lineage, in place
            for g in every:
                g.append(e)
        else:
            groups[e.lineage].append(e)
    return [(name, groups[name]) for name in names]


def _canonical_key(e: Event) -> tuple[int, str]:
    return (e.ts, e.id)


def evaluate(policy: Policy, events: Iterable[Event]) -> Evaluation:
    """Evaluate every partition sequentially (see gate.run for the parallel driver)."""
    parts = partition_events(events)
    results = tuple(evaluate_partition(policy, name, evs) for name, evs in parts)
    return Evaluation(partitions=results, lineages=tuple(n for n, _ in parts if n is not None))


def evaluate_partition(
    policy: Policy,
    name: str | None,
    events: Sequence[Event],
    evidence_for: Iterable[str] = (),
) -> PartitionResult:
    """Evaluate one partition whose events are already in canonical order (`events` of the result:
    their number; a caller that left out events the engine does not read sets the full count).
    `evidence_for`: derived types whose leaf evidence to work out here (where the partition is
    evaluated, in parallel with the others) rather than later."""
    result = _Partition(policy).run(name, events)
    wanted = set(evidence_for)
    if not wanted:
        return result
    by_id = {d.id: d for d in result.derived}
    evidence = {d.id: leaves_below(by_id.get, d.id) for d in result.derived if d.type in wanted}
    return replace(result, evidence=evidence)


class _Partition:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        horizons: dict[str, int] = {}
        self.rules_by_type: dict[str, list[_CompiledRule]] = {}
        for rule in policy.rules:
            for term in rule.peer_terms():
                horizons[term.peers] = max(horizons.get(term.peers, 0), term.within)
        self.index: dict[str, TypeIndex] = {t: TypeIndex(h) for t, h in horizons.items()}
        for rule in policy.rules:
            cr = _CompiledRule(rule, compile_condition(rule.when, self.index))
            for a in rule.anchors:
                self.rules_by_type.setdefault(a, []).append(cr)
        self.watchers: list[_Watcher] = [_Watcher(p) for p in policy.patterns]
        by_id = {w.pattern.id: w for w in self.watchers}
        self.comps = [_Comp(c) for c in policy.compositions]
        for comp in self.comps:
            for req in comp.comp.requires:
                w = by_id[req.pattern]
                if comp not in w.compositions:
                    w.compositions.append(comp)
        self.watchers_by_type: dict[str, list[_Watcher]] = {}
        for w in self.watchers:
            for t in w.pattern.watch:
                self.watchers_by_type.setdefault(t, []).append(w)
        self.watcher_by_id = by_id
        self.relevant = set(self.rules_by_type) | set(self.index)
        self.shape_ids: dict[tuple[Any, ...], int] = {}
        self.seq = 0
        self.queue: deque[Node] = deque()
        self.derived: list[Derived] = []
        self.matches: list[PatternMatch] = []

    def run(self, name: str | None, events: Sequence[Event]) -> PartitionResult:
        relevant = self.relevant
        queue = self.queue
        for ev in events:
            if ev.type not in relevant:
                continue  # no rule anchors on it and no rule counts it as a peer
            self._process(Node(ev.id, ev.type, ev.domain, ev.ts, (), ev.props))
            while queue:
                self._process(queue.popleft())
        return PartitionResult(name, len(events), tuple(self.derived), tuple(self.matches))

    def _process(self, node: Node) -> None:
        node.seq = self.seq
        self.seq += 1
        idx = self.index.get(node.type)
        if idx is not None:
            idx.add(node)
        rules = self.rules_by_type.get(node.type)
        if not rules:
            return
        for cr in rules:
            ok, contributors = cr.cond(node, cr.cross)
            if ok:
                self._fire(cr, node, contributors)

    def _consume(self, node: Node) -> None:
        if node.consumed:
            return
        node.consumed = True
        idx = self.index.get(node.type)
        if idx is not None:
            idx.remove(node)

    def _fire(self, cr: _CompiledRule, anchor: Node, contributors: list[Node]) -> None:
        children = [anchor]
        seen = {id(anchor)}
        for c in contributors:
            if id(c) not in seen:
                seen.add(id(c))
                children.append(c)
        for c in children:
            self._consume(c)
        node = self._new_derived(
            cr.derive_type, cr.derive_domain, max(c.ts for c in children), children, cr.props
        )
        self._record(node, cr.rule.id, "rule", anchor.id)
        self.queue.append(node)
        watchers = self.watchers_by_type.get(node.type)
        if watchers:
            for w in watchers:
                self._watch(w, node)

    def _new_derived(
        self, dtype: str, domain: str | None, ts: int, children: list[Node], props: dict[str, Any]
    ) -> Node:
        children.sort(key=_node_id)
        nid = derived_id(dtype, domain, ts, [c.id for c in children])
        return Node(nid, dtype, domain, ts, tuple(children), props)

    def _record(self, node: Node, rule: str, kind: str, anchor: str | None) -> None:
        self.derived.append(
            Derived(
                id=node.id,
                type=node.type,
                ts=node.ts,
                domain=node.domain,
                rule=rule,
                kind=kind,
                children=tuple(c.id for c in node.children),
                props=dict(node.props or {}),
                anchor=anchor,
            )
        )

    # -- patterns and compositions (SPEC 3.6) ---------------------------------------------------------
    def _shape(self, node: Node, k: int) -> int:
        shapes = node.shapes
        if shapes is None:
            shapes = node.shapes = {}
        else:
            s = shapes.get(k)
            if s is not None:
                return s
        if k == 0:
            key: tuple[Any, ...] = (0, node.type, node.domain)
        else:
            key = (k, node.type, node.domain, tuple(sorted(self._shape(c, k - 1) for c in node.children)))
        s = self.shape_ids.get(key)
        if s is None:
            s = self.shape_ids[key] = len(self.shape_ids)
        shapes[k] = s
        return s

    def _watch(self, w: _Watcher, node: Node) -> None:
        if w.domains is not None and node.domain not in w.domains:
            return
        shape = self._shape(node, w.pattern.depth)
        n = w.counts.get(shape, 0) + 1
        w.counts[shape] = n
        if n < w.pattern.min_count:
            return
        w.times.append(node.ts)
        w.nodes.append(node)
        self.matches.append(PatternMatch(w.pattern.id, node.type, node.id, node.ts, n))
        for comp in w.compositions:
            self._compose(comp, node.ts)

    def _compose(self, cs: _Comp, t: int) -> None:
        comp = cs.comp
        lo = t - comp.within
        if cs.last_fire is not None and cs.last_fire > lo:
            return  # fired already in (t - W, t]: once per window
        children: list[Node] = []
        seen: set[int] = set()
        for req in comp.requires:
            w = self.watcher_by_id[req.pattern]
            start = bisect_left(w.times, lo)
            if len(w.times) - start < req.min_occurrences:
                return
            for c in w.nodes[len(w.nodes) - req.min_occurrences :]:
                if id(c) not in seen:
                    seen.add(id(c))
                    children.append(c)
        cs.last_fire = t
        d = comp.derive
        node = self._new_derived(d.type, d.domain, t, children, d.props)
        self._record(node, comp.id, "composition", None)
        self.queue.append(node)
