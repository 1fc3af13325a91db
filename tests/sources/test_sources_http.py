"""gate.http.HttpClient against real loopback servers: redirects, retries, timeouts, caps."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from sources_support import SIG, TOKEN, blob_url
from werkzeug import Request, Response

from gate.errors import SourceError
from gate.http import HttpClient, HttpStatusError


def _auth(server: HTTPServer) -> list[str | None]:
    return [req.headers.get("Authorization") for req, _ in server.log]


def test_token_reaches_the_origin_but_never_the_redirect_host(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request("/dl").respond_with_response(
        Response(status=302, headers={"Location": blob_url(blob, "/store/x.zip")})
    )
    blob.expect_request("/store/x.zip").respond_with_data(b"payload")
    assert client.download(f"http://127.0.0.1:{api.port}/dl", token=TOKEN) == b"payload"
    assert _auth(api) == [f"Bearer {TOKEN}"]
    assert len(blob.log) == 1
    assert _auth(blob) == [None]
    assert blob.log[0][0].args["X-Amz-Signature"] == SIG  # the presigned query arrived intact


def test_explicit_authorization_header_is_dropped_on_host_change_too(
    api: HTTPServer, blob: HTTPServer, client: HttpClient
) -> None:
    api.expect_request("/r").respond_with_response(
        Response(status=307, headers={"Location": blob_url(blob, "/b", query="")})
    )
    blob.expect_request("/b").respond_with_data(b"{}")
    resp = client.request(
        "GET", f"http://127.0.0.1:{api.port}/r", headers={"Authorization": "token abc123456", "Cookie": "s=1"}
    )
    assert resp.status_code == 200
    assert blob.log[0][0].headers.get("Authorization") is None
    assert blob.log[0][0].headers.get("Cookie") is None


def test_same_origin_redirect_keeps_the_token(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/old").respond_with_response(Response(status=301, headers={"Location": "/new"}))
    api.expect_request("/new").respond_with_data("ok")
    assert client.download(api.url_for("/old"), token=TOKEN) == b"ok"
    assert _auth(api) == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]


def test_a_different_port_is_another_origin(api: HTTPServer, blob: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/r").respond_with_response(
        Response(status=302, headers={"Location": f"http://127.0.0.1:{blob.port}/b"})
    )
    blob.expect_request("/b").respond_with_data("ok")
    client.download(api.url_for("/r"), token=TOKEN)
    assert _auth(blob) == [None]


def test_allow_redirects_false_returns_the_redirect(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/r").respond_with_response(Response(status=302, headers={"Location": "/elsewhere"}))
    resp = client.request("GET", api.url_for("/r"), allow_redirects=False)
    assert resp.status_code == 302
    assert len(api.log) == 1


def test_redirect_loop_is_a_source_error(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/loop").respond_with_response(Response(status=302, headers={"Location": "/loop"}))
    with pytest.raises(SourceError, match="more than 5 redirects"):
        client.download(api.url_for("/loop"))
    assert len(api.log) == 6


def test_500_then_success_is_retried_with_backoff(
    api: HTTPServer, client: HttpClient, sleeps: list[float]
) -> None:
    api.expect_ordered_request("/flaky").respond_with_data("boom", status=500)
    api.expect_ordered_request("/flaky").respond_with_data("boom", status=502)
    api.expect_ordered_request("/flaky").respond_with_data("fine")
    assert client.download(api.url_for("/flaky")) == b"fine"
    assert sleeps == [0.5, 1.0]
    api.check_assertions()


def test_429_honours_retry_after_seconds(api: HTTPServer, client: HttpClient, sleeps: list[float]) -> None:
    api.expect_ordered_request("/rl").respond_with_data("", status=429, headers={"Retry-After": "7"})
    api.expect_ordered_request("/rl").respond_with_json({"ok": True})
    resp = client.request("GET", api.url_for("/rl"))
    assert resp.json() == {"ok": True}
    assert sleeps == [7.0]


def test_retry_after_http_date_and_cap(api: HTTPServer, sleeps: list[float]) -> None:
    client = HttpClient(retries=2, sleep=sleeps.append, max_retry_after=30.0)
    later = format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    api.expect_ordered_request("/rl").respond_with_data("", status=503, headers={"Retry-After": later})
    api.expect_ordered_request("/rl").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    api.expect_ordered_request("/rl").respond_with_data("done")
    assert client.request("GET", api.url_for("/rl")).text == "done"
    assert sleeps == [30.0, 30.0]  # both capped at max_retry_after


def test_persistent_5xx_returns_the_last_response_or_raises_on_download(
    api: HTTPServer, client: HttpClient, sleeps: list[float]
) -> None:
    api.expect_request("/down").respond_with_data("", status=503)
    resp = client.request("GET", api.url_for("/down"))
    assert resp.status_code == 503
    assert len(api.log) == 4  # 1 + 3 retries
    assert sleeps == [0.5, 1.0, 2.0]
    with pytest.raises(HttpStatusError) as ei:
        client.download(api.url_for("/down"))
    assert ei.value.status == 503
    assert ei.value.exit_code == 3


def test_post_is_not_retried_on_500(api: HTTPServer, client: HttpClient, sleeps: list[float]) -> None:
    api.expect_request("/comment", method="POST").respond_with_data("", status=500)
    resp = client.request("POST", api.url_for("/comment"), json={"body": "x"})
    assert resp.status_code == 500
    assert len(api.log) == 1
    assert sleeps == []


def test_post_is_retried_on_429(api: HTTPServer, client: HttpClient, sleeps: list[float]) -> None:
    api.expect_ordered_request("/comment", method="POST").respond_with_data(
        "", status=429, headers={"Retry-After": "2"}
    )
    api.expect_ordered_request("/comment", method="POST").respond_with_data("", status=201)
    assert client.request("POST", api.url_for("/comment"), json={"body": "x"}).status_code == 201
    assert sleeps == [2.0]
    assert [r.get_json() for r, _ in api.log] == [{"body": "x"}, {"body": "x"}]


def _stall_before_headers(_req: Request) -> Response:
    time.sleep(1.2)
    return Response("late")


def test_stall_before_the_headers_is_a_read_timeout(api: HTTPServer, sleeps: list[float]) -> None:
    client = HttpClient(timeout=(2.0, 0.2), retries=1, sleep=sleeps.append)
    api.expect_request("/stall").respond_with_handler(_stall_before_headers)
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"no data received for 0\.2s \(read timeout\)") as ei:
        client.download(api.url_for("/stall"))
    assert time.monotonic() - started < 5
    assert sleeps == [0.5]  # retried once
    assert ei.value.hint


def _stall_mid_body(_req: Request) -> Response:
    def body() -> Iterator[bytes]:
        yield b"0123456789"
        time.sleep(1.2)
        yield b"0123456789"

    return Response(body(), headers={"Content-Length": "20"})


def test_stall_in_the_middle_of_the_body_is_a_read_timeout(api: HTTPServer, sleeps: list[float]) -> None:
    client = HttpClient(timeout=(2.0, 0.2), retries=1, sleep=sleeps.append)
    api.expect_request("/stall").respond_with_handler(_stall_mid_body)
    with pytest.raises(SourceError, match="read timeout"):
        client.download(api.url_for("/stall"))
    assert len(sleeps) == 1


def test_connection_refused_is_a_source_error(sleeps: list[float]) -> None:
    client = HttpClient(timeout=(1.0, 1.0), retries=2, sleep=sleeps.append)
    with pytest.raises(SourceError, match="connection failed") as ei:
        client.request("GET", "http://127.0.0.1:9/nothing")
    assert ei.value.exit_code == 3
    assert sleeps == [0.5, 1.0]
    assert "\n" not in str(ei.value)


def test_announced_body_over_the_cap_is_refused_before_reading(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/big").respond_with_data(b"x" * 5000)
    with pytest.raises(SourceError, match="5000 bytes announced, over the 1000 bytes cap"):
        client.download(api.url_for("/big"), max_bytes=1000)


def test_streamed_body_over_the_cap_is_refused_not_truncated(api: HTTPServer, client: HttpClient) -> None:
    def handler(_req: Request) -> Response:
        return Response(iter([b"y" * 700, b"y" * 700]))  # no Content-Length: chunked

    api.expect_request("/big").respond_with_handler(handler)
    with pytest.raises(SourceError, match="body exceeds the 1000 bytes cap"):
        client.download(api.url_for("/big"), max_bytes=1000)


def test_default_cap_comes_from_the_client(api: HTTPServer) -> None:
    client = HttpClient(max_bytes=10)
    api.expect_request("/big").respond_with_data(b"z" * 11)
    with pytest.raises(SourceError, match="cap"):
        client.download(api.url_for("/big"))
    api.expect_request("/ok").respond_with_data(b"z" * 10)
    assert client.download(api.url_for("/ok")) == b"z" * 10


def test_body_shorter_than_content_length_is_an_error(
    api: HTTPServer, client: HttpClient, sleeps: list[float]
) -> None:
    def handler(_req: Request) -> Response:
        return Response(iter([b"only ten b"]), headers={"Content-Length": "1000"})

    api.expect_request("/short").respond_with_handler(handler)
    with pytest.raises(SourceError, match="1000") as ei:
        client.download(api.url_for("/short"))
    assert "Content-Length" in str(ei.value) or "closed" in str(ei.value)
    assert len(sleeps) == 3  # a broken transfer is retried before giving up


def test_non_success_status_on_download_names_the_status(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/gone").respond_with_data("", status=410)
    with pytest.raises(HttpStatusError, match="HTTP 410") as ei:
        client.download(api.url_for("/gone"), name="thing")
    assert str(ei.value).startswith("thing: ")
    assert ei.value.status == 410


def test_user_agent_and_timeouts_are_set(api: HTTPServer, client: HttpClient) -> None:
    api.expect_request("/ua").respond_with_data("ok")
    client.request("GET", api.url_for("/ua"))
    assert api.log[0][0].headers["User-Agent"].startswith("synapse-gate/")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_goes_to_a_terminal_stderr_only(api: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    size = 9 << 20
    api.expect_request("/large").respond_with_data(b"\0" * size)
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    client = HttpClient(progress=True)
    data = client.download(api.url_for("/large") + f"?sig={SIG}", name="large.bin")
    assert len(data) == size
    assert "large.bin: " in fake.getvalue() and "MiB" in fake.getvalue()
    assert SIG not in fake.getvalue()
    # Not a terminal: nothing written.
    plain = io.StringIO()
    monkeypatch.setattr(sys, "stderr", plain)
    client.download(api.url_for("/large"), name="large.bin")
    assert plain.getvalue() == ""
