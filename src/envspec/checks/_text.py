"""Positions in text: offsets to 1-based lines and columns."""

from __future__ import annotations

__all__ = ["line_col", "numbered_lines"]


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of *offset* in *text*."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, line)`` pairs, without line endings (``\\r\\n`` included)."""
    return [(n, raw.rstrip("\r")) for n, raw in enumerate(text.split("\n"), start=1)]
