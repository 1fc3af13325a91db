"""Evidence trees read from a report dict: shared by the text reporter, `explain` and other reporters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TreeLine:
    depth: int
    last: tuple[bool, ...]  # for each level down to this one: is it the last child?
    text: str


class ReportIndex:
    """Look-ups over one report: derived events by (partition, id), leaves, origins, rule windows."""

    def __init__(self, report: dict[str, Any]) -> None:
        self.report = report
        self.derived: dict[tuple[str | None, str], dict[str, Any]] = {}
        for p in report["partitions"]:
            for d in p["derived"]:
                self.derived[(p["partition"], d["id"])] = d
        self.leaves: dict[str, Any] = report.get("leaves", {})
        self.origins: dict[str, list[dict[str, Any]]] = report.get("origins", {})
        self.policy = report["policy"]

    def step(self, d: dict[str, Any]) -> str:
        """'rule spec_drift, within 48h' or 'composition release_gate, within 14d'."""
        if d.get("kind") == "composition":
            comp = self.policy["compositions"].get(d["rule"], {})
            return f"composition {d['rule']}, within {comp.get('within', '?')}"
        rule = self.policy["rules"].get(d["rule"], {})
        windows = sorted(set(rule.get("windows", [])))
        return f"rule {d['rule']}, within {'/'.join(windows) or '?'}"

    def where(self, leaf_id: str) -> str:
        origins = self.origins.get(leaf_id) or []
        if not origins:
            return ""
        o = origins[0]
        loc = o["file"] if o.get("line") is None else f"{o['file']}:{o['line']}"
        more = f" (+{len(origins) - 1} more)" if len(origins) > 1 else ""
        return loc + more

    def lines(self, partition: str | None, root: str) -> Iterator[TreeLine]:
        """Depth-first lines of the evidence tree below (and including) `root`."""

        def walk(node_id: str, last: tuple[bool, ...]) -> Iterator[TreeLine]:
            d = self.derived.get((partition, node_id))
            if d is None:
                leaf = self.leaves.get(node_id, {})
                where = self.where(node_id)
                text = f"{leaf.get('type', '?')} {leaf.get('timestamp', '?')}  {node_id}"
                yield TreeLine(len(last), last, text + (f"  ({where})" if where else ""))
                return
            text = f"{d['type']} {d['timestamp']}  [{self.step(d)}]  {d['id']}"
            yield TreeLine(len(last), last, text)
            kids = d["children"]
            for i, c in enumerate(kids):
                yield from walk(c, (*last, i == len(kids) - 1))

        yield from walk(root, ())


def draw(lines: Iterator[TreeLine], indent: str = "  ") -> list[str]:
    out = []
    for ln in lines:
        if ln.depth == 0:
            out.append(indent + ln.text)
            continue
        prefix = "".join("   " if last else "│  " for last in ln.last[:-1])
        out.append(indent + prefix + ("└─ " if ln.last[-1] else "├─ ") + ln.text)
    return out
