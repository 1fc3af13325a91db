"""Regressions between pairs of real samples (and written fixtures): exact expected event lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from evals_support import BLOOM_1B1, BLOOM_1B7, FIXTURES, PYTHIA_14M, PYTHIA_70M, T0, in_fixtures  # noqa: F401

from gate.errors import UsageError
from gate.sources.evals import CompareOptions, EvalEvents, eval_events, eval_events_from_bytes

pytestmark = pytest.mark.usefixtures("in_fixtures")


def summary(result: EvalEvents) -> list[tuple[Any, ...]]:
    return [
        (
            e["props"]["task"],
            e["props"]["metric"],
            e["props"]["value"],
            e["props"]["baseline"],
            e["props"].get("z"),
            e["id"],
        )
        for e in result.events
    ]


def test_bloom_1b1_against_1b7_known_regressions() -> None:
    r = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0)
    assert summary(r) == [
        (
            "arc_easy",
            "acc",
            0.5147306397306397,
            0.5631313131313131,
            3.3498940279735963,
            "evalreg-87da0bc229ee8aeb",
        ),
        (
            "boolq",
            "acc",
            0.5908256880733945,
            0.617737003058104,
            2.225763429600421,
            "evalreg-fa4e4d3b40d2fb39",
        ),
        (
            "hellaswag",
            "acc",
            0.3463453495319657,
            0.37621987651862177,
            4.40866081251622,
            "evalreg-0e6a8114d589fda5",
        ),
        (
            "hellaswag",
            "acc_norm",
            0.4177454690300737,
            0.46564429396534557,
            6.8423772268389635,
            "evalreg-40bfd10c4b20585f",
        ),
        ("mc_taco", "f1", 0.32425976796237205, 0.47458014393437276, None, "evalreg-bd41519e5db6a074"),
        (
            "swag",
            "acc",
            0.43431970408877335,
            0.4532140357892632,
            3.8041574092089885,
            "evalreg-83b58370b46d3dc7",
        ),
        (
            "swag",
            "acc_norm",
            0.5828251524542637,
            0.6114665600319904,
            5.842782341419278,
            "evalreg-03ececaab8237da1",
        ),
    ]
    # Known non-regressions: piqa acc drops 0.0163 but z = 1.06 < 1.96;
    # arc_challenge acc drops 0.0009 (z 0.05).
    assert not [e for e in r.events if e["props"]["task"] in ("piqa", "arc_challenge", "copa", "winogrande")]
    assert r.notes == []
    assert r.origin == BLOOM_1B1
    assert r.events[0] == {
        "type": "eval_regression_observed",
        "timestamp": "2023-05-06T00:00:00Z",
        "id": "evalreg-87da0bc229ee8aeb",
        "domain": "eval",
        "props": {
            "abs_tol": 0.0,
            "baseline": 0.5631313131313131,
            "baseline_file": BLOOM_1B7,
            "baseline_model": "bigscience/bloom-1b7",
            "baseline_stderr": 0.010177672928157678,
            "delta": -0.048400673400673444,
            "drop": 0.048400673400673444,
            "file": BLOOM_1B1,
            "format": "lm-eval",
            "higher_is_better": True,
            "metric": "acc",
            "model": "bigscience/bloom-1b1",
            "n_shot": 0,
            "rel_drop": 0.08594917787742908,
            "rel_tol": 0.0,
            "stderr": 0.010255329977562096,
            "task": "arc_easy",
            "task_version": "0",
            "timestamp_from": "--timestamp",
            "value": 0.5147306397306397,
            "z": 3.3498940279735963,
            "z_threshold": 1.96,
        },
    }


def test_bloom_1b7_against_1b1_the_other_way() -> None:
    r = eval_events(BLOOM_1B7, BLOOM_1B1, timestamp=T0)
    assert summary(r) == [
        ("mc_taco", "em", 0.12537537537537538, 0.1448948948948949, None, "evalreg-19a168826403cbb4"),
        (
            "prost",
            "acc_norm",
            0.2669726729291204,
            0.3049743808710504,
            8.146652118356243,
            "evalreg-72f9fc72950f15df",
        ),
    ]


def test_bloom_against_itself_is_no_regression() -> None:
    assert eval_events(BLOOM_1B1, BLOOM_1B1, timestamp=T0).events == []


def test_tolerances_filter_drops() -> None:
    # abs 0.03 keeps only drops above 0.03: arc_easy 0.0484, hellaswag acc_norm 0.0479, mc_taco f1 0.150.
    r = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0, options=CompareOptions(abs_tol=0.03))
    assert [(e["props"]["task"], e["props"]["metric"]) for e in r.events] == [
        ("arc_easy", "acc"),
        ("hellaswag", "acc_norm"),
        ("mc_taco", "f1"),
    ]
    # rel 10%: hellaswag acc_norm drops 10.3% of its baseline, mc_taco f1 31.7%; arc_easy only 8.6%.
    r = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0, options=CompareOptions(rel_tol=0.10))
    assert [(e["props"]["task"], e["props"]["metric"]) for e in r.events] == [
        ("hellaswag", "acc_norm"),
        ("mc_taco", "f1"),
    ]
    assert r.events[0]["props"]["rel_tol"] == 0.1
    # a stricter z: only z >= 4 (hellaswag acc 4.41, acc_norm 6.84, swag acc_norm 5.84),
    # and mc_taco (no stderr)
    r = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0, options=CompareOptions(z=4.0))
    assert [(e["props"]["task"], e["props"]["metric"]) for e in r.events] == [
        ("hellaswag", "acc"),
        ("hellaswag", "acc_norm"),
        ("mc_taco", "f1"),
        ("swag", "acc_norm"),
    ]


def test_pythia_pair_no_significant_regression() -> None:
    # Every drop between pythia-14m and pythia-70m is within noise (largest z = 0.94 for steer9).
    assert eval_events(PYTHIA_70M, PYTHIA_14M).events == []
    assert eval_events(PYTHIA_14M, PYTHIA_70M).events == []


def test_pythia_pair_without_z_test() -> None:
    r = eval_events(PYTHIA_70M, PYTHIA_14M, options=CompareOptions(z=None))
    assert summary(r) == [
        ("steer", "acc", 0.5808997021622249, 0.5814025451591691, None, "evalreg-3aa0cb310cec690d"),
        ("steer4", "acc", 0.2183803457688808, 0.22429481346678798, None, "evalreg-9af89107ac5cd898"),
        ("steer5", "acc", 0.20893262679788038, 0.21801665404996215, None, "evalreg-6613a28d50e3d94d"),
    ]
    assert r.events[0]["timestamp"] == "2024-06-03T01:42:18.706295Z"  # the current file's `date`
    assert r.events[0]["props"]["timestamp_from"] == "lm-eval:date"
    assert "z" not in r.events[0]["props"] and "z_threshold" not in r.events[0]["props"]
    r = eval_events(PYTHIA_14M, PYTHIA_70M, options=CompareOptions(z=None))
    assert summary(r) == [
        ("steer2", "acc", 0.5859000684462696, 0.5860141455624002, None, "evalreg-1438744219ead9a6"),
        ("steer3", "acc", 0.8208092485549133, 0.821868978805395, None, "evalreg-fff7045b4e6732ef"),
        ("steer9", "acc", 0.10202020202020202, 0.11515151515151516, None, "evalreg-fa4cc34aaee9fc3b"),
    ]


def test_modern_filters_and_lower_is_better() -> None:
    r = eval_events("lm-eval/modern_current.json", "lm-eval/modern_baseline.json")
    assert r.events == [
        {
            "domain": "eval",
            "id": "evalreg-f8886a0770b8f5a5",
            "props": {
                "abs_tol": 0.0,
                "baseline": 0.7740712661106899,
                "baseline_file": "lm-eval/modern_baseline.json",
                "baseline_model": "meta-llama/Meta-Llama-3-8B-Instruct",
                "baseline_stderr": 0.011515167146127024,
                "delta": -0.0363912054586808,
                "drop": 0.0363912054586808,
                "file": "lm-eval/modern_current.json",
                "format": "lm-eval",
                "higher_is_better": True,
                "metric": "exact_match,strict-match",
                "model": "acme/llama-3-8b-ft",
                "n_shot": 8,
                "rel_drop": 0.04701273261508323,
                "rel_tol": 0.0,
                "samples": 1319,
                "stderr": 0.012116912419925702,
                "task": "gsm8k_cot_llama",
                "task_version": "3",
                "timestamp_from": "lm-eval:date",
                "value": 0.7376800606520091,
                "z": 2.1770517558433182,
                "z_threshold": 1.96,
            },
            "timestamp": "2024-08-26T21:20:00Z",
            "type": "eval_regression_observed",
        },
        {
            "domain": "eval",
            "id": "evalreg-600115e1615cd1d7",
            "props": {
                "abs_tol": 0.0,
                "baseline": 130.4813590639406,
                "baseline_file": "lm-eval/modern_baseline.json",
                "baseline_model": "meta-llama/Meta-Llama-3-8B-Instruct",
                "delta": 10.768640936059398,
                "drop": 10.768640936059398,
                "file": "lm-eval/modern_current.json",
                "format": "lm-eval",
                "higher_is_better": False,
                "metric": "word_perplexity",
                "model": "acme/llama-3-8b-ft",
                "n_shot": 0,
                "rel_drop": 0.08253011014992857,
                "rel_tol": 0.0,
                "samples": 62,
                "task": "wikitext",
                "task_version": "2",
                "timestamp_from": "lm-eval:date",
                "value": 141.25,
                "z_threshold": 1.96,
            },
            "timestamp": "2024-08-26T21:20:00Z",
            "type": "eval_regression_observed",
        },
    ]
    # flexible-extract drops 0.0015 with z = 0.10: not a regression; bits_per_byte is unchanged.
    assert r.notes == []


def test_lower_is_better_improvement_is_not_a_regression() -> None:
    # Reversed, word_perplexity falls (better) and strict-match rises: no event at all.
    assert eval_events("lm-eval/modern_baseline.json", "lm-eval/modern_current.json").events == []


def test_promptfoo_cli_output_regression() -> None:
    r = eval_events("promptfoo/export_current.json", "samples/promptfoo/simple-cli_output.json")
    task = "openai:gpt-4o-mini/Rephrase this in {{language}}: {{body}}"
    assert summary(r) == [
        (task, "pass_rate", 0.75, 1.0, None, "evalreg-476652c0ebf27c97"),
        (task, "score", 0.75, 1.0, None, "evalreg-6a05f6d4b27025ad"),
    ]
    assert r.events[0]["timestamp"] == "2024-10-11T09:12:40.25Z"
    assert r.events[0]["props"]["samples"] == 4
    assert r.notes == [f"task {task!r} metric 'assert_pass_rate': only in the current result, not compared"]


def test_promptfoo_node_eval_regression_and_non_regression() -> None:
    r = eval_events("promptfoo/node-eval_current.json", "promptfoo/node-eval_baseline.json")
    task = "openai:gpt-4.1-mini/summarise"
    assert summary(r) == [
        (task, "assert_pass_rate", 0.7, 0.9, None, "evalreg-4fa4d070cc5c149c"),
        (task, "named/faithfulness", 0.65, 0.9, None, "evalreg-18b377a271d1b22c"),
        (task, "pass_rate", 0.7, 0.9, None, "evalreg-326e353a7ce927ac"),
        (task, "score", 0.8, 0.95, None, "evalreg-6049dbbb6a287322"),
    ]
    assert r.events[0]["timestamp"] == "2025-10-02T06:26:40.123Z"  # createdAt 1759386400123 ms
    assert r.notes == []  # tldr: only its latency changed, which is not an eval metric


def test_openai_evals_pair() -> None:
    r = eval_events("openai-evals/self_prompting_current.jsonl", "samples/openai-evals/oriprompt.log")
    assert summary(r) == [
        ("self_prompting", "accuracy", 0.188, 0.20733333333333334, None, "evalreg-488d927bd0f3ae44"),
        ("self_prompting", "accuracy_gpt-3.5-turbo", 0.232, 0.258, None, "evalreg-2cf532ac0fc8119c"),
        ("self_prompting", "accuracy_gpt-4", 0.332, 0.364, None, "evalreg-2f61761f064c6695"),
    ]
    assert r.events[0]["timestamp"] == "2023-11-02T09:12:04.517002Z"
    assert r.events[0]["props"]["task_version"] == "self_prompting.full"
    # prompt_rule_violation_rate is lower-is-better and unchanged (1.0): no event.


def test_inspect_popularity_regression_with_zero_stderr() -> None:
    r = eval_events("samples/inspect_ai/log_formats.json", "samples/inspect_ai/log_read_sample.json")
    assert summary(r) == [("popularity", "match/accuracy", 0.0, 1.0, None, "evalreg-19027c6004cfdec5")]
    props = r.events[0]["props"]
    # both stderrs are 0.0 (one sample each): no z-test is possible, the drop alone decides
    assert (props["stderr"], props["baseline_stderr"], "z" in props) == (0.0, 0.0, False)
    assert r.events[0]["timestamp"] == "2024-10-15T12:53:13-04:00"
    assert props["timestamp_from"] == "inspect:stats.completed_at"
    assert (
        eval_events("samples/inspect_ai/log_read_sample.json", "samples/inspect_ai/log_formats.json").events
        == []
    )


def test_inspect_mmlu_pair_identical_values() -> None:
    r = eval_events(
        "samples/inspect_ai/mmlu-summary-choices.eval", "samples/inspect_ai/mmlu-no-summary-choices.eval"
    )
    assert (r.events, r.notes) == ([], [])


# -------------------------------------------------------------------------------------------------
# not comparable, one-sided


def _modified(path: str, old: str, new: str) -> tuple[str, bytes]:
    data = Path(path).read_text(encoding="utf-8")
    assert old in data
    return (f"{path} (edited)", data.replace(old, new, 1).encode("utf-8"))


def test_different_sample_count_is_not_comparable() -> None:
    base = _modified(
        PYTHIA_14M, '"original": 990,\n      "effective": 990', '"original": 990,\n      "effective": 500'
    )
    r = eval_events_from_bytes(
        (PYTHIA_70M, Path(PYTHIA_70M).read_bytes()), base, options=CompareOptions(z=None)
    )
    assert [e["props"]["task"] for e in r.events] == ["steer", "steer4", "steer5"]
    assert r.notes == [
        "task 'steer9': not comparable, not compared: sample count 990 (current) vs 500 (baseline)"
    ]


def test_different_version_and_n_shot_are_not_comparable() -> None:
    base = _modified(BLOOM_1B7, '"boolq": 1,', '"boolq": 2,')
    r = eval_events_from_bytes((BLOOM_1B1, Path(BLOOM_1B1).read_bytes()), base, timestamp=T0)
    assert "boolq" not in [e["props"]["task"] for e in r.events]
    assert r.notes == [
        "task 'boolq': not comparable, not compared: task version '1' (current) vs '2' (baseline)"
    ]
    base = _modified(BLOOM_1B7, '"num_fewshot": 0,', '"num_fewshot": 5,')
    r = eval_events_from_bytes((BLOOM_1B1, Path(BLOOM_1B1).read_bytes()), base, timestamp=T0)
    assert r.events == []
    assert len(r.notes) == 12
    assert (
        r.notes[0] == "task 'arc_challenge': not comparable, not compared: n-shot 0 (current) vs 5 (baseline)"
    )


def test_inspect_sample_count_unknown_vs_known_is_not_comparable() -> None:
    r = eval_events("samples/inspect_ai/log_formats.json", "samples/promptfoo/simple-cli_output.json")
    assert r.events == []
    assert r.notes == [
        "samples/inspect_ai/log_formats.json is inspect but the baseline "
        "samples/promptfoo/simple-cli_output.json is promptfoo",
        "task 'openai:gpt-4o-mini/Rephrase this in {{language}}: {{body}}': only in the baseline "
        "(samples/promptfoo/simple-cli_output.json), not in samples/inspect_ai/log_formats.json",
        "task 'openai:gpt-4o-mini/Translate this to conversational {{language}}: {{body}}': "
        "only in the baseline "
        "(samples/promptfoo/simple-cli_output.json), not in samples/inspect_ai/log_formats.json",
        "task 'popularity': only in samples/inspect_ai/log_formats.json, not in the baseline "
        "(samples/promptfoo/simple-cli_output.json)",
    ]


def test_metric_only_on_one_side_is_reported() -> None:
    base = _modified(BLOOM_1B7, '"em": 0.12537537537537538,', '"em_typo": 0.12537537537537538,')
    r = eval_events_from_bytes((BLOOM_1B1, Path(BLOOM_1B1).read_bytes()), base, timestamp=T0)
    assert r.notes == [
        "task 'mc_taco' metric 'em_typo': only in the baseline, not compared",
        "task 'mc_taco' metric 'em': only in the current result, not compared",
    ]


# -------------------------------------------------------------------------------------------------
# timestamps, lineage, run


def test_no_timestamp_requires_the_flag() -> None:
    with pytest.raises(UsageError) as e:
        eval_events(BLOOM_1B1, BLOOM_1B7)
    assert str(e.value) == (
        f"{BLOOM_1B1}: this lm-eval file carries no timestamp; pass --timestamp with the time the eval ran "
        "(RFC 3339 with an offset, e.g. 2024-06-03T01:41:54Z)"
    )
    assert e.value.exit_code == 2


@pytest.mark.parametrize("bad", ["2023-05-06 00:00:00", "2023-05-06", "now", "2023-05-06T00:00:00"])
def test_timestamp_without_offset_is_refused(bad: str) -> None:
    with pytest.raises(UsageError, match=r"^--timestamp: .* is not an RFC 3339 date-time with an offset"):
        eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=bad)


def test_timestamp_flag_overrides_file_time_and_changes_ids() -> None:
    plain = eval_events(PYTHIA_70M, PYTHIA_14M, options=CompareOptions(z=None))
    forced = eval_events(
        PYTHIA_70M, PYTHIA_14M, options=CompareOptions(z=None), timestamp="2024-06-03T03:42:18+02:00"
    )
    assert [e["timestamp"] for e in forced.events] == ["2024-06-03T03:42:18+02:00"] * 3
    assert forced.events[0]["props"]["timestamp_from"] == "--timestamp"
    assert {e["id"] for e in forced.events}.isdisjoint({e["id"] for e in plain.events})


def test_lineage_and_run() -> None:
    r = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0, lineage="bloom-ft", run="run-42")
    assert all(e["lineage"] == "bloom-ft" and e["props"]["run"] == "run-42" for e in r.events)
    assert r.events[0]["id"] == "evalreg-f37e6c153bf36a97"  # lineage and run are part of the identity
    plain = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0)
    assert plain.events[0]["id"] == "evalreg-87da0bc229ee8aeb"
    assert all("lineage" not in e and "run" not in e["props"] for e in plain.events)
    assert list(r.events[0]) == ["type", "timestamp", "id", "domain", "props", "lineage"]


def test_ids_do_not_depend_on_file_names() -> None:
    one = eval_events_from_bytes(
        ("a.json", Path(BLOOM_1B1).read_bytes()), ("b.json", Path(BLOOM_1B7).read_bytes()), timestamp=T0
    )
    two = eval_events(BLOOM_1B1, BLOOM_1B7, timestamp=T0)
    assert [e["id"] for e in one.events] == [e["id"] for e in two.events]
    assert one.origin == "a.json" and one.events[0]["props"]["file"] == "a.json"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"abs_tol": -0.1}, "--abs-tol: must be a finite number >= 0, got -0.1"),
        ({"rel_tol": float("nan")}, "--rel-tol: must be a finite number >= 0, got nan"),
        ({"z": -1.0}, "--z: must be a finite number >= 0, got -1.0"),
    ],
)
def test_bad_options(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(UsageError) as e:
        CompareOptions(**kwargs)
    assert str(e.value) == message
