"""``pixi``: a pixi workspace (``pixi.toml``, or ``[tool.pixi]`` in ``pyproject.toml``).

Import reads the conda ``[dependencies]``, the ``[pypi-dependencies]``, the channels and
the platforms of one environment (the default one, or ``--environment NAME``) into an
``environment.yml`` with a ``pip:`` list; the ``python`` dependency gives the Python pin
and the platforms are kept under ``extensions["envspec.pixi"]`` so that an export gives
them back; the ``[activation.env]`` variables are the environment's ``env``
(:mod:`envspec.formats._pixi_env`).  What pixi has and a conda file has not (tasks,
per-platform targets, activation scripts, system requirements, the other environments) is
reported, each with its code; ``--option platform=NAME`` imports the environment of one
platform, its ``[target]`` tables merged over the others
(:mod:`envspec.formats._pixi_targets`).  The specs several features give one package are
joined, as pixi's solvers apply them all (:mod:`envspec.formats._pixi_combine`).  Export
writes a ``pixi.toml`` from the environment's conda file or ``requirements.txt``, and
``env`` as ``[activation.env]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source
from envspec.formats._pixi_combine import Deps, Entry, combined
from envspec.formats._pixi_manifest import (
    KNOWN_TOP,
    REQUIREMENTS,
    Manifest,
    conda_spec,
    pixi_conda,
    pixi_pypi,
)

__all__ = ["Pixi"]

#: Tables of a feature (or of the workspace's default feature) and what happens to them.
_MAPPED = {"dependencies", "pypi-dependencies", "channels", "platforms"}
_TABLES = {
    "host-dependencies": "build-time (host) dependencies",
    "build-dependencies": "build-time dependencies",
    "system-requirements": "system requirements (virtual packages)",
    "pypi-options": "PyPI index options",
    "channel-priority": "the channel priority",
    "package": "the pixi-build package definition",
}
DEFAULT_PLATFORMS = ("linux-64", "osx-64", "osx-arm64", "win-64")
EXTENSION = "envspec.pixi"


class Pixi(Format):
    """pixi workspaces <-> ``environment.yml`` (conda dependencies, ``pip:``, channels)."""

    name: ClassVar[str] = "pixi"
    summary: ClassVar[str] = (
        "pixi.toml or [tool.pixi] in pyproject.toml (one environment: --environment NAME; "
        "its [activation.env] as env)"
    )
    inputs: ClassVar[tuple[str, ...]] = ("pixi.toml", "pyproject.toml")
    default_output: ClassVar[str] = "pixi.toml"

    # ------------------------------------------------------------------ import
    def read(self, source: Source, options: Options) -> Converted:
        from envspec.formats.pyproject import read_toml

        read = read_toml(source, self.inputs)
        if isinstance(read, Converted):
            return read
        entry, text, data = read
        where = source.file(entry)
        tool = data.get("tool")
        in_pyproject = isinstance(tool, dict) and isinstance(tool.get("pixi"), dict)
        if not in_pyproject and (
            entry.endswith("pyproject.toml") or not set(data) & {"workspace", "project"}
        ):
            why = "the file is not a pixi manifest: it has no [workspace] or [tool.pixi] table"
            hint = "A pyproject.toml without pixi tables is read with --from pyproject."
            return Converted(
                diagnostics=(diagnostic("format-source-invalid", why, where, hint=hint),)
            )
        return self.read_tables(data, text, where, options, in_pyproject=in_pyproject)

    def read_tables(
        self,
        data: Mapping[str, Any],
        text: str,
        where: str,
        options: Options,
        *,
        in_pyproject: bool,
    ) -> Converted:
        """The environment of parsed pixi tables: a ``pixi.toml`` (*in_pyproject* false) or
        a TOML document with ``[tool.pixi]`` and, optionally, ``[project] dependencies``
        (a ``pyproject.toml``, or a PEP 723 block rearranged so); *text* gives line numbers."""
        manifest = Manifest(data, text, where, in_pyproject)
        chosen = options.settings.get("platform")
        platform: tuple[str, str] | None = None  # the name chosen and its conda platform
        if chosen is not None:
            from envspec.formats._pixi_targets import platform_problem

            named = manifest.named_platforms()
            subdir = named.get(chosen, chosen)
            problem = platform_problem(subdir)
            if problem is not None:
                tables = f"; the workspace's platform tables: {', '.join(named)}" if named else ""
                why = f"--option platform={chosen}: {problem}{tables}"
                return Converted(diagnostics=(diagnostic("pixi-unknown-platform", why, where),))
            platform = (chosen, subdir)
        features = self._selected(manifest, options.environment)
        if features is None:
            return Converted(diagnostics=tuple(manifest.found))
        deps: list[Deps] = []  # the conda and PyPI dependencies of each feature
        envs: list[tuple[str, dict[str, str]]] = []  # the variables of each feature
        channels = self._channels(manifest, manifest.workspace.get("channels", []), "workspace")
        platforms = [p for p in manifest.workspace.get("platforms", []) if isinstance(p, str)]
        project: dict[str, list[Entry]] = {}  # [project] dependencies: the default feature's
        if manifest.in_pyproject and isinstance(manifest.pyproject, dict):
            self._pyproject_dependencies(manifest, project)
        for name in features:
            table = manifest.root if name == "default" else manifest.features.get(name, {})
            if not isinstance(table, dict):
                manifest.warn("pixi-invalid", f"[feature.{name}] must be a table")
                continue
            label = "the workspace" if name == "default" else f"feature '{name}'"
            envs.append((name, {}))
            deps.append(Deps(name, {}, dict(project) if name == "default" else {}))
            self._feature(manifest, table, label, deps[-1], platform, envs[-1][1])
            for channel in self._channels(manifest, table.get("channels", []), label):
                if channel not in channels:
                    channels.append(channel)
            if name != "default" and isinstance(table.get("platforms"), list):
                platforms = [p for p in platforms if p in table["platforms"]]
        if platform is not None:
            from envspec.formats._pixi_targets import check_platform

            check_platform(manifest, platform[0], features, options.environment)
            platforms = [platform[1]]
        conda, pypi = combined(manifest, deps)
        if any(d.severity == "error" for d in manifest.found):
            return Converted(diagnostics=tuple(manifest.found))
        if not conda and not pypi:
            dropped = sorted({d.code for d in manifest.found})
            what = f"; what it has instead: {', '.join(dropped)}" if dropped else ""
            found = diagnostic(
                "pixi-nothing-mappable",
                f"the pixi environment '{options.environment or 'default'}' has no conda or "
                f"PyPI dependency envspec can carry{what}",
                where,
            )
            return Converted(diagnostics=(*manifest.found, found))
        from envspec.formats._pixi_env import combine

        converted = self._environment(manifest, conda, pypi, channels, platforms)
        env = combine(envs)
        if env and converted.environment is not None:
            converted.environment["env"] = env
        return converted

    def _selected(self, manifest: Manifest, asked: str | None) -> list[str] | None:
        """The features of the environment asked for (``default`` first), or ``None``."""
        known = dict(manifest.environments)
        if asked is None:
            asked = "default"
        others = sorted(set(known) - {asked})
        unused = sorted(set(manifest.features) - set(self._features_of(known.get(asked))))
        if asked == "default" and "default" not in known:
            features = ["default"]
        elif asked in known:
            features = self._features_of(known[asked])
            spec = known[asked]
            if not (isinstance(spec, dict) and spec.get("no-default-feature")):
                features = ["default", *features]
        elif asked in manifest.features:
            features, unused = ["default", asked], sorted(set(manifest.features) - {asked})
        else:
            names = ", ".join(["default", *sorted(set(known) - {"default"})])
            feats = ", ".join(sorted(manifest.features)) or "none"
            manifest.found.append(
                diagnostic(
                    "pixi-unknown-environment",
                    f"--environment {asked}: the workspace has no such environment "
                    f"(environments: {names}; features: {feats})",
                    manifest.where,
                )
            )
            return None
        missing = [f for f in features if f != "default" and f not in manifest.features]
        if missing:
            manifest.warn(
                "pixi-invalid",
                f"environment '{asked}' names features that are not defined: {', '.join(missing)}",
            )
            return None
        if others or unused:
            parts = []
            if others:
                parts.append(f"environments {', '.join(others)}")
            if unused:
                parts.append(f"features {', '.join(unused)}")
            manifest.warn(
                "pixi-environment-not-selected",
                f"only environment '{asked}' is imported; not carried: {'; '.join(parts)}",
            )
        return features

    @staticmethod
    def _features_of(spec: Any) -> list[str]:
        if isinstance(spec, list):
            return [f for f in spec if isinstance(f, str)]
        if isinstance(spec, dict) and isinstance(spec.get("features"), list):
            return [f for f in spec["features"] if isinstance(f, str)]
        return []

    @staticmethod
    def _channels(manifest: Manifest, value: Any, label: str) -> list[str]:
        if not isinstance(value, list):
            manifest.warn("pixi-invalid", f"the channels of {label} must be a list")
            return []
        out = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("channel"), str):
                out.append(item["channel"])
                if "priority" in item:
                    manifest.warn(
                        "pixi-table-dropped",
                        f"the priority of channel '{item['channel']}' in {label} is not carried",
                    )
            else:
                manifest.warn("pixi-invalid", f"channel {item!r} of {label} is not a channel")
        return out

    @staticmethod
    def _pypi_requirement(
        manifest: Manifest, item: Any, label: str, feature: str, into: dict[str, list[Entry]]
    ) -> None:
        """Add the PEP 508 requirement *item* (of a list) to *into*, after the others of
        its package (pixi appends these)."""
        from envspec.formats._piplines import requirement_name, requirement_problem

        if not isinstance(item, str) or requirement_problem(item) is not None:
            manifest.warn("pixi-invalid", f"the PyPI requirement {item!r} of {label} is not valid")
            return
        entry = Entry(item.strip(), label, feature, None, item.strip())
        into.setdefault(_pypi_key(requirement_name(item)), []).append(entry)

    def _pyproject_dependencies(self, manifest: Manifest, pypi: dict[str, list[Entry]]) -> None:
        project = manifest.pyproject or {}
        for item in project.get("dependencies", []) or []:
            self._pypi_requirement(manifest, item, "[project] dependencies", "default", pypi)
        name = project.get("name")
        if isinstance(name, str):
            manifest.warn(
                "pixi-dependency-dropped",
                f"the project '{name}' itself (which pixi installs in editable mode) is not "
                "carried, only its dependencies",
            )

    def _feature(
        self,
        manifest: Manifest,
        table: Mapping[str, Any],
        label: str,
        deps: Deps,
        platform: tuple[str, str] | None,
        env: dict[str, str],
    ) -> None:
        name = deps.feature
        path = [] if name == "default" else ["feature", name]
        path = ["tool", "pixi", *path] if manifest.in_pyproject else path
        self._dependencies(manifest, table, label, deps, path, overwrite=False)
        if "activation" in table:
            from envspec.formats._pixi_env import activation_env

            parts = [] if name == "default" else ["feature", name]
            parts = ["tool", "pixi", *parts] if manifest.in_pyproject else parts
            activation_env(manifest, table["activation"], label, parts, env)
        tasks = table.get("tasks")
        if isinstance(tasks, dict) and tasks:
            manifest.warn(
                "pixi-task-dropped",
                f"the tasks of {label} are not carried: {', '.join(sorted(tasks))}",
                manifest.prefix("tasks" if name == "default" else f"feature.{name}.tasks"),
            )
        for requirement in table.get(REQUIREMENTS, []):
            self._pypi_requirement(manifest, requirement, label, name, deps.pypi)
        targets = table.get("target")
        if isinstance(targets, dict) and targets:
            where = "target" if name == "default" else f"feature.{name}.target"
            self._targets(manifest, targets, label, where, platform, deps, env)
        ignored = set(_MAPPED) | {"tasks", "target", "activation", REQUIREMENTS}
        if name == "default":
            ignored |= KNOWN_TOP
        for key in sorted(set(table) - ignored):
            what = _TABLES.get(key, f"the table '{key}'")
            manifest.warn("pixi-table-dropped", f"{what} of {label} is not carried", key)

    def _dependencies(
        self,
        manifest: Manifest,
        table: Mapping[str, Any],
        label: str,
        deps: Deps,
        path: list[str],
        *,
        overwrite: bool,
    ) -> None:
        """Put the ``dependencies`` and ``pypi-dependencies`` of *table* (a feature, at
        the TOML path *path*, or one of its targets) into the feature's *deps*: a target's
        spec of a package replaces the feature's (*overwrite*), as pixi reads them."""
        found = table.get("dependencies", {})
        conda: dict[str, list[Entry]] = {}
        pypi: dict[str, list[Entry]] = {}
        if isinstance(found, dict):
            for dep, value in found.items():
                spec = conda_spec(manifest, dep, value, label)
                if spec is not None:
                    where = (*path, "dependencies")
                    conda[dep.lower()] = [Entry(spec, label, deps.feature, where, dep)]
        else:
            manifest.warn("pixi-invalid", f"the [dependencies] of {label} must be a table")
        found = table.get("pypi-dependencies", {})
        if isinstance(found, dict):
            for dep, value in found.items():
                spec = self._pypi_spec(manifest, dep, value, label)
                if spec is not None:
                    where = (*path, "pypi-dependencies")
                    pypi[_pypi_key(dep)] = [Entry(spec, label, deps.feature, where, dep)]
        else:
            manifest.warn("pixi-invalid", f"the [pypi-dependencies] of {label} must be a table")
        for into, read in ((deps.conda, conda), (deps.pypi, pypi)):
            for key, entries in read.items():
                if overwrite:
                    into[key] = entries
                else:
                    into.setdefault(key, []).extend(entries)

    def _targets(
        self,
        manifest: Manifest,
        targets: Mapping[str, Any],
        label: str,
        where: str,
        platform: tuple[str, str] | None,
        deps: Deps,
        env: dict[str, str],
    ) -> None:
        """Merge the targets of *platform* (its name and conda platform) over the
        dependencies and the feature's variables (*env*) read so far, as pixi does (in the
        order the manifest defines them); report the others."""
        from envspec.formats._pixi_targets import selector_matches

        for selector, target in targets.items():
            what = ", ".join(sorted(target)) if isinstance(target, dict) else "?"
            tables = manifest.prefix(where)
            if platform is None:
                manifest.warn_target(
                    "pixi-target-dropped",
                    f"the {selector} target of {label} ({what}) is not carried: a conda "
                    "environment file has no per-platform dependencies (--option "
                    "platform=PLATFORM imports the environment of one platform)",
                    tables,
                    selector,
                )
                continue
            if not isinstance(target, dict):
                why = f"the {selector} target of {label} must be a table"
                manifest.warn_target("pixi-invalid", why, tables, selector)
                continue
            if not selector_matches(selector, *platform):
                manifest.warn_target(
                    "pixi-target-dropped",
                    f"the {selector} target of {label} ({what}) is not carried: it is not "
                    f"for {platform[0]}, the platform imported (--option platform=PLATFORM "
                    "chooses another)",
                    tables,
                    selector,
                )
                continue
            target_label = f"the {selector} target of {label}"
            path = [*manifest.prefix(where).split("."), selector]
            self._dependencies(manifest, target, target_label, deps, path, overwrite=True)
            for key in sorted(set(target) - {"dependencies", "pypi-dependencies"}):
                if key == "activation":
                    from envspec.formats._pixi_env import activation_env

                    parts = [*manifest.prefix(where).split("."), selector]
                    activation_env(manifest, target[key], target_label, parts, env)
                elif key == "tasks":
                    tasks = target["tasks"] if isinstance(target["tasks"], dict) else {}
                    why = f"the tasks of {target_label} are not carried: {', '.join(sorted(tasks))}"
                    manifest.warn_target("pixi-task-dropped", why, tables, selector)
                else:
                    why = (
                        f"{_TABLES.get(key, f'the table {key!r}')} of {target_label} is not carried"
                    )
                    manifest.warn_target("pixi-table-dropped", why, tables, selector)

    @staticmethod
    def _pypi_spec(manifest: Manifest, name: str, value: Any, label: str) -> str | None:
        from envspec.formats._piplines import requirement_problem

        extras = ""
        if isinstance(value, str):
            spec = "" if value.strip() == "*" else value.strip()
        elif isinstance(value, dict):
            if "path" in value or value.get("editable"):
                manifest.warn(
                    "pixi-dependency-dropped",
                    f"PyPI dependency '{name}' of {label} is a local path or an editable "
                    "install, which exists only on the author's machine",
                    name,
                )
                return None
            if isinstance(value.get("extras"), list):
                extras = "[" + ",".join(str(e) for e in value["extras"]) + "]"
            version = str(value.get("version", "*")).strip()
            spec = "" if version == "*" else version
            if "git" in value:
                ref = value.get("rev") or value.get("tag") or value.get("branch")
                spec = f" @ git+{value['git']}" + (f"@{ref}" if ref else "")
                if value.get("subdirectory"):
                    spec += f"#subdirectory={value['subdirectory']}"
            elif "url" in value:
                spec = f" @ {value['url']}"
            extra = sorted(
                set(value)
                - {"version", "extras", "git", "rev", "tag", "branch", "url", "subdirectory"}
            )
            if extra:
                manifest.warn(
                    "pixi-dependency-dropped",
                    f"PyPI dependency '{name}' of {label}: {', '.join(extra)} not carried",
                    name,
                )
        else:
            manifest.warn("pixi-invalid", f"PyPI dependency '{name}' of {label}: {value!r}")
            return None
        requirement = f"{name}{extras}{spec}"
        problem = requirement_problem(requirement)
        if problem is not None:
            manifest.warn(
                "pixi-invalid",
                f"PyPI dependency '{name}' of {label}: {requirement!r} is not valid: {problem}",
                name,
            )
            return None
        return requirement

    def _environment(
        self,
        manifest: Manifest,
        conda: dict[str, str],
        pypi: dict[str, str],
        channels: list[str],
        platforms: list[str],
    ) -> Converted:
        from envspec.formats._condapip import conda_version_to_pep440, python_pin, spec_parts
        from envspec.formats._packages import conda_yaml

        dependencies: list[Any] = list(conda.values())
        if pypi:
            if "pip" not in conda:
                dependencies.append("pip")
            dependencies.append({"pip": list(pypi.values())})
        name = manifest.workspace.get("name")
        text = conda_yaml(name if isinstance(name, str) else None, channels, dependencies)
        environment: dict[str, Any] = {"env_ver": "1.0"}
        python = conda.get("python")
        if python is not None:
            parts = spec_parts(python)
            version = None if isinstance(parts, str) else parts.version
            pep440 = conda_version_to_pep440(version) if version is not None else None
            pin, simple = python_pin(pep440) if pep440 else (None, False)
            if pin is not None:
                environment["python"] = pin
                if not simple:
                    manifest.warn(
                        "python-range-pinned",
                        f"python '{python}' is not a simple lower bound; the Python pin is "
                        f"its lowest allowed version, {pin}",
                        "python",
                    )
        environment["files"] = {"environment.yml": text}
        if platforms:
            environment["extensions"] = {EXTENSION: {"platforms": platforms}}
        return Converted(environment=environment, diagnostics=tuple(manifest.found))

    # ------------------------------------------------------------------ export
    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats._packages import toml_key, toml_value

        tables, found = self.tables(document, options)
        lines = [
            "[workspace]",
            *(f"{toml_key(k)} = {toml_value(v)}" for k, v in tables["workspace"].items()),
        ]
        names = ("dependencies", "pypi-dependencies")
        sections: dict[str, dict[str, Any]] = {n: tables[n] for n in names if n in tables}
        if "activation" in tables:
            sections["activation.env"] = tables["activation"]["env"]
        for name, section in sections.items():
            lines += [
                "",
                f"[{name}]",
                *(f"{toml_key(k)} = {toml_value(v)}" for k, v in section.items()),
            ]
        text = "\n".join(lines) + "\n"
        return Converted(files={self.default_output: text.encode()}, diagnostics=tuple(found))

    def tables(
        self, document: Document, options: Options
    ) -> tuple[dict[str, dict[str, Any]], list[Diagnostic]]:
        """The pixi tables of *document* (``workspace``, ``dependencies`` and, when there
        are any, ``pypi-dependencies`` and ``activation`` (its ``env``): the tables of a
        ``pixi.toml``, or of ``[tool.pixi]`` for a PEP 723 block) and what they cannot
        carry."""
        from envspec.formats._packages import (
            dropped_files,
            packages_of,
            pip_line_warnings,
            project_name,
        )

        environment = document.environment
        packages = packages_of(environment)
        found: list[Diagnostic] = []
        conda: dict[str, Any] = {}
        for spec in packages.conda:
            entry = pixi_conda(spec)
            if entry is None:
                continue
            conda[entry[0]] = entry[1]
        if packages.python and "python" not in conda:
            conda = {
                "python": f"=={packages.python}"
                if packages.python.count(".") == 2
                else f"{packages.python}.*",
                **conda,
            }
        pypi: dict[str, Any] = {}
        for line in packages.pip:
            if line.requirement is None:
                continue
            entry, note = pixi_pypi(line.requirement)
            pypi[entry[0]] = entry[1]
            if note:
                found.append(
                    diagnostic(
                        "pip-line-dropped",
                        f"line {line.number} '{line.text}': {note}",
                        document.path,
                    )
                )
        found += pip_line_warnings(packages.pip, document.path, "pixi.toml")
        if pypi and "python" not in conda:
            conda = {"python": "*", **conda}
        carried = {"requirements.txt"} if packages.conda_file is None else {packages.conda_file}
        found += dropped_files(environment, carried, document.path, "pixi")
        channels = packages.channels or ["conda-forge"]
        extension = (environment.get("extensions") or {}).get(EXTENSION) or {}
        platforms: list[str] = list(extension.get("platforms") or DEFAULT_PLATFORMS)
        if options.settings.get("platforms"):
            platforms = [p.strip() for p in options.settings["platforms"].split(",") if p.strip()]
        tables: dict[str, dict[str, Any]] = {
            "workspace": {
                "name": project_name(document.path, options.settings),
                "channels": channels,
                "platforms": platforms,
            },
            "dependencies": conda,
        }
        if pypi:
            tables["pypi-dependencies"] = pypi
        if environment.get("env"):
            from envspec.formats._pixi_env import export_env

            variables, notes = export_env(environment["env"], document.path)
            found += notes
            if variables:
                tables["activation"] = {"env": variables}
        return tables, found


def _pypi_key(name: str) -> str:
    """The normalized name of a PyPI package (PEP 503), as pixi compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()
