"""`policy show --mermaid`: draw a policy's hierarchy as a Mermaid flowchart (pure: policy -> text).

Reading top-down: leaf types (stadium shapes) -> rules (hexagons) -> derived types (rectangles) ->
pattern watchers (parallelograms) -> compositions (subroutine shapes) -> composed types. Edges into a
rule carry the peer term (count and window) or `anchor`; the edge out of a rule carries its pairing;
the edge out of a composition its window. Blocking types are drawn in red, warning types in amber.
Types no rule, pattern or composition uses are listed in a comment, not drawn.
"""

from __future__ import annotations

import json
import re

from gate.policy.model import AllOf, AnyOf, Condition, PeerTerm, Policy, Rule

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")

CLASSES = (
    "classDef leaf fill:#eef5ff,stroke:#4a6fa5",
    "classDef derived fill:#f4f4f4,stroke:#555",
    "classDef warning fill:#fff4d6,stroke:#b7791f,stroke-width:2px",
    "classDef blocking fill:#ffd9d9,stroke:#c00,stroke-width:3px,font-weight:bold",
    "classDef rule fill:#ffffff,stroke:#888,stroke-dasharray:3 3",
    "classDef pattern fill:#f0e8ff,stroke:#6b46c1",
    "classDef composition fill:#e6fffa,stroke:#2c7a7b",
)


def _label(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def _term_label(t: PeerTerm) -> str:
    count = f">= {t.at_least}" if t.at_least is not None else f"exactly {t.exactly}"
    text = f"{count} within {t.within_text}"
    if t.domain is not None:
        text += f", domain {t.domain}"
    for k, v in t.where:
        text += f", {k}={v if isinstance(v, str) else json.dumps(v)}"
    return text


def _combinator(cond: Condition) -> str:
    """`any(a, all(b, c))`: the shape of a condition, with peer types as its leaves."""
    if isinstance(cond, PeerTerm):
        return cond.peers
    name = "any" if isinstance(cond, AnyOf) else "all"
    return f"{name}({', '.join(_combinator(t) for t in cond.terms)})"


def _terms(cond: Condition) -> list[PeerTerm]:
    if isinstance(cond, PeerTerm):
        return [cond]
    return [t for c in cond.terms for t in _terms(c)]


class _Ids:
    """Mermaid node ids: a kind prefix plus the name with unsafe characters replaced, made unique."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()

    def __call__(self, kind: str, name: str) -> str:
        key = (kind, name)
        if key not in self.ids:
            base = f"{kind}_{_UNSAFE.sub('_', name)}"
            nid, n = base, 2
            while nid in self.used:
                nid, n = f"{base}_{n}", n + 1
            self.used.add(nid)
            self.ids[key] = nid
        return self.ids[key]


def render_mermaid(policy: Policy) -> str:
    """The whole flowchart, one statement per line, in policy order (stable for golden files)."""
    nid = _Ids()
    derived = policy.derived_types()
    used: list[str] = []

    def use(t: str) -> None:
        if t not in used:
            used.append(t)

    for r in policy.rules:
        for a in r.anchors:
            use(a)
        for term in _terms(r.when):
            use(term.peers)
        use(r.derive.type)
    for p in policy.patterns:
        for w in p.watch:
            use(w)
    for c in policy.compositions:
        use(c.derive.type)
    for t in policy.blocking:
        use(t)
    out = ["flowchart TD", f"  %% policy {policy.name}"]
    unused = sorted(t for t in policy.types if t not in used)
    if unused:
        out.append(f"  %% declared but used by no rule, pattern or composition: {', '.join(unused)}")
    for t in used:
        dom = policy.types.get(t, "")
        text = _label(f"{t}<br/>{dom}")
        out.append(f"  {nid('t', t)}[{text}]" if t in derived else f"  {nid('t', t)}([{text}])")
    for r in policy.rules:
        out.extend(_rule_lines(r, nid))
    for p in policy.patterns:
        bits = [f"depth {p.depth}", f"min_count {p.min_count}"]
        if p.domains is not None:
            bits.append(f"domains {', '.join(p.domains)}")
        out.append(f"  {nid('p', p.id)}[/{_label(f'pattern {p.id}<br/>' + ', '.join(bits))}/]")
        for w in p.watch:
            out.append(f"  {nid('t', w)} -.->|watched| {nid('p', p.id)}")
    for c in policy.compositions:
        out.append(f"  {nid('c', c.id)}[[{_label(f'composition {c.id}')}]]")
        for rq in c.requires:
            n = rq.min_occurrences
            label = _label(f">= {n} match" + ("es" if n != 1 else ""))
            out.append(f"  {nid('p', rq.pattern)} -->|{label}| {nid('c', c.id)}")
        label = _label(f"all within {c.within_text}, once per window")
        out.append(f"  {nid('c', c.id)} -->|{label}| {nid('t', c.derive.type)}")
    classes: dict[str, list[str]] = {}
    for t in used:
        kind = (
            "blocking"
            if t in policy.blocking
            else "warning"
            if t in policy.warning
            else ("derived" if t in derived else "leaf")
        )
        classes.setdefault(kind, []).append(nid("t", t))
    classes["rule"] = [nid("r", r.id) for r in policy.rules]
    classes["pattern"] = [nid("p", p.id) for p in policy.patterns]
    classes["composition"] = [nid("c", c.id) for c in policy.compositions]
    for line in CLASSES:
        name = line.split()[1]
        if classes.get(name):
            out.append(f"  {line}")
            out.append(f"  class {','.join(classes[name])} {name}")
    return "\n".join(out) + "\n"


def _rule_lines(r: Rule, nid: _Ids) -> list[str]:
    rid = nid("r", r.id)
    head = f"rule {r.id}"
    if isinstance(r.when, (AnyOf, AllOf)):
        head += f"<br/>{_combinator(r.when)}"
    lines = [f"  {rid}{{{{{_label(head)}}}}}"]
    terms = _terms(r.when)
    by_type: dict[str, list[str]] = {}
    for a in r.anchors:
        by_type.setdefault(a, []).append("anchor")
    for term in terms:
        by_type.setdefault(term.peers, []).append(_term_label(term))
    for t, labels in by_type.items():
        lines.append(f"  {nid('t', t)} -->|{_label('; '.join(labels))}| {rid}")
    lines.append(f"  {rid} -->|{_label(f'pairing: {r.pairing}')}| {nid('t', r.derive.type)}")
    return lines
