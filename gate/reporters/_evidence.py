"""Shared reading of the report dict for the GitHub-facing reporters: walk a conclusion's derivation
down to its leaves, and find where each leaf was read (file:line). Pure functions over the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# GitHub renders at most this many annotations of one level per step (workflow commands).
ANNOTATIONS_PER_LEVEL = 10


@dataclass(frozen=True, slots=True)
class Location:
    """Where a leaf was read. `line` is None for whole-document sources (e.g. a JSON array)."""

    file: str
    line: int | None

    @property
    def is_url(self) -> bool:
        return "://" in self.file

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Node:
    """One event of a derivation tree: a leaf, or a derived event with the rule that made it."""

    id: str
    type: str
    timestamp: str
    leaf: bool
    rule: str | None  # the rule or composition that derived it (None for a leaf)
    kind: str | None  # "rule" | "composition" | None
    children: tuple[str, ...]


def partition_label(partition: str | None) -> str:
    """How a partition (lineage) is shown: its name, or `(no lineage)` for the single null partition."""
    return "(no lineage)" if partition is None else partition


def derived_index(report: dict[str, Any]) -> dict[tuple[str | None, str], dict[str, Any]]:
    """(partition, derived id) -> derived event."""
    index: dict[tuple[str | None, str], dict[str, Any]] = {}
    for part in report.get("partitions", []):
        for d in part.get("derived", []):
            index[(part.get("partition"), d["id"])] = d
    return index


def node(
    report: dict[str, Any],
    index: dict[tuple[str | None, str], dict[str, Any]],
    partition: str | None,
    event_id: str,
) -> Node:
    """The event `event_id` of `partition`: a derived event of that partition, else a leaf."""
    d = index.get((partition, event_id))
    if d is not None:
        return Node(
            id=event_id,
            type=str(d.get("type", "?")),
            timestamp=str(d.get("timestamp", "")),
            leaf=False,
            rule=d.get("rule"),
            kind=d.get("kind"),
            children=tuple(d.get("children", ())),
        )
    leaf = report.get("leaves", {}).get(event_id, {})
    return Node(
        id=event_id,
        type=str(leaf.get("type", "?")),
        timestamp=str(leaf.get("timestamp", "")),
        leaf=True,
        rule=None,
        kind=None,
        children=(),
    )


def walk(report: dict[str, Any], conclusion: dict[str, Any]) -> list[Node]:
    """Every event of a conclusion's derivation, the conclusion first, breadth-first, each once."""
    index = derived_index(report)
    partition = conclusion.get("partition")
    seen: set[str] = set()
    order: list[Node] = []
    queue = [str(conclusion["id"])]
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        n = node(report, index, partition, current)
        order.append(n)
        queue.extend(c for c in n.children if c not in seen)
    return order


def locations(report: dict[str, Any], leaf_id: str) -> list[Location]:
    """Where the leaf `leaf_id` was read, in the order the report gives."""
    found = []
    for o in report.get("origins", {}).get(leaf_id, []):
        line = o.get("line")
        found.append(Location(file=str(o.get("file", "")), line=line if isinstance(line, int) else None))
    return found


def evidence(report: dict[str, Any], conclusion: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The conclusion's evidence leaves as (id, leaf), oldest first (timestamp, then id)."""
    leaves = report.get("leaves", {})
    rows = [(lid, leaves.get(lid, {})) for lid in conclusion.get("evidence", [])]
    return sorted(rows, key=lambda r: (str(r[1].get("timestamp", "")), r[0]))


def anchor_location(report: dict[str, Any], conclusion: dict[str, Any]) -> tuple[str, Location | None]:
    """The leaf an annotation is placed on, and where it was read.

    The latest evidence leaf (by timestamp, then id) is the one that completed the conclusion, so it
    is where a reader should look first. Leaves read from URLs have no place in the repository: the
    latest leaf with a file location wins; when no leaf has one, the location is None.
    """
    rows = evidence(report, conclusion)
    for lid, _ in reversed(rows):
        for loc in locations(report, lid):
            if not loc.is_url:
                return lid, loc
    return (rows[-1][0] if rows else str(conclusion.get("id", ""))), None


def windows(report: dict[str, Any], n: Node) -> str:
    """The time window(s) of the rule or composition that derived `n`, e.g. `24h` or `48h, 7d`."""
    policy = report.get("policy", {})
    if n.kind == "composition":
        within = policy.get("compositions", {}).get(n.rule or "", {}).get("within")
        return str(within) if within else ""
    ws = policy.get("rules", {}).get(n.rule or "", {}).get("windows", [])
    unique: list[str] = []
    for w in ws:
        if str(w) not in unique:
            unique.append(str(w))
    return ", ".join(unique)


def conclusions(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role, conclusion) for every conclusion of the verdict: blocking, then warnings, then waived."""
    verdict = report.get("verdict", {})
    for role in ("blocking", "warnings", "waived"):
        for c in verdict.get(role, []):
            yield role, c


def short_id(event_id: str, n: int = 12) -> str:
    """A derived id is a long content hash: show its first characters (leaf ids are shown whole)."""
    if len(event_id) <= n + 2:
        return event_id
    return event_id[:n] + "…"


# -- Markdown helpers shared by the job summary and the PR comment -----------------------------------


def code(value: object, *, in_table: bool = False) -> str:
    """`value` as an inline code span (safe for any content: mentions and markup are inert in code)."""
    text = " ".join(str(value).split())
    if in_table:
        text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else "` `"


def text(value: object, *, in_table: bool = False) -> str:
    """Free text (messages, waiver reasons) made inert: markup, HTML and @mentions are escaped."""
    out = " ".join(str(value).split())
    for ch in "\\`*_[]<>#!":
        out = out.replace(ch, "\\" + ch)
    out = out.replace("@", "&#64;")
    if in_table:
        out = out.replace("|", "\\|")
    return out


def fit(blocks: list[str], limit: int, note: str, *, measure: str = "bytes") -> str:
    """Join `blocks` in order, stopping before the one that would pass `limit` (with room for `note`).

    `note` is formatted with `{left}` and `{total}` (blocks left out, blocks in all) and appended only
    when something was left out. `measure` is "bytes" (UTF-8, the job summary's limit) or "chars"
    (an issue comment's limit).
    """

    def size(s: str) -> int:
        return len(s.encode("utf-8")) if measure == "bytes" else len(s)

    total = len(blocks)
    whole = "".join(blocks)
    if size(whole) <= limit:
        return whole
    reserve = size(note.format(left=total, total=total)) + 16
    out: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        if used + size(block) + reserve > limit:
            out.append(note.format(left=total - i, total=total))
            return "".join(out)
        out.append(block)
        used += size(block)
    return "".join(out)  # pragma: no cover - the whole text was over the limit, so a block was left out
