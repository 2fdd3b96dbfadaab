"""Helpers shared by the semver, calver and rule policies, and the shape the semver and
calver policies share (:class:`VersionPolicy`)."""

from __future__ import annotations

import re
from typing import Final

from envspec.payloads._tagtypes import ARCHITECTURES, Category, ParsedTag

NO_ARCH: Final = "~"  # sorts after every architecture name: the generic image first
_ARCH_SUFFIX: Final = re.compile(r"(?P<rest>.*?)-(?P<arch>[a-z0-9_]+)", re.DOTALL)


def split_arch(tag: str) -> tuple[str, str | None]:
    """``("1.2.3", "arm64")`` for ``1.2.3-arm64``: only known architecture names split."""
    m = _ARCH_SUFFIX.fullmatch(tag)
    if m is not None and m["arch"] in ARCHITECTURES:
        return m["rest"], m["arch"]
    return tag, None


def unknown(tag: str, category: str = "unknown") -> ParsedTag:
    """A tag of no known form, sorted by its text."""
    base, arch = split_arch(tag)
    display = base if arch is None else f"{base} [{arch}]"
    return ParsedTag(
        tag, category, display, None, None, base, None, None, None, None, arch, None,
        (1, (), base, -1, -1, -1, "", arch or NO_ARCH, tag),
    )  # fmt: skip


def alias(tag: str) -> ParsedTag:
    """A tag that names another image: ``latest`` shows as ``Latest``."""
    parsed = unknown(tag, "alias")
    display = parsed.base.replace("_", " ").replace("-", " ").title()
    if parsed.arch is not None:
        display += f" [{parsed.arch}]"
    return parsed._replace(display=display)


#: The categories of the semver and calver policies, in menu order.
VERSION_CATEGORIES: Final = (
    Category("alias", "Alias"),
    Category("release", "Release", semantic=True, bot=True),
    Category("prerelease", "Prerelease", semantic=True),
    Category("unknown", "Unknown"),
)


class VersionPolicy:
    """A policy of versions written after a prefix, with an optional architecture suffix
    of a known name: a subclass gives the version's pattern (``BODY``) and reads a match
    (:meth:`read`); a tag the pattern does not match is unknown."""

    categories: Final = VERSION_CATEGORIES
    #: The version's pattern, after the prefix.
    BODY: str = ""

    def __init__(self, prefix: str | None = None) -> None:
        #: Text before the version; without one, an optional ``v``.
        self.prefix = prefix
        lead = "v?" if prefix is None else re.escape(prefix)
        self._regex = re.compile(lead + self.BODY)

    def parse(self, tag: str) -> ParsedTag:
        """The tag's category, version, display name and sort key (never raises)."""
        body, arch = split_arch(tag)
        m = self._regex.fullmatch(body)
        if m is None:
            return unknown(tag)
        return self.read(tag, body, arch, m)

    def read(self, tag: str, body: str, arch: str | None, m: re.Match[str]) -> ParsedTag:
        """The reading of *tag*, whose version part *body* matched (*m*)."""
        raise NotImplementedError

    def alias(self, tag: str) -> ParsedTag:
        """``latest``, ``stable``: a tag naming another image."""
        return alias(tag)
