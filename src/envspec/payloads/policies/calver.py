"""The calver tag policy: ``2024.05`` or ``2024.05.17`` or ``2024.05.17.2`` (``.``, ``-`` or
``_`` between the parts, an optional ``v`` prefix, an architecture suffix of a known
name).  The date is the first day the version names (the 1st when there is no day);
a third part above 31 is a micro release, not a day."""

from __future__ import annotations

import datetime
import re
from typing import Final

from envspec.payloads._tagtypes import Category, ParsedTag
from envspec.payloads.policies._common import NO_ARCH, alias, split_arch, unknown

__all__ = ["CATEGORIES", "CalverPolicy"]

CATEGORIES: Final = (
    Category("alias", "Alias"),
    Category("release", "Release", semantic=True, bot=True),
    Category("unknown", "Unknown"),
)

_CALVER = re.compile(
    r"v?(?P<y>\d{4})[._-](?P<m>\d{1,2})(?:[._-](?P<d>\d{1,2}|\d{3,}))?(?:[._-](?P<n>\d+))?"
)


class CalverPolicy:
    """Parse and order calendar versions."""

    name: Final = "calver"
    categories: Final = CATEGORIES

    def parse(self, tag: str) -> ParsedTag:
        """The tag's category, version, display name and sort key (never raises)."""
        body, arch = split_arch(tag)
        m = _CALVER.fullmatch(body)
        if m is None:
            return unknown(tag)
        year, month = int(m["y"]), int(m["m"])
        third = -1 if m["d"] is None else int(m["d"])
        micro = -1 if m["n"] is None else int(m["n"])
        day = third if 1 <= third <= 31 else 1
        if third > 31 and micro == -1:
            third, micro = -1, third
        try:
            date = datetime.date(year, month, day)
        except ValueError:
            return unknown(tag)
        version = (year, month, max(third, 0), max(micro, 0))
        text = body[1:] if body.startswith("v") else body
        display = f"Release {text}" + (f" [{arch}]" if arch else "")
        key = (0, (year, month, third, micro), "", -1, -1, -1, "", arch or NO_ARCH, tag)
        return ParsedTag(
            tag, "release", display, version, text, "", None, None, None, None, arch, date, key
        )

    def alias(self, tag: str) -> ParsedTag:
        """``latest``, ``stable``: a tag naming another image."""
        return alias(tag)
