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


def discover(
    paths: Iterable[str | os.PathLike[str]],
    *,
    unreadable: list[tuple[str, str]] | None = None,
) -> list[tuple[str, bool]]:
    """Files to check, as ``(path, explicit)`` pairs in a stable order.

    Folders are walked for notebooks and envspec files, skipping hidden
    folders (``.git``, ``.ipynb_checkpoints``), virtual environments and
    package caches.  Files named explicitly are always returned, whatever
    their type (the caller reports unknown types), and so are files that
    cannot be looked at (in a folder the user may not search): reading them
    says why.  Folders that cannot be listed are appended to *unreadable* as
    ``(folder, reason)``; the walk goes on with the others.

    :raises MissingPath: a path does not exist.
    """
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            for found in _walk(path, unreadable):
                if found not in seen:
                    seen.add(found)
                    out.append((found, False))
        elif _exists(path):
            if path not in seen:
                seen.add(path)
                out.append((path, True))
        else:
            raise MissingPath(path)
    return out


def _exists(path: str) -> bool:
    """Whether *path* exists, or may: a path in a folder that cannot be searched is
    reported when it is read ("permission denied"), not as missing."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _walk(root: str, unreadable: list[tuple[str, str]] | None) -> list[str]:
    found: list[str] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((folder, exc.strerror or type(exc).__name__))
            continue
        subfolders: list[str] = []
        for entry in entries:
            if _is_dir(entry):
                if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                    continue
                if _is_venv(entry.path):
                    continue
                subfolders.append(entry.path)
            elif kind_of(entry.name) is not None:
                found.append(entry.path)
        stack.extend(reversed(subfolders))
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_venv(folder: str) -> bool:
    try:
        return Path(folder, "pyvenv.cfg").exists()
    except OSError:
        return False  # a folder that cannot be searched: listing it says so
