"""envspec's ``hardware`` and devcontainer's ``hostRequirements``, both ways.

devcontainer counts memory in bytes or with ``kb``/``mb``/``gb``/``tb`` (powers of 1024, as
the devcontainer CLI reads them); envspec's quantities are bytes or ``k M G T`` (powers of
1000) and ``Ki Mi Gi Ti``.  Every conversion is exact; what cannot be said exactly is
returned as a note.

>>> to_host({"cpu": 2, "memory": "8Gi", "gpu": {"count": 1}})
({'cpus': 2, 'memory': '8gb', 'gpu': True}, [])
>>> from_host({"cpus": 2, "memory": "8gb", "gpu": True})
({'cpu': 2, 'memory': '8Gi', 'gpu': {'count': 1}}, [])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["from_host", "to_host"]

_OURS = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$")
_THEIRS = re.compile(r"^(\d+)([tgmk]b)?$")
_FACTOR = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
_BINARY = (("tb", "Ti", 2**40), ("gb", "Gi", 2**30), ("mb", "Mi", 2**20), ("kb", "Ki", 2**10))
_DECIMAL = (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3))


def _bytes(quantity: object) -> int | None:
    match = _OURS.match(quantity) if isinstance(quantity, str) else None
    if match is None:
        return None
    value = Decimal(match.group(1)) * _FACTOR[match.group(2)]
    return int(value) if value == int(value) else None


def _theirs(quantity: object) -> str | None:
    """An envspec quantity as devcontainer writes it."""
    size = _bytes(quantity)
    if size is None:
        return None
    for unit, _, factor in _BINARY:
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def _ours(quantity: object) -> str | None:
    """A devcontainer quantity as envspec writes it."""
    match = _THEIRS.match(quantity) if isinstance(quantity, str) else None
    if match is None:
        return None
    number, unit = int(match.group(1)), match.group(2)
    if unit:
        return f"{number}{next(s for u, s, _ in _BINARY if u == unit)}"
    for suffix, factor in _DECIMAL:
        if number and number % factor == 0:
            return f"{number // factor}{suffix}"
    return str(number)


def to_host(hardware: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``hostRequirements`` for *hardware*, and what it cannot say."""
    host: dict[str, Any] = {}
    notes: list[str] = []
    cpu = hardware.get("cpu")
    if isinstance(cpu, int | float) and not isinstance(cpu, bool):
        host["cpus"] = max(1, math.ceil(cpu))
        if host["cpus"] != cpu:
            notes.append(f"hardware.cpu {cpu} is rounded up to {host['cpus']} CPUs")
    memory = _theirs(hardware.get("memory"))
    if memory is not None:
        host["memory"] = memory
    elif "memory" in hardware:
        notes.append(
            f"hardware.memory {hardware['memory']!r} is not carried: not a whole number of bytes"
        )
    gpu = hardware.get("gpu")
    if isinstance(gpu, Mapping):
        gpu_memory = _theirs(gpu.get("memory"))
        host["gpu"] = {"memory": gpu_memory} if gpu_memory else True
        if gpu.get("count", 1) != 1:
            notes.append(
                f"hardware.gpu.count {gpu.get('count')} is not carried: devcontainer asks for a GPU"
            )
        if gpu.get("vendor"):
            notes.append(f"hardware.gpu.vendor {gpu['vendor']!r} is not carried")
    return host, notes


def from_host(host: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``hardware`` for *host*, and what it cannot say."""
    hardware: dict[str, Any] = {}
    notes: list[str] = []
    cpus = host.get("cpus")
    if isinstance(cpus, int) and not isinstance(cpus, bool) and cpus >= 1:
        hardware["cpu"] = cpus
    memory = _ours(host.get("memory"))
    if memory is not None:
        hardware["memory"] = memory
    gpu = host.get("gpu")
    if gpu is True:
        hardware["gpu"] = {"count": 1}
    elif isinstance(gpu, Mapping):
        hardware["gpu"] = {"count": 1}
        gpu_memory = _ours(gpu.get("memory"))
        if gpu_memory:
            hardware["gpu"]["memory"] = gpu_memory
        if "cores" in gpu:
            notes.append("hostRequirements.gpu.cores is not carried")
    elif gpu == "optional":
        notes.append('hostRequirements.gpu "optional" is not carried: envspec states needs')
    notes += [
        f"hostRequirements.{k} is not carried" for k in host if k not in {"cpus", "memory", "gpu"}
    ]
    return hardware, notes
