"""Helpers of the JupyterHub tests: ``envspec serve`` run as a child process, and a
person's browser session on the hub (cookies, the hub's XSRF token, redirects)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from conftest import console_script
from envspec.launch.server import descendants
from launch_helpers import alive


@dataclass
class Serve:
    """A running ``envspec serve`` and what it printed."""

    process: subprocess.Popen[str]
    state_dir: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    url: str = ""
    password: str = ""
    seconds: float = 0.0
    processes: dict[int, str] = field(default_factory=dict)

    def wait_ready(self, timeout: float = 120) -> None:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.out.append(line)
            if line.startswith("    http://"):
                self.url = line.strip()
            elif self.url and line.startswith("    ") and not self.password:
                self.password = line.strip()
            if line.startswith("Press Ctrl-C"):
                self.seconds = time.monotonic() - started
                self.processes = descendants(self.process.pid)
                return
        raise AssertionError(f"envspec serve is not ready: {self.out} {self.log()[-3000:]}")

    def log(self) -> str:
        return "".join(self.err)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        self.processes.update(descendants(self.process.pid))
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def start_serve(
    state_dir: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None
) -> Serve:
    from envspec.launch.server import free_port

    port = port or free_port()
    process = subprocess.Popen(
        [console_script(), "serve", "--port", str(port), "--state-dir", str(state_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    serve = Serve(process, state_dir)

    def read_out() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            serve.lines.put(line)

    def read_err() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            serve.err.append(line)

    for reader in (read_out, read_err):
        threading.Thread(target=reader, daemon=True).start()
    return serve


def cleanup(serve: Serve) -> None:
    """Stop *serve* if a test left it running, and kill whatever of it is left."""
    serve.processes.update(descendants(serve.process.pid))
    with contextlib.suppress(Exception):
        serve.stop(timeout=60)
    for pid in alive(serve.processes):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # the readers see the end of the streams
    # the whole log beside the test's files (the failure message shows only its end)
    (serve.state_dir.parent / "serve.log").write_text(serve.log(), encoding="utf-8")
    for stream in (serve.process.stdout, serve.process.stderr):
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()


class Browser:
    """A person's session: cookies kept, redirects followed, the hub's XSRF header sent."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False  # 127.0.0.1 only: no proxy from the environment

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self._url(path), timeout=60, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        xsrf = self.session.cookies.get("_xsrf", path="/hub/")
        if xsrf:
            headers.setdefault("X-XSRFToken", xsrf)
        return self.session.request(method, self._url(path), headers=headers, timeout=60, **kwargs)

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def sign_in(self, user: str, password: str) -> requests.Response:
        self.get("/hub/login")  # the XSRF cookie of the login form
        xsrf = self.session.cookies.get("_xsrf", path="/hub/")
        return self.session.post(
            self._url("/hub/login"),
            data={"username": user, "password": password, "_xsrf": xsrf},
            timeout=60,
            allow_redirects=False,
        )

    def new_token(self, user: str, note: str = "tests") -> str:
        answer = self.request("POST", f"/hub/api/users/{user}/tokens", json={"note": note})
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token


def api(base: str, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A request with ``Authorization: Bearer TOKEN`` (no cookies)."""
    headers = {"Authorization": f"Bearer {token}", **(kwargs.pop("headers", {}) or {})}
    with requests.Session() as session:
        session.trust_env = False
        return session.request(
            method, base.rstrip("/") + path, headers=headers, timeout=60, **kwargs
        )
