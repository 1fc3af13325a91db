"""The one seam the CLI and the Action call: sources -> events -> engine(policy) -> verdict -> report.

`check(request)` returns a `CheckResult` (the report dict and the exit code) or raises a
`gate.errors.GateError`. It reads the clock in one place only: the default waiver date (`as_of`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, BinaryIO

from gate.engine import Evaluation, PartitionResult, evaluate_partition, partition_events
from gate.errors import InputError, UsageError
from gate.model import Origin
from gate.policy import DEFAULT_POLICY, Policy, load_policy
from gate.report import build_report
from gate.sources import SourceContext, resolve
from gate.sources.base import Limits
from gate.sources.events import EventCollector, Inputs, suggest_type
from gate.verdict import Verdict, decide


@dataclass(frozen=True)
class CheckRequest:
    """Everything one evaluation depends on. The CLI and the Action entrypoint both build one."""

    events: tuple[str, ...] = ()
    policy: str = DEFAULT_POLICY
    waivers: str | None = None
    as_of: str | None = None  # YYYY-MM-DD; default: today in UTC
    fail_on: tuple[str, ...] = ()
    warn_only: bool = False
    strict: bool = False
    lineages: tuple[str, ...] = ()
    offline: bool = False
    jobs: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    stdin: Callable[[], BinaryIO] | None = None
    extra_records: tuple[tuple[Mapping[str, Any], Origin], ...] = ()  # events made by adapters (evals)
    extra_messages: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class CheckResult:
    report: dict[str, Any]
    exit_code: int
    policy: Policy
    evaluation: Evaluation
    inputs: Inputs
    verdict: Verdict


def today_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def read_inputs(request: CheckRequest, policy: Policy) -> Inputs:
    if not request.events and not request.extra_records:
        raise UsageError("no evidence given: name at least one events file, directory, glob, URL or artifact")
    ctx = SourceContext(
        offline=request.offline, env=request.env, limits=request.limits, stdin=request.stdin
    )
    collector = EventCollector(policy.types)
    for ref in request.events:
        for doc in resolve(ref, ctx).documents():
            collector.add_document(doc)
    for obj, origin in request.extra_records:
        collector.add_record(dict(obj), origin)
    return collector.finish()


def input_messages(inputs: Inputs, policy: Policy, strict: bool) -> list[dict[str, Any]]:
    """Warnings about the inputs (unknown types, skipped files); errors under --strict."""
    messages: list[dict[str, Any]] = []
    first: dict[str, Origin] = {}
    if inputs.unknown_types:
        for e in inputs.events:
            if e.type in inputs.unknown_types:
                o = min(inputs.origins[e.id], key=lambda o: (o.file, o.line or 0))
                if e.type not in first or (o.file, o.line or 0) < (first[e.type].file, first[e.type].line or 0):
                    first[e.type] = o
    for t, n in inputs.unknown_types.items():
        hint = suggest_type(t, policy.types)
        text = f"unknown event type {t!r} ({n} event{'s' if n != 1 else ''}) is not declared by policy {policy.name}"
        text += f"; did you mean {hint!r}?" if hint else "; it is kept but no rule uses it"
        o = first[t]
        if strict:
            raise InputError(f"{o}: type: {text} (--strict)")
        messages.append({"level": "warning", "code": "unknown-type", "text": text, "file": o.file, "line": o.line})
    for name, reason in inputs.skipped:
        messages.append({"level": "notice", "code": "skipped", "text": f"skipped: {reason}", "file": name, "line": None})
    return messages


def evaluate_partitions(
    policy: Policy, inputs: Inputs, lineages: tuple[str, ...], jobs: int
) -> Evaluation:
    parts = partition_events(inputs.events)
    if lineages:
        known = {n for n, _ in parts}
        missing = [name for name in lineages if name not in known]
        if missing:
            have = ", ".join(sorted(n for n in known if n is not None)) or "none"
            raise UsageError(f"--lineage {missing[0]!r}: no event carries this lineage (lineages present: {have})")
        parts = [(n, evs) for n, evs in parts if n in lineages]
    results: list[PartitionResult]
    if jobs > 1 and len(parts) > 1:
        from gate.parallel import evaluate_parallel

        results = evaluate_parallel(policy, parts, jobs)
    else:
        results = [evaluate_partition(policy, name, evs) for name, evs in parts]
    return Evaluation(partitions=tuple(results), lineages=tuple(n for n, _ in parts if n is not None))


def check(request: CheckRequest) -> CheckResult:
    """Run the gate once. Raises GateError (with its exit code) when the evidence cannot be used."""
    policy = load_policy(request.policy)
    unknown_fail_on = [t for t in request.fail_on if t not in policy.types]
    if unknown_fail_on:
        raise UsageError(f"--fail-on {unknown_fail_on[0]!r}: not a type of policy {policy.name}")
    as_of = request.as_of or today_utc()
    inputs = read_inputs(request, policy)
    messages = input_messages(inputs, policy, request.strict)
    messages.extend(dict(m) for m in request.extra_messages)
    evaluation = evaluate_partitions(policy, inputs, request.lineages, request.jobs)
    in_scope = {p.partition for p in evaluation.partitions}
    leaves = [e for e in inputs.events if e.lineage is None or e.lineage in in_scope]
    waiver_for = None
    verdict = decide(
        policy,
        evaluation,
        leaves,
        as_of=as_of,
        fail_on=request.fail_on,
        warn_only=request.warn_only,
        waiver_for=waiver_for,
    )
    report = build_report(policy, inputs, evaluation, verdict, messages=messages)
    return CheckResult(report, verdict.exit_code, policy, evaluation, inputs, verdict)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
