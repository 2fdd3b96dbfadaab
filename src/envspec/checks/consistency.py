"""Rules across fields: kernel versus kernelspec, Python pins, and what Binder would ignore."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from envspec.diagnostics import Finding

__all__ = ["binder_ignored", "binder_message", "check_kernel", "check_python"]

_CONDA = ("environment.yml", "environment.yaml")
_PACKAGE_FILES = (
    "requirements.txt",
    *_CONDA,
    "Pipfile",
    "Pipfile.lock",
    "Project.toml",
    "Manifest.toml",
    "install.R",
    "runtime.txt",
)


def _is_r_runtime(text: str | None) -> bool:
    # repo2docker picks its R build pack for "r-<version>-<date>" or "r-<date>".
    if not isinstance(text, str):
        return False
    from envspec.checks.textfiles import runtime_parts

    parts = runtime_parts(text)
    return parts is not None and parts[0] == "r" and parts[2] is not None


def binder_ignored(files: Mapping[str, object]) -> dict[str, str]:
    """Which embedded files repo2docker would not use, and the file that wins over each.

    Follows repo2docker's build pack order (Dockerfile, Julia, Nix, R, conda,
    Pipfile, Python): a ``Dockerfile`` replaces everything; a Julia
    ``Project.toml`` wins over ``default.nix`` and ``Pipfile``; ``default.nix``
    replaces the package files; an R ``runtime.txt`` (with a date) selects R,
    which keeps the Python inputs but not ``Pipfile``; otherwise a conda file
    replaces ``requirements.txt``, ``runtime.txt`` and ``Pipfile``, and a
    ``Pipfile`` replaces ``requirements.txt``.  Files that only mean something
    beside another (``install.R`` without an R ``runtime.txt``,
    ``Manifest.toml`` without ``Project.toml``) are reported with what they lack
    (the winner is then ``""``).
    """
    from envspec.vocabulary import FILES

    names = {n for n in files if n in FILES}
    if "Dockerfile" in names:
        return {n: "Dockerfile" for n in names if n != "Dockerfile" and FILES[n].binder}
    runtime = files.get("runtime.txt")
    r_runtime = _is_r_runtime(runtime if isinstance(runtime, str) else None)
    ignored: dict[str, str] = {}
    if "install.R" in names and not r_runtime:
        ignored["install.R"] = ""
    if "Manifest.toml" in names and "Project.toml" not in names:
        ignored["Manifest.toml"] = ""
    if "Project.toml" in names:
        for name in ("default.nix", "Pipfile", "Pipfile.lock"):
            if name in names:
                ignored[name] = "Project.toml"
        return ignored
    if "default.nix" in names:
        return ignored | {n: "default.nix" for n in names if n in _PACKAGE_FILES}
    if r_runtime:
        for name in ("Pipfile", "Pipfile.lock"):
            if name in names:
                ignored[name] = "runtime.txt"
        return ignored
    conda = next((c for c in _CONDA if c in names), None)
    if conda:
        for name in ("requirements.txt", "runtime.txt", "Pipfile", "Pipfile.lock"):
            if name in names:
                ignored[name] = conda
    elif "Pipfile" in names or "Pipfile.lock" in names:
        winner = "Pipfile.lock" if "Pipfile.lock" in names else "Pipfile"
        if "requirements.txt" in names:
            ignored["requirements.txt"] = winner
    return ignored


_LACKS = {
    "install.R": "it is used only with an R runtime.txt such as 'r-4.4-2024-06-01'",
    "Manifest.toml": "it is used only beside a Project.toml",
}


def binder_message(name: str, winner: str) -> str:
    """The message of an ``ignored-by-binder`` finding."""
    if not winner:
        return f"Binder ignores {name!r}: {_LACKS.get(name, 'nothing selects it')}"
    return f"Binder ignores {name!r} because {winner!r} is present"


def check_kernel(env: Mapping[str, Any], kernelspec: object) -> Iterator[Finding]:
    """The notebook's kernelspec must start the environment's kernel."""
    kernel = env.get("kernel")
    if not isinstance(kernel, dict) or not isinstance(kernelspec, dict):
        return
    name, spec_name = kernel.get("name"), kernelspec.get("name")
    if isinstance(name, str) and isinstance(spec_name, str) and name != spec_name:
        yield Finding(
            "kernel-mismatch",
            f"the notebook's kernelspec starts {spec_name!r}, the environment's kernel is {name!r}",
            ("kernel", "name"),
        )
    language, spec_language = kernel.get("language"), kernelspec.get("language")
    if (
        isinstance(language, str)
        and isinstance(spec_language, str)
        and language.lower() != spec_language.lower()
    ):
        yield Finding(
            "kernel-language-mismatch",
            f"the notebook's kernelspec is {spec_language!r}, "
            f"the environment's kernel is {language!r}",
            ("kernel", "language"),
        )


def _candidates(pin: str) -> list[str]:
    # A MAJOR.MINOR pin stands for any of its patch releases.
    return [pin] if pin.count(".") == 2 else [pin, *(f"{pin}.{p}" for p in range(40))]


def check_python(env: Mapping[str, Any], files: Mapping[str, Any]) -> Iterator[Finding]:
    """Every Python pin (conda, ``requires-python``, runtime.txt) agrees with ``python``."""
    pin = env.get("python")
    if not isinstance(pin, str):
        return
    for name in _CONDA:
        text = files.get(name)
        if isinstance(text, str) and "python" in text:
            from envspec.checks.conda import conda_python_spec

            spec = conda_python_spec(text)
            if spec and not _conda_allows(spec, _candidates(pin)):
                yield Finding(
                    "python-mismatch",
                    f"{name} asks for python {spec}, the pin is {pin!r}",
                    ("files", name),
                )
    lock = files.get("pylock.toml")
    if isinstance(lock, str):
        from envspec.checks.tomlfiles import pylock_requires_python

        requires = pylock_requires_python(lock)
        if requires and not _pep440_allows(requires, _candidates(pin)):
            yield Finding(
                "python-mismatch",
                f"pylock.toml requires-python is {requires!r}, the pin is {pin!r}",
                ("files", "pylock.toml"),
            )
    runtime = files.get("runtime.txt")
    if isinstance(runtime, str):
        from envspec.checks.textfiles import runtime_python

        version = runtime_python(runtime)
        if version and not (
            version == pin or version.startswith(pin + ".") or pin.startswith(version + ".")
        ):
            yield Finding(
                "python-mismatch",
                f"runtime.txt selects python {version}, the pin is {pin!r}",
                ("files", "runtime.txt"),
            )


_NUMERIC_CLAUSE = re.compile(r"(==|!=|>=|<=|>|<)?([0-9]{1,9}(?:\.[0-9]{1,9})*)(\.\*)?")


def _numeric(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # conda: 3.12 == 3.12.0
        parts.pop()
    return tuple(parts)


def simple_conda_match(spec: str, version: str) -> bool | None:
    """Whether the numeric *version* satisfies the numeric conda version *spec*
    (``3.12.*``, ``==3.12.4``, ``>=3.10,<3.13``), or ``None`` when *spec* needs rattler."""
    if not re.fullmatch(r"[0-9]{1,9}(?:\.[0-9]{1,9})*", version):
        return None
    have = _numeric(version)
    for clause in spec.split(","):
        match = _NUMERIC_CLAUSE.fullmatch(clause.strip())
        if match is None:
            return None
        op, text, star = match.groups()
        if star:
            if op not in (None, "==", "!="):
                return None
            prefix = tuple(int(p) for p in text.split("."))
            raw = tuple(int(p) for p in version.split("."))
            padded = raw + (0,) * max(0, len(prefix) - len(raw))
            ok = padded[: len(prefix)] == prefix
            ok = not ok if op == "!=" else ok
        else:
            want = _numeric(text)
            ok = {
                None: have == want,
                "==": have == want,
                "!=": have != want,
                ">=": have >= want,
                "<=": have <= want,
                ">": have > want,
                "<": have < want,
            }[op]
        if not ok:
            return False
    return True


def _conda_allows(spec: str, candidates: list[str]) -> bool:
    for candidate in candidates:
        quick = simple_conda_match(spec, candidate)
        if quick is None:
            break  # needs rattler
        if quick:
            return True
    else:
        return False
    import rattler

    try:
        version_spec = rattler.VersionSpec(spec)
        return any(version_spec.matches(rattler.Version(c)) for c in candidates)
    except Exception:  # noqa: BLE001 - an unreadable spec is reported by the conda rules
        return True


def _pep440_allows(requires: str, candidates: list[str]) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specifier = SpecifierSet(requires)
    except InvalidSpecifier:
        return True
    return any(specifier.contains(c, prereleases=True) for c in candidates)
