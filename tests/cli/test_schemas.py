"""Every JSON Schema passes its metaschema, and the shipped examples validate against theirs."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from helpers import CASES, EXAMPLES, ROOT, run_check

SCHEMAS = sorted((ROOT / "gate" / "schemas").glob("*.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid(path):
    jsonschema.Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_top_level_schemas_folder_is_the_package_one():
    assert (ROOT / "schemas").resolve() == (ROOT / "gate" / "schemas").resolve()


def schema(name: str):
    return jsonschema.Draft202012Validator(json.loads((ROOT / "gate" / "schemas" / name).read_text()))


def test_builtin_and_example_policies_validate():
    for path in (ROOT / "gate" / "policy" / "builtin").glob("*.yaml"):
        schema("policy.schema.json").validate(yaml.safe_load(path.read_text()))


def test_example_events_validate():
    for path in EXAMPLES.rglob("events.jsonl"):
        for line in path.read_text().splitlines():
            schema("event.schema.json").validate(json.loads(line))


def test_example_waivers_and_spec_validate():
    schema("waivers.schema.json").validate(yaml.safe_load((EXAMPLES / "waivers.yaml").read_text()))
    schema("spec.schema.json").validate(yaml.safe_load((EXAMPLES / "spec-contract.yaml").read_text()))


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_reports_validate(case):
    for policy in ("spec-locked-drift", "spec-locked-drift-literal"):
        schema("report.schema.json").validate(run_check(CASES / case / "events.jsonl", policy=policy).report)


def test_report_with_waivers_and_warnings_validates():
    report = run_check(
        EXAMPLES / "multi-lineage", waivers=str(EXAMPLES / "waivers.yaml"), as_of="2026-01-15"
    ).report
    schema("report.schema.json").validate(report)
