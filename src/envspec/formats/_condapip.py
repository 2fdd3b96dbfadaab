"""pip requirements <-> conda MatchSpecs, where the mapping is exact.

Names that differ between PyPI and conda-forge come from the data table
``data/pypi_conda_names.toml`` (each entry says where its facts come from); any other
name is taken to be the same on both sides, in lower case.  Versions are translated only
where both sides mean the same thing: release versions (digits and dots) with ``==``,
``!=``, ``>=``, ``<=``, ``>``, ``<``, ``~=`` and ``.*`` wildcards.  Everything else
(markers, extras, URLs, pre-releases, ``===``, build strings, channel pins, ``|``) is
*inexact*: the functions say why, and the formats report it.

The Python pin functions read a ``requires-python``-style specifier or a conda ``python``
spec and give the lowest Python minor it allows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SpecParts",
    "Translated",
    "conda_name",
    "conda_to_requirement",
    "conda_version_to_pep440",
    "pypi_name",
    "python_pin",
    "requirement_to_conda",
    "spec_parts",
]

_RELEASE = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_OPS = ("===", "~=", "==", "!=", ">=", "<=", ">", "<")


@dataclass(frozen=True, slots=True)
class Translated:
    """The other side's spec (``None`` when there is none) and, when the translation is not
    exact, why (the spec may still be given: kept as it is under ``pip:``)."""

    spec: str | None
    inexact: str | None = None


@functools.cache
def _table() -> tuple[dict[str, str], dict[str, str], frozenset[str], frozenset[str]]:
    import tomllib
    from importlib import resources

    data: dict[str, Any] = tomllib.loads(
        resources.files("envspec.formats.data").joinpath("pypi_conda_names.toml").read_text()
    )
    to_conda: dict[str, str] = {}
    to_pypi: dict[str, str] = {}
    renumbered: set[str] = set()
    for entry in data["name"]:
        to_conda[_canonical(entry["pypi"])] = entry["conda"]
        if entry.get("reverse", True):
            to_pypi[entry["conda"]] = entry["pypi"]
        if not entry.get("same_versions", True):
            renumbered |= {_canonical(entry["pypi"]), entry["conda"]}
    return to_conda, to_pypi, frozenset(data["conda_only"]["names"]), frozenset(renumbered)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def conda_name(pypi: str) -> str:
    """The conda-forge name of the PyPI project *pypi*."""
    return _table()[0].get(_canonical(pypi), pypi.lower())


def pypi_name(conda: str) -> str | None:
    """The PyPI name of the conda package *conda*, or ``None`` for a conda-only package
    (compilers, R packages, C libraries, ``python`` and ``pip`` themselves)."""
    _to_conda, to_pypi, conda_only, _ = _table()
    name = conda.lower()
    if name in to_pypi:
        return to_pypi[name]
    if name in conda_only or name.startswith(("r-", "lib", "_")):
        return None
    return name


def _plain(version: str) -> bool:
    return bool(_RELEASE.fullmatch(version.removesuffix(".*")))


def requirement_to_conda(requirement: str) -> Translated:
    """The conda MatchSpec of the PEP 508 *requirement*, or why there is no exact one."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(requirement)
    except InvalidRequirement as exc:
        return Translated(None, f"not a valid requirement: {str(exc).splitlines()[0]}")
    if req.url:
        return Translated(None, "a URL requirement has no conda form")
    if req.marker is not None:
        return Translated(None, f"the marker '{req.marker}' has no conda form")
    if req.extras:
        return Translated(None, f"the extras [{','.join(sorted(req.extras))}] have no conda form")
    clauses = []
    for spec in sorted(req.specifier, key=lambda s: (s.operator[0] not in "=~>", str(s))):
        if spec.operator == "===" or not _plain(spec.version):
            return Translated(None, f"'{spec}' has no exact conda form (conda orders it otherwise)")
        clauses.append(f"{spec.operator}{spec.version}")
    name = conda_name(req.name)
    if clauses and _canonical(req.name) in _table()[3]:
        return Translated(
            None, f"'{req.name}' and conda-forge's '{name}' number their versions differently"
        )
    return Translated(name + ",".join(clauses))


def conda_version_to_pep440(version: str) -> str | None:
    """The PEP 440 specifier of a conda version spec, or ``None`` when there is none that
    means the same (``|``, build parts, non-release versions)."""
    clauses = []
    for raw in version.split(","):
        clause = raw.strip()
        if not clause or "|" in clause:
            return None
        op = next((o for o in _OPS if clause.startswith(o)), "")
        value = clause[len(op) :].strip()
        if op == "===" or not _plain(value):
            return None
        if not op:
            op = "=="  # "1.2.*" and "==1.2" (rattler's canonical forms)
        if value.endswith(".*") and op not in {"==", "!="}:
            return None
        clauses.append(f"{op}{value}")
    return ",".join(clauses)


@dataclass(frozen=True, slots=True)
class SpecParts:
    """The parts of a MatchSpec that the conversions use."""

    name: str
    #: rattler's canonical version spec (``1.26.*``, ``==1.26``, ``>=1,<2``), or ``None``.
    version: str | None = None
    build: str | None = None
    channel: str | None = None


_CHANNEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_SIMPLE_HEAD = re.compile(r"([a-z0-9_][a-z0-9_.-]*)[ \t]*(.*)", re.DOTALL)


def spec_parts(spec: str) -> SpecParts | str:
    """The parts of the MatchSpec *spec*, or why it is not one.  The common simple forms
    (``numpy``, ``numpy=1.26``, ``numpy>=1.26,<3``) are read without rattler; the others
    by rattler."""
    from envspec.checks.conda import SIMPLE_SPEC

    text = spec.strip()
    channel, sep, rest = text.rpartition("::")
    if sep and _CHANNEL.fullmatch(channel) and SIMPLE_SPEC.fullmatch(rest):
        parts = spec_parts(rest)
        if isinstance(parts, SpecParts):
            return SpecParts(parts.name, parts.version, None, channel)
    if SIMPLE_SPEC.fullmatch(text):
        head = _SIMPLE_HEAD.fullmatch(text)
        if head is None:  # pragma: no cover - SIMPLE_SPEC starts with a name
            return f"{text!r} has no package name"
        name, rest = head[1], re.sub(r"[ \t]+", "", head[2])
        if not rest:
            return SpecParts(name)
        clauses = []
        for clause in rest.split(","):
            if clause.startswith("=") and not clause.startswith("=="):
                version = clause[1:]
                clauses.append(version if version.endswith(".*") else f"{version}.*")
            else:
                clauses.append(clause)
        return SpecParts(name, ",".join(clauses))
    import rattler

    try:
        match = rattler.MatchSpec(text)
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        return f"not a valid MatchSpec: {exc}"
    if match.name is None:
        return "a MatchSpec without a package name"
    return SpecParts(
        match.name.normalized,
        None if match.version is None else str(match.version),
        str(match.build) if match.build else None,
        None if match.channel is None else str(match.channel.name),
    )


def conda_to_requirement(spec: str) -> Translated:
    """The PEP 508 requirement of the conda MatchSpec *spec*, or why there is none."""
    parts = spec_parts(spec)
    if isinstance(parts, str):
        return Translated(None, parts)
    conda = parts.name
    name = pypi_name(conda)
    if name is None:
        return Translated(None, f"'{conda}' is a conda package with no PyPI counterpart")
    inexact = []
    if parts.channel is not None:
        inexact.append(f"the channel '{parts.channel}' is not carried")
    if parts.build:
        inexact.append(f"the build '{parts.build}' is not carried")
    version = "" if parts.version is None else conda_version_to_pep440(parts.version)
    if version and conda in _table()[3]:
        return Translated(
            None, f"conda-forge's '{conda}' and PyPI's '{name}' number their versions differently"
        )
    if version is None:
        return Translated(None, f"the version '{parts.version}' has no exact pip form")
    return Translated(name + version, "; ".join(inexact) or None)


def python_pin(specifier: str) -> tuple[str | None, bool]:
    """The lowest Python ``MAJOR.MINOR`` that the PEP 440 *specifier* allows, and whether
    the specifier is simple: a lower bound (it allows every later minor of Python 3), or
    one minor only (``==3.12.*``, which is what the pin means).

    A single exact version (``==3.12.4``) gives that version (and counts as simple).
    ``(None, False)`` when
    no Python 3 release is allowed or the specifier is invalid.
    """
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        allowed = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None, False
    exact = [s for s in allowed if s.operator in {"==", "==="} and "*" not in s.version]
    if len(exact) == 1 and len(allowed) == 1 and _RELEASE.fullmatch(exact[0].version):
        parts = exact[0].version.split(".")
        return ".".join(parts[:3]), True
    minors = [
        minor
        for minor in range(41)
        if any(allowed.contains(Version(f"3.{minor}.{patch}")) for patch in range(31))
    ]
    if not minors:
        return None, False
    lowest = minors[0]
    return f"3.{lowest}", len(minors) == 1 or minors == list(range(lowest, 41))
