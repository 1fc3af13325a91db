"""URL sources: `https://...` (and `http://` to loopback, or with `allow_http`), presigned URLs included.

One download per reference (capped, retried, redirects followed without leaking credentials); the
body becomes one document, or the members of an archive (.zip/.tar.gz/.tgz, or zip/gzip content).
The whole URL is treated as a secret (presigned URLs carry their signature in the query): documents
are named `scheme://host[:port]/path`, and every message is redacted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from gate.errors import InputError, SourceError, UsageError
from gate.redact import safe_url, url_secrets
from gate.sources.archives import EVENT_EXTENSIONS, archive_documents, archive_format, is_archive_name
from gate.sources.base import Limits, RawDocument, SourceContext

if TYPE_CHECKING:  # requests loads in ~60 ms: only runs that fetch something import it
    from gate.http import HttpClient

__all__ = [
    "UrlSource",
    "client_for",
    "documents_from_download",
    "is_loopback",
    "looks_like_html",
    "open_url",
    "refuse_offline",
]


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def client_for(ctx: SourceContext) -> HttpClient:
    """The context's shared client, or a new one configured from the context."""
    if ctx.http is not None:
        return ctx.http
    from gate.http import HttpClient

    return HttpClient(max_bytes=ctx.limits.max_download_bytes, progress=ctx.progress)


def refuse_offline(ctx: SourceContext, shown: str) -> None:
    if ctx.offline:
        raise UsageError(
            f"{shown}: a network source, refused by --offline",
            hint="drop --offline, or download the evidence and pass the local copy",
        )


def check_scheme(url: str, ctx: SourceContext, shown: str) -> None:
    """https:// always; http:// only to a loopback host unless `ctx.allow_http`."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise UsageError(f"{shown}: not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UsageError(f"{shown}: not a valid http(s) URL")
    if parts.scheme.lower() == "http" and not ctx.allow_http and not is_loopback(host):
        raise UsageError(
            f"{shown}: plain http:// is refused (the evidence could be altered in transit)",
            hint="use https://, or pass --allow-http if this network is trusted",
        )


def looks_like_html(data: bytes) -> bool:
    """Whether a body starts like an HTML page (after a BOM and whitespace)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


def documents_from_download(
    name: str,
    data: bytes,
    limits: Limits,
    *,
    member_name: Callable[[str], str] | None = None,
) -> Iterator[RawDocument]:
    """A downloaded body: an archive's members, or one document (format by extension, else by content)."""
    low = name.lower()
    if is_archive_name(low) or (not low.endswith(EVENT_EXTENSIONS) and archive_format(name, data)):
        yield from archive_documents(name, data, limits, remote=True, member_name=member_name)
        return
    if len(data) > limits.max_document_bytes:
        raise InputError(f"{name}: {len(data)} bytes, over the {limits.max_document_bytes} per-document cap")
    yield RawDocument.from_bytes(name, data, kind=None if low.endswith(EVENT_EXTENSIONS) else "auto")


class UrlSource:
    """One http(s) URL. Refused under --offline; 4xx/5xx after retries and network failures are
    SourceErrors (exit 3), never an empty pass."""

    def __init__(self, ref: str, ctx: SourceContext) -> None:
        self.url = ref
        self.ctx = ctx
        self.name = safe_url(ref)
        refuse_offline(ctx, self.name)
        check_scheme(ref, ctx, self.name)

    def documents(self) -> Iterator[RawDocument]:
        client = client_for(self.ctx)
        if self.url != self.name:  # a query or credentials: presigned, the whole URL is a secret
            client.add_secret(self.url)
        for s in url_secrets(self.url):
            client.add_secret(s)
        data = client.download(self.url, max_bytes=self.ctx.limits.max_download_bytes, name=self.name)
        if looks_like_html(data):
            # A login page, a proxy's error page or a CDN placeholder answered 200: not the evidence.
            raise SourceError(
                f"{self.name}: the server answered with an HTML page, not evidence",
                hint="a login, proxy or error page answered instead of the file; check the URL and its "
                "credentials (a presigned URL may have expired)",
            )
        yield from documents_from_download(self.name, data, self.ctx.limits)


def open_url(ref: str, ctx: SourceContext) -> UrlSource:
    return UrlSource(ref, ctx)
