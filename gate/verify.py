"""The audit trail: re-evaluate a recorded JSON report, compare verdict and digests (`synapse-gate verify`).

A report records what it rests on: the policy sha256, the digest of the canonical input events, the
waivers file sha256, the as-of date, the history window and lineage filter, the tool version, and
the policy reference and waivers path it was run with (`request`) and the event references
(`sources.refs`).
`request_for` rebuilds a `CheckRequest` from those, overridden by whatever the caller gives
explicitly; `compare` lists every difference between the recorded and the new report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gate.errors import InputError, UsageError
from gate.run import CheckRequest, CheckResult, check


@dataclass(frozen=True, slots=True)
class Difference:
    key: str
    recorded: Any
    now: Any

    def text(self) -> str:
        if isinstance(self.recorded, list) and isinstance(self.now, list):
            rec, now = [_j(x) for x in self.recorded], [_j(x) for x in self.now]
            gone = [x for x in rec if x not in now]
            new = [x for x in now if x not in rec]
            parts = []
            if gone:
                parts.append(f"only in the recorded report: {_some(gone)}")
            if new:
                parts.append(f"only now: {_some(new)}")
            if parts:
                return f"{self.key}: " + "; ".join(parts)
        return f"{self.key}: recorded {_j(self.recorded)}, now {_j(self.now)}"


@dataclass(frozen=True)
class VerifyResult:
    differences: tuple[Difference, ...]
    notes: tuple[str, ...]
    result: CheckResult
    request: CheckRequest

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1


MAX_LISTED = 8


def _some(items: list[str]) -> str:
    more = f", ... ({len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


def _j(x: Any) -> str:
    return x if isinstance(x, str) else json.dumps(x, sort_keys=True)


def load_report(path: str) -> dict[str, Any]:
    """A JSON report written by `check --format json`. Raises InputError (exit 2) when it is not one."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such report file")
    try:
        obj = json.loads(p.read_bytes())
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        line = getattr(e, "lineno", 1)
        raise InputError(f"{path}:{line}: not a JSON report ({e})") from None
    if not isinstance(obj, dict) or not all(
        isinstance(obj.get(k), dict) for k in ("verdict", "inputs", "policy")
    ):
        raise InputError(f"{path}: not a synapse-gate JSON report (write one with `check --format json`)")
    return obj


def _get(report: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = report
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def request_for(report: Mapping[str, Any], given: CheckRequest, explicit: Iterable[str]) -> CheckRequest:
    """The request that reproduces `report`: its recorded settings, except the fields named in `explicit`
    (given on the command line), which are taken from `given`."""
    explicit = set(explicit)
    rec = report.get("request") or {}
    refs = (report.get("sources") or {}).get("refs")
    window = _get(report, "inputs.window") or {}
    verdict = report["verdict"]
    fields: dict[str, Any] = {}
    if "events" not in explicit:
        events = tuple(refs or ())
        if not events:
            raise UsageError("the report does not record its event sources: name them after REPORT")
        fields["events"] = events
    if "policy" not in explicit:
        fields["policy"] = rec.get("policy") or _get(report, "policy.name") or given.policy
    if "waivers" not in explicit:
        fields["waivers"] = rec.get("waivers")
    if "as_of" not in explicit:
        fields["as_of"] = verdict.get("as_of")
    if "fail_on" not in explicit:
        fields["fail_on"] = tuple(verdict.get("fail_on") or ())
    if "warn_only" not in explicit:
        fields["warn_only"] = bool(verdict.get("warn_only"))
    if "lineages" not in explicit:
        fields["lineages"] = tuple(window.get("lineages") or ())
    if "since" not in explicit:
        fields["since"] = window.get("since")
    if "until" not in explicit:
        fields["until"] = window.get("until")
    return replace(given, **fields)


def _ids(items: Any) -> list[str]:
    out = []
    for c in items or []:
        part = c.get("partition")
        out.append(f"{c.get('type')} {c.get('id')}" + (f" [lineage {part}]" if part is not None else ""))
    return sorted(out)


def _waiver_states(report: Mapping[str, Any], state: str) -> list[str]:
    items = _get(report, f"waivers.{state}") or []
    return sorted(f"#{w.get('index')} {w.get('covers')}" for w in items)


def _derived(report: Mapping[str, Any]) -> list[str]:
    out = []
    for p in report.get("partitions") or []:
        for d in p.get("derived") or []:
            out.append(f"{d.get('type')} {d.get('id')} [partition {_j(p.get('partition'))}]")
    return sorted(out)


# What must be equal for a verdict to count as reproduced: the digests, the settings, the verdict itself.
SCALARS = (
    "policy.name",
    "policy.sha256",
    "inputs.digest",
    "inputs.events",
    "inputs.window.since",
    "inputs.window.until",
    "inputs.window.lineages",
    "inputs.lineages",
    "waivers.sha256",
    "verdict.as_of",
    "verdict.status",
    "verdict.would_block",
    "verdict.warn_only",
    "verdict.fail_on",
)


# Settings the caller may override on purpose: then they are questions ("would it pass on that date?"),
# reported as notes, while the digests and the verdict must still match.
SETTINGS = {
    "as_of": ("verdict.as_of", "--as-of"),
    "fail_on": ("verdict.fail_on", "--fail-on"),
    "warn_only": ("verdict.warn_only", "--warn-only"),
    "lineages": ("inputs.window.lineages", "--lineage"),
    "since": ("inputs.window.since", "--since"),
    "until": ("inputs.window.until", "--until"),
}


def compare(
    recorded: Mapping[str, Any], now: Mapping[str, Any], ignore: Iterable[str] = ()
) -> list[Difference]:
    """Every difference between two reports in digests, settings, verdict, waivers and derived events."""
    skip = set(ignore)
    diffs = [
        Difference(k, _get(recorded, k), _get(now, k))
        for k in SCALARS
        if k not in skip and _get(recorded, k) != _get(now, k)
    ]
    for role in ("blocking", "waived", "warnings"):
        a, b = _ids(_get(recorded, f"verdict.{role}")), _ids(_get(now, f"verdict.{role}"))
        if a != b:
            diffs.append(Difference(f"verdict.{role}", a, b))
    for state in ("applied", "expired", "not_yet_valid", "unused"):
        a, b = _waiver_states(recorded, state), _waiver_states(now, state)
        if a != b:
            diffs.append(Difference(f"waivers.{state}", a, b))
    a, b = _derived(recorded), _derived(now)
    if a != b:
        diffs.append(Difference("partitions.derived", a, b))
    return diffs


def verify(report_path: str, given: CheckRequest, explicit: Iterable[str]) -> VerifyResult:
    """Re-run the evaluation a report records and compare. Errors reading the evidence raise GateError."""
    recorded = load_report(report_path)
    request = request_for(recorded, given, explicit)
    result = check(request)
    explicit = set(explicit)
    ignore = {key for name, (key, _) in SETTINGS.items() if name in explicit}
    diffs = compare(recorded, result.report, ignore)
    notes = []
    for name, (key, option) in SETTINGS.items():
        was, now = _get(recorded, key), _get(result.report, key)
        if name in explicit and was != now:
            notes.append(f"re-evaluated with {option} {_j(now)} (the report records {_j(was)})")
    rv, nv = _get(recorded, "tool.version"), _get(result.report, "tool.version")
    if rv != nv:
        notes.append(f"the report was written by synapse-gate {rv}; this is {nv}")
    return VerifyResult(tuple(diffs), tuple(notes), result, request)


def render(v: VerifyResult, report_path: str) -> str:
    rep = v.result.report
    out = []
    if v.ok:
        out.append(
            f"verified: {report_path} reproduces: verdict {_get(rep, 'verdict.status')}, "
            f"policy {_get(rep, 'policy.name')} sha256 {_get(rep, 'policy.sha256')}, "
            f"input {_get(rep, 'inputs.digest')}, waivers {_get(rep, 'waivers.sha256') or 'none'}, "
            f"as of {_get(rep, 'verdict.as_of')}"
        )
    else:
        n = len(v.differences)
        out.append(
            f"NOT VERIFIED: {report_path} differs from a re-evaluation in {n} place{'s' if n != 1 else ''}:"
        )
        out.extend(f"  {d.text()}" for d in v.differences)
    out.extend(f"note: {n}" for n in v.notes)
    return "\n".join(out) + "\n"
