"""``envspec``: the environment itself, as a standalone envspec file or embedded in a notebook.

Import reads a notebook's ``metadata.environment`` or a ``*.envspec.yaml`` /
``*.envspec.json`` file; export writes the standalone file.  Together with ``-o
NOTEBOOK`` this moves an environment between a notebook and a file people edit by hand.
"""

from __future__ import annotations

from typing import Any, ClassVar

from envspec.diagnostics import diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source

__all__ = ["EnvspecFile"]


class EnvspecFile(Format):
    """The envspec standard's own document."""

    name: ClassVar[str] = "envspec"
    summary: ClassVar[str] = "a standalone *.envspec.yaml/.json file, or a notebook's environment"
    inputs: ClassVar[tuple[str, ...]] = ("*.envspec.yaml", "*.envspec.yml", "*.envspec.json")
    default_output: ClassVar[str] = "environment.envspec.yaml"

    def read(self, source: Source, options: Options) -> Converted:
        from envspec.notebook import kind_of, read_document

        found = [(n, d) for n, d in source.files.items() if kind_of(n) is not None]
        if len(found) != 1:
            if not source.is_folder:
                why = "not a notebook (.ipynb) or envspec file (.envspec.yaml, .envspec.json)"
            elif not found:
                why = "the folder holds no envspec file (*.envspec.yaml, *.envspec.json)"
            else:
                why = f"the folder holds {len(found)} envspec files; name one"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, source.path),))
        name, data = found[0]
        read = read_document(data, kind_of(name) or "notebook")
        where = source.file(name)
        problems = tuple(
            diagnostic(f.code, f.message, where, line=f.line, column=f.column, hint=f.hint)
            for f in read.findings
        )
        if read.document is None or any(d.severity == "error" for d in problems):
            return Converted(diagnostics=problems)
        environment: Any = (
            read.document.get("metadata", {}).get("environment")
            if kind_of(name) == "notebook"
            else read.document
        )
        if not isinstance(environment, dict):
            why = "the notebook has no 'metadata.environment'"
            return Converted(diagnostics=(diagnostic("environment-missing", why, where),))
        return Converted(environment=environment, diagnostics=problems)

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats.io import environment_text

        name = self.default_output
        return Converted(files={name: environment_text(document.environment, name)})
