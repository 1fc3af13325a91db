"""GitHub Actions artifacts as evidence: list through the REST API, download the zip, read its members.

Reference syntax (the whole grammar; see docs/sources.md):

    artifact:[OWNER/REPO/]NAME[@SELECTOR]        (`artifact://OWNER/REPO/NAME...` is accepted too)

- `NAME` is an artifact name, or a glob (`*`, `?`, `[...]`: characters artifact names cannot
  contain); without `OWNER/REPO` the repository is `GITHUB_REPOSITORY`.
- `SELECTOR` is `latest` (default: for each matching name, its newest artifact), `all` (every
  matching artifact of every run; expired ones are listed as skipped), or a workflow run id (the
  matching artifacts of that run only).

The token comes from the environment: `INPUT_GITHUB-TOKEN` (the Action's `github-token` input),
else `GITHUB_TOKEN`, else `GH_TOKEN`. It is sent only to `GITHUB_API_URL`'s origin (default
https://api.github.com); the zip download answers 302 to blob storage on another host, which never
receives it. A missing, expired or unreadable artifact is a SourceError (exit 3), never an empty pass.
"""

from __future__ import annotations

import fnmatch
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from gate.errors import InputError, SourceError, UsageError
from gate.redact import safe_url
from gate.sources.archives import archive_documents
from gate.sources.base import RawDocument, SourceContext
from gate.sources.url import check_scheme, client_for, refuse_offline
from gate.urls import url_origin

if TYPE_CHECKING:  # requests loads in ~60 ms: only runs that fetch something import it
    import requests

    from gate.http import HttpClient

__all__ = ["TOKEN_VARIABLES", "ArtifactRef", "ArtifactSource", "open_artifact", "parse_ref", "token_from"]

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")
GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_API_HINT = (
    "GITHUB_API_URL must point at the GitHub REST API (a proxy or captive portal may be answering); "
    "the gate never passes on evidence it could not read"
)
MAX_PAGES = 1000  # 100 000 artifacts: a loop guard, not a real limit
_OWNER_REPO = re.compile(r"[A-Za-z0-9_.-]+\Z")
_GLOB = set("*?[")
_SYNTAX = "artifact:[OWNER/REPO/]NAME[@latest|@all|@RUN_ID]"


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    owner: str
    repo: str
    pattern: str
    run_id: int | None = None
    all: bool = False

    @property
    def is_glob(self) -> bool:
        return any(c in _GLOB for c in self.pattern)

    def display(self) -> str:
        sel = f"@{self.run_id}" if self.run_id is not None else ("@all" if self.all else "")
        return f"artifact://{self.owner}/{self.repo}/{self.pattern}{sel}"


def parse_ref(ref: str, env: Mapping[str, str]) -> ArtifactRef:
    """Parse `artifact:...` (UsageError, exit 2, on a malformed reference)."""
    head, _, body = ref.partition(":")
    if head.lower() != "artifact":
        raise UsageError(f"{ref}: not an artifact reference ({_SYNTAX})")
    body = body[2:] if body.startswith("//") else body
    selector = "latest"
    if "@" in body:
        body, selector = body.rsplit("@", 1)
    parts = body.split("/")
    if len(parts) == 1:
        repository = env.get("GITHUB_REPOSITORY", "")
        if repository.count("/") != 1:
            raise UsageError(
                f"{ref}: no repository given and GITHUB_REPOSITORY is not set",
                hint=f"use the form {_SYNTAX}",
            )
        owner, repo = repository.split("/")
        name = parts[0]
    elif len(parts) == 3:
        owner, repo, name = parts
    else:
        raise UsageError(f"{ref}: expected {_SYNTAX}")
    if not (_OWNER_REPO.match(owner) and _OWNER_REPO.match(repo)):
        raise UsageError(f"{ref}: invalid owner/repo {owner}/{repo!s}", hint=f"use the form {_SYNTAX}")
    if not name:
        raise UsageError(f"{ref}: empty artifact name", hint=f"use the form {_SYNTAX}")
    sel = selector.lower()
    if sel == "latest":
        return ArtifactRef(owner, repo, name)
    if sel == "all":
        return ArtifactRef(owner, repo, name, all=True)
    if selector.isdigit() and int(selector) > 0:
        return ArtifactRef(owner, repo, name, run_id=int(selector))
    raise UsageError(f"{ref}: unknown selector @{selector} (latest, all, or a run id)", hint=f"use {_SYNTAX}")


def token_from(env: Mapping[str, str]) -> str | None:
    for key in TOKEN_VARIABLES:
        value = env.get(key, "").strip()
        if value:
            return value
    return None


class ArtifactSource:
    """Every matching artifact's zip members (event files as documents, the rest listed as skipped)."""

    def __init__(self, ref: str, ctx: SourceContext) -> None:
        self.ctx = ctx
        self.ref = parse_ref(ref, ctx.env)
        self.shown = self.ref.display()
        refuse_offline(ctx, self.shown)
        self.api = (ctx.env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        check_scheme(self.api, ctx, f"GITHUB_API_URL {safe_url(self.api)}")
        token = token_from(ctx.env)
        if token is None:
            raise UsageError(
                f"{self.shown}: reading artifacts needs a token",
                hint="set GITHUB_TOKEN (a token with `actions: read`), or the Action's github-token input",
            )
        self.token = token

    # -- listing ---------------------------------------------------------------------------------

    def _api_get(self, client: HttpClient, url: str) -> requests.Response:
        resp = client.request("GET", url, headers=GITHUB_HEADERS, token=self.token)
        status = resp.status_code
        if status == 200:
            return resp
        where = f"{self.ref.owner}/{self.ref.repo}"
        if self.ref.run_id is not None:
            where += f" run {self.ref.run_id}"
        if status == 404:
            raise SourceError(
                f"{self.shown}: {where} not found, or not visible with this token (HTTP 404)",
                hint="check owner/repo and the run id; the token needs `actions: read` on the repository",
            )
        if status in (401, 403):
            raise SourceError(
                f"{self.shown}: the token was refused listing artifacts of {where} (HTTP {status})",
                hint="the token needs `actions: read`; a 403 can also be a rate limit",
            )
        raise SourceError(
            f"{self.shown}: listing artifacts of {where} failed (HTTP {status})",
            hint="the GitHub API kept failing after retries; try again later" if status >= 500 else _API_HINT,
        )

    def list_artifacts(self, client: HttpClient) -> list[dict[str, Any]]:
        r = self.ref
        path = (
            f"/repos/{r.owner}/{r.repo}/actions/runs/{r.run_id}/artifacts"
            if r.run_id is not None
            else f"/repos/{r.owner}/{r.repo}/actions/artifacts"
        )
        params = {"per_page": "100"}
        if not r.is_glob:
            params["name"] = r.pattern
        url: str | None = f"{self.api}{path}?{urlencode(params)}"
        api_origin = url_origin(self.api)
        seen: set[str] = set()
        found: list[dict[str, Any]] = []
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise SourceError(
                    f"{self.shown}: the artifact listing does not end (pagination loop)", hint=_API_HINT
                )
            seen.add(url)
            resp = self._api_get(client, url)
            try:
                payload = resp.json()
            except (ValueError, json.JSONDecodeError):
                kind = resp.headers.get("Content-Type", "no Content-Type").split(";")[0].strip()
                raise SourceError(
                    f"{self.shown}: the artifact listing is not JSON (got {kind[:60]})", hint=_API_HINT
                ) from None
            arts = payload.get("artifacts") if isinstance(payload, dict) else None
            if not isinstance(arts, list) or not all(
                isinstance(a, dict) and isinstance(a.get("id"), int) and isinstance(a.get("name"), str)
                for a in arts
            ):
                raise SourceError(
                    f"{self.shown}: unexpected artifact listing (no `artifacts` list)", hint=_API_HINT
                )
            found.extend(arts)
            url = resp.links.get("next", {}).get("url")
            if url is not None and url_origin(url) != api_origin:
                # The token would follow the link: never to another host.
                raise SourceError(
                    f"{self.shown}: a pagination link leaves the API host; refused", hint=_API_HINT
                )
        pat = r.pattern.lower()
        return [a for a in found if fnmatch.fnmatchcase(a["name"].lower(), pat)]

    # -- selection -------------------------------------------------------------------------------

    def _label(self, art: dict[str, Any]) -> str:
        run = (art.get("workflow_run") or {}).get("id")
        suffix = f"@{run}" if isinstance(run, int) else f"#{art['id']}"
        return f"artifact://{self.ref.owner}/{self.ref.repo}/{art['name']}{suffix}"

    def _expired(self, art: dict[str, Any]) -> SourceError:
        when = art.get("expires_at") or "an unknown date"
        return SourceError(
            f"{self._label(art)}: the artifact expired ({when}); its evidence can no longer be read",
            hint="re-run the workflow that uploads it, or raise its retention-days",
        )

    def select(self, arts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(artifacts to read, expired artifacts to list as skipped). Raises when nothing is readable."""
        if not arts:
            where = f"{self.ref.owner}/{self.ref.repo}" + (
                f" run {self.ref.run_id}" if self.ref.run_id is not None else ""
            )
            raise SourceError(
                f"{self.shown}: no artifact matches {self.ref.pattern!r} in {where}",
                hint="check the name and that the uploading workflow ran (artifacts expire)",
            )

        def newest_first(a: dict[str, Any]) -> tuple[str, int]:
            return (str(a.get("created_at") or ""), int(a["id"]))

        if self.ref.all:
            live = [a for a in arts if not a.get("expired")]
            dead = [a for a in arts if a.get("expired")]
            if not live:
                raise self._expired(max(dead, key=newest_first))
            return sorted(live, key=lambda a: (a["name"], newest_first(a))), dead
        by_name: dict[str, list[dict[str, Any]]] = {}
        for a in arts:
            by_name.setdefault(a["name"], []).append(a)
        chosen: list[dict[str, Any]] = []
        for name in sorted(by_name):
            group = by_name[name]
            picks = group if self.ref.run_id is not None else [max(group, key=newest_first)]
            for a in sorted(picks, key=newest_first):
                if a.get("expired"):
                    raise self._expired(a)
                chosen.append(a)
        return chosen, []

    # -- documents -------------------------------------------------------------------------------

    def _download(self, client: HttpClient, art: dict[str, Any]) -> bytes:
        from gate.http import HttpStatusError

        label = self._label(art)
        cap = self.ctx.limits.max_download_bytes
        size = art.get("size_in_bytes")
        if isinstance(size, int) and size > cap:
            raise SourceError(
                f"{label}: {size} bytes, over the {cap}-byte download cap",
                hint="raise the cap with --max-download-bytes if this is expected",
            )
        # Built from the API base, not from `archive_download_url`: the token goes to this origin only.
        url = f"{self.api}/repos/{self.ref.owner}/{self.ref.repo}/actions/artifacts/{art['id']}/zip"
        try:
            return client.download(url, headers=GITHUB_HEADERS, token=self.token, max_bytes=cap, name=label)
        except HttpStatusError as e:
            if e.status == 410:
                raise SourceError(
                    f"{label}: the artifact expired (HTTP 410 Gone); its evidence can no longer be read",
                    hint="re-run the workflow that uploads it, or raise its retention-days",
                ) from None
            if e.status == 404:
                raise SourceError(
                    f"{label}: the artifact was not found for download (HTTP 404; deleted?)",
                    hint="the token needs `actions: read`; the artifact may have been deleted",
                ) from None
            raise

    def documents(self) -> Iterator[RawDocument]:
        client = client_for(self.ctx)
        client.add_secret(self.token)
        chosen, expired = self.select(self.list_artifacts(client))
        for art in expired:
            yield RawDocument(
                name=self._label(art),
                opener=_empty,
                skip_reason=f"artifact expired ({art.get('expires_at') or 'date unknown'}), not read",
            )
        for art in chosen:
            label = self._label(art)
            data = self._download(client, art)
            readable = 0
            skipped: list[str] = []
            prefix = f"{label}/"
            members = archive_documents(
                label, data, self.ctx.limits, remote=True, fmt="zip", member_name=prefix.__add__
            )
            for doc in members:
                if doc.skip_reason is None:
                    readable += 1
                else:
                    skipped.append(doc.name[len(prefix) :])
                yield doc
            if readable == 0:
                listed = ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else "")
                raise InputError(
                    f"{label}: the artifact holds no event file (.jsonl/.ndjson/.json/.yaml/.yml)"
                    + (f"; skipped: {listed}" if listed else "; it is empty"),
                    hint="upload the event files themselves, or point at the right artifact",
                )


def _empty() -> io.BytesIO:
    return io.BytesIO(b"")


def open_artifact(ref: str, ctx: SourceContext) -> ArtifactSource:
    return ArtifactSource(ref, ctx)
