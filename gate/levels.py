"""Warning levels: how far each warning conclusion is from the gate (SPEC 3.8, policy `warning` types).

From a warning's type, walk the policy's rule graph up to a blocking type (the shortest chain of
rules; compositions only when no rule chain leads there) and say, step by step, which types would
be needed next: "spec_drift_signal present; waiting for user_feedback_mismatch to reach
generalization_risk". Steps the evidence already took (a derived event above the warning has that
type) are `reached`; the rest are `missing`. Pure: reads only the policy and the evaluation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gate.engine import Evaluation
from gate.policy.model import AllOf, AnyOf, Composition, Policy, Rule, iter_terms
from gate.verdict import Conclusion


@dataclass(frozen=True, slots=True)
class Step:
    """One rule (or composition) application that takes `source` to `reach`, with what it still needs."""

    source: str
    reach: str
    via: str
    kind: str  # "rule" | "composition"
    mode: str  # "any" (one of the needs) | "all"
    needs: tuple[dict[str, Any], ...]
    blocking: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "reach": self.reach,
            "via": self.via,
            "kind": self.kind,
            "mode": self.mode,
            "needs": [dict(n) for n in self.needs],
            "blocking": self.blocking,
        }


def _rule_step(rule: Rule, source: str, blocking: set[str]) -> Step:
    needs: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for t in iter_terms(rule.when):
        if t.peers == source and rule.pairing == "cross-type":
            continue
        count = t.at_least if t.at_least is not None else t.exactly
        quant = "at_least" if t.at_least is not None else "exactly"
        key = (t.peers, t.within_text)
        if key in seen:
            continue
        seen.add(key)
        needs.append({"type": t.peers, quant: count, "within": t.within_text, "again": t.peers == source})
    if source not in rule.anchors:
        # The source can only be a peer here: an anchor event must still arrive.
        needs.append({"type": "|".join(rule.anchors), "anchor": True})
    mode = "any" if isinstance(rule.when, AnyOf) else "all"
    if isinstance(rule.when, AllOf) or len(needs) <= 1:
        mode = "all"
    return Step(source, rule.derive.type, rule.id, "rule", mode, tuple(needs), rule.derive.type in blocking)


def _composition_step(policy: Policy, comp: Composition, source: str, blocking: set[str]) -> Step:
    watchers = {p.id: p for p in policy.patterns}
    needs: list[dict[str, Any]] = []
    for rq in comp.requires:
        pat = watchers[rq.pattern]
        needs.append(
            {
                "type": "|".join(pat.watch),
                "pattern": pat.id,
                "repeats": pat.min_count,
                "matches": rq.min_occurrences,
                "within": comp.within_text,
                "again": source in pat.watch,
            }
        )
    return Step(
        source, comp.derive.type, comp.id, "composition", "all", tuple(needs), comp.derive.type in blocking
    )


def _edges(policy: Policy, source: str, blocking: set[str], compositions: bool) -> list[Step]:
    out = []
    for r in policy.rules:
        if source in r.anchors or any(t.peers == source for t in iter_terms(r.when)):
            out.append(_rule_step(r, source, blocking))
    if compositions:
        watching = {p.id for p in policy.patterns if source in p.watch}
        for c in policy.compositions:
            if any(rq.pattern in watching for rq in c.requires):
                out.append(_composition_step(policy, c, source, blocking))
    return out


def path_to_gate(policy: Policy, start: str, blocking: Iterable[str]) -> tuple[Step, ...]:
    """The shortest chain of steps from `start` to a blocking type (rules first, policy order breaks
    ties); empty when no chain leads there."""
    targets = set(blocking)
    for compositions in (False, True):
        parent: dict[str, Step] = {}
        queue = deque([start])
        seen = {start}
        while queue:
            cur = queue.popleft()
            for step in _edges(policy, cur, targets, compositions):
                if step.reach in seen:
                    continue
                seen.add(step.reach)
                parent[step.reach] = step
                if step.reach in targets:
                    chain = [step]
                    while chain[-1].source != start:
                        chain.append(parent[chain[-1].source])
                    return tuple(reversed(chain))
                queue.append(step.reach)
    return ()


def analyse(
    policy: Policy, evaluation: Evaluation, warnings: Sequence[Conclusion], blocking: Iterable[str]
) -> tuple[dict[str, Any], ...]:
    """For each warning (same order): `reached` (types derived above it), `missing` (steps still to go)."""
    if not warnings:
        return ()
    targets = set(blocking)
    paths: dict[str, tuple[Step, ...]] = {}
    parents: dict[str | None, dict[str, list[str]]] = {}
    types: dict[str | None, dict[str, str]] = {}
    for p in evaluation.partitions:
        up: dict[str, list[str]] = {}
        for d in p.derived:
            for c in d.children:
                up.setdefault(c, []).append(d.id)
        parents[p.partition] = up
        types[p.partition] = {d.id: d.type for d in p.derived}
    out = []
    memo: dict[tuple[str, frozenset[str]], dict[str, Any]] = {}
    for w in warnings:
        if w.type not in paths:
            paths[w.type] = path_to_gate(policy, w.type, targets)
        up = parents.get(w.partition, {})
        tmap = types.get(w.partition, {})
        above: set[str] = set()
        stack = list(up.get(w.id, []))
        seen: set[str] = set()
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            above.add(tmap[cur])
            stack.extend(up.get(cur, []))
        key = (w.type, frozenset(above))
        if key in memo:  # many warnings share a type and the types above them: share the analysis
            out.append(memo[key])
            continue
        chain = paths[w.type]
        gate_reached = sorted(above & targets)
        missing: list[dict[str, Any]] = []
        if not gate_reached:
            done = 0
            for i, step in enumerate(chain):
                if step.reach in above:
                    done = i + 1
            missing = [s.as_dict() for s in chain[done:]]
        memo[key] = {
            "reached": sorted(above),
            "gate_reached": gate_reached,
            "missing": missing,
            "no_path": not chain,
            "summary": summary(w.type, gate_reached, missing, not chain),
        }
        out.append(memo[key])
    return tuple(out)


def _need_text(n: dict[str, Any]) -> str:
    if n.get("anchor"):
        return f"an anchor {n['type'].replace('|', ' or ')}"
    if "pattern" in n:
        what = n["type"].replace("|", " or ")
        return f"{n['repeats']} repeats of {what} (pattern {n['pattern']})"
    count = n.get("at_least", n.get("exactly", 1))
    exact = "exactly " if "exactly" in n else ""
    another = "another " if n.get("again") and count == 1 else ""
    plural = "" if count == 1 else f"{exact}{count} "
    return f"{plural}{another}{n['type']} (within {n['within']})"


def step_text(step: dict[str, Any]) -> str:
    needs = [_need_text(n) for n in step["needs"]]
    joiner = " or " if step["mode"] == "any" else " and "
    what = joiner.join(needs) if needs else "nothing more"
    gate = " (blocking)" if step["blocking"] else ""
    return f"{what} to reach {step['reach']}{gate}"


def summary(source: str, gate_reached: list[str], missing: list[dict[str, Any]], no_path: bool) -> str:
    """One line: what is present and which levels are still missing before the gate closes."""
    if gate_reached:
        return f"{source} present; already led to {', '.join(gate_reached)} (blocking)"
    if no_path:
        return f"{source} present; no rule of the policy leads from it to a blocking type"
    return f"{source} present; waiting for " + ", then ".join(step_text(s) for s in missing)
