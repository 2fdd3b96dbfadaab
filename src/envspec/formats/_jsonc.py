"""JSONC, the JSON of ``devcontainer.json``: JSON plus ``//`` and ``/* */`` comments and
trailing commas, as VS Code's ``jsonc-parser`` (which the devcontainer CLI uses) reads it.

The text is blanked (each comment and each trailing comma becomes spaces, newlines kept), so
that Python's JSON reader reads it and its error positions are the positions in the original
text: an error names the line and the column a person sees in an editor.

>>> loads('{\\n  // the image\\n  "image": "python:3.12", /* pinned */\\n}')
{'image': 'python:3.12'}
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsoncError", "blank", "loads"]


class JsoncError(ValueError):
    """Text that is not JSONC, with the 1-based line and column of the problem."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.reason = message
        self.line = line
        self.column = column


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def blank(text: str) -> str:
    """*text* with comments and trailing commas replaced by spaces (newlines kept), so that
    every other character keeps its offset.

    :raises JsoncError: a block comment is not closed.
    """
    out = list(text)
    i, n = 0, len(text)
    comma: int | None = None  # offset of a comma that may turn out to be trailing
    last = ""  # the last character that is not white space or a comment
    while i < n:
        char = text[i]
        if char == '"':
            comma = None
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            last = '"'
        elif char == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out[i:end] = " " * (end - i)
            i = end
        elif char == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise JsoncError("the comment is not closed ('*/' is missing)", *_position(text, i))
            end += 2
            out[i:end] = ["\n" if c == "\n" else " " for c in text[i:end]]
            i = end
        elif char in " \t\r\n":
            i += 1
        else:
            if char in "}]" and comma is not None:
                out[comma] = " "
            # Only a comma after a value may be trailing ("[,]" and ",," stay errors).
            comma = i if char == "," and last not in {"", "[", "{", ",", ":"} else None
            last = char
            i += 1
    return "".join(out)


def loads(text: str) -> Any:
    """The value of the JSONC *text*.

    :raises JsoncError: with the line and column of the first problem.
    """
    blanked = blank(text)
    try:
        return json.loads(blanked)
    except json.JSONDecodeError as exc:
        raise JsoncError(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsoncError("the value is nested too deeply", 1, 1) from None
