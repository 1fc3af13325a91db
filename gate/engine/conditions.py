"""Condition terms compiled to closures (SPEC 3.2-3.4): peer terms, `any`, `all`.

A compiled condition is called as `cond(anchor, cross_type) -> (satisfied, contributors)`. It only
reads the index; consumption happens after the rule fires. One small registry maps each condition
kind to its compiler, so adding a kind is one function plus one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gate.policy.model import AllOf, AnyOf, Condition, PeerTerm

if TYPE_CHECKING:
    from gate.engine.evaluate import Node, TypeIndex

CompiledCondition = Callable[["Node", bool], tuple[bool, list["Node"]]]
_NONE: list[Any] = []


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: booleans are not numbers, 1 == 1.0, objects and arrays compared deeply."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_MISSING = object()


def _compile_peer(term: PeerTerm, index: dict[str, TypeIndex]) -> CompiledCondition:
    idx = index[term.peers]
    ptype = term.peers
    within = term.within
    at_least = term.at_least
    exactly = term.exactly
    where = term.where
    domain = term.domain
    filtered = bool(where) or domain is not None

    def satisfied(n: int) -> bool:
        return n >= at_least if at_least is not None else n == exactly

    def cond(anchor: Node, cross: bool) -> tuple[bool, list[Node]]:
        if cross and anchor.type == ptype:
            return False, _NONE
        lo = idx.window(anchor.ts - within)
        nodes = idx.nodes
        if not filtered:
            n = len(nodes) - lo
            if anchor.type == ptype and not anchor.consumed and n:
                n -= 1  # the anchor is in its own type's index; it is never its own peer
            if not satisfied(n):
                return False, _NONE
            return True, [x for x in nodes[lo:] if x is not anchor]
        matches = []
        for x in nodes[lo:]:
            if x is anchor or (domain is not None and x.domain != domain):
                continue
            if where:
                props = x.props or {}
                if not all(json_equal(props.get(k, _MISSING), v) for k, v in where):
                    continue
            matches.append(x)
        if not satisfied(len(matches)):
            return False, _NONE
        return True, matches

    return cond


def _compile_any(cond: AnyOf, index: dict[str, TypeIndex]) -> CompiledCondition:
    parts = [compile_condition(t, index) for t in cond.terms]

    def any_(anchor: Node, cross: bool) -> tuple[bool, list[Node]]:
        ok = False
        out: list[Node] = []
        for p in parts:
            s, c = p(anchor, cross)
            if s:
                ok = True
                out.extend(c)
        return ok, out

    return any_


def _compile_all(cond: AllOf, index: dict[str, TypeIndex]) -> CompiledCondition:
    parts = [compile_condition(t, index) for t in cond.terms]

    def all_(anchor: Node, cross: bool) -> tuple[bool, list[Node]]:
        out: list[Node] = []
        for p in parts:
            s, c = p(anchor, cross)
            if not s:
                return False, _NONE
            out.extend(c)
        return True, out

    return all_


CONDITIONS: dict[type, Callable[[Any, dict[str, TypeIndex]], CompiledCondition]] = {
    PeerTerm: _compile_peer,
    AnyOf: _compile_any,
    AllOf: _compile_all,
}


def compile_condition(cond: Condition, index: dict[str, TypeIndex]) -> CompiledCondition:
    return CONDITIONS[type(cond)](cond, index)
