"""Each waiver state through `gate.run.check`: active, expired, not yet valid, matching nothing,
matching one of several conclusions, type + lineage, restricted to leaves; and what the report records."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gov_support import AS_OF, blocking_ids, invoke, waiver_yaml

from gate.errors import WaiverError
from gate.reporters.text import render as render_text
from gate.run import CheckRequest, CheckResult, check


def run(events: Path, waivers: Path | None = None, **kw: Any) -> CheckResult:
    kw.setdefault("as_of", AS_OF)
    return check(CheckRequest(events=(str(events),), waivers=str(waivers) if waivers else None, **kw))


def test_active_waiver_for_one_of_several_conclusions(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    before = run(example)
    assert before.exit_code == 1
    ids = blocking_ids(before.report)
    assert len(ids) == 4  # three governance_action_required, one release_gate_triggered
    target = ids[0]
    w = write_waivers(waiver_yaml(id=target))
    after = run(example, w)
    rep = after.report
    assert after.exit_code == 1  # the three others still block
    assert blocking_ids(rep) == ids[1:]
    (waived,) = rep["verdict"]["waived"]
    assert waived["id"] == target
    assert waived["waiver"]["approved_by"] == "alice@example.com"
    assert waived["waiver"]["expires"] == "2026-01-25"
    assert waived["waiver"]["line"] == 1
    assert [a["conclusions"][0]["id"] for a in rep["waivers"]["applied"]] == [target]
    assert rep["waivers"]["expired"] == rep["waivers"]["unused"] == []
    assert rep["verdict"]["notes"] == []
    text = render_text(rep)
    assert (
        f"{target}: waived by alice@example.com, expires 2026-01-25 ({w}:1): reviewed with the data team"
        in text
    )


def test_waiving_every_blocking_conclusion_passes_and_keeps_them_visible(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    ids = blocking_ids(run(example).report)
    w = write_waivers(*(waiver_yaml(id=i) for i in ids))
    result = run(example, w)
    assert result.exit_code == 0
    v = result.report["verdict"]
    assert v["status"] == "pass" and v["blocking"] == []
    assert sorted(c["id"] for c in v["waived"]) == sorted(ids)
    text = render_text(result.report)
    assert text.startswith("PASS: no blocking conclusion\n")
    assert text.count("waived by alice@example.com, expires 2026-01-25") == 4


def test_waiver_is_valid_through_its_expiry_date_and_ignored_the_day_after(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    ids = blocking_ids(run(example).report)
    w = write_waivers(*(waiver_yaml(id=i) for i in ids))
    assert run(example, w, as_of="2026-01-25").exit_code == 0
    expired = run(example, w, as_of="2026-01-26")
    assert expired.exit_code == 1
    rep = expired.report
    assert sorted(blocking_ids(rep)) == sorted(ids)
    assert rep["verdict"]["waived"] == []
    assert [e["index"] for e in rep["waivers"]["expired"]] == [0, 1, 2, 3]
    assert [len(e["conclusions"]) for e in rep["waivers"]["expired"]] == [1, 1, 1, 1]
    notes = rep["verdict"]["notes"]
    assert [n["code"] for n in notes] == ["waiver-expired"] * 4
    assert notes[0] == {
        "level": "warning",
        "code": "waiver-expired",
        "text": f"{w}:1: waiver for id {ids[0]} expired on 2026-01-25 (as of 2026-01-26); ignored; "
        "it would have waived 1 conclusion",
    }
    assert f"warning: {w}:1: waiver for id {ids[0]} expired on 2026-01-25" in render_text(rep)


def test_waiver_approved_after_the_as_of_date_is_not_yet_valid(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    ids = blocking_ids(run(example).report)
    w = write_waivers(waiver_yaml(id=ids[0]))
    rep = run(example, w, as_of="2026-01-14").report
    assert ids[0] in blocking_ids(rep)
    assert [n["code"] for n in rep["verdict"]["notes"]] == ["waiver-not-yet-valid"]
    assert rep["waivers"]["not_yet_valid"][0]["index"] == 0


def test_waiver_matching_nothing_is_a_warning_and_an_error_under_strict(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    ids = blocking_ids(run(example).report)
    w = write_waivers(waiver_yaml(id=ids[0]), "\n", waiver_yaml(id="0000feedface"))
    rep = run(example, w).report
    assert [u["index"] for u in rep["waivers"]["unused"]] == [1]
    assert rep["waivers"]["unused"][0]["line"] == 7
    assert rep["verdict"]["notes"] == [
        {
            "level": "warning",
            "code": "waiver-unused",
            "text": f"{w}:7: waiver for id 0000feedface matches no blocking conclusion (unused)",
        }
    ]
    with pytest.raises(WaiverError) as e:
        run(example, w, strict=True)
    assert e.value.message == f"{w}:7: waiver for id 0000feedface matches no blocking conclusion (--strict)"
    res = invoke(["check", "--strict", "--as-of", AS_OF, "--waivers", w, example], expect=2)
    assert (
        f"synapse-gate: error: {w}:7: waiver for id 0000feedface matches no blocking conclusion" in res.stderr
    )


def test_waiver_of_a_warning_does_not_count_as_used(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    warning_id = run(example).report["verdict"]["warnings"][0]["id"]
    rep = run(example, write_waivers(waiver_yaml(id=warning_id))).report
    assert [u["index"] for u in rep["waivers"]["unused"]] == [0]
    assert rep["verdict"]["waived"] == []


def test_type_waiver_covers_one_lineage_only(lineages: Path, write_waivers: Callable[..., Path]) -> None:
    rep = run(lineages).report
    parts = sorted((c["partition"], c["type"]) for c in rep["verdict"]["blocking"])
    assert parts == [("alpha", "governance_action_required"), ("beta", "governance_action_required")]
    w = write_waivers(waiver_yaml(type="governance_action_required", lineage="alpha"))
    rep = run(lineages, w).report
    assert [(c["partition"], c["type"]) for c in rep["verdict"]["blocking"]] == [
        ("beta", "governance_action_required")
    ]
    assert [(c["partition"], c["type"]) for c in rep["verdict"]["waived"]] == [
        ("alpha", "governance_action_required")
    ]


def test_type_waiver_without_lineage_covers_the_lineage_less_partition_only(
    example: Path, lineages: Path, write_waivers: Callable[..., Path]
) -> None:
    w = write_waivers(waiver_yaml(type="governance_action_required"))
    rep = run(lineages, w).report
    assert len(rep["verdict"]["blocking"]) == 2
    assert [u["index"] for u in rep["waivers"]["unused"]] == [0]
    # In a history without lineages, it covers every governance_action_required, not the composition.
    rep = run(example, w).report
    assert [c["type"] for c in rep["verdict"]["waived"]] == ["governance_action_required"] * 3
    assert [c["type"] for c in rep["verdict"]["blocking"]] == ["release_gate_triggered"]


def test_leaves_restrict_a_type_waiver_to_conclusions_resting_on_them(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    w = write_waivers(waiver_yaml(type="governance_action_required", leaves=["r1-rs", "r1-ecr"]))
    rep = run(example, w).report
    (waived,) = rep["verdict"]["waived"]
    assert {"r1-rs", "r1-ecr"} <= set(waived["evidence"])
    assert waived["timestamp"] == "2026-01-04T09:00:00Z"
    assert len(rep["verdict"]["blocking"]) == 3
    # A leaf that no conclusion rests on: the waiver matches nothing.
    rep = run(
        example, write_waivers(waiver_yaml(type="governance_action_required", leaves=["r1-dsa"]))
    ).report
    assert len(rep["verdict"]["blocking"]) == 4 and [u["index"] for u in rep["waivers"]["unused"]] == [0]


def test_first_active_waiver_in_file_order_is_the_one_shown(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    target = blocking_ids(run(example).report)[0]
    w = write_waivers(
        waiver_yaml(id=target, approved_by="old", expires="2026-01-16"),
        waiver_yaml(id=target, approved_by="new"),
    )
    rep = run(example, w).report
    (waived,) = rep["verdict"]["waived"]
    assert waived["waiver"]["approved_by"] == "new"  # the first one expired on 2026-01-16
    assert [e["index"] for e in rep["waivers"]["expired"]] == [0]
    assert [a["index"] for a in rep["waivers"]["applied"]] == [1]


def test_report_records_the_waivers_digest(example: Path, write_waivers: Callable[..., Path]) -> None:
    w = write_waivers(waiver_yaml(id="abc"))
    sec = run(example, w).report["waivers"]
    assert sec["sha256"] == "sha256:" + hashlib.sha256(w.read_bytes()).hexdigest()
    assert sec["file"] == str(w) and sec["max_days"] == 30 and sec["as_of"] == AS_OF
    none = run(example).report["waivers"]
    assert none["sha256"] is None and none["count"] == 0


def test_invalid_waivers_file_fails_the_check_with_exit_2(
    example: Path, write_waivers: Callable[..., Path]
) -> None:
    w = write_waivers(waiver_yaml(id="abc", expires="2026-03-01"))
    res = invoke(["check", "--as-of", AS_OF, "--waivers", w, example], expect=2)
    assert f"{w}:4: [0].expires: valid for 45 days" in res.stderr
    res = invoke(["check", "--as-of", AS_OF, "--waivers", w.parent / "missing.yaml", example], expect=2)
    assert "missing.yaml: no such waivers file" in res.stderr


def test_bad_as_of_is_a_usage_error(example: Path) -> None:
    res = invoke(["check", "--as-of", "2026-13-01", example], expect=2)
    assert "--as-of '2026-13-01': not a date; write YYYY-MM-DD" in res.stderr
