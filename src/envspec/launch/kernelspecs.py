"""The environment's kernel, registered for one server only.

The kernelspec is written into a private data folder (``<dir>/kernels/<name>/kernel.json``,
readable by its owner only) that the launch puts first on ``JUPYTER_PATH`` of the
server it starts: no other Jupyter sees it, nothing is installed in the user's
Jupyter folders, and it is removed when the launch ends.  It is registered under
the name the notebook expects (``metadata.kernelspec.name``) and under the
plan's kernel name, so JupyterLab opens the notebook with it without asking and
without rewriting the notebook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KernelRegistration", "kernel_argv", "private_data_dir", "write_kernelspecs"]

_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


@dataclass(frozen=True, slots=True)
class KernelRegistration:
    """The kernelspecs written for one launch."""

    #: The private data folder (put first on ``JUPYTER_PATH``).
    data_dir: Path
    #: The names registered, the preselected (default) one first.
    names: tuple[str, ...]
    argv: tuple[str, ...]

    @property
    def default(self) -> str:
        return self.names[0]


def private_data_dir() -> Path:
    """A new folder only this user can read (removed by :func:`remove_data_dir`)."""
    return Path(tempfile.mkdtemp(prefix="envspec-launch-"))


def remove_data_dir(data_dir: Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)


def kernel_argv(
    python: str | os.PathLike[str], start: str | os.PathLike[str] | None = None
) -> list[str]:
    """How Jupyter starts the kernel: ipykernel in the environment's Python, wrapped by the
    repository's ``start`` script when the plan runs it (``start`` ends with ``exec "$@"``)."""
    argv = [os.fspath(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return [os.fspath(start), *argv] if start is not None else argv


def write_kernelspecs(
    data_dir: Path,
    names: Iterable[str],
    argv: list[str],
    *,
    display_name: str,
    language: str = "python",
    env: Mapping[str, str] | None = None,
    shared: bool = False,
) -> KernelRegistration:
    """Write one kernelspec per name (duplicates and invalid names dropped, order kept).

    The files are readable by their owner only, unless *shared* (a container's user
    reads them; then *env* must be empty: variables reach the container by name)."""
    if shared and env:
        raise ValueError("a shared kernelspec carries no variables")
    unique = tuple(dict.fromkeys(n for n in names if _NAME.fullmatch(n)))
    if not unique:
        raise ValueError("no valid kernel name to register")
    spec: dict[str, object] = {
        "argv": argv,
        "display_name": display_name,
        "language": language,
        "interrupt_mode": "signal",
        "metadata": {"debugger": True, "envspec": {"launch": True}},
    }
    if env:
        spec["env"] = dict(env)
    data = (json.dumps(spec, indent=1, sort_keys=True) + "\n").encode("utf-8")
    data_dir.mkdir(parents=True, exist_ok=True)
    folder_mode, file_mode = (0o755, 0o644) if shared else (stat.S_IRWXU, 0o600)
    os.chmod(data_dir, folder_mode)
    for name in unique:
        folder = data_dir / "kernels" / name
        folder.mkdir(parents=True, exist_ok=True)
        for made in (data_dir / "kernels", folder):
            os.chmod(made, folder_mode)
        # Supplied values may be secrets: the file is readable by its owner only.
        fd = os.open(folder / "kernel.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(folder / "kernel.json", file_mode)
    return KernelRegistration(data_dir, unique, tuple(argv))
