"""The job summary: verdict first, the lineage table, a flowchart per blocking conclusion, the size cap."""

from __future__ import annotations

import copy
import re
from typing import Any

from gate.reporters import REPORTERS, markdown


def test_verdict_comes_first(blocked_report: dict[str, Any]) -> None:
    lines = markdown.render(blocked_report).splitlines()
    assert lines[0] == "## synapse-gate"
    assert lines[2].startswith("❌ **Release blocked**: 1 blocking conclusion, 2 warnings, 0 waived.")


def test_pass_and_warn_only_headlines(blocked_report: dict[str, Any]) -> None:
    warn_only = copy.deepcopy(blocked_report)
    warn_only["verdict"].update(status="pass", warn_only=True)
    assert "⚠️ **Pass (warn-only)**: the release would be blocked" in markdown.render(warn_only)
    passing = copy.deepcopy(blocked_report)
    passing["verdict"].update(status="pass", would_block=False, blocking=[])
    text = markdown.render(passing)
    assert "✅ **Pass**: 0 blocking conclusions" in text
    assert "```mermaid" not in text


def test_flowchart_edges_carry_rule_and_window(blocked_report: dict[str, Any]) -> None:
    text = markdown.render(blocked_report)
    chart = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert chart.startswith("flowchart LR\n")
    assert '-->|"data_risk_cluster · 24h"|' in chart
    assert '-->|"spec_drift · 48h"|' in chart  # one window shown once, though three terms use it
    assert '-->|"governance_action · 21d"|' in chart
    # every leaf of the evidence is drawn, with where it was read
    assert "events/runs.jsonl:7" in chart and "flag-1" in chart


def test_composition_edges_say_within(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    part = report["partitions"][0]
    gov = next(d for d in part["derived"] if d["type"] == "governance_action_required")
    drift = next(d for d in part["derived"] if d["type"] == "spec_drift_signal")
    gate_event = {
        "id": "gate-1",
        "type": "release_gate_triggered",
        "domain": "governance",
        "timestamp": gov["timestamp"],
        "rule": "release_gate",
        "kind": "composition",
        "children": [drift["id"], gov["id"]],
        "props": {},
    }
    part["derived"].append(gate_event)
    conclusion = {**report["verdict"]["blocking"][0], "id": "gate-1", "type": "release_gate_triggered"}
    report["verdict"]["blocking"] = [conclusion]
    assert '-->|"release_gate · within 14d"|' in markdown.flowchart(report, conclusion)


def test_mermaid_labels_are_escaped(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    report["leaves"]['run-"7"'] = report["leaves"].pop("run-7")
    report["origins"]['run-"7"'] = report["origins"].pop("run-7")
    for d in report["partitions"][0]["derived"]:
        d["children"] = ['run-"7"' if c == "run-7" else c for c in d["children"]]
    chart = markdown.flowchart(report, report["verdict"]["blocking"][0])
    assert "run-#quot;7#quot;" in chart
    assert 'run-"7"' not in chart


def test_lineage_table_lists_each_lineage_and_type(blocked_report: dict[str, Any]) -> None:
    table = markdown.lineage_table(blocked_report)
    assert (
        "| `llama-ft-a` | 9 | `governance_action_required` | 1 | 2024-05-20T09:00:00Z | **blocking** |"
        in table
    )
    assert "| `llama-ft-a` | 9 | `spec_drift_signal` | 1 | 2024-05-02T11:00:00Z | warning |" in table


def test_free_text_cannot_inject_markup(blocked_report: dict[str, Any]) -> None:
    blocked_report["messages"][0]["text"] = "ping @org/team <img src=x> | [x](javascript:alert(1))"
    text = markdown.render(blocked_report)
    assert "@org/team" not in text and "&#64;org/team" in text
    assert re.search(r"(?<!\\)<img", text) is None and "\\<img" in text
    assert re.search(r"(?<!\\)\[x\]\(", text) is None


def test_stays_under_the_limit_with_a_note(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    base = report["verdict"]["blocking"][0]
    report["verdict"]["blocking"] = [{**base, "partition": base["partition"]} for _ in range(400)]
    whole = markdown.render(report, limit=10**9)
    assert len(whole.encode()) > 1_048_576  # the case is real: uncapped it passes GitHub's 1 MiB
    capped = markdown.render(report)
    assert len(capped.encode()) <= markdown.SUMMARY_LIMIT < 1_048_576
    assert capped.startswith("## synapse-gate\n\n❌ **Release blocked**")
    assert "This summary was cut to stay under GitHub's 1 MiB limit" in capped
    left = capped.split("limit: ", 1)[1].split(" of ", 1)[0]
    assert int(left) > 0


def test_big_derivations_are_not_drawn(blocked_report: dict[str, Any]) -> None:
    report = copy.deepcopy(blocked_report)
    root = report["verdict"]["blocking"][0]
    d = next(d for d in report["partitions"][0]["derived"] if d["id"] == root["id"])
    for i in range(markdown.MAX_DIAGRAM_NODES):
        leaf = f"extra-{i}"
        report["leaves"][leaf] = {"type": "run_started", "timestamp": "2024-05-20T09:00:00Z", "lineage": None}
        d["children"].append(leaf)
    text = markdown.flowchart(report, root)
    assert "too many to draw" in text and "```mermaid" not in text


def test_registered_for_the_cli() -> None:
    assert REPORTERS["markdown"] is markdown.render


def test_golden_summary(blocked_report: dict[str, Any], golden: Any) -> None:
    golden("summary.md", markdown.render(blocked_report))
