"""Reading one large JSON Lines file on two cores gives exactly what a sequential read gives."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from gate.errors import InputError
from gate.policy import load_policy
from gate.sources import SourceContext, resolve
from gate.sources.base import Limits
from gate.sources.events import EventCollector, Inputs

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # noqa: E402

TYPES = load_policy("spec-locked-drift").types


def read(path: Path, split: bool, limits: Limits | None = None, keep: frozenset[str] | None = None) -> Inputs:
    collector = EventCollector(TYPES, limits, split_bytes=1 if split else None, keep=keep)
    for doc in resolve(str(path), SourceContext()).documents():
        collector.add_document(doc)
    return collector.finish()


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def history(tmp_path: Path) -> list[dict]:
    records = list(generate(3000, 4, 11, profile="ladder"))
    # duplicates across the halves and inside the second half, an undeclared type, a blank line
    records += (
        records[:5]
        + records[-5:]
        + [records[-1], {"type": "deploy_note", "timestamp": "2026-01-01T00:00:00Z"}]
    )
    return records


def test_split_read_equals_sequential_read(tmp_path: Path, history: list[dict]):
    path = write(tmp_path / "h.jsonl", history)
    path.write_text(path.read_text() + "\n" + json.dumps(history[7]) + "\n")
    seq, par = read(path, False), read(path, True)
    assert par.events == seq.events
    assert par.hashes == seq.hashes and par.lineage_counts == seq.lineage_counts
    assert par.digest() == seq.digest()
    assert (par.records, par.merged_duplicates, par.unknown_types) == (
        seq.records,
        seq.merged_duplicates,
        seq.unknown_types,
    )
    assert seq.merged_duplicates == 12
    for e in seq.events:
        assert par.origins_of(e.id) == seq.origins_of(e.id)
    assert par.digest() == seq.digest()


def error(path: Path, split: bool, limits: Limits | None = None) -> str:
    with pytest.raises(InputError) as e:
        read(path, split, limits)
    return str(e.value)


def test_an_error_in_the_second_half_names_its_line(tmp_path: Path, history: list[dict]):
    bad = [*history[:2500], {"type": "run_started", "timestamp": "2026-01-01T00:00:00"}, *history[2500:]]
    path = write(tmp_path / "h.jsonl", bad)
    assert error(path, True) == error(path, False)
    assert ":2501: timestamp:" in error(path, True)


def test_an_error_in_the_first_half_wins(tmp_path: Path, history: list[dict]):
    bad = [*history[:10], {"type": "x"}, *history[10:2500], {"nope": 1}, *history[2500:]]
    path = write(tmp_path / "h.jsonl", bad)
    assert error(path, True) == error(path, False) == f"{path}:11: timestamp: required field is missing"


def test_a_conflict_across_the_halves_is_found(tmp_path: Path, history: list[dict]):
    clash = {**history[3], "props": {"changed": True}}
    path = write(tmp_path / "h.jsonl", [*history, clash])
    assert error(path, True) == error(path, False)
    assert "is also used at" in error(path, True)


def test_the_event_cap_holds_over_both_halves(tmp_path: Path, history: list[dict]):
    path = write(tmp_path / "h.jsonl", history)
    message = error(path, True, Limits(max_events=len(history) - 1))
    assert "the max_events cap" in message and str(path) in message
    assert read(path, True, Limits(max_events=len(history))).records == len(history)


def test_an_answer_too_large_for_the_shared_memory_comes_through_the_pipe(
    tmp_path: Path, history: list[dict], monkeypatch: pytest.MonkeyPatch
):
    from gate.sources import split

    path = write(tmp_path / "h.jsonl", history)
    monkeypatch.setattr(split, "answer_room", lambda path, mid: 1)
    par, seq = read(path, True), read(path, False)
    assert par.events == seq.events and par.hashes == seq.hashes
    assert [par.origins_of(e.id) for e in par.events] == [seq.origins_of(e.id) for e in seq.events]


def test_keeping_some_types_reads_the_same_on_two_cores(tmp_path: Path, history: list[dict]):
    """check keeps Event objects only for the types it reads; the rest is still counted and hashed."""
    path = write(tmp_path / "h.jsonl", history)
    keep = frozenset({"spec_constraint_violation", "run_started"})
    every, seq, par = read(path, False), read(path, False, keep=keep), read(path, True, keep=keep)
    assert par.events == seq.events == [e for e in every.events if e.type in keep]
    assert par.total == seq.total == every.total
    assert par.digest() == seq.digest() == every.digest()
    assert par.lineage_counts == seq.lineage_counts == every.lineage_counts
    assert par.unknown_first == seq.unknown_first == every.unknown_first
    assert par.unknown_types == every.unknown_types == {"deploy_note": 1}
    assert par.get(every.events[0].id) == (every.events[0] if every.events[0].type in keep else None)


def test_an_error_in_the_first_half_stops_a_waiting_helper(tmp_path: Path, history: list[dict]):
    """With a task, the child waits for it after reading: an error here must not leave it behind."""
    from gate.parallel import SplitEvaluation
    from gate.policy import load_policy

    policy = load_policy("spec-locked-drift")
    path = write(tmp_path / "h.jsonl", history)
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = '{"type": "run_started"}\n'  # no timestamp, in the parent's half
    path.write_text("".join(lines))
    collector = EventCollector(TYPES, split_bytes=1, keep=frozenset({"run_started"}))
    collector.task = SplitEvaluation(policy, frozenset({"run_started"}), frozenset())
    children_before = _children()
    with pytest.raises(InputError, match=r"h.jsonl:4: timestamp: required field is missing"):
        for doc in resolve(str(path), SourceContext()).documents():
            collector.add_document(doc)
    assert _children() == children_before  # killed and reaped: no child left, not even a zombie
    assert collector.helpers == []


def _children() -> set[int]:
    import os

    me = str(os.getpid())
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "stat").read_text().rsplit(")", 1)[1].split()[1] == me:
                    found.add(int(entry.name))
            except OSError:
                continue
    return found
