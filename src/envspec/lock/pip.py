"""The pip part of a lock: ``requirements.txt`` resolved by uv into a PEP 751 ``pylock.toml``.

What was locked is recorded beside the lock, in ``extensions["envspec.lock"]["pylock.toml"]``:

- ``requirements``: the requirement lines of ``requirements.txt`` (comments, blank lines,
  line continuations and pip's option lines removed; each requirement in its normal form,
  as ``packaging`` writes it), sorted;
- ``python``: the Python version the lock was resolved for, when one was given (the
  command line's ``--python``, else the environment's ``python``);
- ``sha256``: the hash of the ``pylock.toml`` text that was written.

:func:`check` compares that record with the document, without network: the lock is
current when the recorded requirements are the requirements of today's file, the Python
version is the same, and the embedded ``pylock.toml`` is the text that was written (or,
when it was replaced by another tool, each requirement is still met by a locked package).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The index options of the command line, shared with ``envspec env create``.
from envspec.environments import IndexOptions

__all__ = [
    "IndexOptions",
    "PipInputs",
    "check",
    "compile_pylock",
    "inputs_of",
    "record_of",
]

#: The ``requirements.txt`` options that choose where packages come from: taken from the
#: command line only, never from the notebook.
_INDEX_OPTIONS = re.compile(
    r"^(-i|--index-url|--extra-index-url|-f|--find-links|--no-index|--trusted-host)(?=[=\s]|$)"
)
_TRAILING_OPTIONS = re.compile(r"\s--?[A-Za-z]")


@dataclass(frozen=True, slots=True)
class PipInputs:
    """What a ``pylock.toml`` is resolved from."""

    #: The requirements, normalised and sorted.
    requirements: tuple[str, ...]
    #: The Python version the lock is for (``None``: the interpreter uv finds).
    python: str | None
    #: Option lines of the file that were left out (index options, and any other option).
    ignored: tuple[str, ...] = field(default=())


def _normal(requirement: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        parsed = Requirement(requirement)
    except InvalidRequirement:  # a bare URL: kept as written
        return requirement
    # The name in its normal form (PEP 503), so that spelling does not make a lock stale.
    parsed.name = canonicalize_name(parsed.name)
    return str(parsed)


def inputs_of(text: str, python: str | None) -> PipInputs:
    """The requirements of a ``requirements.txt`` text (see the module's docstring)."""
    from envspec.checks.requirements import logical_lines

    requirements: set[str] = set()
    ignored: list[str] = []
    for _, line in logical_lines(text):
        if line.startswith("-"):
            ignored.append(line.split()[0] if _INDEX_OPTIONS.match(line) else line)
            continue
        match = _TRAILING_OPTIONS.search(line)
        requirements.add(_normal(line[: match.start()].strip() if match else line))
    return PipInputs(tuple(sorted(requirements)), python, tuple(ignored))


def sha256(text: str) -> str:
    """The hash recorded for a lock text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_of(inputs: PipInputs, lock_text: str) -> dict[str, Any]:
    """The record kept in ``extensions["envspec.lock"]["pylock.toml"]``."""
    record: dict[str, Any] = {"requirements": list(inputs.requirements)}
    if inputs.python:
        record["python"] = inputs.python
    record["sha256"] = sha256(lock_text)
    return record


class ResolveError(RuntimeError):
    """The resolver could not lock the inputs; the message says why (the resolver's words)."""


def uv_binary() -> str:
    """uv's executable (the ``uv`` package of the ``[launch]`` extra, else ``uv`` in PATH)."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        import shutil

        found = shutil.which("uv")
        if found is None:
            raise ResolveError(
                "uv is not installed: install it with `pip install 'envspec[launch]'`"
            ) from None
        return found


def compile_pylock(inputs: PipInputs, index: IndexOptions, *, timeout: float = 600) -> str:
    """Resolve *inputs* with ``uv pip compile --universal --format pylock.toml``.

    The requirements go to uv without the file's option lines, so the notebook never
    chooses an index; *index* does.

    :raises ResolveError: uv failed (no solution, a package not found, no network).
    """
    from envspec.environments.uv import index_arguments

    with tempfile.TemporaryDirectory(prefix="envspec-lock-") as folder:
        source = Path(folder) / "requirements.in"
        source.write_text("".join(f"{r}\n" for r in inputs.requirements), encoding="utf-8")
        command = [
            uv_binary(),
            "pip",
            "compile",
            os.fspath(source),
            "--format",
            "pylock.toml",
            "--universal",
            "--no-header",
            "--quiet",
            *index_arguments(index),
        ]
        # An interpreter for uv to run the resolution with (it need not be the target
        # version: the lock is universal, for --python-version and later): this one, so
        # that uv does not search the machine for interpreters.
        command += ["--python", sys.executable]
        if inputs.python:
            command += ["--python-version", inputs.python]
        env = {**os.environ, "NO_COLOR": "1", "UV_NO_PROGRESS": "1"}
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired:
            raise ResolveError(f"uv did not finish resolving within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise ResolveError(_uv_message(done.stderr))
    return done.stdout


def _uv_message(stderr: str) -> str:
    from envspec.checks.secrets import redact

    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    text = "; ".join(lines[-12:]) or "uv failed without a message"
    # uv names the index it could not read: an index URL with a password stays masked.
    return redact(text.removeprefix("error: "))


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the embedded lock no longer matches its inputs."""

    file: str
    what: str


def check(
    files: Mapping[str, str], record: Mapping[str, Any] | None, python: str | None
) -> list[Difference]:
    """How the embedded ``pylock.toml`` differs from ``requirements.txt`` (empty: current)."""
    text = files.get("requirements.txt")
    if text is None:
        return []
    lock = files.get("pylock.toml")
    if lock is None:
        return [Difference("pylock.toml", "missing: requirements.txt is not locked")]
    inputs = inputs_of(text, python)
    out: list[Difference] = []
    recorded = record if isinstance(record, Mapping) else {}
    was = recorded.get("requirements")
    if isinstance(was, list) and recorded.get("sha256") == sha256(lock):
        now, before = set(inputs.requirements), {str(r) for r in was}
        out += [Difference("pylock.toml", f"requirement added: {r}") for r in sorted(now - before)]
        out += [
            Difference("pylock.toml", f"requirement removed: {r}") for r in sorted(before - now)
        ]
        if python is not None and recorded.get("python") != python:
            out.append(
                Difference(
                    "pylock.toml",
                    f"locked for Python {recorded.get('python') or '(unspecified)'}, "
                    f"the environment asks for {python}",
                )
            )
        return out
    # No record of envspec's own, or the lock was replaced since: each requirement must
    # still be met by a locked package.
    return [Difference("pylock.toml", what) for what in unmet(inputs.requirements, lock)]


def locked_versions(lock_text: str) -> dict[str, list[str]]:
    """The locked versions of each package (normalised name) of a ``pylock.toml``."""
    import tomllib

    from packaging.utils import canonicalize_name

    data = tomllib.loads(lock_text)
    out: dict[str, list[str]] = {}
    for package in data.get("packages", []):
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            name = canonicalize_name(package["name"])
            out.setdefault(name, []).append(str(package.get("version", "")))
    return out


def unmet(requirements: Sequence[str], lock_text: str) -> list[str]:
    """The requirements that no package of *lock_text* meets."""
    import tomllib

    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        locked = locked_versions(lock_text)
    except tomllib.TOMLDecodeError:
        return ["pylock.toml is not valid TOML"]
    out: list[str] = []
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # a bare URL: its version is not known before it is built
        versions = locked.get(canonicalize_name(requirement.name))
        if not versions:
            out.append(f"not locked: {line}")
        elif requirement.specifier and not any(
            v and requirement.specifier.contains(v, prereleases=True) for v in versions
        ):
            out.append(f"locked {requirement.name} {', '.join(versions)} does not meet {line}")
    return out


def locked_packages(lock_text: str) -> list[str]:
    """Each package of a ``pylock.toml`` as an exact requirement (``name==version``, with
    the package's marker); packages without a version are left out."""
    import tomllib

    try:
        data = tomllib.loads(lock_text)
    except tomllib.TOMLDecodeError:
        return []
    out: list[str] = []
    for package in data.get("packages", []):
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            marker = package.get("marker")
            out.append(f"{name}=={version}" + (f" ; {marker}" if isinstance(marker, str) else ""))
    return out
