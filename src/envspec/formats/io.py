"""The edges of a conversion: read the source from disk, check the result, write atomically.

:func:`import_path` reads a file or folder and gives the environment a format describes,
checked with envspec's own validator; :func:`write_environment` embeds it in a notebook
(created when missing, every other byte of an existing one kept) or writes a standalone
envspec file.  :func:`export_path` reads a notebook or envspec file and gives the files of
a format; :func:`write_files` writes them, refusing to replace a different file unless
asked, and writing nothing that is already identical (a second run changes no byte).
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source

__all__ = [
    "MAX_INPUT_BYTES",
    "WriteOutcome",
    "export_path",
    "import_path",
    "read_source",
    "write_environment",
    "write_files",
]

#: Larger input files are refused (a notebook environment is never that big).
MAX_INPUT_BYTES = 16 * 1024 * 1024
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".pixi"}


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """Paths written, paths already identical, and what stopped writing."""

    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing stopped writing."""
        return not any(d.severity == "error" for d in self.diagnostics)


def _unreadable(path: str, why: str) -> Converted:
    return Converted(diagnostics=(diagnostic("file-unreadable", why, path),))


def read_source(path: str, fmt: Format) -> Source | Converted:
    """The :class:`Source` at *path* for *fmt*, or a :class:`Converted` with the error."""
    if os.path.isdir(path):
        files: dict[str, bytes] = {}
        root = Path(path)
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
            for name in sorted(names):
                full = Path(folder, name)
                relative = full.relative_to(root).as_posix()
                if not any(fnmatch.fnmatchcase(relative, p) for p in fmt.inputs):
                    continue
                data = _read_file(str(full))
                if isinstance(data, Converted):
                    return data
                files[relative] = data
        return Source(path, files, is_folder=True)
    data = _read_file(path)
    if isinstance(data, Converted):
        return data
    return Source(path, {os.path.basename(path): data})


def _read_file(path: str) -> bytes | Converted:
    try:
        size = os.stat(path).st_size
        if size > MAX_INPUT_BYTES:
            return _unreadable(path, f"the file is {size} bytes (more than {MAX_INPUT_BYTES})")
        with open(path, "rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        return _unreadable(path, f"cannot read the file: {exc.strerror or exc}")


def import_path(fmt: Format, path: str, options: Options | None = None) -> Converted:
    """The environment *fmt* reads from *path*, with diagnostics (ours and the validator's)."""
    source = read_source(path, fmt)
    if isinstance(source, Converted):
        return source
    converted = fmt.read(source, options or Options())
    if converted.environment is None:
        return converted
    from envspec.validate import validate_environment

    checked = validate_environment(converted.environment, file=path)
    return replace(converted, diagnostics=(*converted.diagnostics, *checked))


def export_path(fmt: Format, path: str, options: Options | None = None) -> Converted:
    """The files *fmt* writes for the notebook or envspec file at *path*.  An invalid
    environment is refused with the validator's diagnostics."""
    from envspec.notebook import kind_of, read_document
    from envspec.validate import validate_environment

    data = _read_file(path)
    if isinstance(data, Converted):
        return data
    kind = kind_of(path) or "notebook"
    read = read_document(data, kind)
    problems = [
        diagnostic(f.code, f.message, path, line=f.line, column=f.column, hint=f.hint)
        for f in read.findings
        if f.code != "environment-missing"
    ]
    if read.document is None or any(d.severity == "error" for d in problems):
        return Converted(diagnostics=tuple(problems))
    notebook = read.document if kind == "notebook" else None
    environment: Any = (
        read.document.get("metadata", {}).get("environment")
        if notebook is not None
        else read.document
    )
    pointer = "/metadata/environment" if notebook is not None else ""
    if not isinstance(environment, Mapping):
        return Converted(
            diagnostics=(
                diagnostic(
                    "environment-missing",
                    "the notebook has no 'metadata.environment'",
                    path,
                    "/metadata",
                ),
            )
        )
    kernelspec = notebook.get("metadata", {}).get("kernelspec") if notebook else None
    checked = validate_environment(environment, kernelspec=kernelspec, file=path, pointer=pointer)
    if any(d.severity == "error" for d in checked):
        return Converted(diagnostics=tuple(checked))
    converted = fmt.write(Document(path, environment, notebook, data), options or Options())
    return replace(converted, diagnostics=(*checked, *converted.diagnostics))


def environment_text(environment: Mapping[str, Any], output: str) -> bytes:
    """The standalone envspec file for *output* (``.json`` or YAML)."""
    if output.lower().endswith(".json"):
        return (json.dumps(environment, indent=2, ensure_ascii=False) + "\n").encode()
    from envspec.migrations.yaml_text import dump_yaml

    return dump_yaml(dict(environment))


def _new_notebook(environment: Mapping[str, Any]) -> bytes:
    metadata: dict[str, Any] = {"environment": dict(environment)}
    kernel = environment.get("kernel")
    if isinstance(kernel, Mapping) and kernel.get("name"):
        metadata["kernelspec"] = {
            "name": kernel["name"],
            "display_name": kernel.get("display_name") or kernel["name"],
            "language": kernel.get("language", "python"),
        }
    document = {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    # Keys sorted, as nbformat writes notebooks (and as an edit of this one keeps them).
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_environment(environment: Mapping[str, Any], output: str) -> WriteOutcome:
    """Embed *environment* in the notebook *output* (created when missing, its other bytes
    kept) or write the envspec file *output*; nothing is written when it is identical, or
    when the writers' gate refuses it (a secret value: :mod:`envspec.writers`)."""
    from envspec._atomic import write_atomic
    from envspec.writers import gate

    verdict = gate(environment, file=output)
    if verdict.refused:
        return WriteOutcome(diagnostics=verdict.stops)

    if output.lower().endswith(".ipynb"):
        try:
            with open(output, "rb") as handle:
                old: bytes | None = handle.read()
        except FileNotFoundError:
            old = None
        except OSError as exc:
            why = f"cannot read the notebook: {exc.strerror or exc}"
            return WriteOutcome(diagnostics=(diagnostic("file-unreadable", why, output),))
        if old is None:
            new = _new_notebook(environment)
        else:
            from envspec.nbedit import NotebookEditError, edit_metadata

            try:
                new = edit_metadata(old.decode("utf-8"), {"environment": dict(environment)}).encode(
                    "utf-8"
                )
            except (NotebookEditError, UnicodeDecodeError) as exc:
                why = f"cannot embed the environment: {exc}"
                return WriteOutcome(diagnostics=(diagnostic("not-a-notebook", why, output),))
    else:
        old = _existing(output)
        new = environment_text(environment, output)
    if old == new:
        return WriteOutcome(unchanged=(output,))
    try:
        write_atomic(output, new)
    except OSError as exc:
        why = f"cannot write the file: {exc.strerror or exc}"
        return WriteOutcome(diagnostics=(diagnostic("file-unreadable", why, output),))
    return WriteOutcome(written=(output,))


def _existing(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def output_paths(files: Mapping[str, bytes], output: str, fmt: Format) -> dict[str, bytes]:
    """Where each exported file goes: a single file at *output* (a folder *output* gets the
    format's conventional name); several files below the folder *output*."""
    if len(files) == 1 and not fmt.default_output.endswith("/"):
        ((name, data),) = files.items()
        if os.path.isdir(output) or output.endswith(os.sep):
            return {os.path.join(output, name): data}
        return {output: data}
    return {os.path.join(output, *name.split("/")): data for name, data in files.items()}


def _mode(path: str) -> int | None:
    """The executable scripts of the vocabulary (``postBuild``, ``start``) are written with
    the executable bit, as ``envspec unpack`` writes them; other files keep their mode."""
    from envspec.vocabulary import FILES

    spec = FILES.get(os.path.basename(path))
    return 0o755 if spec is not None and spec.executable else None


def write_files(
    files: Mapping[str, bytes], output: str, fmt: Format, *, force: bool = False
) -> WriteOutcome:
    """Write *files* (see :func:`output_paths`) atomically.  A different existing file is
    updated when the format owns only part of it (:meth:`Format.update`), else refused
    unless *force* (all are listed, nothing is written); identical ones are left."""
    from envspec._atomic import write_atomic

    targets = output_paths(files, output, fmt)
    updated: set[str] = set()
    for path, data in targets.items():
        # A format that owns only part of its file (a script's block) updates that part:
        # no other byte changes, so no --force is needed.
        old = _existing(path)
        if old is not None and old != data:
            merged = fmt.update(old, data)
            if merged is not None:
                targets[path] = merged
                updated.add(path)
    changed = {p: d for p, d in targets.items() if _existing(p) != d}
    unchanged = tuple(p for p in targets if p not in changed)
    if not force:
        refused = [p for p in changed if os.path.lexists(p) and p not in updated]
        if refused:
            return WriteOutcome(
                unchanged=unchanged,
                diagnostics=tuple(
                    diagnostic(
                        "format-output-exists",
                        "the file exists and differs from the export",
                        p,
                    )
                    for p in refused
                ),
            )
    written: list[str] = []
    for path, data in changed.items():
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            write_atomic(path, data, mode=_mode(path))
        except OSError as exc:
            why = f"cannot write the file: {exc.strerror or exc}"
            return WriteOutcome(
                tuple(written), unchanged, (diagnostic("file-unreadable", why, path),)
            )
        written.append(path)
    return WriteOutcome(tuple(written), unchanged)
