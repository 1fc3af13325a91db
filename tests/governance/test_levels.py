"""Warning levels: each warning says which levels are still missing before the gate; --fail-on and
--warn-only."""

from __future__ import annotations

import json
from pathlib import Path

from gov_support import AS_OF, EXAMPLE, invoke

from gate.levels import path_to_gate
from gate.policy import load_policy
from gate.run import CheckRequest, check


def drift_only(tmp_path: Path) -> Path:
    """The first eight events of the example: run 1's flags, drops and spec violation -> spec_drift_signal."""
    p = tmp_path / "drift.jsonl"
    p.write_text("".join(EXAMPLE.read_text().splitlines(keepends=True)[:8]))
    return p


def test_a_lone_drift_signal_waits_for_feedback_then_a_partner_concern_then_a_run(tmp_path: Path) -> None:
    rep = check(CheckRequest(events=(str(drift_only(tmp_path)),), as_of=AS_OF)).report
    assert rep["verdict"]["status"] == "pass"
    (w,) = rep["verdict"]["warnings"]
    assert w["type"] == "spec_drift_signal"
    assert w["reached"] == []
    assert [(s["reach"], s["via"], [n["type"] for n in s["needs"]], s["blocking"]) for s in w["missing"]] == [
        ("generalization_risk", "generalization_risk", ["user_feedback_mismatch"], False),
        ("release_risk_high", "release_risk_high", ["external_concern_reported"], False),
        ("governance_action_required", "governance_action", ["run_started"], True),
    ]
    assert w["missing"][0]["needs"][0] == {
        "type": "user_feedback_mismatch",
        "at_least": 1,
        "within": "7d",
        "again": False,
    }
    assert w["approaching"] == (
        "spec_drift_signal present; waiting for user_feedback_mismatch (within 7d) "
        "to reach generalization_risk, "
        "then external_concern_reported (within 14d) to reach release_risk_high, "
        "then run_started (within 21d) to reach governance_action_required (blocking)"
    )
    text = invoke(["check", "--as-of", AS_OF, drift_only(tmp_path)], expect=0).stdout
    assert "Warnings (1): approaching the gate" in text
    assert "      spec_drift_signal present; waiting for user_feedback_mismatch (within 7d)" in text


def test_under_the_literal_policy_the_same_type_may_pair_again(tmp_path: Path) -> None:
    req = CheckRequest(events=(str(drift_only(tmp_path)),), as_of=AS_OF, policy="spec-locked-drift-literal")
    (w,) = check(req).report["verdict"]["warnings"]
    assert w["approaching"].startswith(
        "spec_drift_signal present; waiting for another spec_drift_signal (within 7d) "
        "or user_feedback_mismatch (within 7d) to reach generalization_risk, then "
    )


def test_steps_already_taken_are_reached_not_missing(tmp_path: Path) -> None:
    # Run 1 up to the user feedback: drift -> generalization_risk exists, release_risk_high does not.
    p = tmp_path / "e.jsonl"
    p.write_text("".join(EXAMPLE.read_text().splitlines(keepends=True)[:9]))
    req = CheckRequest(events=(str(p),), as_of=AS_OF, policy=str(tmp_path / "pol.yaml"))
    pol = (Path(__file__).resolve().parents[2] / "gate/policy/builtin/spec-locked-drift.yaml").read_text()
    (tmp_path / "pol.yaml").write_text(
        pol.replace("warning: [spec_drift_signal,", "warning: [generalization_risk, spec_drift_signal,")
    )
    warnings = check(req).report["verdict"]["warnings"]
    by_type = {w["type"]: w for w in warnings}
    sds = by_type["spec_drift_signal"]
    assert sds["reached"] == ["generalization_risk"]
    assert [s["reach"] for s in sds["missing"]] == ["release_risk_high", "governance_action_required"]
    assert [s["reach"] for s in by_type["generalization_risk"]["missing"]] == [
        "release_risk_high",
        "governance_action_required",
    ]


def test_warnings_that_already_led_to_a_blocking_conclusion_say_so(example: Path) -> None:
    rep = check(CheckRequest(events=(str(example),), as_of=AS_OF)).report
    first = rep["verdict"]["warnings"][0]
    assert first["missing"] == []
    assert (
        first["approaching"]
        == "spec_drift_signal present; already led to governance_action_required (blocking)"
    )


def test_path_to_gate_is_empty_for_a_type_no_rule_uses() -> None:
    pol = load_policy("spec-locked-drift")
    assert path_to_gate(pol, "dataset_slice_added", pol.blocking) == ()
    assert [s.reach for s in path_to_gate(pol, "dataset_provenance_flag", pol.blocking)] == [
        "data_risk_cluster",
        "spec_drift_signal",
        "generalization_risk",
        "release_risk_high",
        "governance_action_required",
    ]


def test_fail_on_promotes_a_warning_type_to_blocking(tmp_path: Path) -> None:
    events = drift_only(tmp_path)
    invoke(["check", "--as-of", AS_OF, events], expect=0)
    res = invoke(["check", "--as-of", AS_OF, "--fail-on", "spec_drift_signal", events], expect=1)
    assert res.stdout.startswith("BLOCKED: 1 blocking conclusion\n")
    assert "✗ spec_drift_signal at 2026-01-01T14:00:00Z" in res.stdout
    # The printed waive command repeats --fail-on: without it the conclusion would not be blocking.
    assert f"--expires YYYY-MM-DD --fail-on spec_drift_signal {events}" in res.stdout
    w = tmp_path / "w.yaml"
    sid = json.loads(
        invoke(
            ["check", "-f", "json", "--as-of", AS_OF, "--fail-on", "spec_drift_signal", events], expect=1
        ).stdout
    )["verdict"]["blocking"][0]["id"]
    base = ["waive", sid, "--by", "a", "--reason", "r", "--expires", "7d", "--as-of", AS_OF, "--waivers", w]
    assert "is a warning, not a blocking conclusion" in invoke([*base, events], expect=2).stderr
    invoke([*base, "--fail-on", "spec_drift_signal", events], expect=0)
    invoke(["check", "--as-of", AS_OF, "--fail-on", "spec_drift_signal", "--waivers", w, events], expect=0)
    res = invoke(["check", "--as-of", AS_OF, "--fail-on", "spec_drift_signl", events], expect=2)
    assert "--fail-on 'spec_drift_signl': not a type of policy spec-locked-drift" in res.stderr


def test_warn_only_exits_0_but_says_the_gate_would_have_blocked(example: Path) -> None:
    res = invoke(["check", "--as-of", AS_OF, "--warn-only", example], expect=0)
    assert res.stdout.startswith("PASS (warn-only): the gate would have blocked on 4 conclusions\n")
    rep = json.loads(
        invoke(["check", "--format", "json", "--as-of", AS_OF, "--warn-only", example], expect=0).stdout
    )
    assert rep["verdict"]["status"] == "pass"
    assert rep["verdict"]["would_block"] is True and rep["verdict"]["warn_only"] is True
    assert len(rep["verdict"]["blocking"]) == 4
