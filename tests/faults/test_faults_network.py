"""Fault injection on every network path: URL downloads, the GitHub artifact listing and the
artifact download, with loopback servers that misbehave. Each ends in a SourceError (exit 3) with
a one-line cause and a hint, after bounded retries; none of them is ever an empty pass.

tests/sources covers the well-formed failures (5xx, 429, 404/410, redirect loops on the client,
stalls through werkzeug); this folder adds what only a raw socket can do, and checks the same
contract on each source, and through the CLI for a subset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faults_support import RawServer, cut_mid_body, head, raw_server, reset, send, stall_after

from gate.errors import GateError, SourceError
from gate.http import HttpClient
from gate.sources import resolve
from gate.sources.base import Limits, SourceContext

TOKEN = "ghs_FAULTTESTTOKEN0123456789abcdefghij"
EVENTS = b'{"type":"run_started","timestamp":"2024-05-01T10:00:00Z","id":"e1"}\n' * 50
RETRIES = 2


def client(sleeps: list[float]) -> HttpClient:
    return HttpClient(timeout=(1.0, 0.3), retries=RETRIES, backoff=0.5, sleep=sleeps.append)


def read_all(ref: str, sleeps: list[float], env: dict[str, str] | None = None) -> list[bytes]:
    ctx = SourceContext(env=env or {}, http=client(sleeps), limits=Limits(max_download_bytes=1 << 20))
    out = []
    for doc in resolve(ref, ctx).documents():
        with doc.opener() as f:
            out.append(f.read())
    return out


def assert_source_error(err: GateError) -> None:
    assert isinstance(err, SourceError) and err.exit_code == 3, err
    assert "\n" not in err.message and err.message.strip()
    assert err.hint, f"no hint for: {err.message}"
    assert TOKEN not in err.message + err.hint


# name -> (behaviour, expected fragment of the message, retried?)
FAULTS: dict[str, tuple[Callable[..., None], str, bool]] = {
    "connection dropped mid-body": (
        cut_mid_body(EVENTS[:100], len(EVENTS)),
        "connection closed after 100 of",
        True,
    ),
    "Content-Length longer than the body": (cut_mid_body(EVENTS, len(EVENTS) + 7), "bytes", True),
    "stall after the headers": (
        stall_after(head(Content_Length=len(EVENTS)) + EVENTS[:10]),
        "read timeout",
        True,
    ),
    "stall before any byte": (stall_after(b""), "read timeout", True),
    "not HTTP at all": (send(b"SSH-2.0-OpenSSH_9.6\r\n"), "connection failed", True),
    "connection reset": (reset, "connection failed", True),
    "closed without a response": (send(b""), "connection failed", True),
    "broken chunked encoding": (
        send(head(Transfer_Encoding="chunked") + b"5\r\nabcde\r\nzz\r\n"),
        "connection closed before the whole body",
        True,
    ),
    "gzip that is not gzip": (
        send(head(Content_Encoding="gzip", Content_Length=12) + b"not gzipped!"),
        "does not decode as its Content-Encoding says",
        False,
    ),
    "HTML page instead of the evidence": (
        send(
            head(Content_Type="text/html", Content_Length=44)
            + b"<!DOCTYPE html><html><body>login</body></html>"[:44]
        ),
        "answered with an HTML page",
        False,
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_url_source_faults(fault: str) -> None:
    behave, fragment, retried = FAULTS[fault]
    sleeps: list[float] = []
    with raw_server(behave) as server:
        started = time.monotonic()
        with pytest.raises(SourceError) as ei:
            read_all(server.url("/history.jsonl?X-Amz-Signature=SECRETSIG"), sleeps)
        elapsed = time.monotonic() - started
    assert_source_error(ei.value)
    assert fragment in ei.value.message, ei.value.message
    assert "SECRETSIG" not in ei.value.message
    assert (
        ei.value.message.startswith(f"http://127.0.0.1:{server.port}/history.jsonl")
        or "GET http" in ei.value.message
    )
    assert sleeps == ([0.5, 1.0] if retried else []), sleeps  # bounded: RETRIES retries, then give up
    assert len(server.paths) == (RETRIES + 1 if retried else 1)
    assert elapsed < 10


def test_redirect_loop_on_a_url_source() -> None:
    def loop(path: str, conn: object) -> None:
        n = int(path.rsplit("/", 1)[-1] or 0) if path.rsplit("/", 1)[-1].isdigit() else 0
        conn.sendall(head("302 Found", Location=f"/hop/{n + 1}", Content_Length=0))  # type: ignore[attr-defined]

    sleeps: list[float] = []
    with raw_server(loop) as server, pytest.raises(SourceError) as ei:
        read_all(server.url("/hop/0"), sleeps)
    assert_source_error(ei.value)
    assert "more than 5 redirects" in ei.value.message
    assert len(server.paths) == 6 and sleeps == []


def test_tls_to_a_server_that_does_not_speak_tls() -> None:
    sleeps: list[float] = []
    with (
        raw_server(send(head(Content_Length=2) + b"hi"), read_head=False) as server,
        pytest.raises(SourceError) as ei,
    ):
        read_all(server.url("/x.jsonl", scheme="https"), sleeps)
    assert_source_error(ei.value)
    assert ei.value.message == f"GET https://127.0.0.1:{server.port}/x.jsonl: TLS error: wrong version number"
    assert sleeps == []  # a TLS failure is not transient: no retry


# -- the GitHub artifact source ----------------------------------------------------------------------

LISTING = {
    "total_count": 1,
    "artifacts": [
        {
            "id": 77,
            "name": "gate-events",
            "size_in_bytes": 300,
            "expired": False,
            "created_at": "2024-05-01T10:00:00Z",
            "workflow_run": {"id": 9001},
        }
    ],
}


def github(
    listing: Callable[..., None] | None = None, download: Callable[..., None] | None = None
) -> Callable[..., None]:
    """A GitHub API whose listing and download can each misbehave."""

    def behave(path: str, conn: object) -> None:
        if "/actions/artifacts?" in path or path.endswith("/actions/artifacts"):
            if listing is not None:
                return listing(path, conn)
            body = json.dumps(LISTING).encode()
            conn.sendall(head(Content_Type="application/json", Content_Length=len(body)) + body)  # type: ignore[attr-defined]
            return None
        if download is not None:
            return download(path, conn)
        conn.sendall(head("404 Not Found", Content_Length=0))  # type: ignore[attr-defined]
        return None

    return behave


def artifact_env(server: RawServer) -> dict[str, str]:
    return {"GITHUB_API_URL": server.url(""), "GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/model"}


HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>proxy login</body></html>"
ARTIFACT_FAULTS: dict[str, tuple[Callable[..., None], str, int]] = {
    "listing answers HTML": (
        github(listing=send(head(Content_Type="text/html", Content_Length=len(HTML)) + HTML)),
        "the artifact listing is not JSON (got text/html)",
        0,
    ),
    "listing answers JSON of another shape": (
        github(listing=send(head(Content_Type="application/json", Content_Length=2) + b"[]")),
        "unexpected artifact listing",
        0,
    ),
    "listing is cut mid-body": (
        github(listing=cut_mid_body(b'{"total_count": 1, "arti', 400)),
        "connection closed",
        2,
    ),
    "listing stalls": (github(listing=stall_after(b"")), "read timeout", 2),
    "listing answers 502 every time": (
        github(listing=send(head("502 Bad Gateway", Content_Length=0))),
        "failed (HTTP 502)",
        2,
    ),
    "download is cut mid-body": (
        github(download=cut_mid_body(b"PK\x03\x04" + b"\x00" * 50, 300)),
        "connection closed",
        2,
    ),
    "download stalls": (github(download=stall_after(head(Content_Length=300) + b"PK")), "read timeout", 2),
    "download answers HTML": (
        github(download=send(head(Content_Type="text/html", Content_Length=len(HTML)) + HTML)),
        "corrupt or unreadable archive",
        0,
    ),
    "download redirects in a loop": (
        github(
            download=send(
                head("302 Found", Location="/repos/acme/model/actions/artifacts/77/zip", Content_Length=0)
            )
        ),
        "more than 5 redirects",
        0,
    ),
}


@pytest.mark.parametrize("fault", sorted(ARTIFACT_FAULTS))
def test_artifact_source_faults(fault: str) -> None:
    behave, fragment, retries = ARTIFACT_FAULTS[fault]
    sleeps: list[float] = []
    with raw_server(behave) as server, pytest.raises(SourceError) as ei:
        read_all("artifact:gate-events", sleeps, env=artifact_env(server))
    assert_source_error(ei.value)
    assert fragment in ei.value.message, ei.value.message
    assert len(sleeps) == retries, sleeps


# -- through the CLI: exit 3, one line of cause, one line of hint, no traceback ----------------------


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", "check", *args, "--as-of", "2024-06-01"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        cwd=Path(__file__).resolve().parent,
    )


CLI_FAULTS: dict[str, tuple[Callable[..., None], str, str]] = {
    "artifact listing answers HTML": (
        ARTIFACT_FAULTS["listing answers HTML"][0],
        "artifact:gate-events",
        "not JSON",
    ),
    "artifact download redirects in a loop": (
        ARTIFACT_FAULTS["download redirects in a loop"][0],
        "artifact:gate-events",
        "more than 5 redirects",
    ),
    "URL answers HTML": (
        FAULTS["HTML page instead of the evidence"][0],
        "http://127.0.0.1:{port}/e.jsonl",
        "HTML page",
    ),
    "TLS to a plain-text server": (
        send(head(Content_Length=2) + b"hi"),
        "https://127.0.0.1:{port}/e.jsonl",
        "TLS error",
    ),
}


@pytest.mark.parametrize("fault", sorted(CLI_FAULTS))
def test_cli_exit_3_with_one_line_and_a_hint(fault: str) -> None:
    behave, ref, fragment = CLI_FAULTS[fault]
    with raw_server(behave, read_head=not ref.startswith("https")) as server:
        run = cli(ref.format(port=server.port), env=artifact_env(server))
    lines = run.stderr.splitlines()
    assert run.returncode == 3, run.stderr
    assert run.stdout == ""
    assert len(lines) == 2, run.stderr
    assert lines[0].startswith("synapse-gate: error: ") and fragment in lines[0], run.stderr
    assert lines[1].startswith("hint: ")
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert TOKEN not in run.stderr
