"""The waivers file: schema, exact file:line errors for common mistakes, maximum validity."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from gate.errors import WaiverError
from gate.policy import load_policy, parse_policy
from gate.waivers import load_waivers, parse_waivers, render_waiver

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy("spec-locked-drift")
OK = "  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expires: 2026-01-10\n"


def error_of(text: str, policy=POLICY) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(WaiverError) as e:
        parse_waivers(text.encode(), "w.yaml", policy)
    assert e.value.exit_code == 2
    return e.value.message


def test_valid_file_compiles_every_field() -> None:
    text = (
        "# reviewed in the release meeting\n"
        "- id: 9300ed57dcbdc3f195b01dca34273ba0\n" + OK + "\n"
        "- type: governance_action_required\n"
        "  lineage: alpha\n"
        "  leaves: [r1-rs, r1-ecr]\n"
        "  link: https://example.com/issues/4\n" + OK
    )
    f = parse_waivers(text.encode(), "w.yaml", POLICY)
    a, b = f.waivers
    assert (a.index, a.line, a.id, a.type, a.expires) == (
        0,
        2,
        "9300ed57dcbdc3f195b01dca34273ba0",
        None,
        "2026-01-10",
    )
    assert (b.index, b.line, b.type, b.lineage, b.leaves) == (
        1,
        8,
        "governance_action_required",
        "alpha",
        ("r1-rs", "r1-ecr"),
    )
    assert b.link == "https://example.com/issues/4"
    assert f.sha256.startswith("sha256:") and f.max_days == 30


def test_empty_file_and_comments_only_mean_no_waivers() -> None:
    assert parse_waivers(b"", "w.yaml", POLICY).waivers == ()
    assert parse_waivers(b"# nothing waived yet\n", "w.yaml", POLICY).waivers == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n",
            "w.yaml:1: [0]: 'expires' is required",
        ),
        (
            "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expires: 2026-02-30\n",
            "w.yaml:5: [0].expires: '2026-02-30' is not a valid date",
        ),
        (
            "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expires: next week\n",
            "w.yaml:5: [0].expires: 'next week' is not a date: write YYYY-MM-DD",
        ),
        (
            "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expire: 2026-01-10\n",
            "w.yaml:5: [0].expire: unknown key (did you mean 'expires'?)",
        ),
        (
            "- id: abc\n  type: governance_action_required\n" + OK,
            "w.yaml:1: [0]: give either id or type (with lineage), not both",
        ),
        (
            "- approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expires: 2026-01-10\n",
            "w.yaml:1: [0]: say what the waiver covers: id (a conclusion id) or type (with lineage)",
        ),
        (
            "- id: abc\n  lineage: alpha\n" + OK,
            "w.yaml:2: [0].lineage: lineage goes with type; "
            "an id waiver covers that event in every partition it occurs in",
        ),
        (
            "- type: governance_action_requried\n" + OK,
            "w.yaml:1: [0].type: unknown type 'governance_action_requried' for policy spec-locked-drift; "
            "did you mean 'governance_action_required'?",
        ),
        (
            "- id: abc\n  approved_by: alice\n  reason: '  '\n  approved: 2026-01-01\n"
            "  expires: 2026-01-10\n",
            "w.yaml:3: [0].reason: must not be empty",
        ),
        (
            "- id: abc\n  link: see ticket 4\n" + OK,
            "w.yaml:2: [0].link: 'see ticket 4' is not an http(s) URL",
        ),
        ("- id: 12\n" + OK, 'w.yaml:1: [0].id: 12 must be a string (quote it: "12")'),
        (
            "- id: abc\n"
            + OK
            + "- id: def\n  approved_by: bob\n  approved: 2026-01-01\n  expires: 2026-01-10\n",
            "w.yaml:6: [1]: 'reason' is required",
        ),
        ("- id: abc\n  id: def\n", "w.yaml:2: duplicate key 'id' (first at line 1)"),
        (
            "- id: abc\n  reason: [unclosed\n",
            "w.yaml:3: not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "waivers:\n  - id: abc\n",
            "w.yaml:1: a waivers file is a YAML list of waivers "
            "(each item starting with `- id:` or `- type:`)",
        ),
        (
            "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-10\n  expires: 2026-01-01\n",
            "w.yaml:5: [0].expires: expires (2026-01-01) is before approved (2026-01-10)",
        ),
    ],
)
def test_malformed_waivers_name_file_line_and_key(text: str, message: str) -> None:
    assert error_of(text) == message


def test_validity_over_the_policy_maximum_is_an_error_naming_the_line() -> None:
    text = "# header\n- id: abc\n" + OK.replace("2026-01-10", "2026-02-01")
    assert error_of(text) == (
        "w.yaml:6: [0].expires: valid for 31 days (approved 2026-01-01, expires 2026-02-01); "
        "policy spec-locked-drift allows at most 30 (waivers.max_days)"
    )
    # Exactly the maximum is fine.
    ok = text.replace("2026-02-01", "2026-01-31")
    assert parse_waivers(ok.encode(), "w.yaml", POLICY).waivers[0].expires == "2026-01-31"


def test_the_policy_sets_the_maximum() -> None:
    text = (ROOT / "gate" / "policy" / "builtin" / "spec-locked-drift.yaml").read_text()
    strict = parse_policy(text.replace("\nrules:", "\nwaivers: {max_days: 7}\nrules:").encode(), "p.yaml")
    assert strict.waiver_max_days == 7
    item = "- id: abc\n  approved_by: alice\n  reason: ok\n  approved: 2026-01-01\n  expires: 2026-01-09\n"
    assert error_of(item, strict).endswith(
        "valid for 8 days (approved 2026-01-01, expires 2026-01-09); "
        "policy spec-locked-drift allows at most 7 (waivers.max_days)"
    )
    long = parse_policy(text.replace("\nrules:", "\nwaivers: {max_days: 90}\nrules:").encode(), "p.yaml")
    item90 = item.replace("2026-01-09", "2026-03-31")
    assert parse_waivers(item90.encode(), "w.yaml", long).waivers[0].expires == "2026-03-31"


def test_missing_file_is_a_waiver_error(tmp_path: Path) -> None:
    with pytest.raises(WaiverError, match=r"no-such\.yaml: no such waivers file"):
        load_waivers(str(tmp_path / "no-such.yaml"), POLICY)


def test_rendered_waivers_parse_back_with_awkward_text() -> None:
    text = render_waiver(
        id="abc",
        approved_by='Zoë "z" O\'Neil',
        reason="line one\nline two: # not a comment",
        approved="2026-01-01",
        expires="2026-01-10",
        link="https://example.com/x?y=1#z",
        comment="a comment\nwith a newline",
    )
    (w,) = parse_waivers(text.encode(), "w.yaml", POLICY).waivers
    assert w.approved_by == 'Zoë "z" O\'Neil'
    assert w.reason == "line one\nline two: # not a comment"
    assert w.link == "https://example.com/x?y=1#z"
    assert text.splitlines()[0] == "# a comment with a newline"


def test_schema_is_valid_and_the_shipped_example_validates() -> None:
    schema = json.loads((resources.files("gate") / "schemas" / "waivers.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    f = load_waivers(str(ROOT / "examples" / "waivers.yaml"), POLICY)
    assert len(f.waivers) >= 2
