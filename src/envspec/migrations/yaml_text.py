"""Writing a migrated standalone YAML envspec file.

People comment their YAML files.  A migration changes a few members, so the
new file is written over the old one's round-trip tree (ruamel.yaml): every
member whose value did not change keeps its text, quoting and comments; a
member whose value changed keeps the comments on its key; only new members
are written fresh.  The indentation of the old file is kept.

The result is checked: read back, it must be exactly the migrated document
(same values, same types, same member order).  When it is not (a file laid
out in a way the merge cannot follow), the file is written plainly, which
loses its comments but never its data.
"""

from __future__ import annotations

import io
import json
import math
import re
from typing import Any

from ruamel.yaml.error import YAMLError

__all__ = ["dump_yaml"]

#: Characters a literal block cannot hold (outside YAML's printable set, or a BOM).
_NOT_LITERAL = re.compile(
    "[^\t\n\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


def dump_yaml(document: dict[str, Any], original: str | None = None) -> bytes:
    """The YAML text of *document*; over the text *original* when it is given.

    Whatever is returned reads back as exactly *document*: the plain YAML dump is
    checked too, and JSON text (which YAML reads) is the last resort.
    """
    if original is not None:
        kept = _dump_over(original, document)
        if kept is not None:
            return kept
    try:
        plain = _dump(_styled(document))
    except (YAMLError, ValueError, RecursionError):
        plain = None
    if plain is not None and _reads_as(plain, document):
        return plain
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _reads_as(text: bytes, document: dict[str, Any]) -> bool:
    from envspec._yaml import load_yaml

    value, problem = load_yaml(text.decode("utf-8"), strict=True)
    return problem is None and _identical(value, document)


def _writer(mapping: int = 2, sequence: int = 2, offset: int = 0) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _dump(value: Any, yaml: Any = None) -> bytes:
    out = io.StringIO()
    (yaml or _writer()).dump(value, out)
    return out.getvalue().encode("utf-8")


def guess_indent(text: str) -> tuple[int, int, int]:
    """``(mapping, sequence, offset)`` as ruamel.yaml counts them, from the first nested
    mapping and the first block sequence under a ``key:`` line (2, 2, 0 by default)."""
    mapping: int | None = None
    sequence: int | None = None
    offset: int | None = None
    parent: int | None = None  # the indentation of the previous line when it is "key:"
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        column = len(line) - len(stripped)
        if parent is not None and column > parent:
            if stripped.startswith("- ") and offset is None:
                offset = column - parent
                sequence = offset + 1 + len(stripped[1:]) - len(stripped[1:].lstrip(" "))
            elif not stripped.startswith("-") and mapping is None:
                mapping = column - parent
        is_key = stripped.rstrip().endswith(":") and not stripped.startswith("-")
        parent = column if is_key else None
        if mapping is not None and offset is not None:
            break
    mapping = mapping if mapping is not None and 1 < mapping < 10 else 2
    offset = offset if offset is not None and 0 <= offset < 10 else 0
    sequence = sequence if sequence is not None and offset + 2 <= sequence < 12 else offset + 2
    return mapping, sequence, offset


def _dump_over(original: str, document: dict[str, Any]) -> bytes | None:
    from ruamel.yaml.comments import CommentedMap

    yaml = _writer(*guess_indent(original))
    try:
        tree = yaml.load(original)
    except (YAMLError, ValueError, RecursionError):
        return None
    if not isinstance(tree, CommentedMap):
        return None
    try:
        text = _dump(_merge(tree, document), yaml)
    except (YAMLError, ValueError, RecursionError):
        return None
    return text if _reads_as(text, document) else None


def _merge(old: Any, new: Any) -> Any:
    """*new*, reusing the nodes of *old* (with their comments and style) where they match."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [k for k in old if k not in new]:
            del old[key]
        for position, (key, value) in enumerate(new.items()):
            if key in old:
                old[key] = _merge(old[key], value)
            else:
                old.insert(position, key, _styled(value))
        if list(old) != list(new):  # the migration orders members otherwise: follow it
            for key in new:
                old.move_to_end(key)  # comments are kept by key, so they move along
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        for index, value in enumerate(new[: len(old)]):
            old[index] = _merge(old[index], value)
        del old[len(new) :]
        old.extend(_styled(value) for value in new[len(old) :])
        return old
    if _same_scalar(old, new):
        return old
    return _restyled(old, new)


def _restyled(old: Any, new: Any) -> Any:
    """*new* in place of the scalar *old*: a one-line string keeps the old quotes."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    quotes = (DoubleQuotedScalarString, SingleQuotedScalarString)
    if (
        isinstance(old, quotes)
        and isinstance(new, str)
        and _NOT_LITERAL.search(new) is None  # no escapes needed: any quotes will do
        and _quoted(new) is new
    ):
        return type(old)(new)
    return _styled(new)


def _same_scalar(old: Any, new: Any) -> bool:
    if new is None or isinstance(new, bool):
        return old is new
    if isinstance(old, bool | dict | list):
        return False
    if isinstance(new, str):
        return isinstance(old, str) and str(old) == new
    if isinstance(new, int):
        return isinstance(old, int) and int(old) == new
    if isinstance(new, float):
        return isinstance(old, float) and not math.isnan(new) and float(old) == new
    return False


def _identical(a: Any, b: Any) -> bool:
    """Equal values of the same JSON types, with members in the same order."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None


def _quoted(value: Any) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and any(c in value for c in "\x85\u2028\u2029"):
        # YAML line breaks beyond \n and \r: ruamel writes them raw in plain and
        # single-quoted scalars, where a reader folds them; only escapes keep them.
        return DoubleQuotedScalarString(value)
    return value


def _styled(value: Any) -> Any:
    """*value* with multi-line strings as literal blocks and odd line breaks escaped."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(value, dict):
        return {_quoted(k): _styled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v) for v in value]
    if _quoted(value) is not value:
        return _quoted(value)
    if (
        isinstance(value, str)
        and value.endswith("\n")
        and not value.startswith(("\n", " "))  # would need an indentation indicator
        and _NOT_LITERAL.search(value) is None
        and not any(line != line.rstrip() for line in value.split("\n"))
    ):
        return LiteralScalarString(value)
    return value
