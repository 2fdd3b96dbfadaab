"""The envspec kernel in a real Jupyter server: each notebook in its own environment.

``envspec kernel install --prefix TMP --find-links WHEELS`` writes the kernelspec; a
``jupyter_server`` on 127.0.0.1 finds it through ``JUPYTER_PATH``.  Sessions are
started through the REST API as JupyterLab starts them, and cells are run through
the kernel's connection file (jupyter_client's ``BlockingKernelClient``):

* a notebook whose ``requirements.txt`` names a wheel made by the test imports it,
  sees its ``env`` values, and runs in the environment's Python;
* a notebook without an environment, and one whose required variable the server
  lacks, get a kernel whose every cell fails with the reason;
* when the server stops, no kernel process is left.

The environment is created by ``envspec.environments`` (uv) from the wheel given with
``--find-links``; ipykernel comes from the package index (uv's cache after the first run).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from packages import wheel
from test_jupyter import HOST, free_port, wait_until_up

pytestmark = pytest.mark.slow

#: Creating an environment downloads ipykernel the first time (uv caches it).
BUILD_TIMEOUT = 300.0

PROBE = 'WHO = "the probe wheel"\n'


@dataclass
class Server:
    url: str
    token: str
    root: Path
    runtime: Path
    log: Path
    pid: int
    sessions: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - a fixed http:// URL on 127.0.0.1
            f"{self.url}{path}", data=data, method=method
        )
        request.add_header("Authorization", f"token {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                text = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            exc.close()
            pytest.fail(f"{method} {path}: {exc.code} {detail}\n{self.log.read_text()}")
        return json.loads(text) if text else None

    def start(self, notebook: str) -> str:
        """Start a session for *notebook* with the envspec kernel, as JupyterLab does."""
        session = self.call(
            "POST",
            "/api/sessions",
            {
                "path": notebook,
                "name": notebook.rsplit("/", 1)[-1],
                "type": "notebook",
                "kernel": {"name": "envspec"},
            },
            timeout=BUILD_TIMEOUT,
        )
        self.sessions[notebook] = str(session["id"])
        return str(session["kernel"]["id"])

    def run(self, kernel_id: str, code: str) -> tuple[str, list[dict[str, Any]]]:
        """Run *code* in the kernel: the reply's status and the outputs."""
        from jupyter_client import BlockingKernelClient

        connection = self.runtime / f"kernel-{kernel_id}.json"
        client = BlockingKernelClient(connection_file=str(connection))
        client.load_connection_file()
        client.start_channels(hb=False)  # a missed beat on a busy machine is not a death
        outputs: list[dict[str, Any]] = []

        def keep(message: dict[str, Any]) -> None:
            if message["msg_type"] in {"stream", "error", "execute_result"}:
                outputs.append(message["content"])

        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(code, timeout=60, output_hook=keep)
        finally:
            client.stop_channels()
        return str(reply["content"]["status"]), outputs


def children(pid: int) -> set[int]:
    """Every process below *pid* (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


def command_of(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return "?"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


@contextlib.contextmanager
def jupyter(tmp: Path, kernels: Path, extra_env: dict[str, str]) -> Iterator[Server]:
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://{HOST}:{port}"
    root, home = tmp / "root", tmp / "home"
    log = tmp / "server.log"
    env = {
        **os.environ,
        "JUPYTER_PATH": str(kernels),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        **extra_env,
    }
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.jpserver_extensions={'jupyter_server_terminals': False}",
        "--allow-root",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_up(process, url, token, log)
            yield Server(url, token, root, home / "runtime", log, process.pid)
        finally:
            process.send_signal(signal.SIGTERM)  # a clean stop: kernels shut down too
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


def write_notebook(path: Path, environment: dict[str, Any] | None) -> None:
    metadata: dict[str, Any] = {
        "kernelspec": {"name": "envspec", "display_name": "envspec", "language": "python"}
    }
    if environment is not None:
        metadata["environment"] = environment
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(document), encoding="utf-8")


def text_of(outputs: list[dict[str, Any]]) -> str:
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append(output["text"])
        elif "traceback" in output:
            parts.append("\n".join(output["traceback"]))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def test_each_notebook_runs_in_its_environment_or_says_why(tmp_path, run_cli):
    wheels = tmp_path / "wheels"
    wheel(wheels, "envspec-probe", "1.0", code=PROBE)
    prefix = tmp_path / "kernels"
    code, _, err = run_cli("kernel", "install", "--prefix", prefix, "--find-links", wheels)
    assert code == 0, err

    root = tmp_path / "root"
    write_notebook(
        root / "project" / "analysis.ipynb",
        {
            "env_ver": "1.0",
            "files": {"requirements.txt": "envspec-probe==1.0\n"},
            "env": {"GREETING": "hello", "SERVICE_TOKEN": None},
        },
    )
    write_notebook(root / "bare" / "bare.ipynb", None)
    write_notebook(
        root / "broken" / "broken.ipynb",
        {"env_ver": "1.0", "files": {"requirements.txt": "envspec-probe==9.9\n"}},
    )
    write_notebook(
        root / "needs" / "needs.ipynb",
        {
            "env_ver": "1.0",
            "files": {"requirements.txt": "envspec-probe==1.0\n"},
            "env": {"NOT_SET_ANYWHERE": None},
        },
    )
    cache = tmp_path / "cache"
    extra = {"ENVSPEC_CACHE_DIR": str(cache), "SERVICE_TOKEN": "s3cret"}
    pids: set[int] = set()
    with jupyter(tmp_path, prefix / "share" / "jupyter", extra) as server:
        # The notebook with an environment: built, then the cell runs inside it.
        kernel = server.start("project/analysis.ipynb")
        code_ = (
            "import os, sys, envspec_probe\n"
            "print(envspec_probe.WHO, os.environ['GREETING'], os.environ['SERVICE_TOKEN'])\n"
            "print(sys.prefix)\n"
            "print(os.getcwd())\n"
        )
        status, outputs = server.run(kernel, code_)
        text = text_of(outputs)
        assert status == "ok", text
        lines = text.splitlines()
        assert lines[0] == "the probe wheel hello s3cret"
        # The environment's Python, from envspec's cache, not the server's.
        assert Path(lines[1]).is_relative_to(cache)
        assert Path(lines[2]) == root / "project"
        pids |= children(server.pid)

        # A restart starts it again: the environment is reused from the cache.
        server.call("POST", f"/api/kernels/{kernel}/restart", {}, timeout=BUILD_TIMEOUT)
        status, outputs = server.run(kernel, "import envspec_probe; print(envspec_probe.WHO)")
        assert (status, text_of(outputs)) == ("ok", "the probe wheel\n")
        pids |= children(server.pid)

        # Renamed in JupyterLab (the file, then the session): a restart follows the notebook.
        new = "project/renamed.ipynb"
        server.call("PATCH", "/api/contents/project/analysis.ipynb", {"path": new})
        session = server.sessions["project/analysis.ipynb"]
        server.call("PATCH", f"/api/sessions/{session}", {"path": new, "name": "renamed.ipynb"})
        server.call("POST", f"/api/kernels/{kernel}/restart", {}, timeout=BUILD_TIMEOUT)
        status, outputs = server.run(kernel, "import envspec_probe; print(envspec_probe.WHO)")
        assert (status, text_of(outputs)) == ("ok", "the probe wheel\n")
        pids |= children(server.pid)

        # A build that fails: the reason and the end of uv's log, in the notebook.
        kernel = server.start("broken/broken.ipynb")
        status, outputs = server.run(kernel, "1 + 1")
        text = text_of(outputs)
        assert status == "error"
        assert "the environment could not be built" in text
        assert "envspec-probe==9.9" in text  # from uv's log
        assert not list((cache / "envs").glob("*/bin/python"))[1:]  # nothing half-built

        # Without an environment: the kernel starts, and every cell says why.
        kernel = server.start("bare/bare.ipynb")
        for _ in range(2):
            status, outputs = server.run(kernel, "import envspec_probe")
            text = text_of(outputs)
            assert status == "error"
            assert "envspec could not start it in its environment" in text
            assert "environment-missing: bare.ipynb has no metadata.environment" in text
            assert "hint: declare the environment" in text
            assert "No module named" not in text  # the cell did not run at all

        # A variable the environment requires and the server does not set: named.
        kernel = server.start("needs/needs.ipynb")
        status, outputs = server.run(kernel, "1 + 1")
        assert status == "error"
        assert "does not set: NOT_SET_ANYWHERE" in text_of(outputs)
        pids |= children(server.pid)
        assert len(pids) >= 3
    log = server.log.read_text()
    assert "(created, " in log
    assert "(reused, " in log
    assert "environment-missing" in log
    assert "s3cret" not in log
    deadline = time.monotonic() + 20
    while [pid for pid in pids if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    left = {pid: command_of(pid) for pid in pids if alive(pid)}
    assert not left, f"{left}\n{log}"
