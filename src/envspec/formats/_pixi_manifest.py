"""A pixi manifest's tables as the ``pixi`` format reads them, the MatchSpec of one conda
dependency for its import, and the pixi form of one conda or PyPI dependency for its
export."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from envspec.diagnostics import Diagnostic, diagnostic

__all__ = [
    "KNOWN_TOP",
    "REQUIREMENTS",
    "Manifest",
    "conda_spec",
    "format_conda",
    "pixi_conda",
    "pixi_pypi",
]

#: The top-level tables of a manifest that are not tables of its default feature.
KNOWN_TOP = {"workspace", "project", "feature", "environments", "tasks", "target"}
#: The key under which a feature made from a pyproject extra or group holds its requirements.
REQUIREMENTS = " requirements"


class Manifest:
    """The pixi tables of a file, and what reading them found."""

    def __init__(self, data: Mapping[str, Any], text: str, where: str, in_pyproject: bool) -> None:
        self.text = text
        self.where = where
        self.found: list[Diagnostic] = []
        self.root: Mapping[str, Any] = data["tool"]["pixi"] if in_pyproject else data
        self.in_pyproject = in_pyproject
        self.pyproject = data.get("project") if in_pyproject else None
        workspace = self.root.get("workspace", self.root.get("project", {}))
        self.workspace: Mapping[str, Any] = workspace if isinstance(workspace, dict) else {}
        features = self.root.get("feature", {})
        self.features: dict[str, Any] = dict(features) if isinstance(features, dict) else {}
        if in_pyproject:
            self._pyproject_features(data)
        environments = self.root.get("environments", {})
        self.environments: Mapping[str, Any] = (
            environments if isinstance(environments, dict) else {}
        )

    def _pyproject_features(self, data: Mapping[str, Any]) -> None:
        """pixi makes a feature of each extra and each PEP 735 group of the pyproject.toml
        (their requirements are PyPI dependencies of the feature)."""
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        extras = project.get("optional-dependencies") if project else None
        groups = data.get("dependency-groups")
        tables = [t for t in (extras, groups) if isinstance(t, dict)]
        for table in tables:
            for name, items in table.items():
                requirements = self._group(table, name, items, set()) if table is groups else items
                if not isinstance(requirements, list):
                    continue
                feature = dict(self.features.get(name) or {})
                feature[REQUIREMENTS] = [r for r in requirements if isinstance(r, str)]
                self.features[name] = feature

    def _group(self, groups: Mapping[str, Any], name: str, items: Any, seen: set[str]) -> list[str]:
        if name in seen or not isinstance(items, list):
            return []
        seen.add(name)
        out: list[str] = []
        for item in items:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and item.get("include-group") in groups:
                include = item["include-group"]
                out += self._group(groups, include, groups[include], seen)
        return out

    def warn(self, code: Any, message: str, pointer: str = "") -> None:
        from envspec.formats.pyproject import line_of

        key = pointer.rsplit(".", 1)[-1] if pointer else ""
        line = line_of(self.text, f"[{pointer}") if pointer else None
        if line is None and key:
            line = line_of(self.text, key)
        self.found.append(diagnostic(code, message, self.where, line=line))

    def warn_target(self, code: Any, message: str, tables: str, selector: str) -> None:
        """*message* at the line of the ``[TABLES.SELECTOR...]`` header (``target`` tables
        of the workspace or of a feature; the selector may be quoted), else ``[TABLES``."""
        from envspec.formats.pyproject import line_of

        line = None
        for form in (selector, f'"{selector}"', f"'{selector}'"):
            line = (
                line
                or line_of(self.text, f"[{tables}.{form}")
                or line_of(self.text, f"{tables}.{form}")
            )
        line = line or line_of(self.text, f"[{tables}")
        self.found.append(diagnostic(code, message, self.where, line=line))

    def named_platforms(self) -> dict[str, str]:
        """The names of the workspace's platform tables (``{ name = "gpu", platform =
        "linux-64", cuda = "12" }``) and the conda platform each is for."""
        listed = self.workspace.get("platforms")
        named = {}
        for entry in listed if isinstance(listed, list) else []:
            if isinstance(entry, dict):
                name, platform = entry.get("name"), entry.get("platform")
                if isinstance(name, str) and isinstance(platform, str):
                    named[name] = platform
        return named

    def prefix(self, name: str) -> str:
        return f"tool.pixi.{name}" if self.in_pyproject else name


# --------------------------------------------------------- import: one dependency
def conda_spec(manifest: Manifest, name: str, value: Any, label: str) -> str | None:
    """The conda MatchSpec of the ``[dependencies]`` entry *name* = *value* of *label*, or
    ``None`` (reported)."""
    from envspec.formats._condapip import spec_parts

    if isinstance(value, str):
        version, build, channel = value.strip(), None, None
    elif isinstance(value, dict):
        source = sorted(set(value) & {"path", "git", "url"})
        if source:
            manifest.warn(
                "pixi-dependency-dropped",
                f"conda dependency '{name}' of {label} is a source package "
                f"({', '.join(source)}), which a conda file cannot name",
                name,
            )
            return None
        version = str(value.get("version", "*")).strip()
        build, channel = value.get("build"), value.get("channel")
        extra = sorted(set(value) - {"version", "build", "channel"})
        if extra:
            manifest.warn(
                "pixi-dependency-dropped",
                f"conda dependency '{name}' of {label}: {', '.join(extra)} not carried",
                name,
            )
    else:
        manifest.warn("pixi-invalid", f"conda dependency '{name}' of {label}: {value!r}")
        return None
    spec = format_conda(name, version, build, channel)
    parts = spec_parts(spec)
    if isinstance(parts, str):
        manifest.warn(
            "pixi-invalid",
            f"conda dependency '{name}' of {label}: {spec!r} is {parts}",
            name,
        )
        return None
    return spec


def format_conda(name: str, version: str, build: str | None, channel: str | None) -> str:
    """The MatchSpec of conda package *name* with pixi's *version* constraint (``*``,
    ``>=1.26``, ``1.2.*``, ``1.2``: exactly 1.2), *build* and *channel*."""
    spec = f"{channel}::{name}" if channel else name
    bare = "" if version.strip() in ("*", "") else version.replace(" ", "")
    if build or re.search(r"[|*]", bare.removesuffix(".*")) or ("," in bare and "*" in bare):
        spec += f" {version or '*'}" + (f" {build}" if build else "")
    elif bare.endswith(".*"):
        spec += f"={bare.removesuffix('.*')}"  # conda's "=1.2" is "1.2.*"
    elif bare and bare[0].isdigit():
        spec += f"=={bare}"
    elif bare:
        spec += bare
    return spec


# --------------------------------------------------------- export: one dependency each
def pixi_conda(spec: str) -> tuple[str, Any] | None:
    """The ``[dependencies]`` entry of a conda MatchSpec (``None``: not a valid one)."""
    from envspec.formats._condapip import spec_parts

    parts = spec_parts(spec)
    if isinstance(parts, str):
        return None  # the validator reported it already
    version = parts.version or "*"
    if parts.build is None and parts.channel is None:
        return parts.name, version
    table: dict[str, str] = {"version": version}
    if parts.build:
        table["build"] = parts.build
    if parts.channel is not None:
        table["channel"] = parts.channel
    return parts.name, table


def pixi_pypi(requirement: str) -> tuple[tuple[str, Any], str | None]:
    """The ``[pypi-dependencies]`` entry of a PEP 508 requirement, and what it cannot carry."""
    from envspec.checks.requirements import SIMPLE_REQUIREMENT
    from envspec.formats._piplines import requirement_name

    if SIMPLE_REQUIREMENT.fullmatch(requirement) and not set(requirement) & set("[;"):
        name = requirement_name(requirement)
        spec = re.sub(r"[ \t]+", "", requirement.strip()[len(name) :])
        return (name, spec or "*"), None
    from packaging.requirements import Requirement

    req = Requirement(requirement)
    note = f"the marker '{req.marker}' is not carried" if req.marker is not None else None
    table: dict[str, Any] = {}
    if req.url:
        url = req.url
        if url.startswith("git+"):
            base, sep, ref = url[4:].rpartition("@")
            if sep and "/" not in ref and "://" in base:
                table["git"], table["rev"] = base, ref
            else:
                table["git"] = url[4:]
        else:
            table["url"] = url
    elif req.specifier:
        table["version"] = str(req.specifier)
    if req.extras:
        table["extras"] = sorted(req.extras)
    if list(table) == ["version"]:
        return (req.name, table["version"]), note
    return (req.name, table or "*"), note
