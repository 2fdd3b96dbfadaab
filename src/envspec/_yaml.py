"""Safe YAML reading for envspec: no aliases, bounded depth, positions for messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["YamlProblem", "item_lines", "load_yaml", "position_of"]


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """Why a YAML text was refused."""

    code: str  # "invalid-yaml" | "yaml-alias" | "too-deep"
    message: str
    line: int | None = None
    column: int | None = None


def _yaml(typ: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ=typ, pure=False)


def load_yaml(text: str) -> tuple[Any, YamlProblem | None]:
    """Parse *text* with the safe loader (C-accelerated where available).

    Aliases are refused: an alias to a collection makes two places share one
    value, which is how "billion laughs" documents explode; this is detected
    on the parsed data in time linear in the document's size.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = _yaml("safe").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        return None, YamlProblem("invalid-yaml", message, line, column)
    except YAMLError as exc:
        return None, YamlProblem("invalid-yaml", " ".join(str(exc).split()))
    except RecursionError:
        return None, YamlProblem("too-deep", "the YAML is nested too deeply to read")
    alias = _first_shared(data)
    if alias:
        return None, YamlProblem("yaml-alias", "the YAML uses an alias (*name) to repeat a value")
    return data, None


def _first_shared(data: Any) -> bool:
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            if id(item) in seen:
                return True
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return False


def item_lines(text: str, path: tuple[str | int, ...]) -> list[int]:
    """1-based line of each item of the sequence at *path* (one parse for all of them)."""
    node = _node_at(text, path)
    items = getattr(node, "value", None)
    if not isinstance(items, list):
        return []
    return [item.start_mark.line + 1 for item in items]


def _node_at(text: str, path: tuple[str | int, ...]) -> Any:
    try:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        node = _yaml("safe").compose(text)
    except Exception:  # noqa: BLE001 - positions are best effort; the problem is reported anyway
        return None
    for part in path:
        if isinstance(node, MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == part]
            if not match:
                return None
            node = match[0]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def position_of(text: str, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the node at *path*, for messages (slow path: errors only)."""
    try:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        node = _yaml("safe").compose(text)
    except Exception:  # noqa: BLE001 - positions are best effort; the problem is reported anyway
        return None, None
    for part in path:
        if isinstance(node, MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == part]
            key_nodes = [k for k, _ in node.value if getattr(k, "value", None) == part]
            if not match:
                break
            node = match[0]
            if part == path[-1] and key_nodes:
                mark = key_nodes[0].start_mark
                return mark.line + 1, mark.column + 1
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    if node is None:
        return None, None
    mark = node.start_mark
    return mark.line + 1, mark.column + 1
