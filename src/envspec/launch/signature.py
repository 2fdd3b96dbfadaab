"""Jupyter's own trust: a notebook signed by this user (``jupyter trust NOTEBOOK``).

Jupyter signs a notebook the user trusts with an HMAC of its whole content,
keyed by a secret of the user's Jupyter data folder, and records the signature
in a database there (nbformat's ``NotebookNotary``).  A signed notebook is
trusted as if ``--trust`` were given.

The check here is nbformat's, read-only and without importing nbformat (whose
import takes seconds): the same digest (``sha256`` over every key and value,
sorted keys, the signature left out), looked up in the same database, opened
read-only.  Nothing is created or updated: without the database or the secret,
nothing is signed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["is_signed", "notebook_digest"]

_ALGORITHM = "sha256"


def _everything(value: Any) -> Iterator[bytes]:
    # nbformat.sign.yield_everything
    if isinstance(value, dict):
        for key in sorted(value):
            yield key.encode()
            yield from _everything(value[key])
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _everything(item)
    elif isinstance(value, str):
        yield value.encode("utf8")
    else:
        yield str(value).encode("utf8")


def notebook_digest(notebook: dict[str, Any], secret: bytes) -> str:
    """The signature Jupyter gives *notebook* (a decoded notebook) with *secret*."""
    metadata = notebook.get("metadata")
    if isinstance(metadata, dict) and "signature" in metadata:
        metadata = {k: v for k, v in metadata.items() if k != "signature"}
        notebook = {**notebook, "metadata": metadata}
    digest = hmac.new(secret, digestmod=hashlib.sha256)
    for chunk in _everything(notebook):
        digest.update(chunk)
    return digest.hexdigest()


def _data_dir() -> Path | None:
    try:
        from jupyter_core.paths import jupyter_data_dir
    except ImportError:  # pragma: no cover (jupyter_core comes with the launch extra)
        return None
    return Path(jupyter_data_dir())


def is_signed(notebook: str | os.PathLike[str], *, data_dir: str | None = None) -> bool:
    """Whether this user's Jupyter has signed *notebook* as trusted (the notary database
    of *data_dir*, by default Jupyter's data folder).  Anything that is not a readable
    notebook is not signed."""
    folder = Path(data_dir) if data_dir is not None else _data_dir()
    if folder is None:
        return False
    database, secret_file = folder / "nbsignatures.db", folder / "notebook_secret"
    if not database.is_file() or not secret_file.is_file():
        return False
    if Path(notebook).suffix != ".ipynb":
        return False
    try:
        document = json.loads(Path(notebook).read_bytes())
        secret = secret_file.read_bytes()
    except (OSError, ValueError):
        return False
    if not isinstance(document, dict) or not isinstance(document.get("nbformat"), int):
        return False
    if document["nbformat"] < 3:
        return False
    signature = notebook_digest(document, secret)
    try:
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = connection.execute(
                "SELECT id FROM nbsignatures WHERE algorithm = ? AND signature = ?",
                (_ALGORITHM, signature),
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return row is not None
