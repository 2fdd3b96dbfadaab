"""``binder``: a repository folder with repo2docker's configuration files.

Import follows repo2docker's folder rule, as ``envspec pack`` does: a ``binder/`` or
``.binder/`` folder, when there is one, is the only place read (both is an error), and the
root's files are then not inputs; every configuration file found is carried byte for byte,
and ``runtime.txt``'s ``python-X.Y`` gives the Python pin.  Files repo2docker reads that an
environment cannot carry (``setup.py``, ``pyproject.toml``, ``DESCRIPTION``, ...) are reported.

Export writes the environment's files into a folder (``-o repo/binder`` or the repository
root), ``postBuild`` and ``start`` executable; a Python pin with no file that carries it
becomes ``runtime.txt``.  Nothing is run.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic, escape_pointer
from envspec.formats._base import Converted, Document, Format, Options, Source

__all__ = ["BinderFormat"]

_BINDER_DIRS = ("binder", ".binder")


def _inputs() -> tuple[str, ...]:
    from envspec.pack import NOT_EMBEDDABLE
    from envspec.vocabulary import FILES

    names = [*FILES, *NOT_EMBEDDABLE]
    # A binder folder is noticed by any file in it: repo2docker then reads only it.
    return (*names, *(f"{d}/*" for d in _BINDER_DIRS))


class BinderFormat(Format):
    """A Binder (repo2docker) repository folder."""

    name: ClassVar[str] = "binder"
    summary: ClassVar[str] = "a repository folder with repo2docker's files (binder/ or .binder/)"
    inputs: ClassVar[tuple[str, ...]] = _inputs()
    default_output: ClassVar[str] = "binder/"

    def read(self, source: Source, options: Options) -> Converted:
        from envspec.checks.textfiles import runtime_python
        from envspec.pack import _ROOT_ONLY, NOT_EMBEDDABLE
        from envspec.vocabulary import FILES

        notes: list[Diagnostic] = []
        present = [d for d in _BINDER_DIRS if any(n.startswith(f"{d}/") for n in source.files)]
        if len(present) == 2:
            found = diagnostic(
                "binder-dir-conflict", "both 'binder/' and '.binder/' exist", source.path
            )
            return Converted(diagnostics=(found,))
        prefix = f"{present[0]}/" if present else ""
        if prefix:
            notes += [
                diagnostic(
                    "binder-not-carried",
                    f"{name!r} at the root is not read: '{prefix}' takes precedence",
                    source.file(name),
                )
                for name in FILES
                if name in source.files
            ]
        files: dict[str, str] = {}
        for name in FILES:
            path = prefix + name
            if path not in source.files:
                continue
            data = source.files[path]
            try:
                files[name] = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                why = f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8"
                notes.append(diagnostic("not-utf8", why, source.file(path)))
        for name, reason in NOT_EMBEDDABLE.items():
            # The "install the repository" files count only at the root, without binder/.
            if name in _ROOT_ONLY and prefix:
                continue
            if prefix + name in source.files:
                notes.append(
                    diagnostic(
                        "binder-not-carried",
                        f"{name!r} is read by repo2docker but not carried: {reason}",
                        source.file(prefix + name),
                    )
                )
        if any(d.severity == "error" for d in notes):
            return Converted(diagnostics=tuple(notes))
        if not files:
            where = f"'{prefix}'" if prefix else "the source"
            why = (
                f"{where} holds none of repo2docker's configuration files"
                if source.is_folder
                else f"{source.path!r} is not one of repo2docker's configuration files"
            )
            notes.append(diagnostic("binder-no-inputs", why, source.path))
            return Converted(diagnostics=tuple(notes))
        environment: dict[str, Any] = {"env_ver": "1.0", "files": files}
        python = runtime_python(files["runtime.txt"]) if "runtime.txt" in files else None
        if python and re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", python):
            environment["python"] = python
        return Converted(environment=environment, diagnostics=tuple(notes))

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats import _container as c
        from envspec.vocabulary import FILES

        environment = document.environment
        files = {n: t for n, t in (environment.get("files") or {}).items() if isinstance(t, str)}
        notes: list[Diagnostic] = []
        pin = environment.get("python")
        if (
            isinstance(pin, str)
            and "runtime.txt" not in files
            and c.conda_name(files) is None
            and "Dockerfile" not in files
        ):
            files["runtime.txt"] = f"python-{pin}\n"
        elif isinstance(pin, str) and "runtime.txt" not in files:
            notes.append(
                diagnostic(
                    "binder-not-carried",
                    "the Python pin is not written: the conda file or the Dockerfile "
                    "chooses Python for repo2docker",
                    document.path,
                    "/python",
                )
            )
        for name in files:
            spec = FILES.get(name)
            if spec is not None and not spec.binder:
                notes.append(
                    diagnostic(
                        "binder-not-carried",
                        f"{name!r} is written, but repo2docker does not read it",
                        document.path,
                        f"/files/{escape_pointer(name)}",
                    )
                )
        for member in ("image", "env", "hardware", "cloud"):
            if environment.get(member):
                notes.append(
                    diagnostic(
                        "binder-not-carried",
                        f"{member!r} is not carried: a repository folder has no place for it",
                        document.path,
                        f"/{member}",
                    )
                )
        if not files:
            why = "the environment has no files for a repository folder"
            notes.append(diagnostic("binder-no-inputs", why, document.path, "/files"))
            return Converted(diagnostics=tuple(notes))
        out = {n: files[n].encode("utf-8") for n in FILES if n in files}
        return Converted(files=out, diagnostics=tuple(notes))
