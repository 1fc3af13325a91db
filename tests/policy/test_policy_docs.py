"""The authoring guide cannot drift: every schema key has a row in its reference tables and every row is a
schema key; its example expect.yaml passes against the shipped walkthrough."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from gate.policy.scenario_runner import run_tests, shipped_scenarios_dir

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "policies.md"
ROW = re.compile(r"^\| `([a-z_]+)` \|", re.MULTILINE)


def schema_keys(name: str) -> set[str]:
    acc: set[str] = set()

    def walk(o: Any) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "properties" and isinstance(v, dict):
                    acc.update(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads((REPO / "gate" / "schemas" / name).read_text(encoding="utf-8")))
    return acc


def section(title: str) -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(f"\n{title}\n")
    level = title.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(title) + 2)
    return text[start : end if end != -1 else len(text)]


def test_every_policy_schema_key_is_documented_and_nothing_else() -> None:
    documented = set(ROW.findall(section("## Policy format reference")))
    keys = schema_keys("policy.schema.json")
    assert len(keys) > 30
    assert keys - documented == set(), "schema keys missing from docs/policies.md"
    assert documented - keys == set(), "docs/policies.md documents keys the schema does not have"


def test_every_expect_schema_key_is_documented_and_nothing_else() -> None:
    documented = set(ROW.findall(section("### expect.yaml reference")))
    assert documented == schema_keys("expect.schema.json")


def test_the_guides_example_expectation_passes(tmp_path: Path) -> None:
    block = section("### expect.yaml reference").split("```yaml\n", 1)[1].split("```", 1)[0]
    case = tmp_path / "walkthrough"
    shutil.copytree(shipped_scenarios_dir("spec-locked-drift") / "walkthrough", case)
    (case / "expect.yaml").write_text(block, encoding="utf-8")
    run = run_tests("spec-locked-drift", [case])
    assert run.outcomes[0].problems == ()


def test_the_guide_names_every_lint_code() -> None:
    from gate.policy.lint import CODES

    table = section("## Lint warnings")
    for code in CODES:
        assert f"| `{code}` |" in table
