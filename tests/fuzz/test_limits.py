"""Resource caps (gate.sources.base.Limits): over a cap is an error naming the cap and the flag
that raises it, never a truncation; at the cap, everything is read."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fuzz_support import GOOD, TS

from gate.errors import InputError
from gate.policy import load_policy
from gate.sources import resolve
from gate.sources.base import Limits, RawDocument, SourceContext
from gate.sources.events import EventCollector
from gate.yamlutil import MAX_DEPTH

TYPES = load_policy("spec-locked-drift").types


def lines(n: int) -> bytes:
    return b"".join(f'{{"type":"run_started","timestamp":"{TS}","id":"e{i}"}}\n'.encode() for i in range(n))


def collect(docs: list[RawDocument], limits: Limits) -> EventCollector:
    c = EventCollector(TYPES, limits)
    for d in docs:
        c.add_document(d)
    return c


def test_defaults_are_documented_values() -> None:
    limits = Limits()
    assert (limits.max_events, limits.max_depth, limits.max_rules) == (20_000_000, 64, 1_000)
    assert limits.max_depth == MAX_DEPTH
    from gate.policy.loader import MAX_RULES

    assert limits.max_rules == MAX_RULES


def test_max_events_counts_across_documents() -> None:
    docs = [RawDocument.from_bytes("a.jsonl", lines(3)), RawDocument.from_bytes("b.jsonl", lines(3))]
    assert collect(docs, Limits(max_events=6)).records == 6  # at the cap: read
    with pytest.raises(InputError) as ei:
        collect(docs, Limits(max_events=5))
    assert ei.value.message.startswith("b.jsonl:3: more than 5 events in this run (the max_events cap)")
    assert "--max-events" in (ei.value.hint or "")


@pytest.mark.parametrize("name", ["d.jsonl", "d.json", "d.yaml"])
def test_max_depth_in_every_event_format(name: str) -> None:
    def doc(depth: int) -> bytes:  # the event object is level 1, props level 2
        nested = "[" * (depth - 2) + "]" * (depth - 2)
        record = f'{{"type":"run_started","timestamp":"{TS}","props":{{"x":{nested}}}}}'
        return (f"[{record}]" if not name.endswith(".jsonl") else record).encode()

    assert collect([RawDocument.from_bytes(name, doc(10))], Limits(max_depth=10)).records == 1
    with pytest.raises(InputError) as ei:
        collect([RawDocument.from_bytes(name, doc(11))], Limits(max_depth=10))
    assert ei.value.message == f"{name}:1: nested more than 10 levels deep (the max_depth cap)"
    assert "--max-depth" in (ei.value.hint or "")


def test_document_bytes_cap_on_a_local_file(tmp_path: Path) -> None:
    for name in ("big.jsonl", "big.json", "big.yaml"):
        path = tmp_path / name
        path.write_bytes(lines(10) if name.endswith(".jsonl") else b"[" + GOOD + b"]")
        size = path.stat().st_size
        ctx = SourceContext(limits=Limits(max_document_bytes=size))
        assert collect(list(resolve(str(path), ctx).documents()), ctx.limits).records >= 1
        small = Limits(max_document_bytes=size - 1)
        with pytest.raises(InputError) as ei:
            collect(list(resolve(str(path), SourceContext(limits=small)).documents()), small)
        assert (
            f"more than {size - 1} bytes, over the per-document cap (max_document_bytes)" in ei.value.message
        )
        assert "--max-document-bytes" in (ei.value.hint or "")


def test_document_bytes_cap_on_stdin() -> None:
    data = lines(4)
    ok = SourceContext(limits=Limits(max_document_bytes=len(data)), stdin=lambda: io.BytesIO(data))
    assert len(list(resolve("-", ok).documents())) == 1
    over = SourceContext(limits=Limits(max_document_bytes=len(data) - 1), stdin=lambda: io.BytesIO(data))
    with pytest.raises(InputError, match=r"<stdin>: more than \d+ bytes, over the per-document cap"):
        list(resolve("-", over).documents())
