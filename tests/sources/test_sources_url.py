"""https:// (and loopback http://) sources, presigned URLs included, through the registry."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer
from sources_support import EVENTS_JSONL, SIG, blob_url, make_ctx, make_zip

from gate.errors import InputError, SourceError, UsageError
from gate.http import HttpClient
from gate.sources import resolve, scheme_of
from gate.sources.base import Limits, RawDocument
from gate.sources.url import UrlSource


def _read(doc: RawDocument) -> bytes:
    with doc.opener() as f:
        return f.read()


def test_registry_knows_the_network_schemes() -> None:
    assert scheme_of("https://example.org/e.jsonl") == "https"
    assert scheme_of("HTTP://127.0.0.1/e.jsonl") == "http"
    assert scheme_of("artifact:events") == "artifact"
    assert scheme_of("artifact://acme/model/events") == "artifact"
    assert scheme_of("events.jsonl") is None


def test_presigned_url_is_read_and_named_without_its_query(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/bucket/run-7/events.jsonl").respond_with_data(EVENTS_JSONL)
    url = blob_url(blob, "/bucket/run-7/events.jsonl")
    docs = list(resolve(url, make_ctx(client=client)).documents())
    assert [(d.name, d.kind, d.skip_reason) for d in docs] == [
        (f"http://localhost:{blob.port}/bucket/run-7/events.jsonl", None, None)
    ]
    assert _read(docs[0]) == EVENTS_JSONL
    assert blob.log[0][0].args["X-Amz-Signature"] == SIG


def test_url_without_extension_is_detected_by_content(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/export").respond_with_data(EVENTS_JSONL)
    (doc,) = resolve(blob_url(blob, "/export"), make_ctx(client=client)).documents()
    assert doc.kind == "auto"
    assert _read(doc) == EVENTS_JSONL


def test_url_to_an_archive_yields_its_members(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/b/run.zip").respond_with_data(make_zip({"e.jsonl": EVENTS_JSONL, "x.bin": b"1"}))
    docs = list(resolve(blob_url(blob, "/b/run.zip"), make_ctx(client=client)).documents())
    base = f"http://localhost:{blob.port}/b/run.zip"
    assert [(d.name, d.skip_reason) for d in docs] == [
        (f"{base}!e.jsonl", None),
        (f"{base}!x.bin", "not an event file extension"),
    ]


def test_archive_detected_by_magic_when_the_url_has_no_extension(
    blob: HTTPServer, client: HttpClient
) -> None:
    blob.expect_request("/obj").respond_with_data(make_zip({"e.jsonl": EVENTS_JSONL}))
    docs = list(resolve(blob_url(blob, "/obj"), make_ctx(client=client)).documents())
    assert [d.name for d in docs] == [f"http://localhost:{blob.port}/obj!e.jsonl"]


def test_corrupt_remote_archive_is_a_source_error(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/b/run.zip").respond_with_data(b"PK\x03\x04 truncated")
    with pytest.raises(SourceError, match="corrupt or unreadable archive") as ei:
        list(resolve(blob_url(blob, "/b/run.zip"), make_ctx(client=client)).documents())
    assert ei.value.exit_code == 3


def test_missing_object_is_a_source_error_exit_3(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/b/none.jsonl").respond_with_data("NoSuchKey", status=404)
    with pytest.raises(SourceError) as ei:
        list(resolve(blob_url(blob, "/b/none.jsonl"), make_ctx(client=client)).documents())
    assert str(ei.value) == f"http://localhost:{blob.port}/b/none.jsonl: HTTP 404 NOT FOUND"
    assert ei.value.exit_code == 3


def test_download_cap_comes_from_the_limits(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/b/e.jsonl").respond_with_data(EVENTS_JSONL)
    with pytest.raises(SourceError, match="over the 10 bytes cap"):
        list(
            resolve(
                blob_url(blob, "/b/e.jsonl"), make_ctx(client=client, limits=Limits(max_download_bytes=10))
            ).documents()
        )


def test_offline_refuses_before_any_request(blob: HTTPServer, client: HttpClient) -> None:
    url = blob_url(blob, "/b/e.jsonl")
    with pytest.raises(UsageError, match="a network source, refused by --offline") as ei:
        resolve(url, make_ctx(client=client, offline=True))
    assert ei.value.exit_code == 2
    assert SIG not in str(ei.value)
    assert blob.log == []


def test_plain_http_only_to_loopback_or_when_allowed() -> None:
    with pytest.raises(UsageError, match=r"plain http:// is refused") as ei:
        UrlSource("http://evidence.example.org/e.jsonl?sig=abcdefgh12345", make_ctx())
    assert "abcdefgh12345" not in str(ei.value)
    assert ei.value.hint is not None and "--allow-http" in ei.value.hint
    UrlSource("http://evidence.example.org/e.jsonl", make_ctx(allow_http=True))  # constructed, not fetched
    UrlSource("http://127.0.0.2:8080/e.jsonl", make_ctx())
    UrlSource("http://[::1]:8080/e.jsonl", make_ctx())
    with pytest.raises(UsageError, match="not a valid http"):
        UrlSource("https:///nohost", make_ctx())


def test_empty_download_is_one_empty_document(blob: HTTPServer, client: HttpClient) -> None:
    # The parser decides what an empty document means; the source neither drops nor invents it.
    blob.expect_request("/b/empty.jsonl").respond_with_data(b"")
    (doc,) = resolve(blob_url(blob, "/b/empty.jsonl"), make_ctx(client=client)).documents()
    assert _read(doc) == b""


def test_document_cap_applies_to_single_downloads(blob: HTTPServer, client: HttpClient) -> None:
    blob.expect_request("/b/e.jsonl").respond_with_data(EVENTS_JSONL)
    with pytest.raises(InputError, match="per-document cap"):
        list(
            resolve(
                blob_url(blob, "/b/e.jsonl"), make_ctx(client=client, limits=Limits(max_document_bytes=10))
            ).documents()
        )
