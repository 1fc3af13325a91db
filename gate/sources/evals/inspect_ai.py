"""UK AISI inspect_ai eval logs -> EvalResult: `.eval` zip archives and `.json` logs.

A `.json` log is one EvalLog object {version, status, eval, plan, results, stats, samples, ...}; an
`.eval` log is a zip whose `header.json` holds the same object without samples (written when the
run ends; a log still running has only `_journal/start.json`). The archive is read in memory, and
only `header.json` is decompressed, after checking its declared size.

Task = `eval.task`; metric = `<score name>/<metric name>` from `results.scores[].metrics`, e.g.
`match/accuracy`. The sibling metric `stderr` is the standard error of the scorer's `accuracy`/`mean`
and is attached to them, not read as a metric of its own. Sample count = `results.completed_samples`
(else `total_samples`); task version = `eval.task_version`; time = `stats.completed_at`, else
`eval.created`.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from gate.sources.evals.model import (
    EvalResult,
    MetricValue,
    TaskResult,
    build_tasks,
    digest,
    expect_dict,
    expect_list,
    fail,
    int_or_none,
    is_number,
    load_json,
    orientation,
    parse_rfc3339,
    render_rfc3339,
    table,
    version_str,
)

NAME = "inspect"
ZIP_MAGIC = b"PK\x03\x04"
HEADER = "header.json"
MAX_HEADER_BYTES = 64 << 20  # a header holds aggregates only; anything larger is not a real log
_STDERR_METRICS = ("stderr", "bootstrap_stderr")  # in order of preference
_CENTRAL_METRICS = frozenset({"accuracy", "mean"})  # what inspect's stderr is the error of
_DISPERSION_METRICS = frozenset({"std", "var"})


def sniff(name: str, data: bytes, doc: Any) -> bool:
    if data[:4] == ZIP_MAGIC:
        return name.lower().endswith(".eval") or _zip_has_header(data)
    return isinstance(doc, dict) and isinstance(doc.get("eval"), dict) and "status" in doc


def _zip_has_header(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return HEADER in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return False  # a sniffer never raises: parse() says what is wrong


def _read_header(file: str, data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            try:
                info = zf.getinfo(HEADER)
            except KeyError:
                raise fail(
                    file,
                    HEADER,
                    "missing from the .eval archive: the log is incomplete (the run is still going, "
                    "or it crashed before writing its results)",
                ) from None
            if info.file_size > MAX_HEADER_BYTES:
                raise fail(file, HEADER, f"declares {info.file_size} bytes, over the {MAX_HEADER_BYTES} cap")
            with zf.open(info) as fh:
                body = fh.read(MAX_HEADER_BYTES + 1)
            if len(body) > MAX_HEADER_BYTES:
                raise fail(file, HEADER, f"over the {MAX_HEADER_BYTES} byte cap")
            return body
    except zipfile.BadZipFile as e:
        raise fail(file, "zip", f"not a readable .eval archive ({e})") from None
    except (OSError, ValueError, EOFError, NotImplementedError, zlib.error) as e:
        raise fail(file, "zip", f"not a readable .eval archive ({type(e).__name__}: {e})") from None
    except RuntimeError:  # zipfile's answer to an encrypted member (the flag may be damage)
        raise fail(file, HEADER, "encrypted in the .eval archive (a password is needed)") from None


def _timestamp(file: str, log: dict[str, Any]) -> tuple[str | None, str | None]:
    stats = table(log, "stats")
    ev = log["eval"]
    for field, value in (
        ("stats.completed_at", stats.get("completed_at")),
        ("eval.created", ev.get("created")),
    ):
        if value in (None, ""):
            continue
        if not isinstance(value, str) or (dt := parse_rfc3339(value)) is None:
            raise fail(file, field, f"expected an ISO 8601 date-time with an offset, got {value!r}")
        return render_rfc3339(dt), field
    return None, None


def _scores(file: str, where: str, results: dict[str, Any], notes: list[str]) -> list[MetricValue]:
    if "scores" not in results:
        raise fail(file, f"{where}.scores", "missing")
    scores = expect_list(file, f"{where}.scores", results["scores"])
    if not scores:
        raise fail(file, f"{where}.scores", "empty: this log has no scores (an unscored eval)")
    out: dict[str, MetricValue] = {}
    for i, score in enumerate(scores):
        sfield = f"{where}.scores[{i}]"
        score = expect_dict(file, sfield, score)
        sname = score.get("name") or score.get("scorer")
        if not isinstance(sname, str) or not sname:
            raise fail(file, f"{sfield}.name", "missing scorer name")
        reducer = score.get("reducer")
        metrics = expect_dict(file, f"{sfield}.metrics", score.get("metrics"))
        values: dict[str, float] = {}
        stderr: float | None = None
        for mkey in sorted(metrics):
            mfield = f"{sfield}.metrics.{mkey}"
            metric = expect_dict(file, mfield, metrics[mkey])
            mname = metric.get("name", mkey)
            value = metric.get("value")
            if not isinstance(mname, str):
                raise fail(file, f"{mfield}.name", "expected a string")
            if not is_number(value):
                notes.append(f"{file}: {mfield}.value: {value!r} is not a number, not read")
                continue
            if mname in _STDERR_METRICS:
                if stderr is None or mname == _STDERR_METRICS[0]:
                    stderr = float(value)
                continue
            if mname in _DISPERSION_METRICS:
                notes.append(f"{file}: {mfield}: dispersion statistic {mname!r} not compared")
                continue
            values[mname] = float(value)
        prefix = sname if not isinstance(reducer, str) or not reducer else f"{sname}[{reducer}]"
        for mname, value in values.items():
            key = f"{prefix}/{mname}"
            if key in out:
                raise fail(file, sfield, f"metric {key!r} appears twice")
            err = stderr if mname in _CENTRAL_METRICS else None
            out[key] = MetricValue(key, value, err, orientation(mname))
    if not out:
        raise fail(file, f"{where}.scores", "no numeric metric in any score")
    return [out[k] for k in sorted(out)]


def _from_log(file: str, data: bytes, log: Any, loc: str) -> EvalResult:
    """`loc` is what errors name: the file, or `file!header.json` inside an archive."""
    log = expect_dict(loc, "$", log)
    ev = expect_dict(loc, "eval", log.get("eval"))
    task = ev.get("task")
    if not isinstance(task, str) or not task:
        raise fail(loc, "eval.task", "missing task name")
    status = log.get("status")
    notes: list[str] = []
    if "results" not in log or log["results"] is None:
        raise fail(loc, "results", f"missing (log status {status!r}): this run produced no results")
    results = expect_dict(loc, "results", log["results"])
    if status != "success":
        notes.append(
            f"{loc}: status: {status!r}, not 'success': its results may cover only part of the samples"
        )
    metrics = _scores(loc, "results", results, notes)
    samples = int_or_none(results.get("completed_samples"))
    if samples is None:
        samples = int_or_none(results.get("total_samples"))
    model = ev.get("model") if isinstance(ev.get("model"), str) else None
    timestamp, ts_field = _timestamp(loc, log)
    result = TaskResult(
        name=task,
        metrics=tuple(metrics),
        version=version_str(ev.get("task_version")),
        n_shot=None,
        samples=samples,
        model=model,
    )
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


def parse(file: str, data: bytes) -> EvalResult:
    if data[:4] == ZIP_MAGIC or file.lower().endswith(".eval"):
        header = _read_header(file, data)
        loc = f"{file}!{HEADER}"
        return _from_log(file, data, load_json(loc, header), loc)
    return _from_log(file, data, load_json(file, data), file)
