"""``conda``: a conda environment file (``environment.yml``).

Import keeps the file byte for byte, takes the Python pin from its ``python``
dependency and the environment's ``env`` from its ``variables`` (see
:mod:`envspec.formats._condavars`).  Export writes the environment's conda file as it is
(adding the pinned ``python`` when the file names none, and ``variables`` from ``env``),
or, for an environment with ``requirements.txt``, an ``environment.yml`` whose
dependencies are the requirements translated to conda-forge names and specifiers where
the translation is exact; the others stay under ``pip:``, each with a warning.
"""

from __future__ import annotations

from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source, read_entry

__all__ = ["Conda", "conda_python_pin"]


def conda_python_pin(dependencies: Any) -> tuple[str | None, str | None, bool]:
    """The ``python`` spec of a conda dependency list, its pin and whether it is simple."""
    from envspec.formats._condapip import conda_version_to_pep440, python_pin, spec_parts

    for dep in dependencies if isinstance(dependencies, list) else []:
        if not isinstance(dep, str) or "python" not in dep:
            continue
        parts = spec_parts(dep)
        if isinstance(parts, str) or parts.name != "python":
            continue  # the validator reports invalid specs
        if parts.version is None:
            return dep, None, True
        pep440 = conda_version_to_pep440(parts.version)
        pin, simple = python_pin(pep440) if pep440 else (None, False)
        return dep, pin, simple
    return None, None, True


class Conda(Format):
    """conda environment files <-> envspec (and ``requirements.txt`` -> conda)."""

    name: ClassVar[str] = "conda"
    summary: ClassVar[str] = (
        "environment.yml (conda, its variables as env); exported from requirements.txt "
        "where the mapping is exact"
    )
    inputs: ClassVar[tuple[str, ...]] = ("environment.yml", "environment.yaml")
    default_output: ClassVar[str] = "environment.yml"

    def read(self, source: Source, options: Options) -> Converted:
        from envspec._yaml import load_yaml

        read = read_entry(source, self.inputs)
        if isinstance(read, Converted):
            return read
        entry, text = read
        where = source.file(entry)
        data, problem = load_yaml(text)
        if problem is not None:
            found = diagnostic(
                problem.code,  # type: ignore[arg-type]
                problem.message,
                where,
                line=problem.line,
                column=problem.column,
            )
            return Converted(diagnostics=(found,))
        if not isinstance(data, dict) or not ({"dependencies", "channels"} & set(data)):
            why = "not a conda environment file: no 'dependencies' or 'channels' mapping"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, where),))
        name = "environment.yaml" if entry.endswith("environment.yaml") else "environment.yml"
        environment: dict[str, Any] = {"env_ver": "1.0"}
        found_: list[Diagnostic] = []
        spec, pin, simple = conda_python_pin(data.get("dependencies"))
        if pin is not None:
            environment["python"] = pin
            if not simple:
                found_.append(
                    diagnostic(
                        "python-range-pinned",
                        f"python '{spec}' is not a simple lower bound; the Python pin is its "
                        f"lowest allowed version, {pin}",
                        where,
                    )
                )
        environment["files"] = {name: text}
        if "variables" in data:
            from envspec.formats._condavars import env_of

            env, dropped = env_of(data, text, where)
            found_ += dropped
            if env:
                environment["env"] = env
        return Converted(environment=environment, diagnostics=tuple(found_))

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats._condavars import at_launch, variables_line
        from envspec.formats._packages import dropped_files, packages_of

        environment = document.environment
        packages = packages_of(environment)
        env: dict[str, str | None] = dict(environment.get("env") or {})
        found: list[Diagnostic] = at_launch(env, document.path)
        if packages.conda_file is not None and packages.conda_text is not None:
            text = self._kept(packages.conda_text, packages.python, env, document.path, found)
            carried = {packages.conda_file}
        else:
            text = self._from_requirements(document, packages, options, found)
            text += variables_line(env)
            carried = {"requirements.txt"}
        found += dropped_files(environment, carried, document.path, "conda")
        return Converted(files={self.default_output: text.encode()}, diagnostics=tuple(found))

    @staticmethod
    def _kept(
        text: str,
        python: str | None,
        env: dict[str, str | None],
        where: str,
        found: list[Diagnostic],
    ) -> str:
        """*text*, with ``python=PIN`` added first when the file names no Python, and
        ``variables`` set from *env*; the text itself when neither changes anything."""
        from envspec._yaml import load_yaml

        data, problem = load_yaml(text)
        if problem is not None or not isinstance(data, dict):
            return text
        changed = False
        if python is not None and conda_python_pin(data.get("dependencies"))[0] is None:
            deps = data.get("dependencies")
            data["dependencies"] = [_python_spec(python), *(deps if isinstance(deps, list) else [])]
            changed = True
        from envspec.formats._condavars import with_variables

        replaced, notes = with_variables(data, env, where)
        found += notes
        if not (changed or replaced):
            return text
        from envspec.migrations.yaml_text import dump_yaml

        return dump_yaml(data, original=text).decode()

    @staticmethod
    def _from_requirements(
        document: Document, packages: Any, options: Options, found: list[Diagnostic]
    ) -> str:
        from envspec.formats._condapip import requirement_to_conda
        from envspec.formats._packages import conda_yaml, project_name

        conda: list[str] = [_python_spec(packages.python)] if packages.python else []
        pip: list[str] = []
        for line in packages.pip:
            if line.requirement is None or line.hashes:
                pip.append(line.text)  # pip options and hash-checked lines stay pip's
                if line.hashes:
                    found.append(
                        diagnostic(
                            "pip-to-conda-inexact",
                            f"requirements.txt line {line.number} '{line.text}' is "
                            "hash-checked; kept under 'pip:'",
                            document.path,
                        )
                    )
                continue
            translated = requirement_to_conda(line.requirement)
            if translated.spec is not None and translated.inexact is None:
                conda.append(translated.spec)
                continue
            pip.append(line.requirement)
            found.append(
                diagnostic(
                    "pip-to-conda-inexact",
                    f"requirements.txt line {line.number} '{line.text}': "
                    f"{translated.inexact}; kept under 'pip:'",
                    document.path,
                )
            )
        channels = [
            c.strip() for c in options.settings.get("channels", "conda-forge").split(",") if c
        ]
        dependencies: list[Any] = list(conda)
        if pip:
            dependencies += ["pip", {"pip": pip}]
        return conda_yaml(project_name(document.path, options.settings), channels, dependencies)


def _python_spec(python: str) -> str:
    return f"python=={python}" if python.count(".") == 2 else f"python={python}"
