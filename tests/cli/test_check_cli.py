"""The CLI as users run it: exit codes, output, and the evidence options (subprocess and CliRunner)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import EXAMPLES, ROOT

from gate.cli import main

LM = ROOT / "tests" / "fixtures" / "evals" / "samples" / "lm-evaluation-harness"
GOLDEN = ROOT / "tests" / "golden" / "cli"


def gate(*args: str, stdin: bytes | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "gate", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    print(proc.stdout, proc.stderr, sep="\n---stderr---\n")  # shown by pytest when an assertion fails
    assert "Traceback" not in proc.stderr
    return proc


def invoke(*args: str, input: bytes | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    print(result.output)
    return result


def test_blocked_example_exits_1_and_explains_down_to_the_leaves():
    proc = gate("check", "--as-of", "2026-04-01", "examples/drifting")
    assert proc.returncode == 1
    assert proc.stdout.startswith("BLOCKED: 4 blocking conclusions\n")
    assert "examples/drifting/events.jsonl:6)" in proc.stdout  # a leaf with its file:line


def test_text_report_of_the_blocking_example_is_stable():
    proc = gate("check", "--as-of", "2026-04-01", "examples/drifting")
    golden = GOLDEN / "drifting.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(proc.stdout, encoding="utf-8")
    assert proc.stdout == golden.read_text(encoding="utf-8")
    # The README shows the start of this output: it must be what the command prints.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ synapse-gate check --as-of 2026-04-01 examples/drifting\n", 1)[1].split(
        "\n...\n", 1
    )[0]
    assert proc.stdout.startswith(shown + "\n")


def test_clean_example_passes():
    proc = gate("check", "examples/clean")
    assert proc.returncode == 0
    assert proc.stdout.startswith("PASS: no blocking conclusion\n")


def test_multi_lineage_example_blocks_one_lineage_only():
    report = json.loads(gate("check", "--format", "json", "examples/multi-lineage").stdout)
    assert report["inputs"]["lineages"] == ["acme-7b-chat", "acme-7b-code"]
    assert {c["partition"] for c in report["verdict"]["blocking"]} == {"acme-7b-chat"}
    # the lineage-less partner concern joined both partitions
    assert all(p["events"] == 22 for p in report["partitions"]) or {
        p["events"] for p in report["partitions"]
    } == {
        13,
        31,
    }


def test_json_report_validates_against_its_schema_and_goes_to_output(tmp_path: Path):
    out = tmp_path / "r.json"
    proc = gate("check", "--format", "json", "--output", str(out), "examples/multi-lineage")
    assert proc.returncode == 1 and proc.stdout == ""
    schema = json.loads((ROOT / "gate" / "schemas" / "report.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(json.loads(out.read_text()))


def test_warn_only_passes_but_says_it_would_block():
    proc = gate("check", "--warn-only", "examples/drifting")
    assert proc.returncode == 0
    assert proc.stdout.startswith("PASS (warn-only): the gate would have blocked on 4 conclusions")


def test_fail_on_promotes_a_warning_type():
    assert gate("check", "examples/clean").returncode == 0
    events = EXAMPLES / "clean" / "events.jsonl"
    extra = '{"id":"x1","type":"spec_constraint_violation","timestamp":"2026-03-02T10:00:00Z"}\n'
    extra += '{"id":"x2","type":"spec_constraint_violation","timestamp":"2026-03-02T11:00:00Z"}\n'
    proc = gate(
        "check",
        "--policy",
        "spec-locked-drift-literal",
        "--fail-on",
        "spec_drift_signal",
        str(events),
        "-",
        stdin=extra.encode(),
    )
    assert proc.returncode == 1
    assert "spec_drift_signal" in proc.stdout


def test_stdin_events():
    line = b'{"type": "governance_action_required", "timestamp": "2026-01-01T00:00:00Z", "id": "manual-1"}\n'
    proc = gate("check", "-", stdin=line)
    assert proc.returncode == 1  # a person may assert a blocking type directly (SPEC 3.8)
    assert "manual-1" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", "nope/events.jsonl"],
            "synapse-gate: error: nope/events.jsonl: no such file or directory\n",
        ),
        (
            ["check", "--policy", "nope", "examples/clean"],
            "synapse-gate: error: nope: no such policy file, and not a built-in policy",
        ),
        (
            ["check", "--fail-on", "nope", "examples/clean"],
            "synapse-gate: error: --fail-on 'nope': not a type of policy spec-locked-drift\n",
        ),
        (
            ["check", "--lineage", "nope", "examples/multi-lineage"],
            "synapse-gate: error: --lineage 'nope': no event carries this lineage",
        ),
        (["check"], "synapse-gate: error: no evidence given"),
        (
            ["check", "--eval-baseline", "x.json", "examples/clean"],
            "synapse-gate: error: --eval-baseline: give one per --eval (0 --eval, 1 baselines)\n",
        ),
        (
            ["check", "--spec", "x.yaml", "examples/clean"],
            "synapse-gate: error: --spec and --eval-baseline need an --eval result file\n",
        ),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(args, message):
    proc = gate(*args)
    assert proc.returncode == 2
    assert proc.stderr.startswith(message)
    assert proc.stdout == ""


def test_eval_results_become_evidence():
    args = ["--eval", str(LM / "bloom-1b1_common_sense_reasoning_0-shot.json")]
    args += ["--eval-baseline", str(LM / "bloom-1b7_common_sense_reasoning_0-shot.json")]
    args += ["--eval-timestamp", "2026-03-02T12:00:00Z", "--format", "json"]
    report = json.loads(invoke("check", *args).output)
    # seven significant metric drops at one instant pair into three eval regression clusters (the seventh
    # waits for a partner); spec drift needs a corroborating type, so evals alone do not block.
    assert report["inputs"]["events"] == 7
    assert [(d["type"], len(d["children"])) for d in report["partitions"][0]["derived"]] == [
        ("eval_regression_cluster", 2)
    ] * 3
    assert report["verdict"]["status"] == "pass"


def test_explain_by_type_and_by_id():
    out = invoke("explain", "release_gate_triggered", "examples/drifting").output
    assert out.startswith("release_gate_triggered ")
    assert "[composition release_gate, within 14d]" in out
    assert "[rule governance_action, within 21d]" in out
    first_id = out.split()[1]
    assert invoke("explain", first_id, "examples/drifting").output == out
    bad = CliRunner().invoke(main, ["explain", "nothing_like_this", "examples/drifting"])
    assert bad.exit_code == 2


def test_validate_each_kind():
    result = invoke(
        "validate",
        "gate/policy/builtin/spec-locked-drift.yaml",
        "examples/drifting/events.jsonl",
        "examples/waivers.yaml",
        "examples/spec-contract.yaml",
    )
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == ["ok"] * 4
    bad = CliRunner().invoke(
        main, ["validate", "tests/cases/conformance/example/expected.spec-locked-drift.json"]
    )
    assert bad.exit_code == 2
    assert "expected.spec-locked-drift.json:1: blocked: unknown field" in bad.output


def test_jobs_give_the_same_report():
    one = gate("check", "--format", "json", "--as-of", "2026-04-01", "examples/multi-lineage").stdout
    two = gate(
        "check", "--format", "json", "--as-of", "2026-04-01", "--jobs", "2", "examples/multi-lineage"
    ).stdout
    assert one == two


def test_version_and_help():
    assert invoke("--version").output.startswith("synapse-gate, version ")
    assert "Exit codes: 0 pass" in invoke("check", "--help").output
