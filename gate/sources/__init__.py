"""Sources: references on the command line -> raw documents (the first stage of the pipeline).

The registry maps a reference scheme to a factory `(ref, ctx) -> Source`. A reference is:
`-` (stdin), `SCHEME://...` or `SCHEME:...` for a registered scheme, else a local path or glob.
Adding a source = one module plus one line in `SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable

from gate.sources import artifacts, local, url
from gate.sources.base import RawDocument, Source, SourceContext, SourceError

SourceFactory = Callable[[str, SourceContext], Source]

SOURCES: dict[str, SourceFactory] = {
    "file": local.open_file_url,
    "https": url.open_url,
    "http": url.open_url,
    "artifact": artifacts.open_artifact,
}


def scheme_of(ref: str) -> str | None:
    """The registered scheme a reference uses, or None for a local path or glob."""
    head, sep, _ = ref.partition(":")
    if sep and head.lower() in SOURCES and len(head) > 1:  # len > 1: a Windows drive letter is a path
        return head.lower()
    return None


def resolve(ref: str, ctx: SourceContext) -> Source:
    """Turn one reference into a Source."""
    if ref == "-":
        return local.StdinSource(ctx)
    scheme = scheme_of(ref)
    if scheme is not None:
        return SOURCES[scheme](ref, ctx)
    return local.LocalSource(ref, ctx)


__all__ = ["SOURCES", "RawDocument", "Source", "SourceContext", "SourceError", "resolve", "scheme_of"]
