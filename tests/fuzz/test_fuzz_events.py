"""Fuzzing the event reader (gate.sources.events): JSON Lines, JSON arrays and YAML lists.

Each hostile seed gives a valid parse or an InputError naming file and line (exit 2), in bounded
time; hypothesis then mutates valid documents and generates arbitrary JSON values around them.
"""

from __future__ import annotations

import json
import math

import pytest
from fuzz_support import BILLION_LAUGHS, FUZZ, GOOD, HUGE_DIGITS, TS, mutate, outcome, timed
from hypothesis import given
from hypothesis import strategies as st

from gate.errors import GateError, InputError
from gate.policy import load_policy
from gate.sources.base import Limits, RawDocument
from gate.sources.events import EventCollector, Inputs

TYPES = load_policy("spec-locked-drift").types


def read(name: str, data: bytes, limits: Limits | None = None) -> Inputs:
    collector = EventCollector(TYPES, limits)
    collector.add_document(RawDocument.from_bytes(name, data))
    return collector.finish()


def ev(**fields: object) -> bytes:
    base: dict[str, object] = {"type": "run_started", "timestamp": TS}
    base.update(fields)
    return json.dumps(base).encode()


def props_line(raw_value: str) -> bytes:
    return ('{"type":"run_started","timestamp":"' + TS + '","props":{"x":' + raw_value + "}}").encode()


def yaml_event(extra: str) -> bytes:
    return f'- type: run_started\n  timestamp: "{TS}"\n{extra}'.encode()


# name -> (bytes, expected message fragment): every one of these is broken and must be refused.
BROKEN: dict[str, tuple[bytes, str]] = {
    "truncated.jsonl": (GOOD + b"\n" + GOOD[:40], ".jsonl:2: not valid JSON"),
    "truncated.json": (b"[" + GOOD + b",\n" + GOOD[:40], "not valid JSON"),
    "bad-utf8.jsonl": (
        props_line('"ab"').replace(b"ab", b"a\xffb"),
        ":1: not valid UTF-8 (invalid start byte",
    ),
    "bad-utf8.yaml": (yaml_event("  props: {x: \xff}\n").replace(b"\xc3\xbf", b"\xff"), "not valid UTF-8"),
    "nul.jsonl": (GOOD[:20] + b"\x00" + GOOD[20:], "Invalid control character"),
    "nul.yaml": (yaml_event("  props: {x: a\x00b}\n"), "character 0x0000 is not allowed"),
    "bom-mid-file.jsonl": (GOOD + b"\n\xef\xbb\xbf" + GOOD, ".jsonl:2: not valid JSON"),
    "deep.jsonl": (b"[" * 100_000 + b"\n", "nested too deeply"),
    "deep.json": (b"[" + b'{"a":' * 100_000, "nested too deeply"),
    "deep.yaml": (b"- " + b"[" * 100_000, "nested too deeply"),
    "over-depth-cap.jsonl": (
        props_line("[" * 63 + "]" * 63),
        "nested more than 64 levels deep (the max_depth cap)",
    ),
    "huge-int.jsonl": (props_line(HUGE_DIGITS), "an integer with more than 4300 digits"),
    "huge-int.json": (b"[" + props_line(HUGE_DIGITS) + b"]", "an integer with more than 4300 digits"),
    "huge-int.yaml": (
        yaml_event(f"  props: {{x: {HUGE_DIGITS}}}\n"),
        "an integer with more than 4300 digits",
    ),
    "nan.jsonl": (props_line("NaN"), "NaN is not valid JSON"),
    "infinity.jsonl": (props_line("Infinity"), "Infinity is not valid JSON"),
    "minus-infinity.json": (b"[" + props_line("-Infinity") + b"]", "-Infinity is not valid JSON"),
    "1e400.jsonl": (props_line("1e400"), "the number 1e400 is out of range"),
    "1e400-with-id.jsonl": (ev(id="a")[:-1] + b',"props":{"x":1e400}}', "out of range"),
    "nan.yaml": (yaml_event("  props: {x: .nan}\n"), "props.x: nan is not a finite number"),
    "inf.yaml": (yaml_event("  id: a\n  props: {x: -.inf}\n"), "props.x: -inf is not a finite number"),
    "billion-laughs.yaml": (BILLION_LAUGHS, "expands to more than 2000000 nodes"),
    "python-object.yaml": (
        b"- !!python/object/apply:os.system [echo pwned]\n",
        "could not determine a constructor",
    ),
    "python-name.yaml": (
        yaml_event("  props: {x: !!python/name:os.system ''}\n"),
        "could not determine a constructor",
    ),
    "binary.yaml": (yaml_event("  props: {x: !!binary aGVsbG8=}\n"), "has no JSON equivalent"),
    "set.yaml": (yaml_event("  props: {x: !!set {a, b}}\n"), "has no JSON equivalent"),
    "list-key.yaml": (yaml_event("  props: {[a, b]: 1}\n"), "a mapping key must be a plain value"),
    "int-key.yaml": (yaml_event("  props: {1: one}\n"), "props: key 1 is not a string"),
    "duplicate-key.jsonl": (
        b'{"type":"run_started","type":"x","timestamp":"' + TS.encode() + b'"}',
        "duplicate key 'type'",
    ),
    "duplicate-key.yaml": (yaml_event("  type: x\n"), "duplicate key 'type' (first at line 1)"),
    "leap-second.jsonl": (ev(timestamp="2016-12-31T23:59:60Z"), "leap seconds (:60) are not supported"),
    "year-0.jsonl": (ev(timestamp="0000-12-31T23:59:59Z"), "year 0 is out of range"),
    "year-1-east.jsonl": (ev(timestamp="0001-01-01T00:00:00+14:00"), "outside the years 1 to 9999 in UTC"),
    "year-9999-west.jsonl": (ev(timestamp="9999-12-31T23:59:59-12:00"), "outside the years 1 to 9999 in UTC"),
    "fraction-10-digits.jsonl": (
        ev(timestamp="2024-05-01T10:00:00.1234567891Z"),
        "not an RFC 3339 timestamp",
    ),
    "offset-24.jsonl": (ev(timestamp="2024-05-01T10:00:00+24:00"), "is out of range"),
    "no-offset.jsonl": (ev(timestamp="2024-05-01T10:00:00"), "has no UTC offset"),
    "fullwidth-digits.jsonl": (ev(timestamp="２０２４-05-01T10:00:00Z"), "not an RFC 3339 timestamp"),
    "cyrillic-type.jsonl": (ev(type="run_st\u0430rted"), "is not a snake_case type name"),
    "fullwidth-type.jsonl": (ev(type="run\uff3fstarted"), "is not a snake_case type name"),
    "timestamp-number.yaml": (
        b"- {type: run_started, timestamp: 1714557600}\n",
        "must be an RFC 3339 string",
    ),
    "scalar.yaml": (b"just text\n", "expected a YAML list of events"),
    "two-documents.yaml": (b"- a\n---\n- b\n", "but found another document"),
    "array-trailing-comma.json": (b"[" + GOOD + b",]", "not valid JSON"),
    "array-then-garbage.json": (b"[" + GOOD + b"] x", "unexpected data after the JSON array"),
    "whitespace.json": (b"  \n ", "expected a JSON array of events"),
}
# These are valid, however odd: they must parse.
VALID: dict[str, bytes] = {
    "bom.jsonl": b"\xef\xbb\xbf" + GOOD + b"\n",
    "bom.json": b"\xef\xbb\xbf[" + GOOD + b"]",
    "bom.yaml": b"\xef\xbb\xbf" + yaml_event(""),
    "year-1.jsonl": ev(timestamp="0001-01-01T00:00:00Z"),
    "year-9999-nanos.jsonl": ev(timestamp="9999-12-31T23:59:59.999999999Z"),
    "east-14.jsonl": ev(timestamp="2024-05-01T10:00:00+14:00"),
    "west-12.jsonl": ev(timestamp="2024-05-01T10:00:00-12:00"),
    "fraction-9-digits.jsonl": ev(timestamp="2024-05-01T10:00:00.123456789Z"),
    "unquoted-timestamp.yaml": b"- {type: run_started, timestamp: 2024-05-01T10:00:00Z}\n",
    "max-double.jsonl": props_line("1.7976931348623157e308"),
    "4300-digits.jsonl": props_line("9" * 4300),
    "depth-64.jsonl": props_line("[" * 62 + "]" * 62),
    "long-line.jsonl": props_line('"' + "a" * 5_000_000 + '"'),
    "unicode-props.jsonl": props_line('"\\u0430 \u2603 \\ud83d\\ude00"'),
    "crlf.jsonl": GOOD + b"\r\n" + GOOD + b"\r\n",
    "blank-lines.jsonl": b"\n\n" + GOOD + b"\n   \n",
    "empty.jsonl": b"",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_seed_is_refused_with_file_and_line(name: str) -> None:
    data, fragment = BROKEN[name]
    name = f"events/{name}"
    err = timed(lambda: outcome(lambda: read(name, data), name, line=True), 10.0)
    assert isinstance(err, InputError), f"{name} was accepted: a broken file must never pass"
    assert fragment in err.message


@pytest.mark.parametrize("name", sorted(VALID))
def test_odd_but_valid_seed_parses(name: str) -> None:
    inputs = timed(lambda: read(name, VALID[name]), 10.0)
    assert inputs.records == len(inputs.events) + inputs.merged_duplicates
    assert inputs.records >= (0 if name == "empty.jsonl" else 1)


def test_timestamp_edges_keep_their_instant() -> None:
    east = read("e.jsonl", VALID["east-14.jsonl"]).events[0]
    west = read("w.jsonl", VALID["west-12.jsonl"]).events[0]
    assert east.timestamp == "2024-04-30T20:00:00Z"
    assert west.timestamp == "2024-05-01T22:00:00Z"
    last = read("l.jsonl", VALID["year-9999-nanos.jsonl"]).events[0]
    assert last.timestamp == "9999-12-31T23:59:59.999999999Z"


def test_billion_laughs_is_refused_quickly() -> None:
    err = timed(lambda: outcome(lambda: read("laughs.yaml", BILLION_LAUGHS), "laughs.yaml"), 3.0)
    assert isinstance(err, InputError)


# -- hypothesis ------------------------------------------------------------------------------------

VALID_DOCS = {
    "doc.jsonl": GOOD + b"\n" + ev(type="dataset_provenance_flag", id="e2") + b"\n",
    "doc.json": b"[\n  " + GOOD + b",\n  " + ev(id="e3", lineage="l1") + b"\n]\n",
    "doc.yaml": yaml_event(
        '  id: y1\n  props: {run: r1, n: 3, tags: [a, b]}\n- {type: run_started, timestamp: "2024-05-02T00:00:00+02:00"}\n'
    ),
}


@FUZZ
@given(
    name=st.sampled_from(sorted(VALID_DOCS)),
    kind=st.integers(0, 3),
    pos=st.integers(0, 10_000),
    blob=st.binary(max_size=12)
    | st.sampled_from(
        [b"\x00", b"\xff", b"\xef\xbb\xbf", b"[[[[", b"NaN", b"1e400", b"&a *a", b"!!set", b'"', b"\n"]
    ),
)
def test_mutated_documents(name: str, kind: int, pos: int, blob: bytes) -> None:
    data = mutate(VALID_DOCS[name], kind, pos, blob)
    outcome(lambda: read(name, data), name)


@FUZZ
@given(cut=st.integers(1, 10_000))
def test_a_cut_inside_a_json_line_never_passes(cut: int) -> None:
    data = VALID_DOCS["doc.jsonl"]
    head = data[: cut % (len(data) - 1) + 1]
    if head.rstrip(b" ").endswith((b"}", b"\n")):
        return  # cut at the end of a record: a valid, shorter file (the source layer guards transfers)
    err = outcome(lambda: read("cut.jsonl", head), "cut.jsonl", line=True)
    assert isinstance(err, InputError), f"a truncated line was accepted: {head[-30:]!r}"


@FUZZ
@given(cut=st.integers(1, 10_000))
def test_a_truncated_json_array_never_passes(cut: int) -> None:
    data = VALID_DOCS["doc.json"]
    head = data[: cut % (len(data.rstrip()) - 1) + 1]  # any strict prefix before the closing bracket
    err = outcome(lambda: read("cut.json", head), "cut.json", line=True)
    assert isinstance(err, InputError)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["\u0430", "\uff11", "\x00", "\ud7ff", "2024-05-01T10:00:00Z", "run_started"])
)
json_values = st.recursive(
    json_scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=12,
)
FIELDS = ["type", "timestamp", "id", "domain", "lineage", "props", "tipe", "Type"]


@FUZZ
@given(record=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6), as_yaml=st.booleans())
def test_arbitrary_records(record: dict[str, object], as_yaml: bool) -> None:
    if as_yaml:
        import yaml

        name, data = "r.yaml", yaml.safe_dump([record], allow_unicode=True).encode()
    else:
        name, data = "r.jsonl", json.dumps(record, allow_nan=True).encode()
    result = outcome(lambda: read(name, data), name, line=True)
    if not isinstance(result, GateError):
        (event,) = result.events  # accepted: the record really was an event
        assert isinstance(event.type, str) and event.type.isascii()
        for value in _leaves(event.props):
            assert not (isinstance(value, float) and not math.isfinite(value))


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@FUZZ
@given(lines=st.lists(st.binary(max_size=40), max_size=5))
def test_arbitrary_bytes_as_json_lines(lines: list[bytes]) -> None:
    outcome(lambda: read("b.jsonl", b"\n".join(lines)), "b.jsonl")
