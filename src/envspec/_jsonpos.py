"""Positions in JSON text, for the rare findings that need them: duplicate keys and integers
too long for Python's JSON reader.

Only called once a cheap check (the decoder's own) has found something: this walks the
text token by token in Python.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]

__all__ = ["JsonScan", "int_digits_limit", "scan"]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null|NaN|Infinity|-Infinity")


def int_digits_limit() -> int:
    """The most digits Python's JSON reader (and so Jupyter) converts to an integer (0: no
    limit)."""
    getter = getattr(sys, "get_int_max_str_digits", None)
    return int(getter()) if getter is not None else 0


@dataclass(slots=True)
class JsonScan:
    """Keys repeated in an object (path of the object, key, offsets of every occurrence), and
    the offset and length of the first integer with more digits than the limit."""

    duplicates: list[tuple[tuple[str | int, ...], str, list[int]]] = field(default_factory=list)
    long_integer: tuple[int, int] | None = None


class _Frame:
    __slots__ = ("index", "is_object", "path", "seen")

    def __init__(self, path: tuple[str | int, ...], *, is_object: bool) -> None:
        self.path = path
        self.is_object = is_object
        self.seen: dict[str, list[int]] = {}
        self.index = 0


def _skip(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match is not None else i


def scan(text: str, start: int = 0, path: tuple[str | int, ...] = ()) -> JsonScan:
    """Walk the JSON value at *start* (well-formed: the decoder read it) and report what
    :class:`JsonScan` holds.  Paths are relative to *path*."""
    out = JsonScan()
    limit = int_digits_limit()
    stack: list[_Frame] = []
    i = _skip(text, start)
    here = path
    state = "value"
    while True:
        if state == "value":
            c = text[i : i + 1]
            if c == "{":
                i = _skip(text, i + 1)
                if text[i : i + 1] == "}":
                    i += 1
                    state = "after"
                else:
                    stack.append(_Frame(here, is_object=True))
                    state = "key"
            elif c == "[":
                i = _skip(text, i + 1)
                if text[i : i + 1] == "]":
                    i += 1
                    state = "after"
                else:
                    stack.append(_Frame(here, is_object=False))
                    here = (*here, 0)
            elif c == '"':
                i = scanstring(text, i + 1)[1]
                state = "after"
            else:
                number = _NUMBER.match(text, i)
                if number is not None:
                    digits = len(number.group(1))
                    if (
                        limit
                        and digits > limit
                        and not number.group(2)
                        and not number.group(3)
                        and out.long_integer is None
                    ):
                        out.long_integer = (i, digits)
                    i = number.end()
                else:
                    literal = _LITERAL.match(text, i)
                    if literal is None:
                        break  # not JSON here: stop (the decoder says why)
                    i = literal.end()
                state = "after"
        elif state == "key":
            frame = stack[-1]
            if text[i : i + 1] != '"':
                break
            key_at = i
            key, i = scanstring(text, i + 1)
            i = _skip(text, _skip(text, i) + 1)  # past ':'
            offsets = frame.seen.setdefault(key, [])
            offsets.append(key_at)
            if len(offsets) == 2:
                out.duplicates.append((frame.path, key, offsets))
            here = (*frame.path, key)
            state = "value"
        else:  # after a value
            i = _skip(text, i)
            if not stack:
                break
            frame = stack[-1]
            c = text[i : i + 1]
            if c == ",":
                i = _skip(text, i + 1)
                if frame.is_object:
                    state = "key"
                else:
                    frame.index += 1
                    here = (*frame.path, frame.index)
                    state = "value"
            elif c in ("}", "]") and c:
                stack.pop()
                i += 1
            else:
                break
    return out
