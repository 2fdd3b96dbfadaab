"""conda environment files (``environment.yml``): YAML, MatchSpecs (py-rattler), ``pip:``."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from envspec._yaml import YamlProblem, item_positions, load_yaml, position_of
from envspec.checks.requirements import check_requirement_lines
from envspec.diagnostics import Finding

__all__ = ["check_conda", "check_pixi_lock", "conda_python_spec"]

_KNOWN_KEYS = {"name", "channels", "dependencies", "prefix", "variables"}
# ``name``, ``name=1.2``, ``name>=1.2,<2``: a strict subset of MatchSpec that needs no
# parser (and no import of rattler); anything else goes to rattler.  Tests check that
# rattler accepts everything this accepts.
_VERSION = r"[0-9]{1,18}(?:\.[0-9]{1,18})*(?:[a-z]+[0-9]{0,18})?"  # rattler: 64-bit numbers
_OP_VERSION = rf"(?:==|=|>=|<=|>|<|!=)[ \t]*{_VERSION}(?:\.\*)?"
SIMPLE_SPEC = re.compile(
    rf"[a-z0-9_][a-z0-9_.-]*(?:[ \t]*{_OP_VERSION}(?:[ \t]*,[ \t]*{_OP_VERSION})*)?"
)


_SIMPLE_PYTHON = re.compile(
    r"python(?:[ \t]*(?P<op>==|=|>=|<=|>|<)"
    r"[ \t]*(?P<version>[0-9]{1,9}(?:\.[0-9]{1,9})*(?:\.\*)?))?"
)


@functools.lru_cache(maxsize=512)
def _load(text: str) -> tuple[Any, YamlProblem | None]:
    # The conda rules and the Python-pin consistency rule read the same text: parse once.
    return load_yaml(text)


@functools.lru_cache(maxsize=65536)
def _spec_error(spec: str) -> str | None:
    if SIMPLE_SPEC.fullmatch(spec):
        return None
    import rattler

    try:
        rattler.MatchSpec(spec)
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        return str(exc)
    return None


def check_conda(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Findings for an embedded conda environment file."""
    data, problem = _load(text)
    if problem is not None:
        yield Finding(problem.code, problem.message, path, problem.line, problem.column)  # type: ignore[arg-type]
        return
    if data is None:
        return
    if not isinstance(data, dict):
        yield Finding("conda-structure", "the file is not a mapping of keys", path, 1, 1)
        return
    for key in data:
        if key not in _KNOWN_KEYS:
            line, col = position_of(text, (key,))
            yield Finding(
                "conda-unknown-key",
                f"{key!r} is not a key of conda environment files",
                path,
                line,
                col,
            )
    if "prefix" in data:
        line, col = position_of(text, ("prefix",))
        yield Finding(
            "conda-prefix", f"prefix {data['prefix']!r} is a path on one machine", path, line, col
        )
    channels = data.get("channels")
    if channels is not None and not (
        isinstance(channels, list) and all(isinstance(c, str) for c in channels)
    ):
        line, col = position_of(text, ("channels",))
        yield Finding(
            "conda-structure", "'channels' must be a list of channel names", path, line, col
        )
    deps = data.get("dependencies")
    if deps is None:
        return
    if not isinstance(deps, list):
        line, col = position_of(text, ("dependencies",))
        yield Finding("conda-structure", "'dependencies' must be a list", path, line, col)
        return
    yield from _dependencies(text, deps, path)


def _dependencies(text: str, deps: list[Any], path: tuple[str | int, ...]) -> Iterator[Finding]:
    for index, dep in enumerate(deps):
        where = ("dependencies", index)
        if isinstance(dep, str):
            error = _spec_error(dep)
            if error is not None:
                line, col = position_of(text, where)
                yield Finding(
                    "conda-spec-invalid",
                    f"{dep!r} is not a valid MatchSpec: {error}",
                    path,
                    line,
                    col,
                )
        elif isinstance(dep, dict) and list(dep) == ["pip"] and isinstance(dep["pip"], list):
            items = dep["pip"]
            positions: list[tuple[int, int]] | None = None
            for number, item in enumerate(items):
                found = (
                    list(check_requirement_lines([(0, item.strip())], path))
                    if isinstance(item, str)
                    else [Finding("conda-structure", f"pip entry {item!r} is not a string", path)]
                )
                if not found:
                    continue
                if positions is None:  # positions cost a second parse: only for problems
                    positions = item_positions(text, (*where, "pip"))
                line, col = positions[number] if number < len(positions) else (None, None)
                # Positions are those of the item in the YAML, not of a requirements file.
                for finding in found:
                    yield replace(finding, line=line, column=col)
        else:
            line, col = position_of(text, where)
            yield Finding(
                "conda-structure",
                f"dependency {dep!r} is neither a MatchSpec string nor a 'pip:' list",
                path,
                line,
                col,
            )


def conda_python_spec(text: str) -> str | None:
    """The version spec of the ``python`` dependency, if any (for consistency checks)."""
    data, problem = _load(text)
    if problem is not None or not isinstance(data, dict):
        return None
    deps = data.get("dependencies")
    if not isinstance(deps, list):
        return None
    for dep in deps:
        if isinstance(dep, str) and (simple := _SIMPLE_PYTHON.fullmatch(dep)):
            op, version = simple["op"], simple["version"]
            if not version:
                return None
            if op == "=" and not version.endswith(".*"):
                return version + ".*"  # conda's "=X" is "X.*", as rattler writes it
            return version if op == "=" else f"{op}{version}"
        if isinstance(dep, str) and (dep.startswith("python") or "::python" in dep):
            import rattler

            try:
                spec = rattler.MatchSpec(dep)
            except Exception:  # noqa: BLE001, S112 - invalid specs are reported by check_conda
                continue
            if spec.name is not None and spec.name.normalized == "python" and spec.version:
                return str(spec.version)
    return None


def check_pixi_lock(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Findings for an embedded ``pixi.lock`` (env_ver 1.1): YAML, and the members every
    reader of the format needs (``spec/1.1.md#file-pixi-lock``)."""
    data, problem = load_yaml(text)
    if problem is not None:
        yield Finding(problem.code, problem.message, path, problem.line, problem.column)  # type: ignore[arg-type]
        return
    if not isinstance(data, dict):
        yield Finding("pixi-lock-structure", "the lock file is not a mapping of keys", path, 1, 1)
        return
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        line, col = position_of(text, ("version",)) if "version" in data else (1, 1)
        yield Finding(
            "pixi-lock-structure",
            "'version' is required and must be a positive integer",
            path,
            line,
            col,
        )
        return
    if version < 4:
        return  # the single-environment layout of the first versions
    environments = data.get("environments")
    if not isinstance(environments, dict) or not all(
        isinstance(v, dict) for v in environments.values()
    ):
        line, col = position_of(text, ("environments",)) if "environments" in data else (1, 1)
        yield Finding(
            "pixi-lock-structure",
            "'environments' is required and must map each environment name to a mapping",
            path,
            line,
            col,
        )
    if not isinstance(data.get("packages"), list):
        line, col = position_of(text, ("packages",)) if "packages" in data else (1, 1)
        yield Finding(
            "pixi-lock-structure", "'packages' is required and must be a list", path, line, col
        )
