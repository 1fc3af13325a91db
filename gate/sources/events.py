"""Parse raw documents into validated leaf events (SPEC 2): JSON Lines, JSON arrays, YAML lists.

Every error names the document, the line and the field, and is an `InputError` (exit 2). Each
leaf remembers every place it was read (`origins`), so reports can point at file:line while the
verdict depends only on the set of events.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.errors import InputError
from gate.model import Event, Origin, canonical_json, content_id
from gate.sources.base import RawDocument
from gate.timefmt import TimeFormatError, format_timestamp, parse_timestamp
from gate.yamlutil import YamlLoadError, load_with_lines

TYPE_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
FIELDS = frozenset({"type", "timestamp", "id", "domain", "lineage", "props"})
MAX_ID_LENGTH = 512
BOM = b"\xef\xbb\xbf"
_EMPTY: dict[str, Any] = {}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r}")
            seen.add(k)
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_JSON = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_reject_constant)


@dataclass
class Inputs:
    """The validated leaf events of a whole run, with what the report says about reading them."""

    events: list[Event]
    origins: dict[str, Origin | list[Origin]]  # a plain Origin for an id read once (the common case)
    documents: int = 0
    records: int = 0
    merged_duplicates: int = 0
    unknown_types: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def origins_of(self, event_id: str) -> list[Origin]:
        o = self.origins.get(event_id)
        if o is None:
            return []
        return list(o) if isinstance(o, list) else [o]

    def digest(self) -> str:
        """sha256 over the canonical events in canonical order: independent of files and their order."""
        h = hashlib.sha256()
        evs = sorted(self.events, key=lambda e: (e.ts, e.id))
        for i in range(0, len(evs), 20000):
            chunk = [[e.id, e.type, e.ts, e.domain, e.lineage, e.props] for e in evs[i : i + 20000]]
            h.update(json.dumps(chunk, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        return "sha256:" + h.hexdigest()


class EventCollector:
    """Accumulates records from any number of documents; `finish()` returns the merged Inputs."""

    def __init__(self, types: Mapping[str, str]) -> None:
        self.types = types
        self._by_id: dict[str, Event] = {}
        self._origins: dict[str, Origin | list[Origin]] = {}  # a list only once an id is seen twice
        self._ok_types: set[str] = set()
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
        with doc.opener() as stream:
            if kind == "jsonl":
                self._add_jsonl(doc.name, stream)
                return
            data = stream.read()
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

    def _add_jsonl(self, name: str, stream: Iterable[bytes]) -> None:
        scan = _JSON.scan_once  # the C scanner: no per-line regex work, duplicate keys and NaN refused
        add = self.add_record
        for lineno, raw in enumerate(stream, 1):
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
            obj, lines = load_with_lines(data)
        except YamlLoadError as e:
            raise InputError(f"{name}:{e.line}: {e.message}") from None
        if obj is None:
            return
        if not isinstance(obj, list):
            raise InputError(f"{name}:1: expected a YAML list of events")
        for i, item in enumerate(obj):
            self.add_record(item, Origin(name, lines.get((i,), 1)))

    # -- records -----------------------------------------------------------------------------------
    def add_record(self, obj: Any, origin: Origin) -> None:
        """Validate one event object and merge it into the collection."""
        self.records += 1
        event = self._validate(obj, origin)
        eid = event.id
        prior = self._by_id.get(eid)
        if prior is None:
            self._by_id[eid] = event
            self._origins[eid] = origin
            return
        if prior != event and prior.canonical() != event.canonical():
            first = self._origins[eid]
            first = first[0] if isinstance(first, list) else first
            raise InputError(
                f"{origin}: id: {eid!r} is also used at {first} with different content "
                "(the same id must always carry the same event)"
            )
        self.merged += 1
        seen = self._origins[eid]
        if isinstance(seen, list):
            seen.append(origin)
        else:
            self._origins[eid] = [seen, origin]

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
        if etype not in self._ok_types:
            if etype is None:
                raise InputError(f"{origin}: type: required field is missing")
            if not isinstance(etype, str) or not TYPE_RE.match(etype):
                raise InputError(f"{origin}: type: {etype!r} is not a snake_case type name")
            self._ok_types.add(etype)
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
        lineage = get("lineage")
        if lineage is not None and (type(lineage) is not str or not lineage):
            raise InputError(f"{origin}: lineage: must be a non-empty string or null, got {lineage!r}")
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
        return Inputs(
            events=list(self._by_id.values()),
            origins=self._origins,
            documents=self.documents,
            records=self.records,
            merged_duplicates=self.merged,
            unknown_types=dict(sorted(self.unknown.items())),
            skipped=sorted(self.skipped),
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
        return "nested too deeply"
    return str(e)


def _kind(obj: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(obj), "a number"
    )


def read_documents(docs: Iterable[RawDocument], types: Mapping[str, str]) -> Inputs:
    collector = EventCollector(types)
    for doc in docs:
        collector.add_document(doc)
    return collector.finish()


__all__ = ["EventCollector", "Inputs", "read_documents", "suggest_type", "kind_from_name", "canonical_json"]
