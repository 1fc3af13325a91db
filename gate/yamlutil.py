"""Safe YAML loading that keeps line numbers, so every error can say file:line and the key path.

Used for event files, policies, waivers and spec contracts. Only the safe tags are constructed,
timestamps stay strings, duplicate keys are an error, and aliases are allowed only while the
document they expand to stays small (no "billion laughs": the expanded size is counted in linear
time over the node graph before anything is constructed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from gate.errors import GateError

Path_ = tuple[str | int, ...]


MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 64  # nesting of lists and mappings; the default of `Limits.max_depth`
MAX_INT_DIGITS = 4300  # Python's own limit for int(str) (sys.get_int_max_str_digits)
_INT_TAG = "tag:yaml.org,2002:int"
_NON_JSON_TAGS = {
    "tag:yaml.org,2002:binary": "binary data",
    "tag:yaml.org,2002:set": "a set",
    "tag:yaml.org,2002:omap": "an ordered map",
    "tag:yaml.org,2002:pairs": "a list of pairs",
    "tag:yaml.org,2002:timestamp": "a timestamp object (quote it)",
}


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


def load_with_lines(data: bytes | str, max_depth: int = MAX_DEPTH) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document -> (plain data, {key path: 1-based line}). Raises YamlLoadError.

    `max_depth` caps the nesting of lists and mappings (aliases included), counted from the root."""
    loader: StrictLoader | None = None
    try:
        loader = StrictLoader(data)  # reads the first bytes: invalid UTF-8 or a NUL fails here already
        node = loader.get_single_node()
        if node is None:
            return None, {}
        check_expansion(node, max_depth=max_depth)
        lines: dict[Path_, int] = {}
        _check(node, (), lines)
        obj = loader.construct_document(node)
    except YamlLoadError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise YamlLoadError(
            mark.line + 1 if mark else 1, f"not valid YAML: {e.problem or e.context}"
        ) from None
    except yaml.reader.ReaderError as e:
        # PyYAML reports either undecodable bytes (encoding "utf-8") or a character YAML forbids.
        undecodable = e.encoding != "unicode"
        what = "not valid UTF-8" if undecodable else f"character {e.character:#06x} is not allowed"
        line = _line_at(data, e.position, undecodable)
        raise YamlLoadError(line, f"not valid YAML: {what} ({e.reason})") from None
    except yaml.YAMLError as e:
        raise YamlLoadError(1, f"not valid YAML: {e}") from None
    except RecursionError:
        raise YamlLoadError(1, "YAML nested too deeply for the parser (hundreds of levels)") from None
    except ValueError as e:  # a constructor refused a value that _check let through: never a traceback
        raise YamlLoadError(1, f"not valid YAML: {e}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return obj, lines


def _line_at(data: bytes | str, position: int, in_bytes: bool) -> int:
    """1-based line of a reader position (a byte offset for undecodable bytes, else a character index)."""
    if isinstance(data, bytes):
        if in_bytes:
            return data[:position].count(b"\n") + 1
        data = data.decode("utf-8", "replace")
    return data[:position].count("\n") + 1


def check_expansion(root: yaml.Node, limit: int = MAX_EXPANDED_NODES, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a document whose aliases expand to more than `limit` nodes (counted with a memo per
    node, so a "billion laughs" document is measured without being expanded), or whose lists and
    mappings nest deeper than `max_depth` (aliases followed)."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: deep documents do not hit the recursion limit
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        kids = _children(node)
        if done or not kids:
            sizes[id(node)] = 1 + sum(sizes[id(k)] for k in kids)
            depths[id(node)] = (
                (1 + max((depths[id(k)] for k in kids), default=0)) if _is_container(node) else 0
            )
            if sizes[id(node)] > limit:
                raise YamlLoadError(
                    node.start_mark.line + 1,
                    f"the document expands to more than {limit} nodes (through aliases); refusing to read it",
                )
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    if depths[id(root)] > max_depth:
        node = root  # follow the deepest path down to the first list or mapping over the cap
        for _ in range(max_depth):
            node = max(_children(node), key=lambda k: depths[id(k)])
        raise YamlLoadError(
            node.start_mark.line + 1,
            f"lists and mappings nest more than {max_depth} levels deep (the max_depth cap, --max-depth); "
            "refusing to read it",
        )


def _is_container(node: yaml.Node) -> bool:
    return isinstance(node, (yaml.MappingNode, yaml.SequenceNode))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if node.tag in _NON_JSON_TAGS:
        raise YamlLoadError(
            node.start_mark.line + 1,
            f"{format_path(path)}: {_NON_JSON_TAGS[node.tag]} ({node.tag.rsplit(':', 1)[-1]}) has no JSON "
            "equivalent; use a string, number, boolean, null, list or mapping",
        )
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
        raise YamlLoadError(
            node.start_mark.line + 1,
            f"{format_path(path)}: an integer with more than {MAX_INT_DIGITS} digits",
        )
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise YamlLoadError(
                    knode.start_mark.line + 1,
                    f"{format_path(path)}: a mapping key must be a plain value, not a list or mapping",
                )
            key = knode.value
            if knode.tag == "tag:yaml.org,2002:bool":
                key = str(key)  # the text as written (`on`, `yes`...): callers explain YAML 1.1 booleans
            if key in seen:
                raise YamlLoadError(
                    knode.start_mark.line + 1, f"duplicate key {key!r} (first at line {seen[key]})"
                )
            seen[key] = knode.start_mark.line + 1
            _check(vnode, (*path, key), lines)
            lines[path + (key,)] = knode.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _check(child, (*path, i), lines)


def json_problem(obj: Any) -> tuple[Path_, str] | None:
    """The first value of a loaded document that JSON cannot carry, as (key path, why), else None:
    a key that is not a string, a NaN or infinite float, or an object of another type. Iterative,
    in document order."""
    stack: list[tuple[Any, Path_]] = [(obj, ())]
    while stack:
        value, path = stack.pop()
        kind = type(value)
        if kind is dict:
            for k in value:
                if type(k) is not str:
                    return path, f"key {k!r} is not a string (quote it)"
            stack.extend((value[k], (*path, k)) for k in reversed(list(value)))
        elif kind is list:
            stack.extend((value[i], (*path, i)) for i in range(len(value) - 1, -1, -1))
        elif kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                return path, f"{value} is not a finite number (JSON has no NaN or Infinity)"
        elif value is not None and kind not in (str, int, bool):
            return path, f"{kind.__name__} values have no JSON equivalent"
    return None


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


E = TypeVar("E", bound=GateError)


def load_located(
    data: bytes | str, name: str, error: type[E], max_depth: int = MAX_DEPTH
) -> tuple[Any, dict[Path_, int], Callable[[Path_, str], E]]:
    """`load_with_lines` for a file called `name`, with its errors raised as `error` ("name:line:
    message"), plus `fail(path, message)`, which builds an `error` naming the line and key path."""
    try:
        obj, lines = load_with_lines(data, max_depth=max_depth)
    except YamlLoadError as e:
        raise error(f"{name}:{e.line}: {e.message}") from None

    def fail(path: Path_, message: str) -> E:
        return error(f"{name}:{line_for(lines, path)}: {format_path(path)}: {message}")

    return obj, lines, fail
