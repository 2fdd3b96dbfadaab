"""What the container formats (``dockerfile``, ``devcontainer``) share: how each input of an
environment is installed, in repo2docker's order, as shell commands and Dockerfile steps.

Nothing here runs anything: the commands are text for a container build or a container's
creation, written for the user to run.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "INSTALLED",
    "Plan",
    "apt_command",
    "conda_command",
    "conda_name",
    "image_reference",
    "pip_command",
    "plan",
    "python_pin",
    "split_image",
]

#: The inputs the container formats install, in repo2docker's order (apt first, then the
#: conda environment, then pip; ``postBuild`` last; ``start`` wraps every launch).
INSTALLED = (
    "apt.txt",
    "environment.yml",
    "environment.yaml",
    "requirements.txt",
    "postBuild",
    "start",
)
#: Inputs read for the base image: not copied.
CONSUMED = frozenset({"runtime.txt"})
#: Why the other inputs are not installed.
NOT_INSTALLED: Mapping[str, str] = {
    "install.R": "R packages are not installed (repo2docker's R build pack has no equivalent here)",
    "Project.toml": "Julia projects are not installed",
    "Manifest.toml": "Julia projects are not installed",
    "pylock.toml": "the lock file is not installed; requirements.txt is",
    "Pipfile": "pipenv files are not installed",
    "Pipfile.lock": "pipenv files are not installed",
    "manifest.scm": "Guix manifests are not installed in a container image",
    "channels.scm": "Guix manifests are not installed in a container image",
    "default.nix": "Nix expressions are not installed in a container image",
}
#: Where the copied inputs go inside the image.
STAGING = "/tmp/envspec"  # noqa: S108 - a path inside the image being built, not on this host
#: The base for a conda environment when the environment names no image.
MICROMAMBA_IMAGE = "mambaorg/micromamba:2.0.5"
#: The label that carries the Python pin through an image that is not ``python:X.Y``.
PYTHON_LABEL = "envspec.python"
#: The label that names the environment variables supplied when the container starts.
LAUNCH_ENV_LABEL = "envspec.launch-env"

_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


def conda_name(files: Mapping[str, Any]) -> str | None:
    """The conda file of *files* (``environment.yml`` first, as repo2docker)."""
    return next((n for n in ("environment.yml", "environment.yaml") if n in files), None)


def python_pin(environment: Mapping[str, Any]) -> str | None:
    """The environment's Python pin, or the version of a ``python-X.Y`` runtime.txt."""
    from envspec.checks.textfiles import runtime_python

    pin = environment.get("python")
    if isinstance(pin, str) and pin:
        return pin
    files = environment.get("files") or {}
    runtime = files.get("runtime.txt") if isinstance(files, Mapping) else None
    found = runtime_python(runtime) if isinstance(runtime, str) else None
    return found if found and re.fullmatch(r"[0-9]+\.[0-9]+(\.[0-9]+)?", found) else None


def image_reference(environment: Mapping[str, Any]) -> str | None:
    """``ref@digest`` (or ``ref``) of the environment's image."""
    image = environment.get("image")
    if not isinstance(image, Mapping) or not isinstance(image.get("ref"), str):
        return None
    digest = image.get("digest")
    return f"{image['ref']}@{digest}" if isinstance(digest, str) and digest else image["ref"]


def split_image(reference: str) -> dict[str, str] | None:
    """An envspec ``image`` from ``ref[@digest]`` (``None`` when it is not one)."""
    ref, _, digest = reference.strip().partition("@")
    if not ref or any(c.isspace() for c in ref) or "$" in ref:
        return None
    if digest and not _DIGEST.match(digest):
        return None
    return {"ref": ref, "digest": digest} if digest else {"ref": ref}


def apt_command(path: str, *, sudo: bool = False) -> str:
    """Install the packages of the apt.txt at *path* (comments and blank lines skipped, as
    repo2docker reads it); the names go to apt-get as arguments, never through a shell."""
    root = "$S " if sudo else ""
    return (
        ('S=$([ "$(id -u)" = 0 ] || echo sudo) && ' if sudo else "") + f"{root}apt-get update"
        f" && sed -e 's/#.*//' {shlex.quote(path)}"
        f" | {root}xargs --no-run-if-empty apt-get install --yes --no-install-recommends"
        f" && {root}rm -rf /var/lib/apt/lists/*"
    )


def conda_command(path: str, python: str | None) -> str:
    """Install the conda file at *path* into the base environment with the first of
    micromamba, mamba or conda the image has."""
    quoted = shlex.quote(path)
    extra = f" {shlex.quote('python=' + python)}" if python else ""
    return (
        "if command -v micromamba >/dev/null 2>&1; then"
        f" micromamba install --yes --name base --file {quoted}{extra}"
        " && micromamba clean --all --yes;"
        " elif command -v mamba >/dev/null 2>&1; then"
        f" mamba env update --name base --file {quoted};"
        " elif command -v conda >/dev/null 2>&1; then"
        f" conda env update --name base --file {quoted};"
        " else echo 'environment.yml needs micromamba, mamba or conda in the image' >&2;"
        " exit 1; fi"
    )


def pip_command(path: str) -> str:
    """Install the requirements file at *path*."""
    return f"python -m pip install --no-cache-dir -r {shlex.quote(path)}"


@dataclass(frozen=True, slots=True)
class Plan:
    """The inputs a container format installs, and what it cannot carry."""

    #: Installed inputs, in repo2docker's order: name -> text.
    installed: dict[str, str]
    #: ``(name or field, reason)`` for what is not carried.
    dropped: list[tuple[str, str]]
    python: str | None
    image: str | None
    #: Environment variables with a value, and the names supplied at launch.
    env: dict[str, str]
    env_at_launch: list[str]


def plan(environment: Mapping[str, Any], *, start: bool = True) -> Plan:
    """What an export installs from *environment*."""
    files = environment.get("files") or {}
    files = files if isinstance(files, Mapping) else {}
    conda = conda_name(files)
    installed = {
        n: files[n]
        for n in INSTALLED
        if n in files
        and isinstance(files[n], str)
        and (n == conda or n not in {"environment.yml", "environment.yaml"})
        and (start or n != "start")
    }
    dropped: list[tuple[str, str]] = []
    for name in files:
        if name in installed or name in CONSUMED:
            continue
        if name in {"environment.yml", "environment.yaml"}:
            dropped.append((name, f"{conda} is installed; repo2docker reads only that one"))
        elif name == "start":
            dropped.append((name, "there is no place for a start script here"))
        else:
            dropped.append((name, NOT_INSTALLED.get(name, "this format has no place for it")))
    runtime = files.get("runtime.txt")
    if isinstance(runtime, str) and not runtime.strip().startswith("python-"):
        dropped.append(("runtime.txt", "only a python-X.Y runtime is carried (as the base image)"))
    for member in ("hardware", "cloud"):
        if environment.get(member):
            dropped.append((member, "this format has no place for it"))
    variables = environment.get("env") or {}
    variables = variables if isinstance(variables, Mapping) else {}
    return Plan(
        installed,
        dropped,
        python_pin(environment),
        image_reference(environment),
        {k: v for k, v in variables.items() if isinstance(v, str)},
        [k for k, v in variables.items() if v is None],
    )
