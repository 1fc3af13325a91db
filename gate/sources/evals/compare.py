"""Current vs baseline EvalResult -> `eval_regression_observed` events plus notes.

A metric regresses when its oriented drop (baseline - current for higher-is-better, current - baseline
otherwise) is positive and exceeds every configured tolerance: `drop > abs_tol`, `drop > rel_tol *
|baseline|`, and, when both sides carry a standard error and their combined error is not zero,
`z = drop / sqrt(se_cur^2 + se_base^2) >= z`. Tasks whose version, n-shot or sample count differ are
not comparable: they are reported as notes, never compared. Tasks and metrics present on one side only
are reported as notes too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gate.errors import UsageError
from gate.sources.evals.emit import EVAL_REGRESSION, EventContext, make_event
from gate.sources.evals.model import EvalResult, MetricValue, TaskResult


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """Tolerances. `rel_tol` is a fraction of |baseline| (0.02 = 2%); `z` None disables the z-test."""

    abs_tol: float = 0.0
    rel_tol: float = 0.0
    z: float | None = 1.96

    def __post_init__(self) -> None:
        for name in ("abs_tol", "rel_tol", "z"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value < 0):
                raise UsageError(f"--{name.replace('_', '-')}: must be a finite number >= 0, got {value!r}")


def comparability(current: TaskResult, baseline: TaskResult) -> list[str]:
    """Why two results of one task must not be compared (empty when they may be)."""
    reasons = []
    for label, c, b in (
        ("task version", current.version, baseline.version),
        ("n-shot", current.n_shot, baseline.n_shot),
        ("sample count", current.samples, baseline.samples),
    ):
        if c != b:
            reasons.append(f"{label} {_show(c)} (current) vs {_show(b)} (baseline)")
    return reasons


def _show(v: object) -> str:
    return "unknown" if v is None else repr(v) if isinstance(v, str) else str(v)


def oriented_drop(hib: bool, value: float, baseline: float) -> float:
    """How much worse `value` is than `baseline` (negative: better)."""
    return baseline - value if hib else value - baseline


def z_score(drop: float, cur: MetricValue, base: MetricValue) -> float | None:
    if cur.stderr is None or base.stderr is None:
        return None
    se = math.sqrt(cur.stderr**2 + base.stderr**2)
    if se == 0.0:
        return None  # both errors are 0 (e.g. one sample): the test says nothing
    return drop / se


def compare(
    current: EvalResult, baseline: EvalResult, options: CompareOptions, ctx: EventContext
) -> tuple[list[dict[str, Any]], list[str]]:
    """Events (unsorted) and notes (in task, metric order)."""
    events: list[dict[str, Any]] = []
    notes: list[str] = []
    cur_names = {t.name for t in current.tasks}
    base_names = {t.name for t in baseline.tasks}
    for name in sorted(base_names - cur_names):
        notes.append(f"task {name!r}: only in the baseline ({baseline.file}), not in {current.file}")
    for name in sorted(cur_names - base_names):
        notes.append(f"task {name!r}: only in {current.file}, not in the baseline ({baseline.file})")
    for name in sorted(cur_names & base_names):
        ct = current.task(name)
        bt = baseline.task(name)
        assert ct is not None and bt is not None
        reasons = comparability(ct, bt)
        if reasons:
            notes.append(f"task {name!r}: not comparable, not compared: {'; '.join(reasons)}")
            continue
        cm_names = {m.name for m in ct.metrics}
        bm_names = {m.name for m in bt.metrics}
        for metric in sorted(bm_names - cm_names):
            notes.append(f"task {name!r} metric {metric!r}: only in the baseline, not compared")
        for metric in sorted(cm_names - bm_names):
            notes.append(f"task {name!r} metric {metric!r}: only in the current result, not compared")
        for metric in sorted(cm_names & bm_names):
            cm = ct.metric(metric)
            bm = bt.metric(metric)
            assert cm is not None and bm is not None
            if cm.higher_is_better != bm.higher_is_better:
                notes.append(
                    f"task {name!r} metric {metric!r}: the files disagree on higher-is-better; "
                    f"the current file's ({cm.higher_is_better}) is used"
                )
            event = _regression(current, baseline, ct, cm, bm, options, ctx)
            if event is not None:
                events.append(event)
    return events, notes


def _regression(
    current: EvalResult,
    baseline: EvalResult,
    task: TaskResult,
    cm: MetricValue,
    bm: MetricValue,
    options: CompareOptions,
    ctx: EventContext,
) -> dict[str, Any] | None:
    hib = cm.higher_is_better
    drop = oriented_drop(hib, cm.value, bm.value)
    if not drop > 0:
        return None
    if not drop > options.abs_tol:
        return None
    if not drop > options.rel_tol * abs(bm.value):
        return None
    z = z_score(drop, cm, bm)
    if options.z is not None and z is not None and z < options.z:
        return None
    props = {
        "file": current.file,
        "format": current.format,
        "baseline_file": baseline.file,
        "task": task.name,
        "metric": cm.name,
        "value": cm.value,
        "baseline": bm.value,
        "delta": cm.value - bm.value,
        "drop": drop,
        "rel_drop": drop / abs(bm.value) if bm.value != 0 else None,
        "higher_is_better": hib,
        "stderr": cm.stderr,
        "baseline_stderr": bm.stderr,
        "z": z if options.z is not None else None,
        "abs_tol": options.abs_tol,
        "rel_tol": options.rel_tol,
        "z_threshold": options.z,
        "samples": task.samples,
        "task_version": task.version,
        "n_shot": task.n_shot,
        "model": task.model,
        "baseline_model": (baseline.task(task.name) or task).model,
    }
    thresholds = [options.abs_tol, options.rel_tol, options.z]
    identity = [current.digest, baseline.digest, task.name, cm.name, "regression", thresholds]
    return make_event(EVAL_REGRESSION, ctx, identity, props)
