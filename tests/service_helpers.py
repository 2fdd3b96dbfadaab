"""Helpers of the deploy service tests: the real service process on 127.0.0.1 and a small
HTTP client of its API (bearer tokens, problem details, server-sent events)."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import console_script
from envspec.service.auth import hash_token

TOKENS = {"alice": "alice-token-0123456789abcdef", "bob": "bob-token-fedcba9876543210"}


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Service:
    """A running ``envspec service run`` child process."""

    process: subprocess.Popen[str]
    url: str
    folder: Path
    err_lines: list[str] = field(default_factory=list)
    out_lines: list[str] = field(default_factory=list)
    readers: list[threading.Thread] = field(default_factory=list)

    @property
    def stderr(self) -> str:
        return "".join(self.err_lines)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = "alice",
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Content-Type": "application/json"} if data is not None else {}
        if user is not None:
            sent["Authorization"] = f"Bearer {TOKENS[user]}"
        sent.update(headers or {})
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            self.url + path.lstrip("/"), data=data, method=method, headers=sent
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as response:
                return Response(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, _lower(exc.headers), exc.read())

    def events(
        self, deployment: str, *, user: str = "alice", after: int = 0, timeout: float = 300
    ) -> Iterator[tuple[str, Any, str | None]]:
        """The server-sent events of the deployment's log: (event, data, id)."""
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            f"{self.url}api/v1/deployments/{deployment}/log?after={after}",
            headers={"Authorization": f"Bearer {TOKENS[user]}"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            event, data, ident = "message", "", None
            for raw in response:
                line = raw.decode().rstrip("\n")
                if not line:
                    if data:
                        yield event, json.loads(data), ident
                    event, data, ident = "message", "", None
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data += line[6:]
                elif line.startswith("id: "):
                    ident = line[4:]

    def wait_status(
        self, deployment: str, statuses: set[str], timeout: float = 300
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.request("GET", f"api/v1/deployments/{deployment}").json()
            if got["status"] in statuses:
                return dict(got)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"still {got['status']} after {timeout} s: {got}\n{self.stderr}"
                )
            time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        for thread in self.readers:
            thread.join(10)
        if not any(thread.is_alive() for thread in self.readers):
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()
        return code


def kill_leftovers(folder: Path) -> list[int]:
    """Kill what still runs from *folder* (servers of a service killed by a test that then
    failed); the pids killed."""
    import contextlib

    from launch_helpers import cmdline

    killed = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid() and str(folder) in cmdline(int(entry)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)
                killed.append(int(entry))
    return killed


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def write_tokens(folder: Path) -> Path:
    path = folder / "tokens.txt"
    path.write_text(
        "# test users\n" + "".join(f"{u} {hash_token(t)}\n" for u, t in TOKENS.items()), "utf-8"
    )
    return path


def start_service(folder: Path, *args: str, db: str | None = None, timeout: float = 60) -> Service:
    """``envspec service run --port 0`` in *folder* (its database, tokens and data there)."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens = folder / "tokens.txt"
    if not tokens.exists():
        write_tokens(folder)
    command = [
        console_script(),
        "service",
        "run",
        "--port",
        "0",
        "--tokens",
        str(tokens),
        "--db",
        db or f"sqlite:///{folder / 'service.sqlite'}",
        "--data-dir",
        str(folder / "data"),
        *args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    service = Service(process, "", folder)

    def pump(stream: Any, into: list[str], q: queue.Queue[str] | None) -> None:
        for line in stream:
            into.append(line)
            if q is not None:
                q.put(line)

    threading.Thread(
        target=pump, args=(process.stdout, service.out_lines, lines), daemon=True
    ).start()
    threading.Thread(
        target=pump, args=(process.stderr, service.err_lines, None), daemon=True
    ).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        if line.startswith("envspec service listening on "):
            service.url = line.removeprefix("envspec service listening on ").strip()
            return service
    service.stop(signal.SIGKILL)
    raise AssertionError(f"the service did not start: {service.out_lines} {service.stderr}")
