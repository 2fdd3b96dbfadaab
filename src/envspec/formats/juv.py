"""``juv``: a Jupyter notebook whose first code cell holds a PEP 723 ``# /// script`` block.

juv (``juv init``, ``juv add``, ``juv run``) keeps a notebook's dependencies in the
source of the first code cell whose text has a ``script`` block, and its lock, uv's
``uv.lock`` TOML as one string, under the notebook metadata key ``"uv.lock"``.

Import reads the block (the rules of :mod:`envspec.formats.pep723`, a block in two code
cells or outside a code cell being errors) and keeps the lock in the environment's
``extensions["juv"]["uv.lock"]``.  Export writes the notebook it is given with the
block cell inserted (a hidden code cell at the top, as juv makes it) or its source
updated; every other cell keeps its bytes, the envspec metadata stays, and the lock
kept in the extension goes back under ``"uv.lock"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source, only_file

__all__ = ["JUV_LOCK_KEY", "Juv", "insert_block_cell"]

#: The notebook metadata key juv keeps its lock under (juv ``_lock.py``).
JUV_LOCK_KEY = "uv.lock"
#: The id of a cell the export inserts (nbformat >= 4.5 cells have ids).
_CELL_ID = "pep723-script"
#: The kernelspec juv gives a new notebook.
_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


def _block_cells(cells: list[Any]) -> tuple[list[int], list[int]]:
    """Indices of code cells and of other cells whose source has a ``# /// script`` line."""
    code: list[int] = []
    other: list[int] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, Mapping):
            continue
        if re.search(r"(?m)^# /// script\r?$", _source(cell)):
            (code if cell.get("cell_type") == "code" else other).append(index)
    return code, other


class Juv(Format):
    """A juv notebook."""

    name: ClassVar[str] = "juv"
    summary: ClassVar[str] = "a juv notebook: the PEP 723 block in a code cell, the uv.lock"
    inputs: ClassVar[tuple[str, ...]] = ("*.ipynb",)
    default_output: ClassVar[str] = "notebook.ipynb"
    writes_notebook: ClassVar[bool] = True

    def read(self, source: Source, options: Options) -> Converted:
        from envspec.formats.script import read_block_text

        one = only_file(source, "notebooks", "notebook (.ipynb)", "name one")
        if isinstance(one, Converted):
            return one
        name, data = one
        where = source.file(name)
        try:
            notebook = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            why = f"not a notebook: the file is not JSON ({exc})"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, where),))
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        if not isinstance(cells, list):
            why = "not a notebook: no 'cells' list"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, where),))
        code, other = _block_cells(cells)
        if other:
            index = other[0]
            kind = cells[index].get("cell_type", "unknown")
            why = (
                f"cell {index} is a {kind} cell with a '# /// script' block; juv reads the "
                "block only from a code cell"
            )
            return Converted(
                diagnostics=(
                    diagnostic("pep723-misplaced", why, where, f"/cells/{index}/source", line=1),
                )
            )
        if len(code) > 1:
            why = (
                f"code cells {', '.join(map(str, code))} each have a '# /// script' block; "
                "juv reads only the first, PEP 723 allows one"
            )
            return Converted(
                diagnostics=(
                    diagnostic("pep723-two-blocks", why, where, f"/cells/{code[1]}/source"),
                )
            )
        if not code:
            why = "no code cell has a '# /// script' block (juv init or juv add writes one)"
            return Converted(diagnostics=(diagnostic("pep723-missing", why, where, "/cells"),))
        pointer = f"/cells/{code[0]}/source"
        converted = read_block_text(_source(cells[code[0]]), where, pointer=pointer)
        if converted.environment is None:
            return converted
        environment = converted.environment
        diagnostics = list(converted.diagnostics)
        metadata = notebook.get("metadata")
        lock = metadata.get(JUV_LOCK_KEY) if isinstance(metadata, Mapping) else None
        if isinstance(lock, str):
            problem = _lock_problem(lock)
            if problem is None:
                environment["extensions"] = {"juv": {JUV_LOCK_KEY: lock}}
                stale = _stale(lock, environment)
                if stale:
                    diagnostics.append(
                        diagnostic("juv-lock-stale", stale, where, f"/metadata/{JUV_LOCK_KEY}")
                    )
            else:
                diagnostics.append(
                    diagnostic(
                        "juv-lock-invalid",
                        f"the notebook's uv.lock is not a uv lock file ({problem}); it is "
                        "not carried over",
                        where,
                        f"/metadata/{JUV_LOCK_KEY.replace('~', '~0')}",
                    )
                )
        elif lock is not None:
            diagnostics.append(
                diagnostic(
                    "juv-lock-invalid",
                    "the notebook's uv.lock is not a string (juv writes the lock file's text)",
                    where,
                    f"/metadata/{JUV_LOCK_KEY}",
                )
            )
        return Converted(environment=environment, diagnostics=tuple(diagnostics))

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats.io import _new_notebook
        from envspec.formats.pep723_env import environment_block

        block, lost = environment_block(document.environment)
        diagnostics: list[Diagnostic] = [
            diagnostic("pep723-not-carried", m, document.path) for m in lost
        ]
        name = document.path.replace("\\", "/").rsplit("/", 1)[-1]
        if document.notebook is None or not name.lower().endswith(".ipynb"):
            # A new notebook as juv makes one: the block cell and a Python 3 kernelspec.
            text = _new_notebook(document.environment).decode("utf-8")
            if "kernelspec" not in json.loads(text)["metadata"]:
                from envspec.nbedit import edit_metadata

                text = edit_metadata(text, {"kernelspec": _KERNELSPEC})
            name = self.default_output
        elif document.data is not None:
            text = document.data.decode("utf-8")
        else:  # a caller without the bytes: nbformat's layout
            text = json.dumps(document.notebook, indent=1, sort_keys=True, ensure_ascii=False)
            text += "\n"
        try:
            text = insert_block_cell(text, block)
        except ValueError as exc:
            why = f"cannot write the block cell: {exc}"
            return Converted(diagnostics=(diagnostic("not-a-notebook", why, document.path),))
        extensions = document.environment.get("extensions") or {}
        juv = extensions.get("juv") if isinstance(extensions, Mapping) else None
        lock = juv.get(JUV_LOCK_KEY) if isinstance(juv, Mapping) else None
        if isinstance(lock, str):
            from envspec.nbedit import edit_metadata

            text = edit_metadata(text, {JUV_LOCK_KEY: lock})
            stale = _stale(lock, document.environment)
            if stale:
                diagnostics.append(
                    diagnostic("juv-lock-stale", stale, document.path, "/extensions/juv")
                )
        return Converted(files={name: text.encode("utf-8")}, diagnostics=tuple(diagnostics))

    def update(self, existing: bytes, exported: bytes) -> bytes | None:
        """An existing notebook gets the exported block cell and lock; its other cells
        and metadata (its envspec environment included) keep their bytes."""
        try:
            text = existing.decode("utf-8")
            new = json.loads(exported)
            cells = new["cells"]
            code, _ = _block_cells(cells)
            block = _source(cells[code[0]])
            old = json.loads(text)
            if not isinstance(old, dict) or not isinstance(old.get("cells"), list):
                return None
            _, other = _block_cells(old["cells"])
            if other or len(_block_cells(old["cells"])[0]) > 1:
                return None  # a block in the wrong place: not ours to guess
            text = insert_block_cell(text, block + "\n")
            lock = new.get("metadata", {}).get(JUV_LOCK_KEY)
            if isinstance(lock, str):
                from envspec.nbedit import edit_metadata

                text = edit_metadata(text, {JUV_LOCK_KEY: lock})
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        return text.encode("utf-8")


def _lock_problem(text: str) -> str | None:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"TOML error: {exc}"
    if not isinstance(data.get("version"), int):
        return "no integer 'version'"
    return None


def _stale(lock: str, environment: Mapping[str, Any]) -> str | None:
    """What differs between the requirements a uv lock was made for and the environment's
    block dependencies (names only), or ``None``."""
    import tomllib

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from envspec.formats.pep723 import Block, find_script_block
    from envspec.formats.pep723_env import environment_block

    try:
        manifest = tomllib.loads(lock).get("manifest", {})
    except tomllib.TOMLDecodeError:
        return None
    entries = manifest.get("requirements", []) if isinstance(manifest, Mapping) else []
    locked = {
        canonicalize_name(str(e["name"])) for e in entries if isinstance(e, Mapping) and "name" in e
    }
    block, _ = environment_block(environment)
    found = find_script_block(block, python=False)
    if not isinstance(found, Block):
        return None
    declared = tomllib.loads(found.toml).get("dependencies", [])
    wanted: set[str] = set()
    for requirement in declared:
        try:
            wanted.add(canonicalize_name(Requirement(requirement).name))
        except InvalidRequirement:
            return None
    if wanted == locked:
        return None
    parts = []
    if wanted - locked:
        parts.append(f"not locked: {', '.join(sorted(wanted - locked))}")
    if locked - wanted:
        parts.append(f"locked but not required: {', '.join(sorted(locked - wanted))}")
    return f"the uv.lock was made for other dependencies ({'; '.join(parts)})"


# ------------------------------------------------------------------ splicing the cell


def _array_items(text: str, start: int) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each element of the JSON array at *start*, and the index of ``]``."""
    from envspec.nbedit import _DECODER, _skip

    if text[start : start + 1] != "[":
        raise ValueError("'cells' is not a list")
    items: list[tuple[int, int]] = []
    i = _skip(text, start + 1)
    if text[i : i + 1] == "]":
        return items, i
    while True:
        _, end = _DECODER.raw_decode(text, i)
        items.append((i, end))
        i = _skip(text, end)
        if text[i : i + 1] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i : i + 1] == "]":
            return items, i
        raise ValueError(f"expected ',' or ']' at offset {i}")


def _indent_before(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    before = text[line_start:pos]
    return before if before.strip() == "" else ""


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def insert_block_cell(text: str, block: str) -> str:
    """Notebook *text* with *block* as the source of the first code cell holding a
    ``script`` block (that cell's block replaced, its other lines kept), or in a new hidden
    code cell at the top.  Every other byte is kept; the edit follows the file's layout."""
    from envspec.formats.pep723 import replace_block
    from envspec.nbedit import _members, _skip

    notebook = json.loads(text)
    top, _ = _members(text, _skip(text, 0))
    cells_member = next((m for m in reversed(top) if m.key == "cells"), None)
    if cells_member is None:
        raise ValueError("the notebook has no 'cells'")
    items, close = _array_items(text, cells_member.value_start)
    code, _ = _block_cells(notebook["cells"])
    newline = "\r\n" if "\r\n" in text else "\n"
    multiline = "\n" in text
    if code:
        index = code[0]
        cell_start, _ = items[index]
        members, _ = _members(text, cell_start)
        source = next((m for m in members if m.key == "source"), None)
        if source is None:
            raise ValueError(f"cell {index} has no 'source'")
        old = _source(notebook["cells"][index])
        new = replace_block(old, block.rstrip("\n"))
        if new == old:
            return text
        value: Any = new if isinstance(notebook["cells"][index]["source"], str) else _lines(new)
        key_indent = _indent_before(text, source.key_start)
        cell_indent = _indent_before(text, cell_start)
        formatted = _dump(value, key_indent, cell_indent, newline, multiline)
        return text[: source.value_start] + formatted + text[source.value_end :]
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"jupyter": {"source_hidden": True}},
        "outputs": [],
        "source": _lines(block.rstrip("\n")),
    }
    minor = notebook.get("nbformat_minor")
    if notebook.get("nbformat") == 4 and isinstance(minor, int) and minor >= 5:
        ids = {c.get("id") for c in notebook["cells"] if isinstance(c, Mapping)}
        cell["id"] = _CELL_ID if _CELL_ID not in ids else f"{_CELL_ID}-{len(ids)}"
    cells_indent = _indent_before(text, cells_member.key_start)
    if items:
        cell_indent = _indent_before(text, items[0][0])
    else:
        cell_indent = cells_indent + (cells_indent[:1] or " ")
    unit = cell_indent[len(cells_indent) :] or " "
    formatted = _dump(cell, cell_indent + unit, cell_indent, newline, multiline, sort=True)
    if items:
        first = items[0][0]
        gap = text[cells_member.value_start + 1 : first]
        return text[:first] + formatted + "," + gap + text[first:]
    opening = cells_member.value_start + 1
    body = newline + cell_indent + formatted + newline + cells_indent if multiline else formatted
    return text[:opening] + body + text[close:]


def _dump(
    value: Any,
    member_indent: str,
    outer_indent: str,
    newline: str,
    multiline: bool,
    *,
    sort: bool = False,
) -> str:
    if not multiline:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort)
    unit = len(member_indent) - len(outer_indent) or 1
    dumped = json.dumps(value, indent=unit, ensure_ascii=False, sort_keys=sort)
    base = member_indent if not isinstance(value, dict) else outer_indent
    return dumped.replace("\n", newline + base)
