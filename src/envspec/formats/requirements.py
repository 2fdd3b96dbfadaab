"""``requirements``: a pip requirements file (``requirements.txt``).

Import keeps the file byte for byte.  Export writes the environment's
``requirements.txt`` as it is, or, for an environment with a conda file, the conda
dependencies translated to PyPI names and specifiers where the translation is exact,
followed by the file's ``pip:`` lines.  A requirements file cannot pin Python: the pin is
reported.
"""

from __future__ import annotations

from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source, read_entry

__all__ = ["Requirements"]


class Requirements(Format):
    """pip requirements files <-> envspec (and conda -> pip)."""

    name: ClassVar[str] = "requirements"
    summary: ClassVar[str] = (
        "requirements.txt (pip); exported from environment.yml where the mapping is exact"
    )
    inputs: ClassVar[tuple[str, ...]] = ("requirements.txt",)
    default_output: ClassVar[str] = "requirements.txt"

    def read(self, source: Source, options: Options) -> Converted:
        read = read_entry(source, self.inputs)
        if isinstance(read, Converted):
            return read
        _, text = read
        environment: dict[str, Any] = {"env_ver": "1.0", "files": {"requirements.txt": text}}
        return Converted(environment=environment)

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats._condapip import conda_to_requirement
        from envspec.formats._packages import conda_package, dropped_files, packages_of

        environment = document.environment
        packages = packages_of(environment)
        found: list[Diagnostic] = []
        python = packages.python
        if packages.conda_file is None:
            text = (environment.get("files") or {}).get("requirements.txt", "")
            carried = {"requirements.txt"}
        else:
            carried = {packages.conda_file}
            lines: list[str] = []
            for spec in packages.conda:
                bare = conda_package(spec)
                if bare in {"python", "pip"}:
                    python = python or (spec if bare == "python" else None)
                    continue
                translated = conda_to_requirement(spec)
                if translated.inexact is not None:
                    kept = f"; written as '{translated.spec}'" if translated.spec else "; dropped"
                    found.append(
                        diagnostic(
                            "conda-to-pip-inexact",
                            f"conda dependency '{spec}': {translated.inexact}{kept}",
                            document.path,
                            f"/files/{packages.conda_file}",
                        )
                    )
                if translated.spec is not None:
                    lines.append(translated.spec)
            lines += [line.text for line in packages.pip]
            text = "".join(f"{line}\n" for line in lines)
        if python:
            found.append(
                diagnostic(
                    "requirements-python-dropped",
                    f"the Python pin ({python}) is not carried: a requirements file cannot "
                    "name the Python version",
                    document.path,
                )
            )
        found += dropped_files(environment, carried, document.path, "requirements")
        return Converted(files={self.default_output: text.encode()}, diagnostics=tuple(found))
