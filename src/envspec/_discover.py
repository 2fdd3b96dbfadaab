"""Expanding the paths given on the command line into the files to check."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from envspec.notebook import kind_of

__all__ = ["MissingPath", "discover"]

_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "dist-packages"}


class MissingPath(ValueError):
    """A path given by the user does not exist."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path!r} does not exist")
        self.path = path


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, bool]]:
    """Files to check, as ``(path, explicit)`` pairs in a stable order.

    Folders are walked for notebooks and envspec files, skipping hidden
    folders (``.git``, ``.ipynb_checkpoints``), virtual environments and
    package caches.  Files named explicitly are always returned, whatever
    their type (the caller reports unknown types).
    """
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            for found in _walk(path):
                if found not in seen:
                    seen.add(found)
                    out.append((found, False))
        elif os.path.lexists(path):
            if path not in seen:
                seen.add(path)
                out.append((path, True))
        else:
            raise MissingPath(path)
    return out


def _walk(root: str) -> list[str]:
    found: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        subfolders: list[str] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                    continue
                if Path(entry.path, "pyvenv.cfg").exists():
                    continue
                subfolders.append(entry.path)
            elif kind_of(entry.name) is not None:
                found.append(entry.path)
        stack.extend(reversed(subfolders))
    return found
