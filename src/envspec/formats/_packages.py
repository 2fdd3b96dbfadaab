"""What the package formats (pyproject, pixi, conda, requirements) share: the packages an
environment installs, read from its selected input as Binder selects it (a conda file
wins over ``requirements.txt``), and small writers for TOML and YAML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._piplines import PipLine, pip_lines

__all__ = [
    "Packages",
    "conda_package",
    "conda_yaml",
    "dropped_files",
    "packages_of",
    "pip_line_warnings",
    "pip_requirements",
    "project_name",
    "toml_string",
    "toml_value",
    "yaml_scalar",
]

_CONDA_FILES = ("environment.yml", "environment.yaml")


@dataclass(slots=True)
class Packages:
    """The packages of an environment."""

    #: The embedded conda file read, if any.
    conda_file: str | None = None
    #: Its channels.
    channels: list[str] = field(default_factory=list)
    #: Its MatchSpec strings (``python`` included, when written).
    conda: list[str] = field(default_factory=list)
    #: The pip lines: the conda file's ``pip:`` list, or ``requirements.txt``.
    pip: list[PipLine] = field(default_factory=list)
    #: Where the pip lines come from (for diagnostics).
    pip_file: str = "requirements.txt"
    #: The environment's ``python`` pin.
    python: str | None = None
    #: The original text of the conda file.
    conda_text: str | None = None


def packages_of(environment: Mapping[str, Any]) -> Packages:
    """The packages *environment* installs (it has been validated)."""
    from envspec._yaml import load_yaml

    files = environment.get("files") or {}
    python = environment.get("python")
    packages = Packages(python=python if isinstance(python, str) else None)
    name = next((n for n in _CONDA_FILES if isinstance(files.get(n), str)), None)
    if name is not None:
        packages.conda_file = name
        packages.conda_text = files[name]
        packages.pip_file = f"{name} (pip:)"
        data, problem = load_yaml(files[name])
        if problem is None and isinstance(data, dict):
            channels = data.get("channels") or []
            packages.channels = [c for c in channels if isinstance(c, str)]
            for dep in data.get("dependencies") or []:
                if isinstance(dep, str):
                    packages.conda.append(dep.strip())
                elif isinstance(dep, dict) and isinstance(dep.get("pip"), list):
                    text = "\n".join(str(line) for line in dep["pip"]) + "\n"
                    packages.pip.extend(pip_lines(text))
        return packages
    if isinstance(files.get("requirements.txt"), str):
        packages.pip = pip_lines(files["requirements.txt"])
    return packages


def pip_requirements(
    packages: Packages, where: str, target: str
) -> tuple[list[str], list[Diagnostic]]:
    """PEP 508 requirements for *packages*: conda dependencies translated where exact,
    and the pip requirements; each thing *target* cannot hold is a warning."""
    from envspec.formats._condapip import conda_to_requirement

    out: list[str] = []
    found: list[Diagnostic] = []
    for spec in packages.conda:
        if conda_package(spec) in {"python", "pip"}:
            continue  # the Python pin and the installer, not packages
        translated = conda_to_requirement(spec)
        if translated.inexact is not None:
            kept = f"; written as '{translated.spec}'" if translated.spec else "; dropped"
            found.append(
                diagnostic(
                    "conda-to-pip-inexact",
                    f"conda dependency '{spec}': {translated.inexact}{kept}",
                    where,
                )
            )
        if translated.spec is not None:
            out.append(translated.spec)
    found.extend(pip_line_warnings(packages.pip, f"{where} ({packages.pip_file})", target))
    out.extend(line.requirement for line in packages.pip if line.requirement is not None)
    return out, found


def conda_package(spec: str) -> str | None:
    """The package name of the MatchSpec *spec* (``None`` when it is not one)."""
    from envspec.formats._condapip import spec_parts

    parts = spec_parts(spec)
    return None if isinstance(parts, str) else parts.name


def pip_line_warnings(lines: Iterable[PipLine], where: str, target: str) -> list[Diagnostic]:
    found = []
    for line in lines:
        what = {
            "option": "a pip option",
            "editable": "an editable install",
            "local": "a local path",
            "url": "a URL without a project name",
        }.get(line.kind)
        if what is not None:
            message = f"line {line.number} '{line.text}' is {what}; {target} cannot hold it"
        elif line.hashes:
            message = f"line {line.number}: the --hash options of '{line.text}' are not carried"
        else:
            continue
        found.append(diagnostic("pip-line-dropped", message, where))
    return found


def dropped_files(
    environment: Mapping[str, Any], carried: Iterable[str], where: str, target: str
) -> list[Diagnostic]:
    """A warning for each embedded file the export to *target* does not carry."""
    keep = set(carried)
    files = environment.get("files") or {}
    return [
        diagnostic(
            "format-file-dropped",
            f"the embedded '{name}' is not carried by the {target} export",
            where,
            f"/files/{name}",
        )
        for name in files
        if name not in keep
    ]


def project_name(path: str, settings: Mapping[str, str]) -> str:
    """``--option name=...``, or a valid project name made from the notebook's file name."""
    if settings.get("name"):
        return settings["name"]
    stem = re.split(r"[\\/]", path)[-1]
    for suffix in (".ipynb", ".json", ".yaml", ".yml", ".envspec"):
        stem = stem.removesuffix(suffix)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")
    return name or "notebook"


_PLAIN = re.compile(r"[A-Za-z0-9_][^\n\t#]*")
_NOT_PLAIN = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+.0-9].*)"
)


def yaml_scalar(value: str) -> str:
    """A YAML scalar that YAML 1.1 (conda's PyYAML) and 1.2 read as the string *value*:
    plain when that is safe, JSON's double-quoted form (valid YAML) otherwise."""
    if (
        _PLAIN.fullmatch(value)
        and not _NOT_PLAIN.fullmatch(value)
        and ": " not in value
        and not value.endswith((":", " "))
        and value.isascii()
    ):
        return value
    # JSON escapes a character beyond U+FFFF as a surrogate pair, which YAML reads as two
    # lone surrogates: YAML's own escape is \UXXXXXXXX.
    return _PAIR.sub(_astral, json.dumps(value))


_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match: re.Match[str]) -> str:
    high, low = int(match[2], 16), int(match[3], 16)
    return f"{match[1]}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def conda_yaml(name: str | None, channels: list[str], dependencies: list[Any]) -> str:
    """An ``environment.yml`` in the plain layout everyone writes (strings and one
    ``pip:`` list); read back without a YAML parser by :func:`envspec._yaml.simple_load`."""
    lines = [f"name: {yaml_scalar(name)}"] if name else []
    lines.append("channels:")
    lines += [f"  - {yaml_scalar(c)}" for c in channels]
    lines.append("dependencies:")
    for dep in dependencies:
        if isinstance(dep, dict):
            lines.append("  - pip:")
            lines += [f"      - {yaml_scalar(p)}" for p in dep["pip"]]
        else:
            lines.append(f"  - {yaml_scalar(dep)}")
    return "\n".join(lines) + "\n"


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: object) -> str:
    """A TOML value for strings, lists of them and inline tables of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_key(key: str) -> str:
    """A bare key when TOML allows one, a quoted key otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)
