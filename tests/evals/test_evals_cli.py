"""`synapse-gate events from-eval` via CliRunner and a subprocess: exit codes, output, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from evals_support import BLOOM_1B1, BLOOM_1B7, FIXTURES, PYTHIA_14M, PYTHIA_70M, T0, in_fixtures  # noqa: F401

from gate.cli import main

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("in_fixtures")


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["events", "from-eval", *args], catch_exceptions=False)
    assert result.exit_code == code, (
        f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def lines(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_regressions_as_jsonl() -> None:
    result = run(BLOOM_1B1, "--baseline", BLOOM_1B7, "--timestamp", T0)
    events = lines(result)
    assert [e["id"] for e in events] == [
        "evalreg-87da0bc229ee8aeb",
        "evalreg-fa4e4d3b40d2fb39",
        "evalreg-0e6a8114d589fda5",
        "evalreg-40bfd10c4b20585f",
        "evalreg-bd41519e5db6a074",
        "evalreg-83b58370b46d3dc7",
        "evalreg-03ececaab8237da1",
    ]
    first = result.stdout.splitlines()[0]
    # sorted keys, compact separators
    assert first.startswith(
        '{"domain":"eval","id":"evalreg-87da0bc229ee8aeb","props":{"abs_tol":0.0,"baseline":'
    )
    assert first.endswith('},"timestamp":"2023-05-06T00:00:00Z","type":"eval_regression_observed"}')
    assert result.stderr == ""


def test_spec_with_example_and_lineage_run() -> None:
    spec = str(REPO / "examples" / "spec-contract.yaml")
    result = run(
        BLOOM_1B1,
        "--baseline",
        BLOOM_1B7,
        "--spec",
        spec,
        "--timestamp",
        T0,
        "--lineage",
        "bloom",
        "--run",
        "r7",
    )
    events = lines(result)
    kinds = [(e["type"], e["props"]["task"]) for e in events if e["type"] == "spec_constraint_violation"]  # type: ignore[index]
    assert kinds == [
        ("spec_constraint_violation", "arc_easy"),
        ("spec_constraint_violation", "boolq"),
        ("spec_constraint_violation", "hellaswag"),
    ]
    assert all(e["lineage"] == "bloom" and e["props"]["run"] == "r7" for e in events)  # type: ignore[index]
    assert len(events) == 10


def test_no_events_prints_nothing_and_exits_zero() -> None:
    result = run(PYTHIA_70M, "--baseline", PYTHIA_14M)
    assert (result.stdout, result.stderr) == ("", "")


def test_z_zero_turns_the_test_off_and_rel_tol_percent() -> None:
    assert len(lines(run(PYTHIA_70M, "--baseline", PYTHIA_14M, "--z", "0"))) == 3
    # steer4 drops 2.6%, steer5 4.2%, steer 0.09%: a 3% tolerance keeps only steer5
    result = run(PYTHIA_70M, "--baseline", PYTHIA_14M, "--z", "0", "--rel-tol", "3%")
    assert [e["props"]["task"] for e in lines(result)] == ["steer5"]  # type: ignore[index]
    assert lines(result)[0]["props"]["rel_tol"] == 0.03  # type: ignore[index]
    result = run(PYTHIA_70M, "--baseline", PYTHIA_14M, "--z", "0", "--rel-tol", "0.03")
    assert [e["props"]["task"] for e in lines(result)] == ["steer5"]  # type: ignore[index]


def test_notes_go_to_stderr() -> None:
    result = run(
        "samples/inspect_ai/log_formats.json", "--baseline", "samples/promptfoo/simple-cli_output.json"
    )
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        "note: samples/inspect_ai/log_formats.json is inspect but the baseline "
        "samples/promptfoo/simple-cli_output.json is promptfoo"
    )
    assert len(result.stderr.splitlines()) == 4


def test_explicit_format() -> None:
    result = run(
        "samples/inspect_ai/log_formats.json",
        "--baseline",
        "samples/inspect_ai/log_read_sample.json",
        "--format",
        "inspect",
    )
    assert [e["id"] for e in lines(result)] == ["evalreg-19027c6004cfdec5"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [BLOOM_1B1],
            f"synapse-gate: error: {BLOOM_1B1}: this lm-eval file carries no timestamp; pass --timestamp",
        ),
        (["missing.json"], "synapse-gate: error: missing.json: no such file"),
        (
            ["samples/openai-evals/gpt-4-cot_semantic_role_recognition.jsonl"],
            "synapse-gate: error: samples/openai-evals/gpt-4-cot_semantic_role_recognition.jsonl: "
            "final_report: "
            "no final_report record",
        ),
        (
            [BLOOM_1B1, "--timestamp", "2023-05-06"],
            "synapse-gate: error: --timestamp: '2023-05-06' is not an RFC 3339",
        ),
        (
            [PYTHIA_70M, "--abs-tol", "-1"],
            "synapse-gate: error: --abs-tol: must be a finite number >= 0, got -1.0",
        ),
        (
            [PYTHIA_70M, "--rel-tol", "lots"],
            "synapse-gate: error: --rel-tol: expected a fraction (0.02) or a percentage",
        ),
        (
            [PYTHIA_70M, "--format", "promptfoo"],
            f"synapse-gate: error: {PYTHIA_70M}: results.prompts: missing: not a promptfoo output file",
        ),
        ([PYTHIA_70M, "--lineage", " "], "synapse-gate: error: --lineage: must not be empty"),
    ],
)
def test_errors_exit_2_naming_file_and_field(args: list[str], message: str) -> None:
    result = run(*args, code=2)
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr


def test_bad_spec_exits_2_with_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nconstraints:\n  - id: a\n    task: boolq\n    metric: acc\n    min: high\n")
    result = run(BLOOM_1B1, "--spec", str(spec), "--timestamp", T0, code=2)
    assert result.stderr.endswith(
        "spec.yaml:6: constraints[0].min: expected a number, got a string ('high')\n"
    )


def test_bad_format_choice_is_a_click_usage_error() -> None:
    result = run(BLOOM_1B1, "--format", "helm", code=2)
    assert "Invalid value for '--format'" in result.stderr


def test_help_lists_formats() -> None:
    result = run("--help")
    assert "[auto|lm-eval|promptfoo|inspect|openai-evals]" in result.stdout


def test_subprocess_twice_gives_identical_bytes() -> None:
    spec = str(REPO / "examples" / "spec-contract.yaml")
    cmd = [
        sys.executable,
        "-m",
        "gate",
        "events",
        "from-eval",
        BLOOM_1B1,
        "--baseline",
        BLOOM_1B7,
        "--spec",
        spec,
    ]
    cmd += ["--timestamp", T0, "--run", "r1"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    outs = []
    for seed in ("1", "2"):  # different hash seeds: set/dict order must not leak into the output
        proc = subprocess.run(cmd, capture_output=True, env={**env, "PYTHONHASHSEED": seed}, check=False)
        assert proc.returncode == 0, proc.stderr.decode()
        outs.append(proc.stdout)
    assert outs[0] == outs[1]
    assert outs[0].count(b"\n") == 10
    assert outs[0] == CliRunner().invoke(main, cmd[3:]).stdout_bytes
