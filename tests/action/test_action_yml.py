"""The integration surface: action.yml <-> gate/action.py, the Dockerfile's rules, the workflows' hygiene."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from action_support import FakeGitHub, run_action

from gate import action
from gate.errors import UsageError
from gate.run import CheckRequest

ROOT = Path(__file__).resolve().parents[2]


def _action_yml() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return data


def _workflows() -> list[Path]:
    return sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_every_input_is_mapped_and_documented() -> None:
    inputs = _action_yml()["inputs"]
    assert set(inputs) == set(action.INPUTS)
    for name, spec in inputs.items():
        assert spec.get("description", "").strip(), f"input {name} has no description"
    for target in action.INPUTS.values():
        owner, _, attr = target.partition(".")
        cls = {"CheckRequest": CheckRequest, "ActionOptions": action.ActionOptions}[owner]
        assert attr in {f.name for f in dataclasses.fields(cls)}, target


def _parsed(env: dict[str, str]) -> dict[str, Any]:
    request, options = action.parse_inputs(env)
    values = {f"CheckRequest.{f.name}": getattr(request, f.name) for f in dataclasses.fields(request)}
    values.update({f"ActionOptions.{f.name}": getattr(options, f.name) for f in dataclasses.fields(options)})
    values["CheckRequest.env"] = None  # the whole environment: compared separately
    return values


# A value for each input that differs from its default; each must change exactly its mapped field.
CHANGED = {
    "events": "a.jsonl\nb/*.jsonl",
    "policy": "policies/custom.yaml",
    "waivers": "waivers.yaml",
    "lineage": "ft-a, ft-b",
    "fail-on": "release_risk_high",
    "warn-only": "true",
    "strict": "true",
    "as-of": "2024-06-01",
    "since": "30d",
    "until": "2024-05-31",
    "jobs": "2",
    "offline": "true",
    "comment": "false",
    "check-run": "true",
    "github-token": "tok-1234567890",
    "report-path": "out/report.json",
    "allow-http": "true",
    "max-document-bytes": "1000",
    "max-download-bytes": "2000",
    "max-archive-members": "5",
    "max-archive-bytes": "3000",
    "max-compression-ratio": "50",
    "max-events": "100",
    "max-depth": "32",
    "max-rules": "10",
    "eval": "evals/candidate.json",
    "eval-baseline": "evals/baseline.json",
    "spec": "spec.yaml",
    "eval-format": "lm-eval",
    "abs-tol": "0.01",
    "rel-tol": "0.02",
    "z": "2.58",
    "eval-lineage": "ft-a",
    "eval-run": "run-7",
    "eval-timestamp": "2026-01-01T00:00:00Z",
}


def test_each_input_reaches_its_field() -> None:
    # One eval file in the base, so that each eval-* input has an eval to apply to.
    base_env = {"INPUT_EVENTS": "events.jsonl", "INPUT_EVAL": "evals/current.json"}
    base = _parsed(base_env)
    assert set(CHANGED) == set(action.INPUTS)
    for name, value in CHANGED.items():
        changed = _parsed({**base_env, f"INPUT_{name.upper()}": value})
        differing = {k for k in base if base[k] != changed[k]}
        assert differing == {action.INPUTS[name]}, (name, differing)


def test_input_values_are_parsed() -> None:
    request, options = action.parse_inputs(
        {f"INPUT_{k.upper()}": v for k, v in CHANGED.items()}
        | {"INPUT_EVENTS": "a.jsonl\n\n# comment\n  b.jsonl  "}
    )
    assert request.events == ("a.jsonl", "b.jsonl")
    assert request.lineages == ("ft-a", "ft-b")
    assert request.fail_on == ("release_risk_high",)
    assert request.warn_only and request.strict and request.offline
    assert options.check_run and not options.comment
    assert request.env["GITHUB_TOKEN"] == "tok-1234567890"  # for sources that read CI artifacts


def test_hyphenated_inputs_keep_their_hyphen() -> None:
    # the runner passes INPUT_FAIL-ON, not INPUT_FAIL_ON
    request, _ = action.parse_inputs({"INPUT_EVENTS": "e.jsonl", "INPUT_FAIL_ON": "release_risk_high"})
    assert request.fail_on == ()


@pytest.mark.parametrize("value", ["65", "two", "-1"])
def test_bad_jobs_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match="input 'jobs'"):
        action.parse_inputs({"INPUT_EVENTS": "e.jsonl", "INPUT_JOBS": value})


# `check` options that have no action input, and why.
CLI_ONLY = {
    "format": "the action writes every format itself (annotations, summary, JSON report)",
    "output": "report-path",
    "help": "click's own",
}


def test_every_check_option_has_an_input() -> None:
    from gate.cli.check import check_cmd

    names = set()
    for param in check_cmd.params:
        if param.name == "events":
            continue
        long_opts = [o for o in param.opts if o.startswith("--")]
        names.add(long_opts[0][2:] if long_opts else str(param.name))
    missing = {n for n in names - set(action.INPUTS) if n not in CLI_ONLY}
    assert not missing, f"`synapse-gate check` options without an action input: {sorted(missing)}"


@pytest.mark.parametrize("value", ["yes", "1", "on", "tru"])
def test_bad_booleans_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageError, match="input 'strict'"):
        action.parse_inputs({"INPUT_EVENTS": "e.jsonl", "INPUT_STRICT": value})


def test_events_are_required() -> None:
    with pytest.raises(UsageError, match="input 'events' is required"):
        action.parse_inputs({"INPUT_EVENTS": "\n# only a comment\n"})


def test_every_output_is_written(workspace: Path, github: FakeGitHub) -> None:
    run = run_action(workspace, github.url, {"events": "events/history.jsonl", "comment": "false"})
    assert set(run.outputs) == set(_action_yml()["outputs"]) == set(action.OUTPUTS)
    for name, spec in _action_yml()["outputs"].items():
        assert spec.get("description", "").strip(), f"output {name} has no description"


def test_multiline_output_values_survive_the_delimiter_form(tmp_path: Path) -> None:
    out = tmp_path / "output"
    action.write_outputs(str(out), {"a": "line 1\nline 2", "b": ""})
    action.write_outputs(str(out), {"c": "x"})
    from action_support import parse_outputs

    assert parse_outputs(out.read_text(encoding="utf-8")) == {"a": "line 1\nline 2", "b": "", "c": "x"}
    delimiters = re.findall(r"<<(\S+)", out.read_text(encoding="utf-8"))
    assert len(set(delimiters)) == 3  # random, one per value


def test_runs_as_a_docker_action() -> None:
    runs = _action_yml()["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile"}


def test_dockerfile_follows_the_runner_rules() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    instructions = [line.split()[0].upper() for line in lines if line.split()[0].isupper()]
    assert "USER" not in instructions and "WORKDIR" not in instructions
    (base,) = [line for line in lines if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM python:3\.\d+\.\d+-slim(-\w+)?", base), base  # pinned by tag
    (entry,) = [line for line in lines if line.startswith("ENTRYPOINT")]
    assert entry.startswith("ENTRYPOINT [") and '"gate.action"' in entry  # exec form
    pins = re.findall(
        r"^\s+([A-Za-z][\w.-]*)==[\w.]+", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M
    )
    assert {"PyYAML", "jsonschema", "requests", "click"} <= set(pins)


def _run_scripts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "run" and isinstance(v, str):
                found.append(v)
            else:
                found.extend(_run_scripts(v))
    elif isinstance(node, list):
        for item in node:
            found.extend(_run_scripts(item))
    return found


def test_no_expression_is_interpolated_into_a_script() -> None:
    assert _workflows(), "no workflow found"
    for path in _workflows():
        for script in _run_scripts(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert "${{" not in script, f"{path.name}: ${{{{ }}}} in a run: script (use env:)"


def test_actions_are_pinned_by_sha_and_permissions_explicit() -> None:
    for path in _workflows():
        text = path.read_text(encoding="utf-8")
        for ref in re.findall(r"uses:\s*(\S+)", text):
            if ref.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), (
                f"{path.name}: {ref} is not pinned by SHA"
            )
        workflow = yaml.safe_load(text)
        assert "permissions" in workflow, f"{path.name}: no top-level permissions"
        assert "write" not in str(workflow["permissions"]), f"{path.name}: write permission at the top level"


def test_self_test_uses_the_local_action_on_the_examples() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "self-test.yml").read_text(encoding="utf-8"))
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    local = [s for s in steps if s.get("uses") == "./"]
    assert {s["with"]["events"] for s in local} == {"examples/drifting/", "examples/clean/"}


def test_every_input_and_output_is_in_the_docs() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "action.md").read_text(encoding="utf-8")
    for name in [*action.INPUTS, *action.OUTPUTS]:
        assert f"| `{name}` |" in doc, name
