"""Targeted engine semantics (SPEC 3.2-3.7) on small policies written for each rule of the contract."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from helpers import ROOT

from gate.engine import evaluate
from gate.model import Event
from gate.policy import parse_policy
from gate.timefmt import parse_timestamp

HEAD = """
version: 1
name: t
types: {a: d, b: d, c: d, x: m, y: m, z: g}
blocking: [z]
"""


def policy(body: str):
    return parse_policy((HEAD + body).encode(), "t.yaml")


def ev(i: str, t: str, ts: str, lineage: str | None = None, **props) -> Event:
    return Event(i, t, parse_timestamp(f"2026-01-01T{ts}Z"), "d", lineage, props)


def derived(pol, events):
    return [
        (p.partition, d.type, d.timestamp[11:19], sorted(d.children))
        for p in evaluate(pol, events).partitions
        for d in p.derived
    ]


RULE_AB = """
rules:
  - id: r
    anchors: [a]
    when: {peers: b, at_least: 2, within: 1h}
    derive: {type: x}
"""


def test_window_bounds_are_inclusive_and_peers_are_never_later_than_the_anchor():
    pol = policy(RULE_AB)
    assert derived(
        pol, [ev("b1", "b", "08:00:00"), ev("b2", "b", "08:30:00"), ev("a1", "a", "09:00:00")]
    ) == [(None, "x", "09:00:00", ["a1", "b1", "b2"])]
    # one second outside the window
    assert (
        derived(pol, [ev("b1", "b", "07:59:59"), ev("b2", "b", "08:30:00"), ev("a1", "a", "09:00:00")]) == []
    )
    # a later peer is not a peer: it is processed after the anchor
    assert (
        derived(pol, [ev("b1", "b", "08:30:00"), ev("a1", "a", "09:00:00"), ev("b2", "b", "09:00:01")]) == []
    )


def test_greedy_consumption_takes_every_matching_peer_and_they_cannot_be_reused():
    pol = policy(RULE_AB)
    events = [ev(f"b{i}", "b", f"08:0{i}:00") for i in range(5)] + [
        ev("a1", "a", "08:30:00"),
        ev("a2", "a", "08:40:00"),
    ]
    assert derived(pol, events) == [(None, "x", "08:30:00", ["a1", "b0", "b1", "b2", "b3", "b4"])]


def test_exactly_and_where_and_domain():
    pol = policy("""
rules:
  - id: r
    anchors: [a]
    when:
      all:
        - {peers: b, exactly: 1, within: 1h, where: {task: mmlu, n: 1}}
        - {peers: c, exactly: 0, within: 1h, domain: other}
    derive: {type: x}
""")
    b_ok = Event("b1", "b", parse_timestamp("2026-01-01T08:30:00Z"), "d", None, {"task": "mmlu", "n": 1.0})
    b_bool = Event("b2", "b", parse_timestamp("2026-01-01T08:31:00Z"), "d", None, {"task": "mmlu", "n": True})
    c_other = Event("c1", "c", parse_timestamp("2026-01-01T08:32:00Z"), "other", None, {})
    c_same = Event("c2", "c", parse_timestamp("2026-01-01T08:33:00Z"), "d", None, {})
    a = ev("a1", "a", "09:00:00")
    # JSON equality: 1 == 1.0 but true != 1; the c peer of another domain breaks `exactly: 0`
    assert derived(pol, [b_ok, b_bool, c_same, a]) == [(None, "x", "09:00:00", ["a1", "b1"])]
    assert derived(pol, [b_ok, c_other, a]) == []


def test_any_contributes_only_its_satisfied_parts():
    pol = policy("""
rules:
  - id: r
    anchors: [a]
    when:
      any:
        - {peers: b, at_least: 1, within: 1h}
        - {peers: c, at_least: 2, within: 1h}
    derive: {type: x}
""")
    events = [ev("b1", "b", "08:10:00"), ev("c1", "c", "08:20:00"), ev("a1", "a", "09:00:00")]
    assert derived(pol, events) == [(None, "x", "09:00:00", ["a1", "b1"])]


def test_pairing_any_pairs_an_anchor_with_its_own_type_and_cross_type_does_not():
    body = """
rules:
  - id: r
    anchors: [a, b]
    pairing: {p}
    when:
      any:
        - {{peers: a, at_least: 1, within: 1h}}
        - {{peers: b, at_least: 1, within: 1h}}
    derive: {{type: x}}
"""
    events = [ev("a1", "a", "08:00:00"), ev("a2", "a", "08:30:00")]
    assert derived(policy(body.format(p="any")), events) == [(None, "x", "08:30:00", ["a1", "a2"])]
    assert derived(policy(body.format(p="cross-type")), events) == []
    # b1 is corroborated by a different type: both a events lie within 1h and are taken (greedy)
    assert derived(policy(body.format(p="cross-type")), events + [ev("b1", "b", "08:40:00")]) == [
        (None, "x", "08:40:00", ["a1", "a2", "b1"])
    ]


def test_a_consumed_anchor_still_anchors_the_other_rules_of_its_type_in_the_same_step():
    pol = policy("""
rules:
  - id: r1
    anchors: [a]
    when: {peers: b, at_least: 1, within: 1h}
    derive: {type: x}
  - id: r2
    anchors: [a]
    when: {peers: c, at_least: 1, within: 1h}
    derive: {type: y}
""")
    events = [ev("b1", "b", "08:00:00"), ev("c1", "c", "08:00:00"), ev("a1", "a", "08:30:00")]
    assert derived(pol, events) == [
        (None, "x", "08:30:00", ["a1", "b1"]),
        (None, "y", "08:30:00", ["a1", "c1"]),
    ]


def test_cascade_is_fifo_and_a_queued_event_is_not_yet_a_peer():
    pol = policy("""
rules:
  - id: r1
    anchors: [a]
    when: {peers: b, at_least: 1, within: 1h}
    derive: {type: x}
  - id: r2
    anchors: [x]
    when: {peers: c, at_least: 1, within: 1h}
    derive: {type: y}
""")
    events = [ev("b1", "b", "08:00:00"), ev("c1", "c", "08:10:00"), ev("a1", "a", "08:30:00")]
    out = evaluate(pol, events).partitions[0].derived
    assert [(d.type, d.ts == out[0].ts) for d in out] == [("x", True), ("y", True)]
    assert out[1].children == tuple(sorted((out[0].id, "c1")))


def test_ties_are_ordered_by_id():
    pol = policy(RULE_AB.replace("at_least: 2", "at_least: 1"))
    events = [ev("z-b", "b", "08:00:00"), ev("a-a", "a", "08:00:00")]
    # "a-a" sorts before "z-b": at its turn, b has not been processed, so nothing is derived
    assert derived(pol, events) == []
    assert derived(pol, [ev("a-b", "b", "08:00:00"), ev("z-a", "a", "08:00:00")]) == [
        (None, "x", "08:00:00", ["a-b", "z-a"])
    ]


COMPOSE = """
rules:
  - id: r
    anchors: [a]
    when: {peers: b, at_least: 1, within: 1h}
    derive: {type: x}
patterns:
  - {id: px, watch: [x], depth: 1, min_count: 2}
compositions:
  - id: c
    requires: [{pattern: px, min_occurrences: 1}]
    within: 2h
    derive: {type: z}
"""


def test_patterns_count_shapes_and_compositions_fire_once_per_window():
    pol = policy(COMPOSE)
    events = []
    for i, hour in enumerate(["01", "02", "03", "04", "06"]):
        events += [ev(f"b{i}", "b", f"{hour}:00:00"), ev(f"a{i}", "a", f"{hour}:10:00")]
    part = evaluate(pol, events).partitions[0]
    assert [(m.occurrence, m.ts) for m in part.matches] == [
        (n, parse_timestamp(f"2026-01-01T{h}:10:00Z"))
        for n, h in [(2, "02"), (3, "03"), (4, "04"), (5, "06")]
    ]
    # 02:10 fires; at 03:10 the window (01:10, 03:10] holds that firing; at 04:10 the window
    # (02:10, 04:10] excludes its lower bound, so it fires again; likewise at 06:10.
    fired = [d.timestamp[11:19] for d in part.derived if d.type == "z"]
    assert fired == ["02:10:00", "04:10:00", "06:10:00"]


def test_shapes_differ_by_children_at_depth():
    pol = policy(COMPOSE.replace("at_least: 1, within: 1h}", "at_least: 1, within: 1h, domain: d}"))
    ev_other = Event("b9", "b", parse_timestamp("2026-01-01T03:00:00Z"), "other", None, {})
    events = [
        ev("b1", "b", "01:00:00"),
        ev("a1", "a", "01:10:00"),
        ev_other,
        ev("b2", "b", "03:00:00"),
        ev("a2", "a", "03:10:00"),
    ]
    assert len(evaluate(pol, events).partitions[0].matches) == 1
    pol2 = policy(COMPOSE.replace("within: 1h}", "within: 3h}"))
    # a1's x has children {a, b}; a2's x takes a leftover b and b9 (other domain): a different shape at depth 1
    events2 = [
        ev("b1", "b", "01:00:00"),
        ev("a1", "a", "01:10:00"),
        ev("b2", "b", "02:00:00"),
        ev_other,
        ev("a2", "a", "03:10:00"),
    ]
    assert evaluate(pol2, events2).partitions[0].matches == ()


def test_lineages_are_partitions_and_shared_events_join_every_one():
    pol = policy(RULE_AB.replace("at_least: 2", "at_least: 1"))
    events = [ev("b0", "b", "08:00:00"), ev("a1", "a", "08:10:00", "l1"), ev("a2", "a", "08:20:00", "l2")]
    assert derived(pol, events) == [
        ("l1", "x", "08:10:00", ["a1", "b0"]),
        ("l2", "x", "08:20:00", ["a2", "b0"]),
    ]


def test_derived_ids_are_stable_content_hashes():
    pol = policy(RULE_AB.replace("at_least: 2", "at_least: 1"))
    events = [ev("b0", "b", "08:00:00"), ev("a1", "a", "08:10:00")]
    first = evaluate(pol, events).partitions[0].derived[0].id
    assert first == evaluate(pol, list(reversed(events))).partitions[0].derived[0].id
    assert (
        len(first) == 32
        and first
        != evaluate(pol, [ev("b0", "b", "08:00:00"), ev("a9", "a", "08:10:00")]).partitions[0].derived[0].id
    )


FORBIDDEN = {
    "time",
    "datetime",
    "os",
    "sys",
    "random",
    "socket",
    "requests",
    "urllib",
    "pathlib",
    "io",
    "subprocess",
    "http",
}


@pytest.mark.parametrize("module", sorted((ROOT / "gate" / "engine").glob("*.py")), ids=lambda p: p.name)
def test_engine_is_pure(module: Path):
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [(node.module or "").split(".")[0]]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"open", "input", "print"}
        ):
            raise AssertionError(f"{module.name}:{node.lineno}: calls {node.func.id}()")
        else:
            continue
        bad = FORBIDDEN.intersection(names)
        assert not bad, (
            f"{module.name}:{node.lineno}: imports {bad} (the engine reads no clock, env, files or network)"
        )
