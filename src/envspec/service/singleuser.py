"""``python -m envspec.service.singleuser``: JupyterHub's single-user server, started faster.

The envspec spawners' command.  It is ``jupyterhub-singleuser`` (JupyterLab behind the
hub's OAuth) with one change: jsonschema's optional IRI format checker
(``rfc3987_syntax``, pulled in by jupyter-events) is not imported.  That module builds
a grammar when it is imported, a second or more of the server's start, for a check
Jupyter's event schemas never make.  Everything else is JupyterHub's own code, with
its own arguments and environment.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> int:
    # a module set to None in sys.modules raises ImportError when imported: jsonschema
    # then goes without its "iri" format checker (formats are annotations unless asked)
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    from jupyterhub.singleuser import main as singleuser

    result = singleuser()
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
