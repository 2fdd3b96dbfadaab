"""Pack on save inside Jupyter: a ``ContentsManager.pre_save_hook`` and a server extension.

Switch it on for one user (``jupyter_server_config.py``)::

    c.ContentsManager.pre_save_hook = "envspec.jupyter.pre_save_hook"

or as a server extension (it registers the hook on the contents manager)::

    jupyter server extension enable envspec.jupyter

Every save of a notebook then refreshes its ``metadata.environment`` from the
files beside it (see :mod:`envspec.pack`), through the same secret gate as
every writer (:mod:`envspec.writers`).  The hook never fails a save: any
problem is logged, noted in ``metadata.envspec_note`` and in the save's
``message``, and the notebook is saved with the environment it had.  It adds
and updates embedded files; it removes one only when its record
(``extensions["envspec.pack"]``) says it packed that file from this same
folder.  It touches nothing but ``metadata.environment`` and that note, and
reads no more than a few small files (the git source is read from ``.git``
directly, without starting ``git``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from envspec.diagnostics import Diagnostic
from envspec.writers import STOP_CODES

__all__ = ["NOTE_KEY", "pre_save_hook"]

_log = logging.getLogger("envspec.jupyter")


def _os_path(contents_manager: Any, path: str) -> str | None:
    getter = getattr(contents_manager, "_get_os_path", None)
    if getter is not None:
        result: str = getter(path)
        return result
    root = getattr(contents_manager, "root_dir", None)
    return os.path.join(root, path.lstrip("/")) if isinstance(root, str) else None


#: The notebook metadata key of the note left when a save could not refresh the
#: environment: present only while there is a problem, removed by the next good save.
NOTE_KEY = "envspec_note"


def pre_save_hook(model: dict[str, Any], path: str, contents_manager: Any = None, **_: Any) -> None:
    """Refresh ``metadata.environment`` of a notebook being saved (never raises).

    When the environment cannot be refreshed (the refreshed one would carry a secret, the
    folder has both binder folders, ...), the notebook is saved with the environment it
    had, a warning goes to the server log, and the reason is left where the user sees it:
    the save's answer (``message``) and ``metadata.envspec_note``.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    log = getattr(contents_manager, "log", None) or _log
    notebook = model["content"]
    try:
        problem = _pack_into(notebook, path, contents_manager, log)
    except Exception as exc:  # noqa: BLE001 - a save must never fail because of envspec
        problem = str(exc) or type(exc).__name__
    try:
        metadata = notebook.get("metadata")
        if problem is None:
            if isinstance(metadata, dict):
                metadata.pop(NOTE_KEY, None)
            return
        log.warning("envspec: %s was saved without refreshing its environment: %s", path, problem)
        note = (
            "envspec did not refresh metadata.environment when this notebook was saved: "
            f"{problem}. The notebook was saved with the environment it had; fix this and "
            "save again."
        )
        if isinstance(metadata, dict):
            metadata[NOTE_KEY] = note
        model["message"] = note
    except Exception as exc:  # noqa: BLE001 - a save must never fail because of envspec
        log.warning("envspec: %s: %s", path, exc)


def _pack_into(notebook: dict[str, Any], path: str, contents_manager: Any, log: Any) -> str | None:
    """Refresh the environment in *notebook*; the problem (without any secret) if it cannot."""
    from envspec._git import find_source
    from envspec.pack import collect, folder_key, plan_pack

    os_path = _os_path(contents_manager, path)
    if os_path is None:
        return None
    folder = os.path.dirname(os_path) or "."
    metadata = notebook.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return "the notebook's metadata is not an object"
    plan = plan_pack(
        metadata,
        collect(folder),
        find_source(folder),
        owner=folder_key(folder),
        name=os.path.basename(path),
    )
    if plan.refused:
        stops = [d for d in plan.diagnostics if d.code in STOP_CODES]
        stops.sort(key=lambda d: (d.pointer, d.line or 0, d.column or 0, d.code))
        where = "; ".join(_where(d) for d in stops)
        return (
            f"the environment would carry a secret ({where}); remove it, "
            "and give it at launch instead (see 'No secret values' in the envspec spec)"
        )
    if plan.status == "failed":
        return "; ".join(d.message for d in plan.diagnostics if d.severity == "error")
    if plan.status == "packed":
        metadata["environment"] = plan.environment
        # Embedded files replaced or removed are said, so that nothing changes unseen.
        for what, names in (
            ("updated from the folder", plan.changes.updated),
            ("removed (no longer in the folder)", plan.changes.removed),
        ):
            if names:
                log.info("envspec: %s: embedded files %s: %s", path, what, ", ".join(names))
    return None


def _where(d: Diagnostic) -> str:
    """Where a diagnostic is, and its code: never its message (it may quote a secret)."""
    pointer = d.pointer.removeprefix("/metadata/environment").removeprefix("/files/").lstrip("/")
    line = f" line {d.line}" if d.line else ""
    return f"{pointer or 'environment'}{line}: {d.code}"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "envspec.jupyter"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.contents_manager.register_pre_save_hook(pre_save_hook)
    serverapp.log.info("envspec: notebooks' environments are packed on save")
