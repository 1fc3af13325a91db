"""Waivers (SPEC 3.8): load and validate the waivers file, then judge each waiver on the as-of date.

A waivers file is a YAML list; each waiver names what it covers (a conclusion `id`, or a `type` in
one `lineage` partition, optionally restricted to conclusions resting on given `leaves`), who
approved it, why, when, and when it expires. Errors say `file:line: [index].key: message`
(`WaiverError`, exit 2). `WaiverJudge` is the `waiver_for` lookup `gate.verdict.decide` calls; it
remembers what each waiver matched so the report can list waivers applied, expired and unused.

Dates are compared with the as-of date only here; the as-of date is an input, never the clock.
A waiver is valid from its `approved` date through its `expires` date, both inclusive.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from gate.errors import WaiverError
from gate.policy.model import Policy
from gate.schemautil import common_message, first_error, most_specific
from gate.verdict import Conclusion
from gate.yamlutil import Path_, line_for, load_located

DATE_FORMAT = "%Y-%m-%d"


@lru_cache(maxsize=1)
def waivers_schema() -> dict[str, Any]:
    return json.loads((resources.files("gate") / "schemas" / "waivers.schema.json").read_text("utf-8"))


def parse_date(text: str) -> date:
    """YYYY-MM-DD -> date. Raises ValueError."""
    return datetime.strptime(text, DATE_FORMAT).date()


@dataclass(frozen=True, slots=True)
class Waiver:
    """One validated waiver; `index` is its 0-based position in the file, `line` its first line."""

    index: int
    line: int
    approved_by: str
    reason: str
    approved: str
    expires: str
    id: str | None = None
    type: str | None = None
    lineage: str | None = None
    leaves: tuple[str, ...] = ()
    link: str | None = None

    def covers(self) -> str:
        """What the waiver names, in words: `id X` or `type T in lineage L`."""
        if self.id is not None:
            what = f"id {self.id}"
        else:
            part = "the lineage-less partition" if self.lineage is None else f"lineage {self.lineage}"
            what = f"type {self.type} in {part}"
        if self.leaves:
            what += f" resting on {', '.join(self.leaves)}"
        return what

    def matches(self, c: Conclusion) -> bool:
        if self.id is not None:
            if c.id != self.id:
                return False
        elif c.type != self.type or c.partition != self.lineage:
            return False
        return not self.leaves or set(self.leaves) <= set(c.evidence)

    def state(self, as_of: str) -> str:
        """`active`, `expired` or `not-yet-valid` on the as-of date (dates compare as ISO strings)."""
        if as_of > self.expires:
            return "expired"
        if as_of < self.approved:
            return "not-yet-valid"
        return "active"

    def as_dict(self, file: str) -> dict[str, Any]:
        """The waiver as reports show it. `by` repeats `approved_by` for reporters that read the short key."""
        out: dict[str, Any] = {
            "index": self.index,
            "file": file,
            "line": self.line,
            "covers": self.covers(),
            "approved_by": self.approved_by,
            "by": self.approved_by,
            "reason": self.reason,
            "approved": self.approved,
            "expires": self.expires,
            "link": self.link,
        }
        if self.id is not None:
            out["id"] = self.id
        else:
            out["type"] = self.type
            out["lineage"] = self.lineage
        if self.leaves:
            out["leaves"] = list(self.leaves)
        return out


@dataclass(frozen=True, slots=True)
class WaiverFile:
    name: str
    sha256: str
    max_days: int
    waivers: tuple[Waiver, ...] = ()


def load_waivers(path: str, policy: Policy) -> WaiverFile:
    """Read and validate a waivers file against the schema and the policy (types, maximum validity)."""
    p = Path(path)
    if not p.is_file():
        raise WaiverError(f"{path}: no such waivers file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise WaiverError(f"{path}: cannot read: {e.strerror}") from None
    return parse_waivers(data, path, policy)


def parse_waivers(data: bytes, name: str, policy: Policy) -> WaiverFile:
    sha = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WaiverError(f"{name}:1: not valid UTF-8 ({e.reason} at byte {e.start})") from None
    obj, lines, fail = load_located(text, name, WaiverError)

    if obj is not None and not isinstance(obj, list):
        raise WaiverError(
            f"{name}:{line_for(lines, ())}: a waivers file is a YAML list of waivers "
            f"(each item starting with `- id:` or `- type:`)"
        )
    _schema_check(obj, fail)
    waivers = []
    for i, w in enumerate(obj or []):
        waivers.append(_compile(i, w, lines, fail, policy))
    return WaiverFile(name=name, sha256=sha, max_days=policy.waiver_max_days, waivers=tuple(waivers))


def _schema_check(obj: Any, fail: Any) -> None:
    err = first_error(waivers_schema(), obj)
    if err is None:
        return
    path = tuple(err.absolute_path)
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        keys = set(err.instance)
        if "id" in keys and "type" in keys:
            raise fail(path, "give either id or type (with lineage), not both")
        if "id" in keys and "lineage" in keys:
            raise fail(
                (*path, "lineage"),
                "lineage goes with type; an id waiver covers that event in every partition it occurs in",
            )
        raise fail(path, "say what the waiver covers: id (a conclusion id) or type (with lineage)")
    err = most_specific(err)
    path = tuple(err.absolute_path)
    common = common_message(err)
    if common is not None:
        raise fail(*common)
    if err.validator == "pattern" and path and path[-1] in ("approved", "expires"):
        raise fail(path, f"{err.instance!r} is not a date: write YYYY-MM-DD")
    if err.validator == "pattern" and path and path[-1] == "link":
        raise fail(path, f"{err.instance!r} is not an http(s) URL")
    if err.validator in ("pattern", "minLength") and path and path[-1] in ("approved_by", "reason"):
        raise fail(path, "must not be empty")
    if err.validator == "type" and path and path[-1] in ("approved", "expires"):
        raise fail(path, f"{err.instance!r} is not a date: write YYYY-MM-DD (quoted or not)")
    if err.validator == "type" and err.validator_value == "string":
        raise fail(path, f'{err.instance!r} must be a string (quote it: "{err.instance}")')
    raise fail(path, err.message)


def _compile(i: int, w: Mapping[str, Any], lines: Any, fail: Any, policy: Policy) -> Waiver:
    p: Path_ = (i,)
    dates: dict[str, date] = {}
    for key in ("approved", "expires"):
        try:
            dates[key] = parse_date(w[key])
        except ValueError:
            raise fail((*p, key), f"{w[key]!r} is not a valid date") from None
    if "type" in w and w["type"] not in policy.types:
        hint = difflib.get_close_matches(w["type"], sorted(policy.types), n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        raise fail((*p, "type"), f"unknown type {w['type']!r} for policy {policy.name}{more}")
    days = (dates["expires"] - dates["approved"]).days
    if days < 0:
        raise fail((*p, "expires"), f"expires ({w['expires']}) is before approved ({w['approved']})")
    if days > policy.waiver_max_days:
        raise fail(
            (*p, "expires"),
            f"valid for {days} days (approved {w['approved']}, expires {w['expires']}); policy "
            f"{policy.name} allows at most {policy.waiver_max_days} (waivers.max_days)",
        )
    return Waiver(
        index=i,
        line=line_for(lines, p),
        approved_by=w["approved_by"],
        reason=w["reason"],
        approved=w["approved"],
        expires=w["expires"],
        id=w.get("id"),
        type=w.get("type"),
        lineage=w.get("lineage"),
        leaves=tuple(w.get("leaves") or ()),
        link=w.get("link"),
    )


@dataclass
class WaiverJudge:
    """The `waiver_for` lookup of `decide`: the first active waiver (in file order) matching a conclusion.

    Every waiver, active or not, records the conclusions it matches, so the report can say which waivers
    applied, which expired (and what they would have covered) and which matched nothing.
    """

    file: WaiverFile | None
    as_of: str
    matched: dict[int, list[Conclusion]] = field(default_factory=dict)

    def __call__(self, c: Conclusion) -> Mapping[str, Any] | None:
        if self.file is None:
            return None
        found: Mapping[str, Any] | None = None
        for w in self.file.waivers:
            if not w.matches(c):
                continue
            self.matched.setdefault(w.index, []).append(c)
            if found is None and w.state(self.as_of) == "active":
                found = w.as_dict(self.file.name)
        return found

    def section(self) -> dict[str, Any]:
        """The report's top-level `waivers` key."""
        f = self.file
        out: dict[str, Any] = {
            "file": f.name if f else None,
            "sha256": f.sha256 if f else None,
            "max_days": f.max_days if f else None,
            "as_of": self.as_of,
            "count": len(f.waivers) if f else 0,
            "applied": [],
            "expired": [],
            "not_yet_valid": [],
            "unused": [],
        }
        if f is None:
            return out
        for w in f.waivers:
            hits = sorted(self.matched.get(w.index, []), key=Conclusion.sort_key)
            item = {
                "index": w.index,
                "line": w.line,
                "covers": w.covers(),
                "approved_by": w.approved_by,
                "expires": w.expires,
                "conclusions": [{"id": c.id, "type": c.type, "partition": c.partition} for c in hits],
            }
            state = w.state(self.as_of)
            if state == "expired":
                out["expired"].append(item)
            elif state == "not-yet-valid":
                out["not_yet_valid"].append(item)
            elif hits:
                out["applied"].append(item)
            else:
                out["unused"].append(item)
        return out

    def notes(self) -> list[dict[str, Any]]:
        """Warning notes for the verdict: expired, not yet valid and unused waivers."""
        f = self.file
        if f is None:
            return []
        notes: list[dict[str, Any]] = []
        for w in f.waivers:
            hits = self.matched.get(w.index, [])
            would = f"; it would have waived {_n(len(hits), 'conclusion')}" if hits else ""
            where = f"{f.name}:{w.line}"
            state = w.state(self.as_of)
            if state == "expired":
                text = (
                    f"{where}: waiver for {w.covers()} expired on {w.expires} "
                    f"(as of {self.as_of}); ignored{would}"
                )
                notes.append({"level": "warning", "code": "waiver-expired", "text": text})
            elif state == "not-yet-valid":
                text = (
                    f"{where}: waiver for {w.covers()} is approved from {w.approved}, after the as-of date "
                    f"{self.as_of}; ignored{would}"
                )
                notes.append({"level": "warning", "code": "waiver-not-yet-valid", "text": text})
            elif not hits:
                text = f"{where}: waiver for {w.covers()} matches no blocking conclusion (unused)"
                notes.append({"level": "warning", "code": "waiver-unused", "text": text})
        return notes

    def check_strict(self) -> None:
        """--strict: an active waiver that matches nothing is an error (a stale or mistyped waiver)."""
        f = self.file
        if f is None:
            return
        for w in f.waivers:
            if w.state(self.as_of) == "active" and not self.matched.get(w.index):
                raise WaiverError(
                    f"{f.name}:{w.line}: waiver for {w.covers()} matches no blocking conclusion (--strict)",
                    hint="remove the waiver, or check its id/type/lineage against `check --format json`",
                )


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'s' if k != 1 else ''}"


# -- writing (synapse-gate waive) -------------------------------------------------------------------


def _scalar(value: str) -> str:
    """A YAML double-quoted scalar: JSON string syntax is valid YAML, and nothing in it is interpreted."""
    return json.dumps(value, ensure_ascii=False)


def render_waiver(
    *,
    approved_by: str,
    reason: str,
    approved: str,
    expires: str,
    id: str | None = None,
    type: str | None = None,
    lineage: str | None = None,
    leaves: tuple[str, ...] = (),
    link: str | None = None,
    comment: str = "",
) -> str:
    """One waiver as a YAML list item (text to append to a waivers file)."""
    out = []
    if comment:
        out.append("# " + " ".join(comment.split()))
    first = f"id: {_scalar(id)}" if id is not None else f"type: {_scalar(type or '')}"
    out.append(f"- {first}")
    if id is None:
        out.append(f"  lineage: {'null' if lineage is None else _scalar(lineage)}")
    if leaves:
        out.append("  leaves: [" + ", ".join(_scalar(x) for x in leaves) + "]")
    out.append(f"  approved_by: {_scalar(approved_by)}")
    out.append(f"  reason: {_scalar(reason)}")
    if link:
        out.append(f"  link: {_scalar(link)}")
    out.append(f"  approved: {_scalar(approved)}")
    out.append(f"  expires: {_scalar(expires)}")
    return "\n".join(out) + "\n"


def append_waivers(path: str, entries: list[str], policy: Policy) -> WaiverFile:
    """Append waiver items to `path` (created if missing) without touching what is already there.

    The combined text is validated first and written atomically; on any error the file is unchanged."""
    p = Path(path)
    old = b""
    if p.exists():
        if not p.is_file():
            raise WaiverError(f"{path}: not a file")
        try:
            old = p.read_bytes()
        except OSError as e:
            raise WaiverError(f"{path}: cannot read: {e.strerror}") from None
    try:
        text = old.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WaiverError(f"{path}:1: not valid UTF-8 ({e.reason} at byte {e.start})") from None
    if text and not text.endswith("\n"):
        text += "\n"
    if text.strip():
        text += "\n"
    text += "\n".join(entries)
    data = text.encode("utf-8")
    try:
        parsed = parse_waivers(data, path, policy)
    except WaiverError as e:
        raise WaiverError(
            f"{e.message} (after appending the new waiver; {path} was left unchanged)",
            hint="a waivers file must be a YAML block list (`- id: ...` items) for `waive` to append to it",
        ) from None
    tmp = p.with_name(f".{p.name}.tmp{os.getpid()}")
    try:
        tmp.write_bytes(data)
        if p.exists():
            shutil.copymode(p, tmp)
        os.replace(tmp, p)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise WaiverError(f"{path}: cannot write: {e.strerror}") from None
    return parsed
