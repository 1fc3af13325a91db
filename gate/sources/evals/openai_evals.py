"""OpenAI evals run logs (`oaieval --record_path`, JSONL) -> EvalResult.

The LocalRecorder (evals/record.py) writes line 1 `{"spec": RunSpec}`, then event lines
{run_id, event_id, sample_id, type, data, created_by, created_at}, and, only when the run completes,
`{"final_report": {...}}`. A log without a final report is an unfinished or truncated run: an error,
never an empty result.

Task = `spec.base_eval` (else `spec.eval_name`); task version = `spec.eval_name` (the resolved registry
key, e.g. `semantic_role_recognition.test.v1`); model = `spec.completion_fns[0]`; sample count =
`final_report.n_samples`. Every other numeric entry of the final report is a metric (nested objects as
`a/b`), oriented by name (`*_violation_rate` is lower-is-better). Time = `spec.created_at`: the
RunSpec writes `str(datetime.datetime.utcnow())` (evals/base.py, `RunSpec.__post_init__`), a UTC time
without offset, read as UTC; a value with an offset is kept as written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gate.errors import InputError
from gate.sources.evals.model import (
    NOT_JSON,
    EvalResult,
    MetricValue,
    TaskResult,
    build_tasks,
    digest,
    expect_dict,
    fail,
    int_or_none,
    is_number,
    json_error_reason,
    orientation,
    parse_rfc3339,
    render_rfc3339,
)

NAME = "openai-evals"
_NAIVE_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$", re.ASCII)
_COUNT_KEYS = frozenset({"n_samples", "num_samples"})


def sniff(name: str, data: bytes, doc: Any) -> bool:
    if doc is not NOT_JSON:  # one whole JSON document: a log only if it is a lone spec record
        return isinstance(doc, dict) and set(doc) == {"spec"} and isinstance(doc["spec"], dict)
    line = data.lstrip().split(b"\n", 1)[0]
    try:
        head = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(head, dict) and isinstance(head.get("spec"), dict)


def _timestamp(file: str, spec: dict[str, Any]) -> tuple[str | None, str | None]:
    value = spec.get("created_at")
    if value in (None, ""):
        return None, None
    if isinstance(value, str):
        if _NAIVE_UTC.match(value.strip()):
            value = value.strip() + "Z"  # RunSpec writes datetime.utcnow(): UTC without an offset
        dt = parse_rfc3339(value)
        if dt is not None:
            return render_rfc3339(dt), "spec.created_at"
    raise fail(file, "spec.created_at", f"expected a date-time, got {spec.get('created_at')!r}")


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            _flatten(f"{prefix}/{k}" if prefix else str(k), value[k], out)
    else:
        out[prefix] = value


def parse(file: str, data: bytes) -> EvalResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{file}: not UTF-8 text (byte {e.start})") from None
    spec: dict[str, Any] | None = None
    spec_line = 0
    report: dict[str, Any] | None = None
    report_line = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{file}:{lineno}:{e.colno}: invalid JSON line: {e.msg}") from None
        except RecursionError:
            raise InputError(f"{file}:{lineno}: invalid JSON line: nested too deeply") from None
        except ValueError as e:  # an integer with thousands of digits
            raise InputError(f"{file}:{lineno}: invalid JSON line: {json_error_reason(e)}") from None
        if not isinstance(obj, dict):
            raise InputError(f"{file}:{lineno}: expected a JSON object per line")
        if "spec" in obj:
            if spec is not None:
                raise InputError(f"{file}:{lineno}: spec: a second spec record (first on line {spec_line})")
            spec = expect_dict(f"{file}:{lineno}", "spec", obj["spec"])
            spec_line = lineno
        elif "final_report" in obj:
            if report is not None:
                raise InputError(
                    f"{file}:{lineno}: final_report: a second final report (first on line {report_line})"
                )
            report = expect_dict(f"{file}:{lineno}", "final_report", obj["final_report"])
            report_line = lineno
    if spec is None:
        raise fail(file, "spec", "no spec record: not an OpenAI evals log")
    if report is None:
        raise fail(
            file,
            "final_report",
            "no final_report record: the run did not finish, or the log is truncated",
        )
    sfile = f"{file}:{spec_line}"
    rfile = f"{file}:{report_line}"
    task = spec.get("base_eval") or spec.get("eval_name")
    if not isinstance(task, str) or not task:
        raise fail(sfile, "spec.base_eval", "missing eval name")
    fns = spec.get("completion_fns")
    model = fns[0] if isinstance(fns, list) and fns and isinstance(fns[0], str) else None
    flat: dict[str, Any] = {}
    _flatten("", report, flat)
    notes: list[str] = []
    metrics: list[MetricValue] = []
    samples: int | None = None
    for key in sorted(flat):
        value = flat[key]
        if key in _COUNT_KEYS:
            samples = int_or_none(value)
            continue
        if not is_number(value):
            notes.append(f"{rfile}: final_report.{key}: {value!r} is not a number, not read")
            continue
        metrics.append(MetricValue(key, float(value), None, orientation(key)))
    if not metrics:
        raise fail(rfile, "final_report", "no numeric metric in the final report")
    version = spec.get("eval_name") if isinstance(spec.get("eval_name"), str) else None
    timestamp, ts_field = _timestamp(sfile, spec)
    result = TaskResult(task, tuple(metrics), version=version, n_shot=None, samples=samples, model=model)
    return EvalResult(
        file=file,
        format=NAME,
        digest=digest(data),
        timestamp=timestamp,
        timestamp_field=ts_field,
        model=model,
        tasks=build_tasks(file, {task: result}),
        notes=tuple(notes),
    )
