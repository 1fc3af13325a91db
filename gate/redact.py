"""Secret masking for every message the gate produces (errors, logs, reports, progress lines).

Sources and the GitHub client pass their secrets (tokens, presigned URLs) here before a string
leaves the process. Besides the secrets given explicitly, `redact` masks what looks like a
secret anyway: bearer/token credentials, GitHub token formats, URL userinfo and URL query strings
(presigned object-storage URLs carry their signature in the query).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

__all__ = ["MASK", "MIN_SECRET_LENGTH", "redact", "safe_url", "url_secrets"]

MASK = "***"
# Shorter "secrets" would mangle ordinary text without protecting anything real.
MIN_SECRET_LENGTH = 4

# A credential after `Bearer`/`token`/`Basic`: 8+ characters with a digit or `_` ("token needs" is prose).
_BEARER = re.compile(r"(?i)\b(bearer|token|basic)(\s+)(?=[A-Za-z0-9._~+/=:-]*[0-9_])[A-Za-z0-9._~+/=:-]{8,}")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@'\"<>]+@")
# A `?` that starts a query (`key=...`) after a non-space character: a URL or a request path.
_QUERY = re.compile(r"(?<=[^\s?'\"(<])\?[^\s'\"<>#)]*=[^\s'\"<>#)]*")


def _variants(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every given secret (and its URL-encoded forms), bearer/token credentials,
    GitHub tokens, URL userinfo and URL query strings replaced by `***`."""
    variants: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= MIN_SECRET_LENGTH:
            variants |= _variants(secret)
    for v in sorted(variants, key=len, reverse=True):  # longest first: a secret may contain another
        text = text.replace(v, MASK)
    text = _GITHUB_TOKEN.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    return _QUERY.sub(f"?{MASK}", text)


def safe_url(url: str) -> str:
    """scheme://host[:port]/path of a URL: no userinfo, no query, no fragment (safe to show)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return redact(url.split("?", 1)[0].split("#", 1)[0])
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_secrets(url: str) -> list[str]:
    """The secret-bearing parts of a URL: its whole query, each query value long enough to be a
    credential (8+ characters: `X-Amz-Expires=3600` is not one), its userinfo."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found: list[str] = []
    if parts.query:
        found.append(parts.query)
        for pair in parts.query.split("&"):
            _, _, value = pair.partition("=")
            if len(value) >= 8:
                found.append(value)
    if parts.fragment:
        found.append(parts.fragment)
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        found.append(userinfo)
        found.extend(p for p in userinfo.split(":") if p)
    return found
