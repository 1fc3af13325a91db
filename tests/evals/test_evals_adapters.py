"""Each real sample (and each written fixture) parsed into an EvalResult, with exact expected values."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from evals_support import FIXTURES, SAMPLES

from gate.sources.evals import FORMATS, EvalResult, detect_format, parse_eval
from gate.sources.evals.model import MetricValue, orientation, parse_rfc3339, render_rfc3339


def load(path: Path, fmt: str = "auto") -> EvalResult:
    return parse_eval(path.relative_to(FIXTURES).as_posix(), path.read_bytes(), fmt)


def metrics(result: EvalResult, task: str) -> dict[str, tuple[float, float | None, bool]]:
    t = result.task(task)
    assert t is not None, f"no task {task}"
    return {m.name: (m.value, m.stderr, m.higher_is_better) for m in t.metrics}


def test_samples_are_the_bytes_listed_in_provenance() -> None:
    provenance = (SAMPLES / "PROVENANCE.md").read_text(encoding="utf-8")
    files = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "PROVENANCE.md")
    assert len(files) == 11
    for path in files:
        data = path.read_bytes()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        row = re.search(rf"^\| {re.escape(path.name)} \|.*\| ([0-9a-f]{{40}}) \|$", provenance, re.M)
        assert row is not None, path.name
        assert row.group(1) == blob, path.name


# -------------------------------------------------------------------------------------------------
# lm-evaluation-harness


def test_lm_eval_bloom_old_writer() -> None:
    r = load(SAMPLES / "lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json")
    assert r.format == "lm-eval"
    assert r.file == "samples/lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json"
    assert r.timestamp is None and r.timestamp_field is None  # no time anywhere in the file
    assert r.model == "bigscience/bloom-1b1"
    assert [t.name for t in r.tasks] == [
        "arc_challenge", "arc_easy", "boolq", "copa", "hellaswag", "mc_taco",
        "openbookqa", "piqa", "prost", "swag", "winogrande", "wsc273",
    ]  # fmt: skip
    assert metrics(r, "boolq") == {"acc": (0.5908256880733945, 0.008599563442397352, True)}
    assert metrics(r, "arc_easy") == {
        "acc": (0.5147306397306397, 0.010255329977562096, True),
        "acc_norm": (0.45454545454545453, 0.010217299762709435, True),
    }
    assert metrics(r, "mc_taco") == {
        "em": (0.1448948948948949, None, True),
        "f1": (0.32425976796237205, None, True),
    }
    boolq = r.task("boolq")
    assert boolq is not None
    assert (boolq.version, boolq.n_shot, boolq.samples) == ("1", 0, None)
    hellaswag = r.task("hellaswag")
    assert hellaswag is not None and hellaswag.version == "0"
    assert r.notes == ()


def test_lm_eval_bloom_1b7() -> None:
    r = load(SAMPLES / "lm-evaluation-harness/bloom-1b7_common_sense_reasoning_0-shot.json")
    assert r.model == "bigscience/bloom-1b7"
    assert len(r.tasks) == 12
    assert metrics(r, "winogrande") == {"acc": (0.5714285714285714, 0.013908353814606709, True)}
    assert metrics(r, "piqa")["acc_norm"] == (0.7007616974972797, 0.010684130673134581, True)


def test_lm_eval_modern_writer_with_group() -> None:
    r = load(SAMPLES / "lm-evaluation-harness/results_2024-06-03T01-43-18.023720.json")
    assert r.format == "lm-eval"
    # `date` 1717378914.3920817 (Unix epoch); the file name's 01-43-18 is the writer's local time.
    assert r.timestamp == "2024-06-03T01:41:54.392082Z"
    assert r.timestamp_field == "date"
    assert r.model == "/data/public_models/huggingface/EleutherAI/pythia-14m"
    assert [t.name for t in r.tasks] == ["steer", "steer2", "steer3", "steer4", "steer5", "steer9"]
    assert metrics(r, "steer9") == {"acc": (0.10202020202020202, 0.009624501111121394, True)}
    assert metrics(r, "steer") == {"acc": (0.5814025451591691, 0.002661691953515658, True)}
    steer9, group = r.task("steer9"), r.task("steer")
    assert steer9 is not None and group is not None
    assert (steer9.version, steer9.n_shot, steer9.samples) == ("0", 0, 990)
    assert (group.version, group.n_shot, group.samples) == (
        None,
        0,
        None,
    )  # a group: no version, no n-samples
    assert r.notes == ()


def test_lm_eval_modern_second_file() -> None:
    r = load(SAMPLES / "lm-evaluation-harness/results_2024-06-03T01-43-43.303701.json")
    assert r.timestamp == "2024-06-03T01:42:18.706295Z"
    assert r.model == "/data/public_models/huggingface/EleutherAI/pythia-70m-deduped"
    assert metrics(r, "steer3") == {"acc": (0.821868978805395, 0.003755720953018362, True)}
    steer2 = r.task("steer2")
    assert steer2 is not None and steer2.samples == 8766


def test_lm_eval_filters_na_stderr_and_orientation() -> None:
    r = load(FIXTURES / "lm-eval/modern_baseline.json")
    assert r.timestamp == "2024-08-25T21:06:40.5Z"
    assert metrics(r, "gsm8k_cot_llama") == {
        "exact_match,flexible-extract": (0.8142532221379833, 0.010712298902729095, True),
        "exact_match,strict-match": (0.7740712661106899, 0.011515167146127024, True),
    }
    assert metrics(r, "wikitext") == {
        "bits_per_byte": (1.3393660745008342, None, False),
        "word_perplexity": (130.4813590639406, None, False),
    }
    gsm = r.task("gsm8k_cot_llama")
    assert gsm is not None and (gsm.version, gsm.n_shot, gsm.samples) == ("3", 8, 1319)
    current = load(FIXTURES / "lm-eval/modern_current.json")
    cur_gsm = current.task("gsm8k_cot_llama")
    assert cur_gsm is not None and cur_gsm.version == "3"  # 3 and 3.0 are one version
    assert current.timestamp == "2024-08-26T21:20:00Z"  # date 1724707200


# -------------------------------------------------------------------------------------------------
# inspect_ai


@pytest.mark.parametrize(
    ("name", "created", "completed"),
    [
        ("mmlu-no-summary-choices.eval", "2025-12-19T12:36:45+00:00", "2025-12-19T12:36:47Z"),
        ("mmlu-summary-choices.eval", "2025-12-19T12:37:50+00:00", "2025-12-19T12:37:52Z"),
    ],
)
def test_inspect_eval_archives(name: str, created: str, completed: str) -> None:
    r = load(SAMPLES / "inspect_ai" / name)
    assert r.format == "inspect"
    assert r.timestamp == completed and r.timestamp_field == "stats.completed_at"
    assert r.model == "openai/gpt-4o"
    assert [t.name for t in r.tasks] == ["inspect_evals/mmlu_0_shot"]
    assert metrics(r, "inspect_evals/mmlu_0_shot") == {"choice/accuracy": (0.0, 0.0, True)}
    t = r.tasks[0]
    assert (t.version, t.n_shot, t.samples, t.model) == ("0", None, 1, "openai/gpt-4o")
    assert r.notes == ()


def test_inspect_json_logs() -> None:
    new = load(SAMPLES / "inspect_ai/log_read_sample.json")
    assert new.timestamp == "2025-07-05T09:59:43-04:00"  # the file's own offset is kept
    assert new.model == "ollama/gemma3"
    assert metrics(new, "popularity") == {"match/accuracy": (1.0, 0.0, True)}
    old = load(SAMPLES / "inspect_ai/log_formats.json")  # 2024 writer: metric `options`, sample_reductions
    assert old.timestamp == "2024-10-15T12:53:13-04:00"
    assert old.model == "ollama/llama3.1"
    assert metrics(old, "popularity") == {"match/accuracy": (0.0, 0.0, True)}
    assert (old.tasks[0].version, old.tasks[0].samples) == ("0", 1)


# -------------------------------------------------------------------------------------------------
# promptfoo

REPHRASE = "openai:gpt-4o-mini/Rephrase this in {{language}}: {{body}}"
TRANSLATE = "openai:gpt-4o-mini/Translate this to conversational {{language}}: {{body}}"


def test_promptfoo_cli_output() -> None:
    r = load(SAMPLES / "promptfoo/simple-cli_output.json")
    assert r.format == "promptfoo"
    assert r.timestamp == "2024-10-04T17:33:11.912Z" and r.timestamp_field == "results.timestamp"
    assert r.model == "openai:gpt-4o-mini"
    assert [t.name for t in r.tasks] == [REPHRASE, TRANSLATE]
    assert metrics(r, REPHRASE) == {"pass_rate": (1.0, None, True), "score": (1.0, None, True)}
    t = r.task(TRANSLATE)
    assert t is not None
    assert t.version == "68f67e9473a10ba8e5294074e90b8cc9daa9aed6256e89391e4ad7adbffba52c"
    assert (t.samples, t.model) == (4, "openai:gpt-4o-mini")


def test_promptfoo_node_eval_object() -> None:
    r = load(FIXTURES / "promptfoo/node-eval_current.json")
    assert r.timestamp == "2025-10-02T06:26:40.123Z" and r.timestamp_field == "createdAt"
    assert metrics(r, "openai:gpt-4.1-mini/summarise") == {
        "assert_pass_rate": (0.7, None, True),
        "named/brevity": (1.0, None, True),
        "named/faithfulness": (0.65, None, True),
        "pass_rate": (0.7, None, True),
        "score": (0.8, None, True),
    }


# -------------------------------------------------------------------------------------------------
# OpenAI evals


def test_openai_evals_final_report() -> None:
    r = load(SAMPLES / "openai-evals/oriprompt.log")
    assert r.format == "openai-evals"
    assert r.timestamp == "2023-10-19T00:45:38.298619Z" and r.timestamp_field == "spec.created_at"
    assert r.model == "self_prompting/oriprompt/baseline"
    t = r.tasks[0]
    assert (t.name, t.version, t.samples) == ("self_prompting", "self_prompting.full", 1500)
    assert metrics(r, "self_prompting") == {
        "accuracy": (0.20733333333333334, None, True),
        "accuracy_fuzzy": (0.344, None, True),
        "accuracy_fuzzy_gpt-3.5-turbo": (0.366, None, True),
        "accuracy_fuzzy_gpt-4": (0.48, None, True),
        "accuracy_fuzzy_gpt-4-base": (0.186, None, True),
        "accuracy_gpt-3.5-turbo": (0.258, None, True),
        "accuracy_gpt-4": (0.364, None, True),
        "accuracy_gpt-4-base": (0.0, None, True),
        "prompt_rule_violation_rate": (1.0, None, False),
    }


# -------------------------------------------------------------------------------------------------
# detection and shared helpers


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("samples/lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json", "lm-eval"),
        ("samples/lm-evaluation-harness/results_2024-06-03T01-43-18.023720.json", "lm-eval"),
        ("samples/inspect_ai/mmlu-summary-choices.eval", "inspect"),
        ("samples/inspect_ai/log_formats.json", "inspect"),
        ("samples/promptfoo/simple-cli_output.json", "promptfoo"),
        ("samples/openai-evals/oriprompt.log", "openai-evals"),
        ("samples/openai-evals/gpt-4-cot_semantic_role_recognition.jsonl", "openai-evals"),
        ("lm-eval/modern_current.json", "lm-eval"),
        ("promptfoo/node-eval_baseline.json", "promptfoo"),
        ("promptfoo/export_current.json", "promptfoo"),
        ("openai-evals/self_prompting_current.jsonl", "openai-evals"),
    ],
)
def test_detect_format(path: str, fmt: str) -> None:
    assert detect_format(path, (FIXTURES / path).read_bytes()) == fmt


def test_inspect_archive_detected_by_content_under_any_name() -> None:
    data = (SAMPLES / "inspect_ai/mmlu-summary-choices.eval").read_bytes()
    assert detect_format("download.bin", data) == "inspect"


def test_formats_registry() -> None:
    assert list(FORMATS) == ["lm-eval", "promptfoo", "inspect", "openai-evals"]
    assert all(FORMATS[k].name == k for k in FORMATS)


def test_explicit_format_is_used() -> None:
    r = load(SAMPLES / "inspect_ai/log_formats.json", "inspect")
    assert r.format == "inspect"


@pytest.mark.parametrize(
    ("name", "hib"),
    [
        ("acc", True),
        ("exact_match,strict-match", True),
        ("word_perplexity", False),
        ("bits_per_byte", False),
        ("prompt_rule_violation_rate", False),
        ("eval_loss", False),
        ("accuracy_gpt-4", True),
        ("f1", True),
    ],
)
def test_orientation_by_name(name: str, hib: bool) -> None:
    assert orientation(name) is hib


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("2024-10-04T17:33:11.912Z", "2024-10-04T17:33:11.912Z"),
        ("2025-07-05T09:59:43-04:00", "2025-07-05T09:59:43-04:00"),
        ("2025-12-19T12:36:47+00:00", "2025-12-19T12:36:47Z"),
        ("2024-02-06 06:28:34.426853+00:00", "2024-02-06T06:28:34.426853Z"),
        ("2024-01-01T00:00:00.123456789+05:30", "2024-01-01T00:00:00.123456+05:30"),
    ],
)
def test_rfc3339_round_trip(text: str, rendered: str) -> None:
    dt = parse_rfc3339(text)
    assert dt is not None
    assert render_rfc3339(dt) == rendered


@pytest.mark.parametrize(
    "text", ["2023-10-19 00:45:38.298619", "2024-13-01T00:00:00Z", "yesterday", "2024-01-01"]
)
def test_rfc3339_rejects_no_offset_and_nonsense(text: str) -> None:
    assert parse_rfc3339(text) is None


def test_metric_values_are_frozen() -> None:
    m = MetricValue("acc", 0.5, None, True)
    with pytest.raises(AttributeError):
        m.value = 0.6  # type: ignore[misc]
