"""EleutherAI lm-evaluation-harness result files (`results*.json`) -> EvalResult.

Two writers are read:
- modern (v0.4+, `EvaluationTracker.save_results_aggregated`): task dicts keyed `"<metric>,<filter>"`,
  stderr as `"<metric>_stderr,<filter>"` (a number, or the string "N/A"), plus the tables `versions`,
  `n-shot`, `n-samples` {original, effective}, `higher_is_better`, `date` (Unix epoch) and `model_name`.
  Metric names drop the filter when it is `none`: `"acc,none"` is `acc`, `"exact_match,strict-match"`
  stays as is.
- old (v0.3, e.g. the `results/bloom/*.json` files): task dicts keyed `<metric>` and `<metric>_stderr`,
  `versions`, and `config.num_fewshot`/`config.model_args`; no time at all.
Groups (a key of both `results` and `groups`) are read as tasks of their own.
"""

from __future__ import annotations

from typing import Any

from gate.sources.evals.model import (
    EvalResult,
    MetricValue,
    TaskResult,
    build_tasks,
    digest,
    epoch_to_rfc3339,
    expect_dict,
    fail,
    int_or_none,
    is_number,
    load_json,
    orientation,
    parse_rfc3339,
    render_rfc3339,
    table,
    type_name,
    version_str,
)

NAME = "lm-eval"

# Keys of a task dict that are neither metrics nor stderrs (modern writer and its test snapshots).
_NON_METRIC_KEYS = frozenset({"alias", "name", "sample_len", "samples", "sample_count"})


def sniff(name: str, data: bytes, doc: Any) -> bool:
    """A JSON object whose `results` maps task names to metric objects."""
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), dict) or "eval" in doc:
        return False
    return all(isinstance(v, dict) for v in doc["results"].values()) and (
        "versions" in doc or "n-shot" in doc or "config" in doc or "higher_is_better" in doc
    )


def _model(doc: dict[str, Any]) -> str | None:
    if isinstance(doc.get("model_name"), str) and doc["model_name"]:
        return str(doc["model_name"])
    config = doc.get("config")
    if isinstance(config, dict):
        args = config.get("model_args")
        if isinstance(args, str):
            for part in args.split(","):
                key, _, value = part.partition("=")
                if key.strip() == "pretrained" and value.strip():
                    return value.strip()
        if isinstance(config.get("model"), str):
            return str(config["model"])
    return None


def _timestamp(file: str, doc: dict[str, Any]) -> tuple[str | None, str | None]:
    # `date` is time.time() when the run started; start_time/end_time are a monotonic clock (not dates).
    if "date" not in doc or doc["date"] is None:
        return None, None
    value = doc["date"]
    if is_number(value):
        try:
            return epoch_to_rfc3339(float(value)), "date"
        except ValueError as e:
            raise fail(file, "date", str(e)) from None
    if isinstance(value, str):
        dt = parse_rfc3339(value)
        if dt is not None:
            return render_rfc3339(dt), "date"
    raise fail(file, "date", f"expected a Unix epoch number or an RFC 3339 date-time, got {value!r}")


def _is_modern(results: dict[str, Any]) -> bool:
    return any(isinstance(t, dict) and any("," in k for k in t) for t in results.values())


def _split_metrics(
    file: str, task: str, entry: dict[str, Any], modern: bool, notes: list[str]
) -> tuple[dict[str, float], dict[str, float | None], dict[str, str]]:
    """-> (values by display name, stderr by display name, base metric name by display name)."""
    values: dict[str, float] = {}
    stderrs: dict[str, float | None] = {}
    bases: dict[str, str] = {}
    for key in sorted(entry):
        raw = entry[key]
        field = f"results.{task}.{key}"
        if modern:
            if "," not in key:
                if key not in _NON_METRIC_KEYS:
                    notes.append(f"{file}: {field}: not a '<metric>,<filter>' key, not read")
                continue
            base, filt = key.split(",", 1)
        else:
            if key in _NON_METRIC_KEYS:
                continue
            base, filt = key, "none"
        is_stderr = base.endswith("_stderr")
        metric_base = base[: -len("_stderr")] if is_stderr else base
        display = metric_base if filt == "none" else f"{metric_base},{filt}"
        if is_stderr:
            if is_number(raw):
                stderrs[display] = float(raw)
            elif raw is None or raw == "N/A":
                stderrs[display] = None  # the harness writes "N/A" when it could not compute one
            else:
                raise fail(file, field, f'expected a number or "N/A", got {type_name(raw)}')
            continue
        if not is_number(raw):
            notes.append(f"{file}: {field}: value {raw!r} is not a number, not read as a metric")
            continue
        values[display] = float(raw)
        bases[display] = metric_base
    for display in sorted(set(stderrs) - set(values)):
        notes.append(f"{file}: results.{task}: stderr for {display!r} without its metric, not read")
    return values, stderrs, bases


def parse(file: str, data: bytes) -> EvalResult:
    doc = load_json(file, data)
    doc = expect_dict(file, "$", doc)
    if "results" not in doc:
        raise fail(file, "results", "missing: not an lm-evaluation-harness results file")
    results = expect_dict(file, "results", doc["results"])
    modern = _is_modern(results)
    versions = table(doc, "versions")
    n_shot_table = table(doc, "n-shot")
    n_samples = table(doc, "n-samples")
    hib_table = table(doc, "higher_is_better")
    config = table(doc, "config")
    default_shot = int_or_none(config.get("num_fewshot"))
    model = _model(doc)
    notes: list[str] = []
    tasks: dict[str, TaskResult] = {}
    for task in sorted(results):
        entry = expect_dict(file, f"results.{task}", results[task])
        values, stderrs, bases = _split_metrics(file, task, entry, modern, notes)
        if not values:
            raise fail(file, f"results.{task}", "no numeric metric in this task")
        hib_task = table(hib_table, task)
        metrics = []
        for display in sorted(values):
            stated = hib_task.get(bases[display])
            hib = stated if isinstance(stated, bool) else orientation(bases[display])
            metrics.append(MetricValue(display, values[display], stderrs.get(display), hib))
        shot = int_or_none(n_shot_table[task]) if task in n_shot_table else default_shot
        samples = None
        ns = n_samples.get(task)
        if isinstance(ns, dict):
            samples = int_or_none(ns.get("effective", ns.get("original")))
        tasks[task] = TaskResult(
            name=task,
            metrics=tuple(metrics),
            version=version_str(versions.get(task)),
            n_shot=shot,
            samples=samples,
            model=model,
        )
    timestamp, ts_field = _timestamp(file, doc)
    return EvalResult(
        file=file,
        format=NAME,
        digest=digest(data),
        timestamp=timestamp,
        timestamp_field=ts_field,
        model=model,
        tasks=build_tasks(file, tasks),
        notes=tuple(notes),
    )
