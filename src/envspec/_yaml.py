"""Safe YAML reading for envspec: no aliases, bounded depth, positions for messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["YamlProblem", "item_positions", "load_yaml", "position_of", "simple_load"]


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """Why a YAML text was refused."""

    code: str  # "invalid-yaml" | "yaml-alias" | "too-deep"
    message: str
    line: int | None = None
    column: int | None = None


#: Deeper collections are refused before they are built (the C composer recurses
#: without a limit: tens of thousands of levels crash the process).
MAX_DEPTH = 500
_SURROGATE = re.compile("[\ud800-\udfff]")


def _yaml(typ: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ=typ, pure=False)


def load_yaml(text: str, *, strict: bool = False) -> tuple[Any, YamlProblem | None]:
    """Parse *text* with the safe loader (C-accelerated where available).

    Aliases are refused: an alias to a collection makes two places share one
    value, which is how "billion laughs" documents explode, and environment
    files never need one.  Aliases and excessive nesting are found in the
    parser's events, before any value is built.

    *strict* applies the rules of standalone envspec files: no anchors either,
    and the document must denote JSON (string keys; strings, numbers, booleans
    and null as scalars).
    """
    simple = simple_load(text)
    if simple is not None:
        return simple, None  # the common shape: no parser imported
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        at = surrogate.start()
        return None, YamlProblem(
            "invalid-yaml",
            f"{surrogate.group()!r} is not a Unicode character",
            text.count("\n", 0, at) + 1,
            at - text.rfind("\n", 0, at),
        )
    problem = _scan(text, anchors=strict)
    if problem is not None:
        return None, problem
    try:
        data = _yaml("safe").load(text)
    except MarkedYAMLError as exc:
        return None, _marked_problem(text, exc)
    except YAMLError as exc:
        return None, YamlProblem("invalid-yaml", " ".join(str(exc).split()))
    except RecursionError:
        return None, YamlProblem("too-deep", "the YAML is nested too deeply to read")
    if _first_shared(data):  # defensive: the scan finds every alias first
        return None, YamlProblem("yaml-alias", "the YAML uses an alias (*name) to repeat a value")
    if strict:
        where = _not_json(data)
        if where is not None:
            return None, YamlProblem("invalid-yaml", where)
    return data, None


def _marked_problem(text: str, exc: Any) -> YamlProblem:
    """Where the fault is: the problem's mark, unless it is at the end of the text (an
    unclosed quote or bracket), where the mark of what is left open is the fault.  A
    position past the last line is never given."""
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    lines = text.split("\n")
    if lines and lines[-1] == "" and len(lines) > 1:
        lines.pop()  # the final newline ends the last line; it starts none
    mark, message = exc.problem_mark, problem
    at_end = mark is None or getattr(mark, "index", 0) >= len(text.rstrip())
    if (at_end or mark.line >= len(lines)) and exc.context_mark is not None:
        mark = exc.context_mark
        context = " ".join(str(exc.context or "").split())
        message = f"{problem} ({context})" if context and exc.problem else problem
    if mark is None:
        return YamlProblem("invalid-yaml", message)
    line, column = mark.line + 1, mark.column + 1
    if line > len(lines):  # clamp to the end of the last line
        line = max(len(lines), 1)
        column = len(lines[line - 1]) + 1 if lines else 1
    return YamlProblem("invalid-yaml", message, line, column)


def _not_json(data: Any) -> str | None:
    """A mapping key that is not a string, which no JSON text could denote (``None``: none)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, str):
                    return f"the mapping key {key!r} at {where or '/'} is not a string: quote it"
                stack.append((value, f"{where}/{key}"))
        elif isinstance(item, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(item))
    # Scalars of other YAML types (dates, binary) are left to the schema, which reports
    # each one where it is (wrong-type) and goes on.
    return None


# The common shape of conda environment files, read without a YAML parser (and
# without importing one): top-level ``key: word`` and ``key:`` lines followed by
# a block sequence of words or of ``- key:`` items holding a sequence of words.
# A word is a plain scalar that every YAML resolver reads as a string: it starts
# with a letter or "_", uses no indicator that could start anything else, and
# is none of the words YAML 1.1 or 1.2 reads as booleans or null.  Anything else
# (flow style, quotes, trailing comments, tabs, CR...) goes to ruamel.yaml.
# Tests check that ruamel.yaml reads everything this accepts to the same value.
_CHAR = r"[A-Za-z0-9_.=<>!*,+/\[\]-]"
_WORD = rf"[A-Za-z_](?:{_CHAR}|:+{_CHAR})*"
_KEY = r"[A-Za-z_][A-Za-z0-9_-]{0,127}"  # YAML limits implicit keys to 1024 characters
_TOP_LINE = re.compile(rf"({_KEY}):(?: +({_WORD}))?")
_ITEM_LINE = re.compile(rf"( *)-( +)(?:({_KEY}):|({_WORD}))")
_SKIPPED_LINE = re.compile(r" *(?:#.*)?")
_RESERVED = re.compile(r"(?i:true|false|null|yes|no|on|off|y|n)")


def simple_load(text: str) -> dict[str, Any] | None:
    """*text* read as ruamel.yaml's safe loader reads it, when it has the common simple
    shape of a conda file; ``None`` when it has another shape (use :func:`load_yaml`)."""
    if not text.isascii() or "\t" in text or "\r" in text:
        return None
    out: dict[str, Any] = {}
    items: list[Any] | None = None  # the open top-level sequence
    indent = -1  # its indentation, once its first item is seen
    nested: list[str] | None = None  # the sequence of the last ``- key:`` item
    nested_indent = -1
    nested_min = 0  # its indentation must be at least the column of its key
    for line in text.split("\n"):
        if _SKIPPED_LINE.fullmatch(line):
            continue
        top = _TOP_LINE.fullmatch(line)
        if top is not None:
            if (items is not None and indent < 0) or (nested is not None and nested_indent < 0):
                return None  # a key without a value (null)
            key, word = top.groups()
            if key in out or _RESERVED.fullmatch(key) or (word and _RESERVED.fullmatch(word)):
                return None
            items, indent, nested = (None, -1, None) if word else ([], -1, None)
            out[key] = word if word else items
            continue
        item = _ITEM_LINE.fullmatch(line)
        if item is None or items is None:
            return None
        spaces, gap, key, word = item.groups()
        column = len(spaces)
        if word is not None and _RESERVED.fullmatch(word):
            return None
        if nested is not None and (column == nested_indent or nested_indent < 0):
            if column < nested_min or key is not None:
                return None
            nested_indent = column
            nested.append(word)
            continue
        if nested is not None and nested_indent < 0:
            return None
        if column != indent and indent >= 0:
            return None
        indent = column
        nested = None
        if key is None:
            items.append(word)
        elif _RESERVED.fullmatch(key):
            return None
        else:
            nested, nested_indent, nested_min = [], -1, column + 1 + len(gap)
            items.append({key: nested})
    if not out or (items is not None and indent < 0) or (nested is not None and nested_indent < 0):
        return None
    return out


def _scan(text: str, *, anchors: bool = False) -> YamlProblem | None:
    # Each level of nesting needs one of the counted characters, and an alias a
    # "*": most texts are cleared without parsing; the others are scanned in
    # the parser's events, which never builds the nested values.
    deep = sum(text.count(c) for c in "[{-:?") > MAX_DEPTH
    if not deep and "*" not in text and not (anchors and "&" in text):
        return None
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    depth = 0
    try:
        for event in _yaml("safe").parse(text):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return YamlProblem(
                        "too-deep", f"the YAML is nested more than {MAX_DEPTH} levels deep"
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if anchors and getattr(event, "anchor", None) and not isinstance(event, AliasEvent):
                mark = event.start_mark
                return YamlProblem(
                    "yaml-alias",
                    f"the anchor &{event.anchor} is not allowed in an envspec file",
                    mark.line + 1 if mark is not None else None,
                    mark.column + 1 if mark is not None else None,
                )
            if isinstance(event, AliasEvent):
                mark = event.start_mark
                return YamlProblem(
                    "yaml-alias",
                    f"the alias *{event.anchor} repeats a value",
                    mark.line + 1 if mark is not None else None,
                    mark.column + 1 if mark is not None else None,
                )
    except YAMLError:
        return None  # the loader reports it, with its position
    return None


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


def item_positions(text: str, path: tuple[str | int, ...]) -> list[tuple[int, int]]:
    """1-based (line, column) of each item of the sequence at *path* (one parse for all)."""
    node = _node_at(text, path)
    items = getattr(node, "value", None)
    if not isinstance(items, list):
        return []
    return [(item.start_mark.line + 1, item.start_mark.column + 1) for item in items]


@lru_cache(maxsize=4)
def _compose(text: str) -> Any:
    # One parse serves every position asked for in the same text (a file with
    # many errors would otherwise be parsed once per error).
    try:
        return _yaml("safe").compose(text)
    except Exception:  # noqa: BLE001 - positions are best effort; the problem is reported anyway
        return None


@lru_cache(maxsize=64)
def _pairs(node: Any) -> dict[object, tuple[Any, Any]]:
    # Key -> (key node, value node) of a mapping node, first occurrence kept.
    pairs: dict[object, tuple[Any, Any]] = {}
    for key, value in node.value:
        name = getattr(key, "value", None)
        if isinstance(name, str):
            pairs.setdefault(name, (key, value))
    return pairs


def _node_at(text: str, path: tuple[str | int, ...]) -> Any:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    node = _compose(text)
    for part in path:
        if isinstance(node, MappingNode):
            pair = _pairs(node).get(part)
            if pair is None:
                return None
            node = pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def position_of(text: str, path: tuple[str | int, ...]) -> tuple[int | None, int | None]:
    """1-based (line, column) of the node at *path*, for messages (slow path: errors only)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    node = _compose(text)
    for index, part in enumerate(path):
        if isinstance(node, MappingNode):
            pair = _pairs(node).get(part)
            if pair is None:
                break
            key, node = pair
            if index == len(path) - 1:
                mark = key.start_mark
                return mark.line + 1, mark.column + 1
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    if node is None:
        return None, None
    mark = node.start_mark
    return mark.line + 1, mark.column + 1
