"""Safe YAML loading that keeps line numbers, so every error can say file:line and the key path.

Used for event files, policies, waivers and spec contracts. Only the safe tags are constructed,
timestamps stay strings, duplicate keys are an error, and aliases are allowed only while the
document they expand to stays small (no "billion laughs": the expanded size is counted in linear
time over the node graph before anything is constructed).
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


MAX_EXPANDED_NODES = 2_000_000


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without implicit timestamps (they stay strings)."""


StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}


class YamlLoadError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_with_lines(data: bytes | str) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document -> (plain data, {key path: 1-based line}). Raises YamlLoadError."""
    loader = StrictLoader(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        check_expansion(node)
        lines: dict[Path_, int] = {}
        _check(node, (), lines)
        obj = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise YamlLoadError(
            mark.line + 1 if mark else 1, f"not valid YAML: {e.problem or e.context}"
        ) from None
    except yaml.YAMLError as e:
        raise YamlLoadError(1, f"not valid YAML: {e}") from None
    except RecursionError:
        raise YamlLoadError(1, "YAML nested too deeply") from None
    finally:
        loader.dispose()
    return obj, lines


def check_expansion(root: yaml.Node, limit: int = MAX_EXPANDED_NODES) -> None:
    """Refuse a document whose aliases expand to more than `limit` nodes (counted with a memo per
    node, so a "billion laughs" document is measured without being expanded)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: deep documents do not hit the recursion limit
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        kids = _children(node)
        if done or not kids:
            sizes[id(node)] = 1 + sum(sizes[id(k)] for k in kids)
            if sizes[id(node)] > limit:
                raise YamlLoadError(
                    node.start_mark.line + 1,
                    f"the document expands to more than {limit} nodes (through aliases); refusing to read it",
                )
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for knode, vnode in node.value:
            key = knode.value
            if knode.tag == "tag:yaml.org,2002:bool":
                key = str(key)  # the text as written (`on`, `yes`...): callers explain YAML 1.1 booleans
            if key in seen:
                raise YamlLoadError(
                    knode.start_mark.line + 1, f"duplicate key {key!r} (first at line {seen[key]})"
                )
            seen[key] = knode.start_mark.line + 1
            _check(vnode, (*path, key), lines)
            lines[(*path, key)] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _check(child, (*path, i), lines)


def line_for(lines: dict[Path_, int], path: Path_) -> int:
    """The line of the deepest known prefix of `path`."""
    p = tuple(path)
    while p and p not in lines:
        p = p[:-1]
    return lines.get(p, 1)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
