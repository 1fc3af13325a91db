"""Fuzzing the trusted-but-handwritten YAML documents: policies, waivers and spec contracts.

They are trusted for what they say, not for being well formed: a YAML file written by hand at
midnight must get a PolicyError/WaiverError naming file, line and key (exit 2), never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzz_support import BILLION_LAUGHS, FUZZ, HUGE_DIGITS, mutate, outcome, timed
from hypothesis import given
from hypothesis import strategies as st

from gate.errors import GateError, PolicyError, WaiverError
from gate.policy import load_policy
from gate.policy.loader import builtin_text, parse_policy
from gate.sources import spec_contract
from gate.waivers import parse_waivers

ROOT = Path(__file__).resolve().parents[2]
POLICY = builtin_text("spec-locked-drift")
POLICY_OBJ = load_policy("spec-locked-drift")
WAIVERS = (ROOT / "examples" / "waivers.yaml").read_bytes()
SPEC = (ROOT / "examples" / "spec-contract.yaml").read_bytes()
RULE = b"derive: {type: data_risk_cluster, domain: data}"


def policy_with(old: bytes, new: bytes) -> bytes:
    assert old in POLICY
    return POLICY.replace(old, new, 1)


PARSERS = {
    "policy.yaml": (lambda data: parse_policy(data, "policy.yaml"), PolicyError),
    "waivers.yaml": (lambda data: parse_waivers(data, "waivers.yaml", POLICY_OBJ), WaiverError),
    "spec.yaml": (lambda data: spec_contract.load("spec.yaml", data), PolicyError),
}
VALID = {"policy.yaml": POLICY, "waivers.yaml": WAIVERS, "spec.yaml": SPEC}

# Broken whatever the document: (bytes, expected fragment).
COMMON: dict[str, tuple[bytes, str]] = {
    "invalid-utf8": (b"a: \xff\n", "UTF-8"),
    "nul": (b"a: b\x00\n", "0x0000"),
    "deep": (b"a: " + b"[" * 100_000, "nested too deeply"),
    "over-depth-cap": (b"a: " + b"[" * 70 + b"]" * 70 + b"\n", "the max_depth cap"),
    "billion-laughs": (BILLION_LAUGHS, "expands to more than 2000000 nodes"),
    "python-tag": (b"a: !!python/object/apply:os.system [echo pwned]\n", "could not determine a constructor"),
    "huge-int": (f"a: {HUGE_DIGITS}\n".encode(), "an integer with more than 4300 digits"),
    "list-key": (b"? [a, b]\n: 1\n", "a mapping key must be a plain value"),
    "duplicate-key": (b"a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
    "tab-indent": (b"a:\n\t- b\n", "not valid YAML"),
    "unclosed-flow": (b"a: [1, 2\n", "not valid YAML"),
}


@pytest.mark.parametrize("doc", sorted(PARSERS))
@pytest.mark.parametrize("seed", sorted(COMMON))
def test_hostile_yaml_is_refused_with_file_and_line(doc: str, seed: str) -> None:
    parse, error = PARSERS[doc]
    data, fragment = COMMON[seed]
    err = timed(lambda: outcome(lambda: parse(data), doc), 5.0)
    assert isinstance(err, error), f"{doc} accepted {seed}"
    assert fragment in err.message, err.message
    assert err.message.startswith(f"{doc}:"), err.message  # a line follows the name (or ':' for UTF-8)


POLICY_CASES: dict[str, tuple[bytes, str]] = {
    "nan-in-derived-props": (
        policy_with(RULE, RULE[:-1] + b", props: {x: .nan}}"),
        "policy.yaml:26: rules[0].derive.props.x: nan is not a finite number",
    ),
    "int-key-in-derived-props": (
        policy_with(RULE, RULE[:-1] + b", props: {1: one}}"),
        "rules[0].derive.props: key 1 is not a string",
    ),
    "set-in-where": (
        policy_with(b"within: 24h}", b"within: 24h, where: {a: !!set {x}}}"),
        "rules[0].when.where.a: a set (set) has no JSON equivalent",
    ),
    "cyrillic-type-name": (
        policy_with(b"  run_started: training", "  run_st\u0430rted: training".encode()),
        "types",
    ),
    "inf-at-least": (policy_with(b"at_least: 2,", b"at_least: .inf,"), "at_least"),
    "bom": (b"\xef\xbb\xbf" + POLICY, ""),  # valid: must parse
}


@pytest.mark.parametrize("case", sorted(POLICY_CASES))
def test_policy_values_json_cannot_carry(case: str) -> None:
    data, fragment = POLICY_CASES[case]
    result = outcome(lambda: parse_policy(data, "policy.yaml"), "policy.yaml", line=True)
    if not fragment:
        assert not isinstance(result, GateError)
        return
    assert isinstance(result, PolicyError)
    assert fragment in result.message


def test_rule_count_cap_names_the_flag() -> None:
    with pytest.raises(PolicyError) as ei:
        parse_policy(POLICY, "policy.yaml", max_rules=3)
    assert (
        ei.value.message
        == "policy.yaml:22: rules: 9 rules, patterns and compositions, over the 3 cap (max_rules)"
    )
    assert ei.value.hint and "--max-rules" in ei.value.hint
    assert parse_policy(POLICY, "policy.yaml", max_rules=9).rules  # at the cap: read


WAIVER = "- {{id: a, approved_by: x, reason: y, approved: '{a}', expires: '{e}'}}\n"
WAIVER_DATES = {
    ("0001-01-01", "0001-01-02"): None,
    ("9999-12-30", "9999-12-31"): None,
    ("0000-01-01", "0000-01-02"): "is not a valid date",
    ("2026-02-30", "2026-03-01"): "is not a valid date",
    ("\uff12026-02-01", "2026-02-02"): "is not a date: write YYYY-MM-DD",
    ("2026-02-01T00:00:00Z", "2026-02-02"): "is not a date",
}


@pytest.mark.parametrize(("approved", "expires"), sorted(WAIVER_DATES))
def test_waiver_date_edges(approved: str, expires: str) -> None:
    data = WAIVER.format(a=approved, e=expires).encode()
    result = outcome(lambda: parse_waivers(data, "w.yaml", POLICY_OBJ), "w.yaml", line=True)
    expected = WAIVER_DATES[(approved, expires)]
    if expected is None:
        assert not isinstance(result, GateError), result
    else:
        assert isinstance(result, WaiverError) and expected in result.message


@FUZZ
@given(
    doc=st.sampled_from(sorted(PARSERS)),
    kind=st.integers(0, 3),
    pos=st.integers(0, 100_000),
    blob=st.binary(max_size=10)
    | st.sampled_from(
        [b": ", b"- ", b"&a ", b"*a", b"!!binary ", b"!!set ", b".nan", b"[", b"{", b"\t", b"\n  "]
    ),
)
def test_mutated_documents(doc: str, kind: int, pos: int, blob: bytes) -> None:
    parse, _ = PARSERS[doc]
    outcome(lambda: parse(mutate(VALID[doc], kind, pos, blob)), doc)


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(["24h", "0h", "9" * 40 + "w", ".nan", "on", "\u0430"]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=10,
)


@FUZZ
@given(
    value=yaml_values, where=st.sampled_from(["rules", "types", "blocking", "waivers", "name", "patterns"])
)
def test_arbitrary_values_in_a_policy(value: object, where: str) -> None:
    import yaml

    doc = yaml.safe_load(POLICY)
    doc[where] = value
    data = yaml.safe_dump(doc, allow_unicode=True).encode()
    outcome(lambda: parse_policy(data, "policy.yaml"), "policy.yaml", line=True)
