"""Archives built in the tests: safe names, caps, corrupt data, skipped members, the local-file hook."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from sources_support import EVENTS_JSONL, make_zip

from gate.errors import InputError, SourceError
from gate.sources import resolve
from gate.sources.archives import archive_documents, archive_format
from gate.sources.base import Limits, RawDocument, SourceContext


def _read(doc: RawDocument) -> bytes:
    with doc.opener() as f:
        return f.read()


def _docs(data: bytes, name: str = "ev.zip", limits: Limits | None = None, remote: bool = False) -> list:
    return list(archive_documents(name, data, limits or Limits(), remote=remote))


def test_event_members_become_documents_and_others_are_listed_as_skipped() -> None:
    data = make_zip(
        {
            "run/events.jsonl": EVENTS_JSONL,
            "run/more.yaml": b"- {type: x, timestamp: '2024-01-01T00:00:00Z'}\n",
            "README.txt": b"hello",
            "run/.hidden.jsonl": b"{}",
            "__MACOSX/run/._events.jsonl": b"junk",
            "inner.zip": make_zip({"a.jsonl": b""}),
            "dir/": b"",
        }
    )
    docs = _docs(data)
    table = [(d.name, d.skip_reason) for d in docs]
    assert table == [
        ("ev.zip!README.txt", "not an event file extension"),
        ("ev.zip!__MACOSX/run/._events.jsonl", "hidden file"),
        ("ev.zip!inner.zip", "nested archive (not read)"),
        ("ev.zip!run/.hidden.jsonl", "hidden file"),
        ("ev.zip!run/events.jsonl", None),
        ("ev.zip!run/more.yaml", None),
    ]
    assert _read(docs[4]) == EVENTS_JSONL


@pytest.mark.parametrize(
    ("member", "why"),
    [
        ("../evil.jsonl", "'..' in path"),
        ("run/../../evil.jsonl", "'..' in path"),
        ("..\\..\\evil.jsonl", "'..' in path"),
        ("/etc/evil.jsonl", "absolute path"),
        ("C:/evil.jsonl", "absolute path"),
    ],
)
def test_unsafe_member_names_refuse_the_whole_archive(member: str, why: str) -> None:
    data = make_zip({"ok.jsonl": EVENTS_JSONL, member: EVENTS_JSONL})
    assert member in zipfile.ZipFile(io.BytesIO(data)).namelist()  # the hostile name really is there
    with pytest.raises(InputError) as ei:
        _docs(data)
    assert str(ei.value) == f"ev.zip!{member}: unsafe member name ({why})"
    assert ei.value.exit_code == 2


def test_compression_bomb_is_refused_before_decompressing() -> None:
    data = make_zip({"bomb.jsonl": b"\n" * (64 << 20)})
    assert len(data) < 200_000
    started = time.monotonic()
    with pytest.raises(InputError, match=r"compression ratio \d+:1 exceeds the 200:1 cap"):
        _docs(data)
    assert time.monotonic() - started < 1.0


def test_declared_total_over_the_cap_is_refused() -> None:
    data = make_zip({"a.jsonl": b"x" * 3000, "b.jsonl": b"y" * 3000}, compression=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match="uncompressed content exceeds the 5000 bytes cap"):
        _docs(data, limits=Limits(max_archive_total_bytes=5000))


def test_small_repetitive_members_are_not_bombs() -> None:
    data = make_zip({"e.jsonl": EVENTS_JSONL * 2000})  # ~200 KB compressing very well
    assert [d.skip_reason for d in _docs(data)] == [None]


def test_thousands_of_members_over_the_default_cap() -> None:
    data = make_zip({f"m{i}.jsonl": b"" for i in range(10_001)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match=r"ev\.zip: more than 10000 members"):
        _docs(data)


def test_member_cap_is_configurable() -> None:
    data = make_zip({f"m{i:04d}.txt": b"" for i in range(1500)}, compression=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match="more than 1000 members"):
        _docs(data, limits=Limits(max_archive_members=1000))
    docs = _docs(data, limits=Limits(max_archive_members=1500))
    assert len(docs) == 1500 and all(d.skip_reason == "not an event file extension" for d in docs)


def test_corrupt_zip_is_an_input_error_locally_and_a_source_error_remotely() -> None:
    good = make_zip({"e.jsonl": EVENTS_JSONL})
    broken = good[: len(good) // 2]
    with pytest.raises(InputError, match=r"ev\.zip: corrupt or unreadable archive"):
        _docs(broken)
    with pytest.raises(SourceError, match=r"ev\.zip: corrupt or unreadable archive"):
        _docs(broken, remote=True)


def test_corrupt_member_data_fails_when_read() -> None:
    payload = b'{"type": "run_started", "timestamp": "2024-05-01T10:00:00Z"}\n' * 50
    data = bytearray(make_zip({"e.jsonl": payload}, compression=zipfile.ZIP_STORED))
    at = data.index(payload[:20])
    data[at + 5] ^= 0xFF  # flip one byte of the stored member: the CRC no longer matches
    docs = _docs(bytes(data))
    with pytest.raises(InputError, match=r"ev\.zip: corrupt or unreadable archive \(member e\.jsonl"):
        _read(docs[0])


def test_duplicate_member_names_are_refused() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("e.jsonl", EVENTS_JSONL)
        zf.writestr("e.jsonl", b"")
    with pytest.raises(InputError, match=r"ev\.zip!e\.jsonl: the member name appears twice"):
        _docs(buf.getvalue())


def test_per_document_cap_applies_to_members() -> None:
    data = make_zip({"e.jsonl": b"x" * 2048}, compression=zipfile.ZIP_STORED)
    with pytest.raises(InputError, match="per-document cap"):
        _docs(data, limits=Limits(max_document_bytes=1024))


def _tgz(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tf.addfile(info)
    return buf.getvalue()


def test_tar_gz_members_and_links() -> None:
    data = _tgz({"b/events.jsonl": EVENTS_JSONL, "a/notes.md": b"x"}, links={"c/link.jsonl": "/etc/passwd"})
    docs = list(archive_documents("ev.tar.gz", data, Limits(), remote=False))
    assert [(d.name, d.skip_reason) for d in docs] == [
        ("ev.tar.gz!a/notes.md", "not an event file extension"),
        ("ev.tar.gz!b/events.jsonl", None),
        ("ev.tar.gz!c/link.jsonl", "not a regular file (link or device)"),
    ]
    assert _read(docs[1]) == EVENTS_JSONL


def test_tar_gz_unsafe_names_caps_and_corruption() -> None:
    with pytest.raises(InputError, match=r"ev\.tgz!\.\./x\.jsonl: unsafe member name"):
        list(archive_documents("ev.tgz", _tgz({"../x.jsonl": b""}), Limits(), remote=False))
    with pytest.raises(InputError, match="more than 3 members"):
        list(
            archive_documents(
                "ev.tgz",
                _tgz({f"{i}.jsonl": b"" for i in range(5)}),
                Limits(max_archive_members=3),
                remote=False,
            )
        )
    with pytest.raises(InputError, match="compression ratio"):
        list(archive_documents("ev.tgz", _tgz({"big.jsonl": b"\n" * (8 << 20)}), Limits(), remote=False))
    with pytest.raises(SourceError, match="corrupt"):
        list(archive_documents("ev.tgz", _tgz({"a.jsonl": EVENTS_JSONL})[:40], Limits(), remote=True))


def test_format_by_suffix_then_by_magic() -> None:
    z = make_zip({})
    assert archive_format("x.ZIP") == "zip"
    assert archive_format("x.tgz") == "tar"
    assert archive_format("download", z) == "zip"
    assert archive_format("download", b"\x1f\x8b...") == "tar"
    assert archive_format("download", b'{"type": 1}') is None


def test_local_archive_paths_and_archives_inside_directories(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evidence").mkdir()
    (tmp_path / "evidence" / "run.zip").write_bytes(make_zip({"events.jsonl": EVENTS_JSONL, "log.txt": b""}))
    (tmp_path / "evidence" / "plain.jsonl").write_bytes(EVENTS_JSONL)
    (tmp_path / "evidence" / "old.tgz").write_bytes(_tgz({"e.ndjson": EVENTS_JSONL}))
    ctx = SourceContext()
    direct = list(resolve("evidence/run.zip", ctx).documents())
    assert [(d.name, d.skip_reason) for d in direct] == [
        ("evidence/run.zip!events.jsonl", None),
        ("evidence/run.zip!log.txt", "not an event file extension"),
    ]
    walked = [(d.name, d.skip_reason) for d in resolve("evidence", ctx).documents()]
    assert walked == [
        ("evidence/old.tgz!e.ndjson", None),
        ("evidence/plain.jsonl", None),
        ("evidence/run.zip!events.jsonl", None),
        ("evidence/run.zip!log.txt", "not an event file extension"),
    ]
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match=r"bad\.zip: corrupt or unreadable archive"):
        list(resolve("bad.zip", ctx).documents())
