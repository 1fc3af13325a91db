"""History scoping: --since / --until bound the leaf evidence considered; the report records the window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gov_support import AS_OF, invoke

from gate.run import CheckRequest, check


def rep(events: Path, **kw: Any) -> dict[str, Any]:
    kw.setdefault("as_of", AS_OF)
    return check(CheckRequest(events=(str(events),), **kw)).report


def test_dates_bound_the_evidence_inclusively(example: Path) -> None:
    full = rep(example)
    r = rep(example, since="2026-01-06", until="2026-01-09")
    w = r["inputs"]["window"]
    assert w["since"] == "2026-01-06T00:00:00Z"
    assert w["until"] == "2026-01-09T23:59:59.999999999Z"  # through the end of the day
    assert (w["since_arg"], w["until_arg"]) == ("2026-01-06", "2026-01-09")
    # r2-ufm (01-06), r2-ecr and run 3's eight events (01-07), r3-ufm (01-09): 11 of 30.
    assert (w["considered"], w["excluded"]) == (11, 19)
    # The input digest covers everything read, not only what the window kept.
    assert r["inputs"]["digest"] == full["inputs"]["digest"] and r["inputs"]["events"] == 30
    assert len(r["verdict"]["blocking"]) == 1 and len(full["verdict"]["blocking"]) == 4
    leaves = set(r["verdict"]["blocking"][0]["evidence"])
    assert leaves == {"r2-ufm", "r2-ecr", "r3-rs", "r3-er1", "r3-er2", "r3-scv"}


def test_a_duration_counts_back_from_the_end_of_the_as_of_day(example: Path) -> None:
    r = rep(example, as_of="2026-01-10", since="3d")
    assert r["inputs"]["window"]["since"] == "2026-01-08T00:00:00Z"
    assert r["inputs"]["window"]["considered"] == 2  # r3-ufm (01-09) and r3-ecr (01-10)
    assert r["verdict"]["status"] == "pass"
    r = rep(example, as_of="2026-01-10", until="9d")
    assert r["inputs"]["window"]["until"] == "2026-01-01T23:59:59.999999999Z"


def test_rfc3339_bounds_are_exact(example: Path) -> None:
    r = rep(example, since="2026-01-01T09:30:00Z", until="2026-01-01T11:00:00+00:00")
    assert r["inputs"]["window"]["considered"] == 3  # r1-dpf1 09:30, r1-er1 10:30, r1-dpf2 11:00


def test_no_window_considers_everything(example: Path) -> None:
    w = rep(example)["inputs"]["window"]
    assert w == {
        "since": None,
        "until": None,
        "since_arg": None,
        "until_arg": None,
        "lineages": [],
        "considered": 30,
        "excluded": 0,
    }


def test_lineage_filter_is_recorded(lineages: Path) -> None:
    r = rep(lineages, lineages=("beta",))
    assert r["inputs"]["window"]["lineages"] == ["beta"]
    assert [c["partition"] for c in r["verdict"]["blocking"]] == ["beta"]


def test_bad_windows_are_usage_errors(example: Path) -> None:
    res = invoke(["check", "--since", "2026-01-09", "--until", "2026-01-08", example], expect=2)
    assert (
        "--since 2026-01-09 (2026-01-09T00:00:00Z) is after "
        "--until 2026-01-08 (2026-01-08T23:59:59.999999999Z)" in res.stderr
    )
    res = invoke(["check", "--since", "last week", example], expect=2)
    assert "--since: 'last week' is not an RFC 3339 timestamp" in res.stderr
    res = invoke(["check", "--until", "2026-01-08T10:00:00", example], expect=2)
    assert "--until: '2026-01-08T10:00:00' has no UTC offset" in res.stderr
    res = invoke(["check", "--since", "2026-02-30", example], expect=2)
    assert "--since '2026-02-30': not a date; write YYYY-MM-DD" in res.stderr


def test_cli_options_reach_the_report(example: Path) -> None:
    out = invoke(
        ["check", "--format", "json", "--as-of", AS_OF, "--since", "15d", "--until", "2026-01-09", example],
        expect=1,
    ).stdout
    w = json.loads(out)["inputs"]["window"]
    assert (w["since"], w["until"], w["since_arg"]) == (
        "2026-01-06T00:00:00Z",
        "2026-01-09T23:59:59.999999999Z",
        "15d",
    )
