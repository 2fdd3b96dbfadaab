"""The verdict cache of ``envspec validate``: what each file was found to contain, keyed by
its stat (size, times, inode), and each environment's diagnostics, keyed by the hash of its
text; one JSON file per envspec version, in a folder like ruff's.

A file written in the same timestamp tick as its verdict could be written again, with the
same size, without its times changing (git's "racily clean" entries). A verdict is
therefore trusted by stat only when the file's times are older than the verdict by more
than any file system's timestamp granularity (:data:`RACY_NS`); a newer file is read again
next time (its environment still comes from the cache, by hash).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from envspec.diagnostics import Diagnostic

__all__ = [
    "MAX_CACHED_ENVIRONMENTS",
    "RACY_NS",
    "VerdictCache",
    "cache_folder",
    "code_fingerprint",
    "default_cache_dir",
    "open_cache",
    "stat_key",
]

#: The verdict cache keeps at most this many checked environments.
MAX_CACHED_ENVIRONMENTS = 50_000
#: A file changed less than this before its verdict (in ns) is not trusted by its stat:
#: 2 s, the coarsest timestamps in use (FAT).
RACY_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> str:
    """What identifies a file's contents without reading them."""
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}"


def _now_ns() -> int:
    return time.time_ns()


def _racy(key: str) -> bool:
    """Whether the file behind *key* changed too recently to be told apart by its stat."""
    try:
        _size, mtime, ctime, _inode = key.split(":")
        return _now_ns() - max(int(mtime), int(ctime)) < RACY_NS
    except ValueError:
        return True


class VerdictCache:
    """The verdict cache of one envspec version (``<cache_dir>/<version>/verdicts.json``)."""

    def __init__(self, folder: Path) -> None:
        import json

        self.folder = folder
        self.file = folder / "verdicts.json"
        try:
            data = json.loads(self.file.read_bytes())
        except (OSError, ValueError):
            data = {}
        data = data if isinstance(data, dict) else {}
        files, envs = data.get("files"), data.get("envs")
        # A damaged cache only costs speed: anything of the wrong shape is dropped.
        self.files: dict[str, Any] = files if isinstance(files, dict) else {}
        self.envs: dict[str, Any] = envs if isinstance(envs, dict) else {}
        self.dirty = False
        #: Files seen in this run (they exist: no need to look for them when saving).
        self.fresh: set[str] = set()

    def lookup(self, path: str, stat_key: str) -> tuple[tuple[Diagnostic, ...], bool | None] | None:
        """The diagnostics on *path* and whether it has an environment, when the cache
        holds a verdict for the file as *stat_key* identifies it."""
        entry = self.files.get(os.path.abspath(path))
        try:
            if entry[0] != stat_key:  # type: ignore[index]
                return None
            diagnostics = tuple(
                Diagnostic(
                    code=code,
                    severity=severity,
                    message=message,
                    file=path,
                    pointer=pointer,
                    line=line,
                    column=column,
                    hint=hint,
                )
                for code, severity, message, pointer, line, column, hint in entry[2]  # type: ignore[index]
            )
            return diagnostics, entry[1]  # type: ignore[index]
        except (TypeError, ValueError, IndexError, KeyError):
            return None  # not cached, or a damaged entry: read the file again

    def record(
        self,
        path: str,
        stat_key: str,
        diagnostics: tuple[Diagnostic, ...],
        has_environment: bool | None,
    ) -> None:
        """Keep the verdict on *path*, unless the file is too new to be trusted by its stat."""
        self.fresh.add(os.path.abspath(path))
        if _racy(stat_key):
            return
        self.files[os.path.abspath(path)] = [
            stat_key,
            has_environment,
            [
                [d.code, d.severity, d.message, d.pointer, d.line, d.column, d.hint]
                for d in diagnostics
            ],
        ]
        self.dirty = True

    def save(self) -> None:
        import json

        if not self.dirty:
            return
        # Forget files that are gone, and the oldest environments past a bound, so the
        # cache does not grow for ever (both in insertion order, oldest first).
        self.files = {p: v for p, v in self.files.items() if p in self.fresh or os.path.exists(p)}
        if len(self.envs) > MAX_CACHED_ENVIRONMENTS:
            keep = list(self.envs.items())[-MAX_CACHED_ENVIRONMENTS:]
            self.envs = dict(keep)
        try:
            if not self.folder.exists():
                self.folder.mkdir(parents=True)
                _forget_other_versions(self.folder)
            ignore = self.folder.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text(
                    "# Created by envspec: the verdict cache is not for version control.\n*\n"
                )
            fd, tmp = _new_file(self.folder, ".verdicts-", ".tmp")
            # dumps, not dump: only the one-shot encoder is the C one.
            text = json.dumps({"files": self.files, "envs": self.envs}, separators=(",", ":"))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.file)
        except OSError:
            return  # a cache that cannot be written only costs speed


def _forget_other_versions(folder: Path) -> None:
    """Remove the verdicts of other envspec code beside *folder* (folders that hold
    nothing but a verdict file and its temporary files); anything else is left alone."""
    for sibling in folder.parent.iterdir():
        if sibling == folder or not sibling.is_dir() or sibling.is_symlink():
            continue
        try:
            names = [entry.name for entry in os.scandir(sibling)]
            if not names or not all(
                n == "verdicts.json" or (n.startswith(".verdicts-") and n.endswith(".tmp"))
                for n in names
            ):
                continue
            for name in names:
                os.unlink(sibling / name)
            sibling.rmdir()
        except OSError:
            continue  # another process at work there, or not ours to remove


def _new_file(folder: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """A new file no other process has open, as ``tempfile.mkstemp`` makes one (a random
    name, created exclusively, mode 0600), without importing tempfile (8 ms)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, flags | getattr(os, "O_BINARY", 0), 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def code_fingerprint(folders: list[Path]) -> str:
    """Eight hex digits that change when a ``.py`` or ``.json`` file in *folders* changes
    (name, size or modification time): verdicts of other code are not reused, even under
    the same version number (a development install, a pre-commit hook pinned to a commit).
    One ``stat`` per file, about 0.1 ms for the package."""
    import zlib

    rows = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".py", ".json")):
                try:
                    st = entry.stat()
                except OSError:
                    continue
                rows.append(f"{folder.name}/{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{zlib.crc32(chr(10).join(sorted(rows)).encode()):08x}"


def cache_folder(cache_dir: str | os.PathLike[str]) -> Path:
    """The folder of this envspec's verdicts: ``<cache_dir>/<version>-<code fingerprint>``."""
    from envspec._version import __version__

    package = Path(__file__).parent
    fingerprint = code_fingerprint([package, package / "checks", package / "schemas"])
    return Path(cache_dir) / f"{__version__}-{fingerprint}"


def open_cache(cache_dir: str | os.PathLike[str]) -> VerdictCache:
    return VerdictCache(cache_folder(cache_dir))


def default_cache_dir() -> Path:
    """``$ENVSPEC_CACHE_DIR``, else ``.envspec_cache`` in the current folder."""
    return Path(os.environ.get("ENVSPEC_CACHE_DIR") or ".envspec_cache")
