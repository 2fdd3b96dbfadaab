"""What a launch starts from: the environment, the notebook's kernelspec, the folder.

A notebook's embedded environment wins; a notebook without one, or a folder,
gets the environment of its folder's files, read with the pack rules
(repo2docker's: a ``binder/`` or ``.binder/`` folder, when present, is the only
place read).  Problems raise :class:`envspec.loader.LoadError` with diagnostics.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.loader import LoadError

if TYPE_CHECKING:
    from envspec.models.v1_0 import Environment

__all__ = ["LaunchInput", "environment_from_folder", "read_target"]


@dataclass(frozen=True, slots=True)
class LaunchInput:
    """The inputs of a plan, and where they come from."""

    environment: Environment
    #: The notebook's ``metadata.kernelspec`` (``None`` without a notebook).
    kernelspec: Mapping[str, Any] | None
    #: The notebook to open, when there is one.
    notebook: Path | None
    #: The folder the launch works in (the notebook's folder, or the folder given).
    folder: Path
    #: ``embedded`` (the notebook's metadata), ``standalone`` (an envspec file) or
    #: ``folder`` (the folder's files, with the pack rules).
    source: Literal["embedded", "standalone", "folder"]
    #: Warnings about the input (errors raise :class:`~envspec.loader.LoadError`).
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    #: The file that holds the environment (the notebook, or the envspec file); ``None``
    #: when it comes from a folder's files.
    file: Path | None = None


def environment_from_folder(folder: str | os.PathLike[str]) -> Environment:
    """The environment of *folder*'s files, as ``envspec pack`` would embed it.

    Raises :class:`~envspec.loader.LoadError` when the folder cannot be read
    (both ``binder/`` and ``.binder/``, a file that is not UTF-8), holds no
    environment file, or a file is invalid.
    """
    from envspec.loader import load_environment
    from envspec.pack import collect
    from envspec.versions import LATEST

    root = Path(folder)
    if not root.is_dir():
        raise LoadError(
            (diagnostic("file-unreadable", "no such folder", str(root), severity="error"),)
        )
    collected = collect(root)
    errors = tuple(d for d in collected.diagnostics if d.severity == "error")
    if errors:
        raise LoadError(errors)
    if not collected.files:
        raise LoadError(
            (
                diagnostic(
                    "environment-missing",
                    "no environment here: no embedded environment and no environment file "
                    "(requirements.txt, environment.yml, pylock.toml, ...) in the folder or "
                    "its binder/ folder",
                    str(root),
                    hint="Add an environment file beside the notebook, or embed one with "
                    "`envspec pack`.",
                    severity="error",
                ),
            )
        )
    return load_environment({"env_ver": LATEST, "files": collected.files}).environment


def _kernelspec(metadata: object) -> Mapping[str, Any] | None:
    if isinstance(metadata, dict) and isinstance(metadata.get("kernelspec"), dict):
        spec: Mapping[str, Any] = metadata["kernelspec"]
        return spec
    return None


def read_target(target: str | os.PathLike[str], notebook: str | None = None) -> LaunchInput:
    """The inputs for launching *target*: a notebook, a standalone environment file, or a
    folder (with *notebook*, a notebook inside it)."""
    from envspec.loader import load_environment
    from envspec.notebook import kind_of, read_document

    path = Path(target)
    if notebook is not None:
        path = path / notebook if path.is_dir() else path.parent / notebook
    if path.is_dir():
        return LaunchInput(environment_from_folder(path), None, None, path, "folder")
    if not path.is_file():
        raise LoadError(
            (diagnostic("file-unreadable", "no such file or folder", str(path), severity="error"),)
        )
    kind = kind_of(path.name)
    if kind is None:
        raise LoadError(
            (
                diagnostic(
                    "unknown-file-type",
                    "not a notebook (.ipynb), an envspec file (.envspec.yaml) or a folder",
                    str(path),
                ),
            )
        )
    if kind != "notebook":
        loaded = load_environment(path)
        return LaunchInput(
            loaded.environment, None, None, path.parent, "standalone", loaded.diagnostics, path
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(
            (diagnostic("file-unreadable", exc.strerror or str(exc), str(path)),)
        ) from None
    read = read_document(data, "notebook")
    metadata = read.document["metadata"] if read.document else None
    kernelspec = _kernelspec(metadata)
    if isinstance(metadata, dict) and ("environment" in metadata or "env" in metadata):
        loaded = load_environment(path)
        return LaunchInput(
            loaded.environment, kernelspec, path, path.parent, "embedded", loaded.diagnostics, path
        )
    if read.document is None:
        loaded = load_environment(path)  # raises with the reading diagnostics
    return LaunchInput(
        environment_from_folder(path.parent), kernelspec, path, path.parent, "folder"
    )
