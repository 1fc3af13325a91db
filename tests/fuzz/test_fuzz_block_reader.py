"""The block fast path (gate.sources.batch) reads exactly what the line reader reads.

Each example is a JSON Lines document built from valid records and hostile variations aimed at
every check the fast path makes in bulk (duplicate keys the plain parser would hide, escapes,
NaN, 1e400, nesting, every odd time, ids, types, domains, lineages, props, duplicates, blank
lines, CRLF, a BOM, invalid UTF-8). It is read twice, with the fast path and with it switched
off, and the two results (events, origins, counts) or the two errors must be identical.
"""

from __future__ import annotations

import io
import json

import pytest
from fuzz_support import EXAMPLES, FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st

import gate.sources.events as events_module
from gate.errors import GateError
from gate.policy import load_policy
from gate.sources import batch
from gate.sources.base import Limits
from gate.sources.events import EventCollector

TYPES = load_policy("spec-locked-drift").types
BASE = {
    "id": "e",
    "type": "eval_regression_observed",
    "timestamp": "2026-03-01T10:00:00Z",
    "lineage": "ft-a",
    "props": {"run": 1, "task": "mmlu", "delta": -0.5},
}

# (field, value) replacements; `...` removes the field.
FIELD_VARIANTS: list[tuple[str, object]] = [
    ("timestamp", "2026-03-01t10:00:00z"),
    ("timestamp", "2026-03-01T10:00:00.5Z"),
    ("timestamp", "2026-03-01T10:00:00+02:00"),
    ("timestamp", "2026-03-01 10:00:00Z"),
    ("timestamp", "2026-02-30T10:00:00Z"),
    ("timestamp", "2024-02-29T23:59:59Z"),
    ("timestamp", "2026-03-01T24:00:00Z"),
    ("timestamp", "2026-03-01T23:59:60Z"),
    ("timestamp", "2026-03-01T10:61:00Z"),
    ("timestamp", "0000-03-01T10:00:00Z"),
    ("timestamp", "0001-01-01T00:00:00Z"),
    ("timestamp", "9999-12-31T23:59:59Z"),
    ("timestamp", "2026-03-01T10:00:00"),
    ("timestamp", "２０26-03-01T10:00:00Z"),
    ("timestamp", "2026-W09-1T10:00:00Z"),
    ("timestamp", "20260301T10:00:00Z.."),
    ("timestamp", 1700000000),
    ("timestamp", None),
    ("timestamp", ...),
    ("type", "Eval"),
    ("type", "deploy_note"),
    ("type", ""),
    ("type", 3),
    ("type", ["eval_regression_observed"]),
    ("type", ...),
    ("id", ...),
    ("id", ""),
    ("id", "x" * 512),
    ("id", "x" * 513),
    ("id", 7),
    ("id", {"a": 1}),
    ("domain", "eval"),
    ("domain", "custom"),
    ("domain", ""),
    ("domain", None),
    ("domain", 1),
    ("lineage", None),
    ("lineage", ""),
    ("lineage", "ft-b"),
    ("lineage", ["ft-a"]),
    ("lineage", {"x": 1}),
    ("lineage", ...),
    ("props", None),
    ("props", {}),
    ("props", []),
    ("props", "x"),
    ("props", {"nested": {"a": [1, 2, {"b": None}]}}),
    ("props", {"f": 1.5e300, "t": True, "n": None}),
    ("props", {"text": 'a ":" b', "colon": ":"}),
    ("props", {"q": 'say "hi"'}),
    ("props", {"u": "\u00e9\u2028\U0001f600"}),
    ("props", {"big": 10**30}),
    ("extra", 1),
    ("Type", "eval_regression_observed"),
]

# Whole lines that are not a json.dumps of one record.
RAW_LINES = [
    "",
    "   ",
    '  {"id":"s","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}',
    '{"id":"s2","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}   ',
    '{"id":"d","type":"run_started","type":"eval_regression_observed","timestamp":"2026-03-01T10:00:00Z"}',
    '{"id":"d2","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"a":1,"a":2}}',
    '{"id":"d3","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"a" :1,"a":2}}',
    '{"id":"d4","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"k":{"a":1,"a":2}}}',
    '{"id":"n","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"x":NaN}}',
    '{"id":"i","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"x":-Infinity}}',
    '{"id":"o","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"x":1e400}}',
    '{"id":"e\\u0041","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}',
    '{"id":"t","type":"run_started","timestamp":"2026-03-01T10:00:00Z"} {"id":"u"}',
    '{"id":"c","type":"run_started","timestamp":"2026-03-01T10:00:00Z"},',
    '{"id":"p","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"d":'
    + "[" * 70
    + "]" * 70
    + "}}",
    '[{"id":"a","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}]',
    '"just a string"',
    "{\"id\":'q'}",
    '{"id":"x","type":"run_started","timestamp":"2026-03-01T10:00:00Z"',
    '\ufeff{"id":"b","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}',
    # Records that span lines, or lines holding two: the one-array parse must never pair them up.
    '{"id":"m1","type":"run_started","timestamp":"2026-03-01T10:00:00Z"},{"id":"m2","type":"run_started","timestamp":"2026-03-01T10:00:00Z"}',
    '{"id":"h","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"a":1,',
    '"b":2}}',
    '{"id":"k","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"s":"]}","k":[{}',
    '{"z":"[{"}]}}',
    "{}",
]


@st.composite
def records(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from(RAW_LINES))
    record = dict(BASE, id=f"e{draw(st.integers(0, 40))}")
    if draw(st.booleans()):
        record["timestamp"] = (
            f"20{draw(st.integers(10, 99))}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}T0{draw(st.integers(0, 9))}:1{draw(st.integers(0, 9))}:2{draw(st.integers(0, 9))}Z"
        )
    for field, value in draw(st.lists(st.sampled_from(FIELD_VARIANTS), max_size=2 if kind < 3 else 0)):
        if value is ...:
            record.pop(field, None)
        else:
            record[field] = value
    spaced = draw(st.integers(0, 6)) == 0
    return json.dumps(
        record, separators=(", ", ": ") if spaced else (",", ":"), ensure_ascii=draw(st.booleans())
    )


def read(data: bytes, fast: bool, block: int, limits: Limits, keep: frozenset[str] | None = None) -> object:
    """What reading `data` gives: the collected inputs, or the error's class and message."""
    collector = EventCollector(TYPES, limits, keep=keep)
    original = events_module.take_block
    events_module.take_block = original if fast else (lambda *args: False)
    events_module.BLOCK_LINES, saved = block, events_module.BLOCK_LINES
    try:
        collector._add_jsonl("h.jsonl", io.BytesIO(data))
    except GateError as e:
        return (type(e).__name__, e.message)
    finally:
        events_module.take_block = original
        events_module.BLOCK_LINES = saved
    inputs = collector.finish()
    return (
        inputs.events,
        [inputs.origins_of(e.id) for e in inputs.events],
        inputs.records,
        inputs.merged_duplicates,
        inputs.unknown_types,
        inputs.unknown_first,
        inputs.total,
        inputs.lineage_counts,
        inputs.hashes,  # each event's canonical encoding, so the digest too
    )


@settings(FUZZ, max_examples=max(EXAMPLES, 300))
@given(
    lines=st.lists(records(), min_size=1, max_size=30),
    block=st.sampled_from([1, 3, 8, 512]),
    crlf=st.booleans(),
    tail=st.sampled_from([b"", b"\n", b"\xff\n", b"\n\n"]),
    cap=st.sampled_from([Limits(), Limits(max_events=10), Limits(max_depth=1), Limits(max_depth=2)]),
    keep=st.sampled_from([None, frozenset({"eval_regression_observed"}), frozenset({"run_started"})]),
)
def test_the_block_path_reads_what_the_line_reader_reads(
    lines: list[str], block: int, crlf: bool, tail: bytes, cap: Limits, keep: frozenset[str] | None
) -> None:
    data = ("\r\n" if crlf else "\n").join(lines).encode("utf-8") + tail
    assert read(data, True, block, cap, keep) == read(data, False, block, cap, keep)


def test_a_plain_block_is_taken_whole() -> None:
    """The benchmark's shape of record goes through the fast path (else it would be no faster)."""
    lines = [json.dumps(dict(BASE, id=f"e{i}"), separators=(",", ":")).encode() + b"\n" for i in range(100)]
    collector = EventCollector(TYPES)
    assert batch.take_block(collector, "h.jsonl", lines, 1)
    assert len(collector.finish().events) == 100
    assert collector.finish().origins_of("e99")[0].line == 100


@pytest.mark.parametrize(
    "line",
    [
        '{"id":"d","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"a":1,"a":2}}',
        '{"id":"d","type":"run_started","timestamp":"2026-03-01T10:00:00Z","id":"e"}',
        '{"id":"o","type":"run_started","timestamp":"2026-03-01T10:00:00Z","props":{"x":1e400}}',
        '{"id":"t","type":"run_started","timestamp":"2026-03-01T23:59:60Z"}',
        '{"id":"t","type":"run_started","timestamp":"2026-03-01T24:00:00Z"}',
    ],
)
def test_what_the_plain_parser_would_hide_is_never_taken(line: str) -> None:
    collector = EventCollector(TYPES)
    assert not batch.take_block(collector, "h.jsonl", [line.encode() + b"\n"], 1)
    assert collector.finish().events == []


def test_an_undeclared_type_is_placed_at_its_first_line_in_a_block() -> None:
    lines = [
        json.dumps(dict(BASE, id=f"e{i}", type="deploy_note" if i in (3, 7) else BASE["type"])).encode()
        + b"\n"
        for i in range(10)
    ]
    collector = EventCollector(TYPES)
    assert batch.take_block(collector, "h.jsonl", lines, 1)
    inputs = collector.finish()
    assert inputs.unknown_types == {"deploy_note": 2}
    assert inputs.unknown_first["deploy_note"].line == 4
