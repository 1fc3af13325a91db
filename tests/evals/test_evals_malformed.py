"""Malformed eval files: each is an InputError naming the file and the field, never an empty result."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from evals_support import FIXTURES, SAMPLES

from gate.errors import InputError, UsageError
from gate.sources.evals import eval_events, parse_eval
from gate.sources.evals.inspect_ai import MAX_HEADER_BYTES

BLOOM = SAMPLES / "lm-evaluation-harness/bloom-1b1_common_sense_reasoning_0-shot.json"
MMLU = SAMPLES / "inspect_ai/mmlu-summary-choices.eval"


def error_of(name: str, data: bytes, fmt: str = "auto") -> str:
    with pytest.raises(InputError) as e:
        parse_eval(name, data, fmt)
    assert e.value.exit_code == 2
    return str(e.value)


def rezip(source: Path, *, drop: str | None = None, header: dict[str, Any] | None = None) -> bytes:
    """A new .eval archive built from a real one: members copied, one dropped or header.json replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == drop:
                continue
            body = src.read(info)
            if info.filename == "header.json" and header is not None:
                body = json.dumps(header).encode()
            dst.writestr(info.filename, body)
    return out.getvalue()


def real_header() -> dict[str, Any]:
    with zipfile.ZipFile(MMLU) as zf:
        header: dict[str, Any] = json.loads(zf.read("header.json"))
    return header


# -------------------------------------------------------------------------------------------------
# JSON documents


def test_truncated_json_names_line_and_column() -> None:
    data = BLOOM.read_bytes()[:1000]
    assert error_of("bloom.json", data) == "bloom.json:35:39: invalid JSON: Expecting ',' delimiter"
    assert (
        error_of("bloom.json", data, "lm-eval") == "bloom.json:35:39: invalid JSON: Expecting ',' delimiter"
    )


def test_lm_eval_wrong_shapes() -> None:
    assert error_of("r.json", b'{"results": [], "versions": {}}', "lm-eval") == (
        "r.json: results: expected an object, got an array"
    )
    assert error_of("r.json", b'{"results": {}, "versions": {}}', "lm-eval") == (
        "r.json: results: no task results in this file"
    )
    assert error_of("r.json", b'{"results": {"boolq": 0.5}, "versions": {}}', "lm-eval") == (
        "r.json: results.boolq: expected an object, got a number"
    )
    assert error_of("r.json", b'{"results": {"boolq": {"acc": "high"}}, "versions": {}}', "lm-eval") == (
        "r.json: results.boolq: no numeric metric in this task"
    )
    assert error_of("r.json", b'{"results": {"boolq": {"acc": 0.5, "acc_stderr": "big"}}}', "lm-eval") == (
        'r.json: results.boolq.acc_stderr: expected a number or "N/A", got a string'
    )
    assert error_of("r.json", b'{"versions": {}}', "lm-eval") == (
        "r.json: results: missing: not an lm-evaluation-harness results file"
    )
    assert error_of("r.json", b"[1, 2]", "lm-eval") == "r.json: $: expected an object, got an array"


def test_lm_eval_bad_date() -> None:
    doc = b'{"results": {"boolq": {"acc,none": 0.5}}, "n-shot": {}, "date": "June 3rd"}'
    assert (
        error_of("r.json", doc)
        == "r.json: date: expected a Unix epoch number or an RFC 3339 date-time, got 'June 3rd'"
    )


def test_lm_eval_non_numeric_metric_is_a_note_not_a_silent_drop() -> None:
    doc = b'{"results": {"t": {"acc,none": 0.5, "bleu,none": null, "alias": "t"}}, "n-shot": {"t": 0}}'
    r = parse_eval("r.json", doc)
    assert [m.name for m in r.tasks[0].metrics] == ["acc"]
    assert r.notes == ("r.json: results.t.bleu,none: value None is not a number, not read as a metric",)


def test_not_an_eval_file() -> None:
    choices = "(pass --format: one of lm-eval, promptfoo, inspect, openai-evals)"
    assert error_of("x.json", b'{"hello": "world"}') == f"x.json: not a recognised eval result file {choices}"
    assert error_of("x.bin", b"\x00\x01garbage") == f"x.bin: not a recognised eval result file {choices}"
    assert error_of("x.json", b"\xff\xfe{}", "lm-eval") == "x.json: not UTF-8 text (byte 0)"


def test_unknown_format_name() -> None:
    with pytest.raises(UsageError, match=r"^--format: unknown eval format 'helm'"):
        parse_eval("x.json", b"{}", "helm")


def test_missing_file_and_directory() -> None:
    with pytest.raises(InputError, match=r"no-such-file\.json: no such file$"):
        eval_events(str(FIXTURES / "no-such-file.json"))
    with pytest.raises(InputError, match=r": is a directory, expected an eval result file$"):
        eval_events(str(FIXTURES))


# -------------------------------------------------------------------------------------------------
# promptfoo


def test_promptfoo_wrong_shapes() -> None:
    assert error_of("o.json", b'{"evalId": "e", "results": {"prompts": []}}') == (
        "o.json: results.prompts: empty: no prompt results in this file"
    )
    doc = {
        "evalId": "e",
        "results": {
            "timestamp": "2024-01-01T00:00:00Z",
            "prompts": [{"provider": "p", "label": "l", "metrics": {"score": 1}}],
        },
    }
    assert error_of("o.json", json.dumps(doc).encode()) == (
        "o.json: results.prompts[0].metrics.testPassCount: expected a count, got None"
    )
    doc["results"]["prompts"][0]["metrics"] = {"score": 0, "testPassCount": 0, "testFailCount": 0}  # type: ignore[index]
    assert error_of("o.json", json.dumps(doc).encode()) == (
        "o.json: results.prompts[0].metrics: no test ran for this prompt (testPassCount + testFailCount = 0)"
    )
    doc["results"]["prompts"][0]["metrics"] = {"score": 1, "testPassCount": 1, "testFailCount": 0}  # type: ignore[index]
    doc["results"]["timestamp"] = "2024-01-01 10:00"  # type: ignore[index]
    assert error_of("o.json", json.dumps(doc).encode()) == (
        "o.json: results.timestamp: expected an ISO 8601 date-time with an offset, got '2024-01-01 10:00'"
    )


# -------------------------------------------------------------------------------------------------
# OpenAI evals


def test_openai_evals_without_final_report() -> None:
    path = SAMPLES / "openai-evals/gpt-4-cot_semantic_role_recognition.jsonl"
    assert error_of("srl.jsonl", path.read_bytes()) == (
        "srl.jsonl: final_report: no final_report record: the run did not finish, or the log is truncated"
    )


def test_openai_evals_truncated_line() -> None:
    data = (SAMPLES / "openai-evals/oriprompt.log").read_bytes()[:-40]
    assert error_of("o.log", data) == "o.log:2:283: invalid JSON line: Expecting ':' delimiter"


def test_openai_evals_two_reports_and_naive_junk_time() -> None:
    lines = (SAMPLES / "openai-evals/oriprompt.log").read_text(encoding="utf-8").splitlines()
    twice = "\n".join([*lines, lines[1]]).encode()
    assert error_of("o.log", twice) == "o.log:3: final_report: a second final report (first on line 2)"
    bad_time = "\n".join([lines[0].replace("2023-10-19 00:45:38.298619", "last tuesday"), lines[1]]).encode()
    assert error_of("o.log", bad_time) == "o.log:1: spec.created_at: expected a date-time, got 'last tuesday'"


# -------------------------------------------------------------------------------------------------
# inspect_ai .eval archives (built here, in memory, from the real samples)


def test_corrupt_eval_zip_truncated() -> None:
    data = MMLU.read_bytes()[:3000]
    assert error_of("m.eval", data) == "m.eval: zip: not a readable .eval archive (File is not a zip file)"


def test_corrupt_eval_zip_bad_crc() -> None:
    data = bytearray(MMLU.read_bytes())
    with zipfile.ZipFile(MMLU) as zf:
        info = zf.getinfo("header.json")
    # flip a byte inside header.json's compressed data: local header is 30 bytes + name + extra
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 50
    data[offset] ^= 0xFF
    message = error_of("m.eval", bytes(data))
    assert message.startswith("m.eval: zip: not a readable .eval archive (")


def test_eval_without_header_is_incomplete() -> None:
    data = rezip(MMLU, drop="header.json")
    assert error_of("m.eval", data) == (
        "m.eval: header.json: missing from the .eval archive: the log is incomplete "
        "(the run is still going, or it crashed before writing its results)"
    )


def test_eval_header_not_json() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("header.json", b'{"version": 2, "status": ')
    assert error_of("m.eval", out.getvalue()) == "m.eval!header.json:1:26: invalid JSON: Expecting value"


def test_eval_header_over_the_cap_is_refused_before_reading() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", b" " * (MAX_HEADER_BYTES + 1))
    assert error_of("m.eval", out.getvalue()) == (
        f"m.eval: header.json: declares {MAX_HEADER_BYTES + 1} bytes, over the {MAX_HEADER_BYTES} cap"
    )


def test_eval_unscored_and_started_logs() -> None:
    header = real_header()
    header["results"]["scores"] = []
    assert error_of("m.eval", rezip(MMLU, header=header)) == (
        "m.eval!header.json: results.scores: empty: this log has no scores (an unscored eval)"
    )
    header = real_header()
    header["status"] = "started"
    del header["results"]
    assert error_of("m.eval", rezip(MMLU, header=header)) == (
        "m.eval!header.json: results: missing (log status 'started'): this run produced no results"
    )
    header = real_header()
    del header["eval"]["task"]
    assert (
        error_of("m.eval", rezip(MMLU, header=header)) == "m.eval!header.json: eval.task: missing task name"
    )


def test_eval_cancelled_is_read_with_a_note() -> None:
    header = real_header()
    header["status"] = "cancelled"
    r = parse_eval("m.eval", rezip(MMLU, header=header))
    assert r.tasks[0].metrics[0].name == "choice/accuracy"
    assert r.notes == (
        "m.eval!header.json: status: 'cancelled', not 'success': "
        "its results may cover only part of the samples",
    )


def test_eval_bad_created_time() -> None:
    header = real_header()
    header["stats"]["completed_at"] = "2025-12-19 12:37:52"
    assert error_of("m.eval", rezip(MMLU, header=header)) == (
        "m.eval!header.json: stats.completed_at: expected an ISO 8601 date-time with an offset, "
        "got '2025-12-19 12:37:52'"
    )


def test_eval_multi_scorer_and_reducer_names() -> None:
    header = real_header()
    score = header["results"]["scores"][0]
    second = json.loads(json.dumps(score))
    second["name"] = "model_graded_fact"
    second["metrics"]["accuracy"]["value"] = 0.75
    second["metrics"]["std"] = {"name": "std", "value": 0.5, "params": {}}
    header["results"]["scores"].append(second)
    r = parse_eval("m.eval", rezip(MMLU, header=header))
    assert [(m.name, m.value, m.stderr) for m in r.tasks[0].metrics] == [
        ("choice/accuracy", 0.0, 0.0),
        ("model_graded_fact/accuracy", 0.75, 0.0),
    ]
    assert r.notes == (
        "m.eval!header.json: results.scores[1].metrics.std: dispersion statistic 'std' not compared",
    )
