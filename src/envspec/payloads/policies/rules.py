"""User-defined tag policies: ordered regular-expression rules.

Each rule has a pattern that must match the whole tag, a category, sort keys
(named groups read as ``int``, ``str``, ``version`` or ``date``, each newest
first unless ``asc``; a missing group lowest) and a display format whose
``{name}`` placeholders are named groups.  The first rule that matches decides;
a tag no rule matches is ``unknown``.  Tags that tie on every key are ordered by
their text.  Named groups with a meaning: ``arch`` (the architecture),
``cycle``; the first ``date`` key (or groups ``year`` with ``month``/``day`` or
``week``) dates the tag for age filters; ``int`` and ``version`` keys make its
version for version cutoffs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from envspec.payloads._tagtypes import Category, ParsedTag
from envspec.payloads.policies._common import NO_ARCH, alias, unknown

__all__ = ["RulesPolicy", "SortSpec", "TagRule"]

_DATE: Final = re.compile(r"(\d{4})[-_.]?(\d{2})[-_.]?(\d{2})")


@dataclass(frozen=True, slots=True)
class SortSpec:
    """One sort key: a named group, how it compares, and its direction."""

    group: str
    type: Literal["int", "str", "version", "date"] = "str"
    order: Literal["desc", "asc"] = "desc"


@dataclass(frozen=True, slots=True)
class TagRule:
    """One rule: a whole-tag pattern, its category, sort keys and display format."""

    pattern: str
    category: str
    sort: tuple[SortSpec, ...] = ()
    display: str | None = None


def _invert(values: tuple[int, ...]) -> tuple[int, ...]:
    # Reverses tuple order, prefixes included: (1, 2) > (1, 2, 1) once inverted.
    return (*(-v for v in values), 1)


def _read(
    value: str | None, spec: SortSpec
) -> tuple[tuple[int, ...], tuple[int, ...] | None, datetime.date | None]:
    """The comparable form of one key, its version part and its date."""
    if value is None:
        return (-1,), None, None
    kind = spec.type
    version: tuple[int, ...] | None = None
    date = None
    if kind == "int" and value.isdigit():
        parts: tuple[int, ...] = (int(value),)
        version = parts
    elif kind == "version" and all(p.isdigit() for p in re.split(r"[._-]", value)):
        parts = tuple(int(p) for p in re.split(r"[._-]", value))
        version = parts
    elif kind == "date" and (m := _DATE.fullmatch(value)):
        try:
            date = datetime.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            date = None
        parts = (int(m[1]), int(m[2]), int(m[3]))
    else:
        parts = tuple(ord(c) for c in value)
    if spec.order == "asc":
        return (0, *_invert(parts)), version, date
    return (0, *parts), version, date


def _date(groups: dict[str, str | None]) -> datetime.date | None:
    year, month, day, week = (groups.get(k) for k in ("year", "month", "day", "week"))
    try:
        if year and week:
            return datetime.date.fromisocalendar(int(year), int(week), 4)
        if year and month:
            return datetime.date(int(year), int(month), int(day) if day else 1)
    except (ValueError, OverflowError):
        return None
    return None


class RulesPolicy:
    """A policy made of ordered rules, categories in the order given (or first used)."""

    name: Final = "rules"

    def __init__(self, rules: Sequence[TagRule], categories: Sequence[str] = ()) -> None:
        self._rules = [(re.compile(r.pattern), r) for r in rules]
        order: list[str] = ["alias"]
        for name in [*categories, *(r.category for r in rules)]:
            if name not in order and name != "unknown":
                order.append(name)
        order.append("unknown")
        used = {r.category for r in rules}
        self.categories: tuple[Category, ...] = tuple(
            Category(n, n.replace("_", " ").replace("-", " ").title(), bot=n in used) for n in order
        )

    def parse(self, tag: str) -> ParsedTag:
        """The first matching rule's reading of *tag* (never raises)."""
        for regex, rule in self._rules:
            m = regex.fullmatch(tag)
            if m is None:
                continue
            groups = m.groupdict()
            keys: list[tuple[int, ...]] = []
            numbers: list[int] = []
            date = None
            for spec in rule.sort:
                key, version, day = _read(groups.get(spec.group), spec)
                keys.append(key)
                numbers += version or ()
                date = date or day
            version_parts = tuple(numbers) or None
            arch = groups.get("arch")
            display = tag
            if rule.display:
                values = {k: ("" if v is None else v) for k, v in groups.items()}
                try:
                    display = rule.display.format_map(values)
                except (KeyError, ValueError, IndexError, AttributeError):
                    display = tag
            cycle = groups.get("cycle")
            return ParsedTag(
                tag, rule.category, display, version_parts,
                ".".join(map(str, version_parts)) if version_parts else None, "",
                int(cycle) if cycle and cycle.isdigit() else None, None, None, None, arch,
                date or _date(groups),
                (0, tuple(keys), "", -1, -1, -1, "", arch or NO_ARCH, tag),
            )  # fmt: skip
        return unknown(tag)

    def alias(self, tag: str) -> ParsedTag:
        """A tag that names another image."""
        return alias(tag)
