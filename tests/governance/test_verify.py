"""`synapse-gate verify`: re-evaluates what a JSON report records and confirms verdict and digests
(exit 0), or lists the differences (exit 1): tampered input, changed policy, changed waivers, another
as-of date."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from gov_support import AS_OF, blocking_ids, invoke, waiver_yaml

from gate.verify import compare

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recorded(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A report of the example with a custom policy file and a waiver for one conclusion, written from
    tmp_path with relative paths (as a CI job would)."""
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(ROOT / "gate/policy/builtin/spec-locked-drift.yaml", tmp_path / "policy.yaml")
    out = invoke(
        ["check", "--format", "json", "--as-of", AS_OF, "--policy", "policy.yaml", "events.jsonl"], expect=1
    )
    first = blocking_ids(json.loads(out.stdout))[0]
    (tmp_path / "waivers.yaml").write_text(waiver_yaml(id=first))
    args = [
        "check",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        "--policy",
        "policy.yaml",
        "--waivers",
        "waivers.yaml",
    ]
    invoke([*args, "--since", "30d", "-o", "report.json", "events.jsonl"], expect=1)
    return tmp_path / "report.json"


def test_round_trip_verifies(recorded: Path) -> None:
    rep = json.loads(recorded.read_text())
    assert rep["request"] == {"policy": "policy.yaml", "waivers": "waivers.yaml"}
    assert rep["sources"]["refs"] == ["events.jsonl"]
    res = invoke(["verify", "report.json"], expect=0)
    assert res.stdout.startswith(
        "verified: report.json reproduces: verdict blocked, policy spec-locked-drift sha256 "
    )
    assert f"input {rep['inputs']['digest']}, waivers {rep['waivers']['sha256']}, as of {AS_OF}" in res.stdout


def test_the_recorded_window_is_an_instant_so_verify_does_not_depend_on_today(recorded: Path) -> None:
    rep = json.loads(recorded.read_text())
    assert rep["inputs"]["window"]["since"] == "2025-12-22T00:00:00Z"  # 30 days up to 2026-01-20
    invoke(["verify", "report.json"], expect=0)


def test_tampered_input_is_reported(recorded: Path) -> None:
    events = recorded.parent / "events.jsonl"
    events.write_text(events.read_text().replace('"r3-ecr"', '"r3-ecr-edited"'))
    res = invoke(["verify", "report.json"], expect=1)
    assert res.stdout.startswith("NOT VERIFIED: report.json differs from a re-evaluation in ")
    assert "  inputs.digest: recorded sha256:" in res.stdout
    # The id of the derived events above the edited leaf changed too.
    assert "  verdict.blocking: only in the recorded report: " in res.stdout


def test_tampering_that_keeps_the_verdict_is_still_caught_by_the_digest(recorded: Path) -> None:
    events = recorded.parent / "events.jsonl"
    events.write_text(
        events.read_text().replace(
            '"props": {"run": 1}, "timestamp": "2026-01-01T09:20',
            '"props": {"run": 9}, "timestamp": "2026-01-01T09:20',
        )
    )
    res = invoke(["verify", "report.json"], expect=1)
    lines = res.stdout.splitlines()
    assert lines[0] == "NOT VERIFIED: report.json differs from a re-evaluation in 1 place:"
    assert lines[1].startswith("  inputs.digest: recorded sha256:")


def test_changed_policy_is_reported(recorded: Path) -> None:
    pol = recorded.parent / "policy.yaml"
    pol.write_text(pol.read_text().replace("within: 21d", "within: 1s"))
    res = invoke(["verify", "report.json"], expect=1)
    assert "  policy.sha256: recorded " in res.stdout
    assert "  verdict.status: recorded blocked, now pass" in res.stdout


def test_changed_waivers_and_another_as_of_are_reported(recorded: Path) -> None:
    # An as-of date given explicitly is a question ("does the verdict still hold then?"), not a difference.
    res = invoke(["verify", "report.json", "--as-of", "2026-01-25"], expect=0)  # still within the waiver
    assert "note: re-evaluated with --as-of 2026-01-25 (the report records 2026-01-20)" in res.stdout
    res = invoke(["verify", "report.json", "--as-of", "2026-01-26"], expect=1)
    assert "  verdict.waived: only in the recorded report: governance_action_required " in res.stdout
    assert "  waivers.expired: only now: #0 id " in res.stdout
    assert "verdict.as_of" not in res.stdout
    w = recorded.parent / "waivers.yaml"
    w.write_text(w.read_text().replace("reviewed with the data team", "reviewed again"))
    res = invoke(["verify", "report.json"], expect=1)
    assert res.stdout.splitlines()[1].startswith("  waivers.sha256: recorded sha256:")


def test_events_given_explicitly_replace_the_recorded_ones(recorded: Path) -> None:
    moved = recorded.parent / "moved"
    moved.mkdir()
    # Split the events over two files: the set of events, so the digest and the verdict, are unchanged.
    lines = (recorded.parent / "events.jsonl").read_text().splitlines(keepends=True)
    (moved / "a.jsonl").write_text("".join(lines[:10]))
    (moved / "b.jsonl").write_text("".join(lines[10:]))
    invoke(["verify", "report.json", moved / "a.jsonl", moved / "b.jsonl"], expect=0)
    (recorded.parent / "events.jsonl").unlink()
    res = invoke(["verify", "report.json"], expect=2)
    assert "events.jsonl" in res.stderr


def test_not_a_report_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    res = invoke(["verify", tmp_path / "x.json"], expect=2)
    assert "x.json: not a synapse-gate JSON report" in res.stderr
    (tmp_path / "y.json").write_text("{\n oops")
    res = invoke(["verify", tmp_path / "y.json"], expect=2)
    assert "y.json:2: not a JSON report" in res.stderr


def test_compare_lists_only_what_differs() -> None:
    base = {
        "policy": {"name": "p", "sha256": "a"},
        "inputs": {"digest": "d", "events": 1},
        "verdict": {"status": "pass", "blocking": [], "warnings": [], "waived": []},
        "partitions": [],
    }
    assert compare(base, json.loads(json.dumps(base))) == []
    other = json.loads(json.dumps(base))
    other["verdict"]["blocking"] = [{"id": "x", "type": "t", "partition": None}]
    other["verdict"]["status"] = "blocked"
    diffs = compare(base, other)
    assert [d.key for d in diffs] == ["verdict.status", "verdict.blocking"]
    assert diffs[1].text() == "verdict.blocking: only now: t x"
