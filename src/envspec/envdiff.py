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
            "undeclared": [{"name": i.name, "version": i.version} for i in self.undeclared],
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
    environment: Mapping[str, Any], python: str | os.PathLike[str]
) -> EnvironmentDiff:
    """Compare what *environment* declares with what *python*'s environment holds.

    :raises DiffError: the environment cannot be inspected.
    """
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
