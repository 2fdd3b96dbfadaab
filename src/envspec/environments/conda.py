"""Conda environments with rattler: ``environment.yml`` solved and installed.

``environment.yml`` is read with ruamel (rattler reads lock files, not this
format): its ``channels`` (unless replaced on the command line), its
``dependencies`` as match specs, and its ``pip:`` list, which uv installs
afterwards into the same prefix with the prefix's own Python.  ``nodefaults``
is dropped (rattler only ever uses the channels it is given).  The solve sees
this machine's virtual packages (``__glibc``, ``__cuda``...), as conda does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envspec.environments.log import BuildLog
    from envspec.environments.progress import EventKind

__all__ = ["CondaFailed", "CondaSpec", "install", "install_lock", "parse_environment_yml"]


class CondaFailed(Exception):
    """The file cannot be read, or its specs do not solve or install."""


@dataclass(frozen=True, slots=True)
class CondaSpec:
    """What ``environment.yml`` asks for."""

    channels: tuple[str, ...]
    specs: tuple[str, ...]
    pip: tuple[str, ...]


def parse_environment_yml(text: str, name: str = "environment.yml") -> CondaSpec:
    """The channels, conda specs and pip requirements of *text*."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise CondaFailed(f"{name} is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CondaFailed(f"{name} must be a mapping (name, channels, dependencies)")
    channels = [str(c) for c in data.get("channels") or [] if str(c) != "nodefaults"]
    specs: list[str] = []
    pip: list[str] = []
    for entry in data.get("dependencies") or []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if key == "pip" and isinstance(value, list):
                    pip.extend(str(v) for v in value)
                else:
                    raise CondaFailed(f"{name}: unexpected entry {key!r} under dependencies")
        elif isinstance(entry, (str, int, float)):
            specs.append(str(entry))
        else:
            raise CondaFailed(f"{name}: unexpected entry {entry!r} under dependencies")
    return CondaSpec(tuple(channels), tuple(specs), tuple(pip))


def _subdir_type() -> Any:
    """``rattler.Subdir`` (``Platform`` before py-rattler 0.27)."""
    import rattler

    try:
        return rattler.Subdir
    except AttributeError:  # pragma: no cover - older py-rattler
        return rattler.Platform


def _channel(name: str) -> Any:
    import rattler

    return rattler.Channel(name)


def install(
    spec: CondaSpec,
    prefix: Path,
    *,
    channels: Sequence[str] | None,
    python_pin: str | None,
    package_cache: Path,
    log: BuildLog,
    emit: Callable[[EventKind, int | None, int | None], None],
) -> list[str]:
    """Solve *spec* (with *channels* instead of its own when given, and ``python
    =PIN`` when pinned) and install it into *prefix*; returns ``name==version`` of
    each package installed."""
    import rattler
    from rattler.exceptions import SolverError

    use = list(channels) if channels is not None else list(spec.channels)
    if not use:
        raise CondaFailed(
            "environment.yml names no channel: add a 'channels:' list to it "
            "or give one with --channel"
        )
    specs = list(spec.specs)
    if python_pin:
        specs.append(f"python={python_pin}")
    try:
        matchspecs = [rattler.MatchSpec(s) for s in specs]
    except Exception as exc:  # rattler raises its own InvalidMatchSpecError
        raise CondaFailed(f"environment.yml: {exc}") from exc
    subdir = _subdir_type()
    platform = subdir.current()
    log.line(f"solving {', '.join(specs) or '(nothing)'} on {platform} from {', '.join(use)}")
    try:
        virtual = rattler.VirtualPackage.detect()
        records = asyncio.run(
            rattler.solve(
                sources=[_channel(c) for c in use],
                specs=matchspecs,
                platforms=[platform, subdir("noarch")],
                virtual_packages=virtual,
            )
        )
    except SolverError as exc:
        pin = f" (with the pin python={python_pin})" if python_pin else ""
        raise CondaFailed(f"the conda specs of environment.yml do not solve{pin}: {exc}") from exc
    except Exception as exc:  # channel errors: GatewayError, FetchRepoDataError...
        raise CondaFailed(f"the conda channels could not be read: {exc}") from exc
    return _install_records(records, prefix, package_cache=package_cache, log=log, emit=emit)


def install_lock(
    text: str,
    name: str,
    prefix: Path,
    *,
    folder: Path,
    package_cache: Path,
    log: BuildLog,
    emit: Callable[[EventKind, int | None, int | None], None],
) -> list[str]:
    """Install exactly the packages a ``pixi.lock`` (rattler's lock format) holds for
    this machine's platform, in its ``default`` environment; no solve."""
    import rattler

    path = folder / name
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        lock = rattler.LockFile.from_path(path)
        environment = lock.environment("default") or lock.default_environment()
    except Exception as exc:  # rattler raises its own error classes
        raise CondaFailed(f"{name} cannot be read: {exc}") from exc
    if environment is None:
        raise CondaFailed(f"{name} has no 'default' environment")
    here = str(_subdir_type().current())
    platforms = list(environment.platforms())
    chosen = next((p for p in platforms if p.name == here), None)
    if chosen is None:
        have = ", ".join(sorted(p.name for p in platforms)) or "none"
        raise CondaFailed(
            f"{name} has no packages for this machine's platform {here} (it has: {have}); "
            f"lock again for {here}"
        )
    records = list(environment.conda_repodata_records_for_platform(chosen) or [])
    log.line(f"installing {len(records)} locked packages for {here} from {name}")
    return _install_records(records, prefix, package_cache=package_cache, log=log, emit=emit)


def _install_records(
    records: list[Any],
    prefix: Path,
    *,
    package_cache: Path,
    log: BuildLog,
    emit: Callable[[EventKind, int | None, int | None], None],
) -> list[str]:
    import rattler

    names = [f"{r.name.normalized}=={r.version}" for r in records]
    for name in names:
        log.line(f"  {name}")
    emit("resolved", None, len(records))
    try:
        asyncio.run(
            rattler.install(
                records,
                target_prefix=prefix,
                cache_dir=package_cache,
                show_progress=False,
            )
        )
    except Exception as exc:  # rattler's InstallerError, IOError...
        raise CondaFailed(f"installing the conda packages failed: {exc}") from exc
    emit("installed", len(records), len(records))
    return names
