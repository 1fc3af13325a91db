"""gate.github.GitHubClient against the fake API on loopback: rate limits, pagination safety, identity."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from action_support import BOT, PR_NUMBER, REPO, TOKEN, FakeGitHub, pull_request_payload

from gate.errors import SourceError
from gate.github import GitHubClient, publish, pull_request, run_url
from gate.http import HttpClient, HttpStatusError

COMMENTS = rf"/repos/{REPO}/issues/{PR_NUMBER}/comments"


def _client(fake: FakeGitHub, sleeps: list[float]) -> GitHubClient:
    return GitHubClient(
        TOKEN, api_url=fake.url + "/", http=HttpClient(sleep=sleeps.append), sleep=sleeps.append
    )


def test_secondary_rate_limit_403_with_retry_after_is_retried(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    github.fail("POST", COMMENTS, 403, times=2, headers={"Retry-After": "7"})
    _client(github, sleeps).create_comment(REPO, PR_NUMBER, "hello")
    assert sleeps == [7.0, 7.0]
    assert len(github.comments) == 1


def test_exhausted_primary_rate_limit_waits_until_reset(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    reset = str(int(time.time()) + 30)
    github.fail("GET", "/user", 403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
    github.login = "release-bot"
    assert _client(github, sleeps).identity() == "release-bot"
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_rate_limit_waits_are_capped_and_bounded(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    github.fail("POST", COMMENTS, 403, times=10, headers={"Retry-After": "3600"})
    with pytest.raises(HttpStatusError) as err:
        _client(github, sleeps).create_comment(REPO, PR_NUMBER, "hello")
    assert err.value.status == 403
    assert sleeps == [60.0, 60.0, 60.0]


def test_plain_403_is_not_retried(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    github.fail("POST", COMMENTS, 403)
    with pytest.raises(HttpStatusError) as err:
        _client(github, sleeps).create_comment(REPO, PR_NUMBER, "x")
    assert sleeps == [] and err.value.status == 403
    assert TOKEN not in str(err.value)


def test_identity_of_github_token_is_the_actions_bot(github: FakeGitHub) -> None:
    assert _client(github, []).identity() == BOT


def test_a_next_link_to_another_host_is_refused(github: FakeGitHub) -> None:
    client = _client(github, [])
    with pytest.raises(SourceError, match="another host"):
        client.request("GET", "https://elsewhere.example/steal")


def test_publish_never_raises_on_network_failure(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(pull_request_payload()), encoding="utf-8")
    env = {
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": "http://127.0.0.1:9",  # discard port: nothing listens
    }
    report = {"verdict": {"status": "blocked", "blocking": [{"id": "x"}]}}
    warnings = publish(
        env,
        report,
        token=TOKEN,
        comment=True,
        check_run=False,
        comment_body=lambda url: "body",
        resolved_body=lambda url: "resolved",
        summary=lambda: "",
        sleep=lambda s: None,
    )
    assert len(warnings) == 1 and warnings[0].startswith("could not update the pull-request comment")
    assert TOKEN not in warnings[0]


def test_publish_without_token_is_one_warning() -> None:
    warnings = publish(
        {"GITHUB_REPOSITORY": REPO},
        {"verdict": {}},
        token=None,
        comment=True,
        check_run=True,
        comment_body=lambda url: "",
        resolved_body=lambda url: "",
        summary=lambda: "",
    )
    assert warnings == ["no github-token or GITHUB_REPOSITORY: the PR comment and the check run are skipped"]


def test_event_payload_and_run_url(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(pull_request_payload()), encoding="utf-8")
    pr = pull_request({"GITHUB_EVENT_PATH": str(event)})
    assert pr is not None and pr["number"] == PR_NUMBER
    assert pull_request({"GITHUB_EVENT_PATH": str(tmp_path / "missing.json")}) is None
    assert run_url(
        {"GITHUB_SERVER_URL": "https://ghe.example/", "GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "5"}
    ) == ("https://ghe.example/acme/models/actions/runs/5")


def test_an_answer_of_unexpected_shape_is_a_warning(github: FakeGitHub, tmp_path: Path) -> None:
    github.fail("POST", rf"/repos/{REPO}/check-runs", 201)  # 201 with a body that has no `id`
    event = tmp_path / "event.json"
    event.write_text(json.dumps(pull_request_payload()), encoding="utf-8")
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": github.url}
    warnings = publish(
        env,
        {"verdict": {"status": "blocked", "blocking": [{"id": "x"}]}},
        token=TOKEN,
        comment=False,
        check_run=True,
        comment_body=lambda url: "",
        resolved_body=lambda url: "",
        summary=lambda: "summary",
    )
    assert warnings == ["could not create the check run: unexpected API answer (KeyError)"]
