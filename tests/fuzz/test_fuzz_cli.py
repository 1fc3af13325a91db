"""The CLI as a subprocess on a representative subset of hostile inputs: the exit code, one precise
line on stderr, no traceback and no "internal error"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_support import BILLION_LAUGHS, GOOD, HUGE_DIGITS, TS

ROOT = Path(__file__).resolve().parents[2]
POLICY = (ROOT / "gate" / "policy" / "builtin" / "spec-locked-drift.yaml").read_bytes()

# name -> (file name, content, extra CLI args, expected start of the error line)
CASES: dict[str, tuple[str, bytes, list[str], str]] = {
    "truncated line": ("e.jsonl", GOOD + b"\n" + GOOD[:30], [], "e.jsonl:2: not valid JSON"),
    "invalid UTF-8": ("e.jsonl", GOOD[:-2] + b'\xff"}', [], "e.jsonl:1: not valid UTF-8"),
    "NUL byte in YAML": (
        "e.yaml",
        b"- {type: run_started, timestamp: '" + TS.encode() + b"'}\x00\n",
        [],
        "e.yaml:1: not valid YAML",
    ),
    "deep JSON": ("e.json", b"[" * 100_000, [], "e.json:1: not valid JSON: nested too deeply"),
    "huge integer": (
        "e.jsonl",
        GOOD[:-2] + b"," + b'"props":{"n":' + HUGE_DIGITS.encode() + b"}}",
        [],
        "e.jsonl:1: not valid JSON: an integer",
    ),
    "1e400": (
        "e.jsonl",
        GOOD[:-2] + b', "props":{"x":1e400}}',
        [],
        "e.jsonl:1: not valid JSON: the number 1e400 is out of range",
    ),
    "billion laughs": ("e.yaml", BILLION_LAUGHS, [], "e.yaml:7: the document expands"),
    "python tag": (
        "e.yaml",
        b"- !!python/object/apply:os.system [touch /tmp/pwned]\n",
        [],
        "e.yaml:1: not valid YAML",
    ),
    "YAML NaN": (
        "e.yaml",
        f"- {{type: run_started, timestamp: '{TS}', props: {{x: .nan}}}}\n".encode(),
        [],
        "e.yaml:1: props.x: nan",
    ),
    "leap second": (
        "e.jsonl",
        GOOD.replace(TS.encode(), b"2016-12-31T23:59:60Z"),
        [],
        "e.jsonl:1: timestamp: ",
    ),
    "Cyrillic type": (
        "e.jsonl",
        GOOD.replace(b"run_started", "run_st\u0430rted".encode()),
        [],
        "e.jsonl:1: type: ",
    ),
    "policy with a list key": (
        "e.jsonl",
        GOOD,
        ["--policy", "p.yaml"],
        "p.yaml:1: (top level): a mapping key",
    ),
    "policy with NaN props": (
        "e.jsonl",
        GOOD,
        ["--policy", "q.yaml"],
        "q.yaml:26: rules[0].derive.props.x: nan",
    ),
    "waivers with a huge integer": ("e.jsonl", GOOD, ["--waivers", "w.yaml"], "w.yaml:1: [0].id: an integer"),
}
AUX = {
    "p.yaml": b"? [a]\n: b\n",
    "q.yaml": POLICY.replace(
        b"derive: {type: data_risk_cluster, domain: data}",
        b"derive: {type: data_risk_cluster, domain: data, props: {x: .nan}}",
        1,
    ),
    "w.yaml": f"- id: {HUGE_DIGITS}\n".encode(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_refuses_with_exit_2_and_one_precise_line(case: str, tmp_path: Path) -> None:
    name, data, extra, expected = CASES[case]
    (tmp_path / name).write_bytes(data)
    for aux, content in AUX.items():
        (tmp_path / aux).write_bytes(content)
    run = subprocess.run(
        [sys.executable, "-m", "gate", "check", name, *extra, "--as-of", "2024-06-01"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "SYNAPSE_GATE_DEBUG": ""},
    )
    assert run.returncode == 2, run.stderr
    assert run.stdout == "", "a refused input must not produce a report"
    first = run.stderr.splitlines()[0]
    assert first.startswith("synapse-gate: error: " + expected), run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert not (tmp_path / "pwned").exists() and not Path("/tmp/pwned").exists()
