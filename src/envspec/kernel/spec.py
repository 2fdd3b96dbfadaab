"""Installing and removing the envspec kernelspec (``kernel.json``).

The kernelspec names the envspec kernel provisioner in
``metadata.kernel_provisioner``; jupyter_client finds the provisioner through
the ``jupyter_client.kernel_provisioners`` entry point, and the provisioner
decides, at every kernel start, which Python runs the kernel.  Its ``argv``
(which the provisioner replaces) starts the report kernel with the Python that
installed it: a front end that ignores provisioners gets a kernel that says so.

Writes are atomic, and installing the same kernelspec twice changes no byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DEFAULT_DISPLAY_NAME",
    "DEFAULT_NAME",
    "PROVISIONER_NAME",
    "KernelspecError",
    "ProvisionerConfig",
    "Scope",
    "install_kernelspec",
    "kernels_dir",
    "kernelspec",
    "remove_kernelspec",
]

#: The entry point name of the provisioner (group ``jupyter_client.kernel_provisioners``).
PROVISIONER_NAME = "envspec-provisioner"
DEFAULT_NAME = "envspec"
DEFAULT_DISPLAY_NAME = "Python (the notebook's environment)"

Scope = Literal["user", "sys-prefix", "prefix"]

_NAME = re.compile(r"[a-z0-9._-]+", re.IGNORECASE)


class KernelspecError(ValueError):
    """A kernelspec cannot be installed or removed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ProvisionerConfig:
    """What the kernelspec tells the provisioner (never taken from a notebook)."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    offline: bool = False
    build_timeout: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``config`` object of ``metadata.kernel_provisioner`` (only what is set)."""
        config: dict[str, Any] = {}
        if self.index_url:
            config["index_url"] = self.index_url
        if self.extra_index_urls:
            config["extra_index_urls"] = list(self.extra_index_urls)
        if self.find_links:
            config["find_links"] = list(self.find_links)
        if self.no_index:
            config["no_index"] = True
        if self.offline:
            config["offline"] = True
        if self.build_timeout is not None:
            config["build_timeout"] = self.build_timeout
        config.update(self.extra)
        return config


def kernels_dir(scope: Scope = "user", prefix: str | os.PathLike[str] | None = None) -> Path:
    """The ``kernels`` folder of a scope: the user's Jupyter data folder, this Python's
    prefix (``sys.prefix``), or ``PREFIX/share/jupyter/kernels``."""
    if scope == "prefix":
        if prefix is None:
            raise KernelspecError("--prefix needs a folder")
        return Path(prefix).expanduser().absolute() / "share" / "jupyter" / "kernels"
    if scope == "sys-prefix":
        return Path(sys.prefix) / "share" / "jupyter" / "kernels"
    try:
        from jupyter_core.paths import jupyter_data_dir
    except ImportError as exc:  # pragma: no cover - jupyter_core comes with the launch extra
        raise KernelspecError(
            "jupyter_core is not installed: install envspec[launch], or give --prefix"
        ) from exc
    return Path(jupyter_data_dir()) / "kernels"


def kernelspec(
    display_name: str = DEFAULT_DISPLAY_NAME, config: ProvisionerConfig | None = None
) -> dict[str, Any]:
    """The ``kernel.json`` document."""
    provisioner: dict[str, Any] = {"provisioner_name": PROVISIONER_NAME}
    if config is not None and config.to_json():
        provisioner["config"] = config.to_json()
    return {
        # The provisioner replaces it at every start (the environment's Python).  A front
        # end that ignores kernel provisioners runs it as it is: the report kernel, which
        # says so, rather than some other Python running the notebook.
        "argv": [sys.executable, "-m", "envspec.kernel.report", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "interrupt_mode": "signal",
        "env": {},
        "metadata": {"kernel_provisioner": provisioner, "debugger": True},
    }


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise KernelspecError(
            f"kernel name {name!r} is not valid: use letters, digits, '.', '_' and '-' only"
        )


def install_kernelspec(
    *,
    name: str = DEFAULT_NAME,
    display_name: str = DEFAULT_DISPLAY_NAME,
    scope: Scope = "user",
    prefix: str | os.PathLike[str] | None = None,
    config: ProvisionerConfig | None = None,
) -> tuple[Path, bool]:
    """Write ``kernels/NAME/kernel.json``; the folder and whether anything changed."""
    from envspec._atomic import write_atomic

    _check_name(name)
    folder = kernels_dir(scope, prefix) / name
    data = (json.dumps(kernelspec(display_name, config), indent=1) + "\n").encode()
    target = folder / "kernel.json"
    try:
        if target.is_file() and target.read_bytes() == data:
            return folder, False
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
    except OSError as exc:
        raise KernelspecError(
            f"cannot write {target}: {exc.strerror or exc}; choose another place "
            "(--user, --sys-prefix or --prefix DIR)"
        ) from exc
    return folder, True


def remove_kernelspec(
    *,
    name: str = DEFAULT_NAME,
    scope: Scope = "user",
    prefix: str | os.PathLike[str] | None = None,
) -> Path:
    """Remove ``kernels/NAME`` when it is an envspec kernelspec; its folder.

    A folder that is not an envspec kernelspec (another kernel of that name) is left alone.
    """
    _check_name(name)
    folder = kernels_dir(scope, prefix) / name
    spec = folder / "kernel.json"
    if not spec.is_file():
        raise KernelspecError(f"no kernelspec {name!r} in {folder.parent}")
    try:
        document = json.loads(spec.read_text(encoding="utf-8"))
        provisioner = document["metadata"]["kernel_provisioner"]["provisioner_name"]
    except (OSError, ValueError, KeyError, TypeError):
        provisioner = None
    if provisioner != PROVISIONER_NAME:
        raise KernelspecError(
            f"{folder} is not an envspec kernel (its kernel.json does not name the "
            f"{PROVISIONER_NAME!r} provisioner); remove it with 'jupyter kernelspec remove {name}'"
        )
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise KernelspecError(f"cannot remove {folder}: {exc.strerror or exc}") from exc
    return folder
