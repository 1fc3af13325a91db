"""Timestamps and durations as integers: RFC 3339 <-> nanoseconds since the Unix epoch (UTC).

Integers keep the engine exact and fast: windows are integer comparisons, ties are exact, and no
time zone or clock is consulted. Used by sources (parsing) and the engine (formatting derived times).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

NS = 1_000_000_000
_EPOCH = datetime(1970, 1, 1)
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z",
    re.ASCII,
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII)
_HOURS = {f"{i:02d}": i * 3600 * NS for i in range(24)}
_SIXTY = {f"{i:02d}": i for i in range(60)}
_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\Z", re.ASCII)
_DURATION = re.compile(r"([0-9]+)([smhdw])\Z", re.ASCII)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_DATE = date(1970, 1, 1)
_DATE_TEXT: dict[int, str] = {}  # days since epoch -> "YYYY-MM-DD"; a pure memo
_DAY_NS: dict[str, int] = {}
_TS_TEXT: dict[
    int, str
] = {}  # ns -> text; a pure, bounded memo  # "YYYY-MM-DD" -> ns at 00:00Z; a pure memo (dates repeat across events)
_UNIT_NS = {"s": NS, "m": 60 * NS, "h": 3600 * NS, "d": 86400 * NS, "w": 7 * 86400 * NS}
MIN_NS = (datetime(1, 1, 1) - _EPOCH) // timedelta(microseconds=1) * 1000
MAX_NS = (datetime(9999, 12, 31, 23, 59, 59, 999999) - _EPOCH) // timedelta(microseconds=1) * 1000 + 999


def day_ns(text: str) -> int | None:
    """'YYYY-MM-DD' -> ns at 00:00Z, memoised; None when it is not a valid date."""
    m = _DATE.match(text)
    if m is None:
        return None
    try:
        day = (date(int(m[1]), int(m[2]), int(m[3])).toordinal() - _EPOCH_ORDINAL) * 86400 * NS
    except ValueError:
        return None
    if len(_DAY_NS) < 1_000_000:
        _DAY_NS[text] = day
    return day


class TimeFormatError(ValueError):
    """A timestamp or duration that cannot be read; the message says why, without location."""


def parse_timestamp(text: object) -> int:
    """RFC 3339 with a mandatory offset -> ns since epoch (UTC). Raises TimeFormatError."""
    if type(text) is str and len(text) == 20 and text[19] == "Z" and text[10] == "T":
        # The common "YYYY-MM-DDTHH:MM:SSZ": table look-ups instead of a regex and datetime arithmetic.
        day = _DAY_NS.get(text[:10])
        if day is None:
            day = day_ns(text[:10])
        h = _HOURS.get(text[11:13])
        mi = _SIXTY.get(text[14:16])
        sec = _SIXTY.get(text[17:19])
        if (
            day is not None
            and h is not None
            and mi is not None
            and sec is not None
            and text[13] == text[16] == ":"
        ):
            return day + h + mi * 60 * NS + sec * NS
    if not isinstance(text, str):
        raise TimeFormatError(f"must be an RFC 3339 string, got {type(text).__name__}")
    m = _RFC3339.match(text)
    if m is None:
        if _NAIVE.match(text):
            raise TimeFormatError(
                f"{text!r} has no UTC offset; add 'Z' or '+HH:MM' (offsets are never guessed)"
            )
        raise TimeFormatError(f"{text!r} is not an RFC 3339 timestamp (e.g. 2026-01-01T09:00:00Z)")
    y, mo, d, hh, mm, ss, frac, z, sign, oh, om = m.groups()
    if ss == "60":
        raise TimeFormatError(f"{text!r}: leap seconds (:60) are not supported; use :59 or the next second")
    try:
        base = datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss))
    except ValueError as e:
        raise TimeFormatError(f"{text!r}: {e}") from None
    offset = 0
    if not z:
        ohi, omi = int(oh), int(om)
        if ohi > 23 or omi > 59:
            raise TimeFormatError(f"{text!r}: offset {sign}{oh}:{om} is out of range")
        offset = (ohi * 3600 + omi * 60) * NS
        if sign == "-":
            offset = -offset
    ns = (base - _EPOCH) // timedelta(seconds=1) * NS - offset
    if frac:
        ns += int(frac.ljust(9, "0"))
    if ns < MIN_NS or ns > MAX_NS:
        raise TimeFormatError(f"{text!r} is outside the years 1 to 9999 in UTC")
    return ns


def format_timestamp(ns: int) -> str:
    """ns since epoch -> RFC 3339 UTC with 'Z'; a fraction only when non-zero, trailing zeros trimmed."""
    text = _TS_TEXT.get(ns)
    if text is None:
        text = _format_timestamp(ns)
        if len(_TS_TEXT) < 200_000:  # a report formats each instant a few times: a bounded memo
            _TS_TEXT[ns] = text
    return text


def _format_timestamp(ns: int) -> str:
    secs, frac = divmod(ns, NS)
    days, sod = divmod(secs, 86400)
    day = _DATE_TEXT.get(days)
    if day is None:
        day = (_EPOCH_DATE + timedelta(days=days)).isoformat()
        if len(_DATE_TEXT) < 1_000_000:
            _DATE_TEXT[days] = day
    clock = _CLOCK_TEXT[sod] if _CLOCK_TEXT else _clock_text()[sod]
    if frac:
        return f"{day}T{clock}." + f"{frac:09d}".rstrip("0") + "Z"
    return f"{day}T{clock}Z"


_CLOCK_TEXT: list[str] = []  # second of the day -> "HH:MM:SS", built on first use


def _clock_text() -> list[str]:
    _CLOCK_TEXT.extend(f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60))
    return _CLOCK_TEXT


def parse_duration(text: object) -> int:
    """`<integer><unit>` with unit in s m h d w -> ns. Raises TimeFormatError."""
    if not isinstance(text, str):
        raise TimeFormatError(
            f"must be a duration string like '24h' (an integer and one of s m h d w), got {text!r}"
        )
    m = _DURATION.match(text.strip())
    if m is None:
        raise TimeFormatError(
            f"{text!r} is not a duration: use an integer and one of s m h d w (e.g. 90m, 24h, 7d, 2w)"
        )
    return int(m.group(1)) * _UNIT_NS[m.group(2)]


def format_duration(ns: int) -> str:
    """ns -> the largest exact unit, e.g. 86400 s -> '1d'."""
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNIT_NS[unit]
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns}ns"


def date_start_ns(day: str) -> int:
    """YYYY-MM-DD -> ns at 00:00:00Z of that day."""
    d = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return (d.replace(tzinfo=None) - _EPOCH) // timedelta(seconds=1) * NS
