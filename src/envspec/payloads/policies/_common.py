"""Helpers shared by the semver, calver and rule policies."""

from __future__ import annotations

import re
from typing import Final

from envspec.payloads._tagtypes import ARCHITECTURES, ParsedTag

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
