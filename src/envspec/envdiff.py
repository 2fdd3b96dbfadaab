"""``envspec env diff``: what an environment holds that the notebook does not declare, and
what the notebook declares that the environment lacks.

*Declared* are the requirements of the embedded ``requirements.txt``, the ``pip:`` part of
an embedded conda file, and every package of an embedded ``pylock.toml`` (at its locked
version).  *Installed* are the distributions the environment's Python sees
(``importlib.metadata``, run inside that Python).

- **Undeclared**: installed distributions that no declared requirement needs, directly or
  through the ``Requires-Dist`` of the installed distributions (markers evaluated in that
  environment, extras followed where a requirement asks for them).  Of these, only the
  top-level ones are listed: a package installed during a session (``%pip install
  pandas``) is reported, not the dependencies it brought.  pip, setuptools, wheel and
  ipykernel (with what they need) belong to the environment's tooling and are never
  reported; nor are distributions installed by conda when the notebook has a conda file.
- **Missing**: declared requirements whose markers hold in that environment and that no
  installed distribution meets (not installed, or at a version outside the requirement).

In a conda prefix (one with ``conda-meta/``) whose notebook embeds a conda file, the conda
packages are compared the same way: each MatchSpec of the file must be met by an installed
package, and installed packages that no spec needs (through their ``depends``) are
undeclared, the top-level ones listed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DiffError",
    "EnvironmentDiff",
    "Installed",
    "Missing",
    "declared_requirements",
    "diff_environment",
    "find_python",
    "installed_distributions",
]

#: Distributions of the environment's own tooling (the launcher adds ipykernel).
TOOLING = ("pip", "setuptools", "wheel", "ipykernel")

_PROBE = r"""
import importlib.metadata as m, json, os, platform, sys
def installer(d):
    try:
        return (d.read_text("INSTALLER") or "").strip()
    except Exception:
        return ""
impl = sys.implementation
iv = impl.version
version = f"{iv.major}.{iv.minor}.{iv.micro}"
if iv.releaselevel != "final":
    version += iv.releaselevel[0] + str(iv.serial)
markers = {
    "implementation_name": impl.name,
    "implementation_version": version,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
dists = []
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        dists.append({"name": name, "version": d.version, "requires": d.requires or [],
                      "installer": installer(d)})
print(json.dumps({"markers": markers, "distributions": dists, "executable": sys.executable}))
"""


class DiffError(RuntimeError):
    """The environment cannot be inspected, or the notebook declares nothing to compare."""


@dataclass(frozen=True, slots=True)
class Installed:
    """A distribution in the environment."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    installer: str = ""
    #: ``pip`` (a Python distribution) or ``conda`` (a package of the conda prefix).
    kind: str = "pip"


@dataclass(frozen=True, slots=True)
class Missing:
    """A declared requirement the environment does not meet."""

    name: str
    requirement: str
    #: Which embedded file declares it.
    source: str
    #: The installed version, when a distribution of that name is installed.
    installed: str | None = None

    def describe(self) -> str:
        """One line: what is missing and where it is declared."""
        if self.installed is None:
            return f"{self.name}: not installed ({self.source}: {self.requirement})"
        return f"{self.name} {self.installed} does not meet {self.requirement} ({self.source})"


@dataclass(frozen=True, slots=True)
class EnvironmentDiff:
    """The difference between a notebook's declared environment and a real one."""

    python: str
    undeclared: tuple[Installed, ...] = ()
    missing: tuple[Missing, ...] = ()
    #: Declared requirements that were not compared (URLs without a name, bad lines).
    skipped: tuple[str, ...] = field(default=())

    @property
    def differs(self) -> bool:
        """Whether the environment and the notebook disagree."""
        return bool(self.undeclared or self.missing)

    def to_data(self) -> dict[str, Any]:
        """The JSON form (``envspec env diff --format json``)."""
        return {
            "python": self.python,
            "differs": self.differs,
            "undeclared": [
                {"name": i.name, "version": i.version, "kind": i.kind} for i in self.undeclared
            ],
            "missing": [
                {
                    "name": m.name,
                    "requirement": m.requirement,
                    "source": m.source,
                    "installed": m.installed,
                }
                for m in self.missing
            ],
            "skipped": list(self.skipped),
        }


def find_python(prefix: str | os.PathLike[str] | None = None) -> Path:
    """The Python of the environment at *prefix* (a virtual environment or conda prefix),
    else the ``python`` (or ``python3``) in ``PATH``.

    :raises DiffError: there is none.
    """
    if prefix is not None:
        root = Path(os.path.abspath(prefix))
        for candidate in (root / "bin" / "python", root / "Scripts" / "python.exe",
                          root / "python.exe", root / "bin" / "python3"):  # fmt: skip
            if candidate.is_file():
                return candidate
        raise DiffError(f"{os.fspath(prefix)!r} holds no Python (looked for bin/python)")
    for name in ("python", "python3"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise DiffError("no python in PATH; give the environment with --prefix")


def installed_distributions(
    python: str | os.PathLike[str],
) -> tuple[dict[str, str], list[Installed]]:
    """The marker environment and the distributions of *python*, asked inside it."""
    with tempfile.TemporaryDirectory(prefix="envspec-diff-") as folder:
        try:
            done = subprocess.run(
                [os.fspath(python), "-I", "-c", _PROBE],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
                cwd=folder,
            )
        except OSError as exc:
            raise DiffError(f"cannot run {os.fspath(python)!r}: {exc.strerror or exc}") from None
        except subprocess.TimeoutExpired:
            raise DiffError(f"{os.fspath(python)!r} did not answer within 120 s") from None
    if done.returncode != 0:
        tail = " ".join(done.stderr.split()[-30:])
        raise DiffError(f"{os.fspath(python)!r} failed to list its packages: {tail}")
    data = json.loads(done.stdout)
    dists = [
        Installed(d["name"], d["version"], tuple(d["requires"]), d["installer"])
        for d in data["distributions"]
    ]
    return data["markers"], dists


def declared_requirements(environment: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(requirement, source)`` for every pip requirement the environment declares."""
    from envspec.lock.pip import inputs_of, locked_packages

    files = environment.get("files")
    files = files if isinstance(files, dict) else {}
    out: list[tuple[str, str]] = []
    text = files.get("requirements.txt")
    if isinstance(text, str):
        out += [(r, "requirements.txt") for r in inputs_of(text, None).requirements]
    for name in ("environment.yml", "environment.yaml"):
        conda = files.get(name)
        if isinstance(conda, str):
            out += [(r, f"{name} pip:") for r in _conda_pip(conda)]
    lock = files.get("pylock.toml")
    if isinstance(lock, str):
        out += [(r, "pylock.toml") for r in locked_packages(lock)]
    return out


def _conda_pip(text: str) -> list[str]:
    from envspec._yaml import load_yaml
    from envspec.lock.pip import inputs_of

    data, problem = load_yaml(text)
    if problem is not None or not isinstance(data, dict):
        return []
    lines: list[str] = []
    for item in data.get("dependencies") or []:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            lines += [p for p in item["pip"] if isinstance(p, str)]
    return list(inputs_of("\n".join(lines) + "\n", None).requirements)


def diff_environment(
    environment: Mapping[str, Any],
    python: str | os.PathLike[str] | None,
    *,
    prefix: str | os.PathLike[str] | None = None,
) -> EnvironmentDiff:
    """Compare what *environment* declares with what *python*'s environment holds (and, for
    a conda file, what the conda *prefix* holds: by default the prefix of *python*).

    :raises DiffError: the environment cannot be inspected.
    """
    conda_text = _conda_text(environment)
    if prefix is None and python is not None:
        prefix = Path(os.path.abspath(python)).parent.parent
    conda_undeclared: tuple[Installed, ...] = ()
    conda_missing: tuple[Missing, ...] = ()
    if conda_text is not None and prefix is not None and (Path(prefix) / "conda-meta").is_dir():
        conda_undeclared, conda_missing = _conda_diff(conda_text, Path(prefix))
    if python is None:
        return EnvironmentDiff(os.fspath(prefix or ""), conda_undeclared, conda_missing)
    pip = _pip_diff(environment, python)
    return EnvironmentDiff(
        pip.python,
        conda_undeclared + pip.undeclared,
        conda_missing + pip.missing,
        pip.skipped,
    )


def _conda_text(environment: Mapping[str, Any]) -> str | None:
    files = environment.get("files")
    files = files if isinstance(files, dict) else {}
    for name in ("environment.yml", "environment.yaml"):
        if isinstance(files.get(name), str):
            return str(files[name])
    return None


def _conda_diff(text: str, prefix: Path) -> tuple[tuple[Installed, ...], tuple[Missing, ...]]:
    """The conda side: the file's MatchSpecs against the records of ``prefix/conda-meta``."""
    import rattler

    from envspec.lock.conda import _parse

    try:
        specs, _, _ = _parse(text)
        records = [
            rattler.PrefixRecord.from_path(path)
            for path in sorted((prefix / "conda-meta").glob("*.json"))
        ]
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        raise DiffError(f"cannot read the conda prefix {os.fspath(prefix)!r}: {exc}") from None
    by_name = {r.name.normalized: r for r in records}
    source = "environment.yml"
    missing: list[Missing] = []
    roots: list[str] = []
    for spec in specs:
        try:
            match = rattler.MatchSpec(spec)
        except Exception:  # noqa: BLE001, S112 - an invalid spec: the validator reports it
            continue
        name = match.name.normalized if match.name else spec
        roots.append(name)
        found = by_name.get(name)
        if found is None:
            missing.append(Missing(name, spec, source))
        elif not match.matches(found):
            missing.append(Missing(name, spec, source, str(found.version)))

    def needs(names: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen or name not in by_name:
                continue
            seen.add(name)
            for dep in by_name[name].depends:
                todo.append(dep.split()[0].split("[")[0].lower())
        return seen

    # The launcher adds a Python (and ipykernel) to a conda environment to run the kernel.
    needed = needs([*roots, *TOOLING, "python"])
    extra = {n: r for n, r in by_name.items() if n not in needed}
    below: set[str] = set()
    for name, record in extra.items():
        below |= needs(d.split()[0].split("[")[0].lower() for d in record.depends) - {name}
    top = [extra[n] for n in sorted(extra) if n not in below] or [extra[n] for n in sorted(extra)]
    undeclared = tuple(Installed(r.name.normalized, str(r.version), kind="conda") for r in top)
    return undeclared, tuple(missing)


def _pip_diff(environment: Mapping[str, Any], python: str | os.PathLike[str]) -> EnvironmentDiff:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    markers, dists = installed_distributions(python)
    by_name: dict[str, Installed] = {canonicalize_name(d.name): d for d in dists}
    declared = declared_requirements(environment)
    files = environment.get("files")
    has_conda = isinstance(files, dict) and any(
        n in files for n in ("environment.yml", "environment.yaml")
    )
    roots: list[Requirement] = []
    missing: list[Missing] = []
    skipped: list[str] = []
    for line, source in declared:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            skipped.append(f"{source}: {line}")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate(
            {**markers, "extra": ""}
        ):
            continue
        roots.append(requirement)
        name = canonicalize_name(requirement.name)
        found = by_name.get(name)
        if found is None:
            missing.append(Missing(name, line, source))
        elif requirement.specifier and not requirement.specifier.contains(
            found.version, prereleases=True
        ):
            missing.append(Missing(name, line, source, found.version))
    roots += [Requirement(t) for t in TOOLING]
    needed = _closure(roots, by_name, markers)
    extra = {
        n: d
        for n, d in by_name.items()
        if n not in needed and not (has_conda and d.installer == "conda")
    }
    # Only the top-level ones: those no other undeclared distribution needs.
    below: set[str] = set()
    for extra_name, dist in extra.items():
        below |= _closure(_requirements(dist.requires), by_name, markers) - {extra_name}
    top = sorted((d for n, d in extra.items() if n not in below), key=lambda d: d.name.lower())
    if not top and extra:  # a cycle: every member needs another; list them all
        top = sorted(extra.values(), key=lambda d: d.name.lower())
    return EnvironmentDiff(
        os.fspath(python),
        tuple(Installed(d.name, d.version) for d in top),
        tuple(missing),
        tuple(skipped),
    )


def _requirements(lines: Iterable[str]) -> list[Any]:
    from packaging.requirements import InvalidRequirement, Requirement

    out = []
    for line in lines:
        try:
            out.append(Requirement(line))
        except InvalidRequirement:
            continue
    return out


def _closure(
    roots: Iterable[Any], by_name: Mapping[str, Installed], markers: dict[str, str]
) -> set[str]:
    """The names of the installed distributions *roots* need, themselves included."""
    from packaging.utils import canonicalize_name

    seen: set[tuple[str, str]] = set()
    names: set[str] = set()
    todo: list[tuple[Any, str]] = [(r, "") for r in roots]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate(
            {**markers, "extra": extra}
        ):
            continue
        name = canonicalize_name(requirement.name)
        dist = by_name.get(name)
        if dist is None:
            continue
        names.add(name)
        for wanted in ("", *sorted(requirement.extras)):
            if (name, wanted) in seen:
                continue
            seen.add((name, wanted))
            todo += [(r, wanted) for r in _requirements(dist.requires)]
    return names
