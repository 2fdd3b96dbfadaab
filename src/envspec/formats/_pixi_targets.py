"""pixi's per-platform ``[target.SELECTOR]`` tables: which apply to one platform.

pixi reads a feature's ``dependencies`` and ``pypi-dependencies`` for a platform as the
feature's own tables overwritten, package by package, by each ``[target.SELECTOR]`` whose
selector matches the platform, in the order the manifest defines them (the one defined
later wins, so ``[target.linux-64]`` after ``[target.linux]`` is the more specific one).
A selector is a conda platform (``linux-64``), a family (``unix``, ``linux``, ``osx``,
``win``) or a pattern with ``*`` matched against the platform's name.  The platforms and
families are rattler's, as pixi's are (pixi is built on rattler).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import diagnostic

if TYPE_CHECKING:
    from envspec.formats._pixi_manifest import Manifest

__all__ = ["check_platform", "known_platforms", "platform_problem", "selector_matches"]


def _subdir() -> Any:
    """rattler's class of conda platforms (``Subdir``; ``Platform`` before 0.27)."""
    import rattler

    return getattr(rattler, "Subdir", None) or rattler.Platform


def known_platforms() -> list[str]:
    """The conda platforms (subdirs) a pixi workspace can install for (not ``noarch``)."""
    return [str(p) for p in _subdir().all() if str(p) != "noarch"]


def platform_problem(platform: str) -> str | None:
    """Why *platform* (``--option platform=``) is not a platform pixi knows, or ``None``."""
    import difflib

    known = known_platforms()
    if platform in known:
        return None
    close = difflib.get_close_matches(platform, known, n=1)
    guess = f" (did you mean {close[0]}?)" if close else ""
    return f"'{platform}' is not a platform pixi knows{guess}; platforms: {', '.join(known)}"


def selector_matches(selector: str, name: str, platform: str) -> bool:
    """Whether the target selector *selector* applies to the workspace platform *name*
    (a conda platform, or the name of a platform table) for the conda *platform*."""
    if selector in (name, platform):
        return True
    subdir = _subdir()(platform)
    family = {
        "linux": subdir.is_linux,
        "osx": subdir.is_osx,
        "win": subdir.is_windows,
        "unix": subdir.is_unix,
    }.get(selector)
    if family is not None:
        return bool(family)
    if "*" in selector:  # matched against the platform's name
        pattern = ".*".join(re.escape(part) for part in selector.split("*"))
        return re.fullmatch(pattern, name) is not None
    return False


def check_platform(
    manifest: Manifest, chosen: str, features: list[str], environment: str | None
) -> None:
    """An error when the environment is not for the platform *chosen* (pixi would not
    install it): one of the workspace's platforms (a conda platform, or the name of a
    platform table), and of each feature's ``platforms`` when it lists them."""
    from envspec.formats.pyproject import line_of

    listed = manifest.workspace.get("platforms")
    entries: list[set[str]] = []  # the names of each platform
    for entry in listed if isinstance(listed, list) else []:
        if isinstance(entry, str):
            entries.append({entry})
        elif isinstance(entry, dict):
            names = {entry.get("name"), entry.get("platform")}
            entries.append({n for n in names if isinstance(n, str)})
    for name in features:
        table = manifest.root if name == "default" else manifest.features.get(name)
        allowed = table.get("platforms") if isinstance(table, dict) else None
        if name != "default" and isinstance(allowed, list):
            entries = [
                names for names in entries if names & {a for a in allowed if isinstance(a, str)}
            ]
    if not isinstance(listed, list) or any(chosen in names for names in entries):
        return
    shown = [
        sorted(names)[0] if len(names) == 1 else " / ".join(sorted(names)) for names in entries
    ]
    manifest.found.append(
        diagnostic(
            "pixi-unknown-platform",
            f"--option platform={chosen}: the pixi environment "
            f"'{environment or 'default'}' is not for {chosen} (its platforms: "
            f"{', '.join(shown) or 'none'})",
            manifest.where,
            line=line_of(manifest.text, "platforms"),
        )
    )
