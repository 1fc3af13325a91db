"""No token and no presigned query ever reaches stdout, stderr, logs, exception text or document names.

Every failure path of the network sources is driven against loopback servers, with debug logging
on; everything the gate could show a user is collected and grepped for the secrets.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from sources_support import EVENTS_JSONL, PRESIGNED_QUERY, SIG, TOKEN, blob_url, make_ctx, make_zip
from werkzeug import Request, Response

from gate.errors import GateError
from gate.http import HttpClient, redact
from gate.sources import resolve
from gate.sources.base import Limits

LIST = "/repos/acme/model/actions/artifacts"
SECRETS = (TOKEN, SIG, PRESIGNED_QUERY, "X-Amz-Signature=")


def _stall(_req: Request) -> Response:
    def body() -> Iterator[bytes]:
        yield b"{"
        time.sleep(0.8)
        yield b"}"

    return Response(body(), headers={"Content-Length": "2"})


def _short(_req: Request) -> Response:
    return Response(iter([b"abc"]), headers={"Content-Length": "50"})


def test_no_secret_in_any_output(
    api: HTTPServer,
    blob: HTTPServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = HttpClient(timeout=(1.0, 0.2), retries=1, sleep=lambda _s: None)
    ctx = make_ctx(api, client)
    shown: list[str] = []
    failures = 0

    def attempt(ref: str, ctx_override: Callable[[], object] | None = None) -> None:
        nonlocal failures
        try:
            source = resolve(ref, ctx_override() if ctx_override else ctx)  # type: ignore[arg-type]
            for doc in source.documents():
                shown.append(doc.name)
                shown.append(doc.skip_reason or "")
        except GateError as e:
            failures += 1
            shown.extend([str(e), e.hint or "", repr(e)])
            shown.append("".join(traceback.format_exception(type(e), e, e.__traceback__)))

    # Presigned object-store URLs: success and every failure.
    blob.expect_request("/ok/events.jsonl").respond_with_data(EVENTS_JSONL)
    blob.expect_request("/ok/run.zip").respond_with_data(make_zip({"e.jsonl": EVENTS_JSONL}))
    blob.expect_request("/missing.jsonl").respond_with_data("NoSuchKey", status=404)
    blob.expect_request("/denied.jsonl").respond_with_data(f"<Error>bad {SIG}</Error>", status=403)
    blob.expect_request("/flaky.jsonl").respond_with_data("", status=503)
    blob.expect_request("/stall.jsonl").respond_with_handler(_stall)
    blob.expect_request("/short.jsonl").respond_with_handler(_short)
    blob.expect_request("/huge.jsonl").respond_with_data(b"x" * 4096)
    blob.expect_request("/bad.zip").respond_with_data(b"PK\x03\x04 broken")
    blob.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": blob_url(blob, "/loop")})
    )
    blob.expect_request("/to-ftp").respond_with_response(
        Response(status=302, headers={"Location": f"ftp://files.invalid/x?sig={SIG}"})
    )
    for path in (
        "/ok/events.jsonl",
        "/ok/run.zip",
        "/missing.jsonl",
        "/denied.jsonl",
        "/flaky.jsonl",
        "/stall.jsonl",
        "/short.jsonl",
        "/bad.zip",
        "/loop",
        "/to-ftp",
    ):
        attempt(blob_url(blob, path))
    attempt(
        blob_url(blob, "/huge.jsonl"), lambda: make_ctx(api, client, limits=Limits(max_download_bytes=100))
    )
    attempt(f"http://127.0.0.1:9/refused.jsonl?{PRESIGNED_QUERY}")
    attempt(f"http://user:{TOKEN}@127.0.0.1:9/userinfo.jsonl")
    attempt(blob_url(blob, "/offline.jsonl"), lambda: make_ctx(api, client, offline=True))
    attempt(f"http://evidence.invalid/e.jsonl?{PRESIGNED_QUERY}")  # plain http refused, not fetched

    # Artifacts: the token on the API, a presigned 302 target on the blob host.
    def listing(aid: int) -> dict:
        return {"total_count": 1, "artifacts": [{"id": aid, "name": f"a{aid}", "expired": False}]}

    def redirect(aid: int, path: str) -> None:
        api.expect_request(f"{LIST}/{aid}/zip").respond_with_response(
            Response(status=302, headers={"Location": blob_url(blob, path)})
        )

    for aid, blob_path in ((1, "/ok/run.zip"), (2, "/flaky.jsonl"), (3, "/bad.zip"), (4, "/stall.jsonl")):
        api.expect_request(LIST, query_string={"name": f"a{aid}", "per_page": "100"}).respond_with_json(
            listing(aid)
        )
        redirect(aid, blob_path)
        attempt(f"artifact:a{aid}")
    api.expect_request(LIST, query_string={"name": "denied", "per_page": "100"}).respond_with_json(
        {"message": f"Bad credentials {TOKEN}"}, status=401
    )
    attempt("artifact:denied")
    api.expect_request(f"{LIST}/9/zip").respond_with_data("", status=410)
    api.expect_request(LIST, query_string={"name": "gone", "per_page": "100"}).respond_with_json(
        {"total_count": 1, "artifacts": [{"id": 9, "name": "gone", "expired": False}]}
    )
    attempt("artifact:gone")
    attempt("artifact:a1", lambda: make_ctx(api, client, offline=True))

    assert failures >= 15  # the scenarios above really failed, one by one
    assert any("events.jsonl" in s for s in shown)  # and the successes produced names
    out, err = capsys.readouterr()
    everything = "\n".join([*shown, out, err, caplog.text])
    assert "GET /" in caplog.text  # urllib3's request lines were captured (debug logging is on)
    for secret in SECRETS:
        assert secret not in everything, f"leaked: {secret[:12]}..."
    # The blob host really received the signature, and never the token.
    assert any(r.args.get("X-Amz-Signature") == SIG for r, _ in blob.log)
    assert all("Authorization" not in r.headers for r, _ in blob.log)


def test_redact_masks_known_and_recognisable_secrets() -> None:
    text = (
        f"GET https://store.example/obj?{PRESIGNED_QUERY} failed; Authorization: Bearer {TOKEN}; "
        f"token {TOKEN}; https://user:pw12345@host/x; /p/a?sig=abcdefgh; plain ghp_{'a' * 36}"
    )
    out = redact(text, ["pw12345"])
    assert SIG not in out and TOKEN not in out and "pw12345" not in out and "ghp_" not in out
    assert "https://store.example/obj?***" in out
    assert "Bearer ***" in out
    assert "/p/a?***" in out
    assert redact("what? nothing=secret here", []) == "what? nothing=secret here"
    assert redact("the token needs actions: read", []) == "the token needs actions: read"
    assert redact("Authorization: Bearer abc.def_12345", []) == "Authorization: Bearer ***"
    assert redact("a short abc secret", ["abc"]) == "a short abc secret"  # too short to mask
