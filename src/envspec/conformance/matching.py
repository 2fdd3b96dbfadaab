"""Compare what an implementation answered with what a case expects, by meaning.

- Objects match whatever the order of their members; a missing member fails,
  and so does an extra one unless the case allows extras.
- Arrays match item by item, in order, and must have the same length.
- Numbers compare by value (``1`` equals ``1.0``), but ``true`` is not ``1``.
- ``{"$any": true}`` matches any value that is present.
- Diagnostics match on ``code`` and ``pointer`` only: messages are for people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from envspec.conformance.cases import ExpectedDiagnostic

__all__ = ["is_any", "match_diagnostics", "match_value"]


def is_any(value: object) -> bool:
    """Whether *value* is the wildcard ``{"$any": true}``."""
    return isinstance(value, dict) and len(value) == 1 and value.get("$any") is True


def _escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _show(value: object) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def match_value(
    expected: object, actual: object, *, allow_extra: bool = False, where: str = ""
) -> list[str]:
    """Every difference, as ``pointer: what``; an empty list means they match."""
    if is_any(expected):
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where or '/'}: expected an object, got {_show(actual)}"]
        problems: list[str] = []
        for key, value in expected.items():
            here = f"{where}/{_escape(key)}"
            if key not in actual:
                problems.append(f"{here}: missing (expected {_show(value)})")
            else:
                problems += match_value(value, actual[key], allow_extra=allow_extra, where=here)
        if not allow_extra:
            problems += [
                f"{where}/{_escape(key)}: unexpected member ({_show(actual[key])})"
                for key in actual
                if key not in expected
            ]
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where or '/'}: expected an array, got {_show(actual)}"]
        if len(expected) != len(actual):
            return [
                f"{where or '/'}: expected {len(expected)} items, got {len(actual)}: "
                f"{_show(actual)}"
            ]
        problems = []
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problems += match_value(want, got, allow_extra=allow_extra, where=f"{where}/{i}")
        return problems
    if _same_scalar(expected, actual):
        return []
    return [f"{where or '/'}: expected {_show(expected)}, got {_show(actual)}"]


def _same_scalar(expected: object, actual: object) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def match_diagnostics(
    expected: Sequence[ExpectedDiagnostic],
    reported: Sequence[Mapping[str, Any]],
    *,
    allow_extra: bool,
) -> list[str]:
    """Expected diagnostics that were not reported, and (unless *allow_extra*) reported
    errors that were not expected.  Unlisted warnings never fail a case: warnings are
    advice (SHOULD), and implementations may give more of it."""
    problems: list[str] = []
    unmatched = list(reported)
    for want in expected:
        for i, got in enumerate(unmatched):
            if got.get("code") == want.code and (
                is_any(want.pointer) or got.get("pointer") == want.pointer
            ):
                del unmatched[i]
                break
        else:
            where = "anywhere" if is_any(want.pointer) else f"at {want.pointer!r}"
            problems.append(f"missing diagnostic {want.code!r} {where}")
    if not allow_extra:
        problems += [
            f"unexpected error {got.get('code')!r} at {got.get('pointer')!r}"
            + (f" ({got['message']})" if got.get("message") else "")
            for got in unmatched
            if got.get("severity") == "error"
        ]
    return problems
