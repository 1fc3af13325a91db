"""The one seam the CLI and the Action call: sources -> events -> engine(policy) -> verdict -> report.

`check(request)` returns a `CheckResult` (the report dict and the exit code) or raises a
`gate.errors.GateError`. It reads the clock in one place only: the default waiver date (`as_of`).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, BinaryIO

from gate.engine import Evaluation, engine_types, partition_events
from gate.errors import InputError, UsageError
from gate.model import Event, Origin
from gate.parallel import SplitEvaluation, digest_in_background, evaluate_parallel, resolve_jobs
from gate.policy import DEFAULT_POLICY, Policy, load_policy
from gate.redact import redact
from gate.report import build_report
from gate.sources import SourceContext, resolve, scheme_of
from gate.sources.base import Limits
from gate.sources.evals import eval_events
from gate.sources.evals.compare import CompareOptions
from gate.sources.events import EventCollector, Inputs, suggest_type
from gate.sources.split import SPLIT_MIN_BYTES
from gate.timefmt import NS, TimeFormatError, date_start_ns, format_timestamp, parse_duration, parse_timestamp
from gate.verdict import Verdict, decide
from gate.waivers import WaiverJudge, load_waivers, parse_date


@dataclass(frozen=True)
class EvalInput:
    """An eval result file (and optional baseline and spec contract) turned into events at read time."""

    current: str
    baseline: str | None = None
    spec: str | None = None
    fmt: str = "auto"
    lineage: str | None = None
    run: str | None = None
    timestamp: str | None = None
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    z: float | None = 1.96


def eval_inputs(opts: Mapping[str, Any]) -> tuple[EvalInput, ...]:
    """EvalInputs from option values (CLI and Action alike): --eval i pairs with --eval-baseline i."""
    currents = tuple(opts.get("evals") or ())
    baselines = tuple(opts.get("eval_baselines") or ())
    if baselines and len(baselines) != len(currents):
        raise UsageError(
            f"--eval-baseline: give one per --eval ({len(currents)} --eval, {len(baselines)} baselines)"
        )
    if not currents and (opts.get("spec") or baselines):
        raise UsageError("--spec and --eval-baseline need an --eval result file")
    return tuple(
        EvalInput(
            current=c,
            baseline=baselines[i] if baselines else None,
            spec=opts.get("spec"),
            fmt=opts.get("eval_format") or "auto",
            lineage=opts.get("eval_lineage"),
            run=opts.get("eval_run"),
            timestamp=opts.get("eval_timestamp"),
            abs_tol=opts.get("abs_tol") or 0.0,
            rel_tol=opts.get("rel_tol") or 0.0,
            z=opts.get("z"),
        )
        for i, c in enumerate(currents)
    )


@dataclass(frozen=True)
class CheckRequest:
    """Everything one evaluation depends on. The CLI and the Action entrypoint both build one."""

    events: tuple[str, ...] = ()
    policy: str = DEFAULT_POLICY
    waivers: str | None = None
    as_of: str | None = None  # YYYY-MM-DD; default: today in UTC
    since: str | None = None  # RFC 3339, YYYY-MM-DD, or a duration before the end of the as-of day
    until: str | None = None
    fail_on: tuple[str, ...] = ()
    warn_only: bool = False
    strict: bool = False
    lineages: tuple[str, ...] = ()
    offline: bool = False
    jobs: int = 0  # 0: one process per available CPU (gate.parallel.resolve_jobs)
    env: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    stdin: Callable[[], BinaryIO] | None = None
    evals: tuple[EvalInput, ...] = ()
    allow_http: bool = False
    progress: bool = False
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


NETWORK_SCHEMES = ("https", "http", "artifact")


def today_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def read_inputs(
    request: CheckRequest,
    policy: Policy,
    keep: frozenset[str] | None = None,
    task: SplitEvaluation | None = None,
) -> tuple[Inputs, list[dict[str, Any]]]:
    """Every source and eval input -> validated events, plus notices from the eval adapters. `keep`:
    the types to keep as event objects (default: all); every event is validated, counted and hashed."""
    if not request.events and not request.extra_records and not request.evals:
        raise UsageError("no evidence given: name at least one events file, directory, glob, URL or artifact")
    http = None
    if not request.offline and any(scheme_of(ref) in NETWORK_SCHEMES for ref in request.events):
        from gate.http import HttpClient  # requests loads in ~60 ms: only when something is fetched

        http = HttpClient(max_bytes=request.limits.max_download_bytes, progress=request.progress)
    ctx = SourceContext(
        offline=request.offline,
        env=request.env,
        limits=request.limits,
        stdin=request.stdin,
        progress=request.progress,
        allow_http=request.allow_http,
        http=http,
    )
    collector = EventCollector(
        policy.types, request.limits, SPLIT_MIN_BYTES if request.jobs > 1 else None, keep=keep
    )
    collector.task = task
    try:
        return _read_into(collector, request, ctx)
    except BaseException:
        for helper in collector.helpers:
            helper.close()
        raise


def _read_into(
    collector: EventCollector, request: CheckRequest, ctx: SourceContext
) -> tuple[Inputs, list[dict[str, Any]]]:
    for ref in request.events:
        for doc in resolve(ref, ctx).documents():
            collector.add_document(doc)
    notes: list[dict[str, Any]] = []
    for ev in request.evals:
        made = eval_events(
            ev.current,
            ev.baseline,
            spec=ev.spec,
            fmt=ev.fmt,
            options=CompareOptions(abs_tol=ev.abs_tol, rel_tol=ev.rel_tol, z=ev.z),
            lineage=ev.lineage,
            run=ev.run,
            timestamp=ev.timestamp,
        )
        for obj in made.events:
            collector.add_record(obj, Origin(made.origin, None))
        notes.extend(
            {"level": "notice", "code": "eval", "text": n, "file": made.origin, "line": None}
            for n in made.notes
        )
    for record, origin in request.extra_records:
        collector.add_record(dict(record), origin)
    return collector.finish(), notes


def input_messages(inputs: Inputs, policy: Policy, strict: bool) -> list[dict[str, Any]]:
    """Warnings about the inputs (unknown types, skipped files); errors under --strict."""
    messages: list[dict[str, Any]] = []
    for t, n in inputs.unknown_types.items():
        hint = suggest_type(t, policy.types)
        text = f"unknown event type {t!r} ({n} event{'s' if n != 1 else ''}) is not declared by policy {policy.name}"
        text += f"; did you mean {hint!r}?" if hint else "; it is kept but no rule uses it"
        o = inputs.unknown_first[t]
        if strict:
            raise InputError(f"{o}: type: {text} (--strict)")
        messages.append(
            {"level": "warning", "code": "unknown-type", "text": text, "file": o.file, "line": o.line}
        )
    for name, reason in inputs.skipped:
        messages.append(
            {"level": "notice", "code": "skipped", "text": f"skipped: {reason}", "file": name, "line": None}
        )
    return messages


def evaluate_partitions(
    policy: Policy,
    inputs: Inputs,
    lineages: tuple[str, ...],
    jobs: int,
    evidence_for: frozenset[str] = frozenset(),
    task: SplitEvaluation | None = None,
) -> Evaluation:
    """Every lineage partition evaluated (with the leaf evidence of `evidence_for` types). Only the
    events the engine reads are split and sorted (a dataset slice that no rule uses costs nothing
    here); each partition still reports how many events it holds in all. `task`: the share a
    two-core read's child already evaluated, if the run allows using it."""
    counts = Counter(inputs.lineages())
    shared = counts.pop(None, 0)  # lineage-less events belong to every partition
    names = sorted(n for n in counts if n is not None)
    if lineages:
        missing = [name for name in lineages if name not in counts]
        if missing:
            have = ", ".join(names) or "none"
            raise UsageError(
                f"--lineage {missing[0]!r}: no event carries this lineage (lineages present: {have})"
            )
        names = [n for n in names if n in lineages]
    helper = inputs.helpers[-1] if inputs.helpers else None
    theirs: set[str] = set()
    if (
        task is not None
        and helper is not None
        and helper.usable(inputs.total)
        and set(task.names) <= set(counts)
    ):
        theirs = set(task.names)
    wanted = engine_types(policy)

    def partitions(of: list[str]) -> list[tuple[str | None, list[Event]]]:
        """The partitions of lineages `of` (or the one partition when there is no lineage), each
        sorted where it is evaluated (gate.parallel)."""
        chosen = set(of)
        events = [e for e in inputs.events if e.type in wanted and (e.lineage is None or e.lineage in chosen)]
        return partition_events(events, presorted=True, names=of)

    mine = [n for n in names if n not in theirs]
    by_name = {}
    if mine or not names:
        by_name = {
            r.partition: r
            for r in evaluate_parallel(policy, partitions(mine), jobs - 1 if theirs else jobs, evidence_for)
        }
    if theirs:
        rest = [n for n in names if n in theirs]
        done = task.collect(helper) if task is not None and helper is not None else None
        if done is None:  # the child failed: its share here
            done = {r.partition: r for r in evaluate_parallel(policy, partitions(rest), jobs, evidence_for)}
        by_name.update((n, done[n]) for n in rest)
    order = names if names else [None]
    final = [
        replace(by_name[n], events=(counts.get(n, 0) + shared) if n is not None else shared) for n in order
    ]
    return Evaluation(partitions=tuple(final), lineages=tuple(n for n in order if n is not None))


def conclusion_types(policy: Policy, fail_on: tuple[str, ...]) -> frozenset[str]:
    """Types whose events the verdict lists (blocking, warning, --fail-on)."""
    return frozenset(policy.blocking) | frozenset(policy.warning) | frozenset(fail_on)


def needed_types(policy: Policy, fail_on: tuple[str, ...]) -> frozenset[str]:
    """Leaf types a check reads beyond counting them: what the engine reads, and what may conclude."""
    return engine_types(policy) | conclusion_types(policy, fail_on)


def check_date(text: str, option: str) -> str:
    try:
        parse_date(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: not a date; write YYYY-MM-DD") from None
    return text


@dataclass(frozen=True)
class Window:
    """History scoping: leaf events with since <= timestamp <= until (ns, both inclusive) are considered."""

    since: int | None = None
    until: int | None = None
    since_arg: str | None = None
    until_arg: str | None = None

    def contains(self, e: Event) -> bool:
        return (self.since is None or e.ts >= self.since) and (self.until is None or e.ts <= self.until)


def _bound(text: str, option: str, as_of: str, upper: bool) -> int:
    """RFC 3339 instant; a date (since: its first instant, until: its last); or a duration counted back
    from the end of the as-of day (`--since 30d` = the 30 days up to and including the as-of date)."""
    text = text.strip()
    end_of_as_of = date_start_ns(as_of) + 86400 * NS
    if text and text[-1] in "smhdw" and text[:-1].isdigit():
        return end_of_as_of - parse_duration(text) - (1 if upper else 0)
    if len(text) == 10:
        check_date(text, option)
        start = date_start_ns(text)
        return start + 86400 * NS - 1 if upper else start
    try:
        return parse_timestamp(text)
    except TimeFormatError as e:
        raise UsageError(
            f"{option}: {e}; give an RFC 3339 timestamp, a date (YYYY-MM-DD) "
            "or a duration before the end of the --as-of day (e.g. 30d)"
        ) from None


def resolve_window(since: str | None, until: str | None, as_of: str) -> Window:
    lo = _bound(since, "--since", as_of, upper=False) if since else None
    hi = _bound(until, "--until", as_of, upper=True) if until else None
    if lo is not None and hi is not None and lo > hi:
        raise UsageError(
            f"--since {since} ({format_timestamp(lo)}) is after --until {until} ({format_timestamp(hi)}): "
            "no evidence would be considered"
        )
    return Window(lo, hi, since, until)


def window_section(window: Window, lineages: tuple[str, ...], considered: int, total: int) -> dict[str, Any]:
    return {
        "since": format_timestamp(window.since) if window.since is not None else None,
        "until": format_timestamp(window.until) if window.until is not None else None,
        "since_arg": window.since_arg,
        "until_arg": window.until_arg,
        "lineages": list(lineages),
        "considered": considered,
        "excluded": total - considered,
    }


def check(request: CheckRequest) -> CheckResult:
    """Run the gate once. Raises GateError (with its exit code) when the evidence cannot be used."""
    # The cyclic garbage collector would rescan millions of live events again and again while they
    # are read; nothing here builds reference cycles, so reference counting frees everything.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(request)
    finally:
        if enabled:
            gc.enable()


def _check(request: CheckRequest) -> CheckResult:
    request = replace(request, jobs=resolve_jobs(request.jobs))
    policy = load_policy(
        request.policy, max_rules=request.limits.max_rules, max_depth=request.limits.max_depth
    )
    unknown_fail_on = [t for t in request.fail_on if t not in policy.types]
    if unknown_fail_on:
        raise UsageError(f"--fail-on {unknown_fail_on[0]!r}: not a type of policy {policy.name}")
    as_of = check_date(request.as_of, "--as-of") if request.as_of else today_utc()
    window = resolve_window(request.since, request.until, as_of)
    waiver_file = load_waivers(request.waivers, policy) if request.waivers else None
    scoping = window.since is not None or window.until is not None
    # Events of other types only need validating, counting and hashing (a scoped run keeps them
    # all, to count what falls inside the window).
    keep = None if scoping else needed_types(policy, request.fail_on)
    concluding = conclusion_types(policy, request.fail_on)
    # With two cores, the child that reads half of a large file evaluates about half the lineages
    # too (not when scoping: then the events evaluated are not those read).
    task = (
        SplitEvaluation(policy, engine_types(policy), concluding)
        if request.jobs > 1 and not scoping
        else None
    )
    inputs, eval_notes = read_inputs(request, policy, keep, task)
    try:
        return _decide(
            request, policy, inputs, eval_notes, window, scoping, concluding, task, as_of, waiver_file
        )
    finally:
        inputs.close()


def _decide(
    request: CheckRequest,
    policy: Policy,
    inputs: Inputs,
    eval_notes: list[dict[str, Any]],
    window: Window,
    scoping: bool,
    concluding: frozenset[str],
    task: SplitEvaluation | None,
    as_of: str,
    waiver_file: Any,
) -> CheckResult:
    messages = input_messages(inputs, policy, request.strict) + eval_notes
    messages.extend(dict(m) for m in request.extra_messages)
    scoped = inputs
    if scoping:
        # Scoping filters leaf events after reading (so the input digest covers everything read).
        inside = [e for e in inputs.events if window.contains(e)]
        scoped = replace(inputs, events=inside, count=None, lineage_counts=None, hashes=None, slots=None)
    evaluation = evaluate_partitions(policy, scoped, request.lineages, request.jobs, concluding, task)
    # The input digest on the other core while the verdict and the report are made (started after
    # evaluation, which uses both cores itself).
    pending = digest_in_background(inputs, request.jobs)
    try:
        in_scope = {p.partition for p in evaluation.partitions}
        # Leaf events can be conclusions only when their type blocks or warns (e.g. --fail-on).
        leaves = [
            e for e in scoped.events if e.type in concluding and (e.lineage is None or e.lineage in in_scope)
        ]
        waiver_for = WaiverJudge(waiver_file, as_of)
        verdict = decide(
            policy,
            evaluation,
            leaves,
            as_of=as_of,
            fail_on=request.fail_on,
            warn_only=request.warn_only,
            waiver_for=waiver_for,
        )
        if request.strict:
            waiver_for.check_strict()
        verdict = replace(verdict, notes=(*verdict.notes, *waiver_for.notes()))
        report = build_report(
            policy,
            inputs,
            evaluation,
            verdict,
            messages=messages,
            window=window_section(window, request.lineages, scoped.total, inputs.total),
            waivers=waiver_for.section(),
            request={"policy": request.policy, "waivers": request.waivers},
            refs=[redact(r) for r in request.events],
            digest="sha256:",  # filled in below: the background digest runs on while the report is built
        )
        report["inputs"]["digest"] = pending.get()
    finally:
        pending.close()
    return CheckResult(report, verdict.exit_code, policy, evaluation, inputs, verdict)
