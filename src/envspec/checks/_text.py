"""Positions in text: offsets to 1-based lines and columns."""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["line_col", "numbered_lines"]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of *offset* in *text*."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` pairs, without line endings (``\\r\\n`` included), one at a
    time (a large text is never copied into a list of lines)."""
    start, number = 0, 1
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield number, text[start:].rstrip("\r")
            return
        yield number, text[start:end].rstrip("\r")
        start, number = end + 1, number + 1
