"""``script`` and ``marimo``: a ``.py`` file with a PEP 723 ``# /// script`` block.

uv scripts (``uv run script.py``), marimo notebooks in sandbox mode (``marimo edit
--sandbox``) and pixi scripts (``pixi run --script``, conda dependencies under
``[tool.pixi.dependencies]``) all keep their environment in that block.  Import reads
it (see :mod:`envspec.formats.pep723` for the mapping); export writes a script whose
block describes the environment: a bare script for ``script``, a marimo notebook for
``marimo``; exported onto an existing script, only the script's block is replaced.
"""

from __future__ import annotations

from typing import ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source, only_file

__all__ = ["MarimoScript", "Script", "read_block_text"]

_MARIMO_BODY = """\
import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo

    return (mo,)


if __name__ == "__main__":
    app.run()
"""


def read_block_text(text: str, where: str, *, python: bool = True, pointer: str = "") -> Converted:
    """The environment of the ``script`` block in *text* (a file, or a notebook cell)."""
    from envspec.formats.pep723 import BlockProblem, find_script_block
    from envspec.formats.pep723_env import block_environment

    found = find_script_block(text, python=python)
    if found is None:
        why = "no '# /// script' block (PEP 723 inline script metadata)"
        return Converted(diagnostics=(diagnostic("pep723-missing", why, where, pointer),))
    if isinstance(found, BlockProblem):
        problem = diagnostic(
            found.code, found.message, where, pointer, line=found.line, column=found.column
        )
        return Converted(diagnostics=(problem,))
    mapped = block_environment(found)
    diagnostics = tuple(
        diagnostic(loss.code, loss.message, where, pointer, line=loss.line)
        for loss in mapped.losses
    )
    if mapped.environment is None:
        return Converted(diagnostics=diagnostics)
    return Converted(environment=mapped.environment, diagnostics=diagnostics)


def decode(data: bytes, where: str) -> str | Diagnostic:
    """UTF-8 text (PEP 723 reads files as UTF-8), or the diagnostic saying it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        why = f"the file is not UTF-8 (byte {exc.start}); PEP 723 blocks are read as UTF-8"
        return diagnostic("format-source-invalid", why, where)


class Script(Format):
    """A Python script with PEP 723 inline script metadata (uv, pipx, pixi, hatch)."""

    name: ClassVar[str] = "script"
    summary: ClassVar[str] = "a .py script's PEP 723 '# /// script' block (uv, pixi scripts)"
    inputs: ClassVar[tuple[str, ...]] = ("*.py",)
    default_output: ClassVar[str] = "script.py"
    #: What follows the block in an exported script.
    body: ClassVar[str] = ""

    def read(self, source: Source, options: Options) -> Converted:
        one = only_file(source, ".py files", ".py file", "name the script")
        if isinstance(one, Converted):
            return one
        name, data = one
        where = source.file(name)
        text = decode(data, where)
        if isinstance(text, Diagnostic):
            return Converted(diagnostics=(text,))
        return read_block_text(text, where)

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats.pep723_env import environment_block

        block, lost = environment_block(document.environment)
        warnings = tuple(diagnostic("pep723-not-carried", m, document.path) for m in lost)
        text = block + ("\n" + self.body if self.body else "")
        return Converted(files={self.default_output: text.encode()}, diagnostics=warnings)

    def update(self, existing: bytes, exported: bytes) -> bytes | None:
        """An existing script keeps its code: only its ``script`` block is replaced (or,
        without one, the block is put at the top).  A script whose blocks break the rules
        is not updated."""
        from envspec.formats.pep723 import Block, BlockProblem, find_script_block, replace_block

        try:
            text = existing.decode("utf-8")
        except UnicodeDecodeError:
            return None
        found = find_script_block(text, python=False)
        if isinstance(found, BlockProblem):
            return None
        new = exported.decode("utf-8")
        written = find_script_block(new, python=False)
        if not isinstance(written, Block):
            return None
        block = "".join(new.splitlines(keepends=True)[written.start - 1 : written.end])
        return replace_block(text, block).encode("utf-8")


class MarimoScript(Script):
    """A marimo notebook (``.py``) in sandbox mode: the same block at the top."""

    name: ClassVar[str] = "marimo"
    summary: ClassVar[str] = "a marimo notebook (.py) with a PEP 723 block (sandbox mode)"
    default_output: ClassVar[str] = "notebook.py"
    body: ClassVar[str] = _MARIMO_BODY
