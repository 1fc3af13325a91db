"""Support for the action tests: a fake GitHub REST API on loopback and a runner-like environment.

`FakeGitHub` keeps state (comments, check runs) so that a second run sees what the first one wrote,
records every request, and can be told to fail requests (statuses served first, then normal answers).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "tok-Secret-5f9c2e81d7a4"  # deliberately not in a GitHub token format: masking must not rely on it
REPO = "acme/models"
PR_NUMBER = 42
HEAD_SHA = "1f0c6a7e9b3d2c4f5a6b7c8d9e0f1a2b3c4d5e6f"
MERGE_SHA = "9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e9e"  # GITHUB_SHA on pull_request: the merge commit
BOT = "github-actions[bot]"


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    server: HTTPServer
    login: str | None = None  # None: GET /user answers 403, like GITHUB_TOKEN
    comments: list[dict[str, Any]] = field(default_factory=list)
    check_runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    # (METHOD, path regex) -> statuses to answer first, one per request, with optional headers
    failures: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    next_id: int = 1000

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def author(self) -> str:
        return self.login or BOT

    def add_comment(self, body: str, login: str) -> dict[str, Any]:
        self.next_id += 1
        c = {"id": self.next_id, "body": body, "user": {"login": login, "type": "User"}}
        self.comments.append(c)
        return c

    def fail(
        self, method: str, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        self.failures[(method, path)].extend([(status, headers or {})] * times)

    def seen(self, method: str, path_regex: str) -> list[Seen]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    def handle(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        self.requests.append(
            Seen(request.method, request.path, request.query_string.decode(), dict(request.headers), body)
        )
        for (method, pattern), queue in self.failures.items():
            if method == request.method and re.fullmatch(pattern, request.path) and queue:
                status, headers = queue.pop(0)
                return Response(
                    json.dumps({"message": f"scripted {status}"}),
                    status,
                    headers,
                    content_type="application/json",
                )
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json({"message": "Bad credentials"}, 401)
        path = request.path
        if path == "/user" and request.method == "GET":
            if self.login is None:
                return self._json({"message": "Resource not accessible by integration"}, 403)
            return self._json({"login": self.login})
        m = re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", path)
        if m and request.method == "GET":
            per_page = int(request.args.get("per_page", "30"))
            page = int(request.args.get("page", "1"))
            items = self.comments[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(self.comments):
                nxt = f"{self.url}{path}?per_page={per_page}&page={page + 1}"
                headers["Link"] = f'<{nxt}>; rel="next"'
            return self._json(items, 200, headers)
        if m and request.method == "POST":
            return self._json(self.add_comment(body["body"], self.author()), 201)
        m = re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path)
        if m and request.method == "PATCH":
            for c in self.comments:
                if c["id"] == int(m.group(1)):
                    c["body"] = body["body"]
                    return self._json(c)
            return self._json({"message": "Not Found"}, 404)
        if path == f"/repos/{REPO}/check-runs" and request.method == "POST":
            self.next_id += 1
            run = {**body, "id": self.next_id, "all_annotations": list(body["output"].get("annotations", []))}
            self.check_runs[self.next_id] = run
            return self._json({"id": self.next_id}, 201)
        m = re.fullmatch(rf"/repos/{REPO}/check-runs/(\d+)", path)
        if m and request.method == "PATCH":
            run = self.check_runs[int(m.group(1))]
            run["all_annotations"].extend(body["output"].get("annotations", []))
            return self._json({"id": run["id"]})
        return self._json({"message": "Not Found"}, 404)

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), status, headers or {}, content_type="application/json")


@pytest.fixture
def github(httpserver: HTTPServer) -> FakeGitHub:
    fake = FakeGitHub(httpserver)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    return fake


DRIFTING = """\
{"id": "flag-1", "type": "dataset_provenance_flag", "timestamp": "2024-05-01T08:00:00Z", "lineage": "ft-a"}
{"id": "flag-2", "type": "dataset_provenance_flag", "timestamp": "2024-05-01T12:00:00Z", "lineage": "ft-a"}
{"id": "flag-3", "type": "dataset_provenance_flag", "timestamp": "2024-05-01T20:00:00Z", "lineage": "ft-a"}
{"id": "eval-1", "type": "eval_regression_observed", "timestamp": "2024-05-02T09:00:00Z", "lineage": "ft-a"}
{"id": "eval-2", "type": "eval_regression_observed", "timestamp": "2024-05-02T11:00:00Z", "lineage": "ft-a"}
{"id": "fb-1", "type": "user_feedback_mismatch", "timestamp": "2024-05-04T10:00:00Z"}
{"id": "ext-1", "type": "external_concern_reported", "timestamp": "2024-05-08T15:30:00Z"}
{"id": "run-7", "type": "run_started", "timestamp": "2024-05-20T09:00:00Z", "lineage": "ft-a"}
"""

CLEAN = """\
{"id": "flag-1", "type": "dataset_provenance_flag", "timestamp": "2024-05-01T08:00:00Z", "lineage": "ft-a"}
{"id": "run-7", "type": "run_started", "timestamp": "2024-05-20T09:00:00Z", "lineage": "ft-a"}
"""


def pull_request_payload() -> dict[str, Any]:
    """A `pull_request` event payload (trimmed to the fields a runner's file always has) from a fork."""
    return {
        "action": "synchronize",
        "number": PR_NUMBER,
        "pull_request": {
            "number": PR_NUMBER,
            "state": "open",
            "title": "Fine-tune ft-a on the May data",
            "user": {"login": "contributor", "type": "User"},
            "head": {
                "ref": "may-data",
                "sha": HEAD_SHA,
                "repo": {"full_name": "contributor/models", "fork": True},
            },
            "base": {"ref": "main", "sha": "0" * 40, "repo": {"full_name": REPO, "fork": False}},
        },
        "repository": {"full_name": REPO, "name": "models", "owner": {"login": "acme"}},
        "sender": {"login": "contributor", "type": "User"},
    }


@dataclass
class ActionRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path

    def files_text(self) -> str:
        """Every file of the workspace and the runner's files (report, outputs, summary) as one text."""
        root = self.workspace.parent
        return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def parse_outputs(text: str) -> dict[str, str]:
    """Parse `$GITHUB_OUTPUT` the way the runner does: `name<<DELIM`, value lines, `DELIM`."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        name, sep, delim = line.partition("<<")
        assert sep, f"not a heredoc output line: {line!r}"
        assert re.fullmatch(r"ghadelimiter_[0-9a-f]{32}", delim), delim
        end = lines.index(delim, i + 1)
        out[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return out


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    (ws / "events").mkdir(parents=True)
    (ws / "events" / "history.jsonl").write_text(DRIFTING, encoding="utf-8")
    return ws


def runner_env(
    workspace: Path, api_url: str, inputs: dict[str, str], event: dict[str, Any] | None
) -> dict[str, str]:
    """The environment a runner gives a Docker container action (the parts the action reads)."""
    home = workspace.parent / "runner"
    home.mkdir(exist_ok=True)
    event_path = home / "event.json"
    event_path.write_text(json.dumps(event if event is not None else {}), encoding="utf-8")
    (home / "output").write_text("", encoding="utf-8")  # a fresh step: empty command files
    (home / "summary").write_text("", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_NAME": "pull_request" if event and "pull_request" in event else "push",
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_OUTPUT": str(home / "output"),
        "GITHUB_STEP_SUMMARY": str(home / "summary"),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": MERGE_SHA,
        "GITHUB_REF": f"refs/pull/{PR_NUMBER}/merge",
        "GITHUB_RUN_ID": "7001",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": api_url,
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": str(home),
    }
    defaults = {  # action.yml's defaults: the runner passes every input, defaulted or not
        "events": "",
        "policy": "spec-locked-drift",
        "waivers": "",
        "lineage": "",
        "fail-on": "",
        "warn-only": "false",
        "strict": "false",
        "as-of": "2024-06-01",
        "since": "",
        "until": "",
        "jobs": "1",
        "offline": "false",
        "comment": "true",
        "check-run": "false",
        "github-token": TOKEN,
        "report-path": "synapse-gate-report.json",
    }
    for name, value in {**defaults, **inputs}.items():
        env[f"INPUT_{name.upper()}"] = value
    return env


def run_action(
    workspace: Path,
    api_url: str,
    inputs: dict[str, str],
    event: dict[str, Any] | None = None,
    timeout: float = 60,
) -> ActionRun:
    """Run the entrypoint as the container does (`python -I -m gate.action`, cwd = the workspace)."""
    env = runner_env(workspace, api_url, inputs, pull_request_payload() if event is None else event)
    proc = subprocess.run(
        [sys.executable, "-I", "-m", "gate.action"],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    home = Path(env["HOME"])
    return ActionRun(
        code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        outputs=parse_outputs((home / "output").read_text(encoding="utf-8")),
        summary=(home / "summary").read_text(encoding="utf-8"),
        workspace=workspace,
    )
