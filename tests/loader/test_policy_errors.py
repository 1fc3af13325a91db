"""Policy loading (SPEC 4): built-ins equal the published policies; errors name file:line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT

from gate.errors import PolicyError
from gate.policy import builtin_names, load_policy, parse_policy
from gate.policy.model import AnyOf, PeerTerm

BUILTIN = (ROOT / "gate" / "policy" / "builtin" / "spec-locked-drift.yaml").read_text()


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as e:
        parse_policy(text.encode(), "p.yaml")
    return str(e.value)


def edit(old: str, new: str) -> str:
    assert old in BUILTIN
    return BUILTIN.replace(old, new, 1)


def test_builtins_are_listed_and_load_by_name():
    assert {"spec-locked-drift", "spec-locked-drift-literal"} <= set(builtin_names())
    p = load_policy("spec-locked-drift")
    assert p.name == "spec-locked-drift" and p.source == "builtin:spec-locked-drift"
    assert [r.id for r in p.rules] == [
        "data_risk_cluster", "eval_regression_cluster", "spec_drift", "generalization_risk",
        "release_risk_high", "governance_action",
    ]  # fmt: skip
    assert [r.pairing for r in p.rules[2:]] == ["cross-type"] * 4
    assert {r.pairing for r in load_policy("spec-locked-drift-literal").rules} == {"any"}


def test_builtin_windows_and_thresholds_match_the_seed_table():
    p = load_policy("spec-locked-drift")
    first = p.rules[0].when
    assert isinstance(first, PeerTerm) and (first.at_least, first.within_text) == (2, "24h")
    windows = {r.id: {t.within_text for t in r.peer_terms()} for r in p.rules}
    assert windows == {
        "data_risk_cluster": {"24h"}, "eval_regression_cluster": {"6h"}, "spec_drift": {"48h"},
        "generalization_risk": {"7d"}, "release_risk_high": {"14d"}, "governance_action": {"21d"},
    }  # fmt: skip
    assert isinstance(p.rules[2].when, AnyOf)
    assert (p.compositions[0].within_text, [r.pattern for r in p.compositions[0].requires]) == (
        "14d",
        ["drift_repeats", "governance_repeats"],
    )


def test_builtins_are_the_published_conformance_policies():
    shared = ROOT.parent / "shared" / "conformance" / "policies"
    for name in ("spec-locked-drift", "spec-locked-drift-literal"):
        shipped = load_policy(name)
        path = shared / f"{name}.yaml"
        reference = load_policy(str(path)) if path.exists() else shipped
        assert (shipped.rules, shipped.patterns, shipped.compositions, shipped.types) == (
            reference.rules, reference.patterns, reference.compositions, reference.types,
        )  # fmt: skip


def test_unknown_duration_unit():
    assert error_of(edit("within: 24h}", "within: 24x}")) == (
        "p.yaml:25: rules[0].when.within: '24x' is not a duration: use an integer and one of s m h d w "
        "(e.g. 90m, 24h, 7d, 2w)"
    )


def test_rule_referencing_an_unknown_type():
    assert error_of(
        edit("{peers: dataset_provenance_flag, at_least: 2", "{peers: dataset_provenance_flg, at_least: 2")
    ) == (
        "p.yaml:25: rules[0].when.peers: unknown type 'dataset_provenance_flg' "
        "(declare it under types; did you mean 'dataset_provenance_flag'?)"
    )


def test_composition_referencing_an_unknown_pattern():
    assert error_of(
        edit(
            "- {pattern: drift_repeats, min_occurrences: 1}", "- {pattern: drift_repeat, min_occurrences: 1}"
        )
    ) == (
        "p.yaml:70: compositions[0].requires[0].pattern: unknown pattern 'drift_repeat' (did you mean 'drift_repeats'?)"
    )


def test_bare_on_key_is_explained():
    assert error_of(edit("    anchors: [dataset_provenance_flag]", "    on: [dataset_provenance_flag]")) == (
        "p.yaml:24: rules[0].on: a bare `on:` key is read by YAML 1.1 as the boolean true; rules use `anchors:`"
    )


def test_unknown_key_suggests_the_closest():
    assert error_of(edit("    pairing: cross-type\n    when:\n      any:\n        - {peers: spec_constraint",
                         "    paring: cross-type\n    when:\n      any:\n        - {peers: spec_constraint")) == (
        "p.yaml:33: rules[2].paring: unknown key (did you mean 'pairing'?)"
    )  # fmt: skip


def test_duplicate_rule_id():
    assert error_of(edit("  - id: eval_regression_cluster\n", "  - id: data_risk_cluster\n")) == (
        "p.yaml:27: rules[1].id: duplicate id 'data_risk_cluster' (also at rules[0].id)"
    )


def test_both_at_least_and_exactly():
    assert error_of(edit("at_least: 2, within: 24h}", "at_least: 2, exactly: 2, within: 24h}")) == (
        "p.yaml:25: rules[0].when: give either at_least or exactly, not both"
    )


def test_depth_must_be_at_least_one():
    assert error_of(
        edit("depth: 4, min_count: 3}\n  - {id: governance", "depth: 0, min_count: 3}\n  - {id: governance")
    ) == ("p.yaml:65: patterns[0].depth: 0 is less than the minimum of 1")


def test_yaml_syntax_error_has_a_line():
    assert error_of("version: 1\nname: x\ntypes: {a: b\nrules: []\n").startswith("p.yaml:4: not valid YAML")


def test_duplicate_yaml_key():
    assert error_of("version: 1\nname: x\nname: y\n") == "p.yaml:3: duplicate key 'name' (first at line 2)"


def test_missing_policy_file_lists_the_builtins(tmp_path: Path):
    with pytest.raises(PolicyError) as e:
        load_policy(str(tmp_path / "nope.yaml"))
    assert "no such policy file, and not a built-in policy (built-ins: " in str(e.value)
    assert "spec-locked-drift" in str(e.value)
