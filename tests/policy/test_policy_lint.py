"""`policy lint`: each warning fires on a policy written to trigger it and is silent on the shipped ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from gate.policy import load_policy
from gate.policy.lint import CODES, lint

Invoke = Callable[..., Result]
CASES = Path(__file__).parent / "lint_cases"


@pytest.mark.parametrize(
    "policy", ["spec-locked-drift", "spec-locked-drift-literal", "community-values-drift"]
)
def test_shipped_policies_lint_clean(invoke: Invoke, policy: str) -> None:
    assert lint(load_policy(policy)) == []
    assert invoke("policy", "lint", policy).stdout == f"policy {policy}: no warnings\n"


def codes(name: str) -> list[tuple[str, int]]:
    return [(w.code, w.line) for w in lint(load_policy(str(CASES / name)))]


def test_every_code_has_a_case() -> None:
    seen = {c for f in CASES.glob("*.yaml") for c, _ in codes(f.name)}
    assert seen == set(CODES)


def test_never_fires_on_misspelling_rule_id_and_cross_type_cluster(invoke: Invoke) -> None:
    assert codes("never_fires.yaml") == [("never-fires", 25), ("never-fires", 30), ("never-fires", 35)]
    out = invoke("policy", "lint", str(CASES / "never_fires.yaml"), expect=1).stdout.splitlines()
    assert (
        "rule escalate_on_typo can never fire: no anchor type is ever produced (flag_clusters is derived by "
        "nothing and is not a plausible leaf type: it looks like a misspelling of the derived type "
        "'flag_cluster')" in out[0]
    )
    assert (
        "rule escalate_on_rule_id can never fire: its condition can never hold (rules[3].when: data_burst is "
        "derived by nothing and is not a plausible leaf type: it is the id of rule data_burst" in out[1]
    )
    assert out[2].endswith(
        "never-fires: rules[4].when: rule note_pair can never fire: its condition can never hold "
        "(rules[4].when names the anchor's own type note under pairing: cross-type)"
    )
    assert out[3] == "policy never-fires-demo: 3 warnings"


def test_short_window(invoke: Invoke) -> None:
    out = invoke("policy", "lint", str(CASES / "short_window.yaml"), expect=1).stdout
    assert out == (
        f"{CASES / 'short_window.yaml'}:24: warning: short-window: rules[2].when.any[0].within: peers "
        "flag_cluster within 7h is shorter than the 7d window of rule flag_cluster that derives "
        "flag_cluster: the higher level sees less time than the evidence it aggregates "
        "(a unit typo such as h for d?)\n"
        "policy short-window-demo: 1 warning\n"
    )


def test_short_window_is_silent_when_a_leaf_type_is_the_partner(tmp_path: Path) -> None:
    text = (CASES / "short_window.yaml").read_text(encoding="utf-8")
    # Make shift a leaf partner of drift directly: the 7h window now measures a fresh fact's proximity.
    text = text.replace("anchors: [flag_cluster, shift_cluster]", "anchors: [flag_cluster, shift]")
    text = text.replace(
        "{peers: shift_cluster, at_least: 1, within: 7d}", "{peers: shift, at_least: 1, within: 7d}"
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    assert lint(load_policy(str(tmp_path / "p.yaml"))) == []


def test_blocking_underived(invoke: Invoke) -> None:
    assert codes("blocking_underived.yaml") == [("blocking-underived", 7)]
    out = invoke("policy", "lint", str(CASES / "blocking_underived.yaml"), expect=1).stdout
    assert (
        "blocking[1]: release_gate_triggered is derived by no rule or composition: the gate blocks only "
        "when a release_gate_triggered event is given as input" in out
    )


def test_same_type_or_explains_and_is_silenced_by_explicit_pairing(invoke: Invoke, tmp_path: Path) -> None:
    out = invoke("policy", "lint", str(CASES / "same_type_or.yaml"), expect=1).stdout
    assert out.splitlines()[0].endswith(
        "same-type-or: rules[0].when.any[0]: rule action has no `pairing`, so the default pairing: any "
        "applies and this `any` lets an anchor pair with its own type: 2 risk events within 21d are enough "
        "to derive action, with no other type. Set `pairing: cross-type` to require a different type, or "
        "`pairing: any` to say that this is intended"
    )
    for pairing in ("any", "cross-type"):
        text = (CASES / "same_type_or.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "    anchors: [risk, run_started]\n",
            f"    anchors: [risk, run_started]\n    pairing: {pairing}\n",
        )
        (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
        assert lint(load_policy(str(tmp_path / "p.yaml"))) == []


def test_pattern_unreachable(invoke: Invoke) -> None:
    assert codes("pattern_unreachable.yaml") == [("pattern-unreachable", 21)]
    out = invoke("policy", "lint", str(CASES / "pattern_unreachable.yaml"), expect=1).stdout
    assert (
        "composition gate requires pattern incidents_repeat, whose min_count can never be reached within "
        "its 14d window (or at all): no rule derives incident, and watchers count only rule-derived events"
        in out
    )


def test_pattern_unreachable_by_domains_and_composed_types(tmp_path: Path) -> None:
    base = (CASES / "pattern_unreachable.yaml").read_text(encoding="utf-8")
    text = base.replace(
        "{id: clusters_repeat, watch: [flag_cluster], depth: 1, min_count: 3}",
        "{id: clusters_repeat, watch: [flag_cluster], domains: [ops], depth: 1, min_count: 3}",
    )
    text = text.replace(
        "{id: incidents_repeat, watch: [incident], depth: 1, min_count: 3}",
        "{id: incidents_repeat, watch: [gate], depth: 1, min_count: 3}",
    )
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    warnings = lint(load_policy(str(tmp_path / "p.yaml")))
    assert [w.code for w in warnings] == ["pattern-unreachable", "pattern-unreachable"]
    assert (
        "its domains ['ops'] exclude the domain(s) ['data'] that flag_cluster is derived with"
        in warnings[0].message
    )
    assert (
        "gate is derived only by composition gate, and watchers never count composed events"
        in warnings[1].message
    )


def test_lint_of_an_invalid_policy_is_exit_2(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nname: x\ntypes: {a: d}\nrules:\n  - id: r\n    on: [a]\n", encoding="utf-8"
    )
    err = invoke("policy", "lint", str(tmp_path / "p.yaml"), expect=2).stderr
    assert err == (
        f"synapse-gate: error: {tmp_path / 'p.yaml'}:6: rules[0].on: a bare `on:` key is read by YAML 1.1 "
        "as the boolean true; rules use `anchors:`\n"
    )
