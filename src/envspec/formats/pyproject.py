"""``pyproject``: the dependencies of a ``pyproject.toml``.

Import reads PEP 621's ``[project] dependencies``, the ``optional-dependencies`` named
with ``--extra`` (``all`` for every one) and the PEP 735 ``[dependency-groups]`` named
with ``--group`` (``{include-group = ...}`` resolved), into ``requirements.txt``;
``requires-python`` gives the Python pin (the lowest minor it allows).  Export writes a
minimal valid ``pyproject.toml``: a name, a version, ``requires-python`` and the
dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source, read_entry

__all__ = ["Pyproject", "line_of", "read_toml"]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def line_of(text: str, value: str) -> int | None:
    """The line of the first TOML string literal holding *value* (for messages)."""
    for quoted in (f'"{value}"', f"'{value}'", value):
        at = text.find(quoted)
        if at >= 0:
            return text.count("\n", 0, at) + 1
    return None


def read_toml(source: Source, names: tuple[str, ...]) -> tuple[str, str, Any] | Converted:
    """The entry, text and parsed TOML of *source* (a file, or a folder holding one of
    *names*), or the diagnostics that stop the import."""
    from envspec.checks.tomlfiles import parse_toml

    read = read_entry(source, names)
    if isinstance(read, Converted):
        return read
    entry, text = read
    where = source.file(entry)
    data, problem = parse_toml(text, ())
    if problem is not None:
        line, message = problem.line, problem.message
        if line is None and "(at end of document)" in message:
            line = max(len(text.splitlines()), 1)  # the last line: where the parser stopped
            message = message.replace(" (at end of document)", " at the end of the file")
        found = diagnostic(problem.code, message, where, line=line, column=problem.column)
        return Converted(diagnostics=(found,))
    return entry, text, data


class _Reader:
    """One import: the project table, the text for line numbers, the diagnostics."""

    def __init__(self, project: Mapping[str, Any], text: str, where: str) -> None:
        self.project = project
        self.text = text
        self.where = where
        self.found: list[Diagnostic] = []
        name = project.get("name")
        self.name = _canonical(name) if isinstance(name, str) else None

    def error(
        self, code: Any, message: str, value: str | None = None, hint: str | None = None
    ) -> None:
        line = line_of(self.text, value) if value else None
        self.found.append(diagnostic(code, message, self.where, line=line, hint=hint))

    def requirements(self, value: Any, table: str) -> list[str]:
        """The requirement strings of a PEP 621 list, each checked with ``packaging``."""
        from envspec.formats._piplines import requirement_problem

        if not isinstance(value, list):
            self.error("pyproject-invalid", f"{table} must be a list of requirement strings")
            return []
        out = []
        for item in value:
            if not isinstance(item, str):
                self.error("pyproject-invalid", f"{table} holds {item!r}, not a requirement string")
                continue
            problem = requirement_problem(item)
            if problem is not None:
                self.error("pyproject-invalid", f"{table}: {item!r} is not valid: {problem}", item)
                continue
            out.append(item.strip())
        return out

    def expand_self(
        self, requirements: list[str], extras: Mapping[str, list[str]], seen: set[str]
    ) -> list[str]:
        """Replace references to the project itself (``name[test]``) by those extras."""
        from envspec.formats._piplines import requirement_name

        out: list[str] = []
        for item in requirements:
            if self.name is None or _canonical(requirement_name(item)) != self.name:
                out.append(item)
                continue
            from packaging.requirements import Requirement

            req = Requirement(item)
            for extra in sorted(_canonical(e) for e in req.extras):
                if extra in seen:
                    continue
                seen.add(extra)
                for inner in self.expand_self(extras.get(extra, []), extras, seen):
                    out.append(_and_marker(inner, req.marker))
        return out


def _and_marker(requirement: str, marker: Any) -> str:
    if marker is None:
        return requirement
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    combined = f"({req.marker}) and ({marker})" if req.marker is not None else str(marker)
    req.marker = None
    return f"{req}; {combined}"


class Pyproject(Format):
    """PEP 621 / PEP 735 dependencies <-> ``requirements.txt`` and the Python pin."""

    name: ClassVar[str] = "pyproject"
    summary: ClassVar[str] = (
        "pyproject.toml: PEP 621 dependencies, --extra NAME, PEP 735 --group NAME"
    )
    inputs: ClassVar[tuple[str, ...]] = ("pyproject.toml",)
    default_output: ClassVar[str] = "pyproject.toml"

    def read(self, source: Source, options: Options) -> Converted:
        read = read_toml(source, self.inputs)
        if isinstance(read, Converted):
            return read
        entry, text, data = read
        where = source.file(entry)
        project = data.get("project")
        if not isinstance(project, dict):
            hint = "Add a [project] table (PEP 621)."
            if isinstance(data.get("tool"), dict) and "pixi" in data["tool"]:
                hint = "The file is a pixi workspace: import it with --from pixi."
            elif isinstance(data.get("tool"), dict) and "poetry" in data["tool"]:
                hint = "Poetry's [tool.poetry] is not read; add a PEP 621 [project] table."
            why = "the file has no [project] table (PEP 621)"
            return Converted(
                diagnostics=(diagnostic("pyproject-no-project", why, where, hint=hint),)
            )
        reader = _Reader(project, text, where)
        dynamic = project.get("dynamic") or []
        dynamic = [d for d in dynamic if isinstance(d, str)] if isinstance(dynamic, list) else []
        requirements = self._dependencies(reader, dynamic)
        extras = self._extras(reader, dynamic)
        requirements += self._chosen_extras(reader, extras, options.extras, dynamic)
        requirements += self._groups(reader, data, extras, options.groups)
        requirements = reader.expand_self(requirements, extras, set())
        if isinstance(data.get("tool"), dict) and "pixi" in data["tool"]:
            reader.error(
                "pyproject-pixi-ignored",
                "[tool.pixi] (conda dependencies, channels) is not read by --from pyproject",
            )
        environment: dict[str, Any] = {"env_ver": "1.0"}
        pin = self._python(reader, project)
        if pin is not None:
            environment["python"] = pin
        unique = list(dict.fromkeys(requirements))
        if unique:
            environment["files"] = {"requirements.txt": "".join(f"{r}\n" for r in unique)}
        if any(d.severity == "error" for d in reader.found):
            return Converted(diagnostics=tuple(reader.found))
        return Converted(environment=environment, diagnostics=tuple(reader.found))

    @staticmethod
    def _dependencies(reader: _Reader, dynamic: list[str]) -> list[str]:
        if "dependencies" in dynamic:
            reader.error(
                "pyproject-dynamic",
                "'dependencies' is dynamic: the build backend computes them, and they are not read",
            )
        return reader.requirements(reader.project.get("dependencies", []), "[project] dependencies")

    @staticmethod
    def _extras(reader: _Reader, dynamic: list[str]) -> dict[str, list[str]]:
        table = reader.project.get("optional-dependencies", {})
        if not isinstance(table, dict):
            reader.error("pyproject-invalid", "[project.optional-dependencies] must be a table")
            return {}
        return {
            _canonical(name): reader.requirements(value, f"optional-dependencies.{name}")
            for name, value in table.items()
        }

    @staticmethod
    def _chosen_extras(
        reader: _Reader, extras: dict[str, list[str]], chosen: tuple[str, ...], dynamic: list[str]
    ) -> list[str]:
        names: list[str] = []
        for asked in chosen:
            name = _canonical(asked)
            if name == "all" and name not in extras:
                names.extend(extras)
            elif name in extras:
                names.append(name)
            else:
                known = ", ".join(sorted(extras)) or "none"
                extra = (
                    "; 'optional-dependencies' is dynamic, computed by the build backend"
                    if "optional-dependencies" in dynamic
                    else ""
                )
                reader.error(
                    "pyproject-unknown-extra",
                    f"--extra {asked}: the project has no such extra (known: {known}){extra}",
                )
        out: list[str] = []
        for name in dict.fromkeys(names):
            out.extend(extras[name])
        return out

    @staticmethod
    def _groups(
        reader: _Reader,
        data: Mapping[str, Any],
        extras: dict[str, list[str]],
        chosen: tuple[str, ...],
    ) -> list[str]:
        table = data.get("dependency-groups", {})
        if not isinstance(table, dict):
            reader.error("pyproject-invalid", "[dependency-groups] must be a table")
            return []
        groups = {_canonical(name): (name, value) for name, value in table.items()}
        out: list[str] = []

        def resolve(name: str, trail: tuple[str, ...]) -> list[str]:
            if name in trail:
                cycle = " -> ".join((*trail[trail.index(name) :], name))
                reader.error(
                    "pyproject-group-cycle",
                    f"dependency group '{name}' includes itself: {cycle}",
                    name,
                )
                return []
            written, value = groups[name]
            if not isinstance(value, list):
                reader.error("pyproject-invalid", f"dependency group '{written}' must be a list")
                return []
            found: list[str] = []
            for item in value:
                if isinstance(item, dict) and set(item) == {"include-group"}:
                    include = item["include-group"]
                    if not isinstance(include, str) or _canonical(include) not in groups:
                        reader.error(
                            "pyproject-unknown-group",
                            f"dependency group '{written}' includes {include!r}, which is "
                            "not a group of the file",
                            str(include),
                        )
                        continue
                    found.extend(resolve(_canonical(include), (*trail, name)))
                elif isinstance(item, str):
                    found.extend(reader.requirements([item], f"dependency group '{written}'"))
                else:
                    reader.error(
                        "pyproject-invalid",
                        f"dependency group '{written}' holds {item!r}: only requirement "
                        "strings and {include-group = ...} tables are allowed",
                    )
            return found

        for asked in chosen:
            name = _canonical(asked)
            if name not in groups:
                known = ", ".join(sorted(groups)) or "none"
                reader.error(
                    "pyproject-unknown-group",
                    f"--group {asked}: the file has no such dependency group (known: {known})",
                )
                continue
            out.extend(resolve(name, ()))
        return out

    @staticmethod
    def _python(reader: _Reader, project: Mapping[str, Any]) -> str | None:
        from envspec.formats._condapip import python_pin

        requires = project.get("requires-python")
        if requires is None:
            return None
        if not isinstance(requires, str):
            reader.error("pyproject-invalid", "requires-python must be a string")
            return None
        pin, simple = python_pin(requires)
        if pin is None:
            reader.error(
                "pyproject-invalid",
                f"requires-python {requires!r} is not a version specifier that allows a "
                "Python 3 release",
                requires,
            )
            return None
        if not simple:
            reader.error(
                "python-range-pinned",
                f"requires-python {requires!r} is not a simple lower bound; the Python pin "
                f"is its lowest allowed version, {pin}",
                requires,
            )
        return pin

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats._packages import (
            dropped_files,
            packages_of,
            pip_requirements,
            project_name,
            toml_string,
        )

        environment = document.environment
        packages = packages_of(environment)
        requirements, found = pip_requirements(packages, document.path, "pyproject.toml")
        carried = {"requirements.txt"} if packages.conda_file is None else {packages.conda_file}
        found += dropped_files(environment, carried, document.path, "pyproject")
        lines = [
            "[project]",
            f"name = {toml_string(project_name(document.path, options.settings))}",
            'version = "0"',
        ]
        if packages.python:
            bound = (
                f"=={packages.python}"
                if packages.python.count(".") == 2
                else f">={packages.python}"
            )
            lines.append(f"requires-python = {toml_string(bound)}")
        if requirements:
            lines.append("dependencies = [")
            lines.extend(f"  {toml_string(r)}," for r in dict.fromkeys(requirements))
            lines.append("]")
        else:
            lines.append("dependencies = []")
        text = "\n".join(lines) + "\n"
        return Converted(files={self.default_output: text.encode()}, diagnostics=tuple(found))
