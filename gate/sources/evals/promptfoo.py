"""promptfoo `output.json` -> EvalResult.

Two shapes are read:
- the `promptfoo eval -o output.json` / export shape: {evalId, results: {version, timestamp, prompts[],
  results[], stats}, config, ...}; time = `results.timestamp` (ISO 8601, UTC `Z`);
- a serialised `Eval` object from the Node API: {id, createdAt (Unix epoch in ms), config, results: [],
  prompts[], ...}; time = `createdAt`.
Both carry per prompt x provider aggregates in `prompts[].metrics`, which is all that is read.

Task = `<provider>/<prompt label>` (`<provider>/prompt-<id[:12]>` for an unlabelled prompt); task
version = the prompt's `id` (a hash of its text), so an edited prompt is never compared with the old one.
Metrics (all higher-is-better, n = testPassCount + testFailCount + testErrorCount):
`pass_rate` = testPassCount / n, `score` = score / n (the mean test score), `assert_pass_rate` =
assertPassCount / (assertPassCount + assertFailCount), and `named/<name>` = namedScores[name] /
namedScoresCount[name] (or / n when the count is absent). Latency, tokens and cost are not eval
quality and are not read. promptfoo has no standard errors.
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
    expect_list,
    fail,
    is_number,
    load_json,
    parse_rfc3339,
    render_rfc3339,
)

NAME = "promptfoo"


def sniff(name: str, data: bytes, doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if "evalId" in doc and isinstance(doc.get("results"), dict):
        return "prompts" in doc["results"]
    return (
        isinstance(doc.get("prompts"), list) and "createdAt" in doc and isinstance(doc.get("results"), list)
    )


def _count(file: str, field: str, metrics: dict[str, Any], key: str, required: bool = True) -> int:
    value = metrics.get(key)
    if value is None and not required:
        return 0
    if not is_number(value) or value < 0 or not float(value).is_integer():
        raise fail(file, f"{field}.{key}", f"expected a count, got {value!r}")
    return int(value)


def _metrics(file: str, field: str, m: dict[str, Any], notes: list[str]) -> tuple[list[MetricValue], int]:
    passed = _count(file, field, m, "testPassCount")
    failed = _count(file, field, m, "testFailCount")
    errored = _count(file, field, m, "testErrorCount", required=False)  # absent in 2024 writers
    n = passed + failed + errored
    if n == 0:
        raise fail(file, field, "no test ran for this prompt (testPassCount + testFailCount = 0)")
    out = [MetricValue("pass_rate", passed / n, None, True)]
    score = m.get("score")
    if not is_number(score):
        raise fail(file, f"{field}.score", f"expected a number, got {score!r}")
    out.append(MetricValue("score", float(score) / n, None, True))
    a_pass = _count(file, field, m, "assertPassCount", required=False)
    a_fail = _count(file, field, m, "assertFailCount", required=False)
    if a_pass + a_fail:
        out.append(MetricValue("assert_pass_rate", a_pass / (a_pass + a_fail), None, True))
    named = m.get("namedScores") or {}
    counts = m.get("namedScoresCount") or {}
    named = expect_dict(file, f"{field}.namedScores", named)
    counts = expect_dict(file, f"{field}.namedScoresCount", counts)
    for key in sorted(named):
        value = named[key]
        if not is_number(value):
            notes.append(f"{file}: {field}.namedScores.{key}: {value!r} is not a number, not read")
            continue
        count = counts.get(key)
        divisor = count if is_number(count) and count > 0 else n
        out.append(MetricValue(f"named/{key}", float(value) / divisor, None, True))
    return sorted(out, key=lambda mv: mv.name), n


def _timestamp(file: str, doc: dict[str, Any], results: Any) -> tuple[str | None, str | None]:
    if isinstance(results, dict) and results.get("timestamp") not in (None, ""):
        value = results["timestamp"]
        dt = parse_rfc3339(value) if isinstance(value, str) else None
        if dt is None:
            raise fail(
                file, "results.timestamp", f"expected an ISO 8601 date-time with an offset, got {value!r}"
            )
        return render_rfc3339(dt), "results.timestamp"
    if doc.get("createdAt") is not None:
        value = doc["createdAt"]
        if not is_number(value):
            raise fail(file, "createdAt", f"expected a Unix epoch in milliseconds, got {value!r}")
        try:
            return epoch_to_rfc3339(float(value) / 1000.0), "createdAt"
        except ValueError as e:
            raise fail(file, "createdAt", f"{value!r} ms: {e}") from None
    return None, None


def parse(file: str, data: bytes) -> EvalResult:
    doc = expect_dict(file, "$", load_json(file, data))
    results = doc.get("results")
    if isinstance(results, dict):  # export shape
        prompts_field = "results.prompts"
        prompts = results.get("prompts")
    elif isinstance(results, list) or "prompts" in doc:  # Eval object shape
        prompts_field = "prompts"
        prompts = doc.get("prompts")
    else:
        raise fail(file, "results", "missing: not a promptfoo output file")
    if prompts is None:
        raise fail(file, prompts_field, "missing: not a promptfoo output file")
    prompts = expect_list(file, prompts_field, prompts)
    if not prompts:
        raise fail(file, prompts_field, "empty: no prompt results in this file")
    notes: list[str] = []
    parsed: list[tuple[str, str, str | None, TaskResult]] = []
    for i, p in enumerate(prompts):
        field = f"{prompts_field}[{i}]"
        p = expect_dict(file, field, p)
        provider = p.get("provider")
        if isinstance(provider, dict):  # some writers keep the provider object
            provider = provider.get("label") or provider.get("id")
        if not isinstance(provider, str) or not provider:
            raise fail(file, f"{field}.provider", "missing provider")
        pid = p.get("id") if isinstance(p.get("id"), str) and p.get("id") else None
        label = p.get("label") if isinstance(p.get("label"), str) else ""
        if not label:
            if pid is None:
                raise fail(file, field, "prompt has neither a label nor an id")
            label = f"prompt-{pid[:12]}"
        metrics, n = _metrics(
            file, f"{field}.metrics", expect_dict(file, f"{field}.metrics", p.get("metrics")), notes
        )
        base = f"{provider}/{label}"
        parsed.append(
            (base, provider, pid, TaskResult(base, tuple(metrics), version=pid, samples=n, model=provider))
        )
    names = [b for b, _, _, _ in parsed]
    tasks: dict[str, TaskResult] = {}
    for i, (base, _provider, pid, tr) in enumerate(parsed):
        name = base
        if names.count(base) > 1:  # one label used by two different prompts: qualify by prompt id
            name = f"{base} #{(pid or str(i))[:12]}"
        if name in tasks:
            raise fail(file, f"{prompts_field}[{i}]", f"prompt x provider {name!r} appears twice")
        tasks[name] = TaskResult(name, tr.metrics, tr.version, None, tr.samples, tr.model)
    providers = sorted({provider for _, provider, _, _ in parsed})
    timestamp, ts_field = _timestamp(file, doc, results)
    return EvalResult(
        file=file,
        format=NAME,
        digest=digest(data),
        timestamp=timestamp,
        timestamp_field=ts_field,
        model=providers[0] if len(providers) == 1 else None,
        tasks=build_tasks(file, tasks),
        notes=tuple(notes),
    )
