"""Determinism properties (SPEC 3.1, 6): the report depends only on the set of events.

Shuffling, splitting across files of mixed formats and duplicating events give a byte-identical
JSON report apart from the sections that record where leaves were read; adding events of
undeclared types changes nothing but the input counts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from helpers import CASES, run_check, without_locations
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.report import dumps

CASE_NAMES = ["example", "ties", "lineage_2", "window_bounds", "long_gaps"]
EVENTS = {
    n: [json.loads(x) for x in (CASES / n / "events.jsonl").read_text().splitlines() if x] for n in CASE_NAMES
}
POLICIES = ["spec-locked-drift", "spec-locked-drift-literal"]
BASELINE = {
    (n, p): dumps(without_locations(run_check(CASES / n / "events.jsonl", policy=p).report))
    for n in CASE_NAMES
    for p in POLICIES
}


def write(folder: Path, index: int, fmt: str, events: list[dict]) -> Path:
    if fmt == "jsonl":
        path = folder / f"part{index}.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    elif fmt == "json":
        path = folder / f"part{index}.json"
        path.write_text(json.dumps(events, indent=2), encoding="utf-8")
    else:
        path = folder / f"part{index}.yaml"
        path.write_text(yaml.safe_dump(events, sort_keys=False), encoding="utf-8")
    return path


@st.composite
def layouts(draw):
    name = draw(st.sampled_from(CASE_NAMES))
    events = draw(st.permutations(EVENTS[name]))
    dups = draw(st.lists(st.sampled_from(events), max_size=5))
    records = events + dups
    n_files = draw(st.integers(1, 4))
    where = draw(st.lists(st.integers(0, n_files - 1), min_size=len(records), max_size=len(records)))
    formats = draw(st.lists(st.sampled_from(["jsonl", "json", "yaml"]), min_size=n_files, max_size=n_files))
    policy = draw(st.sampled_from(POLICIES))
    return name, policy, records, where, formats, len(dups)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(layouts())
def test_file_layout_never_changes_the_report(layout):
    name, policy, records, where, formats, n_dups = layout
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for i, fmt in enumerate(formats):
            chunk = [r for r, w in zip(records, where, strict=True) if w == i]
            if chunk:
                paths.append(write(folder, i, fmt, chunk))
        result = run_check(*paths, policy=policy)
    assert dumps(without_locations(result.report)) == BASELINE[(name, policy)]
    assert result.report["sources"]["records"] == len(records)
    assert result.report["sources"]["merged_duplicates"] == n_dups


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    st.sampled_from(CASE_NAMES),
    st.lists(
        st.tuples(
            st.sampled_from(["deploy_note", "eval_regresion_observed", "x_custom"]), st.integers(0, 10**6)
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_undeclared_types_change_only_input_counts(name, extra):
    noise = [
        {"type": t, "timestamp": f"2026-01-0{1 + s % 9}T00:00:{s % 60:02d}Z", "props": {"n": s}}
        for t, s in extra
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS[name] + noise), encoding="utf-8")
        report = run_check(path).report
    base = json.loads(BASELINE[(name, "spec-locked-drift")])
    for key in ("verdict", "leaves", "policy"):
        assert report[key] == base[key], key
    # Per partition, only the count of events read changes.
    strip = lambda parts: [{k: v for k, v in p.items() if k != "events"} for p in parts]  # noqa: E731
    assert strip(report["partitions"]) == strip(base["partitions"])
    unknown = {t for t, _ in extra}
    assert set(report["inputs"]["unknown_types"]) == unknown
    assert report["inputs"]["events"] == base["inputs"]["events"] + len(
        {json.dumps(e, sort_keys=True) for e in noise}
    )


def test_report_is_byte_identical_across_runs():
    a = dumps(run_check(CASES / "many_runs_20" / "events.jsonl").report)
    b = dumps(run_check(CASES / "many_runs_20" / "events.jsonl").report)
    assert a == b
