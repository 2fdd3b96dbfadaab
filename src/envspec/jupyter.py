"""Pack on save inside Jupyter: a ``ContentsManager.pre_save_hook`` and a server extension.

Switch it on for one user (``jupyter_server_config.py``)::

    c.ContentsManager.pre_save_hook = "envspec.jupyter.pre_save_hook"

or as a server extension (it registers the hook on the contents manager)::

    jupyter server extension enable envspec.jupyter

Every save of a notebook then refreshes its ``metadata.environment`` from the
files beside it (see :mod:`envspec.pack`).  The hook never fails a save: any
problem is logged and the notebook is saved as it was.  It only ever touches
``metadata.environment``, and reads no more than a few small files (the git
source is read from ``.git`` directly, without starting ``git``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["pre_save_hook"]

_log = logging.getLogger("envspec.jupyter")


def _os_path(contents_manager: Any, path: str) -> str | None:
    getter = getattr(contents_manager, "_get_os_path", None)
    if getter is not None:
        result: str = getter(path)
        return result
    root = getattr(contents_manager, "root_dir", None)
    return os.path.join(root, path.lstrip("/")) if isinstance(root, str) else None


def pre_save_hook(model: dict[str, Any], path: str, contents_manager: Any = None, **_: Any) -> None:
    """Refresh ``metadata.environment`` of a notebook being saved (never raises)."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    log = getattr(contents_manager, "log", None) or _log
    try:
        _pack_into(model["content"], path, contents_manager)
    except Exception as exc:  # noqa: BLE001 - a save must never fail because of envspec
        log.warning("envspec: %s was saved without refreshing its environment: %s", path, exc)


def _pack_into(notebook: dict[str, Any], path: str, contents_manager: Any) -> None:
    from envspec._git import find_source
    from envspec.pack import build_environment, collect

    os_path = _os_path(contents_manager, path)
    if os_path is None:
        return
    folder = os.path.dirname(os_path) or "."
    collected = collect(folder)
    problems = [d for d in collected.diagnostics if d.severity == "error"]
    if problems:
        raise ValueError("; ".join(f"{d.file}: {d.message}" for d in problems))
    metadata = notebook.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError("the notebook's metadata is not an object")
    if "environment" not in metadata and isinstance(metadata.get("env"), dict):
        raise ValueError("the environment is in the legacy 'metadata.env'; run `envspec migrate`")
    existing = metadata.get("environment")
    if existing is not None and not isinstance(existing, dict):
        raise ValueError("metadata.environment is not an object")
    environment = build_environment(existing, metadata, collected, find_source(folder))
    if environment != existing:
        metadata["environment"] = environment


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "envspec.jupyter"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.contents_manager.register_pre_save_hook(pre_save_hook)
    serverapp.log.info("envspec: notebooks' environments are packed on save")
