"""Trust: whether code files of a notebook's environment may run.

``postBuild`` and ``start`` are code from whoever wrote the notebook.  They run
only when the person launching trusts it: ``--trust`` on the command line, or a
notebook that Jupyter itself trusts, i.e. one whose signature is in Jupyter's
notary database (``jupyter trust NOTEBOOK``, or a notebook saved by its user in
Jupyter).  The check is nbformat's :class:`~nbformat.sign.NotebookNotary`, the
same as Jupyter's.  A standalone envspec file or a folder has no signature: only
``--trust`` allows its code.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["is_trusted"]


def is_trusted(notebook_path: str | os.PathLike[str], *, data_dir: str | None = None) -> bool:
    """Whether Jupyter trusts the notebook at *notebook_path* (its signature is in the
    notary database of *data_dir*, by default Jupyter's data folder).

    Anything that is not a readable notebook is not trusted.
    """
    path = Path(notebook_path)
    if path.suffix != ".ipynb" or not path.is_file():
        return False
    if data_dir is None:
        from jupyter_core.paths import jupyter_data_dir

        data_dir = jupyter_data_dir()
    # Checking must create nothing: the notary opens (so creates) its database and
    # secret when it is made.  Without them nothing is signed.
    folder = Path(data_dir)
    if not (folder / "nbsignatures.db").is_file() or not (folder / "notebook_secret").is_file():
        return False
    import nbformat
    from nbformat.sign import NotebookNotary

    try:
        notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    except Exception:  # any notebook nbformat cannot read is untrusted  # noqa: BLE001
        return False
    notary = NotebookNotary(data_dir=data_dir)  # type: ignore[no-untyped-call]
    try:
        return bool(notary.check_signature(notebook))  # type: ignore[no-untyped-call]
    except Exception:  # a damaged database: nothing is signed  # noqa: BLE001
        return False
    finally:
        store = getattr(notary, "store", None)
        close = getattr(store, "close", None)
        if close is not None:
            close()
