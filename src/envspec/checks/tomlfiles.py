"""TOML and JSON files: ``pylock.toml`` (PEP 751), ``Pipfile``, ``Pipfile.lock``, Julia's files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from envspec.diagnostics import Finding

__all__ = ["check_pipfile_lock", "check_pylock", "check_toml", "parse_toml"]

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_SOURCES = ("vcs", "directory", "archive")


def parse_toml(
    text: str, path: tuple[str | int, ...]
) -> tuple[dict[str, Any] | None, Finding | None]:
    """Parsed TOML, or the ``invalid-toml`` finding at the parser's line and column."""
    import tomllib

    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _AT.search(message)
        line, col = (int(at[1]), int(at[2])) if at else (None, None)
        return None, Finding("invalid-toml", _AT.sub("", message).strip(), path, line, col)
    except RecursionError:
        return None, Finding("too-deep", "the TOML is nested too deeply to read", path)


def check_toml(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """A TOML file whose contents envspec does not interpret further."""
    _, problem = parse_toml(text, path)
    if problem is not None:
        yield problem


def check_pylock(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """PEP 751: required keys, lock-version, and package sources."""
    data, problem = parse_toml(text, path)
    if problem is not None:
        yield problem
        return
    if data is None:  # parse_toml gives data or a problem
        return
    version = data.get("lock-version")
    if not isinstance(version, str):
        yield Finding("pylock-structure", "'lock-version' is required and must be a string", path)
    elif version.split(".")[0] != "1":
        yield Finding("pylock-version", f"lock-version {version!r} is not a 1.x version", path)
    if not isinstance(data.get("created-by"), str):
        yield Finding("pylock-structure", "'created-by' is required and must be a string", path)
    requires = data.get("requires-python")
    if requires is not None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(requires if isinstance(requires, str) else "!")
        except InvalidSpecifier:
            yield Finding(
                "pylock-structure", f"requires-python {requires!r} is not a version specifier", path
            )
    packages = data.get("packages")
    if not isinstance(packages, list):
        yield Finding(
            "pylock-structure", "'packages' is required and must be an array of tables", path
        )
        return
    for index, package in enumerate(packages):
        yield from _package(index, package, path)


def _package(index: int, package: object, path: tuple[str | int, ...]) -> Iterator[Finding]:
    where = f"packages[{index}]"
    if not isinstance(package, dict):
        yield Finding("pylock-structure", f"{where} is not a table", path)
        return
    name = package.get("name")
    if not isinstance(name, str) or not name:
        yield Finding("pylock-structure", f"{where} has no 'name'", path)
    label = f"{where} ({name})" if isinstance(name, str) else where
    sources = [key for key in _SOURCES if key in package]
    has_dists = "sdist" in package or "wheels" in package
    if len(sources) > 1 or (sources and has_dists):
        yield Finding("pylock-structure", f"{label} has more than one kind of source", path)
    if "directory" in package:
        yield Finding("requirement-local", f"{label} is installed from a local directory", path)
    for key in ("archive", "sdist"):
        part = package.get(key)
        if isinstance(part, dict) and not isinstance(part.get("hashes"), dict):
            yield Finding("pylock-structure", f"{label}.{key} has no 'hashes' table", path)
    wheels = package.get("wheels")
    if isinstance(wheels, list):
        for number, wheel in enumerate(wheels):
            if not (isinstance(wheel, dict) and isinstance(wheel.get("hashes"), dict)):
                yield Finding(
                    "pylock-structure", f"{label}.wheels[{number}] has no 'hashes' table", path
                )


def pylock_requires_python(text: str) -> str | None:
    """``requires-python`` of a lock file, if readable."""
    import tomllib

    try:
        value = tomllib.loads(text).get("requires-python")
    except (tomllib.TOMLDecodeError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def check_pipfile_lock(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """JSON with ``_meta`` and ``default`` objects."""
    import json

    from envspec.checks._text import line_col

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        line, col = line_col(text, exc.pos)
        yield Finding("pipfile-lock-invalid", f"not JSON: {exc.msg}", path, line, col)
        return
    except RecursionError:
        yield Finding("too-deep", "the JSON is nested too deeply to read", path)
        return
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("_meta"), dict)
        or not isinstance(data.get("default"), dict)
    ):
        yield Finding(
            "pipfile-lock-invalid", "a Pipfile.lock needs '_meta' and 'default' objects", path
        )
