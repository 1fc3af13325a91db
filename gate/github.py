"""The only module that speaks to the GitHub REST API: the sticky PR comment and the check run.

Built on `gate.http.HttpClient` (timeouts, retries with backoff on 429/5xx honouring `Retry-After`,
token only in the Authorization header, redacted errors). The base URL comes from `GITHUB_API_URL`
so that GitHub Enterprise Server works. Secondary rate limits answer 403 (or 429) with `Retry-After`
or `x-ratelimit-remaining: 0`: those are waited out and retried here. Any other failure becomes a
warning returned to the caller: publishing can never change the verdict or the exit code.

The sticky comment is the one comment on the pull request that carries `MARKER` and was written by
the token's own identity (`GET /user`; the Actions `GITHUB_TOKEN` cannot call it, and its comments
are written by `github-actions[bot]`). It is created on the first blocking run, updated in place on
later ones, and updated to a short "resolved" body when the gate passes again (kept, not deleted,
so that the pull request's history still shows what blocked it and when it was cleared).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from gate.errors import SourceError
from gate.http import HttpClient, HttpStatusError
from gate.redact import redact
from gate.reporters.comment import MARKER, RESOLVED_HEADING
from gate.reporters.github import check_annotations
from gate.reporters.markdown import headline

DEFAULT_API_URL = "https://api.github.com"
ACTIONS_BOT = "github-actions[bot]"  # the author of everything GITHUB_TOKEN writes
CHECK_NAME = "synapse-gate"
ANNOTATIONS_PER_REQUEST = 50  # the Checks API's limit
MAX_PAGES = 100  # 10,000 comments: past that the marker is not searched for
RATE_LIMIT_RETRIES = 3
MAX_RATE_LIMIT_WAIT = 60.0
_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


class GitHubClient:
    """A small GitHub REST client: a token, a base URL, and the requests the action needs."""

    def __init__(
        self,
        token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        http: HttpClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.http = http or HttpClient(secrets=[token], sleep=sleep)
        self.http.add_secret(token)
        self.sleep = sleep

    # -- transport -------------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if "://" in path_or_url:
            if _origin(path_or_url) != _origin(self.api_url):  # never send the token elsewhere
                raise SourceError(
                    f"GitHub API: refusing to follow a link to another host ({_origin(path_or_url)[1]})"
                )
            return path_or_url
        return self.api_url + path_or_url

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        json_body: Any = None,
        params: Any = None,
        idempotent: bool = False,
    ) -> requests.Response:
        """Send one API request and return the 2xx response; raise `HttpStatusError` otherwise."""
        url = self._url(path_or_url)
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            resp = self.http.request(
                method,
                url,
                headers=_HEADERS,
                params=params,
                json=json_body,
                token=self.token,
                idempotent=idempotent or None,
            )
            wait = _rate_limit_wait(resp)
            if wait is None or attempt == RATE_LIMIT_RETRIES:
                break
            self.sleep(wait)
        if not 200 <= resp.status_code < 300:
            raise HttpStatusError(
                self.http.redact(
                    f"{method} {urlsplit(url).path}: HTTP {resp.status_code} {_api_message(resp)}"
                ),
                status=resp.status_code,
            )
        return resp

    # -- identity and comments ---------------------------------------------------------------------

    def identity(self) -> str:
        """The login the token writes as: `GET /user`, else `github-actions[bot]` (GITHUB_TOKEN cannot)."""
        try:
            return str(self.request("GET", "/user", idempotent=True).json()["login"])
        except HttpStatusError as exc:
            if exc.status in (401, 403, 404):
                return ACTIONS_BOT
            raise
        except (ValueError, KeyError, TypeError):
            return ACTIONS_BOT

    def comments(self, repo: str, number: int) -> Iterator[dict[str, Any]]:
        """Every comment of issue/PR `number`, following the `Link: rel="next"` pages."""
        url: str | None = f"/repos/{repo}/issues/{number}/comments"
        params: dict[str, Any] | None = {"per_page": 100}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            resp = self.request("GET", url, params=params, idempotent=True)
            yield from resp.json()
            url = resp.links.get("next", {}).get("url")
            params = None  # the next link carries its own query

    def find_sticky(self, repo: str, number: int, author: str) -> dict[str, Any] | None:
        """The oldest comment by `author` that carries the marker, if any."""
        for c in self.comments(repo, number):
            user = c.get("user") or {}
            if MARKER in str(c.get("body", "")) and user.get("login") == author:
                return c
        return None

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        return dict(
            self.request("POST", f"/repos/{repo}/issues/{number}/comments", json_body={"body": body}).json()
        )

    def update_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        resp = self.request(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", json_body={"body": body}, idempotent=True
        )
        return dict(resp.json())

    # -- check runs ----------------------------------------------------------------------------------

    def create_check_run(
        self,
        repo: str,
        head_sha: str,
        *,
        conclusion: str,
        title: str,
        summary: str,
        annotations: list[dict[str, Any]],
        name: str = CHECK_NAME,
    ) -> int:
        """A completed check run on `head_sha`; annotations go 50 per request (create, then updates)."""
        batches = [
            annotations[i : i + ANNOTATIONS_PER_REQUEST]
            for i in range(0, len(annotations), ANNOTATIONS_PER_REQUEST)
        ]
        first = batches[0] if batches else []
        body = {
            "name": name,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": {"title": title, "summary": summary, "annotations": first},
        }
        run_id = int(self.request("POST", f"/repos/{repo}/check-runs", json_body=body).json()["id"])
        for batch in batches[1:]:
            self.request(
                "PATCH",
                f"/repos/{repo}/check-runs/{run_id}",
                json_body={"output": {"title": title, "summary": summary, "annotations": batch}},
                idempotent=False,  # annotations are appended: a replayed PATCH would add them twice
            )
        return run_id


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _rate_limit_wait(resp: requests.Response) -> float | None:
    """Seconds to wait for a secondary (or primary) rate limit, or None when `resp` is not one."""
    if resp.status_code not in (403, 429):
        return None
    retry_after = resp.headers.get("Retry-After", "").strip()
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), MAX_RATE_LIMIT_WAIT)
        except ValueError:
            return MAX_RATE_LIMIT_WAIT
    if resp.headers.get("x-ratelimit-remaining", "").strip() == "0":
        reset = resp.headers.get("x-ratelimit-reset", "").strip()
        try:
            return min(max(float(reset) - time.time(), 1.0), MAX_RATE_LIMIT_WAIT)
        except ValueError:
            return MAX_RATE_LIMIT_WAIT
    return None


def _api_message(resp: requests.Response) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.reason or ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""


# -- what the action publishes ------------------------------------------------------------------------


def pull_request(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The `pull_request` object of the event payload (`GITHUB_EVENT_PATH`), if the event has one."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            payload = json.load(f)
    except (OSError, ValueError):
        return None
    pr = payload.get("pull_request") if isinstance(payload, dict) else None
    return pr if isinstance(pr, dict) else None


def run_url(env: Mapping[str, str]) -> str | None:
    """The URL of this workflow run (its page shows the job summary)."""
    server, repo, run_id = (env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None


def _why(exc: SourceError) -> str:
    status = getattr(exc, "status", None)
    if status in (401, 403, 404):
        return (
            f"{exc.message} — the token may not write here: on a pull request from a fork the token is "
            "read-only; otherwise grant `pull-requests: write` / `checks: write`"
        )
    return exc.message


def publish(
    env: Mapping[str, str],
    report: Mapping[str, Any],
    *,
    token: str | None,
    comment: bool,
    check_run: bool,
    comment_body: Callable[[str | None], str],
    resolved_body: Callable[[str | None], str],
    summary: Callable[[], str],
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Post or update the sticky comment and create the check run; returns warnings, never raises."""
    warnings: list[str] = []
    repo = env.get("GITHUB_REPOSITORY", "")
    if not token or "/" not in repo:
        return ["no github-token or GITHUB_REPOSITORY: the PR comment and the check run are skipped"]
    client = GitHubClient(token, api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL, sleep=sleep)
    pr = pull_request(env)
    link = run_url(env)
    verdict = report.get("verdict", {})
    try:
        if comment and pr is not None and isinstance(pr.get("number"), int):
            _sticky(
                client,
                repo,
                pr["number"],
                bool(verdict.get("blocking")),
                comment_body(link),
                resolved_body(link),
            )
    except SourceError as exc:
        warnings.append("could not update the pull-request comment: " + _why(exc))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # an answer of an unexpected shape
        warnings.append(
            f"could not update the pull-request comment: unexpected API answer ({type(exc).__name__})"
        )
    try:
        if check_run:
            head = (pr or {}).get("head", {}).get("sha") or env.get("GITHUB_SHA")
            if not head:
                warnings.append(
                    "check run skipped: no head commit (no pull_request payload and no GITHUB_SHA)"
                )
            else:
                status = verdict.get("status")
                conclusion = (
                    "failure"
                    if status == "blocked"
                    else "neutral"
                    if verdict.get("would_block")
                    else "success"
                )
                title = headline(dict(report)).replace("**", "")
                client.create_check_run(
                    repo,
                    head,
                    conclusion=conclusion,
                    title=title[:255],
                    summary=summary(),
                    annotations=check_annotations(dict(report)),
                )
    except SourceError as exc:
        warnings.append("could not create the check run: " + _why(exc))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        warnings.append(f"could not create the check run: unexpected API answer ({type(exc).__name__})")
    finally:
        client.http.close()
    return [redact(w, [token]) for w in warnings]


def _sticky(client: GitHubClient, repo: str, number: int, blocking: bool, body: str, resolved: str) -> str:
    """Create, update or resolve the sticky comment; returns what was done."""
    author = client.identity()
    existing = client.find_sticky(repo, number, author)
    if blocking:
        if existing is None:
            client.create_comment(repo, number, body)
            return "created"
        if existing.get("body") != body:
            client.update_comment(repo, int(existing["id"]), body)
            return "updated"
        return "unchanged"
    if existing is not None and RESOLVED_HEADING not in str(existing.get("body", "")):
        client.update_comment(repo, int(existing["id"]), resolved)
        return "resolved"
    return "none"
