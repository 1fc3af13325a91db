"""Shared helpers of the source tests: secrets, loopback addresses, contexts and archives."""

from __future__ import annotations

import io
import zipfile

from pytest_httpserver import HTTPServer

from gate.http import HttpClient
from gate.sources.base import Limits, SourceContext

TOKEN = "ghs_TESTTOKENabcdefghijklmnopqrstuvwx0123"
SIG = "SIGsecretQUERYvalue0123456789abcdef"
PRESIGNED_QUERY = f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature={SIG}"


def blob_url(blob: HTTPServer, path: str, query: str = PRESIGNED_QUERY) -> str:
    """A presigned-style URL on the blob server, addressed by another host name than the API."""
    return f"http://localhost:{blob.port}{path}" + (f"?{query}" if query else "")


def api_base(api: HTTPServer) -> str:
    return f"http://127.0.0.1:{api.port}"


def make_ctx(
    api: HTTPServer | None = None,
    client: HttpClient | None = None,
    *,
    offline: bool = False,
    limits: Limits | None = None,
    token: str | None = TOKEN,
    allow_http: bool = False,
) -> SourceContext:
    env = {"GITHUB_REPOSITORY": "acme/model"}
    if api is not None:
        env["GITHUB_API_URL"] = api_base(api)
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return SourceContext(
        offline=offline, env=env, limits=limits or Limits(), http=client, allow_http=allow_http
    )


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buf.getvalue()


EVENTS_JSONL = (
    b'{"type": "run_started", "timestamp": "2024-05-01T10:00:00Z", "id": "e1"}\n'
    b'{"type": "dataset_provenance_flag", "timestamp": "2024-05-01T11:00:00Z", "id": "e2"}\n'
)
