"""The Jupyter server of a launch: JupyterLab from envspec's own installation.

It listens on 127.0.0.1 only, with a random token passed in its environment
(``JUPYTER_TOKEN``: never on a command line other users can read, and
masked by Jupyter's own log), serves the target folder, and runs in its own
process group.  Stopping it sends SIGTERM (Jupyter then shuts down its
kernels), waits, and after a timeout kills whatever is left of the server
and of every process it started.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from envspec.launch.targets import LaunchError

__all__ = [
    "HOST",
    "RunningServer",
    "check_port",
    "free_port",
    "lab_command",
    "new_token",
    "notebook_url",
    "start_server",
]

HOST = "127.0.0.1"


def new_token() -> str:
    return secrets.token_hex(24)


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def check_port(port: int) -> int:
    """*port*, when 127.0.0.1 can listen on it; else a clear error."""
    if not 0 < port < 65536:
        raise LaunchError(f"--port {port} is not a port number", "give a number from 1 to 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise LaunchError(
                    f"port {port} of {HOST} is already in use",
                    "stop what uses it, give another port with --port, "
                    "or leave --port out to pick a free one",
                ) from None
            raise LaunchError(
                f"cannot listen on {HOST}:{port}: {exc.strerror}",
                "give another port with --port (ports below 1024 need privileges)",
            ) from None
    return port


def notebook_url(port: int, notebook: str, token: str) -> str:
    return f"http://{HOST}:{port}/lab/tree/{quote(notebook)}?token={token}"


def lab_command(folder: Path, port: int, *, default_kernel: str | None = None) -> list[str]:
    """JupyterLab of this Python, on 127.0.0.1:*port* only, serving *folder*."""
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={folder}",
        # the launch prints its own URL; Jupyter's messages are for problems
        "--ServerApp.log_level=WARN",
        "--LabApp.log_level=WARN",
    ]
    if default_kernel:
        command.append(f"--MultiKernelManager.default_kernel_name={default_kernel}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return command


def server_environment(
    token: str, data_dir: Path | None, base: Mapping[str, str]
) -> dict[str, str]:
    """The server's environment: the token, and the private data folder first on JUPYTER_PATH."""
    env = {k: v for k, v in base.items() if k not in ("JUPYTER_TOKEN_FILE",)}
    env["JUPYTER_TOKEN"] = token
    if data_dir is not None:
        rest = env.get("JUPYTER_PATH")
        env["JUPYTER_PATH"] = os.pathsep.join([str(data_dir), *([rest] if rest else [])])
    return env


@dataclass
class RunningServer:
    """A server process of this launch."""

    process: subprocess.Popen[bytes]
    port: int
    token: str
    _stopped: bool = field(default=False, repr=False)

    def status_url(self) -> str:
        return f"http://{HOST}:{self.port}/api/status"

    def answers(self) -> bool:
        """Whether the server answers ``GET /api/status`` with the token."""
        request = urllib.request.Request(  # noqa: S310 - a fixed http URL of 127.0.0.1
            self.status_url(), headers={"Authorization": f"token {self.token}"}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Return when the server answers; error when it exits or takes longer than *timeout*."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            code = self.process.poll()
            if code is not None:
                raise LaunchError(
                    f"the Jupyter server exited with status {code} before it was ready",
                    "its messages are above",
                )
            if self.answers():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise LaunchError(f"the Jupyter server did not answer within {timeout:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the server and its kernels; kill what is left after *timeout*.  Its exit status."""
        if self._stopped:
            return self.process.wait()
        self._stopped = True
        started = descendants(self.process.pid)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _kill_group(self.process.pid)
                self.process.wait()
        # Kernels run in sessions of their own: Jupyter stops them on SIGTERM; whatever
        # is still there (a kernel that ignored it, its children) is killed.
        _kill_all(started, grace=min(timeout, 3.0))
        return self.process.returncode


def start_server(
    command: Sequence[str],
    *,
    port: int,
    token: str,
    env: Mapping[str, str],
    cwd: Path | None = None,
) -> RunningServer:
    """Start *command* in a new process group (signals of the terminal go to the launch,
    which stops the server in order)."""
    try:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise LaunchError(f"cannot start {command[0]}: {exc.strerror or exc}") from exc
    return RunningServer(process, port, token)


def _start_time(pid: int) -> str | None:
    """When *pid* started (from ``/proc``), or ``None`` when it is not running."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    if len(fields) <= 19 or fields[0] in (b"Z", b"X"):
        return None  # a zombie has ended: only its parent's bookkeeping is left
    return fields[19].decode()


def descendants(pid: int) -> dict[int, str]:
    """Every process below *pid* (from ``/proc``), with its start time (so that a pid used
    again by another program is never killed)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return {}
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        child = todo.pop()
        start = _start_time(child)
        if start is not None and child not in found:
            found[child] = start
            todo.extend(children.get(child, []))
    return found


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill_all(processes: Mapping[int, str], *, grace: float) -> None:
    deadline = time.monotonic() + grace
    while any(_start_time(p) == s for p, s in processes.items()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid, start in processes.items():
        if _start_time(pid) == start:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5  # SIGKILL is not refused, but takes a moment
    while any(_start_time(p) == s for p, s in processes.items()) and time.monotonic() < deadline:
        time.sleep(0.02)
