"""The fast path of the JSON Lines reader: a block of lines checked and taken in whole-list steps.

Reading line by line costs about 6 us a record in Python bytecode (a dozen look-ups, checks and
calls per field). Here a block of a few thousand lines goes through the C parser, then each rule of
SPEC 2 is checked once per block with C-level passes (`map`, `set`, `str.count`) instead of once per
record. The block is taken only when every one of its records is certainly valid, new (no
duplicate id) and plain (an `id`, a known-valid type, a `YYYY-MM-DDTHH:MM:SSZ` time); otherwise
`take_block` returns False and the caller reads the same lines one by one, which gives the exact
error, merges duplicates and reads every other form. So the result is always that of the line
reader: this module can only make reading faster, never different (the fuzz suite compares them).

Duplicate keys: the plain C parser keeps the last of two equal keys, so a block it parsed is kept
only when it provably has none: no backslash in the text (so every `"` delimits a string) and no
white space after a closing quote (so every key is written `"key":`) make `text.count('":')` the
number of keys written, which must equal the number of keys parsed. Any other block is parsed again
with the strict parser (gate.jsonutil.STRICT), which refuses duplicate keys, NaN and 1e400.
"""

from __future__ import annotations

import json
import marshal
import math
import re
from collections import Counter
from datetime import datetime, timedelta
from itertools import chain, compress, repeat
from operator import add, floordiv, itemgetter, mul, sub
from typing import TYPE_CHECKING, Any

from gate.jsonutil import STRICT
from gate.model import HASH_FORMAT, Event, Origin, canonical_value
from gate.timefmt import NS, TimeFormatError, parse_timestamp

if TYPE_CHECKING:
    from gate.sources.events import EventCollector

BLOCK_LINES = 512  # small enough that a block's objects stay in the CPU cache between passes
MAX_ID_LENGTH = 512
FIELDS = frozenset({"type", "timestamp", "id", "domain", "lineage", "props"})
_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
_PLAIN_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # the C scanner with no Python hooks at all
_STRICT_SCAN = STRICT.scan_once  # type: ignore[attr-defined]
_SCALARS = frozenset({str, int, float, bool, type(None)})
_SEPARATORS = itemgetter(4, 7, 10, 13, 16, 19)
_AT0 = itemgetter(0)
_LAST = itemgetter(-1)
_HOURS = itemgetter(slice(11, 13))
_SECONDS = itemgetter(slice(17, 19))
_DATE_TIME = itemgetter(slice(0, 19))
_FROM_ISO = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1)
_ONE_SECOND = timedelta(seconds=1)
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_EMPTY: dict[str, Any] = {}
_NEW = tuple.__new__


def _parse(lines: list[str], text: str, cap: int) -> tuple[list[dict[str, Any]], list[Any], bool] | None:
    """Every line's object, or None when some line is not exactly one JSON object nested at most
    `cap` deep (the line reader then says which, and why). Duplicate keys, NaN and overflowing
    numbers never get through. Also each record's props (as given), and whether every props object
    is flat (scalar values)."""
    strict = (
        "\\" in text or '" ' in text or '"\t' in text or '"\r' in text or "NaN" in text or "Infinity" in text
    )
    objs = None if strict else _parse_as_array(lines)
    if objs is None:
        try:
            scanned = list(map(_STRICT_SCAN if strict else _PLAIN_SCAN, lines, repeat(0)))
        except (StopIteration, ValueError, RecursionError):  # blank or indented line, bad JSON
            return None
        if len(scanned) != len(lines):  # `map` ends quietly at a StopIteration (a blank line)
            return None
        if sum(map(_SECOND, scanned)) != len(text) - len(lines):  # a value ends before its line
            return None
        objs = list(map(_FIRST, scanned))
    if set(map(type, objs)) != {dict}:
        return None
    given: list[Any] = list(map(dict.get, objs, repeat("props")))
    props: list[dict[str, Any]] = (
        given if set(map(type, given)) == {dict} else [p for p in given if type(p) is dict]
    )
    values = list(chain.from_iterable(map(dict.values, props)))
    kinds = set(map(type, values))
    if kinds <= _SCALARS and cap >= 2:
        # Flat props: the top-level fields are checked to be scalars later, so nothing nests deeper
        # than two levels, and the keys written are those of the records and their props.
        if strict:
            return objs, given, True
        if float in kinds and not math.isfinite(sum(v for v in values if type(v) is float)):
            return None
        exact = sum(map(len, objs)) + sum(map(len, props)) == text.count('":')
        return (objs, given, True) if exact else None
    if max(map(add, map(str.count, lines, repeat("{")), map(str.count, lines, repeat("[")))) > cap:
        return None  # perhaps nested too deep: the line reader measures it
    if strict:
        return objs, given, False
    try:
        objs = [_STRICT_SCAN(line, 0)[0] for line in lines]
    except (StopIteration, ValueError, RecursionError):
        return None
    return objs, list(map(dict.get, objs, repeat("props"))), False


def _parse_as_array(lines: list[str]) -> list[Any] | None:
    """The lines parsed in one call, as the elements of one JSON array (a third faster than a call
    a line), or None. Elements match lines one to one when every line starts with `{` and ends
    with `}` and there are as many elements as lines, given what `take_block` accepts anyway: no
    containers but the records and their flat props. A record could only run on past its line
    inside an open object, where the next line would have to start with a key's `"`; and a line
    holding two records would leave one element too many."""
    try:
        if set(map(_AT0, lines)) != {"{"} or set(map(_LAST, lines)) != {"}"}:
            return None
        body = "[" + ",".join(lines) + "]"
        objs, end = _PLAIN_SCAN(body, 0)
    except (IndexError, StopIteration, ValueError, RecursionError):  # an empty line, bad JSON
        return None
    return objs if end == len(body) and len(objs) == len(lines) else None


def take_block(c: EventCollector, name: str, raw: list[bytes], first_line: int) -> bool:
    """Validate and keep the records of `raw` (lines first_line...) if all of them take the fast path."""
    n = len(raw)
    if c.records + n > c.limits.max_events and not c._defer_cap:
        return False
    try:
        text = b"".join(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    lines = text.split("\n")
    lines.pop()  # the empty string after the last line break
    if len(lines) != n:
        return False
    parsed = _parse(lines, text, c.limits.max_depth)
    if parsed is None:
        return False
    objs, props, flat = parsed
    if not FIELDS.issuperset(chain.from_iterable(objs)):
        return False
    types = _types(c, list(map(dict.get, objs, repeat("type"))))
    if types is None:
        return False
    stamps = _times(list(map(dict.get, objs, repeat("timestamp"))))
    if stamps is None:
        return False
    domains = _domains(c, types, list(map(dict.get, objs, repeat("domain"))))
    if domains is None:
        return False
    lineages = _lineages(c, list(map(dict.get, objs, repeat("lineage"))))
    if lineages is None:
        return False
    kinds = set(map(type, props))
    if not kinds <= {dict, type(None)}:
        return False
    if type(None) in kinds:
        props = [_EMPTY if p is None else p for p in props]
    ids: list[Any] = list(map(dict.get, objs, repeat("id")))
    if set(map(type, ids)) != {str} or min(map(len, ids)) < 1 or max(map(len, ids)) > MAX_ID_LENGTH:
        return False  # content ids and bad ids: line by line
    # Everything else holds: claim each id's place. setdefault leaves a known id's place alone and
    # returns it, so the places come back as the plain sequence only when every id is new.
    slots = c._events
    index = c._origins.index
    start = len(slots)
    places = range(start, start + n)
    if list(map(index.setdefault, ids, places)) != list(places):
        for eid, place in zip(ids, places, strict=True):  # undo: duplicates merge line by line
            if index.get(eid) == place:
                del index[eid]
        return False
    props_data = props if flat and _sorted_keys(props) else list(map(canonical_value, props))
    # gate.model.event_bytes of each record, in bulk
    encoded = list(
        map(
            marshal.dumps,
            zip(ids, types, stamps, domains, lineages, props_data, strict=True),
            repeat(HASH_FORMAT),
        )
    )
    records = zip(ids, types, stamps, domains, lineages, props, strict=True)
    keep = c.keep
    if keep is None or keep.issuperset(types):
        slots.extend(map(_NEW, repeat(Event), records))
    else:
        mask = list(map(keep.__contains__, types))
        block: list[Event | None] = [None] * n
        for i, values in zip(compress(range(n), mask), compress(records, mask), strict=True):
            block[i] = _NEW(Event, values)
        slots.extend(block)
    c._hashes.extend(encoded)
    c._lineage_at.extend(lineages)
    doc = c._origins.pack_document(name)
    c._origins.where.extend(range(doc | first_line, doc | (first_line + n)))
    c.records += n
    unknown = set(types).difference(c.types)
    if unknown:
        counts = Counter(types)
        for t in sorted(unknown):
            c.unknown[t] = c.unknown.get(t, 0) + counts[t]
            c._note_unknown(t, Origin(name, first_line + types.index(t)))
    return True


def _sorted_keys(props: list[dict[str, Any]]) -> bool:
    """Whether every dict lists its keys in sorted order already (records from one producer
    usually share one order: checked once per distinct order)."""
    return all(list(keys) == sorted(keys) for keys in set(map(tuple, props)))


def _types(c: EventCollector, types: list[Any]) -> list[str] | None:
    """The shared string of each type name, or None if one is not a valid name."""
    if set(map(type, types)) != {str}:
        return None
    ok = c._ok_types
    for t in set(types).difference(ok):
        if type(t) is not str or not _TYPE_RE.match(t):
            return None
        ok[t] = t
    return list(map(ok.__getitem__, types))


def _times(stamps: list[Any]) -> list[int] | None:
    """ns since epoch for each time, or None if one is not a valid time (or not a string)."""
    if (
        set(map(type, stamps)) != {str}
        or set(map(len, stamps)) != {20}
        or set(map(_SEPARATORS, stamps)) != {("-", "-", "T", ":", ":", "Z")}
    ):
        try:  # offsets, fractions, lower-case letters: the general parser, still without line work
            return list(map(parse_timestamp, stamps))
        except TimeFormatError:
            return None
    # YYYY-MM-DDTHH:MM:SSZ. The C ISO parser then checks the digits (ASCII only) and the calendar;
    # hours and seconds are bounded here too, so that no Python version's leniency (24:00, :60)
    # lets through a time the line reader refuses.
    if max(map(_HOURS, stamps)) > "23" or max(map(_SECONDS, stamps)) > "59":
        return None
    try:
        moments = list(map(_FROM_ISO, map(_DATE_TIME, stamps)))
    except ValueError:
        return None
    return list(map(mul, map(floordiv, map(sub, moments, repeat(_EPOCH)), repeat(_ONE_SECOND)), repeat(NS)))


def _domains(c: EventCollector, types: list[str], domains: list[Any]) -> list[str | None] | None:
    declared = c.types
    if domains.count(None) == len(domains):
        return list(map(declared.get, types))
    if not set(map(type, domains)) <= {str, type(None)}:
        return None
    strings = c._strings
    for d in set(domains).difference(strings):
        if d is not None:
            if not d:
                return None
            strings[d] = d
    return [declared.get(t) if d is None else strings[d] for t, d in zip(types, domains, strict=True)]


def _lineages(c: EventCollector, lineages: list[Any]) -> list[str | None] | None:
    if not set(map(type, lineages)) <= {str, type(None)}:
        return None
    strings = c._lineages
    for v in set(lineages).difference(strings):
        if not v:
            return None
        strings[v] = v
    return list(map(strings.__getitem__, lineages))
