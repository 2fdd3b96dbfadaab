"""Reading a notebook's git source (remote URL, HEAD commit, subdirectory) without running git.

Pack runs on every save inside Jupyter, where starting a ``git`` process per
save costs more than the whole budget; the facts pack records are plain
files in ``.git``.  Whether the tree is dirty needs ``git status`` and is
asked separately (:func:`is_dirty`), only by the command line.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GitSource", "find_source", "is_dirty", "strip_credentials"]

_HEX = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class GitSource:
    """Where a folder comes from."""

    toplevel: Path
    commit: str | None
    url: str | None
    #: The folder relative to the top level, ``/``-separated (``None`` at the top).
    subdir: str | None


def strip_credentials(url: str) -> str:
    """*url* without a user name or password (``https://tok@host/x`` -> ``https://host/x``)."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/@]*@)(.*)$", url)
    return match[1] + match[3] if match else url


def _git_dir(folder: Path) -> tuple[Path, Path] | None:
    for candidate in (folder, *folder.parents):
        dot = candidate / ".git"
        if dot.is_dir():
            return candidate, dot
        if dot.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot.read_text("utf-8", "replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return candidate, (candidate / target).resolve()
    return None


def _common_dir(git_dir: Path) -> Path:
    common = git_dir / "commondir"
    if common.is_file():
        return (git_dir / common.read_text("utf-8").strip()).resolve()
    return git_dir


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    for base in (git_dir, _common_dir(git_dir)):
        loose = base / ref
        if loose.is_file():
            value = loose.read_text("utf-8", "replace").strip()
            return value if _HEX.fullmatch(value) else None
    packed = _common_dir(git_dir) / "packed-refs"
    if packed.is_file():
        for line in packed.read_text("utf-8", "replace").splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1] == ref and _HEX.fullmatch(parts[0]):
                return parts[0]
    return None


def _head(git_dir: Path) -> str | None:
    try:
        head = (git_dir / "HEAD").read_text("utf-8", "replace").strip()
    except OSError:
        return None
    if head.startswith("ref:"):
        return _resolve_ref(git_dir, head.removeprefix("ref:").strip())
    return head if _HEX.fullmatch(head) else None


def _remote_url(git_dir: Path) -> str | None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read(_common_dir(git_dir) / "config", encoding="utf-8")
    except (configparser.Error, OSError):
        return None
    remotes = [s for s in parser.sections() if s.startswith('remote "')]
    preferred = (
        'remote "origin"' if 'remote "origin"' in remotes else (remotes[0] if remotes else None)
    )
    if preferred is None:
        return None
    url = parser.get(preferred, "url", fallback=None)
    return strip_credentials(url) if url else None


def find_source(folder: str | os.PathLike[str]) -> GitSource | None:
    """The repository containing *folder*, or ``None`` outside any repository."""
    start = Path(os.path.realpath(folder))
    found = _git_dir(start)
    if found is None:
        return None
    toplevel, git_dir = found
    relative = start.relative_to(toplevel).as_posix()
    return GitSource(
        toplevel, _head(git_dir), _remote_url(git_dir), None if relative in ("", ".") else relative
    )


def is_dirty(toplevel: Path, *, ignore: frozenset[Path] = frozenset()) -> bool:
    """Whether the work tree has uncommitted changes (runs ``git status``), not counting the
    files in *ignore* (the notebooks being packed: saving one always changes it)."""
    try:
        out = subprocess.run(
            # Untracked files one by one: a notebook alone in a new folder is not a change.
            ["git", "-C", str(toplevel), "status", "--porcelain", "-z", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    if out.returncode != 0:
        return False
    skip = {os.path.realpath(p) for p in ignore}
    for entry in out.stdout.split("\0"):
        if len(entry) > 3 and os.path.realpath(toplevel / entry[3:]) not in skip:
            return True
    return False
