"""Reading leaf events (SPEC 2): formats, locations in every error, merging, the event schema."""

from __future__ import annotations

import hashlib
import io
import json

import jsonschema
import pytest
from helpers import ROOT, run_check, write_jsonl
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.errors import InputError, UsageError
from gate.model import Origin
from gate.policy import load_policy
from gate.sources.base import RawDocument
from gate.sources.events import EventCollector

TYPES = load_policy("spec-locked-drift").types
OK = {"type": "run_started", "timestamp": "2026-01-01T09:00:00Z", "id": "a"}


def read_text(name: str, text: str | bytes, kind: str | None = None):
    data = text.encode() if isinstance(text, str) else text
    c = EventCollector(TYPES)
    c.add_document(RawDocument.from_bytes(name, data, kind=kind))
    return c.finish()


def error_of(name: str, text: str | bytes, kind: str | None = None) -> str:
    with pytest.raises(InputError) as e:
        read_text(name, text, kind)
    return str(e.value)


# -- exact messages for the common mistakes -----------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00"}',
            "e.jsonl:2: timestamp: '2026-01-01T09:00:00' has no UTC offset; add 'Z' or '+HH:MM' "
            "(offsets are never guessed)",
        ),
        (
            '{"type": "run_started", "timestamp": "yesterday"}',
            "e.jsonl:2: timestamp: 'yesterday' is not an RFC 3339 timestamp (e.g. 2026-01-01T09:00:00Z)",
        ),
        ('{"timestamp": "2026-01-01T09:00:00Z"}', "e.jsonl:2: type: required field is missing"),
        ('{"type": "run_started"}', "e.jsonl:2: timestamp: required field is missing"),
        (
            '{"type": "RunStarted", "timestamp": "2026-01-01T09:00:00Z"}',
            "e.jsonl:2: type: 'RunStarted' is not a snake_case type name",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-02-30T09:00:00Z"}',
            "e.jsonl:2: timestamp: '2026-02-30T09:00:00Z': day is out of range for month",
        ),
        (
            '{"type": "run_started", "timestmp": "2026-01-01T09:00:00Z"}',
            "e.jsonl:2: timestmp: unknown field (did you mean 'timestamp'?)",
        ),
        (
            '{"type": "run_started", "timestamp": 1767258000}',
            "e.jsonl:2: timestamp: must be an RFC 3339 string, got int",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00Z", "props": [1]}',
            "e.jsonl:2: props: must be an object, got an array",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00Z", "lineage": ""}',
            "e.jsonl:2: lineage: must be a non-empty string or null, got ''",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00Z", "id": 7}',
            "e.jsonl:2: id: must be a non-empty string of at most 512 characters",
        ),
        ("[1, 2]", "e.jsonl:2: an event must be a JSON object, got an array"),
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00Z"',
            "e.jsonl:2: not valid JSON: Expecting ',' delimiter (column 60)",
        ),
        (
            '{"type": "a", "type": "b", "timestamp": "2026-01-01T09:00:00Z"}',
            "e.jsonl:2: not valid JSON: duplicate key 'type'",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-01-01T09:00:00Z", "props": {"x": NaN}}',
            "e.jsonl:2: not valid JSON: NaN is not valid JSON",
        ),
        (
            '{"type": "run_started", "timestamp": "2026-06-30T23:59:60Z"}',
            "e.jsonl:2: timestamp: '2026-06-30T23:59:60Z': leap seconds (:60) are not supported; "
            "use :59 or the next second",
        ),
    ],
)
def test_jsonl_error_names_file_line_and_field(line, message):
    assert error_of("e.jsonl", json.dumps(OK) + "\n" + line + "\n") == message


def test_json_array_errors_name_the_item_line():
    text = (
        '[\n  {"type": "run_started", "timestamp": "2026-01-01T09:00:00Z"},\n  {"type": "run_started"}\n]\n'
    )
    assert error_of("e.json", text) == "e.json:3: timestamp: required field is missing"


def test_yaml_errors_name_the_item_line():
    text = "- type: run_started\n  timestamp: 2026-01-01T09:00:00Z\n- type: run_started\n  timestamp: 2026-01-01\n"
    assert error_of("e.yaml", text) == (
        "e.yaml:3: timestamp: '2026-01-01' has no UTC offset; add 'Z' or '+HH:MM' (offsets are never guessed)"
    )


def test_yaml_unquoted_timestamps_stay_strings():
    inputs = read_text("e.yml", "- type: run_started\n  timestamp: 2026-01-01T09:00:00+02:00\n  id: x\n")
    assert inputs.events[0].timestamp == "2026-01-01T07:00:00Z"


def test_invalid_utf8_and_nul_bytes():
    assert error_of("e.jsonl", b'{"type": "run_started", "timestamp": "\xff"}\n').startswith(
        "e.jsonl:1: not valid UTF-8 (invalid start byte"
    )
    assert error_of("e.jsonl", b"\x00\n").startswith("e.jsonl:1: not valid JSON")


def test_bom_and_blank_lines_are_tolerated():
    inputs = read_text(
        "e.jsonl", "\ufeff" + json.dumps(OK) + "\n\n   \n" + json.dumps({**OK, "id": "b"}) + "\n"
    )
    assert [e.id for e in inputs.events] == ["a", "b"]
    assert inputs.origins_of("b") == [Origin("e.jsonl", 4)]


def test_offsets_are_converted_to_utc_instants():
    a = read_text("e.jsonl", json.dumps({**OK, "timestamp": "2026-01-01T10:30:00.250+01:30"}) + "\n").events[
        0
    ]
    assert a.timestamp == "2026-01-01T09:00:00.25Z"


def test_nanosecond_fractions_are_kept_exactly():
    a = read_text("e.jsonl", json.dumps({**OK, "timestamp": "2026-01-01T09:00:00.123456789Z"}) + "\n").events[
        0
    ]
    assert a.timestamp == "2026-01-01T09:00:00.123456789Z"


# -- duplicates and ids -----------------------------------------------------------------------------
def test_identical_duplicates_merge_and_keep_both_origins():
    inputs = read_text("e.jsonl", json.dumps(OK) + "\n" + json.dumps(OK) + "\n")
    assert len(inputs.events) == 1
    assert inputs.merged_duplicates == 1
    assert inputs.origins_of("a") == [Origin("e.jsonl", 1), Origin("e.jsonl", 2)]


def test_same_id_different_content_names_both_places():
    other = {**OK, "props": {"run": 2}}
    assert error_of("e.jsonl", json.dumps(OK) + "\n" + json.dumps(other) + "\n") == (
        "e.jsonl:2: id: 'a' is also used at e.jsonl:1 with different content "
        "(the same id must always carry the same event)"
    )


def test_missing_ids_are_content_hashes_so_duplicates_merge():
    ev = {"type": "run_started", "timestamp": "2026-01-01T10:00:00+01:00", "props": {"b": 1, "a": 2}}
    same = {
        "props": {"a": 2, "b": 1},
        "timestamp": "2026-01-01T09:00:00Z",
        "type": "run_started",
        "domain": "training",
    }
    inputs = read_text("e.jsonl", json.dumps(ev) + "\n" + json.dumps(same) + "\n")
    assert len(inputs.events) == 1 and inputs.merged_duplicates == 1
    # sha256 of the sorted-key compact JSON of type, domain (resolved), lineage, props and the UTC instant
    canonical = (
        '{"domain":"training","lineage":null,"props":{"a":2,"b":1},'
        '"timestamp":"2026-01-01T09:00:00Z","type":"run_started"}'
    )
    assert inputs.events[0].id == hashlib.sha256(canonical.encode()).hexdigest()


def test_domain_defaults_from_the_policy_types_table():
    assert read_text("e.jsonl", json.dumps(OK) + "\n").events[0].domain == "training"


# -- sources: paths, directories, globs, stdin ------------------------------------------------------
def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        run_check(tmp_path / "nope.jsonl")


def test_glob_matching_nothing_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="the pattern matches no file"):
        run_check(str(tmp_path / "*.jsonl"))


def test_directory_is_read_recursively_and_other_files_are_listed_as_skipped(tmp_path):
    write_jsonl(tmp_path / "b" / "two.jsonl", [{**OK, "id": "b"}])
    write_jsonl(tmp_path / "a.jsonl", [OK])
    (tmp_path / "notes.txt").write_text("hello")
    report = run_check(tmp_path).report
    assert report["inputs"]["events"] == 2
    assert [s["reason"] for s in report["sources"]["skipped"]] == ["not an event file extension"]


def test_stdin_is_read_with_format_detection():
    from gate.run import CheckRequest, check

    payload = b"- type: run_started\n  timestamp: 2026-01-01T09:00:00Z\n  id: s1\n"
    result = check(CheckRequest(events=("-",), stdin=lambda: io.BytesIO(payload), as_of="2026-06-01"))
    assert result.report["inputs"]["events"] == 1


def test_no_evidence_at_all_is_a_usage_error():
    with pytest.raises(UsageError, match="no evidence given"):
        run_check()


# -- the schema and the hand-written validator agree ----------------------------------------------
SCHEMA = json.loads((ROOT / "gate" / "schemas" / "event.schema.json").read_text())
SAMPLES = [
    OK,
    {**OK, "domain": "x", "lineage": "l", "props": {"k": [1, {"z": None}]}},
    {**OK, "lineage": None, "props": None},
    {**OK, "timestamp": "2026-01-01T09:00:00.5-05:30"},
    {"type": "run_started"},
    {"timestamp": "2026-01-01T09:00:00Z"},
    {**OK, "type": "Bad"},
    {**OK, "extra": 1},
    {**OK, "props": 3},
    {**OK, "id": ""},
    {**OK, "lineage": ""},
    {**OK, "timestamp": "2026-01-01T09:00:00"},
]


@pytest.mark.parametrize("event", SAMPLES)
def test_schema_and_reader_agree(event):
    schema_ok = jsonschema.Draft202012Validator(SCHEMA).is_valid(event)
    try:
        read_text("s.jsonl", json.dumps(event) + "\n")
        reader_ok = True
    except InputError:
        reader_ok = False
    assert schema_ok == reader_ok


# -- canonical order ------------------------------------------------------------------------------
@settings(max_examples=200, derandomize=True)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.text("ab", max_size=3)), unique_by=lambda x: x[1] + str(x[0]))
)
def test_canonical_order_is_time_then_id(pairs):
    from gate.model import Event
    from gate.sources.events import canonical_order

    events = [Event(f"{i}{name}", "t", ts) for i, (ts, name) in enumerate(pairs)]
    assert canonical_order(events) == sorted(events, key=lambda e: (e.ts, e.id))
