"""The parsed form of an image tag, shared by every tag policy.

A :class:`ParsedTag` is a plain tuple (fast to build for 10^5 tags): the tag,
its category, a display name, the parts a menu filters on (version, date,
cycle, architecture) and ``key``, an ascending sort key that is comparable
between any two tags of the same category of the same policy.  Newest first
is ``key`` in descending order; :func:`envspec.payloads.tags.sort_tags`
orders categories by the policy's category order.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from envspec.diagnostics import Code

__all__ = ["ARCHITECTURES", "Category", "ParsedTag", "TagNote"]

#: Architecture names as used in image tags and OCI platforms (``-amd64``, ``-arm64``...).
ARCHITECTURES = frozenset(
    {
        "amd64", "arm64", "aarch64", "x86_64", "386", "i386", "arm", "armv6", "armv7",
        "arm64v8", "armhf", "ppc64le", "s390x", "riscv64", "mips64le", "loong64",
    }
)  # fmt: skip


class TagNote(NamedTuple):
    """A warning about how a tag reads: a registered code and a message."""

    code: Code
    message: str


class Category(NamedTuple):
    """One category of a policy, in menu order."""

    name: str
    #: The display prefix (``"Release"``, ``"Weekly"``...).
    label: str
    #: Whether the versions of the category are semantic (cutoffVersion filters apply).
    semantic: bool = False
    #: Whether ``latest-<name>`` names the category's newest image for bots.
    bot: bool = False


class ParsedTag(NamedTuple):
    """One tag as a policy reads it."""

    tag: str
    category: str
    display: str
    #: The version, as integers (release ``(23, 0, 1)``, weekly ``(2021, 13, 0)``), or None.
    version: tuple[int, ...] | None
    #: The version as text (``"23.0.1"``, ``"22.0.0-rc1"``), or None.
    version_text: str | None
    #: The text the tag sorts by when it has no version.
    base: str
    cycle: int | None
    cycle_build: int | None
    build: int | None
    extra: str | None
    arch: str | None
    date: datetime.date | None
    #: Ascending sort key inside the category (the tag string last: a total order).
    key: Any
    notes: tuple[TagNote, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``envspec payload tags --format json``)."""
        return {
            "tag": self.tag,
            "category": self.category,
            "display_name": self.display,
            "version": self.version_text,
            "base": self.base,
            "cycle": self.cycle,
            "cycle_build": self.cycle_build,
            "build": self.build,
            "extra": self.extra,
            "architecture": self.arch,
            "date": self.date.isoformat() if self.date else None,
        }
