"""The environment cache: keys, the metadata file, locks, and list / remove / gc.

Layout of the cache folder::

    envs/<key>/                      an environment (venv or conda prefix)
    envs/<key>/envspec-environment.json   written last: the environment is complete
    logs/<key>-<time>.log            build logs (kept after a failure)
    locks/<key>.lock                 one build of a key at a time (lock files stay:
                                     removing one could let two builds run)
    tmp/<key>-<random>/              the embedded files, while a build runs
    conda-pkgs/                      rattler's package cache

**Why environments are built in place.**  Neither kind of environment can be
moved once made: uv writes absolute paths into a virtual environment (the
interpreter's shebang in every console script), rattler replaces the prefix
placeholder inside installed conda files, and ``postBuild`` may write anything.
So an environment is built at its final path, under its key's lock, with an
``envspec-incomplete`` marker; ``envspec-environment.json`` is written last,
atomically.  An environment without it is never used: a failed build removes the
folder at once, and one left by a killed process is removed by the next build of
the same key or by ``gc``.  Readers need no lock: the metadata file appears only
once everything it describes is in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envspec._atomic import write_atomic
from envspec._version import __version__

if TYPE_CHECKING:
    from envspec.environments import IndexOptions
    from envspec.launch.plan import LaunchPlan

__all__ = [
    "BUILD_KINDS",
    "INCOMPLETE",
    "METADATA",
    "CachedEnvironment",
    "KeyLocked",
    "collect_garbage",
    "environment_key",
    "key_lock",
    "list_environments",
    "read_metadata",
    "redact",
    "remove_environment",
    "write_metadata",
]

#: The file that makes a folder a complete environment (written last).
METADATA = "envspec-environment.json"
#: The file of an environment being built (holds its key).
INCOMPLETE = "envspec-incomplete"
#: Version of the key's recipe: a change of what goes into keys changes it.
KEY_VERSION = 1
#: Key length in hex digits (80 bits: no collision in any cache, and short paths:
#: shebang lines have a length limit).
KEY_LENGTH = 20
#: Steps that make the environment what it is.  ``apt-check`` only looks at the
#: machine (it runs again on every reuse) and ``start`` runs at each kernel start.
_CONDA_FILES = ("environment.yml", "environment.yaml", "pixi.lock")
BUILD_KINDS = frozenset({"interpreter", "conda", "pylock", "pip", "post-build", "kernel"})


def redact(url: str) -> str:
    """*url* without its password or token (``https://user:***@host/``)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    user, _, host = authority.rpartition("@")
    name = user.partition(":")[0]
    return f"{scheme}://{name}:***@{host}{slash}{path}"


def environment_key(
    plan: LaunchPlan,
    files: Mapping[str, str],
    *,
    index: IndexOptions,
    channels: Sequence[str] | None,
) -> str:
    """The content hash of what determines an environment.

    In it: the build steps in order with the exact text of each file they apply
    (after the plan's precedence, so a ``requirements.txt`` that Binder ignores
    beside an ``environment.yml`` does not count), the Python pin and the
    interpreter chosen (version and path: a virtual environment links to it), the
    platform, the index options that change what is installed (index URLs,
    find-links, no-index; not ``offline``) and replacement conda channels.  Not in
    it: ``apt.txt`` (checked on every use, never installed), ``start`` and the
    launch's variables, which apply when a kernel starts.
    """
    steps: list[list[Any]] = []
    for step in plan.steps:
        if step.kind not in BUILD_KINDS:
            continue
        text = files.get(step.file) if step.file else None
        # Files a step reads besides its own: those its detail names (a conda lock), and
        # for conda the other conda file (a lock's environment.yml holds the pip: part).
        named = {v for v in step.detail.values() if v in files}
        if step.kind == "conda":
            named |= {n for n in _CONDA_FILES if n in files}
        named.discard(step.file or "")
        extra = {name: files[name] for name in sorted(named)}
        detail = dict(step.detail)
        if step.kind == "interpreter" and "path" in detail:
            # One interpreter, however it was reached (a venv's python, python3, a link).
            detail["path"] = os.path.realpath(detail["path"])
        steps.append([step.kind, step.file, text, dict(sorted(detail.items())), extra])
    data = {
        "version": KEY_VERSION,
        "steps": steps,
        "platform": f"{sys.platform}-{platform.machine()}",
        "index": {
            "index_url": index.index_url,
            "extra_index_urls": list(index.extra_index_urls),
            "find_links": list(index.find_links),
            "no_index": index.no_index,
        },
        "channels": list(channels) if channels is not None else None,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:KEY_LENGTH]


# ----------------------------------------------------------------------------- metadata


def read_metadata(prefix: Path) -> dict[str, Any] | None:
    """The metadata of the complete environment at *prefix*, or ``None``."""
    try:
        data = json.loads((prefix / METADATA).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("key"), str) else None


def write_metadata(prefix: Path, data: Mapping[str, Any]) -> None:
    """Mark *prefix* complete: its metadata, atomically, then no incomplete marker."""
    text = json.dumps(dict(data), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_atomic(prefix / METADATA, text.encode("utf-8", "surrogateescape"))
    with contextlib.suppress(FileNotFoundError):
        (prefix / INCOMPLETE).unlink()


def touch_used(prefix: Path) -> None:
    """Record a use (``gc --older-than`` removes environments unused for long)."""
    with contextlib.suppress(OSError):
        os.utime(prefix / METADATA)


# ----------------------------------------------------------------------------- locks


class KeyLocked(Exception):
    """Another process holds the lock of this key (it builds or removes it)."""


@contextlib.contextmanager
def key_lock(cache_dir: Path, key: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the lock of *key* (an advisory lock on ``locks/<key>.lock``).

    With ``wait=False``, raise :class:`KeyLocked` at once when it is held.
    """
    folder = cache_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.name == "nt":  # pragma: no cover - not run on the CI of this project
            import msvcrt

            mode = msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK  # type: ignore[attr-defined]
            try:
                msvcrt.locking(fd, mode, 1)  # type: ignore[attr-defined]
            except OSError as exc:
                raise KeyLocked(key) from exc
        else:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError as exc:
                raise KeyLocked(key) from exc
        yield
    finally:
        os.close(fd)  # closing releases the lock


def is_locked(cache_dir: Path, key: str) -> bool:
    """Whether a process holds the lock of *key* right now."""
    try:
        with key_lock(cache_dir, key, wait=False):
            return False
    except KeyLocked:
        return True


# ----------------------------------------------------------------------------- managing


@dataclass(frozen=True, slots=True)
class CachedEnvironment:
    """An environment of the cache, as ``envspec env list`` shows it."""

    key: str
    prefix: Path
    #: ``complete``, ``building`` (locked, no metadata yet) or ``incomplete`` (left by a
    #: build that was killed: ``gc`` removes it).
    state: str
    created: str | None
    #: Seconds since the epoch of its last use (creation or reuse).
    last_used: float | None
    #: The inputs summary of the metadata (files, steps, interpreter...).
    inputs: Mapping[str, Any]
    size: int | None = None


def _size(folder: Path) -> int:
    total = 0
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of *folder* by name (none when it cannot be listed)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []


def list_environments(cache_dir: Path, *, sizes: bool = False) -> list[CachedEnvironment]:
    """Every environment of the cache, most recently used first."""
    entries = _entries(cache_dir / "envs")
    found: list[CachedEnvironment] = []
    for entry in entries:
        if not entry.is_dir(follow_symlinks=False):
            continue
        prefix = Path(entry.path)
        meta = read_metadata(prefix)
        if meta is not None:
            try:
                used: float | None = (prefix / METADATA).stat().st_mtime
            except OSError:
                used = None
            state = "complete"
            inputs = meta.get("inputs") if isinstance(meta.get("inputs"), dict) else {}
            created = meta.get("created") if isinstance(meta.get("created"), str) else None
        else:
            state = "building" if is_locked(cache_dir, entry.name) else "incomplete"
            used, inputs, created = None, {}, None
        found.append(
            CachedEnvironment(
                key=entry.name,
                prefix=prefix,
                state=state,
                created=created,
                last_used=used,
                inputs=inputs or {},
                size=_size(prefix) if sizes else None,
            )
        )
    found.sort(key=lambda e: -(e.last_used or 0.0))
    return found


def remove_tree(folder: Path) -> None:
    """Remove *folder* whatever the modes inside (read-only files of packages)."""

    def _writable(function: Any, path: str, _exc: BaseException) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        with contextlib.suppress(FileNotFoundError):
            function(path)

    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        if sys.version_info >= (3, 12):
            shutil.rmtree(folder, onexc=_writable)
        else:  # pragma: no cover - Python 3.11
            shutil.rmtree(folder, onerror=lambda f, p, e: _writable(f, p, e[1]))


def remove_environment(cache_dir: Path, key: str) -> Path:
    """Remove the environment *key* (a unique prefix of a key is enough).

    Raises :class:`LookupError` when no environment, or more than one, matches,
    and :class:`KeyLocked` when it is being built.
    """
    envs = cache_dir / "envs"
    try:
        names = [n for n in os.listdir(envs) if n.startswith(key)] if key else []
    except OSError:
        names = []
    if len(names) != 1:
        what = "no environment" if not names else f"{len(names)} environments"
        raise LookupError(f"{what} of the cache {'match' if names else 'matches'} {key!r}")
    (name,) = names
    with key_lock(cache_dir, name, wait=False):
        remove_tree(envs / name)
    return envs / name


@dataclass(frozen=True, slots=True)
class Collected:
    """What ``gc`` removed."""

    environments: tuple[str, ...]
    incomplete: tuple[str, ...]
    temporary: int
    logs: int
    freed: int


def collect_garbage(cache_dir: Path, *, older_than_days: float | None = None) -> Collected:
    """Remove what is left of killed builds (incomplete environments, temporary
    folders), build logs of environments that no longer exist, and,
    with *older_than_days*, complete environments unused for that long.

    Environments being built (locked) are left alone.
    """
    removed: list[str] = []
    incomplete: list[str] = []
    freed = 0
    now = time.time()
    for env in list_environments(cache_dir):
        if env.state == "building":
            continue
        stale = env.state == "incomplete"
        old = (
            older_than_days is not None
            and env.state == "complete"
            and now - (env.last_used or 0.0) > older_than_days * 86400
        )
        if not (stale or old):
            continue
        try:
            with key_lock(cache_dir, env.key, wait=False):
                size = _size(env.prefix)
                remove_tree(env.prefix)
        except KeyLocked:
            continue
        freed += size
        (incomplete if stale else removed).append(env.key)
    temporary = 0
    for entry in _entries(cache_dir / "tmp"):
        key = entry.name.partition("-")[0]
        if is_locked(cache_dir, key):
            continue
        freed += _size(Path(entry.path))
        with contextlib.suppress(OSError):
            remove_tree(Path(entry.path))
            temporary += 1
    present = set()
    with contextlib.suppress(OSError):
        present = set(os.listdir(cache_dir / "envs"))
    logs = 0
    for entry in _entries(cache_dir / "logs"):
        key = entry.name.partition("-")[0]
        if key in present or is_locked(cache_dir, key):
            continue
        with contextlib.suppress(OSError):
            size = entry.stat().st_size
            os.unlink(entry.path)
            freed += size
            logs += 1
    return Collected(tuple(removed), tuple(incomplete), temporary, logs, freed)


def metadata_record(
    key: str, *, python: Path, prefix: Path, inputs: Mapping[str, Any], log: Path | None
) -> dict[str, Any]:
    """The content of ``envspec-environment.json``."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {
        "key": key,
        "created": created,
        "envspec": __version__,
        "python": os.path.relpath(python, prefix),
        "inputs": dict(inputs),
        "log": str(log) if log is not None else None,
    }
