"""Guix files (``manifest.scm``, ``channels.scm``): read the Scheme forms, never evaluate them."""

from __future__ import annotations

from collections.abc import Iterator

from envspec.checks._text import line_col
from envspec.diagnostics import Finding

__all__ = ["check_scheme"]

_CLOSE = {")": "(", "]": "["}


def check_scheme(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Balanced parentheses, closed strings and block comments, at least one form.

    Follows the Guile reader: ``;`` line comments, nested ``#| |#`` block
    comments, ``#;`` datum comments, ``#\\x`` characters and Guix's ``#~ #$
    #$@ #+`` G-expression prefixes.
    """
    stack: list[tuple[str, int]] = []
    forms = 0
    skipped = 0  # top-level data commented out with "#;"
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == ";":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if ch == "#" and text.startswith("#|", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("#|", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("|#", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            if depth:
                yield _at(text, i, "the block comment '#|' is never closed", path)
                return
            i = j
            continue
        if ch == "#" and text.startswith("#;", i):
            # A datum comment: the next datum is skipped (it is not a ";" line comment).
            if not stack:
                skipped += 1
            i += 2
            continue
        if ch == "#" and text.startswith("#\\", i):
            i += 3  # a character literal: #\( is the character '(', not a parenthesis
            while i < n and (text[i].isalnum() or text[i] == "-"):
                i += 1
            if not stack:
                forms += 1
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                yield _at(text, i, "the string is never closed", path)
                return
            if not stack:
                forms += 1
            i = j + 1
            continue
        if ch in "([":
            stack.append((ch, i))
        elif ch in ")]":
            if not stack:
                yield _at(text, i, f"{ch!r} closes nothing", path)
                return
            opener, _ = stack.pop()
            if opener != _CLOSE[ch]:
                yield _at(text, i, f"{ch!r} does not match {opener!r}", path)
                return
            if not stack:
                forms += 1
        elif not stack and not ch.isspace() and ch not in "'`,#@~$+":
            forms += 1
            while i + 1 < n and not text[i + 1].isspace() and text[i + 1] not in '()[]";':
                i += 1
        i += 1
    if stack:
        yield _at(text, stack[-1][1], f"{stack[-1][0]!r} is never closed", path)
    elif forms <= skipped:
        yield Finding("scheme-syntax", "the file contains no expression", path)


def _at(text: str, offset: int, message: str, path: tuple[str | int, ...]) -> Finding:
    line, col = line_col(text, offset)
    return Finding("scheme-syntax", message, path, line, col)
