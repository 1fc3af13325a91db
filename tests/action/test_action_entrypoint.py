"""The entrypoint run as the runner runs a container action, against a fake GitHub API on loopback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from action_support import BOT, CLEAN, HEAD_SHA, PR_NUMBER, REPO, TOKEN, FakeGitHub, run_action

from gate.reporters.comment import MARKER, RESOLVED_HEADING

COMMENTS = rf"/repos/{REPO}/issues/{PR_NUMBER}/comments"
EVENTS = {"events": "events/history.jsonl"}


def _assert_token_nowhere(run: object, fake: FakeGitHub) -> None:
    """The token is only in the ::add-mask:: command (consumed by the runner) and the Authorization header."""
    stdout = run.stdout  # type: ignore[attr-defined]
    lines_with_token = [line for line in stdout.splitlines() if TOKEN in line]
    assert lines_with_token == [f"::add-mask::{TOKEN}"]
    assert stdout.splitlines()[0] == f"::add-mask::{TOKEN}"  # masked before anything else is printed
    assert TOKEN not in run.stderr  # type: ignore[attr-defined]
    assert TOKEN not in run.files_text()  # type: ignore[attr-defined]
    for r in fake.requests:
        assert TOKEN not in r.path + r.query + json.dumps(r.body)
        assert r.headers.get("Authorization") == f"Bearer {TOKEN}"
        assert r.headers.get("Accept") == "application/vnd.github+json"
        assert r.headers.get("X-Github-Api-Version") == "2022-11-28"


def test_blocked_run_annotates_summarises_outputs_and_creates_the_comment(
    workspace: Path, github: FakeGitHub
) -> None:
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1, run.stderr
    assert run.outputs["verdict"] == "blocked"
    assert run.outputs["blocked"] == "true"
    assert run.outputs["blocking-types"] == "governance_action_required"
    assert run.outputs["report"] == "synapse-gate-report.json"
    assert json.loads(run.outputs["counts"])["blocking"] == 1
    report = json.loads((workspace / "synapse-gate-report.json").read_text(encoding="utf-8"))
    assert report["verdict"]["status"] == "blocked"
    assert (
        "::error file=events/history.jsonl,line=8,title=Release blocked%3A governance_action_required::"
        in run.stdout
    )
    assert run.summary.startswith("## synapse-gate\n\n❌ **Release blocked**")
    assert "```mermaid" in run.summary
    assert len(github.comments) == 1
    body = github.comments[0]["body"]
    assert body.startswith(MARKER) and github.comments[0]["user"]["login"] == BOT
    assert "https://github.example/acme/models/actions/runs/7001" in body
    cid = report["verdict"]["blocking"][0]["id"]
    assert (
        f"synapse-gate waive {cid} --by NAME --reason TEXT --expires YYYY-MM-DD events/history.jsonl\n"
        in body
    )
    assert len(github.seen("POST", COMMENTS)) == 1
    _assert_token_nowhere(run, github)


def test_second_run_updates_the_same_comment(workspace: Path, github: FakeGitHub) -> None:
    first = run_action(workspace, github.url, EVENTS)
    assert first.code == 1
    github.comments[0]["body"] += "\n(edited by hand)"
    second = run_action(workspace, github.url, EVENTS)
    assert second.code == 1
    assert len(github.comments) == 1
    assert len(github.seen("POST", COMMENTS)) == 1
    patches = github.seen("PATCH", rf"/repos/{REPO}/issues/comments/\d+")
    assert len(patches) == 1 and patches[0].path.endswith(f"/{github.comments[0]['id']}")
    assert "(edited by hand)" not in github.comments[0]["body"]


def test_pagination_past_100_comments_finds_the_sticky_one(workspace: Path, github: FakeGitHub) -> None:
    for i in range(230):
        github.add_comment(f"review comment {i}", "reviewer")
    # someone else quoting the marker does not count: only the token's own comments do
    github.add_comment(f"{MARKER}\nspoofed", "mallory")
    sticky = github.add_comment(f"{MARKER}\nold body", BOT)
    for i in range(20):
        github.add_comment(f"later comment {i}", "reviewer")
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1, run.stderr
    pages = github.seen("GET", COMMENTS)
    assert len(pages) == 3  # 252 comments, 100 a page
    assert "per_page=100" in pages[0].query and "page=3" in pages[2].query
    assert github.seen("POST", COMMENTS) == []
    assert sticky["body"].startswith(MARKER) and "old body" not in sticky["body"]
    assert next(c for c in github.comments if c["user"]["login"] == "mallory")["body"].endswith("spoofed")


def test_personal_token_identity_comes_from_get_user(workspace: Path, github: FakeGitHub) -> None:
    github.login = "release-bot"
    github.add_comment(f"{MARKER}\nby the actions bot, not this token", BOT)
    mine = github.add_comment(f"{MARKER}\nmine", "release-bot")
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1
    assert "mine" not in mine["body"] and github.seen("POST", COMMENTS) == []


def test_403_on_the_comment_is_one_warning_and_changes_nothing(workspace: Path, github: FakeGitHub) -> None:
    github.fail("POST", COMMENTS, 403)
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1, run.stderr
    assert run.outputs["verdict"] == "blocked"
    warnings = [
        line for line in run.stdout.splitlines() if "could not update the pull-request comment" in line
    ]
    assert len(warnings) == 1 and warnings[0].startswith("::warning title=synapse-gate::")
    assert "fork" in warnings[0]
    assert "Traceback" not in run.stderr
    _assert_token_nowhere(run, github)


def test_403_on_a_passing_run_keeps_exit_code_zero(workspace: Path, github: FakeGitHub) -> None:
    (workspace / "events" / "history.jsonl").write_text(CLEAN, encoding="utf-8")
    github.add_comment(f"{MARKER}\nblocked before", BOT)
    github.fail("PATCH", rf"/repos/{REPO}/issues/comments/\d+", 403)
    github.fail("POST", rf"/repos/{REPO}/check-runs", 403)
    run = run_action(workspace, github.url, {**EVENTS, "check-run": "true"})
    assert run.code == 0, run.stdout + run.stderr
    assert run.outputs["verdict"] == "pass"
    assert sum("::warning title=synapse-gate::could not" in line for line in run.stdout.splitlines()) == 2


def test_502_then_200_succeeds_after_a_retry(workspace: Path, github: FakeGitHub) -> None:
    github.fail("GET", COMMENTS, 502)
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1
    assert len(github.seen("GET", COMMENTS)) == 2
    assert len(github.comments) == 1
    assert "::warning" not in run.stdout.replace("::warning file=", "")  # no publishing warning


def test_secondary_rate_limit_is_waited_out(workspace: Path, github: FakeGitHub) -> None:
    github.fail("POST", COMMENTS, 403, headers={"Retry-After": "1"})
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 1
    assert len(github.seen("POST", COMMENTS)) == 2
    assert len(github.comments) == 1
    assert "could not update" not in run.stdout


def test_passing_again_marks_the_comment_resolved(workspace: Path, github: FakeGitHub) -> None:
    run_action(workspace, github.url, EVENTS)
    (workspace / "events" / "history.jsonl").write_text(CLEAN, encoding="utf-8")
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 0
    assert len(github.comments) == 1
    assert RESOLVED_HEADING in github.comments[0]["body"]
    # a third passing run leaves the resolved comment alone
    patches = len(github.seen("PATCH", rf"/repos/{REPO}/issues/comments/\d+"))
    run_action(workspace, github.url, EVENTS)
    assert len(github.seen("PATCH", rf"/repos/{REPO}/issues/comments/\d+")) == patches


def test_clean_pull_request_gets_no_comment(workspace: Path, github: FakeGitHub) -> None:
    (workspace / "events" / "history.jsonl").write_text(CLEAN, encoding="utf-8")
    run = run_action(workspace, github.url, EVENTS)
    assert run.code == 0 and run.outputs["blocked"] == "false"
    assert github.comments == [] and github.seen("POST", COMMENTS) == []


def test_check_run_on_the_head_sha_with_annotations_in_batches_of_50(
    workspace: Path, github: FakeGitHub
) -> None:
    lines = [
        json.dumps(
            {"id": f"g{i:03d}", "type": "governance_action_required", "timestamp": "2024-05-20T09:00:00Z"}
        )
        for i in range(120)
    ]
    (workspace / "events" / "asserted.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_action(
        workspace, github.url, {"events": "events/asserted.jsonl", "check-run": "true", "comment": "false"}
    )
    assert run.code == 1, run.stderr
    (created,) = github.seen("POST", rf"/repos/{REPO}/check-runs")
    assert created.body["head_sha"] == HEAD_SHA  # the PR head, not GITHUB_SHA (the merge commit)
    assert created.body["conclusion"] == "failure" and created.body["status"] == "completed"
    assert len(created.body["output"]["annotations"]) == 50
    updates = github.seen("PATCH", rf"/repos/{REPO}/check-runs/\d+")
    assert [len(u.body["output"]["annotations"]) for u in updates] == [50, 20]
    run_record = next(iter(github.check_runs.values()))
    paths = {(a["path"], a["start_line"]) for a in run_record["all_annotations"]}
    assert len(paths) == 120 and ("events/asserted.jsonl", 1) in paths
    assert github.seen("POST", COMMENTS) == [] and github.seen("GET", COMMENTS) == []
    # the workflow-command annotations stay capped at 10 errors
    assert sum(line.startswith("::error") for line in run.stdout.splitlines()) == 10


def test_push_event_has_no_comment_and_checks_github_sha(workspace: Path, github: FakeGitHub) -> None:
    run = run_action(workspace, github.url, {**EVENTS, "check-run": "true"}, event={"ref": "refs/heads/main"})
    assert run.code == 1
    assert github.seen("GET", COMMENTS) == []
    (created,) = github.seen("POST", rf"/repos/{REPO}/check-runs")
    assert created.body["head_sha"] == "9e" * 20


def test_invalid_input_is_an_error_line_and_exit_2(workspace: Path, github: FakeGitHub) -> None:
    run = run_action(workspace, github.url, {**EVENTS, "warn-only": "yes"})
    assert run.code == 2
    assert "::error title=synapse-gate::input 'warn-only': expected true or false, got 'yes'" in run.stdout
    assert run.outputs == {} and github.requests == []


def test_missing_events_file_is_exit_2_and_said_in_the_summary(workspace: Path, github: FakeGitHub) -> None:
    run = run_action(workspace, github.url, {"events": "events/nope.jsonl"})
    assert run.code == 2, run.stdout + run.stderr
    assert "::error title=synapse-gate::" in run.stdout and "nope.jsonl" in run.stdout
    assert "The check could not run" in run.summary
    assert "Traceback" not in run.stderr


def test_warn_only_passes_and_says_it_would_block(workspace: Path, github: FakeGitHub) -> None:
    run = run_action(workspace, github.url, {**EVENTS, "warn-only": "true"})
    assert run.code == 0
    assert run.outputs["verdict"] == "pass" and run.outputs["would-block"] == "true"
    assert "::error" not in run.stdout
    assert len(github.comments) == 1  # the PR still hears about it


def test_absolute_event_path_inside_the_workspace_is_made_relative(
    workspace: Path, github: FakeGitHub
) -> None:
    run = run_action(
        workspace, github.url, {"events": str(workspace / "events" / "history.jsonl"), "comment": "false"}
    )
    assert run.code == 1
    assert "::error file=events/history.jsonl,line=8," in run.stdout


def test_the_bundled_examples_like_the_self_test_workflow(workspace: Path, github: FakeGitHub) -> None:
    root = Path(__file__).resolve().parents[2]
    for name in ("drifting", "clean"):
        shutil.copytree(root / "examples" / name, workspace / "examples" / name)
    drifting = run_action(workspace, github.url, {"events": "examples/drifting/", "comment": "false"})
    assert drifting.code == 1, drifting.stdout + drifting.stderr
    assert drifting.outputs["verdict"] == "blocked" and drifting.outputs["blocked"] == "true"
    assert set(drifting.outputs["blocking-types"].split(",")) == {
        "governance_action_required",
        "release_gate_triggered",
    }
    clean = run_action(workspace, github.url, {"events": "examples/clean/", "comment": "false"})
    assert clean.code == 0, clean.stdout + clean.stderr
    assert clean.outputs["verdict"] == "pass" and clean.outputs["blocked"] == "false"
    assert json.loads(clean.outputs["counts"])["blocking"] == 0
    assert github.requests == []
