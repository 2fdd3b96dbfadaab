"""User-defined tag policies: ordered regular-expression rules.

Each rule has a pattern that must match the whole tag, a category, the named
groups the tag sorts by (newest first; a group of digits compares as a number,
other text as text, a missing group lowest) and a display format whose
``{name}`` placeholders are named groups (or ``{tag}``).  The first rule that
matches decides; a tag no rule matches is ``unknown``.  Named groups with a
meaning: ``arch`` (the architecture), ``cycle``, ``year`` with ``month``/``day``
or ``week`` (the date, a week's Thursday as for RSP weeklies).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from envspec.payloads._tagtypes import Category, ParsedTag
from envspec.payloads.policies._common import NO_ARCH, alias, unknown

__all__ = ["RulesPolicy", "TagRule"]

_PLACEHOLDER: Final = re.compile(r"\{(\w*)\}")


@dataclass(frozen=True, slots=True)
class TagRule:
    """One rule: a whole-tag pattern, its category, sort groups and display format."""

    pattern: str
    category: str
    sort: tuple[str, ...] = ()
    display: str = "{tag}"
    label: str | None = None


def _part(value: str | None) -> tuple[int, int, str]:
    if value is None:
        return (0, 0, "")
    if value.isdigit():
        return (1, int(value), "")
    return (2, 0, value)


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


@dataclass(slots=True)
class _Compiled:
    regex: re.Pattern[str]
    rule: TagRule
    sort: tuple[str, ...] = field(default=())


class RulesPolicy:
    """A policy made of ordered rules, categories in the order given (or first used)."""

    name: Final = "rules"

    def __init__(self, rules: Sequence[TagRule], categories: Sequence[str] = ()) -> None:
        self._rules = [
            _Compiled(
                re.compile(r.pattern),
                r,
                r.sort or tuple(n for n in re.compile(r.pattern).groupindex if n != "arch"),
            )
            for r in rules
        ]
        order: list[str] = ["alias"]
        labels = {r.category: r.label or r.category.replace("_", " ").title() for r in rules}
        for name in [*categories, *(r.category for r in rules)]:
            if name not in order and name != "unknown":
                order.append(name)
        order.append("unknown")
        self.categories: tuple[Category, ...] = tuple(
            Category(n, labels.get(n, n.replace("_", " ").title()), bot=n in labels)
            for n in order
        )

    def parse(self, tag: str) -> ParsedTag:
        """The first matching rule's reading of *tag* (never raises)."""
        for compiled in self._rules:
            m = compiled.regex.fullmatch(tag)
            if m is None:
                continue
            groups = m.groupdict()
            parts = tuple(_part(groups.get(n)) for n in compiled.sort)
            numbers = tuple(p[1] for p in parts if p[0] == 1)
            version = numbers if numbers and len(numbers) == len(parts) else None
            arch = groups.get("arch")
            values = {k: ("" if v is None else v) for k, v in groups.items()}
            values["tag"] = tag
            display = _PLACEHOLDER.sub(lambda p: values.get(p[1], p[0]), compiled.rule.display)
            cycle = groups.get("cycle")
            return ParsedTag(
                tag, compiled.rule.category, display, version,
                ".".join(map(str, version)) if version else None, "",
                int(cycle) if cycle and cycle.isdigit() else None, None, None, None, arch,
                _date(groups), (0, parts, "", -1, -1, -1, "", arch or NO_ARCH, tag),
            )  # fmt: skip
        return unknown(tag)

    def alias(self, tag: str) -> ParsedTag:
        """A tag that names another image."""
        return alias(tag)
