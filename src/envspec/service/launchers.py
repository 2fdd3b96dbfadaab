"""Starting and stopping the server of a ready deployment: the :class:`Launcher` protocol.

``start`` is given the deployment (:class:`~envspec.service.store.Record`) and the
:class:`~envspec.launch.run.Prepared` launch (its folder, notebook, planned and created
environment) and returns the URL the user opens; ``stop`` ends that server (and
does nothing when none runs).  A launcher may also have ``async def is_running(
deployment) -> bool``: a restarted service keeps a ready deployment whose server still
runs, and starts it again otherwise (:class:`Recoverable`).

:class:`LocalLauncher` runs one ``jupyter lab`` per deployment on 127.0.0.1 with
:func:`envspec.launch.run.server_command` (the notebook's kernel registered under the
name it expects).  It records the server's pid, port and kernelspec folder in
``server.json`` of the deployment's folder, so a restarted service finds it.
``envspec.service.hub.HubLauncher`` starts a named server of the user through the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from envspec.launch.run import Prepared
    from envspec.launch.server import RunningServer
    from envspec.service.store import Record

__all__ = ["LaunchFailed", "Launcher", "LocalLauncher", "Recoverable"]


class LaunchFailed(Exception):
    """The server did not start (the message is for the user; no token in it)."""


@runtime_checkable
class Launcher(Protocol):
    async def start(self, deployment: Record, prepared: Prepared) -> str: ...

    async def stop(self, deployment: Record) -> None: ...


@runtime_checkable
class Recoverable(Protocol):
    async def is_running(self, deployment: Record) -> bool: ...


class LocalLauncher:
    """A Jupyter server per deployment, on 127.0.0.1, in its own process group."""

    def __init__(self, data_dir: Path, *, ready_timeout: float = 120.0) -> None:
        self.data_dir = data_dir
        self.ready_timeout = ready_timeout
        self._servers: dict[str, RunningServer] = {}

    def _record_file(self, deployment_id: str) -> Path:
        return self.data_dir / deployment_id / "server.json"

    async def start(self, deployment: Record, prepared: Prepared) -> str:
        return await asyncio.to_thread(self._start, deployment, prepared)

    def _start(self, deployment: Record, prepared: Prepared) -> str:
        from envspec.launch import kernelspecs
        from envspec.launch.run import RunOptions, server_command
        from envspec.launch.server import free_port, new_token, notebook_url
        from envspec.launch.targets import LaunchError

        self._stop(deployment.id)  # a server of an earlier attempt
        port, token = free_port(), new_token()
        kernels = kernelspecs.private_data_dir()
        try:
            spec = server_command(prepared, RunOptions(open_browser=False), port, token, kernels)
            server = _start(
                spec.command,
                port,
                token,
                spec.env,
                prepared.target.folder,
                self._record_file(deployment.id).with_name("server.log"),
            )
        except LaunchError as exc:
            kernelspecs.remove_data_dir(kernels)
            raise LaunchFailed(str(exc)) from None
        from envspec.launch.server import _start_time

        record = {
            "pid": server.process.pid,
            "start": _start_time(server.process.pid),
            "port": port,
            "kernels": str(kernels),
        }
        self._servers[deployment.id] = server
        path = self._record_file(deployment.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")
        try:
            server.wait_ready(self.ready_timeout)
        except LaunchError as exc:
            self._stop(deployment.id)
            raise LaunchFailed(str(exc)) from None
        return notebook_url(port, prepared.target.notebook, token)

    async def stop(self, deployment: Record) -> None:
        await asyncio.to_thread(self._stop, deployment.id)

    def _stop(self, deployment_id: str) -> None:
        from envspec.launch.server import _kill_all, _start_time, descendants

        server = self._servers.pop(deployment_id, None)
        if server is not None:
            server.stop(10.0)  # a child of this process: stopped in order, and reaped
        path = self._record_file(deployment_id)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        pid, start = int(record["pid"]), record.get("start")
        if start is not None and _start_time(pid) == start:
            left = {pid: start, **descendants(pid)}
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
            _kill_all(left, grace=10.0)
        shutil.rmtree(record.get("kernels", ""), ignore_errors=True)
        path.unlink(missing_ok=True)

    async def is_running(self, deployment: Record) -> bool:
        from envspec.launch.server import _start_time

        try:
            record = json.loads(self._record_file(deployment.id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        start = record.get("start")
        return start is not None and _start_time(int(record["pid"])) == start


def _start(
    command: list[str], port: int, token: str, env: dict[str, str], cwd: Path, log: Path
) -> RunningServer:
    """The server in a new session, its output in *log* (never the service's own streams:
    a server outlives a service killed with -9, and must not hold its pipes)."""
    import subprocess

    from envspec.launch.server import RunningServer
    from envspec.launch.targets import LaunchError

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        try:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(f"cannot start {command[0]}: {exc.strerror or exc}") from exc
    return RunningServer(process, port, token)
