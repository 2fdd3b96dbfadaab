"""The conda part of a lock: ``environment.yml`` solved by rattler into a ``pixi.lock``.

``pixi.lock`` is rattler's lock file format, which pixi and rattler read: every
platform's exact packages (URL, sha256, md5, size, dependencies) under one environment,
``default``.  It is a file name of ``env_ver`` 1.1.

What was solved is recorded in ``extensions["envspec.lock"]["pixi.lock"]``: the file's
``specs`` (its MatchSpecs, in canonical form, sorted; the ``pip:`` part is not locked
here), the ``channels`` used (the file's, or those given on the command line, in order),
the ``platforms`` solved for, the file's own channels (``file_channels``, which
``--check`` compares when no channel is given on its command line), and the ``sha256`` of
the lock text written.
:func:`check` compares the record with the document, without network.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envspec.lock.pip import Difference, sha256

if TYPE_CHECKING:
    import rattler

__all__ = ["LOCK_NAME", "CondaInputs", "SolveError", "check", "locked_records", "solve_lock"]

#: The embedded file name of the conda lock (``env_ver`` 1.1).
LOCK_NAME = "pixi.lock"
#: The lock's environment that holds the solution.
ENVIRONMENT = "default"


class SolveError(RuntimeError):
    """The conda inputs cannot be solved; the message says why."""


@dataclass(frozen=True, slots=True)
class CondaInputs:
    """What a ``pixi.lock`` is solved from."""

    specs: tuple[str, ...]
    channels: tuple[str, ...]
    platforms: tuple[str, ...]
    #: Whether the file has a ``pip:`` part (which this lock does not hold).
    has_pip: bool = False


def _canonical(spec: str) -> str:
    import rattler

    try:
        return rattler.MatchSpec(spec).to_canonical_string()
    except Exception:  # noqa: BLE001 - rattler raises its own error classes
        return " ".join(spec.split())


def _parse(text: str) -> tuple[list[str], list[str], bool]:
    from envspec._yaml import load_yaml

    data, problem = load_yaml(text)
    if problem is not None:
        raise SolveError(f"the file is not valid YAML: {problem.message}")
    data = data if isinstance(data, dict) else {}
    channels = [c for c in data.get("channels") or [] if isinstance(c, str)]
    specs: list[str] = []
    has_pip = False
    for item in data.get("dependencies") or []:
        if isinstance(item, str):
            specs.append(item)
        elif isinstance(item, dict) and "pip" in item:
            has_pip = True
    return specs, channels, has_pip


def current_platform() -> str:
    """This machine's conda platform (``linux-64``, ``osx-arm64``, ...)."""
    import rattler

    return str(rattler.Subdir.current())


def inputs_of(text: str, channels: Sequence[str] | None, platforms: Sequence[str]) -> CondaInputs:
    """The specs, channels and platforms to solve (command-line *channels* replace the
    file's)."""
    specs, file_channels, has_pip = _parse(text)
    chosen = tuple(channels) if channels else tuple(file_channels)
    return CondaInputs(
        tuple(sorted({_canonical(s) for s in specs})),
        chosen,
        tuple(platforms) or (current_platform(),),
        has_pip,
    )


def solve_lock(text: str, options: Any) -> tuple[str, dict[str, Any], int]:
    """Solve *text* (an ``environment.yml``) for each platform; the ``pixi.lock`` text, its
    record, and the number of packages of this machine's platform (or the first).

    :raises SolveError: no channel, a spec that cannot be met, a channel that cannot be read.
    """
    import rattler

    inputs = inputs_of(text, options.channels, options.platforms)
    if not inputs.channels:
        raise SolveError("it names no channel: add `channels:` to the file or give --channel")
    here = current_platform()
    try:
        sources = [rattler.Channel(c) for c in inputs.channels]
        solutions: dict[str, list[rattler.RepoDataRecord]] = {}
        for platform in inputs.platforms:
            virtual = rattler.VirtualPackage.detect() if platform == here else []
            solutions[platform] = asyncio.run(
                rattler.solve(
                    sources=sources,
                    specs=list(inputs.specs),
                    platforms=[rattler.Subdir(platform), rattler.Subdir("noarch")],
                    virtual_packages=virtual,
                )
            )
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        raise SolveError(_message(exc)) from None
    locked = [rattler.LockPlatform(p) for p in inputs.platforms]
    lock = rattler.LockFile(locked)
    lock.set_channels(ENVIRONMENT, [rattler.LockChannel(_url(c)) for c in inputs.channels])
    for lock_platform in locked:
        for found in solutions[lock_platform.name]:
            lock.add_conda_package(ENVIRONMENT, lock_platform, found)
    with tempfile.TemporaryDirectory(prefix="envspec-lock-") as folder:
        target = Path(folder) / LOCK_NAME
        lock.to_path(target)
        lock_text = target.read_text(encoding="utf-8")
    _, file_channels, _ = _parse(text)
    record = {
        "specs": list(inputs.specs),
        "channels": list(inputs.channels),
        "file_channels": file_channels,
        "platforms": list(inputs.platforms),
        "sha256": sha256(lock_text),
    }
    count = len(solutions.get(here, solutions[inputs.platforms[0]]))
    return lock_text, record, count


def _url(channel: str) -> str:
    import rattler

    return str(rattler.Channel(channel).base_url)


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:2000] or type(exc).__name__


def check(
    env_text: str,
    lock_text: str | None,
    record: Mapping[str, Any] | None,
    options: Any,
) -> list[Difference]:
    """How the embedded ``pixi.lock`` differs from the conda file (empty: current)."""
    if lock_text is None:
        return [Difference(LOCK_NAME, "missing: environment.yml is not locked")]
    try:
        specs, file_channels, _ = _parse(env_text)
    except SolveError as exc:
        return [Difference(LOCK_NAME, str(exc))]
    now = {_canonical(s) for s in specs}
    recorded = record if isinstance(record, Mapping) else {}
    if isinstance(recorded.get("specs"), list) and recorded.get("sha256") == sha256(lock_text):
        before = {str(s) for s in recorded["specs"]}
        out = [Difference(LOCK_NAME, f"spec added: {s}") for s in sorted(now - before)]
        out += [Difference(LOCK_NAME, f"spec removed: {s}") for s in sorted(before - now)]
        # Channels given on the command line are compared with those the lock was solved
        # from; without them, the file's channels with the file's channels of that time.
        key = "channels" if options.channels else "file_channels"
        now_channels = list(options.channels or file_channels)
        before_channels = [str(c) for c in recorded.get(key) or []]
        if now_channels != before_channels:
            out.append(
                Difference(
                    LOCK_NAME,
                    f"channels changed: {', '.join(before_channels) or '(none)'} when locked, "
                    f"now {', '.join(now_channels) or '(none)'}",
                )
            )
        wanted = set(options.platforms)
        missing = sorted(wanted - set(recorded.get("platforms") or []))
        if missing:
            out.append(Difference(LOCK_NAME, f"not locked for {', '.join(missing)}"))
        return out
    return [Difference(LOCK_NAME, what) for what in unmet(sorted(now), lock_text)]


def unmet(specs: Sequence[str], lock_text: str) -> list[str]:
    """The specs that no locked package meets, on some platform of *lock_text*."""
    import rattler

    try:
        lock = _read(lock_text)
        environment = lock.environment(ENVIRONMENT) or lock.default_environment()
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        return [f"{LOCK_NAME} cannot be read: {_message(exc)}"]
    if environment is None:
        return [f"{LOCK_NAME} has no environment {ENVIRONMENT!r}"]
    out: list[str] = []
    for platform in environment.platforms():
        records = environment.conda_repodata_records_for_platform(platform) or []
        for spec in specs:
            match = rattler.MatchSpec(spec)
            if not any(match.matches(r) for r in records):
                out.append(f"{spec} is not met by a locked package for {platform.name}")
    return out


def _read(lock_text: str) -> rattler.LockFile:
    import rattler

    with tempfile.TemporaryDirectory(prefix="envspec-lock-") as folder:
        path = Path(folder) / LOCK_NAME
        path.write_text(lock_text, encoding="utf-8")
        return rattler.LockFile.from_path(path)


def locked_records(lock_text: str, platform: str | None = None) -> list[rattler.RepoDataRecord]:
    """The packages a ``pixi.lock`` holds for *platform* (default: this machine's), ready
    for ``rattler.install``.

    :raises SolveError: the text is not a lock rattler reads, or has nothing for
        *platform* (the message names the platforms it has).
    """
    try:
        lock = _read(lock_text)
        environment = lock.environment(ENVIRONMENT) or lock.default_environment()
    except Exception as exc:  # noqa: BLE001 - rattler raises its own error classes
        raise SolveError(f"{LOCK_NAME} cannot be read: {_message(exc)}") from None
    if environment is None:
        raise SolveError(f"{LOCK_NAME} has no environment {ENVIRONMENT!r}")
    wanted = platform or current_platform()
    for candidate in environment.platforms():
        if candidate.name == wanted:
            return list(environment.conda_repodata_records_for_platform(candidate) or [])
    have = ", ".join(sorted(p.name for p in environment.platforms())) or "none"
    raise SolveError(
        f"{LOCK_NAME} has no packages for {wanted} (it has: {have}); lock again with "
        f"--platform {wanted}"
    )
