"""The spec contract: its schema, its violations, and the exact messages of common mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from evals_support import FIXTURES

from gate.errors import PolicyError
from gate.sources import spec_contract
from gate.sources.evals import eval_events_from_bytes

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "spec-contract.yaml"
SCHEMA = REPO / "gate" / "schemas" / "spec.schema.json"
BLOOM_1B1 = "samples/lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json"
BLOOM_1B7 = "samples/lm-evaluation-harness/bloom-1b7_common_sense_reasoning_0-shot.json"
T0 = "2023-05-06T00:00:00Z"


def doc(rel: str) -> tuple[str, bytes]:
    return (rel, (FIXTURES / rel).read_bytes())


def example() -> tuple[str, bytes]:
    return ("examples/spec-contract.yaml", EXAMPLE.read_bytes())


def test_schema_is_valid_2020_12_and_the_packaged_copy() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert spec_contract.schema() == schema


def test_example_validates_and_loads() -> None:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(spec_contract.schema()).validate(data)
    contract = spec_contract.load(*example())
    assert [c.id for c in contract.constraints] == [
        "boolq-floor",
        "copa-sane",
        "hellaswag-no-regression",
        "arc-easy-drop",
        "piqa-drop",
    ]
    assert contract.required_tasks == (
        "arc_challenge",
        "arc_easy",
        "boolq",
        "hellaswag",
        "piqa",
        "winogrande",
    )
    hella = contract.constraints[2]
    assert (hella.max_drop, hella.max_drop_relative, hella.max_drop_text, hella.line) == (5.0, True, "5%", 37)


def test_example_against_bloom_pair_exact_events() -> None:
    r = eval_events_from_bytes(doc(BLOOM_1B1), doc(BLOOM_1B7), spec=example(), timestamp=T0)
    violations = [e for e in r.events if e["type"] == "spec_constraint_violation"]
    assert violations == [
        {
            "domain": "spec",
            "id": "specviol-b1e767cee02e8e8d",
            "props": {
                "allowed_drop": 0.03,
                "baseline": 0.5631313131313131,
                "baseline_file": BLOOM_1B7,
                "bound": "max_drop",
                "constraint": "arc-easy-drop",
                "delta": -0.048400673400673444,
                "drop": 0.048400673400673444,
                "file": BLOOM_1B1,
                "format": "lm-eval",
                "higher_is_better": True,
                "kind": "drop_exceeded",
                "metric": "acc",
                "spec": "examples/spec-contract.yaml",
                "task": "arc_easy",
                "threshold": 0.03,
                "timestamp_from": "--timestamp",
                "value": 0.5147306397306397,
            },
            "timestamp": T0,
            "type": "spec_constraint_violation",
        },
        {
            "domain": "spec",
            "id": "specviol-78e432ae7c2aaf9f",
            "props": {
                "bound": "min",
                "constraint": "boolq-floor",
                "description": "BoolQ accuracy must stay at or above 60%.",
                "file": BLOOM_1B1,
                "format": "lm-eval",
                "higher_is_better": True,
                "kind": "below_min",
                "metric": "acc",
                "spec": "examples/spec-contract.yaml",
                "task": "boolq",
                "threshold": 0.6,
                "timestamp_from": "--timestamp",
                "value": 0.5908256880733945,
            },
            "timestamp": T0,
            "type": "spec_constraint_violation",
        },
        {
            "domain": "spec",
            "id": "specviol-8a6c3e14dea28ff7",
            "props": {
                "allowed_drop": 0.02328221469826728,
                "baseline": 0.46564429396534557,
                "baseline_file": BLOOM_1B7,
                "bound": "max_drop",
                "constraint": "hellaswag-no-regression",
                "delta": -0.047898824935271866,
                "drop": 0.047898824935271866,
                "file": BLOOM_1B1,
                "format": "lm-eval",
                "higher_is_better": True,
                "kind": "drop_exceeded",
                "metric": "acc_norm",
                "spec": "examples/spec-contract.yaml",
                "task": "hellaswag",
                "threshold": "5%",
                "timestamp_from": "--timestamp",
                "value": 0.4177454690300737,
            },
            "timestamp": T0,
            "type": "spec_constraint_violation",
        },
    ]
    # regressions and violations are interleaved in (task, metric, type, id) order
    assert [(e["props"]["task"], e["type"][:4]) for e in r.events][:3] == [
        ("arc_easy", "eval"),
        ("arc_easy", "spec"),
        ("boolq", "eval"),
    ]
    assert r.notes == []


def test_example_holds_for_the_better_model() -> None:
    r = eval_events_from_bytes(doc(BLOOM_1B7), doc(BLOOM_1B7), spec=example(), timestamp=T0)
    assert (r.events, r.notes) == ([], [])


def test_max_drop_without_baseline_is_a_note() -> None:
    r = eval_events_from_bytes(doc(BLOOM_1B1), None, spec=example(), timestamp=T0)
    assert [(e["props"]["constraint"], e["id"]) for e in r.events] == [
        ("boolq-floor", "specviol-a2d44cbed543b474")
    ]
    assert r.notes == [
        "constraint 'hellaswag-no-regression' (task 'hellaswag' metric 'acc_norm'): "
        "max_drop not checked: no baseline given",
        "constraint 'arc-easy-drop' (task 'arc_easy' metric 'acc'): max_drop not checked: no baseline given",
        "constraint 'piqa-drop' (task 'piqa' metric 'acc'): max_drop not checked: no baseline given",
    ]


SPEC_MODERN = b"""version: 1
required_tasks: [boolq, mmlu]
constraints:
  - id: ppl-ceiling
    task: wikitext
    metric: word_perplexity
    max: 140
  - id: gsm-strict
    task: gsm8k_cot_llama
    metric: exact_match,strict-match
    min: 0.75
    max_drop: "4%"
  - id: gsm-flex
    task: gsm8k_cot_llama
    metric: exact_match,flexible-extract
    max_drop: 0.001
  - id: ppl-drop
    task: wikitext
    metric: word_perplexity
    max_drop: "5%"
  - id: missing-metric
    task: wikitext
    metric: acc
    min: 0.1
  - id: bpb-ok
    task: wikitext
    metric: bits_per_byte
    max: 1.4
    max_drop: 0
"""


def test_every_kind_of_violation() -> None:
    r = eval_events_from_bytes(
        doc("lm-eval/modern_current.json"),
        doc("lm-eval/modern_baseline.json"),
        spec=("spec.yaml", SPEC_MODERN),
    )
    got = [
        (
            e["props"]["constraint"],
            e["props"]["kind"],
            e["props"].get("bound"),
            e["props"].get("threshold"),
            e["props"].get("value"),
            e["props"].get("baseline"),
        )
        for e in r.events
        if e["type"] == "spec_constraint_violation"
    ]
    assert got == [
        ("required_tasks:boolq", "missing_task", "required_tasks", None, None, None),
        ("gsm-flex", "drop_exceeded", "max_drop", 0.001, 0.8127369219105383, 0.8142532221379833),
        ("gsm-strict", "drop_exceeded", "max_drop", "4%", 0.7376800606520091, 0.7740712661106899),
        ("gsm-strict", "below_min", "min", 0.75, 0.7376800606520091, None),
        ("required_tasks:mmlu", "missing_task", "required_tasks", None, None, None),
        ("missing-metric", "missing_metric", None, None, None, None),
        ("ppl-drop", "drop_exceeded", "max_drop", "5%", 141.25, 130.4813590639406),
        ("ppl-ceiling", "above_max", "max", 140, 141.25, None),
    ]
    ppl = next(e for e in r.events if e["props"].get("constraint") == "ppl-drop")
    # lower is better: a rise of 10.77 against an allowance of 5% of 130.48
    assert (ppl["props"]["drop"], ppl["props"]["allowed_drop"]) == (10.768640936059398, 6.524067953197029)
    assert ppl["id"] == "specviol-41b3715f4497d8ca"
    assert r.notes == []


def test_constraint_on_a_missing_task() -> None:
    spec = b"version: 1\nconstraints:\n  - id: mmlu-floor\n    task: mmlu\n    metric: acc\n    min: 0.3\n"
    r = eval_events_from_bytes(doc(BLOOM_1B1), None, spec=("s.yaml", spec), timestamp=T0)
    assert [(e["props"]["constraint"], e["props"]["kind"], e["props"]["task"]) for e in r.events] == [
        ("mmlu-floor", "missing_task", "mmlu")
    ]


def test_max_drop_not_comparable_is_a_note() -> None:
    base = (FIXTURES / BLOOM_1B7).read_text(encoding="utf-8").replace('"boolq": 1,', '"boolq": 2,')
    spec = (
        b"version: 1\nconstraints:\n  - id: boolq-drop\n    task: boolq\n    metric: acc\n    max_drop: 0\n"
    )
    r = eval_events_from_bytes(doc(BLOOM_1B1), ("b.json", base.encode()), spec=("s.yaml", spec), timestamp=T0)
    assert [e for e in r.events if e["type"] == "spec_constraint_violation"] == []
    assert r.notes[-1] == (
        "constraint 'boolq-drop' (task 'boolq' metric 'acc'): max_drop not checked: not comparable: "
        "task version '1' (current) vs '2' (baseline)"
    )


def test_spec_ids_change_with_the_spec_content() -> None:
    a = b"version: 1\nconstraints:\n  - id: f\n    task: boolq\n    metric: acc\n    min: 0.6\n"
    b = b"version: 1\nconstraints:\n  - id: f\n    task: boolq\n    metric: acc\n    min: 0.61\n"
    ra = eval_events_from_bytes(doc(BLOOM_1B1), None, spec=("s.yaml", a), timestamp=T0)
    rb = eval_events_from_bytes(doc(BLOOM_1B1), None, spec=("s.yaml", b), timestamp=T0)
    assert ra.events[0]["id"] != rb.events[0]["id"]


# -------------------------------------------------------------------------------------------------
# errors: file:line, key path, and a message a person can act on

HEAD = "version: 1\nconstraints:\n  - id: a\n    task: t\n    metric: m\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            HEAD + "    mni: 0.5\n",
            "spec.yaml:6: constraints[0].mni: unknown key 'mni' (did you mean 'min'?); "
            "allowed keys: id, description, task, metric, min, max, max_drop",
        ),
        (
            HEAD + "    min: '0.5'\n",
            "spec.yaml:6: constraints[0].min: expected a number, got a string ('0.5')",
        ),
        (HEAD + "    max: yes\n", "spec.yaml:6: constraints[0].max: expected a number, got a boolean (True)"),
        (
            HEAD + "    min: 1\n  - task: t\n    metric: m\n    min: 0.5\n",
            "spec.yaml:7: constraints[1]: missing required key 'id'",
        ),
        (HEAD, "spec.yaml:3: constraints[0]: a constraint needs at least one bound: min, max or max_drop"),
        (
            HEAD + "    max_drop: 2 %\n",
            "spec.yaml:6: constraints[0].max_drop: expected a number >= 0 (absolute) "
            'or a percentage such as "2%" '
            "(relative), got a string ('2 %')",
        ),
        (
            HEAD + "    max_drop: -0.1\n",
            "spec.yaml:6: constraints[0].max_drop: expected a number >= 0 (absolute) "
            'or a percentage such as "2%" '
            "(relative), got a number (-0.1)",
        ),
        (HEAD + "    min: 1\n    max: 0.5\n", "spec.yaml:3: constraints[0]: min 1 is greater than max 0.5"),
        (
            HEAD + "    min: 1\n  - id: a\n    task: t\n    metric: m\n    min: 1\n",
            "spec.yaml:7: constraints[1].id: duplicate constraint id 'a' (first on line 3)",
        ),
        (
            "version: 1\nconstraints:\n  - id: 'a b'\n    task: t\n    metric: m\n    min: 1\n",
            "spec.yaml:3: constraints[0].id: 'a b' is not a valid constraint id: use letters, digits and "
            "_ . : / -, starting with a letter or digit",
        ),
        (HEAD + "    max: .nan\n", "spec.yaml:6: constraints[0].max: must be a finite number"),
        ("version: 2\nconstraints: []\n", "spec.yaml:1: version: expected 1, got 2"),
        ("constraints: []\n", "spec.yaml:1: (top level): missing required key 'version'"),
        (
            "version: 1\n",
            "spec.yaml:1: (top level): the spec contract needs `constraints` or `required_tasks`",
        ),
        (
            "version: 1\nconstraint:\n  - id: a\n",
            "spec.yaml:2: constraint: unknown key 'constraint' (did you mean 'constraints'?); "
            "allowed keys: version, name, description, required_tasks, constraints",
        ),
        (
            "version: 1\nconstraints:\n  id: a\n",
            "spec.yaml:2: constraints: expected a list, got a mapping ({'id': 'a'})",
        ),
        ("version: 1\nrequired_tasks: [a, a]\n", "spec.yaml:2: required_tasks: lists a task twice"),
        ("- a\n", "spec.yaml:1: (top level): expected a mapping, got a list (['a'])"),
        ("", "spec.yaml: the spec contract is empty"),
        (
            "version: 1\nconstraints:\n  - id: a\n   task: t\n",
            "spec.yaml:4: not valid YAML: expected <block end>, but found '<block mapping start>'",
        ),
        (
            "version: 1\nconstraints:\n  - id: a\n    task: t\n    task: u\n    metric: m\n    min: 1\n",
            "spec.yaml:5: duplicate key 'task' (first at line 4)",
        ),
    ],
)
def test_error_messages(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as e:
        spec_contract.load("spec.yaml", text.encode("utf-8"))
    assert str(e.value) == message
    assert e.value.exit_code == 2


def test_spec_error_surfaces_through_eval_events() -> None:
    with pytest.raises(PolicyError, match=r"^s\.yaml:6: constraints\[0\]\.mni: unknown key 'mni'"):
        eval_events_from_bytes(
            doc(BLOOM_1B1), None, spec=("s.yaml", (HEAD + "    mni: 1\n").encode()), timestamp=T0
        )
