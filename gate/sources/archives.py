"""Archives (zip, tar.gz) as containers of evidence documents, read in memory, never extracted.

Used by local files, URL downloads and GitHub artifacts alike. Every member is either a document
(an event file: .jsonl/.ndjson/.json/.yaml/.yml) or a listed skip; unsafe names (absolute, `..`),
too many members, too many bytes and bomb-like compression ratios are refused before anything is
decompressed beyond the caps. A corrupt archive is an input error when it is a local file and a
source error (exit 3) when it was downloaded: a broken transfer is not the user's input.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from gate.errors import GateError, InputError, SourceError
from gate.sources.base import Limits, RawDocument

__all__ = [
    "ARCHIVE_SUFFIXES",
    "EVENT_EXTENSIONS",
    "RATIO_MIN_BYTES",
    "archive_documents",
    "archive_format",
    "is_archive_name",
    "read_local_archive",
]

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
EVENT_EXTENSIONS = (".jsonl", ".ndjson", ".json", ".yaml", ".yml")
# The compression-ratio cap applies to members (and archives) above this size: small, repetitive
# event files compress well and are harmless; bombs are large by definition.
RATIO_MIN_BYTES = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
_GZIP_MAGIC = b"\x1f\x8b"
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_archive_name(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def archive_format(name: str, data: bytes | None = None) -> str | None:
    """`zip`, `tar` (gzip-compressed tar) or None, by the name's suffix, else by the content's magic."""
    low = name.lower()
    if low.endswith(".zip"):
        return "zip"
    if low.endswith((".tar.gz", ".tgz")):
        return "tar"
    if data is not None:
        if data.startswith(_ZIP_MAGIC):
            return "zip"
        if data.startswith(_GZIP_MAGIC):
            return "tar"
    return None


def _unsafe_reason(member: str) -> str | None:
    """Why a member name could escape an extraction directory (we never extract, but such an
    archive is hostile or broken, and its names would be misleading in a report)."""
    if not member or "\x00" in member:
        return "empty name or NUL byte"
    norm = member.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        return "absolute path"
    if ".." in norm.split("/"):
        return "'..' in path"
    return None


def _skip_reason(member: str) -> str | None:
    base = posixpath.basename(member)
    parts = member.split("/")
    if any(p.startswith(".") for p in parts) or parts[0] == "__MACOSX":
        return "hidden file"
    if is_archive_name(base):
        return "nested archive (not read)"
    if not base.lower().endswith(EVENT_EXTENSIONS):
        return "not an event file extension"
    return None


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


class _Archive:
    def __init__(
        self, name: str, data: bytes, limits: Limits, remote: bool, member_name: Callable[[str], str]
    ) -> None:
        self.name = name
        self.data = data
        self.limits = limits
        self.remote = remote
        self.member_name = member_name

    def corrupt(self, why: str) -> GateError:
        msg = f"{self.name}: corrupt or unreadable archive ({why})"
        if self.remote:
            return SourceError(msg, hint="the download may be incomplete or not an archive; try again")
        return InputError(msg, hint="re-create the archive")

    def unsafe(self, member: str, why: str) -> InputError:
        return InputError(
            f"{self.name}!{member}: unsafe member name ({why})", hint="the archive is refused whole"
        )

    def too_many(self, count: int) -> InputError:
        return InputError(
            f"{self.name}: more than {self.limits.max_archive_members} members ({count} or more)",
            hint="raise the cap with --max-archive-members if this is expected",
        )

    def too_big(self, total: int) -> InputError:
        return InputError(
            f"{self.name}: uncompressed content exceeds the {_mib(self.limits.max_archive_total_bytes)} cap "
            f"({_mib(total)} or more)",
            hint="raise the cap with --max-archive-bytes if this is expected",
        )

    def check_ratio(self, label: str, size: int, compressed: int) -> None:
        ratio = size / max(compressed, 1)
        if size > RATIO_MIN_BYTES and ratio > self.limits.max_compression_ratio:
            raise InputError(
                f"{label}: compression ratio {ratio:.0f}:1 exceeds the {self.limits.max_compression_ratio}:1 "
                "cap (a decompression bomb?)",
                hint="raise the cap with --max-compression-ratio if this archive is trusted",
            )

    def check_member_size(self, member: str, size: int) -> None:
        if size > self.limits.max_document_bytes:
            raise InputError(
                f"{self.name}!{member}: {_mib(size)} uncompressed, over the "
                f"{_mib(self.limits.max_document_bytes)} per-document cap",
                hint="raise the cap with --max-document-bytes if this is expected",
            )

    def listed(self, member: str, reason: str) -> RawDocument:
        return RawDocument(name=self.member_name(member), opener=lambda: io.BytesIO(b""), skip_reason=reason)

    # -- zip -------------------------------------------------------------------------------------

    def zip_documents(self) -> Iterator[RawDocument]:
        try:
            zf = zipfile.ZipFile(io.BytesIO(self.data))
            infos = zf.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            ValueError,
            EOFError,
            OSError,
            NotImplementedError,
        ) as e:
            raise self.corrupt(_short(e)) from None  # NotImplementedError: a damaged "version needed" field
        if len(infos) > self.limits.max_archive_members:
            raise self.too_many(len(infos))
        seen: set[str] = set()
        total = 0
        for info in infos:
            why = _unsafe_reason(info.filename)
            if why:
                raise self.unsafe(info.filename, why)
            if info.filename in seen:
                raise InputError(f"{self.name}!{info.filename}: the member name appears twice in the archive")
            seen.add(info.filename)
            total += info.file_size
        if total > self.limits.max_archive_total_bytes:
            raise self.too_big(total)
        self.check_ratio(self.name, total, len(self.data))
        files = [i for i in infos if not i.is_dir()]  # after the name checks: is_dir() fails on ""
        for info in files:
            self.check_ratio(f"{self.name}!{info.filename}", info.file_size, info.compress_size)
        for info in sorted(files, key=lambda i: i.filename):
            member = info.filename
            reason = _skip_reason(member)
            if reason is not None:
                yield self.listed(member, reason)
                continue
            self.check_member_size(member, info.file_size)
            yield RawDocument(name=self.member_name(member), opener=self._zip_opener(zf, info))

    def _zip_opener(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], io.BytesIO]:
        def opener() -> io.BytesIO:
            # zipfile never yields more than the declared file_size and checks the CRC at the end.
            try:
                with zf.open(info) as f:
                    data = f.read(info.file_size + 1)
            except (zipfile.BadZipFile, ValueError, EOFError, OSError, zlib.error, NotImplementedError) as e:
                raise self.corrupt(f"member {info.filename}: {_short(e)}") from None
            except RuntimeError:  # zipfile's answer to an encrypted member (the flag may be damage)
                raise self.corrupt(f"member {info.filename}: encrypted (a password is needed)") from None
            if len(data) != info.file_size:
                raise self.corrupt(f"member {info.filename}: size differs from the directory")
            return io.BytesIO(data)

        return opener

    # -- tar.gz ----------------------------------------------------------------------------------

    def tar_documents(self) -> Iterator[RawDocument]:
        members: list[tuple[str, bytes | None, str | None]] = []
        total = 0
        count = 0
        try:
            with tarfile.open(fileobj=io.BytesIO(self.data), mode="r|gz") as tf:
                for m in tf:
                    count += 1
                    if count > self.limits.max_archive_members:
                        raise self.too_many(count)
                    why = _unsafe_reason(m.name)
                    if why:
                        raise self.unsafe(m.name, why)
                    if m.isdir():
                        continue
                    if not m.isfile():
                        members.append((m.name, None, "not a regular file (link or device)"))
                        continue
                    total += m.size
                    if total > self.limits.max_archive_total_bytes:
                        raise self.too_big(total)
                    self.check_ratio(self.name, total, len(self.data))
                    reason = _skip_reason(m.name)
                    if reason is not None:
                        members.append((m.name, None, reason))
                        continue
                    self.check_member_size(m.name, m.size)
                    f = tf.extractfile(m)
                    data = f.read() if f is not None else b""
                    if len(data) != m.size:
                        raise self.corrupt(f"member {m.name}: truncated")
                    members.append((m.name, data, None))
        except GateError:
            raise
        except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as e:
            raise self.corrupt(_short(e)) from None
        except TypeError:  # tarfile's gzip reader on a header cut short: `ord()` of an empty read
            raise self.corrupt("the gzip header is truncated") from None
        names = [n for n, _, _ in members]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})[0]
            raise InputError(f"{self.name}!{dup}: the member name appears twice in the archive")
        for member, content, reason in sorted(members, key=lambda t: t[0]):
            if content is None:
                yield self.listed(member, reason or "not read")
            else:
                yield RawDocument.from_bytes(self.member_name(member), content)


def _short(e: BaseException) -> str:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:160]


def archive_documents(
    name: str,
    data: bytes,
    limits: Limits,
    *,
    remote: bool,
    fmt: str | None = None,
    member_name: Callable[[str], str] | None = None,
) -> Iterator[RawDocument]:
    """The members of an in-memory archive, sorted by member path: event files as documents, every
    other file as a listed skip. `name` is the archive's (secret-free) display name; members are
    named `name!member` unless `member_name` says otherwise. Raises InputError for unsafe or
    over-cap archives, and for corrupt ones (SourceError when `remote`)."""
    arch = _Archive(name, data, limits, remote, member_name or (lambda m: f"{name}!{m}"))
    kind = fmt or archive_format(name, data)
    if kind == "zip":
        yield from arch.zip_documents()
    elif kind == "tar":
        yield from arch.tar_documents()
    else:
        raise arch.corrupt("neither a zip nor a gzip-compressed tar")


def read_local_archive(path: Path, name: str, limits: Limits) -> Iterator[RawDocument]:
    """A local archive file (read whole into memory, capped by the per-document cap)."""
    try:
        size = path.stat().st_size
        if size > limits.max_document_bytes:
            raise InputError(
                f"{name}: {_mib(size)}, over the {_mib(limits.max_document_bytes)} per-document cap",
                hint="raise the cap with --max-document-bytes if this is expected",
            )
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{name}: cannot read ({e.strerror or type(e).__name__})") from None
    yield from archive_documents(name, data, limits, remote=False)
