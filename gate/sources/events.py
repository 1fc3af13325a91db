"""Parse raw documents into validated leaf events (SPEC 2): JSON Lines, JSON arrays, YAML lists.

Every error names the document, the line and the field, and is an `InputError` (exit 2). Each
leaf remembers every place it was read (`origins`), so reports can point at file:line while the
verdict depends only on the set of events.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import itemgetter, or_
from typing import Any

from gate.errors import IdConflict, InputError
from gate.jsonutil import STRICT
from gate.model import Event, Origin, canonical_json, content_id, event_bytes
from gate.sources.base import Limits, RawDocument
from gate.sources.batch import BLOCK_LINES, take_block
from gate.sources.split import Helper, SplitTask, read_split, split_point
from gate.timefmt import TimeFormatError, format_timestamp, parse_timestamp
from gate.yamlutil import YamlLoadError, format_path, json_problem, line_for, load_with_lines

TYPE_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
FIELDS = frozenset({"type", "timestamp", "id", "domain", "lineage", "props"})
MAX_ID_LENGTH = 512
BOM = b"\xef\xbb\xbf"
_EMPTY: dict[str, Any] = {}


_JSON = STRICT


def canonical_order(events: Iterable[Event]) -> list[Event]:
    """Events by timestamp, then id. Sorting on the integer time alone is three times faster than on
    (time, id) tuples; the few runs of equal times are then put in id order."""
    out = sorted(events, key=_BY_TIME)
    ts = [e.ts for e in out]
    ties = [k for k, (a, b) in enumerate(zip(ts, ts[1:], strict=False), 1) if a == b]  # k ties with k-1
    i = 0
    while i < len(ties):
        start = ties[i] - 1
        end = ties[i] + 1
        while i + 1 < len(ties) and ties[i + 1] == end:
            i += 1
            end += 1
        out[start:end] = sorted(out[start:end], key=_BY_ID)
        i += 1
    return out


_BY_TIME = itemgetter(2)  # Event.ts
_BY_ID = itemgetter(0)  # Event.id
_NEW_TUPLE = tuple.__new__


class OriginTable:
    """Where each event was read. One machine word per event (document index and line, packed in
    an array) instead of an Origin object and a dict entry: at a million events that is ~150 MB."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}  # event id -> position in `where` (and in the event list)
        self.where = array("Q")  # (document index << 32) | line (0: no line)
        self.docs: list[str] = []
        self._doc_ix: dict[str, int] = {}
        self.more: dict[str, list[Origin]] = {}  # second and later places of merged duplicates

    def pack(self, origin: Origin) -> int:
        return self.pack_document(origin.file) | (origin.line or 0)

    def pack_document(self, name: str) -> int:
        """The document's index, shifted into place (line 0)."""
        ix = self._doc_ix.get(name)
        if ix is None:
            ix = self._doc_ix[name] = len(self.docs)
            self.docs.append(name)
        return ix << 32

    def unpack(self, packed: int) -> Origin:
        return Origin(self.docs[packed >> 32], (packed & 0xFFFFFFFF) or None)

    def of(self, event_id: str) -> list[Origin]:
        ix = self.index.get(event_id)
        return [] if ix is None else self.at(ix, event_id)

    def at(self, ix: int, event_id: str) -> list[Origin]:
        """Every place the event at position `ix` was read, first place first."""
        return [self.unpack(self.where[ix]), *self.more.get(event_id, ())]


@dataclass
class Inputs:
    """The validated leaf events of a whole run, with what the report says about reading them.

    `events` holds the events kept as objects: all of them, or (when the reader was given `keep`)
    those of the types evaluation and the verdict read. Every unique event, kept or not, is counted
    in `count` and `lineage_counts` and encoded into `hashes` (gate.model.event_bytes)."""

    events: list[Event]
    origins: OriginTable
    documents: int = 0
    records: int = 0
    merged_duplicates: int = 0
    unknown_types: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    count: int | None = None  # unique events read (default: len(events))
    lineage_counts: dict[str | None, int] | None = None  # unique events per lineage (None: lineage-less)
    hashes: list[bytes] | None = None  # gate.model.event_bytes of each unique event (default: of events)
    unknown_first: dict[str, Origin] = field(default_factory=dict)  # first place of each unknown type
    slots: list[Event | None] | None = None  # events by position (OriginTable.index); None: not kept
    helpers: list[Helper] = field(default_factory=list)  # two-core readers still holding a task's answer

    def close(self) -> None:
        """Stop any helper whose answer was not taken."""
        for helper in self.helpers:
            helper.close()

    @property
    def total(self) -> int:
        return len(self.events) if self.count is None else self.count

    def lineages(self) -> dict[str | None, int]:
        if self.lineage_counts is not None:
            return self.lineage_counts
        return dict(Counter(map(_LINEAGE, self.events)))

    def get(self, event_id: str) -> Event | None:
        """The kept event with this id, if any."""
        ix = self.origins.index.get(event_id)
        return None if ix is None else self._kept_at(ix, event_id)

    def _kept_at(self, ix: int, event_id: str) -> Event | None:
        slots = self.slots if self.slots is not None else self.events
        e = slots[ix] if ix < len(slots) else None
        return e if e is not None and e.id == event_id else None

    def origins_of(self, event_id: str) -> list[Origin]:
        return self.origins.of(event_id)

    def kept_with_origins(self, ids: Iterable[str]) -> dict[str, tuple[Event, list[Origin]]]:
        """Each of `ids` that is a kept event, with every place it was read: one look-up an id
        (a report names tens of thousands of leaves, and each look-up in a table of a million ids
        is a trip to main memory)."""
        index, table = self.origins.index, self.origins
        out = {}
        for i in ids:
            ix = index.get(i)
            e = None if ix is None else self._kept_at(ix, i)
            if e is not None:
                out[i] = (e, table.at(ix, i))  # type: ignore[arg-type]  # ix is set when e is
        return out

    def digest(self) -> str:
        """sha256 over the sorted canonical encodings of every unique event: the same events give the
        same digest whatever files, formats and order they came in."""
        hashes = self.hashes if self.hashes is not None else list(map(event_bytes, self.events))
        return "sha256:" + hashlib.sha256(b"".join(sorted(hashes))).hexdigest()


_LINEAGE = itemgetter(4)  # Event.lineage


class EventCollector:
    """Accumulates records from any number of documents; `finish()` returns the merged Inputs."""

    def __init__(
        self,
        types: Mapping[str, str],
        limits: Limits | None = None,
        split_bytes: int | None = None,
        keep: frozenset[str] | None = None,
    ) -> None:
        self.types = types
        self.limits = limits if limits is not None else Limits()
        self.split_bytes = split_bytes  # set: read local JSON Lines files this large on two cores
        self.keep = keep  # set: keep Event objects only for these types (the others: counted, hashed)
        self.task: SplitTask | None = None  # more work for the child of a two-core read (split.py)
        self.helpers: list[Helper] = []  # those children, waiting with their answers
        self._defer_cap = False  # while a file is read in two halves, max_events is judged after the merge
        # One entry per unique event, by position (OriginTable.index maps ids to positions):
        self._events: list[Event | None] = []  # the event, or None when its type is not kept
        self._hashes: list[bytes] = []  # gate.model.event_bytes
        self._lineage_at: list[str | None] = []  # each unique event's lineage
        self.unknown_first: dict[str, Origin] = {}
        self._origins = OriginTable()
        self._ok_types: dict[str, str] = {}  # valid type names, each kept as one shared string
        self._strings: dict[str, str] = {}  # domains and lineages, likewise
        self._lineages: dict[str | None, str | None] = {None: None}  # lineages, for the block reader
        self.documents = 0
        self.records = 0
        self.merged = 0
        self.unknown: dict[str, int] = {}
        self.skipped: list[tuple[str, str]] = []

    # -- documents ---------------------------------------------------------------------------------
    def add_document(self, doc: RawDocument) -> None:
        if doc.skip_reason is not None:
            self.skipped.append((doc.name, doc.skip_reason))
            return
        self.documents += 1
        kind = doc.kind or kind_from_name(doc.name)
        if kind is None:
            self.skipped.append((doc.name, "not an event file extension"))
            self.documents -= 1
            return
        cap = self.limits.max_document_bytes
        with doc.opener() as stream:
            if kind == "jsonl":
                _check_file_size(doc.name, stream, cap)
                where = self._split_where(stream)
                if where is not None:
                    read_split(self, doc.name, stream, *where)
                else:
                    self._add_jsonl(doc.name, stream)
                return
            data = stream.read(cap + 1)
        if len(data) > cap:
            raise _over_document_cap(doc.name, cap)
        if data.startswith(BOM):
            data = data[len(BOM) :]
        if kind == "auto":
            head = data.lstrip()[:1]
            kind = "json" if head in (b"[", b"{") else "yaml"
        if kind == "json":
            self._add_json(doc.name, data)
        elif kind == "yaml":
            self._add_yaml(doc.name, data)
        else:
            raise InputError(f"{doc.name}: unknown event document kind {kind!r}")

    def _split_where(self, stream: Any) -> tuple[str, int] | None:
        """(path, offset) to read a large local file in two halves, or None."""
        path = getattr(stream, "name", None)
        if self.split_bytes is None or not isinstance(path, str) or not hasattr(os, "fork"):
            return None
        try:
            if not os.path.isfile(path) or os.path.getsize(path) < self.split_bytes or stream.tell() != 0:
                return None
            point = split_point(path)
        except OSError:
            return None
        return (path, point[1]) if point is not None else None

    def _add_jsonl(
        self, name: str, stream: Iterable[bytes], first_line: int = 1, count_cap: bool = True
    ) -> None:
        defer = self._defer_cap
        self._defer_cap = defer or not count_cap
        try:
            self._read_lines(name, stream, first_line)
        finally:
            self._defer_cap = defer

    def _read_lines(self, name: str, stream: Iterable[bytes], first_line: int) -> None:
        """Blocks of lines through the fast path (gate.sources.batch); a block it does not take, one
        line at a time here."""
        lines = iter(stream)
        while True:
            block = list(islice(lines, BLOCK_LINES))
            if not block:
                return
            if not take_block(self, name, block, first_line):
                self._read_each(name, block, first_line)
            first_line += len(block)

    def _read_each(self, name: str, stream: Iterable[bytes], first_line: int) -> None:
        scan = _JSON.scan_once  # type: ignore[attr-defined]  # the C scanner: no per-line regex work, duplicate keys and NaN refused
        add = self.add_record
        max_depth = self.limits.max_depth
        depth_chars = _depth_chars(max_depth)
        for lineno, raw in enumerate(stream, first_line):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"{name}:{lineno}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
            try:
                obj, end = scan(text, 0)
            except StopIteration:  # leading whitespace, a BOM, a blank line, or not JSON at all
                stripped = text.strip().lstrip("\ufeff") if lineno == 1 else text.strip()
                if not stripped:
                    continue
                obj = self._decode_line(name, lineno, stripped)
            except (ValueError, RecursionError):
                self._decode_line(name, lineno, text.rstrip("\r\n"))  # raises, with a column on this line
                raise  # pragma: no cover - the decoder and the scanner agree on what is invalid
            else:
                if end != len(text) and not text[end:].isspace():
                    self._decode_line(name, lineno, text)  # raises with the decoder's own message
            if (
                len(text)
                > depth_chars  # most lines stop here; then counting brackets (C speed) rules out the rest
                and text.count("[") + text.count("{") > max_depth
                and _depth(obj) > max_depth
            ):
                raise _over_depth_cap(f"{name}:{lineno}", max_depth)
            add(obj, Origin(name, lineno))

    @staticmethod
    def _decode_line(name: str, lineno: int, text: str) -> Any:
        try:
            return _JSON.decode(text)
        except (ValueError, RecursionError) as e:
            raise InputError(f"{name}:{lineno}: not valid JSON: {_json_reason(e)}") from None

    def _add_json(self, name: str, data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: not valid UTF-8 ({e.reason} at byte {e.start})") from None
        i = _skip_ws(text, 0)
        if i < len(text) and text[i] == "{":
            # One object, or JSON Lines inside a .json file.
            try:
                obj, end = _JSON.raw_decode(text, i)
            except (json.JSONDecodeError, ValueError, RecursionError) as e:
                raise InputError(f"{name}:{_line_of(text, e)}: not valid JSON: {_json_reason(e)}") from None
            if _skip_ws(text, end) >= len(text):
                if _too_deep(obj, text, i, end, self.limits.max_depth):
                    raise _over_depth_cap(f"{name}:{text.count(chr(10), 0, i) + 1}", self.limits.max_depth)
                self.add_record(obj, Origin(name, text.count("\n", 0, i) + 1))
                return
            self._add_jsonl(name, (line.encode("utf-8") for line in text.splitlines(keepends=True)))
            return
        if i >= len(text) or text[i] != "[":
            raise InputError(f"{name}:1: expected a JSON array of events (or one event object)")
        i = _skip_ws(text, i + 1)
        line = 1 + text.count("\n", 0, i)
        pos = i
        if i < len(text) and text[i] == "]":
            if _skip_ws(text, i + 1) < len(text):
                raise InputError(f"{name}:{line}: unexpected data after the JSON array")
            return
        while True:
            try:
                obj, end = _JSON.raw_decode(text, i)
            except (json.JSONDecodeError, ValueError, RecursionError) as e:
                raise InputError(
                    f"{name}:{_line_of(text, e, i)}: not valid JSON: {_json_reason(e)}"
                ) from None
            line += text.count("\n", pos, i)
            pos = i
            if _too_deep(obj, text, i, end, self.limits.max_depth):
                raise _over_depth_cap(f"{name}:{line}", self.limits.max_depth)
            self.add_record(obj, Origin(name, line))
            i = _skip_ws(text, end)
            if i < len(text) and text[i] == ",":
                i = _skip_ws(text, i + 1)
                continue
            if i < len(text) and text[i] == "]":
                if _skip_ws(text, i + 1) < len(text):
                    line += text.count("\n", pos, i)
                    raise InputError(f"{name}:{line}: unexpected data after the JSON array")
                return
            line += text.count("\n", pos, min(i, len(text)))
            raise InputError(f"{name}:{line}: not valid JSON: expected ',' or ']' after an event")

    def _add_yaml(self, name: str, data: bytes) -> None:
        try:
            obj, lines = load_with_lines(data, max_depth=self.limits.max_depth + 1)  # +1: the list itself
        except YamlLoadError as e:
            if "max_depth cap" in e.message:  # counted from the list: say the cap as the user sets it
                raise _over_depth_cap(f"{name}:{e.line}", self.limits.max_depth) from None
            raise InputError(f"{name}:{e.line}: {e.message}") from None
        if obj is None:
            return
        if not isinstance(obj, list):
            raise InputError(f"{name}:1: expected a YAML list of events")
        problem = json_problem(obj)  # YAML can say what JSON cannot (NaN, non-string keys, sets...)
        if problem is not None:
            path, why = problem
            raise InputError(f"{name}:{line_for(lines, path)}: {format_path(path[1:])}: {why}")
        for i, item in enumerate(obj):
            self.add_record(item, Origin(name, lines.get((i,), 1)))

    # -- records -----------------------------------------------------------------------------------
    def add_record(self, obj: Any, origin: Origin) -> None:
        """Validate one event object and merge it into the collection."""
        self.records += 1
        if self.records > self.limits.max_events and not self._defer_cap:
            self._check_event_cap(origin)
        event = self._validate(obj, origin)
        if event.type not in self.types:
            self._note_unknown(event.type, origin)
        eid = event.id
        table = self._origins
        ix = table.index.get(eid)
        digest = event_bytes(event)
        if ix is None:
            table.index[eid] = len(self._events)
            keep = self.keep
            self._events.append(event if keep is None or event.type in keep else None)
            self._hashes.append(digest)
            self._lineage_at.append(event.lineage)
            table.where.append(table.pack(origin))
            return
        self._merge_duplicate(ix, eid, digest, origin)

    def _note_unknown(self, etype: str, origin: Origin) -> None:
        """Keep the first place (by file, then line) where an undeclared type occurs."""
        first = self.unknown_first.get(etype)
        if first is None or (origin.file, origin.line or 0) < (first.file, first.line or 0):
            self.unknown_first[etype] = origin

    def first_origin(self, event_id: str) -> Origin | None:
        """Where an id was first read, if it was."""
        ix = self._origins.index.get(event_id)
        return None if ix is None else self._origins.unpack(self._origins.where[ix])

    def _check_event_cap(self, origin: Origin) -> None:
        if self.records > self.limits.max_events:
            raise InputError(
                f"{origin}: more than {self.limits.max_events} events in this run (the max_events cap); "
                "refusing to read on rather than judge part of the evidence",
                hint="raise the cap with --max-events if this volume is expected",
            )

    def _merge_part(self, name: str, part: Mapping[str, Any]) -> bool:
        """Take over what another collector read from the rest of document `name` (see split.py),
        as if its lines had come through add_record here, in the same order. True when none of
        its ids was known here already."""
        table = self._origins
        packed = array("Q")
        packed.frombytes(part["where"])
        doc = table.pack_document(name)  # this document's index, line 0
        # (Strings need no re-interning: marshal keeps one object per string the child shared.)
        index, slots, hashes, where_out = table.index, self._events, self._hashes, table.where
        ids: list[str] = part["ids"]  # unique: the other collector merged its own duplicates
        events: list[Event | None] = [None] * len(ids)
        for i, values in zip(part["kept_at"], part["kept"], strict=True):
            events[i] = _NEW_TUPLE(Event, values)
        their_hashes: list[bytes] = part["hashes"]
        before = len(index)  # == len(slots)
        index.update(zip(ids, range(before, before + len(ids)), strict=True))
        clean = len(index) == before + len(ids)
        if clean:  # the usual case: every id was new here
            slots.extend(events)
            hashes.extend(their_hashes)
            self._lineage_at.extend(part["lineage_at"])
            where_out.extend(packed if doc == 0 else map(or_, repeat(doc), packed))
        else:
            # Some ids were known: undo the update (positions follow insertion order, which an
            # update of an existing key keeps), then take the other part's events one by one.
            for pos, key in zip(range(before), index, strict=False):
                index[key] = pos
            for eid in ids:
                if index.get(eid, -1) >= before:
                    del index[eid]
            lineage_at: list[str | None] = part["lineage_at"]
            for i, eid in enumerate(ids):
                origin = table.unpack(doc | (packed[i] & 0xFFFFFFFF))
                ix = index.get(eid)
                if ix is None:
                    index[eid] = len(slots)
                    slots.append(events[i])
                    hashes.append(their_hashes[i])
                    self._lineage_at.append(lineage_at[i])
                    where_out.append(table.pack(origin))
                else:
                    self._merge_duplicate(ix, eid, their_hashes[i], origin)
        for eid, places in part["more"].items():
            for file, line in places:
                self._merge_duplicate(index[eid], eid, hashes[index[eid]], Origin(file, line))
        self.records += part["records"]
        more_count = sum(len(v) for v in part["more"].values())
        self.merged += part["merged"] - more_count  # re-counted by _merge_duplicate
        for t, n in part["unknown"].items():
            self.unknown[t] = self.unknown.get(t, 0) + n
        for t, (file, line) in part["unknown_first"].items():
            self._note_unknown(t, Origin(file, line))
        return clean

    def part(self) -> dict[str, Any]:
        """What `_merge_part` takes, as plain data (marshal can send it between processes)."""
        table = self._origins
        kept_at = [i for i, e in enumerate(self._events) if e is not None]
        return {
            "ids": list(table.index),  # insertion order = position order
            "where": table.where.tobytes(),
            "hashes": self._hashes,
            "kept_at": kept_at,
            "kept": [tuple(self._events[i]) for i in kept_at],  # type: ignore[arg-type]
            "lineage_at": self._lineage_at,
            "more": {k: [tuple(o) for o in v] for k, v in table.more.items()},
            "records": self.records,
            "merged": self.merged,
            "unknown": self.unknown,
            "unknown_first": {t: tuple(o) for t, o in self.unknown_first.items()},
        }

    def _merge_duplicate(self, ix: int, eid: str, digest: bytes, origin: Origin) -> None:
        table = self._origins
        if self._hashes[ix] != digest:
            raise IdConflict(eid, origin, table.unpack(table.where[ix]))
        self.merged += 1
        table.more.setdefault(eid, []).append(origin)

    def _validate(self, obj: Any, origin: Origin) -> Event:
        if type(obj) is not dict:
            raise InputError(f"{origin}: an event must be a JSON object, got {_kind(obj)}")
        if not FIELDS.issuperset(obj):
            k = sorted(obj.keys() - FIELDS)[0]
            hint = difflib.get_close_matches(k, sorted(FIELDS), n=1)
            did = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(sorted(FIELDS))})"
            raise InputError(f"{origin}: {k}: unknown field{did}")
        get = obj.get
        etype = get("type")
        known_type = self._ok_types.get(etype) if type(etype) is str else None
        if known_type is None:
            if etype is None:
                raise InputError(f"{origin}: type: required field is missing")
            if not isinstance(etype, str) or not TYPE_RE.match(etype):
                raise InputError(f"{origin}: type: {etype!r} is not a snake_case type name")
            known_type = self._ok_types[etype] = etype
        etype = known_type  # one shared string per type, domain and lineage: a million copies add up
        stamp = get("timestamp")
        if stamp is None:
            raise InputError(f"{origin}: timestamp: required field is missing")
        try:
            ts = parse_timestamp(stamp)
        except TimeFormatError as e:
            raise InputError(f"{origin}: timestamp: {e}") from None
        domain = get("domain")
        if domain is None:
            domain = self.types.get(etype)
        elif type(domain) is not str or not domain:
            raise InputError(f"{origin}: domain: must be a non-empty string, got {domain!r}")
        else:
            domain = self._strings.setdefault(domain, domain)
        lineage = get("lineage")
        if lineage is not None:
            if type(lineage) is not str or not lineage:
                raise InputError(f"{origin}: lineage: must be a non-empty string or null, got {lineage!r}")
            lineage = self._strings.setdefault(lineage, lineage)
        props = get("props")
        if props is None:
            props = _EMPTY
        elif type(props) is not dict:
            raise InputError(f"{origin}: props: must be an object, got {_kind(props)}")
        if etype not in self.types:
            self.unknown[etype] = self.unknown.get(etype, 0) + 1
        eid = get("id")
        if eid is None:
            eid = content_id(
                {
                    "type": etype,
                    "domain": domain,
                    "lineage": lineage,
                    "props": props,
                    "timestamp": format_timestamp(ts),
                }
            )
        elif type(eid) is not str or not eid or len(eid) > MAX_ID_LENGTH:
            raise InputError(
                f"{origin}: id: must be a non-empty string of at most {MAX_ID_LENGTH} characters"
            )
        return Event(eid, etype, ts, domain, lineage, props)

    def finish(self) -> Inputs:
        slots = self._events
        kept = [e for e in slots if e is not None] if self.keep is not None else slots
        return Inputs(
            events=kept,  # type: ignore[arg-type]  # no None when every type is kept
            origins=self._origins,
            documents=self.documents,
            records=self.records,
            merged_duplicates=self.merged,
            unknown_types=dict(sorted(self.unknown.items())),
            skipped=sorted(self.skipped),
            count=len(slots),
            lineage_counts=dict(Counter(self._lineage_at)),
            hashes=self._hashes,
            unknown_first=dict(self.unknown_first),
            slots=slots if self.keep is not None else None,
            helpers=list(self.helpers),
        )


def kind_from_name(name: str) -> str | None:
    low = name.lower()
    if low.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if low.endswith(".json"):
        return "json"
    if low.endswith((".yaml", ".yml")):
        return "yaml"
    return None


def suggest_type(unknown: str, known: Iterable[str]) -> str | None:
    """The closest declared type, for 'did you mean ...?' (None when nothing is close)."""
    hits = difflib.get_close_matches(unknown, sorted(known), n=1, cutoff=0.6)
    return hits[0] if hits else None


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t\r\n":
        i += 1
    return i


def _line_of(text: str, e: BaseException, default_pos: int = 0) -> int:
    pos = getattr(e, "pos", None)
    if pos is None:
        pos = default_pos
    return text.count("\n", 0, pos) + 1


def _json_reason(e: BaseException) -> str:
    if isinstance(e, json.JSONDecodeError):
        return f"{e.msg} (column {e.colno})"
    if isinstance(e, RecursionError):
        return "nested too deeply (over the max_depth cap)"
    text = str(e)
    if "integer string conversion" in text:  # Python's own 4300-digit limit: no advice about sys.*
        return "an integer with more than 4300 digits"
    return text


def _depth(obj: Any) -> int:
    """Nesting depth of lists and objects (a scalar is 0, `{}` is 1), without recursion."""
    deepest = 0
    stack = [(obj, 1)]
    while stack:
        value, level = stack.pop()
        if type(value) is dict:
            value = list(value.values())
        elif type(value) is not list:
            continue
        deepest = max(deepest, level)
        stack.extend((v, level + 1) for v in value if type(v) in (dict, list))
    return deepest


def _depth_chars(cap: int) -> int:
    """A record this long or shorter cannot be a valid event nested deeper than `cap`: each level
    takes two brackets, and `{"type":"a","timestamp":"0001-01-01T00:00:00Z","props":...}` takes 50
    more characters (a shorter deep record fails validation anyway, before anything walks it)."""
    return 2 * cap + 50


def _too_deep(obj: Any, text: str, start: int, end: int, cap: int) -> bool:
    """Whether the record decoded from text[start:end] nests deeper than `cap`; the length and then
    the bracket count (C speed) rule nearly every record out before any walk."""
    if end - start <= _depth_chars(cap) or text.count("[", start, end) + text.count("{", start, end) <= cap:
        return False
    return _depth(obj) > cap


def _over_depth_cap(where: str, cap: int) -> InputError:
    return InputError(
        f"{where}: nested more than {cap} levels deep (the max_depth cap)",
        hint="raise the cap with --max-depth (at most 256) if such nesting is expected",
    )


def _over_document_cap(name: str, cap: int) -> InputError:
    return InputError(
        f"{name}: more than {cap} bytes, over the per-document cap (max_document_bytes)",
        hint="raise the cap with --max-document-bytes if this size is expected",
    )


def _check_file_size(name: str, stream: Any, cap: int) -> None:
    """A JSON Lines document is read as a stream: check a real file's size before the first line
    (in-memory documents come from downloads and archives, which are capped where they are read)."""
    try:
        size = os.fstat(stream.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # BytesIO, pipes: no size to check here
        return
    if size > cap:
        raise _over_document_cap(name, cap)


def _kind(obj: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(obj), "a number"
    )


def read_documents(
    docs: Iterable[RawDocument], types: Mapping[str, str], limits: Limits | None = None
) -> Inputs:
    collector = EventCollector(types, limits)
    for doc in docs:
        collector.add_document(doc)
    return collector.finish()


__all__ = ["EventCollector", "Inputs", "read_documents", "suggest_type", "kind_from_name", "canonical_json"]
