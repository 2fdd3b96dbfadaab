"""``apt.txt``: which packages this machine lacks (they are never installed).

Installing system packages needs root and belongs in a container image.  Here
``dpkg-query`` tells which of the listed packages are installed, and the missing
ones are reported with the command that would install them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["AptCheck", "apt_packages", "check_apt"]


@dataclass(frozen=True, slots=True)
class AptCheck:
    """The result of checking ``apt.txt``."""

    packages: tuple[str, ...]
    missing: tuple[str, ...]
    #: ``False`` where there is no ``dpkg-query`` (not a Debian-like system).
    checked: bool

    def note(self) -> str | None:
        """A line for the person creating the environment, when something is missing."""
        if not self.checked:
            return (
                "apt.txt lists system packages, and this machine has no dpkg-query to check "
                f"them: make sure these are installed: {' '.join(self.packages)}"
            )
        if not self.missing:
            return None
        command = shlex.join(["sudo", "apt-get", "install", "-y", *self.missing])
        return (
            f"apt.txt: {len(self.missing)} system package"
            f"{'s are' if len(self.missing) != 1 else ' is'} not installed on this machine "
            f"({', '.join(self.missing)}); envspec does not install system packages: "
            f"{command}"
        )


def apt_packages(text: str) -> tuple[str, ...]:
    """The package names of ``apt.txt`` (one a line, ``#`` comments)."""
    names: list[str] = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def check_apt(packages: Sequence[str]) -> AptCheck:
    """Ask ``dpkg-query`` which of *packages* are installed."""
    query = shutil.which("dpkg-query")
    if query is None:
        return AptCheck(tuple(packages), (), checked=False)
    missing: list[str] = []
    for name in packages:
        if name.startswith("-"):  # never an option of dpkg-query
            missing.append(name)
            continue
        result = subprocess.run(
            [query, "-W", "-f=${Status}", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not result.stdout.strip().endswith(" installed"):
            missing.append(name)
    return AptCheck(tuple(packages), tuple(missing), checked=True)
