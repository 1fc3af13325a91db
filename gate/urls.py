"""URL helpers shared by the HTTP client and the sources (no network, and no `requests` import)."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: two URLs of one origin give
    the same triple. An invalid port makes the URL an origin of its own (it matches no other)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # credentials are never sent there (and requests refuses such a URL)
        return parts.scheme.lower(), url, -1
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port
