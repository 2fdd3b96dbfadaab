"""Checks of user-defined tag patterns: they compile, and they cannot backtrack badly.

The backtracking rule is a heuristic, the one ``spec/payload-1.0.md`` states: a pattern is
rejected when a repeat that can match more than once (``*``, ``+``, ``{n,m}`` with ``m > 1``)
contains, at any depth, another repeat without an upper bound (``*``, ``+``, ``{n,}``), as in
``(a+)+``, ``(\\w*-)*`` or ``(?:x|y+){2,}``; or when such a repeat contains alternatives of
which one can match the empty string, as in ``(a|)*``.  Possessive repeats and atomic groups
do not backtrack and are allowed.  Tags are short, but a spawner matches thousands of them
every few minutes: a pattern that is fine today explodes on the first odd tag.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["backtracking_hazard", "compile_error", "group_names"]

# The standard library's own parser of patterns (``re._parser`` since Python 3.11).
_parser: Any = getattr(re, "_parser")  # noqa: B009
_constants: Any = getattr(re, "_constants")  # noqa: B009

_REPEATS = {str(_constants.MAX_REPEAT), str(_constants.MIN_REPEAT)}
_UNBOUNDED = _constants.MAXREPEAT


def compile_error(pattern: str) -> str | None:
    """Why *pattern* does not compile, or ``None``."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    except (OverflowError, RecursionError) as exc:  # pathological nesting or counts
        return str(exc) or type(exc).__name__
    return None


def group_names(pattern: str) -> tuple[str, ...]:
    """The named groups of a pattern that compiles."""
    return tuple(re.compile(pattern).groupindex)


def _children(op: str, av: Any) -> list[Any]:
    # The sub-patterns of one parsed item, whatever its kind.
    if op in _REPEATS or op == str(getattr(_constants, "POSSESSIVE_REPEAT", "")):
        return [av[2]]
    if op == "SUBPATTERN":
        return [av[3]]
    if op == "BRANCH":
        return list(av[1])
    if op in {"ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"}:
        return [av[1]] if op != "ATOMIC_GROUP" else [av]
    if op == "GROUPREF_EXISTS":
        return [p for p in av[1:] if p is not None]
    return []


def _items(sub: Any) -> list[tuple[str, Any]]:
    return [(str(op), av) for op, av in sub]


def _has_unbounded(sub: Any) -> bool:
    for op, av in _items(sub):
        if op in _REPEATS and av[1] == _UNBOUNDED:
            return True
        if op == "ATOMIC_GROUP" or op == str(getattr(_constants, "POSSESSIVE_REPEAT", "")):
            continue
        if any(_has_unbounded(child) for child in _children(op, av)):
            return True
    return False


def _can_be_empty(sub: Any) -> bool:
    for op, av in _items(sub):
        if op in _REPEATS and av[0] == 0:
            continue
        if op in {"ASSERT", "ASSERT_NOT", "AT"}:
            continue
        if op == "SUBPATTERN" and _can_be_empty(av[3]):
            continue
        if op == "BRANCH" and any(_can_be_empty(b) for b in av[1]):
            continue
        return False
    return True


def _empty_branch(sub: Any) -> bool:
    for op, av in _items(sub):
        if op == "BRANCH" and any(_can_be_empty(b) for b in av[1]):
            return True
        if op == "ATOMIC_GROUP":
            continue
        if any(_empty_branch(child) for child in _children(op, av)):
            return True
    return False


def _hazard(sub: Any) -> bool:
    for op, av in _items(sub):
        if op in _REPEATS and av[1] > 1:
            inner = av[2]
            if _has_unbounded(inner) or _empty_branch(inner):
                return True
        if op == "ATOMIC_GROUP" or op == str(getattr(_constants, "POSSESSIVE_REPEAT", "")):
            continue
        if any(_hazard(child) for child in _children(op, av)):
            return True
    return False


def backtracking_hazard(pattern: str) -> bool:
    """Whether a pattern that compiles has a nested repeat that can backtrack badly."""
    return _hazard(_parser.parse(pattern))
