"""The semver tag policy: ``1.4.2`` (release) and ``2.0.0-rc.1`` (prerelease), with an
optional ``v`` prefix and an architecture suffix (``1.4.2-arm64``, known names only).

Order follows Semantic Versioning 2.0.0: numbers compare as numbers, prerelease
identifiers one by one (numeric ones as numbers, below alphanumeric ones).
"""

from __future__ import annotations

import re
from typing import Final

from envspec.payloads._tagtypes import ParsedTag
from envspec.payloads.policies._common import NO_ARCH, VERSION_CATEGORIES, VersionPolicy

__all__ = ["CATEGORIES", "SemverPolicy"]

CATEGORIES: Final = VERSION_CATEGORIES

_SEMVER_BODY = (
    r"(?P<a>0|[1-9]\d*)\.(?P<b>0|[1-9]\d*)\.(?P<c>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:_(?P<meta>[0-9A-Za-z.-]+))?"
)


def _pre_key(pre: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))


class SemverPolicy(VersionPolicy):
    """Parse and order semantic versions."""

    name: Final = "semver"
    BODY = _SEMVER_BODY

    def read(self, tag: str, body: str, arch: str | None, m: re.Match[str]) -> ParsedTag:
        """The reading of a semantic version."""
        version = (int(m["a"]), int(m["b"]), int(m["c"]))
        pre, meta = m["pre"], m["meta"]
        text = f"{version[0]}.{version[1]}.{version[2]}"
        category = "release"
        if pre is not None:
            text += f"-{pre}"
            category = "prerelease"
        display = ("Release " if pre is None else "Prerelease ") + text
        if meta is not None:
            display += f" [{meta}]"
        if arch is not None:
            display += f" [{arch}]"
        key = (0, version, _pre_key(pre) if pre else (), -1, -1, -1, meta or "",
               arch or NO_ARCH, tag)  # fmt: skip
        return ParsedTag(
            tag, category, display, version, text, "", None, None, None, meta, arch, None, key
        )
