"""`policy test`: the shipped scenarios of every built-in pass; wrong expectations fail readably;
invalid expect.yaml files are exit 2 with file:line and key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from gate.errors import InputError, UsageError
from gate.policy import builtin_names
from gate.policy.scenario_runner import discover, run_tests, shipped_scenarios_dir

Invoke = Callable[..., Result]
BUILTINS = ["community-values-drift", "spec-locked-drift", "spec-locked-drift-literal"]


def test_the_three_builtins_are_listed() -> None:
    assert builtin_names() == BUILTINS


@pytest.mark.parametrize("policy", BUILTINS)
def test_shipped_scenarios_pass(invoke: Invoke, policy: str) -> None:
    cases = sorted(p.name for p in shipped_scenarios_dir(policy).iterdir() if p.is_dir())
    assert len(cases) >= 5
    out = invoke("policy", "test", policy).stdout
    assert out.splitlines() == [f"ok   {c}" for c in cases] + [f"{len(cases)} passed, 0 failed"]


def test_seed_scenarios_cover_the_brief() -> None:
    for policy in ("spec-locked-drift", "spec-locked-drift-literal"):
        names = {p.name for p in shipped_scenarios_dir(policy).iterdir()}
        assert {"walkthrough", "clean_history", "window_bounds", "two_runs_only", "same_type_ladder"} <= names
    names = {p.name for p in shipped_scenarios_dir("community-values-drift").iterdir()}
    assert {"stabilised_triggers", "one_off_drift", "overrides_without_drift"} <= names


def test_pairing_scenarios_disagree_between_the_seed_policies() -> None:
    """The same events give opposite verdicts: the reason the two seed policies exist."""
    verdicts = {}
    for policy in ("spec-locked-drift", "spec-locked-drift-literal"):
        for case in ("two_runs_only", "same_type_ladder"):
            text = (shipped_scenarios_dir(policy) / case / "expect.yaml").read_text(encoding="utf-8")
            verdicts[(policy, case)] = "verdict: blocked" in text
            events = (shipped_scenarios_dir(policy) / case / "events.jsonl").read_bytes()
            other = "spec-locked-drift-literal" if policy == "spec-locked-drift" else "spec-locked-drift"
            assert events == (shipped_scenarios_dir(other) / case / "events.jsonl").read_bytes()
    assert verdicts == {
        ("spec-locked-drift", "two_runs_only"): False,
        ("spec-locked-drift", "same_type_ladder"): False,
        ("spec-locked-drift-literal", "two_runs_only"): True,
        ("spec-locked-drift-literal", "same_type_ladder"): True,
    }


WRONG_EXPECT = """\
verdict: pass
counts:
  spec_drift_signal: 2
conclusions:
  - type: spec_drift_signal
    timestamp: 2026-01-01T15:00:00+01:00
    leaves: [r1-reg1, r1-spec, r1-prov1]
  - type: release_gate_triggered
    timestamp: 2026-01-10T08:00:00Z
pattern_matches:
  - {watcher: governance_repeats, occurrence: 4}
not_derived: [release_gate_triggered]
"""

WRONG_DIFF = """\
FAIL walkthrough
  {e}:1: verdict: expected pass, got blocked (blocking: governance_action_required @ 2026-01-04T09:00:00Z, \
governance_action_required @ 2026-01-07T09:00:00Z, governance_action_required @ 2026-01-10T09:00:00Z, \
release_gate_triggered @ 2026-01-10T09:00:00Z)
  {e}:3: counts.spec_drift_signal: expected 2, got 3: \
spec_drift_signal @ 2026-01-01T14:00:00Z by spec_drift, \
spec_drift_signal @ 2026-01-04T14:00:00Z by spec_drift, \
spec_drift_signal @ 2026-01-07T14:00:00Z by spec_drift
  {e}:5: conclusions[0]: not found
    expected: spec_drift_signal @ 2026-01-01T14:00:00Z leaves=[r1-prov1, r1-reg1, r1-spec]
    closest:  spec_drift_signal @ 2026-01-01T14:00:00Z by spec_drift leaves=[r1-reg1, r1-reg2, r1-spec]
      leaves missing:    [r1-prov1]
      leaves unexpected: [r1-reg2]
    (2 other spec_drift_signal events)
  {e}:8: conclusions[1]: not found
    expected: release_gate_triggered @ 2026-01-10T08:00:00Z
    closest:  release_gate_triggered @ 2026-01-10T09:00:00Z by release_gate \
leaves=[r3-concern, r3-feedback, r3-reg1, r3-reg2, r3-run, r3-spec]
      timestamp: expected 2026-01-10T08:00:00Z, got 2026-01-10T09:00:00Z
  {e}:11: pattern_matches[0]: not found
    expected: governance_repeats occurrence 4
    closest:  governance_repeats @ 2026-01-10T09:00:00Z occurrence 3
      occurrence: expected 4, got 3
  {e}:12: not_derived[0]: release_gate_triggered must not be derived, got 1: \
release_gate_triggered @ 2026-01-10T09:00:00Z by release_gate
0 passed, 1 failed
"""


def test_wrong_expectation_fails_with_a_readable_diff(
    invoke: Invoke, scenario_copy: Callable[[str, str], Path]
) -> None:
    folder = scenario_copy("spec-locked-drift", "walkthrough")
    (folder / "expect.yaml").write_text(WRONG_EXPECT, encoding="utf-8")
    out = invoke("policy", "test", "spec-locked-drift", str(folder), expect=1).stdout
    assert out == WRONG_DIFF.format(e=(folder / "expect.yaml").as_posix())


def test_one_failure_among_passes(invoke: Invoke, scenario_copy: Callable[[str, str], Path]) -> None:
    bad = scenario_copy("community-values-drift", "one_off_drift")
    text = (bad / "expect.yaml").read_text(encoding="utf-8").replace("verdict: pass", "verdict: blocked")
    (bad / "expect.yaml").write_text(text, encoding="utf-8")
    good = shipped_scenarios_dir("community-values-drift") / "stabilised_triggers"
    out = invoke("policy", "test", "community-values-drift", str(good), str(bad), expect=1).stdout
    lines = out.splitlines()
    assert lines[0] == "ok   stabilised_triggers"
    assert lines[1] == "FAIL one_off_drift"
    assert lines[2].endswith("expect.yaml:5: verdict: expected blocked, got pass")
    assert lines[-1] == "1 passed, 1 failed"


def test_includes_and_partition_and_exact_leaves_can_fail(scenario_copy: Callable[[str, str], Path]) -> None:
    folder = scenario_copy("spec-locked-drift", "window_bounds")
    (folder / "expect.yaml").write_text(
        "verdict: blocked\n"
        "conclusions:\n"
        "  - {type: governance_action_required, partition: past-21d}\n"
        "  - {type: data_risk_cluster, includes: [past-24h-prov1]}\n"
        "  - {type: eval_regression_cluster, partition: past-48h, leaves: [past-48h-reg1, past-48h-reg2]}\n",
        encoding="utf-8",
    )
    run = run_tests("spec-locked-drift", [folder])
    problems = run.outcomes[0].problems
    assert run.failed == 1
    assert [p.split(": ", 1)[1] for p in problems if "expect.yaml" in p] == [
        "conclusions[0]: not found",
        "conclusions[1]: not found",
    ]
    assert "    partition: expected 'past-21d', got 'on-bound'" in problems
    assert "    includes missing:  [past-24h-prov1]" in problems


def test_two_entries_cannot_claim_the_same_event(scenario_copy: Callable[[str, str], Path]) -> None:
    folder = scenario_copy("spec-locked-drift-literal", "two_runs_only")
    (folder / "expect.yaml").write_text(
        "verdict: blocked\nconclusions:\n  - {type: governance_action_required}\n"
        "  - {type: governance_action_required, includes: [run-a]}\n",
        encoding="utf-8",
    )
    problems = run_tests("spec-locked-drift-literal", [folder]).outcomes[0].problems
    assert len(problems) == 1
    assert problems[0].endswith(
        "expect.yaml:4: conclusions[1]: matches only derived events that other entries already claim: "
        "governance_action_required includes=[run-a]"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("verdict: maybe\n", ":1: verdict: 'maybe' is not one of ['pass', 'blocked']"),
        ("verdict: pass\ncount:\n  x: 1\n", ":2: count: unknown key (did you mean 'counts'?)"),
        ("counts: {}\n", ":1: (top level): 'verdict' is required"),
        (
            "verdict: pass\ncounts:\n  spec_drift_signl: 1\n",
            ":3: counts.spec_drift_signl: 'spec_drift_signl' is not a derived type of policy "
            "spec-locked-drift; did you mean 'spec_drift_signal'?",
        ),
        (
            "verdict: pass\nnot_derived: [run_started]\n",
            ":2: not_derived[0]: 'run_started' is a leaf type of policy spec-locked-drift: "
            "only derived types are counted",
        ),
        (
            "verdict: pass\nconclusions:\n  - type: spec_drift_signal\n    timestamp: 2026-01-01T14:00:00\n",
            ":4: conclusions[0].timestamp: '2026-01-01T14:00:00' has no UTC offset",
        ),
        (
            "verdict: pass\npattern_matches:\n  - {watcher: drift_repeat}\n",
            ":3: pattern_matches[0].watcher: 'drift_repeat' is not a pattern watcher id of policy "
            "spec-locked-drift; did you mean 'drift_repeats'?",
        ),
        (
            "verdict: pass\nconclusions:\n  - {type: spec_drift_signal, leaf: [a]}\n",
            ":3: conclusions[0].leaf: unknown key (did you mean 'leaves'?)",
        ),
        ("verdict: pass\nverdict: blocked\n", ":2: duplicate key 'verdict' (first at line 1)"),
        ("- verdict: pass\n", ":1: expect.yaml must be a YAML mapping"),
        ("verdict: pass\nevents: [nope.jsonl]\n", ":2: events[0]: "),
    ],
)
def test_invalid_expect_yaml_is_exit_2_with_file_line_key(
    invoke: Invoke, scenario_copy: Callable[[str, str], Path], text: str, message: str
) -> None:
    folder = scenario_copy("spec-locked-drift", "clean_history")
    (folder / "expect.yaml").write_text(text, encoding="utf-8")
    err = invoke("policy", "test", "spec-locked-drift", str(folder), expect=2).stderr
    assert err.startswith(f"synapse-gate: error: {(folder / 'expect.yaml').as_posix()}{message}"), err


def test_an_invalid_expect_stops_the_run_before_any_scenario(
    invoke: Invoke, tmp_path: Path, scenario_copy: Callable[[str, str], Path]
) -> None:
    scenario_copy("spec-locked-drift", "walkthrough")
    bad = scenario_copy("spec-locked-drift", "clean_history")
    (bad / "expect.yaml").write_text("verdict: nope\n", encoding="utf-8")
    result = invoke("policy", "test", "spec-locked-drift", str(tmp_path), expect=2)
    assert result.stdout == ""


def test_discovery_is_recursive_sorted_and_names_by_relative_path(tmp_path: Path) -> None:
    src = shipped_scenarios_dir("spec-locked-drift")
    for rel in ("b/walkthrough", "a/deeper/clean_history", "c"):
        dest = tmp_path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        (dest).mkdir()
        case = "two_runs_only" if rel == "c" else rel.rsplit("/", 1)[-1]
        for f in (src / case).iterdir():
            (dest / f.name).write_bytes(f.read_bytes())
    (tmp_path / "b" / "walkthrough" / "more").mkdir()  # a scenario's subfolder is events, not a scenario
    found = discover([tmp_path])
    assert [name for name, _ in found] == ["a/deeper/clean_history", "b/walkthrough", "c"]
    assert discover([tmp_path / "c" / "expect.yaml"]) == [("c", tmp_path / "c")]


def test_no_scenarios_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no scenario folder"):
        discover([tmp_path])
    with pytest.raises(UsageError, match="no such scenario folder"):
        discover([tmp_path / "missing"])


def test_events_key_and_notes_beside_events(tmp_path: Path) -> None:
    src = shipped_scenarios_dir("community-values-drift") / "stabilised_triggers"
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.jsonl").write_bytes((src / "events.jsonl").read_bytes())
    case = tmp_path / "case"
    case.mkdir()
    (case / "expect.yaml").write_text(
        "events: [../data/history.jsonl]\nverdict: blocked\ncounts: {research_debug_session_required: 1}\n",
        encoding="utf-8",
    )
    (case / "README.md").write_text("notes are not events\n", encoding="utf-8")
    run = run_tests("community-values-drift", [case])
    assert (run.passed, run.failed) == (1, 0)


def test_a_scenario_without_events_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "expect.yaml").write_text("verdict: pass\n", encoding="utf-8")
    with pytest.raises(InputError, match="no event file beside its expect.yaml"):
        run_tests("spec-locked-drift", [tmp_path])


def test_policy_file_defaults_to_the_scenarios_folder_beside_it(
    invoke: Invoke, tmp_path: Path, scenario_copy: Callable[[str, str], Path]
) -> None:
    (tmp_path / "policy.yaml").write_text(
        invoke("policy", "show", "spec-locked-drift").stdout, encoding="utf-8"
    )
    (tmp_path / "scenarios").mkdir()
    (scenario_copy("spec-locked-drift", "walkthrough")).rename(tmp_path / "scenarios" / "walkthrough")
    out = invoke("policy", "test", str(tmp_path / "policy.yaml")).stdout
    assert out == "ok   walkthrough\n1 passed, 0 failed\n"
    (tmp_path / "lonely").mkdir()
    (tmp_path / "lonely" / "p.yaml").write_text("x", encoding="utf-8")
    err = invoke("policy", "test", str(tmp_path / "lonely" / "p.yaml"), expect=2).stderr
    assert "no scenarios given and no folder" in err
