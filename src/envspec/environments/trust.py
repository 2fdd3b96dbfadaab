"""Trust: whether code files of a notebook's environment may run.

``postBuild`` and ``start`` are code from whoever wrote the notebook.  They run
only when the person launching trusts it: ``--trust`` on the command line, or a
notebook that Jupyter itself trusts, i.e. one whose signature is in Jupyter's
notary database (``jupyter trust NOTEBOOK``, or a notebook saved by its user in
Jupyter).  A standalone envspec file or a folder has no signature: only
``--trust`` allows its code.

There is one check, :func:`envspec.launch.signature.is_signed`: Jupyter's own
signature (the digest nbformat's notary computes, which its tests compare),
looked up read-only, so that checking creates and changes nothing.
"""

from __future__ import annotations

import os

__all__ = ["is_trusted"]


def is_trusted(notebook_path: str | os.PathLike[str], *, data_dir: str | None = None) -> bool:
    """Whether Jupyter trusts the notebook at *notebook_path* (its signature is in the
    notary database of *data_dir*, by default Jupyter's data folder).

    Anything that is not a readable notebook is not trusted.
    """
    from envspec.launch.signature import is_signed

    return is_signed(notebook_path, data_dir=data_dir)
