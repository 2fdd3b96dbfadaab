"""Starting and stopping the server of a ready deployment: the :class:`Launcher` protocol.

``start`` is given the deployment (:class:`~envspec.service.store.Record`) and the
:class:`~envspec.launch.run.Prepared` launch (its folder, notebook, planned and created
environment) and returns the URL the user opens; ``stop`` ends that server (and
does nothing when none runs).  A launcher may also have ``async def is_running(
deployment) -> bool``: a restarted service keeps a ready deployment whose server still
runs, and starts it again otherwise (:class:`Recoverable`).  A launcher with
``async def prestart(deployment, folder, notebook)`` (:class:`Prestartable`) is told as
soon as the checkout is there, to start the server while the environment is built.

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
import secrets
import shutil
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from envspec.launch.run import Prepared
    from envspec.launch.server import RunningServer
    from envspec.service.store import Record

__all__ = ["LaunchFailed", "Launcher", "LocalLauncher", "Prestartable", "Recoverable"]


class LaunchFailed(Exception):
    """The server did not start (the message is for the user; no token in it)."""


@runtime_checkable
class Launcher(Protocol):
    async def start(self, deployment: Record, prepared: Prepared) -> str: ...

    async def stop(self, deployment: Record) -> None: ...


@runtime_checkable
class Prestartable(Protocol):
    """A launcher that can start the server while the environment is built."""

    async def prestart(self, deployment: Record, folder: Path, notebook: str) -> None: ...


@runtime_checkable
class Recoverable(Protocol):
    async def is_running(self, deployment: Record) -> bool: ...


class LocalLauncher:
    """A Jupyter server per deployment, on 127.0.0.1, in its own process group."""

    def __init__(self, data_dir: Path, *, ready_timeout: float = 120.0, warm: int = 0) -> None:
        self.data_dir = data_dir
        self.ready_timeout = ready_timeout
        self.warm = warm
        self._servers: dict[str, RunningServer] = {}
        self._early: dict[str, tuple[int, str, Path]] = {}
        self._pool: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    # ----------------------------------------------------------------- warm servers
    # JupyterLab takes seconds to start.  With ``warm`` > 0, that many servers wait, each
    # serving a symbolic link to an empty folder; a deployment takes one by pointing its
    # link to the deployment's checkout (Jupyter reads files per request), and a new one
    # is started for the next deployment.

    async def warm_up(self) -> None:
        """Stop the warm servers a previous run left, and start this run's."""
        await asyncio.to_thread(self._warm_up)

    def _warm_up(self) -> None:
        if self.data_dir.is_dir():
            for old in self.data_dir.glob("warm-*"):
                self._stop(old.name)
                shutil.rmtree(old, ignore_errors=True)
        self._fill()

    def _fill(self) -> None:
        from envspec.launch import kernelspecs
        from envspec.launch.server import free_port, lab_command, new_token, server_environment
        from envspec.launch.targets import LaunchError

        while True:
            with self._lock:
                if self._closed or len(self._pool) >= self.warm:
                    return
            key = f"warm-{secrets.token_hex(6)}"
            folder = self.data_dir / key
            (folder / "empty").mkdir(parents=True)
            (folder / "root").symlink_to(folder / "empty")
            port, token = free_port(), new_token()
            kernels = kernelspecs.private_data_dir()
            env = server_environment(token, kernels, os.environ)
            try:
                server = _start(
                    lab_command(folder / "root", port),
                    port,
                    token,
                    env,
                    folder / "root",
                    folder / "server.log",
                )
            except LaunchError:
                kernelspecs.remove_data_dir(kernels)
                shutil.rmtree(folder, ignore_errors=True)
                return
            self._remember(key, server, port, token, kernels)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._pool.append(key)
            if closed:  # the service stopped meanwhile
                self._stop(key)
                shutil.rmtree(folder, ignore_errors=True)
                return

    def _remember(
        self, key: str, server: RunningServer, port: int, token: str, kernels: Path, **extra: str
    ) -> None:
        from envspec.launch.server import _start_time

        self._servers[key] = server
        self._early[key] = (port, token, kernels)
        record = {
            "pid": server.process.pid,
            "start": _start_time(server.process.pid),
            "port": port,
            "kernels": str(kernels),
            **extra,
        }
        path = self._record_file(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record), encoding="utf-8")

    def _claim(self, deployment_id: str, folder: Path) -> bool:
        """Give a warm server to the deployment: its link now points to *folder*."""
        while True:
            with self._lock:
                if not self._pool:
                    return False
                key = self._pool.pop(0)
            server = self._servers.pop(key, None)
            early = self._early.pop(key, None)
            if server is None or early is None or server.process.poll() is not None:
                self._stop(key)
                shutil.rmtree(self.data_dir / key, ignore_errors=True)
                continue
            link = self.data_dir / key / "root"
            new = link.with_name("root.new")
            new.unlink(missing_ok=True)
            new.symlink_to(folder.resolve())
            os.replace(new, link)
            self._record_file(key).unlink(missing_ok=True)
            self._remember(deployment_id, server, *early, warm=key)
            threading.Thread(target=self._fill, daemon=True).start()
            return True

    async def close(self) -> None:
        """Stop the warm servers (the deployments' servers are stopped one by one)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, []
        for key in pool:
            await asyncio.to_thread(self._stop, key)

    def _record_file(self, deployment_id: str) -> Path:
        return self.data_dir / deployment_id / "server.json"

    async def start(self, deployment: Record, prepared: Prepared) -> str:
        return await asyncio.to_thread(self._start, deployment, prepared)

    async def prestart(self, deployment: Record, folder: Path, notebook: str) -> None:
        """Start JupyterLab in *folder* now, while the environment is built: its kernel is
        registered by :meth:`start` before anyone has the URL (as ``envspec launch`` does)."""
        await asyncio.to_thread(self._prestart, deployment.id, folder, notebook)

    def _prestart(self, deployment_id: str, folder: Path, notebook: str) -> None:
        from envspec.launch import kernelspecs
        from envspec.launch.server import free_port, lab_command, new_token, server_environment
        from envspec.launch.targets import LaunchError

        self._stop(deployment_id)
        if self._claim(deployment_id, folder):
            return
        port, token = free_port(), new_token()
        kernels = kernelspecs.private_data_dir()
        command = lab_command(folder, port, default_kernel=_expected_kernel(folder / notebook))
        env = server_environment(token, kernels, os.environ)
        path = self._record_file(deployment_id)
        try:
            server = _start(command, port, token, env, folder, path.with_name("server.log"))
        except LaunchError:
            kernelspecs.remove_data_dir(kernels)
            return  # start() tries again, and says why
        self._remember(deployment_id, server, port, token, kernels)

    def _start(self, deployment: Record, prepared: Prepared) -> str:
        from envspec.launch import kernelspecs
        from envspec.launch.run import RunOptions, server_command
        from envspec.launch.server import free_port, new_token, notebook_url
        from envspec.launch.targets import LaunchError

        early = self._early.pop(deployment.id, None)
        server = self._servers.get(deployment.id)
        if (
            early is not None
            and server is not None
            and server.process.poll() is None
            and prepared.plan.backend == "local"
        ):
            port, token, kernels = early
            try:
                server_command(prepared, RunOptions(open_browser=False), port, token, kernels)
                server.wait_ready(self.ready_timeout)
            except LaunchError as exc:
                self._stop(deployment.id)
                raise LaunchFailed(str(exc)) from None
            return notebook_url(port, prepared.target.notebook, token)
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
        self._remember(deployment.id, server, port, token, kernels)
        self._early.pop(deployment.id, None)
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

        self._early.pop(deployment_id, None)
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
        if record.get("warm"):
            shutil.rmtree(self.data_dir / str(record["warm"]), ignore_errors=True)
        path.unlink(missing_ok=True)

    async def is_running(self, deployment: Record) -> bool:
        from envspec.launch.server import _start_time

        try:
            record = json.loads(self._record_file(deployment.id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        start = record.get("start")
        return start is not None and _start_time(int(record["pid"])) == start


def _expected_kernel(notebook: Path) -> str | None:
    """``metadata.kernelspec.name`` of *notebook*, if it has a valid one."""
    try:
        with notebook.open("rb") as handle:
            spec = json.load(handle)["metadata"]["kernelspec"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else None


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
