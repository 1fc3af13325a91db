"""The one HTTP client of the gate: used by the network sources and the GitHub API module.

Discipline in one place: a single `requests.Session`, (connect, read) timeouts on every request,
retries with exponential backoff on 429/5xx, connection errors/resets and read timeouts (honouring
`Retry-After`, capped), redirects followed by hand so that credentials never reach another host,
a byte cap on every download, and messages that never contain a secret.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from gate import __version__
from gate.errors import SourceError
from gate.redact import redact, safe_url, url_secrets
from gate.urls import url_origin

__all__ = ["HttpClient", "HttpStatusError", "redact", "safe_url"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Headers that carry credentials: dropped when a redirect leaves the origin.
_CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")
_CHUNK = 64 << 10
_PROGRESS_MIN_BYTES = 8 << 20  # below this a progress line is noise
_NETWORK_HINT = "check the network and the URL; the gate never passes on evidence it could not read"


class _RedactingFilter(logging.Filter):
    """urllib3 logs request lines (`GET /path?query`) at DEBUG: strip query strings and credentials
    so that enabling debug logging can never print a presigned URL's signature."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        return True


_LOG_FILTER = _RedactingFilter()


def _install_log_redaction() -> None:
    for name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.response"):
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


class HttpStatusError(SourceError):
    """A download answered with a non-success HTTP status (after retries). Exit 3 like any SourceError."""

    def __init__(self, message: str, status: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


def _fmt_bytes(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


class HttpClient:
    """A requests.Session with timeouts, retries, safe redirects, byte caps and redacted errors.

    `request` returns the final response whatever its status (callers decide what a status means);
    `download` returns the body of a successful response or raises `SourceError`. Network failures
    that persist after the retries raise `SourceError` with a one-line, redacted cause and a hint.
    """

    def __init__(
        self,
        *,
        timeout: tuple[float, float] = (10.0, 60.0),
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        max_bytes: int = 512 << 20,
        user_agent: str = f"synapse-gate/{__version__}",
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        progress: bool = False,
    ) -> None:
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.secrets: list[str] = [s for s in secrets if s]
        self.sleep = sleep
        self.progress = progress
        self.session = requests.Session()
        _install_log_redaction()

    # -- secrets ---------------------------------------------------------------------------------

    def add_secret(self, secret: str) -> None:
        """Mask `secret` in every message this client produces from now on."""
        if secret and secret not in self.secrets:
            self.secrets.append(secret)

    def redact(self, text: str, extra: Iterable[str] = ()) -> str:
        return redact(text, [*self.secrets, *extra])

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public interface ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Any = None,
        json: Any = None,
        token: str | None = None,
        allow_redirects: bool = True,
        retry_statuses: Collection[int] = (429, 500, 502, 503, 504),
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send a request and return the final response (body read), whatever its status.

        `token` goes only into `Authorization: Bearer ...` and only to the origin of `url`.
        Non-idempotent methods (POST, PATCH) are retried only on failures to connect and on 429,
        unless `idempotent=True`: a retried POST could otherwise act twice.
        """
        resp, _ = self._perform(
            method,
            url,
            headers=headers,
            params=params,
            json=json,
            token=token,
            allow_redirects=allow_redirects,
            retry_statuses=retry_statuses,
            idempotent=idempotent,
            reader=None,
            name=None,
        )
        return resp

    def download(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        max_bytes: int | None = None,
        name: str | None = None,
    ) -> bytes:
        """GET `url` (following redirects safely) and return its body, at most `max_bytes` bytes.

        Over the cap is a SourceError (never a truncation); a body shorter than its Content-Length
        is retried, then a SourceError; a non-2xx final status raises `HttpStatusError`.
        `name` is what messages show (default: the URL without its query).
        """
        cap = self.max_bytes if max_bytes is None else max_bytes
        shown = name or safe_url(url)
        hdrs = {"Accept-Encoding": "identity", **(headers or {})}

        def reader(resp: requests.Response) -> bytes:
            return self._read_capped(resp, cap, shown)

        resp, body = self._perform(
            "GET",
            url,
            headers=hdrs,
            params=None,
            json=None,
            token=token,
            allow_redirects=True,
            retry_statuses=(429, 500, 502, 503, 504),
            idempotent=True,
            reader=reader,
            name=shown,
        )
        if body is None:
            status = resp.status_code
            resp.close()
            raise HttpStatusError(
                self.redact(f"{shown}: HTTP {status} {resp.reason or ''}".rstrip()),
                status=status,
                hint=_status_hint(status),
            )
        return body

    # -- internals -------------------------------------------------------------------------------

    def _perform(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        params: Any,
        json: Any,
        token: str | None,
        allow_redirects: bool,
        retry_statuses: Collection[int],
        idempotent: bool | None,
        reader: Callable[[requests.Response], bytes] | None,
        name: str | None,
    ) -> tuple[requests.Response, bytes | None]:
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        base: dict[str, str] = {"User-Agent": self.user_agent, **(headers or {})}
        extra_secrets: list[str] = [*url_secrets(url)]
        if token:
            extra_secrets.append(token)
            base = {k: v for k, v in base.items() if k.lower() != "authorization"}
            base["Authorization"] = f"Bearer {token}"
        for k, v in base.items():
            if k.lower() in _CREDENTIAL_HEADERS:
                extra_secrets.append(v)
                extra_secrets.extend(v.split()[1:])
        first_origin = url_origin(url)
        current = url
        hdrs = base
        body_json = json
        for hop in range(MAX_REDIRECTS + 1):
            if url_origin(current) != first_origin:  # never send credentials to another host
                hdrs = {k: v for k, v in hdrs.items() if k.lower() not in _CREDENTIAL_HEADERS}
            resp, body = self._attempts(
                method,
                current,
                headers=hdrs,
                params=params if hop == 0 else None,
                json=body_json,
                retry_statuses=retry_statuses,
                idempotent=idempotent,
                reader=reader,
                follow=allow_redirects,
                secrets=extra_secrets,
            )
            location = resp.headers.get("Location")
            if not (allow_redirects and resp.status_code in REDIRECT_STATUSES and location):
                return resp, body
            resp.close()
            target = urljoin(current, location)
            extra_secrets.extend(url_secrets(target))
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise SourceError(
                    self.redact(f"{name or safe_url(url)}: redirected to a non-HTTP URL", extra_secrets),
                    hint=_NETWORK_HINT,
                )
            if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                method, body_json = "GET", None
            current = target
        raise SourceError(
            self.redact(f"{name or safe_url(url)}: more than {MAX_REDIRECTS} redirects", extra_secrets),
            hint="the server redirects in a loop; check the URL",
        )

    def _attempts(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Any,
        json: Any,
        retry_statuses: Collection[int],
        idempotent: bool,
        reader: Callable[[requests.Response], bytes] | None,
        follow: bool,
        secrets: list[str],
    ) -> tuple[requests.Response, bytes | None]:
        """One hop: send, retrying transient failures; read the body with `reader` on a 2xx."""
        attempt = 0
        while True:
            resp: requests.Response | None = None
            try:
                resp = self.session.request(
                    method,
                    url,
                    headers=dict(headers),
                    params=params,
                    json=json,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=reader is not None,
                )
                status = resp.status_code
                redirect = follow and status in REDIRECT_STATUSES and "Location" in resp.headers
                retry_status = status in retry_statuses and (idempotent or status == 429)
                if retry_status and attempt < self.retries:
                    delay = self._retry_after(resp)
                    resp.close()
                    self.sleep(self._backoff(attempt) if delay is None else delay)
                    attempt += 1
                    continue
                if reader is not None and not redirect and 200 <= status < 300:
                    return resp, reader(resp)
                return resp, None
            except requests.RequestException as exc:
                if resp is not None:
                    resp.close()
                if attempt < self.retries and _transient(exc, idempotent):
                    self.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise SourceError(
                    self.redact(f"{method} {safe_url(url)}: {self._describe(exc)}", secrets),
                    hint=_NETWORK_HINT,
                ) from None

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff * (2**attempt), self.max_retry_after))

    def _retry_after(self, resp: requests.Response) -> float | None:
        """The delay asked by `Retry-After` (seconds or an HTTP date), capped; None when absent."""
        value = (resp.headers.get("Retry-After") or "").strip()
        if not value:
            return None
        try:
            delay = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                return None
            delay = when.timestamp() - time.time()
        if delay != delay:  # NaN
            return None
        return min(max(delay, 0.0), self.max_retry_after)

    def _describe(self, exc: BaseException) -> str:
        """A one-line cause for a network failure (no reprs, no URLs)."""
        connect, read = self.timeout
        text = str(exc)
        if isinstance(exc, requests.ConnectTimeout):
            return f"could not connect within {connect:g}s (connect timeout)"
        if isinstance(exc, requests.ReadTimeout) or "Read timed out" in text:
            return f"no data received for {read:g}s (read timeout)"
        if isinstance(exc, requests.exceptions.SSLError):
            m = re.search(r"\[SSL: [A-Z0-9_]+\] ([^'\"()\]]+)", text)  # e.g. "wrong version number"
            return "TLS error: " + (m.group(1).strip() if m else _first_reason(text))
        if isinstance(exc, requests.exceptions.ContentDecodingError):
            return "the body does not decode as its Content-Encoding says (a broken gzip/deflate stream)"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in text:
            m = re.search(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)", text)
            if m:
                got, more = int(m.group(1)), int(m.group(2))
                return (
                    f"connection closed after {got} of {got + more} bytes (body shorter than Content-Length)"
                )
            return "connection closed before the whole body was received"
        if isinstance(exc, requests.ConnectionError):
            return "connection failed: " + _first_reason(text)
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
            return "invalid URL"
        return type(exc).__name__

    def _read_capped(self, resp: requests.Response, cap: int, shown: str) -> bytes:
        declared = resp.headers.get("Content-Length")
        expected: int | None = int(declared) if declared and declared.strip().isdigit() else None
        encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        hint = "raise the cap with --max-download-bytes if this size is expected"
        if expected is not None and expected > cap:
            raise SourceError(
                self.redact(f"{shown}: {_fmt_bytes(expected)} announced, over the {_fmt_bytes(cap)} cap"),
                hint=hint,
            )
        show = self.progress and sys.stderr.isatty() and (expected is None or expected >= _PROGRESS_MIN_BYTES)
        chunks: list[bytes] = []
        received = 0
        last = 0.0
        for chunk in resp.iter_content(_CHUNK):
            received += len(chunk)
            if received > cap:
                resp.close()
                raise SourceError(
                    self.redact(f"{shown}: body exceeds the {_fmt_bytes(cap)} cap (not truncated: refused)"),
                    hint=hint,
                )
            chunks.append(chunk)
            if show and time.monotonic() - last >= 0.5:
                last = time.monotonic()
                total = f" / {_fmt_bytes(expected)}" if expected is not None else ""
                sys.stderr.write(self.redact(f"\r{shown}: {_fmt_bytes(received)}{total}"))
                sys.stderr.flush()
        if show:
            sys.stderr.write("\n")
        if expected is not None and not encoded and received != expected:
            raise SourceError(
                self.redact(f"{shown}: received {received} bytes, Content-Length announced {expected}"),
                hint=_NETWORK_HINT,
            )
        return b"".join(chunks)


def _transient(exc: requests.RequestException, idempotent: bool) -> bool:
    """Whether a failure is worth a retry. Non-idempotent requests: only when nothing was sent."""
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not idempotent:
        text = str(exc)
        return isinstance(exc, requests.ConnectionError) and (
            "NewConnectionError" in text or "Connection refused" in text
        )
    return isinstance(
        exc, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
    )


def _first_reason(text: str) -> str:
    """The human part of a urllib3 error chain: '[Errno 111] Connection refused' -> 'Connection refused'."""
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if m:
        return m.group(1).strip()
    for known in ("Connection reset by peer", "RemoteDisconnected", "Connection aborted", "Name or service"):
        if known in text:
            return {"RemoteDisconnected": "the server closed the connection without a response"}.get(
                known, known
            )
    return text.splitlines()[0][:160] if text else "unknown error"


def _status_hint(status: int) -> str:
    if status in (401, 403):
        return "the credentials were refused or lack permission"
    if status == 404:
        return "nothing at this address (or no permission to see it)"
    if status == 410:
        return "the resource is gone (expired)"
    if status == 429 or status >= 500:
        return "the server kept failing after retries; try again later"
    return _NETWORK_HINT
