"""Jupyter's own trust: a notebook signed by this user (``jupyter trust NOTEBOOK``).

Jupyter signs a notebook the user trusts with a secret of the user's Jupyter
data folder, and records the signature there.  A signed notebook is trusted
as if ``--trust`` were given.  Reading never creates the signature database:
without it nothing is signed.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["is_signed"]


def is_signed(notebook: str | os.PathLike[str]) -> bool:
    """Whether this user's Jupyter has signed *notebook* as trusted."""
    try:
        import nbformat
        from nbformat.sign import NotebookNotary
    except ImportError:  # pragma: no cover (nbformat comes with the launch extra)
        return False
    from jupyter_core.paths import jupyter_data_dir

    # The notary opens (and so creates) its database when it is made: look first.
    if not (Path(jupyter_data_dir()) / "nbsignatures.db").is_file():
        return False
    notary = NotebookNotary()  # type: ignore[no-untyped-call]
    try:
        nb = nbformat.read(os.fspath(notebook), as_version=4)  # type: ignore[no-untyped-call]
        return bool(notary.check_signature(nb))  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 (an unreadable notebook or database is not signed)
        return False
