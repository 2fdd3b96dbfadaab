"""``env_ver`` values: parsing, the versions this library knows, and the compatibility policy.

``env_ver`` is ``MAJOR.MINOR``.  Minors within a major are additive; a reader
rejects an unknown major and accepts a newer minor of a known major, keeping
the fields it does not know.  See ``spec/index.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "LATEST",
    "LEGACY",
    "NEWEST",
    "SUPPORTED",
    "EnvVersion",
    "VersionStatus",
    "classify",
    "parse_env_ver",
]

_ENV_VER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")

#: Every version this library reads, oldest first.
SUPPORTED: Final = ("0.1", "1.0", "1.1")
#: The version writers produce by default: the earliest minor of the newest major.  A
#: writer produces a later minor only when the document holds something that only the
#: later minor has (``pixi.lock`` needs ``1.1``), as the writer rules of ``spec/index.md``
#: say; :func:`envspec.vocabulary.version_needed` tells which.
LATEST: Final = "1.0"
#: The newest version this library implements (reads, checks and can write).
NEWEST: Final = "1.1"
#: Versions readers accept but writers no longer produce.
LEGACY: Final = frozenset({"0.1"})

VersionStatus = Literal["known", "legacy", "newer-minor", "unknown-major", "unknown-minor"]


@dataclass(frozen=True, slots=True, order=True)
class EnvVersion:
    """A parsed ``env_ver``."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def parse_env_ver(value: object) -> EnvVersion | None:
    """Return the parsed version, or ``None`` when *value* is not a ``MAJOR.MINOR`` string.

    >>> parse_env_ver("1.0")
    EnvVersion(major=1, minor=0)
    >>> parse_env_ver(1.0) is None
    True
    """
    if not isinstance(value, str):
        return None
    match = _ENV_VER.fullmatch(value)
    if match is None:
        return None
    return EnvVersion(int(match[1]), int(match[2]))


def classify(version: EnvVersion) -> tuple[VersionStatus, str | None]:
    """Say how a reader treats *version*, and which known version reads it.

    ``0.x`` minors are not additive (0.x is pre-stable), so an unknown 0.x is
    rejected like an unknown major.
    """
    text = str(version)
    if text in LEGACY:
        return "legacy", text
    if text in SUPPORTED:
        return "known", text
    same_major = [v for v in SUPPORTED if v.split(".")[0] == str(version.major)]
    if not same_major or version.major == 0:
        return ("unknown-minor" if same_major else "unknown-major"), None
    newest = max(same_major, key=lambda v: int(v.split(".")[1]))
    if version.minor > int(newest.split(".")[1]):
        return "newer-minor", newest
    return "unknown-minor", None
