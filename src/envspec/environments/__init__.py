"""Environments on this machine: executing the local steps of a launch plan.

:func:`create_environment` builds what a :class:`~envspec.launch.plan.LaunchPlan`
describes (a virtual environment made with uv, or a conda prefix solved and
installed with rattler, then the pip inputs, ``postBuild`` when trusted, and
ipykernel) into a content-addressed cache, or into a folder of the caller's.
A second call with the same inputs reuses the environment after a stat and a
small JSON read.

The modules, one concept each: :mod:`~envspec.environments.cache` (keys, the
metadata file, locks, list/remove/gc), :mod:`~envspec.environments.build` (the
steps), :mod:`~envspec.environments.uv` and :mod:`~envspec.environments.conda`
(the tools), :mod:`~envspec.environments.postbuild`,
:mod:`~envspec.environments.log` (the build log),
:mod:`~envspec.environments.apt` (``apt.txt`` checks),
:mod:`~envspec.environments.trust` (Jupyter's notebook trust) and
:mod:`~envspec.environments.progress` (events).  uv, rattler and nbformat are
imported only when they run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envspec.environments.progress import ProgressEvent

if TYPE_CHECKING:
    from envspec.launch.plan import LaunchPlan

__all__ = [
    "BuildError",
    "CreatedEnvironment",
    "IndexOptions",
    "ProgressEvent",
    "create_environment",
    "default_cache_dir",
]


@dataclass(frozen=True, slots=True)
class CreatedEnvironment:
    """An environment ready to use."""

    #: Content hash of what determines it (see :func:`envspec.environments.cache.environment_key`).
    key: str
    #: The environment folder (a virtual environment or a conda prefix).
    prefix: Path
    #: Its Python interpreter (it has ipykernel after the ``kernel`` step).
    python: Path
    #: ``True`` on a cache hit.
    reused: bool
    #: What the person creating it should know: ``apt.txt`` packages missing on this
    #: machine (with the command that installs them), ignored index options...
    notes: tuple[str, ...] = ()
    #: The build log (``None`` on a cache hit).
    log: Path | None = None


@dataclass(frozen=True, slots=True)
class IndexOptions:
    """Where Python packages come from: the command line's choice, never the notebook's.

    uv's own configuration (``uv.toml``, ``UV_INDEX_URL``...) applies as well;
    these options come on top of it.
    """

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    #: Use only what uv's cache holds (it does not change what is installed, so it is
    #: not part of the environment's key).
    offline: bool = False


class BuildError(Exception):
    """An environment could not be created.  Nothing half-built is left behind.

    ``str(error)`` is the whole message for a person: what failed, the tail of the
    build log and where the log is kept.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        log: Path | None = None,
        tail: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.hint = hint
        self.log = log
        self.tail = tuple(tail)
        super().__init__(self.render())

    def render(self) -> str:
        lines = [self.message]
        if self.tail:
            lines.append("last lines of the build log:")
            lines.extend(f"  | {line}" for line in self.tail)
        if self.log is not None:
            lines.append(f"build log: {self.log}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def default_cache_dir() -> Path:
    """``$ENVSPEC_CACHE_DIR``, else ``envspec`` in the user's cache folder
    (``$XDG_CACHE_HOME``, else ``~/.cache``; ``%LOCALAPPDATA%`` on Windows).

    Environments live in its ``envs/`` folder, their build logs in ``logs/``.
    """
    explicit = os.environ.get("ENVSPEC_CACHE_DIR")
    if explicit:
        return Path(explicit)
    if os.name == "nt":  # pragma: no cover - not run on the CI of this project
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local")
        return Path(base) / "envspec" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "envspec"


def create_environment(
    plan: LaunchPlan,
    files: Mapping[str, str],
    *,
    cache_dir: Path | None = None,
    prefix: Path | None = None,
    index: IndexOptions = IndexOptions(),
    channels: Sequence[str] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> CreatedEnvironment:
    """Create (or reuse) the environment of *plan*, whose steps apply *files* (the
    environment's embedded files, name to text).

    *prefix* builds into that folder instead of the cache (an existing folder must
    be empty, or an environment envspec made for the same inputs, which is reused).
    *channels* replace the conda channels of ``environment.yml``.  *progress*
    receives :class:`ProgressEvent` objects.  Raises :class:`BuildError`.
    """
    from envspec.environments.build import create

    return create(
        plan,
        files,
        cache_dir=cache_dir if cache_dir is not None else default_cache_dir(),
        prefix=prefix,
        index=index,
        channels=tuple(channels) if channels is not None else None,
        progress=progress,
    )
