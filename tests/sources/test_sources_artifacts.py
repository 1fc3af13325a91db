"""GitHub Actions artifacts against a loopback stand-in of the REST API and of blob storage.

The API shapes follow GitHub's REST reference ("List artifacts for a repository", "List workflow
run artifacts", "Download an artifact": 302 to a short-lived blob URL; 410 once expired).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sources_support import EVENTS_JSONL, TOKEN, api_base, blob_url, make_ctx, make_zip
from werkzeug import Response

from gate.errors import InputError, SourceError, UsageError
from gate.http import HttpClient
from gate.sources import resolve
from gate.sources.artifacts import ArtifactRef, parse_ref, token_from
from gate.sources.base import Limits, RawDocument

LIST = "/repos/acme/model/actions/artifacts"


def art(
    aid: int, name: str = "events", run: int = 100, created: str = "2024-05-01T10:00:00Z", **kw: Any
) -> dict:
    return {
        "id": aid,
        "node_id": f"MDg6QXJ0aWZhY3Q{aid}",
        "name": name,
        "size_in_bytes": kw.get("size", 1234),
        "url": f"https://api.github.com/repos/acme/model/actions/artifacts/{aid}",
        "archive_download_url": f"https://api.github.com/repos/acme/model/actions/artifacts/{aid}/zip",
        "expired": kw.get("expired", False),
        "created_at": created,
        "expires_at": kw.get("expires_at", "2024-07-30T10:00:00Z"),
        "updated_at": created,
        "workflow_run": {"id": run, "repository_id": 1, "head_branch": "main", "head_sha": "0" * 40},
    }


def listing(*arts: dict) -> dict:
    return {"total_count": len(arts), "artifacts": list(arts)}


def serve_zip(api: HTTPServer, blob: HTTPServer, aid: int, data: bytes) -> None:
    api.expect_request(f"{LIST}/{aid}/zip").respond_with_response(
        Response(status=302, headers={"Location": blob_url(blob, f"/container/{aid}.zip")})
    )
    blob.expect_request(f"/container/{aid}.zip").respond_with_data(data, content_type="application/zip")


def names(docs: list[RawDocument]) -> list[tuple[str, str | None]]:
    return [(d.name, d.skip_reason) for d in docs]


def read(ref: str, api: HTTPServer, client: HttpClient, **kw: Any) -> list[RawDocument]:
    return list(resolve(ref, make_ctx(api, client, **kw)).documents())


# -- reference syntax ------------------------------------------------------------------------------


def test_reference_forms() -> None:
    env = {"GITHUB_REPOSITORY": "acme/model"}
    assert parse_ref("artifact:events", env) == ArtifactRef("acme", "model", "events")
    assert parse_ref("artifact:o/r/events@all", env) == ArtifactRef("o", "r", "events", all=True)
    assert parse_ref("artifact://o/r/events@123", env) == ArtifactRef("o", "r", "events", run_id=123)
    assert parse_ref("artifact:events-*@latest", env) == ArtifactRef("acme", "model", "events-*")
    assert parse_ref("artifact:events-*", env).is_glob


@pytest.mark.parametrize(
    ("ref", "env", "message"),
    [
        ("artifact:events", {}, "no repository given and GITHUB_REPOSITORY is not set"),
        ("artifact:acme/events", {}, "expected artifact:[OWNER/REPO/]NAME"),
        ("artifact:o/r/", {}, "empty artifact name"),
        ("artifact:o/r/events@newest", {}, "unknown selector @newest"),
        ("artifact:o/r/events@0", {}, "unknown selector @0"),
        ("artifact:o w/r/events", {}, "invalid owner/repo"),
    ],
)
def test_reference_errors_are_usage_errors(ref: str, env: dict, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)) as ei:
        parse_ref(ref, env)
    assert ei.value.exit_code == 2


def test_token_precedence() -> None:
    assert token_from({"GITHUB_TOKEN": "a", "INPUT_GITHUB-TOKEN": "b"}) == "b"
    assert token_from({"GITHUB_TOKEN": "a", "GH_TOKEN": "c"}) == "a"
    assert token_from({"GH_TOKEN": "c", "INPUT_GITHUB-TOKEN": "  "}) == "c"
    assert token_from({}) is None


def test_no_token_and_offline_are_usage_errors(api: HTTPServer, client: HttpClient) -> None:
    with pytest.raises(UsageError, match="reading artifacts needs a token"):
        resolve("artifact:events", make_ctx(api, client, token=None))
    with pytest.raises(
        UsageError, match=r"artifact://acme/model/events: a network source, refused by --offline"
    ):
        resolve("artifact:events", make_ctx(api, client, offline=True))
    assert api.log == []


# -- listing, pagination, download -----------------------------------------------------------------


def test_list_paginate_pick_newest_and_download_without_leaking_the_token(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    page2 = f"{api_base(api)}{LIST}?name=events&per_page=100&page=2"
    api.expect_request(LIST, query_string={"name": "events", "per_page": "100"}).respond_with_json(
        listing(art(11, run=201, created="2024-05-01T10:00:00Z")),
        headers={"Link": f'<{page2}>; rel="next", <{page2}>; rel="last"'},
    )
    api.expect_request(
        LIST, query_string={"name": "events", "per_page": "100", "page": "2"}
    ).respond_with_json(
        listing(
            art(12, run=202, created="2024-05-03T10:00:00Z"), art(10, run=200, created="2024-04-20T10:00:00Z")
        )
    )
    serve_zip(api, blob, 12, make_zip({"events.jsonl": EVENTS_JSONL, "summary.txt": b"ok"}))

    docs = read("artifact:events", api, client)

    assert names(docs) == [
        ("artifact://acme/model/events@202/events.jsonl", None),
        ("artifact://acme/model/events@202/summary.txt", "not an event file extension"),
    ]
    with docs[0].opener() as f:
        assert f.read() == EVENTS_JSONL
    assert [r.path for r, _ in api.log] == [LIST, LIST, f"{LIST}/12/zip"]
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r, _ in api.log)
    assert all(r.headers.get("X-GitHub-Api-Version") == "2022-11-28" for r, _ in api.log)
    assert len(blob.log) == 1
    assert "Authorization" not in blob.log[0][0].headers  # the 302 target never sees the token


def test_glob_lists_everything_and_takes_the_newest_per_name(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST, query_string={"per_page": "100"}).respond_with_json(
        listing(
            art(1, "events-linux", run=5, created="2024-05-01T00:00:00Z"),
            art(2, "events-mac", run=5, created="2024-05-01T00:00:00Z"),
            art(3, "events-linux", run=6, created="2024-05-02T00:00:00Z"),
            art(4, "coverage", run=6, created="2024-05-02T00:00:00Z"),
        )
    )
    serve_zip(api, blob, 3, make_zip({"l.jsonl": EVENTS_JSONL}))
    serve_zip(api, blob, 2, make_zip({"m.jsonl": EVENTS_JSONL}))
    docs = read("artifact:acme/model/events-*", api, client)
    assert names(docs) == [
        ("artifact://acme/model/events-linux@6/l.jsonl", None),
        ("artifact://acme/model/events-mac@5/m.jsonl", None),
    ]


def test_all_reads_every_run_and_lists_expired_ones_as_skipped(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST).respond_with_json(
        listing(
            art(21, run=301, created="2024-05-02T00:00:00Z"),
            art(20, run=300, created="2024-05-01T00:00:00Z"),
            art(19, run=299, created="2024-03-01T00:00:00Z", expired=True, expires_at="2024-04-01T00:00:00Z"),
        )
    )
    serve_zip(api, blob, 20, make_zip({"e.jsonl": EVENTS_JSONL}))
    serve_zip(api, blob, 21, make_zip({"e.jsonl": EVENTS_JSONL}))
    docs = read("artifact:events@all", api, client)
    assert names(docs) == [
        ("artifact://acme/model/events@299", "artifact expired (2024-04-01T00:00:00Z), not read"),
        ("artifact://acme/model/events@300/e.jsonl", None),
        ("artifact://acme/model/events@301/e.jsonl", None),
    ]


def test_run_id_uses_the_run_endpoint(api: HTTPServer, blob: HTTPServer, client: HttpClient) -> None:
    api.expect_request(
        "/repos/acme/model/actions/runs/777/artifacts", query_string={"name": "events", "per_page": "100"}
    ).respond_with_json(listing(art(70, run=777)))
    serve_zip(api, blob, 70, make_zip({"e.jsonl": EVENTS_JSONL}))
    docs = read("artifact:events@777", api, client)
    assert names(docs) == [("artifact://acme/model/events@777/e.jsonl", None)]


def test_listing_retries_a_500(
    api: HTTPServer, blob: HTTPServer, client: HttpClient, sleeps: list[float]
) -> None:
    api.expect_ordered_request(LIST).respond_with_data("oops", status=500)
    api.expect_ordered_request(LIST).respond_with_json(listing(art(5)))
    serve_zip(api, blob, 5, make_zip({"e.jsonl": EVENTS_JSONL}))
    assert len(read("artifact:events", api, client)) == 1
    assert sleeps == [0.5]


# -- failures: never an empty pass -----------------------------------------------------------------


def test_no_matching_artifact_is_a_source_error(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(1, "other")))
    with pytest.raises(SourceError, match="no artifact matches 'events' in acme/model") as ei:
        read("artifact:events", api, client)
    assert ei.value.exit_code == 3


def test_newest_artifact_expired_in_the_listing(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(
        listing(art(9, expired=True, created="2024-05-09T00:00:00Z"), art(8, created="2024-05-01T00:00:00Z"))
    )
    with pytest.raises(SourceError, match=r"artifact://acme/model/events@100: the artifact expired") as ei:
        read("artifact:events", api, client)
    assert ei.value.exit_code == 3
    assert [r.path for r, _ in api.log] == [LIST]  # nothing downloaded


def test_every_artifact_expired_with_all(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9, expired=True)))
    with pytest.raises(SourceError, match="the artifact expired"):
        read("artifact:events@all", api, client)


def test_410_on_download_is_an_expired_source_error(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    api.expect_request(f"{LIST}/9/zip").respond_with_json({"message": "Artifact has expired"}, status=410)
    with pytest.raises(SourceError, match=r"expired \(HTTP 410 Gone\)") as ei:
        read("artifact:events", api, client)
    assert ei.value.exit_code == 3


def test_404_listing_is_a_source_error_with_a_hint(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json({"message": "Not Found"}, status=404)
    with pytest.raises(SourceError, match="acme/model not found, or not visible with this token") as ei:
        read("artifact:events", api, client)
    assert ei.value.hint and "actions: read" in ei.value.hint


def test_404_on_download(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    api.expect_request(f"{LIST}/9/zip").respond_with_json({"message": "Not Found"}, status=404)
    with pytest.raises(SourceError, match="not found for download"):
        read("artifact:events", api, client)


def test_403_listing(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json({"message": "Resource not accessible"}, status=403)
    with pytest.raises(SourceError, match=r"token was refused .* \(HTTP 403\)"):
        read("artifact:events", api, client)


def test_blob_storage_failure_after_the_redirect(
    api: HTTPServer, blob: HTTPServer, client: HttpClient, sleeps: list[float]
) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    api.expect_request(f"{LIST}/9/zip").respond_with_response(
        Response(status=302, headers={"Location": blob_url(blob, "/container/9.zip")})
    )
    blob.expect_request("/container/9.zip").respond_with_data("", status=503)
    with pytest.raises(SourceError, match=r"artifact://acme/model/events@100: HTTP 503"):
        read("artifact:events", api, client)
    assert len(blob.log) == 4  # retried on the blob host, without the token
    assert all("Authorization" not in r.headers for r, _ in blob.log)


def test_pagination_link_to_another_host_is_refused(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST).respond_with_json(
        listing(art(1)), headers={"Link": f'<{blob_url(blob, LIST, query="page=2")}>; rel="next"'}
    )
    with pytest.raises(SourceError, match="pagination link leaves the API host"):
        read("artifact:events", api, client)
    assert blob.log == []


def test_listing_that_is_not_json(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_data("<html>proxy login</html>")
    with pytest.raises(SourceError, match="not JSON"):
        read("artifact:events", api, client)


def test_artifact_without_event_files_is_an_error(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    serve_zip(api, blob, 9, make_zip({"model.bin": b"\0", "README.md": b"#"}))
    with pytest.raises(InputError, match=r"holds no event file .*; skipped: README\.md, model\.bin"):
        read("artifact:events", api, client)


def test_artifact_over_the_download_cap_is_refused_before_downloading(
    api: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9, size=5000)))
    with pytest.raises(SourceError, match="over the 4096-byte download cap"):
        read("artifact:events", api, client, limits=Limits(max_download_bytes=4096))
    assert [r.path for r, _ in api.log] == [LIST]


def test_corrupt_artifact_zip_is_a_source_error(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    serve_zip(api, blob, 9, b"PK\x03\x04 this is not a zip")
    with pytest.raises(SourceError, match=r"artifact://acme/model/events@100: corrupt or unreadable archive"):
        read("artifact:events", api, client)


def test_zip_slip_inside_an_artifact(api: HTTPServer, blob: HTTPServer, client: HttpClient) -> None:
    api.expect_request(LIST).respond_with_json(listing(art(9)))
    serve_zip(api, blob, 9, make_zip({"../../.github/workflows/x.jsonl": EVENTS_JSONL}))
    with pytest.raises(
        InputError, match=r"events@100!\.\./\.\./\.github/workflows/x\.jsonl: unsafe member name"
    ):
        read("artifact:events", api, client)
