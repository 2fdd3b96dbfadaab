"""What this machine offers a plan: its tools and its size (for ``hardware``)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable

from envspec.launch.plan import Machine

__all__ = ["TOOLS", "discover_machine", "discover_tools"]

#: The executables a plan asks about.
TOOLS = ("guix", "docker", "podman", "dpkg-query")


def discover_tools(names: Iterable[str] = TOOLS, path: str | None = None) -> frozenset[str]:
    """The names of *names* found on ``PATH`` (or *path*)."""
    return frozenset(n for n in names if shutil.which(n, path=path) is not None)


def discover_machine() -> Machine:
    """CPUs this process may use, physical memory, and NVIDIA GPUs (``/dev/nvidiaN``)."""
    try:
        cpu: float | None = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        count = os.cpu_count()
        cpu = float(count) if count else None
    memory: int | None
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        memory = None
    try:
        gpu = sum(1 for n in os.listdir("/dev") if re.fullmatch(r"nvidia\d+", n))
    except OSError:
        gpu = 0
    return Machine(cpu=cpu, memory=memory, gpu=gpu)
