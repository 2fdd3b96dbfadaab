"""Helpers of the launch tests: tiny wheels, git repositories, notebooks, and a small client
of a running Jupyter server (REST and the kernel websocket)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import nbformat

PROBE = "envspec_probe"
PROBE_VALUE = "only-in-the-launched-environment"


def build_wheel(
    folder: Path, name: str = PROBE, version: str = "1.0", value: str = PROBE_VALUE
) -> Path:
    """A pure-Python wheel of one module ``name`` whose ``VALUE`` is *value* (a zip written
    directly, no build backend)."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VALUE = {value!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: envspec-tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repo(folder: Path, files: Mapping[str, str | bytes]) -> str:
    """A git repository (branch ``main``) with *files* committed; the commit."""
    folder.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", "main", cwd=folder)
    commit_files(folder, files, "first")
    return git("rev-parse", "HEAD", cwd=folder)


def commit_files(folder: Path, files: Mapping[str, str | bytes], message: str) -> str:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    git("add", "-A", cwd=folder)
    git("commit", "-q", "-m", message, cwd=folder)
    return git("rev-parse", "HEAD", cwd=folder)


def notebook_bytes(
    environment: Mapping[str, Any] | None,
    *,
    kernel: str | None = "probe-env",
    code: str = f"import {PROBE}\nprint({PROBE}.VALUE)",
) -> bytes:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(code, id="probe")]
    if kernel is not None:
        notebook.metadata["kernelspec"] = {
            "name": kernel,
            "display_name": "Probe environment",
            "language": "python",
        }
    if environment is not None:
        notebook.metadata["environment"] = dict(environment)
    return (nbformat.writes(notebook) + "\n").encode()


@dataclass
class Client:
    """A small client of a Jupyter server (token in the Authorization header)."""

    base: str
    token: str

    @classmethod
    def from_url(cls, url: str) -> Client:
        parts = urlparse(url)
        return cls(f"{parts.scheme}://{parts.netloc}", parse_qs(parts.query)["token"][0])

    def request(self, method: str, path: str, body: Any = None, *, token: bool = True) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {self.token}"
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            self.base + path, data=data, method=method, headers=headers
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def run_cell(self, kernel_id: str, code: str, timeout: float = 60) -> str:
        """Run *code* in the kernel through its websocket; the stream output (or the error)."""
        import websocket

        url = f"{self.base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels"
        ws = websocket.create_connection(
            url, header=[f"Authorization: token {self.token}"], timeout=timeout
        )
        try:
            msg_id = uuid.uuid4().hex
            ws.send(
                json.dumps(
                    {
                        "header": {
                            "msg_id": msg_id,
                            "username": "test",
                            "session": uuid.uuid4().hex,
                            "msg_type": "execute_request",
                            "version": "5.3",
                        },
                        "parent_header": {},
                        "metadata": {},
                        "content": {
                            "code": code,
                            "silent": False,
                            "store_history": False,
                            "user_expressions": {},
                            "allow_stdin": False,
                        },
                        "channel": "shell",
                        "buffers": [],
                    }
                )
            )
            out: list[str] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                message = json.loads(ws.recv())
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                if kind == "stream":
                    out.append(message["content"]["text"])
                elif kind == "error":
                    out.append(f"{message['content']['ename']}: {message['content']['evalue']}")
                elif kind == "status" and message["content"]["execution_state"] == "idle":
                    return "".join(out)
            raise TimeoutError("no answer from the kernel")
        finally:
            ws.close()


def alive(processes: Mapping[int, str]) -> list[int]:
    """The processes of *processes* (pid -> start time) that still run."""
    from envspec.launch.server import _start_time

    return [pid for pid, start in processes.items() if _start_time(pid) == start]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
