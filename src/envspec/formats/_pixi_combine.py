"""Several features of one pixi environment naming the same package.

pixi resolves each feature for the platform first (a matching target's spec of a package
replaces the feature's own), then gives the solver every feature's spec of a package
(``DependencyMap::merge_all``: all specs are kept, none replaces another).  So:

- conda: rattler's solver needs a package that matches every spec.  The version
  constraints are joined into one MatchSpec (``>=1.20`` and ``<2`` give ``>=1.20,<2``);
  two different build strings or channels cannot be one MatchSpec: a channel conflict is
  unsolvable (a package comes from one channel), different builds keep the build of the
  feature pixi lists first (the environment's features in order, the default one last)
  and report the other;
- PyPI: uv gets every requirement: the specifiers intersect, the extras add up, two
  different URLs (``git``, ``url``) are uv's error "conflicting URLs"; a URL and a
  version constraint install the URL (uv checks the version then).  Requirements with
  different environment markers are kept apart (each applies where its marker holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envspec.diagnostics import diagnostic

if TYPE_CHECKING:
    from packaging.requirements import Requirement

    from envspec.diagnostics import Code
    from envspec.formats._pixi_manifest import Manifest

__all__ = ["Deps", "Entry", "combine_conda", "combine_pypi", "combined", "pixi_order"]


@dataclass(frozen=True)
class Entry:
    """One spec of a package: its text, who names it (*label*) and where: the TOML path
    of the table whose key *key* it is (``None``: an item of a list, *key* its text)."""

    spec: str
    label: str
    feature: str
    tables: tuple[str, ...] | None
    key: str


def pixi_order(entries: list[Entry]) -> list[Entry]:
    """*entries* in the order pixi gives their specs: those of the environment's features
    (in its order), then those of the default feature."""
    return [e for e in entries if e.feature != "default"] + [
        e for e in entries if e.feature == "default"
    ]


def _line(manifest: Manifest, entry: Entry) -> int | None:
    from envspec.formats._pixi_env import key_line
    from envspec.formats.pyproject import line_of

    if entry.tables is not None:
        line = key_line(manifest.text, list(entry.tables), entry.key)
        if line is not None:
            return line
    return line_of(manifest.text, entry.key)


def _report(manifest: Manifest, code: Code, message: str, entry: Entry) -> None:
    manifest.found.append(diagnostic(code, message, manifest.where, line=_line(manifest, entry)))


def _join_versions(versions: list[str]) -> str:
    """One conda version constraint that every one of *versions* holds."""
    parts: list[str] = []
    for version in versions:
        clause = version.replace(" ", "")
        if "|" in clause and not (clause.startswith("(") and clause.endswith(")")):
            clause = f"({clause})"  # "," binds tighter than "|"
        if clause not in parts:
            parts.append(clause)
    return ",".join(parts)


def combine_conda(manifest: Manifest, name: str, entries: list[Entry]) -> str | None:
    """The MatchSpec of the conda package *name* from the *entries* of the features (the
    default feature's first, as the manifest reads), or ``None`` (a conflict, reported)."""
    from envspec.formats._condapip import spec_parts
    from envspec.formats._pixi_manifest import format_conda

    distinct = list(dict.fromkeys(e.spec for e in entries))
    if len(distinct) == 1:
        return distinct[0]
    parts = [spec_parts(e.spec) for e in entries]
    channels: dict[str, Entry] = {}
    builds: dict[str, Entry] = {}
    versions: list[str] = []
    for entry, part in zip(entries, parts, strict=True):
        if isinstance(part, str):  # pragma: no cover - each spec was checked when read
            return entry.spec
        if part.version and part.version != "*":
            versions.append(part.version)
        if part.channel is not None:
            channels.setdefault(part.channel, entry)
    for entry in pixi_order(entries):
        part = parts[entries.index(entry)]
        if isinstance(part, str):  # pragma: no cover - as above
            continue
        if part.build is not None:
            builds.setdefault(part.build, entry)
    if len(channels) > 1:
        (first, one), (second, other) = list(channels.items())[:2]
        _report(
            manifest,
            "pixi-dependency-conflict",
            f"conda dependency '{name}': {one.label} wants it from channel '{first}' and "
            f"{other.label} from channel '{second}'; pixi solves both specs together and no "
            "package comes from two channels",
            other,
        )
        return None
    build = None
    if builds:
        (build, kept), *others = list(builds.items())
        for other_build, other in others:
            _report(
                manifest,
                "pixi-dependency-dropped",
                f"conda dependency '{name}' of {other.label}: the build '{other_build}' is "
                f"not carried: a MatchSpec has one build, and {kept.label}'s '{build}' is "
                "kept (pixi's solver needs a package that matches both)",
                other,
            )
    channel = next(iter(channels), None)
    return format_conda(name, _join_versions(versions), build, channel)


def combine_pypi(manifest: Manifest, entries: list[Entry]) -> list[str]:
    """The requirements of one PyPI package from the *entries* of the features (the
    default feature's first): one per environment marker, or none (a conflict,
    reported)."""
    from packaging.requirements import Requirement

    distinct = list(dict.fromkeys(e.spec for e in entries))
    if len(distinct) == 1:
        return distinct
    groups: dict[str, list[tuple[Entry, Requirement]]] = {}
    for entry in entries:
        requirement = Requirement(entry.spec)
        marker = "" if requirement.marker is None else str(requirement.marker)
        groups.setdefault(marker, []).append((entry, requirement))
    out: list[str] = []
    for marker, group in groups.items():
        specs = list(dict.fromkeys(e.spec for e, _ in group))
        if len(specs) == 1:
            out.append(specs[0])
            continue
        combined = _one_pypi(manifest, group)
        if combined is None:
            return []
        out.append(combined + (f"; {marker}" if marker else ""))
    return out


def _one_pypi(manifest: Manifest, pairs: list[tuple[Entry, Requirement]]) -> str | None:
    name = pairs[0][1].name
    urls: dict[str, Entry] = {}
    extras: list[str] = []
    clauses: list[str] = []
    constrained: list[Entry] = []
    for entry, requirement in pairs:
        if requirement.url:
            urls.setdefault(requirement.url, entry)
        extras += [e for e in requirement.extras if e not in extras]
        if requirement.specifier:
            constrained.append(entry)
            for clause in str(requirement.specifier).split(","):
                if clause not in clauses:
                    clauses.append(clause)
    extra = f"[{','.join(sorted(extras))}]" if extras else ""
    if len(urls) > 1:
        (first, one), (second, other) = list(urls.items())[:2]
        _report(
            manifest,
            "pixi-dependency-conflict",
            f"PyPI dependency '{name}': {one.label} installs it from {first} and "
            f"{other.label} from {second}; uv, which pixi resolves PyPI packages with, "
            "refuses conflicting URLs for one package",
            other,
        )
        return None
    if urls:
        url, source = next(iter(urls.items()))
        for entry in constrained:
            _report(
                manifest,
                "pixi-dependency-dropped",
                f"PyPI dependency '{name}' of {entry.label}: the version constraint is not "
                f"carried: {source.label} installs it from {url}, which uv then installs for "
                "every requirement of the package (and checks the version against)",
                entry,
            )
        return f"{name}{extra} @ {url}"
    return f"{name}{extra}{','.join(clauses)}"


@dataclass
class Deps:
    """The conda and PyPI dependencies of one feature, for the platform imported: the
    specs of each package (by name; PyPI names normalised)."""

    feature: str
    conda: dict[str, list[Entry]]
    pypi: dict[str, list[Entry]]


def combined(manifest: Manifest, deps: list[Deps]) -> tuple[dict[str, str], dict[str, str]]:
    """The conda MatchSpecs and PyPI requirements of the environment: every feature's
    specs of a package combined, as pixi's solvers take them all (see above)."""
    conda_entries: dict[str, list[Entry]] = {}
    pypi_entries: dict[str, list[Entry]] = {}
    for feature in deps:
        for name, entries in feature.conda.items():
            conda_entries.setdefault(name, []).extend(entries)
        for name, entries in feature.pypi.items():
            pypi_entries.setdefault(name, []).extend(entries)
    conda: dict[str, str] = {}
    for name, entries in conda_entries.items():
        spec = combine_conda(manifest, name, entries)
        if spec is not None:
            conda[name] = spec
    pypi: dict[str, str] = {}
    for name, entries in pypi_entries.items():
        for number, requirement in enumerate(combine_pypi(manifest, entries)):
            pypi[f"{name};{number}" if number else name] = requirement
    return conda, pypi
