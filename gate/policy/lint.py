"""`policy lint`: warnings about likely mistakes in a valid policy (the loader already refused invalid ones).

Each check is a small function over the compiled policy plus the raw YAML (for line numbers and for
keys whose absence matters, such as `pairing`). The heuristics are documented in docs/policies.md:

- never-fires: a rule none of whose anchors can ever be produced, or whose condition can never hold.
  A type is *produced* when a rule or composition that can fire derives it, or when it is a
  *plausible leaf type*: derived by nothing, and neither named like a rule, pattern or composition
  id nor a near-spelling (similarity >= 0.9) of a derived type. Those two signs mean the author most
  likely renamed or misspelled a derived type, so events of that type will never arrive.
- short-window: a peer term over a derived type T whose window is shorter than the longest window of
  the rules that derive T, in a rule that only correlates derived types. When the rule pairs T with a
  leaf type (a fresh fact such as an override request), its window is read as that fact's proximity
  to the conclusion and is not compared.
- blocking-underived: a blocking type that no rule or composition derives (or only ones that never fire).
- same-type-or: an `any` that names the rule's own anchor type while the rule does not set `pairing`.
- pattern-unreachable: a composition requiring a pattern that can never match: watchers count only
  rule-derived events, so a pattern whose watched types no firing rule derives (in its `domains`)
  never reaches min_count, whatever the window.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gate.policy.model import AllOf, AnyOf, Condition, PeerTerm, Policy, Rule
from gate.yamlutil import Path_, format_path, line_for, load_with_lines

NEAR_SPELLING = 0.9
CODES = ("never-fires", "short-window", "blocking-underived", "same-type-or", "pattern-unreachable")


@dataclass(frozen=True, slots=True)
class LintWarning:
    code: str
    path: Path_
    line: int
    message: str

    def render(self, source: str) -> str:
        return f"{source}:{self.line}: warning: {self.code}: {format_path(self.path)}: {self.message}"


def iter_terms_with_path(cond: Condition, path: Path_) -> Iterator[tuple[Path_, PeerTerm]]:
    """Every peer term of a condition with its key path in the policy YAML."""
    if isinstance(cond, PeerTerm):
        yield path, cond
    elif isinstance(cond, AnyOf):
        for i, t in enumerate(cond.terms):
            yield from iter_terms_with_path(t, (*path, "any", i))
    else:
        for i, t in enumerate(cond.terms):
            yield from iter_terms_with_path(t, (*path, "all", i))


class _Analysis:
    """Which types can ever be produced, by a fixed point over rules and compositions."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.derivers: dict[str, list[str]] = {}
        for r in policy.rules:
            self.derivers.setdefault(r.derive.type, []).append(f"rule {r.id}")
        for c in policy.compositions:
            self.derivers.setdefault(c.derive.type, []).append(f"composition {c.id}")
        self.not_leaf_reason: dict[str, str] = {}
        step_ids = {r.id: "rule" for r in policy.rules}
        step_ids.update({p.id: "pattern" for p in policy.patterns})
        step_ids.update({c.id: "composition" for c in policy.compositions})
        derived = sorted(self.derivers)
        self.leaves: set[str] = set()
        for t in policy.types:
            if t in self.derivers:
                continue
            if t in step_ids:
                self.not_leaf_reason[t] = f"it is the id of {step_ids[t]} {t}, not a type anything derives"
                continue
            near = difflib.get_close_matches(t, derived, n=1, cutoff=NEAR_SPELLING)
            if near:
                self.not_leaf_reason[t] = f"it looks like a misspelling of the derived type {near[0]!r}"
                continue
            self.leaves.add(t)
        # type -> domains it can carry (None: any domain, a leaf may carry any) and the props it can carry
        self.produced: dict[str, set[str | None] | None] = {t: None for t in self.leaves}
        self.props: dict[str, list[dict[str, Any]] | None] = {t: None for t in self.leaves}
        self.firing: set[str] = set()
        self.matching: set[str] = set()
        changed = True
        while changed:
            changed = False
            for r in policy.rules:
                if r.id not in self.firing and self.rule_fires(r):
                    self.firing.add(r.id)
                    self._produce(r.derive.type, r.derive.domain, r.derive.props)
                    changed = True
            for p in policy.patterns:
                if p.id not in self.matching and self.countable(p.id):
                    self.matching.add(p.id)
                    changed = True
            for c in policy.compositions:
                if c.id not in self.firing and all(rq.pattern in self.matching for rq in c.requires):
                    self.firing.add(c.id)
                    self._produce(c.derive.type, c.derive.domain, c.derive.props)
                    changed = True

    def _produce(self, t: str, domain: str | None, props: dict[str, Any]) -> None:
        if t in self.produced and self.produced[t] is None:
            return
        doms = self.produced.setdefault(t, set())
        plist = self.props.setdefault(t, [])
        assert doms is not None and plist is not None
        doms.add(domain)
        plist.append(props)

    def term_ok(self, term: PeerTerm, anchor: str, cross: bool) -> bool:
        if cross and term.peers == anchor:
            return False
        if term.exactly == 0:
            return True
        if term.peers not in self.produced:
            return False
        doms = self.produced[term.peers]
        if doms is None:
            return True
        if term.domain is not None and term.domain not in doms:
            return False
        props = self.props[term.peers] or []
        return any(all(k in p and p[k] == v for k, v in term.where) for p in props)

    def cond_ok(self, cond: Condition, anchor: str, cross: bool) -> bool:
        if isinstance(cond, PeerTerm):
            return self.term_ok(cond, anchor, cross)
        if isinstance(cond, AnyOf):
            return any(self.cond_ok(t, anchor, cross) for t in cond.terms)
        assert isinstance(cond, AllOf)
        return all(self.cond_ok(t, anchor, cross) for t in cond.terms)

    def rule_fires(self, r: Rule) -> bool:
        cross = r.pairing == "cross-type"
        return any(a in self.produced and self.cond_ok(r.when, a, cross) for a in r.anchors)

    def countable(self, pattern_id: str) -> bool:
        p = next(p for p in self.policy.patterns if p.id == pattern_id)
        for r in self.policy.rules:
            in_domains = p.domains is None or r.derive.domain in p.domains
            if r.id in self.firing and r.derive.type in p.watch and in_domains:
                return True
        return False

    def why_absent(self, t: str) -> str:
        """Why events of type t never exist (t is not produced)."""
        if t in self.derivers:
            return f"{t} is derived only by {', '.join(self.derivers[t])}, which can never fire"
        return (
            f"{t} is derived by nothing and is not a plausible leaf type: {self.not_leaf_reason.get(t, '')}"
        )


def lint(policy: Policy) -> list[LintWarning]:
    """Every warning for `policy`, in file order."""
    raw, lines = load_with_lines(policy.text)
    a = _Analysis(policy)
    out: list[LintWarning] = []

    def warn(code: str, path: Path_, message: str) -> None:
        out.append(LintWarning(code, path, line_for(lines, path), message))

    raw_rules = raw.get("rules") or []
    for i, r in enumerate(policy.rules):
        _never_fires(a, r, ("rules", i), warn)
        _short_window(a, r, ("rules", i), warn)
        _same_type_or(r, ("rules", i), "pairing" in raw_rules[i], warn)
    for j, t in enumerate(policy.blocking):
        if t not in a.derivers:
            warn(
                "blocking-underived",
                ("blocking", j),
                f"{t} is derived by no rule or composition: the gate blocks only when a {t} event is given "
                "as input (a person or system asserting it directly)",
            )
        elif t not in a.produced:
            warn(
                "blocking-underived",
                ("blocking", j),
                f"{a.why_absent(t)}: this blocking type is never derived",
            )
    for i, c in enumerate(policy.compositions):
        for j, rq in enumerate(c.requires):
            if rq.pattern not in a.matching:
                warn(
                    "pattern-unreachable",
                    ("compositions", i, "requires", j, "pattern"),
                    f"composition {c.id} requires pattern {rq.pattern}, whose min_count can never be reached "
                    f"within its {c.within_text} window (or at all): {_why_unmatched(a, rq.pattern)}",
                )
    out.sort(key=lambda w: (w.line, w.code))
    return out


def _never_fires(a: _Analysis, r: Rule, path: Path_, warn: Any) -> None:
    if r.id in a.firing:
        return
    produced = [x for x in r.anchors if x in a.produced]
    if not produced:
        absent = "; ".join(a.why_absent(x) for x in r.anchors)
        warn(
            "never-fires",
            (*path, "anchors"),
            f"rule {r.id} can never fire: no anchor type is ever produced ({absent})",
        )
        return
    cross = r.pairing == "cross-type"
    reasons = []
    for tpath, term in iter_terms_with_path(r.when, (*path, "when")):
        if all(not a.term_ok(term, x, cross) for x in produced):
            if cross and term.peers in produced and term.peers in a.produced:
                reasons.append(
                    f"{format_path(tpath)} names the anchor's own type {term.peers} under pairing: cross-type"
                )
            elif term.peers not in a.produced:
                reasons.append(f"{format_path(tpath)}: {a.why_absent(term.peers)}")
            else:
                reasons.append(
                    f"{format_path(tpath)}: no {term.peers} event ever has the domain or props it asks for"
                )
    warn(
        "never-fires",
        (*path, "when"),
        f"rule {r.id} can never fire: its condition can never hold ({'; '.join(reasons) or 'no term holds'})",
    )


def _short_window(a: _Analysis, r: Rule, path: Path_, warn: Any) -> None:
    cross = r.pairing == "cross-type"
    for tpath, term in iter_terms_with_path(r.when, (*path, "when")):
        t = term.peers
        feeders = [q for q in a.policy.rules if q.derive.type == t and q.id != r.id]
        if not feeders:
            continue
        partners = [x for x in r.anchors if not (cross and x == t)]
        if any(x not in a.derivers for x in partners):
            continue  # paired with a leaf type: the window is that fact's proximity, not an aggregation
        feeder, feed = max(((q, pt) for q in feeders for pt in q.peer_terms()), key=lambda qt: qt[1].within)
        if term.within < feed.within:
            warn(
                "short-window",
                (*tpath, "within"),
                f"peers {t} within {term.within_text} is shorter than the {feed.within_text} window "
                f"of rule {feeder.id} that derives {t}: the higher level sees less time than the evidence "
                "it aggregates (a unit typo such as h for d?)",
            )


def _same_type_or(r: Rule, path: Path_, explicit: bool, warn: Any) -> None:
    if explicit:
        return
    for cpath, cond in _iter_any(r.when, (*path, "when")):
        if len(cond.terms) < 2:
            continue
        for i, term in enumerate(cond.terms):
            if isinstance(term, PeerTerm) and term.peers in r.anchors:
                n = (term.at_least or term.exactly or 0) + 1
                warn(
                    "same-type-or",
                    (*cpath, "any", i),
                    f"rule {r.id} has no `pairing`, so the default pairing: any applies and this `any` "
                    f"lets an anchor pair with its own type: {n} {term.peers} events within "
                    f"{term.within_text} are enough to derive {r.derive.type}, with no other type. Set "
                    "`pairing: cross-type` to require a different type, or `pairing: any` to say that this "
                    "is intended",
                )
                return


def _iter_any(cond: Condition, path: Path_) -> Iterator[tuple[Path_, AnyOf]]:
    if isinstance(cond, AnyOf):
        yield path, cond
        for i, t in enumerate(cond.terms):
            yield from _iter_any(t, (*path, "any", i))
    elif isinstance(cond, AllOf):
        for i, t in enumerate(cond.terms):
            yield from _iter_any(t, (*path, "all", i))


def _why_unmatched(a: _Analysis, pattern_id: str) -> str:
    p = next(p for p in a.policy.patterns if p.id == pattern_id)
    parts = []
    for t in p.watch:
        rules = [r for r in a.policy.rules if r.derive.type == t]
        if not rules:
            comps = [c.id for c in a.policy.compositions if c.derive.type == t]
            if comps:
                parts.append(
                    f"{t} is derived only by composition {', '.join(comps)}, and watchers never count "
                    "composed events"
                )
            else:
                parts.append(f"no rule derives {t}, and watchers count only rule-derived events")
            continue
        firing = [r for r in rules if r.id in a.firing]
        if not firing:
            parts.append(f"every rule deriving {t} ({', '.join(r.id for r in rules)}) can never fire")
            continue
        doms = sorted({str(r.derive.domain) for r in firing})
        parts.append(
            f"its domains {list(p.domains or ())} exclude the domain(s) {doms} that {t} is derived with"
        )
    return "; ".join(parts)


def render(policy: Policy, warnings: list[LintWarning]) -> str:
    lines = [w.render(policy.source) for w in warnings]
    n = len(warnings)
    lines.append(f"policy {policy.name}: {'no' if n == 0 else n} warning{'' if n == 1 else 's'}")
    return "\n".join(lines) + "\n"
