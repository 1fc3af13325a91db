"""`policy list|show|init`, Mermaid (golden files), the example history, and real subprocess runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from gate.policy import load_policy
from gate.policy.init import starter_files
from gate.policy.lint import lint
from gate.policy.loader import builtin_text
from gate.policy.mermaid import render_mermaid
from gate.policy.scenario_runner import run_tests

Invoke = Callable[..., Result]
REPO = Path(__file__).resolve().parents[2]


def test_list_shows_names_and_first_lines(invoke: Invoke) -> None:
    assert invoke("policy", "list").stdout == (
        "community-values-drift     Community customization and values drift -> deployment hold -> research "
        "debug session.\n"
        "spec-locked-drift          The seed hierarchy as the walkthrough reads it (the default): levels 2 to 5 "
        "need corroboration by a different type (pairing: cross-type).\n"
        "spec-locked-drift-literal  The seed hierarchy's flowchart read literally: every level may pair an event "
        "with its own type (pairing: any), so two runs within 21 days already require governance action.\n"
    )


@pytest.mark.parametrize("name", ["spec-locked-drift", "community-values-drift"])
def test_show_prints_the_yaml_as_shipped(invoke: Invoke, name: str) -> None:
    assert invoke("policy", "show", name).stdout.encode("utf-8") == builtin_text(name)


def test_show_a_file_and_a_missing_one(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_bytes(builtin_text("spec-locked-drift-literal"))
    assert invoke("policy", "show", str(tmp_path / "p.yaml")).stdout.encode() == builtin_text(
        "spec-locked-drift-literal"
    )
    err = invoke("policy", "show", str(tmp_path / "nope.yaml"), expect=2).stderr
    assert "no such policy file, and not a built-in policy" in err


@pytest.mark.parametrize("name", ["spec-locked-drift", "community-values-drift"])
def test_mermaid_golden(invoke: Invoke, golden: Callable[[str, str], None], name: str) -> None:
    out = invoke("policy", "show", "--mermaid", name).stdout
    golden(f"{name}.mmd", out)


def test_mermaid_marks_blocking_and_escapes_labels(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "version: 1\nname: t\ntypes: {x: data, y: data, out: governance, unused: meta}\nblocking: [out]\n"
        "rules:\n  - id: r-1\n    anchors: [x]\n    pairing: any\n    when:\n      all:\n"
        "        - {peers: x, at_least: 1, within: 1h, where: {reason: 'a \"b\"', n: 2}}\n"
        "        - any: [{peers: y, exactly: 0, within: 2h, domain: data}]\n"
        "    derive: {type: out}\n",
        encoding="utf-8",
    )
    text = render_mermaid(load_policy(str(tmp_path / "p.yaml")))
    assert "  %% declared but used by no rule, pattern or composition: unused" in text
    assert '  r_r_1{{"rule r-1<br/>all(x, any(y))"}}' in text
    assert '  t_x -->|"anchor; >= 1 within 1h, n=2, reason=a #quot;b#quot;"| r_r_1' in text
    assert '  t_y -->|"exactly 0 within 2h, domain data"| r_r_1' in text
    assert "  class t_out blocking" in text


def test_init_writes_a_starter_that_tests_and_lints_clean(invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "gate-policy"
    out = invoke("policy", "init", str(target)).stdout
    assert out.splitlines() == [f"wrote {(target / rel).as_posix()}" for rel in starter_files()] + [
        f"next: synapse-gate policy test {(target / 'policy.yaml').as_posix()}"
    ]
    policy = load_policy(str(target / "policy.yaml"))
    assert lint(policy) == []
    assert policy.text.count("\n#") >= 5  # commented, as promised
    run = run_tests(str(target / "policy.yaml"), [target / "scenarios"])
    assert (run.passed, run.failed) == (1, 0)
    assert (
        invoke("policy", "test", str(target / "policy.yaml")).stdout
        == "ok   risk_repeats_blocks\n1 passed, 0 failed\n"
    )


def test_init_refuses_to_overwrite_and_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    scen = tmp_path / "scenarios" / "risk_repeats_blocks"
    scen.mkdir(parents=True)
    (scen / "expect.yaml").write_text("mine\n", encoding="utf-8")
    err = invoke("policy", "init", str(tmp_path), expect=2).stderr
    assert "expect.yaml: already exists; policy init never overwrites (1 of 3 files exist" in err
    assert not (tmp_path / "policy.yaml").exists()
    assert (scen / "expect.yaml").read_text(encoding="utf-8") == "mine\n"


def test_init_default_dir_is_the_working_directory(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gate", "policy", "init"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "policy.yaml").is_file()


def test_community_policy_works_with_check_by_name() -> None:
    from gate.run import CheckRequest, check

    result = check(
        CheckRequest(
            events=(str(REPO / "examples" / "community-values" / "events.jsonl"),),
            policy="community-values-drift",
        )
    )
    assert result.exit_code == 1
    by_part: dict[str | None, list[str]] = {}
    for part in result.report["partitions"]:
        by_part[part["partition"]] = sorted(
            d["type"] for d in part["derived"] if d["type"] in result.policy.blocking
        )
    assert by_part == {
        "community-chat-v2": ["deployment_hold_required"] * 3 + ["research_debug_session_required"],
        "community-chat-v3": [],
    }
    v3 = check(
        CheckRequest(
            events=(str(REPO / "examples" / "community-values" / "events.jsonl"),),
            policy="community-values-drift",
            lineages=("community-chat-v3",),
        )
    )
    assert v3.exit_code == 0
    assert [w["type"] for w in v3.report["verdict"]["warnings"]] == [
        "alignment_drift_signal",
        "user_trust_risk_high",
    ]


def test_subprocess_policy_test_and_lint_every_builtin() -> None:
    """The installed entry point, end to end, as CI would run it."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    for policy in ("spec-locked-drift", "spec-locked-drift-literal", "community-values-drift"):
        for command in ("test", "lint"):
            result = subprocess.run(
                [sys.executable, "-m", "gate", "policy", command, policy],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            assert result.returncode == 0, f"{command} {policy}\n{result.stdout}\n{result.stderr}"
            last = result.stdout.splitlines()[-1]
            assert last == ("5 passed, 0 failed" if command == "test" else f"policy {policy}: no warnings")


def test_expect_schema_is_a_valid_schema() -> None:
    import jsonschema

    schema = json.loads((REPO / "gate" / "schemas" / "expect.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
