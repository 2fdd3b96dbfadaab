"""Path rules of payload files: relative, ``/``-separated, never leaving their folder."""

from __future__ import annotations

import posixpath
import re

__all__ = ["escape_reason", "inside"]

_DRIVE = re.compile(r"^[A-Za-z]:")


def escape_reason(path: str) -> str | None:
    """Why *path* is not a relative path that stays where it starts, or ``None``."""
    if not path:
        return "is empty"
    if "\\" in path:
        return "uses '\\': write '/'-separated paths"
    if path.startswith("/") or _DRIVE.match(path):
        return "is absolute: write it relative to the payload file"
    if "\x00" in path:
        return "contains a NUL character"
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "goes above its folder with '..'"
        elif part not in ("", "."):
            depth += 1
    return None


def inside(folder: str, path: str) -> str:
    """*path* (relative to *folder*) as a path relative to the payload file."""
    return posixpath.normpath(posixpath.join(folder, path))
