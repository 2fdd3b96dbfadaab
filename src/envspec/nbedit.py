"""Editing a notebook's top-level ``metadata`` in its own text, changing no other byte.

Notebooks are JSON written by many tools in many layouts.  Re-serialising a
whole notebook to change one metadata entry would rewrite cells and outputs
of files not in nbformat's layout, so these functions splice: they locate
the ``metadata`` members in the original text and replace, insert or remove
only those, formatted like their neighbours (indentation, key order, ASCII
escaping).  A notebook in nbformat's canonical layout comes out exactly as
nbformat would write it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Final

__all__ = ["REMOVE", "NotebookEditError", "edit_metadata", "sorts_keys"]

_WS = re.compile(r"[ \t\n\r]*")
# Values are decoded only to find where they end: integers are kept as their text, so that
# one longer than Python converts (4300 digits) is skipped like any other value.
_DECODER = json.JSONDecoder(parse_int=str)


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


#: Use as a value in :func:`edit_metadata` to delete a key.
REMOVE: Final = _Remove()


class NotebookEditError(ValueError):
    """The text is not a JSON object with an object ``metadata``."""


@dataclass(frozen=True, slots=True)
class _Member:
    key: str
    key_start: int
    value_start: int
    value_end: int


def _skip(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match else i


def _members(text: str, start: int) -> tuple[list[_Member], int]:
    """Members of the object whose ``{`` is at *start*, and the index after its ``}``."""
    if text[start : start + 1] != "{":
        raise NotebookEditError("expected a JSON object")
    members: list[_Member] = []
    i = _skip(text, start + 1)
    if text[i : i + 1] == "}":
        return members, i + 1
    while True:
        if text[i : i + 1] != '"':
            raise NotebookEditError(f"expected a key at offset {i}")
        key, after_key = scanstring(text, i + 1)
        j = _skip(text, after_key)
        if text[j : j + 1] != ":":
            raise NotebookEditError(f"expected ':' at offset {j}")
        value_start = _skip(text, j + 1)
        _, value_end = _DECODER.raw_decode(text, value_start)
        members.append(_Member(key, i, value_start, value_end))
        i = _skip(text, value_end)
        if text[i : i + 1] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i : i + 1] == "}":
            return members, i + 1
        raise NotebookEditError(f"expected ',' or '}}' at offset {i}")


@dataclass(frozen=True, slots=True)
class _Style:
    newline: str  # "\n" or "\r\n", "" for single-line JSON
    unit: str  # one level of indentation
    member_indent: str  # the indentation of the members being edited
    sort_keys: bool
    ensure_ascii: bool
    separators: tuple[str, str]


def _style(text: str, top: list[_Member], meta_start: int, meta: list[_Member]) -> _Style:
    newline = "\r\n" if "\r\n" in text[: meta_start + 200] else ("\n" if "\n" in text else "")
    if newline and meta and "\n" not in text[meta_start : meta[-1].value_end]:
        # A metadata object written on one line (in a multi-line file) stays on one line.
        inline = text[meta_start : meta[-1].value_end]
        return _Style(
            newline="",
            unit=" ",
            member_indent="",
            sort_keys=[m.key for m in meta] == sorted(m.key for m in meta),
            ensure_ascii=text.isascii() and "\\u" in text,
            separators=(", " if ", " in inline else ",", ": " if ": " in inline else ":"),
        )

    def indent_before(pos: int) -> str:
        line_start = text.rfind("\n", 0, pos) + 1
        return text[line_start:pos] if text[line_start:pos].strip() == "" else ""

    top_indent = indent_before(top[0].key_start) if top else ""
    member_indent = indent_before(meta[0].key_start) if meta else top_indent * 2
    unit = top_indent or " "
    keys = [m.key for m in meta]
    ascii_only = text.isascii()
    return _Style(
        newline=newline,
        unit=unit,
        member_indent=member_indent,
        sort_keys=keys == sorted(keys) and [m.key for m in top] == sorted(m.key for m in top),
        ensure_ascii=ascii_only and "\\u" in text,
        separators=(",", ": ") if newline else ((", ", ": ") if ", " in text[:200] else (",", ":")),
    )


def _format(value: Any, style: _Style) -> str:
    if not style.newline:
        return json.dumps(
            value,
            sort_keys=style.sort_keys,
            ensure_ascii=style.ensure_ascii,
            separators=style.separators,
        )
    text = json.dumps(
        value,
        indent=len(style.unit) if style.unit.strip(" ") == "" else style.unit,
        sort_keys=style.sort_keys,
        ensure_ascii=style.ensure_ascii,
        separators=style.separators,
    )
    return text.replace("\n", style.newline + style.member_indent)


def sorts_keys(text: str) -> bool:
    """Whether :func:`edit_metadata` writes new values of *text* with sorted keys (as
    nbformat does), so that the member order of a value is not kept.

    :raises NotebookEditError: the text is not an object with an object ``metadata``.
    """
    top, meta_member, meta, _ = _locate(text)
    return _style(text, top, meta_member.value_start, meta).sort_keys


def edit_metadata(text: str, changes: Mapping[str, Any]) -> str:
    """*text* with the top-level ``metadata`` members in *changes* set (or removed with
    :data:`REMOVE`); every other byte is kept.

    :raises NotebookEditError: the text is not an object with an object ``metadata``.
    """
    style: _Style | None = None
    for key, value in changes.items():
        while True:
            top, meta_member, meta, meta_end = _locate(text)
            if style is None:
                style = _style(text, top, meta_member.value_start, meta)
            same = [m for m in meta if m.key == key]
            if len(same) > 1 or (same and value is REMOVE):
                # A duplicated key (JSON readers use the last one) keeps one member:
                # the earlier ones go, and REMOVE removes them all.
                begin, end, replacement = _removal(
                    text, meta, same[0], meta_member.value_start, meta_end
                )
                text = text[:begin] + replacement + text[end:]
                continue
            break
        if value is REMOVE:
            continue
        if not same:
            begin, end, replacement = _insertion(
                text, meta, key, value, style, meta_member.value_start, meta_end
            )
        else:
            begin, end, replacement = same[0].value_start, same[0].value_end, _format(value, style)
        text = text[:begin] + replacement + text[end:]
    return text


def _locate(text: str) -> tuple[list[_Member], _Member, list[_Member], int]:
    top, _ = _members(text, _skip(text, 0))
    meta_member = next((m for m in reversed(top) if m.key == "metadata"), None)
    if meta_member is None:
        raise NotebookEditError("the notebook has no 'metadata' object")
    meta, meta_end = _members(text, meta_member.value_start)
    return top, meta_member, meta, meta_end


def _removal(
    text: str, meta: list[_Member], member: _Member, open_pos: int, close_pos: int
) -> tuple[int, int, str]:
    index = meta.index(member)
    if index > 0:  # remove ",<ws>"key": value" after the previous member
        return meta[index - 1].value_end, member.value_end, ""
    if len(meta) > 1:  # first of several: remove up to the next key
        return member.key_start, meta[1].key_start, ""
    # the only member: leave an empty object
    return open_pos + 1, close_pos - 1, ""


def _insertion(
    text: str,
    meta: list[_Member],
    key: str,
    value: Any,
    style: _Style,
    open_pos: int,
    close_pos: int,
) -> tuple[int, int, str]:
    entry = (
        json.dumps(key, ensure_ascii=style.ensure_ascii)
        + style.separators[1]
        + _format(value, style)
    )
    if not meta:
        if style.newline:
            closing = style.member_indent[: len(style.member_indent) - len(style.unit)]
            body = style.newline + style.member_indent + entry + style.newline + closing
        else:
            body = entry
        return open_pos + 1, close_pos - 1, body
    # What separates the members: their line break and indentation, or (for an object
    # written on one line, even inside a multi-line notebook) the spaces after the comma.
    first = meta[0].key_start
    opening = text.rfind("{", 0, first) + 1
    sep = text[opening:first] if text[opening:first].strip() == "" else ""
    if "\n" not in sep:
        sep = " " if style.separators[0] == ", " or " " in sep else ""
    if style.sort_keys:
        after = [m for m in meta if m.key > key]
        if after:
            first_after = after[0]
            return (
                first_after.key_start,
                first_after.key_start,
                entry + style.separators[0].rstrip() + sep,
            )
    last = meta[-1]
    return last.value_end, last.value_end, style.separators[0].rstrip() + sep + entry
