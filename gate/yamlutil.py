"""Safe YAML loading that keeps line numbers, so every error can say file:line and the key path.

Used for policies, waivers and spec contracts. Aliases are refused (no "billion laughs"), only the
safe tags are constructed, timestamps stay strings, and duplicate keys are an error.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases and without implicit timestamps; duplicate keys rejected."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "YAML aliases (*name) are not allowed here", event.start_mark)
        return super().compose_node(parent, index)


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
        lines: dict[Path_, int] = {}
        _check(node, (), lines)
        obj = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise YamlLoadError(mark.line + 1 if mark else 1, f"not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise YamlLoadError(1, f"not valid YAML: {e}") from None
    except RecursionError:
        raise YamlLoadError(1, "YAML nested too deeply") from None
    finally:
        loader.dispose()
    return obj, lines


def _check(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for knode, vnode in node.value:
            key = knode.value
            if knode.tag == "tag:yaml.org,2002:bool" or key in ("on", "off", "yes", "no", "On", "Off"):
                key = str(key)
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
