"""`synapse-gate waive`: appends a well-formed waiver for a blocking conclusion, refuses anything else,
and the `waive:` line of the text report is a command that works as printed."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from gov_support import AS_OF, blocking_ids, invoke, waiver_yaml

from gate.cli import main


def report(events: Path, *extra: object) -> dict[str, Any]:
    r = CliRunner().invoke(
        main, ["check", "--format", "json", "--as-of", AS_OF, *map(str, extra), str(events)]
    )
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.stdout)


def waive(
    ref: str, events: Path, waivers: Path, *extra: object, expect: int = 0, expires: str = "2026-02-03"
) -> Result:
    args = ["waive", ref, "--by", "alice", "--reason", "accepted for the beta", "--expires", expires]
    return invoke([*args, "--as-of", AS_OF, "--waivers", waivers, *extra, events], expect=expect)


def test_waive_then_check_passes_and_moving_as_of_past_expiry_blocks_again(
    example: Path, tmp_path: Path
) -> None:
    w = tmp_path / "waivers.yaml"
    ids = blocking_ids(report(example))
    for i in ids:
        out = waive(i, example, w).stdout
        assert f"added waiver for id {i}, approved by alice, expires 2026-02-03" in out
    res = invoke(["check", "--as-of", AS_OF, "--waivers", w, example], expect=0)
    assert res.stdout.startswith("PASS: no blocking conclusion")
    assert res.stdout.count("waived by alice, expires 2026-02-03") == 4
    rep = report(example, "--waivers", w)
    assert sorted(c["id"] for c in rep["verdict"]["waived"]) == sorted(ids)
    assert len(rep["waivers"]["applied"]) == 4
    # The last valid day, then the day after.
    invoke(["check", "--as-of", "2026-02-03", "--waivers", w, example], expect=0)
    res = invoke(["check", "--as-of", "2026-02-04", "--waivers", w, example], expect=1)
    assert res.stdout.startswith("BLOCKED: 4 blocking conclusions")
    assert res.stdout.count("expired on 2026-02-03 (as of 2026-02-04); ignored") == 4


def test_waive_writes_a_well_formed_item_and_keeps_existing_content(example: Path, tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    original = "# Waivers, reviewed weekly.\n" + waiver_yaml(id="old-one") + "# trailing comment, no newline"
    w.write_text(original)
    target = blocking_ids(report(example))[0]
    waive(target, example, w, "--link", "https://example.com/issues/7", expires="10d")
    text = w.read_text()
    assert text.startswith(original + "\n")
    added = text[len(original) :]
    assert added == (
        "\n\n# id of governance_action_required at 2026-01-04T09:00:00Z "
        "(lineage-less partition, 6 leaf events); added by synapse-gate waive\n"
        f'- id: "{target}"\n'
        '  approved_by: "alice"\n'
        '  reason: "accepted for the beta"\n'
        '  link: "https://example.com/issues/7"\n'
        '  approved: "2026-01-20"\n'
        '  expires: "2026-01-30"\n'
    )


def test_waive_with_leaves_writes_a_type_and_lineage_waiver(lineages: Path, tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    rep = report(lineages)
    beta = next(c for c in rep["verdict"]["blocking"] if c["partition"] == "beta")
    out = waive(beta["id"], lineages, w, "--leaves").stdout
    assert "added waiver for type governance_action_required in lineage beta resting on" in out
    text = w.read_text()
    assert '- type: "governance_action_required"\n  lineage: "beta"\n  leaves: [' in text
    after = report(lineages, "--waivers", w)
    assert [c["partition"] for c in after["verdict"]["blocking"]] == ["alpha"]
    assert [c["partition"] for c in after["verdict"]["waived"]] == ["beta"]


def test_waive_refuses_a_typo_a_warning_and_an_already_waived_conclusion(
    example: Path, tmp_path: Path
) -> None:
    w = tmp_path / "waivers.yaml"
    rep = report(example)
    target = blocking_ids(rep)[0]
    typo = target[:-1] + ("0" if target[-1] != "0" else "1")
    res = waive(typo, example, w, expect=2)
    assert (
        f"{typo}: not the id of a blocking conclusion of this evaluation; did you mean {target}?"
        in res.stderr
    )
    warning = rep["verdict"]["warnings"][0]
    res = waive(warning["id"], example, w, expect=2)
    assert f"{warning['id']}: {warning['type']} is a warning, not a blocking conclusion" in res.stderr
    assert not w.exists()
    waive(target, example, w)
    res = waive(target, example, w, expect=2)
    assert f"{target}: governance_action_required is already waived ({w}:2, expires 2026-02-03)" in res.stderr


def test_waive_refuses_an_expiry_over_the_maximum_or_in_the_past(example: Path, tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    target = blocking_ids(report(example))[0]
    res = waive(target, example, w, expires="2026-03-01", expect=2)
    assert (
        "--expires 2026-03-01: 40 days after approval (2026-01-20); "
        "policy spec-locked-drift allows at most 30" in res.stderr
    )
    res = waive(target, example, w, expires="2026-01-19", expect=2)
    assert "--expires 2026-01-19: before the approval date 2026-01-20 (--as-of)" in res.stderr
    res = waive(target, example, w, expires="soon", expect=2)
    assert "--expires 'soon': write a date (YYYY-MM-DD)" in res.stderr
    assert not w.exists()


def test_waive_leaves_a_file_it_cannot_append_to_unchanged(example: Path, tmp_path: Path) -> None:
    w = tmp_path / "waivers.yaml"
    w.write_text("[]\n")
    target = blocking_ids(report(example))[0]
    res = waive(target, example, w, expect=2)
    assert "was left unchanged" in res.stderr
    assert w.read_text() == "[]\n"


def test_waive_needs_the_evidence(tmp_path: Path) -> None:
    res = invoke(["waive", "abc", "--by", "a", "--reason", "r", "--expires", "7d"], expect=2)
    assert "name the evidence `check` read" in res.stderr


def test_waive_defaults_to_waivers_yaml_in_the_current_directory(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = blocking_ids(report(example))[0]
    invoke(
        ["waive", target, "--by", "a", "--reason", "r", "--expires", "7d", "--as-of", AS_OF, example],
        expect=0,
    )
    assert (tmp_path / "waivers.yaml").read_text().count("- id:") == 1
    # Run again: the existing default file is applied, so the conclusion is already waived.
    res = invoke(
        ["waive", target, "--by", "a", "--reason", "r", "--expires", "7d", "--as-of", AS_OF, example],
        expect=2,
    )
    assert "is already waived" in res.stderr


def test_the_waive_line_of_the_text_report_runs_as_printed(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    w = tmp_path / "w.yaml"
    w.write_text("# empty for now\n")
    out = invoke(
        ["check", "--as-of", AS_OF, "--waivers", "w.yaml", "--since", "2026-01-01", "events.jsonl"], expect=1
    )
    lines = [
        ln.strip()[len("waive: ") :] for ln in out.stdout.splitlines() if ln.strip().startswith("waive: ")
    ]
    assert len(lines) == 4
    assert lines[0].startswith("synapse-gate waive ")
    assert "--waivers w.yaml --since 2026-01-01T00:00:00Z events.jsonl" in lines[0]
    for line in lines:
        argv = shlex.split(
            line.replace("NAME", "bob").replace("TEXT", "ok").replace("YYYY-MM-DD", "2026-01-31")
        )
        assert argv[0] == "synapse-gate"
        invoke([*argv[1:], "--as-of", AS_OF], expect=0)
    invoke(["check", "--as-of", AS_OF, "--waivers", "w.yaml", "events.jsonl"], expect=0)
