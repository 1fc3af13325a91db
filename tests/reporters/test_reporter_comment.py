"""The sticky PR comment: marker, what to look at, how to waive, the size cap, the resolved body."""

from __future__ import annotations

import copy
from typing import Any

from gate.reporters import comment

RUN = "https://github.com/acme/models/actions/runs/77"


def test_marker_first_and_waiver_command(blocked_report: dict[str, Any]) -> None:
    body = comment.render(blocked_report, run_url=RUN)
    assert body.startswith(comment.MARKER + "\n")
    cid = blocked_report["verdict"]["blocking"][0]["id"]
    assert f"synapse-gate waive {cid} --by NAME --reason TEXT --expires YYYY-MM-DD\n" in body
    assert f"[job summary of this run]({RUN})" in body
    # the evidence to look at, with where each event was read
    assert "`run-7` `run_started` at 2024-05-20T09:00:00Z: `events/runs.jsonl:7`" in body


def test_waiver_ids_are_shell_quoted(blocked_report: dict[str, Any]) -> None:
    blocked_report["verdict"]["blocking"][0]["id"] = "id with space;rm"
    assert "synapse-gate waive 'id with space;rm' --by" in comment.render(blocked_report)


def test_waiver_command_repeats_the_checks_arguments(blocked_report: dict[str, Any]) -> None:
    blocked_report["request"] = {"policy": "my policy.yaml", "waivers": "waivers.yaml"}
    blocked_report["sources"] = {"refs": ["events/a.jsonl"]}
    body = comment.render(blocked_report)
    assert "--expires YYYY-MM-DD --waivers waivers.yaml --policy 'my policy.yaml' events/a.jsonl\n" in body


def test_evidence_is_capped_to_the_latest(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    c = report["verdict"]["blocking"][0]
    for i in range(30):
        leaf = f"old-{i:02d}"
        report["leaves"][leaf] = {"type": "run_started", "timestamp": f"2024-04-{i % 28 + 1:02d}T00:00:00Z"}
        c["evidence"].append(leaf)
    body = comment.render(report, run_url=RUN)
    assert "`run-7`" in body  # the latest evidence is kept
    assert f"28 earlier event(s): see the [job summary]({RUN})" in body


def test_under_githubs_limit(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    long_type = "governance_action_required_" + "x" * 3000
    report["verdict"]["blocking"] = [
        {**report["verdict"]["blocking"][0], "id": f"c{i}", "type": long_type} for i in range(60)
    ]
    body = comment.render(report)
    assert len(body) <= comment.COMMENT_LIMIT < 65_536
    assert body.startswith(comment.MARKER)
    assert "This comment was cut to stay under GitHub's size limit" in body


def test_resolved_body(blocked_report: dict[str, Any]) -> None:
    blocked_report["verdict"].update(status="pass", would_block=False, blocking=[])
    body = comment.render_resolved(blocked_report, run_url=RUN)
    assert body.startswith(comment.MARKER + "\n" + comment.RESOLVED_HEADING)
    assert f"passes as of [this run]({RUN})" in body


def test_golden_comment(blocked_report: dict[str, Any], golden: Any) -> None:
    golden("comment.md", comment.render(blocked_report, run_url=RUN))
