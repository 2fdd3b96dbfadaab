"""Running ``postBuild`` (only ever for a plan that has the step: a trusted notebook).

As repo2docker does: once, after the packages are installed, in the folder that
holds the environment's files, with the environment first on ``PATH``.  A script
without a ``#!`` line runs with ``/bin/sh``.  Its output goes to the build log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

from envspec.environments import BuildError
from envspec.environments.log import BuildLog

__all__ = ["run_post_build"]


def run_post_build(
    script: Path, *, prefix: Path, bin_folder: Path, conda: bool, log: BuildLog
) -> None:
    """Run *script* for the environment at *prefix*; raises :class:`BuildError` when it
    fails."""
    from envspec.environments.uv import exit_reason

    environ = dict(os.environ)
    environ["PATH"] = os.pathsep.join([str(bin_folder), environ.get("PATH", "")])
    environ.pop("PYTHONHOME", None)
    if conda:
        environ["CONDA_PREFIX"] = str(prefix)
        environ.pop("VIRTUAL_ENV", None)
    else:
        environ["VIRTUAL_ENV"] = str(prefix)
        environ.pop("CONDA_PREFIX", None)
    command = [str(script)]
    with open(script, "rb") as handle:
        if handle.read(2) != b"#!":
            command = ["/bin/sh", str(script)]
    log.command(command)
    with subprocess.Popen(
        command,
        cwd=script.parent,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        # Its own process group: an interrupted build stops the script and what it started.
        start_new_session=True,
    ) as process:
        stdout = process.stdout
        if stdout is None:  # pragma: no cover - stdout=PIPE
            raise RuntimeError("no output pipe")
        try:
            for line in stdout:
                log.line(line.rstrip("\n"))
            status = process.wait()
        except BaseException:
            _stop(process)
            raise
    if status != 0:
        reason = exit_reason(script.name, status).replace(" exited with", " failed with exit")
        raise BuildError(reason)


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop an interrupted script and its process group: SIGTERM, then SIGKILL after 5 s."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The script ended; what it left in its group is stopped with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return
