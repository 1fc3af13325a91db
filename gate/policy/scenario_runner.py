"""`policy test`: run scenario folders (events + expect.yaml) through `gate.run.check` and compare.

A scenario folder holds event files (any format `check` reads) and an `expect.yaml` validated by
`schemas/expect.schema.json`. Only what the expectation states is checked. An invalid expect.yaml is
an `InputError` (exit 2) naming file:line and key; a scenario whose result differs yields readable
problem lines, each pointing at the expect.yaml line it contradicts.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from gate.errors import InputError, UsageError
from gate.policy.loader import builtin_names, load_policy
from gate.policy.model import Policy
from gate.schemautil import common_message, first_error
from gate.timefmt import TimeFormatError, format_timestamp, parse_timestamp
from gate.yamlutil import Path_, format_path, line_for, load_located

EXPECT_NAMES = ("expect.yaml", "expect.yml")
_NOT_EVENTS = (".md", ".txt", ".rst")  # notes beside the events are never read as events
_SHOW_LEAVES = 8
_SHOW_EVENTS = 5


@lru_cache(maxsize=1)
def expect_schema() -> dict[str, Any]:
    return json.loads((resources.files("gate") / "schemas" / "expect.schema.json").read_text("utf-8"))


def shipped_scenarios_dir(name: str) -> Path:
    """The folder of scenarios shipped (as package data) for a built-in policy."""
    return Path(str(resources.files("gate.policy") / "scenarios" / name))


def default_case_dirs(policy_ref: str) -> list[Path]:
    """No CASES_DIR given: the shipped scenarios of a built-in, or `scenarios/` beside a policy file."""
    if policy_ref in builtin_names() and not Path(policy_ref).exists():
        folder = shipped_scenarios_dir(policy_ref)
    else:
        folder = Path(policy_ref).parent / "scenarios"
    if not folder.is_dir():
        raise UsageError(f"{policy_ref}: no scenarios given and no folder {folder.as_posix()} to default to")
    return [folder]


# -- discovery and loading --------------------------------------------------------------------------


def _expect_file(folder: Path) -> Path | None:
    for name in EXPECT_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def discover(dirs: Sequence[Path]) -> list[tuple[str, Path]]:
    """(name, folder) of every scenario folder under `dirs`, in a stable order.

    A directory holding an expect.yaml is a scenario; any other directory is searched recursively
    (a scenario folder's own subfolders are events, never further scenarios)."""
    found: list[tuple[str, Path]] = []
    for root in dirs:
        if root.is_file() and root.name in EXPECT_NAMES:
            root = root.parent
        if not root.is_dir():
            raise UsageError(f"{root.as_posix()}: no such scenario folder")
        if _expect_file(root) is not None:
            found.append((root.name, root))
            continue
        before = len(found)
        stack = [root]
        while stack:
            cur = stack.pop()
            for sub in sorted((p for p in cur.iterdir() if p.is_dir()), reverse=True):
                if sub.name.startswith("."):
                    continue
                if _expect_file(sub) is not None:
                    found.append((sub.relative_to(root).as_posix(), sub))
                else:
                    stack.append(sub)
        if len(found) == before:
            raise UsageError(f"{root.as_posix()}: no scenario folder (a folder with an expect.yaml) below it")
        found[before:] = sorted(found[before:])
    return found


@dataclass(frozen=True)
class Scenario:
    """One scenario folder, its expectations (validated) and the event references to read."""

    name: str
    folder: Path
    expect_file: str
    expect: dict[str, Any]
    lines: dict[Path_, int]
    events: tuple[str, ...]

    def where(self, path: Path_) -> str:
        return f"{self.expect_file}:{line_for(self.lines, path)}: {format_path(path)}"


def load_scenario(name: str, folder: Path, policy: Policy) -> Scenario:
    """Read and validate a scenario's expect.yaml against the schema and the policy's names."""
    efile = _expect_file(folder)
    if efile is None:
        raise InputError(f"{folder.as_posix()}: no expect.yaml")
    shown = efile.as_posix()
    try:
        data = efile.read_bytes()
    except OSError as e:
        raise InputError(f"{shown}: cannot read: {e.strerror}") from None
    obj, lines, fail = load_located(data, shown, InputError)

    if not isinstance(obj, dict):
        raise InputError(f"{shown}:1: expect.yaml must be a YAML mapping (at least `verdict: pass|blocked`)")
    _schema_check(obj, fail)
    _names_check(obj, policy, fail)
    events = _event_refs(folder, obj, fail)
    return Scenario(name, folder, shown, obj, lines, events)


def _schema_check(obj: dict[str, Any], fail: Callable[[Path_, str], InputError]) -> None:
    err = first_error(expect_schema(), obj)
    if err is None:
        return
    path = tuple(err.absolute_path)
    common = common_message(err)
    if common is not None:
        raise fail(*common)
    raise fail(path, err.message)


def _names_check(obj: dict[str, Any], policy: Policy, fail: Callable[[Path_, str], InputError]) -> None:
    derived = policy.derived_types()
    watchers = {p.id for p in policy.patterns}
    ids = {r.id for r in policy.rules} | {c.id for c in policy.compositions}

    def check(name: str, known: set[str], path: Path_, what: str) -> None:
        if name in known:
            return
        if what == "a derived type" and name in policy.types:
            raise fail(
                path, f"{name!r} is a leaf type of policy {policy.name}: only derived types are counted"
            )
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        raise fail(path, f"{name!r} is not {what} of policy {policy.name}{more}")

    for t in obj.get("counts") or {}:
        check(t, derived, ("counts", t), "a derived type")
    for i, t in enumerate(obj.get("not_derived") or []):
        check(t, derived, ("not_derived", i), "a derived type")
    for i, c in enumerate(obj.get("conclusions") or []):
        check(c["type"], derived, ("conclusions", i, "type"), "a derived type")
        if "rule" in c:
            check(c["rule"], ids, ("conclusions", i, "rule"), "a rule or composition id")
        if "timestamp" in c:
            _timestamp(c["timestamp"], ("conclusions", i, "timestamp"), fail)
    for i, m in enumerate(obj.get("pattern_matches") or []):
        check(m["watcher"], watchers, ("pattern_matches", i, "watcher"), "a pattern watcher id")
        if "timestamp" in m:
            _timestamp(m["timestamp"], ("pattern_matches", i, "timestamp"), fail)
    for w in obj.get("pattern_match_counts") or {}:
        check(w, watchers, ("pattern_match_counts", w), "a pattern watcher id")
    counted = set(obj.get("counts") or {})
    for i, t in enumerate(obj.get("not_derived") or []):
        if t in counted:
            raise fail(("not_derived", i), f"{t!r} also has a count under counts; state it once")


def _timestamp(text: str, path: Path_, fail: Callable[[Path_, str], InputError]) -> int:
    try:
        return parse_timestamp(text)
    except TimeFormatError as e:
        raise fail(path, str(e)) from None


def _event_refs(
    folder: Path, obj: dict[str, Any], fail: Callable[[Path_, str], InputError]
) -> tuple[str, ...]:
    if "events" in obj:
        refs = []
        for i, rel in enumerate(obj["events"]):
            p = folder / rel
            if not p.exists():
                raise fail(("events", i), f"{p.as_posix()}: no such file or folder")
            refs.append(p.as_posix())
        return tuple(refs)
    refs = [
        p.as_posix()
        for p in sorted(folder.iterdir())
        if p.name not in EXPECT_NAMES and not p.name.startswith(".") and p.suffix.lower() not in _NOT_EVENTS
    ]
    if not refs:
        raise InputError(f"{folder.as_posix()}: the scenario has no event file beside its expect.yaml")
    return tuple(refs)


# -- what the report says ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Actual:
    """One derived event or pattern match of the report, reduced to what expectations compare."""

    type: str
    ts: int
    partition: str | None
    rule: str = ""
    leaves: tuple[str, ...] = ()
    occurrence: int = 0

    def describe(self, with_leaves: bool = True) -> str:
        part = "" if self.partition is None else f" [{self.partition}]"
        text = f"{self.type} @ {format_timestamp(self.ts)}{part}"
        if self.rule:
            text += f" by {self.rule}"
        if self.occurrence:
            text += f" occurrence {self.occurrence}"
        if with_leaves and self.leaves:
            text += f" leaves={_ids(self.leaves)}"
        return text


def _ids(ids: Iterable[str]) -> str:
    items = list(ids)
    shown = ", ".join(items[:_SHOW_LEAVES])
    if len(items) > _SHOW_LEAVES:
        shown += f", ... (+{len(items) - _SHOW_LEAVES})"
    return f"[{shown}]"


def actual_derived(report: Mapping[str, Any]) -> list[Actual]:
    out: list[Actual] = []
    for part in report["partitions"]:
        name = part["partition"]
        by_id = {d["id"]: d for d in part["derived"]}
        memo: dict[str, frozenset[str]] = {}

        def leaves(
            i: str, by_id: dict[str, Any] = by_id, memo: dict[str, frozenset[str]] = memo
        ) -> frozenset[str]:
            # Iterative post-order: deep hierarchies must not hit the recursion limit.
            stack = [i]
            while stack:
                cur = stack[-1]
                if cur in memo:
                    stack.pop()
                    continue
                pending = [c for c in by_id[cur]["children"] if c in by_id and c not in memo]
                if pending:
                    stack.extend(pending)
                    continue
                acc: set[str] = set()
                for c in by_id[cur]["children"]:
                    acc |= memo[c] if c in by_id else {c}
                memo[cur] = frozenset(acc)
                stack.pop()
            return memo[i]

        for d in part["derived"]:
            out.append(
                Actual(
                    d["type"],
                    parse_timestamp(d["timestamp"]),
                    name,
                    d["rule"],
                    tuple(sorted(leaves(d["id"]))),
                )
            )
    return out


def actual_matches(report: Mapping[str, Any]) -> list[Actual]:
    return [
        Actual(m["watcher"], parse_timestamp(m["timestamp"]), part["partition"], occurrence=m["occurrence"])
        for part in report["partitions"]
        for m in part["pattern_matches"]
    ]


# -- comparison -------------------------------------------------------------------------------------


Problem = tuple[int, list[str]]  # (expect.yaml line, the problem's text lines)


def compare(scenario: Scenario, report: Mapping[str, Any]) -> list[str]:
    """Problem lines (none: the scenario passes) in expect.yaml order, each naming the line it contradicts."""
    exp = scenario.expect
    problems: list[Problem] = []

    def add(path: Path_, first: str, more: Iterable[str] = ()) -> None:
        problems.append((line_for(scenario.lines, path), [f"{scenario.where(path)}: {first}", *more]))

    status = report["verdict"]["status"]
    if status != exp["verdict"]:
        blocking = report["verdict"]["blocking"]
        why = ""
        if blocking:
            why = " (blocking: " + ", ".join(
                f"{b['type']} @ {b['timestamp']}" for b in blocking[:_SHOW_EVENTS]
            )
            why += ", ..." if len(blocking) > _SHOW_EVENTS else ""
            why += ")"
        add(("verdict",), f"expected {exp['verdict']}, got {status}{why}")
    derived = actual_derived(report)
    matches = actual_matches(report)
    by_type: dict[str, list[Actual]] = {}
    for d in derived:
        by_type.setdefault(d.type, []).append(d)
    by_watcher: dict[str, list[Actual]] = {}
    for m in matches:
        by_watcher.setdefault(m.type, []).append(m)
    for t, n in (exp.get("counts") or {}).items():
        _count_problem(add, ("counts", t), n, by_type.get(t, []))
    for i, t in enumerate(exp.get("not_derived") or []):
        _count_problem(add, ("not_derived", i), 0, by_type.get(t, []), t)
    for w, n in (exp.get("pattern_match_counts") or {}).items():
        _count_problem(add, ("pattern_match_counts", w), n, by_watcher.get(w, []))
    _match_items(add, "conclusions", exp.get("conclusions") or [], derived, "type")
    _match_items(add, "pattern_matches", exp.get("pattern_matches") or [], matches, "watcher")
    problems.sort(key=lambda p: p[0])  # stable: equal lines keep the order above
    return [line for _, lines in problems for line in lines]


Adder = Callable[[Path_, str, Iterable[str]], None]


def _count_problem(
    add: Adder, path: Path_, expected: int, got: list[Actual], name: str | None = None
) -> None:
    if len(got) == expected:
        return
    listing = ", ".join(a.describe(with_leaves=False) for a in got[:_SHOW_EVENTS])
    if len(got) > _SHOW_EVENTS:
        listing += f", ... (+{len(got) - _SHOW_EVENTS})"
    lead = f"expected {expected}, got {len(got)}"
    if name is not None:
        lead = f"{name} must not be derived, got {len(got)}"
    add(path, lead + (f": {listing}" if listing else ""), ())


def _accepts(item: Mapping[str, Any], a: Actual) -> bool:
    if "timestamp" in item and parse_timestamp(item["timestamp"]) != a.ts:
        return False
    if "partition" in item and item["partition"] != a.partition:
        return False
    if "rule" in item and item["rule"] != a.rule:
        return False
    if "occurrence" in item and item["occurrence"] != a.occurrence:
        return False
    if "leaves" in item and set(item["leaves"]) != set(a.leaves):
        return False
    return not ("includes" in item and not set(item["includes"]) <= set(a.leaves))


def _assign(items: Sequence[Mapping[str, Any]], candidates: Sequence[Sequence[int]]) -> list[int | None]:
    """A maximum matching of expected items to distinct actual events (Kuhn's augmenting paths)."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(items)):
        augment(i, set())
    result: list[int | None] = [None] * len(items)
    for j, i in owner.items():
        result[i] = j
    return result


def _match_items(
    add: Adder, key: str, items: Sequence[Mapping[str, Any]], actual: Sequence[Actual], name_key: str
) -> None:
    if not items:
        return
    candidates = [
        [j for j, a in enumerate(actual) if a.type == item[name_key] and _accepts(item, a)] for item in items
    ]
    assigned = _assign(items, candidates)
    taken = {j for j in assigned if j is not None}
    plural = "derived events" if key == "conclusions" else "pattern matches"
    for i, item in enumerate(items):
        if assigned[i] is not None:
            continue
        if candidates[i]:
            add((key, i), f"matches only {plural} that other entries already claim: {_expected(item)}", ())
            continue
        more = [f"  expected: {_expected(item)}"]
        same = [j for j, a in enumerate(actual) if a.type == item[name_key]]
        if not same:
            more.append(f"  actual:   no {item[name_key]} at all")
        else:
            free = [j for j in same if j not in taken] or same
            best = max(free, key=lambda j: _closeness(item, actual[j]))
            more.append(f"  closest:  {actual[best].describe()}")
            more.extend(f"    {d}" for d in _differences(item, actual[best]))
            if len(same) > 1:
                more.append(f"  ({len(same) - 1} other {item[name_key]} {plural.split()[-1]})")
        add((key, i), "not found", more)


def _expected(item: Mapping[str, Any]) -> str:
    name = item.get("type") or item.get("watcher")
    text = str(name)
    if "timestamp" in item:
        text += f" @ {format_timestamp(parse_timestamp(item['timestamp']))}"
    if "partition" in item:
        text += f" [{item['partition']}]" if item["partition"] is not None else " [no lineage]"
    if "rule" in item:
        text += f" by {item['rule']}"
    if "occurrence" in item:
        text += f" occurrence {item['occurrence']}"
    if "leaves" in item:
        text += f" leaves={_ids(sorted(item['leaves']))}"
    if "includes" in item:
        text += f" includes={_ids(sorted(item['includes']))}"
    return text


def _closeness(item: Mapping[str, Any], a: Actual) -> tuple[int, int, int]:
    ts = "timestamp" not in item or parse_timestamp(item["timestamp"]) == a.ts
    part = "partition" not in item or item["partition"] == a.partition
    want = set(item.get("leaves") or ()) | set(item.get("includes") or ())
    overlap = len(want & set(a.leaves))
    near = -abs(parse_timestamp(item["timestamp"]) - a.ts) if "timestamp" in item else 0
    return (int(ts) + int(part), overlap, near)


def _differences(item: Mapping[str, Any], a: Actual) -> list[str]:
    out = []
    if "timestamp" in item and parse_timestamp(item["timestamp"]) != a.ts:
        out.append(
            f"timestamp: expected {format_timestamp(parse_timestamp(item['timestamp']))}, "
            f"got {format_timestamp(a.ts)}"
        )
    if "partition" in item and item["partition"] != a.partition:
        out.append(f"partition: expected {item['partition']!r}, got {a.partition!r}")
    if "rule" in item and item["rule"] != a.rule:
        out.append(f"rule: expected {item['rule']}, got {a.rule}")
    if "occurrence" in item and item["occurrence"] != a.occurrence:
        out.append(f"occurrence: expected {item['occurrence']}, got {a.occurrence}")
    if "leaves" in item and set(item["leaves"]) != set(a.leaves):
        missing = sorted(set(item["leaves"]) - set(a.leaves))
        extra = sorted(set(a.leaves) - set(item["leaves"]))
        if missing:
            out.append(f"leaves missing:    {_ids(missing)}")
        if extra:
            out.append(f"leaves unexpected: {_ids(extra)}")
    if "includes" in item:
        missing = sorted(set(item["includes"]) - set(a.leaves))
        if missing:
            out.append(f"includes missing:  {_ids(missing)}")
    return out


# -- running ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    name: str
    folder: Path
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class TestRun:
    policy: str
    outcomes: tuple[Outcome, ...]

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 else 1


def run_tests(policy_ref: str, dirs: Sequence[Path]) -> TestRun:
    """Validate every scenario first (any invalid expect.yaml: InputError, exit 2), then run each."""
    from gate.run import CheckRequest, check  # late: gate.run imports gate.policy and every source

    policy = load_policy(policy_ref)
    scenarios = [load_scenario(name, folder, policy) for name, folder in discover(dirs)]
    names = Counter(s.name for s in scenarios)
    outcomes = []
    for s in scenarios:
        shown = s.name if names[s.name] == 1 else s.folder.as_posix()
        report = check(CheckRequest(events=s.events, policy=policy_ref)).report
        outcomes.append(Outcome(shown, s.folder, tuple(compare(s, report))))
    return TestRun(policy.name, tuple(outcomes))


def render(run: TestRun) -> str:
    """One line per scenario, the problems of each failure indented below it, then `N passed, N failed`."""
    lines = []
    for o in run.outcomes:
        if o.ok:
            lines.append(f"ok   {o.name}")
        else:
            lines.append(f"FAIL {o.name}")
            lines.extend(f"  {p}" for p in o.problems)
    lines.append(f"{run.passed} passed, {run.failed} failed")
    return "\n".join(lines) + "\n"
