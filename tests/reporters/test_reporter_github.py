"""The annotations reporter: escaping, placement on the leaf evidence, the per-level cap, golden output."""

from __future__ import annotations

import copy
from typing import Any

from gate.reporters import REPORTERS
from gate.reporters import github as annotations
from gate.reporters._evidence import Location


def _with_blocking(report: dict[str, Any], n: int) -> dict[str, Any]:
    """`report` with `n` blocking conclusions (copies of its first, each placed on its own line)."""
    report = copy.deepcopy(report)
    base = report["verdict"]["blocking"][0]
    blocking = []
    for i in range(n):
        leaf = f"asserted-{i:03d}"
        report["leaves"][leaf] = {
            "type": "governance_action_required",
            "domain": "governance",
            "timestamp": "2024-05-21T00:00:00Z",
            "lineage": None,
            "props": {},
        }
        report["origins"][leaf] = [{"file": "events/asserted.jsonl", "line": i + 1}]
        blocking.append({**base, "id": leaf, "leaf": True, "evidence": [leaf], "partition": None})
    report["verdict"]["blocking"] = blocking
    return report


def test_escaping_of_data_and_properties() -> None:
    assert annotations.escape_data("50% of\r\nrows: a,b") == "50%25 of%0D%0Arows: a,b"
    assert annotations.escape_property("50% of\r\nrows: a,b") == "50%25 of%0D%0Arows%3A a%2Cb"
    # `%` first: an input that already looks escaped must not be decoded by the runner
    assert annotations.escape_data("%0A") == "%250A"


def test_command_places_file_and_line_and_escapes_each_part() -> None:
    line = annotations.command(
        "error", "line one\nline two", title="Blocked: a,b", location=Location("dir/a:b,c.jsonl", 7)
    )
    assert line == "::error file=dir/a%3Ab%2Cc.jsonl,line=7,title=Blocked%3A a%2Cb::line one%0Aline two"


def test_a_url_is_never_a_file_property() -> None:
    line = annotations.command("warning", "x", location=Location("https://host/e.jsonl", 3))
    assert line == "::warning::x"


def test_blocking_conclusion_is_an_error_on_the_latest_evidence_leaf(blocked_report: dict[str, Any]) -> None:
    out = annotations.render(blocked_report).splitlines()
    errors = [x for x in out if x.startswith("::error")]
    assert len(errors) == 1
    # run-7 (2024-05-20) is the latest evidence leaf: it completed the conclusion
    assert errors[0].startswith("::error file=events/runs.jsonl,line=7,title=Release blocked%3A ")
    assert "governance_action_required" in errors[0]


def test_latest_leaf_read_from_a_url_falls_back_to_the_latest_file_leaf(
    blocked_report: dict[str, Any],
) -> None:
    # release_risk_high: its latest leaf ext-1 was read from a URL, the one before (fb-1) from a file
    out = annotations.render(blocked_report)
    assert "::warning file=events/product.yaml,line=4,title=Release risk%3A release_risk_high::" in out


def test_warn_only_turns_blocking_errors_into_warnings(blocked_report: dict[str, Any]) -> None:
    blocked_report["verdict"].update(status="pass", warn_only=True)
    out = annotations.render(blocked_report)
    assert "::error" not in out
    assert "title=Would block the release (warn-only)%3A governance_action_required" in out


def test_at_most_ten_per_level_with_a_final_count(blocked_report: dict[str, Any]) -> None:
    out = annotations.render(_with_blocking(blocked_report, 25)).splitlines()
    errors = [x for x in out if x.startswith("::error")]
    assert len(errors) == 10
    assert errors[-1] == "::error title=synapse-gate::16 more errors in the job summary."
    assert errors[0].startswith("::error file=events/asserted.jsonl,line=1,")
    # exactly ten: all shown, no count line
    exactly = [
        x for x in annotations.render(_with_blocking(blocked_report, 10)).splitlines() if "::error" in x
    ]
    assert len(exactly) == 10 and "more errors" not in exactly[-1]


def test_waived_and_notes_are_notices(blocked_report: dict[str, Any]) -> None:
    c = blocked_report["verdict"]["blocking"].pop()
    blocked_report["verdict"]["status"] = "pass"
    blocked_report["verdict"]["waived"] = [
        {**c, "waiver": {"approved_by": "ana", "reason": "accepted: eval noise", "expires": "2024-07-01"}}
    ]
    blocked_report["verdict"]["notes"] = [
        {"code": "waiver-unused", "text": "waiver w2 matches nothing"},
        {"code": "waiver-expired", "level": "warning", "text": "waiver w3 expired on 2024-05-01"},
    ]
    out = annotations.render(blocked_report)
    assert "::error" not in out
    assert "waived by ana until 2024-07-01%3A accepted" not in out  # `:` is only escaped in properties
    assert "waived by ana until 2024-07-01: accepted: eval noise" in out
    assert "::notice title=synapse-gate%3A waiver-unused::waiver w2 matches nothing" in out
    assert "::warning title=synapse-gate%3A waiver-expired::waiver w3 expired on 2024-05-01" in out


def test_registered_for_the_cli() -> None:
    assert REPORTERS["github"] is annotations.render


def test_golden_annotations(blocked_report: dict[str, Any], golden: Any) -> None:
    golden("annotations.txt", annotations.render(blocked_report))


def test_check_annotations_cover_file_findings(blocked_report: dict[str, Any]) -> None:
    found = annotations.check_annotations(blocked_report)
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in found] == [
        ("events/runs.jsonl", 7, "failure"),
        ("events/eval, nightly.jsonl", 2, "warning"),
        ("events/product.yaml", 4, "warning"),
        ("events/data.jsonl", 4, "warning"),
    ]
    assert found[0]["title"] == "Release blocked: governance_action_required"
    assert "\n" in found[3]["message"]  # the API takes raw text: no workflow-command escaping
