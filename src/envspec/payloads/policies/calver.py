"""The calver tag policy: ``2024.05`` or ``2024.05.17`` or ``2024.05.17.2`` (``.``, ``-`` or
``_`` between the parts, an optional ``v`` prefix, an architecture suffix of a known
name).  The date is the first day the version names (the 1st when there is no day);
a third part above 31 is a micro release, not a day.  ``2024.05-rc1`` (a letter after
``-``) is a prerelease."""

from __future__ import annotations

import datetime
import re
from typing import Final

from envspec.payloads._tagtypes import ParsedTag
from envspec.payloads.policies._common import NO_ARCH, VERSION_CATEGORIES, VersionPolicy, unknown

__all__ = ["CATEGORIES", "CalverPolicy"]

CATEGORIES: Final = VERSION_CATEGORIES

_CALVER_BODY = (
    r"(?P<y>\d{4})[._-](?P<m>\d{1,2})(?:[._-](?P<d>\d{1,2}|\d{3,}))?(?:[._-](?P<n>\d+))?"
    r"(?:-(?P<pre>[A-Za-z][0-9A-Za-z.]*))?"
)


class CalverPolicy(VersionPolicy):
    """Parse and order calendar versions."""

    name: Final = "calver"
    BODY = _CALVER_BODY

    def read(self, tag: str, body: str, arch: str | None, m: re.Match[str]) -> ParsedTag:
        """The reading of a calendar version (unknown when no such day exists)."""
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
        text = body[m.start("y") :]
        pre = m["pre"]
        category = "release" if pre is None else "prerelease"
        display = f"{category.title()} {text}" + (f" [{arch}]" if arch else "")
        key = (0, (year, month, third, micro), pre or "", -1, -1, -1, "", arch or NO_ARCH, tag)
        return ParsedTag(
            tag, category, display, version, text, "", None, None, None, None, arch, date, key
        )
