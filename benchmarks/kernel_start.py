"""How long a notebook waits for the envspec kernel, beside Jupyter's own ``python3`` kernel.

Starts one ``jupyter_server`` on 127.0.0.1 with the envspec kernelspec
(``envspec kernel install --prefix``), then for each row starts a session for a
notebook through the REST API, as JupyterLab does, and runs ``1 + 1`` through the
kernel's connection file.  Two times per start: until ``POST /api/sessions``
answers, and until the first cell's result.

* ``python3``: Jupyter's own kernel (the floor);
* ``envspec cold``: the first start of an environment (uv creates it; ipykernel
  from uv's cache when it is warm);
* ``envspec warm``: a new session of the same environment (a cache hit).

Usage: ``python benchmarks/kernel_start.py [--repeat 5]``.  Nothing but the
package index (ipykernel, the first time) is used from the network.  Run it without
``PYTHONDONTWRITEBYTECODE``: uv installs without bytecode, so with that variable set
every start of the environment's kernel compiles IPython again (about 0.5 s), which a
user's machine does only once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, root: Path, home: Path, kernels: Path, cache: Path) -> None:
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://{HOST}:{self.port}"
        self.runtime = home / "runtime"
        env = {
            **os.environ,
            "JUPYTER_PATH": str(kernels),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
            "ENVSPEC_CACHE_DIR": str(cache),
        }
        self.log = (home / "server.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                f"--ServerApp.ip={HOST}",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.open_browser=False",
                f"--ServerApp.root_dir={root}",
                "--allow-root",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        for _ in range(600):
            if self.process.poll() is not None:
                raise SystemExit((home / "server.log").read_text())
            with contextlib.suppress(OSError):
                self.call("GET", "/api/status")
                return
            time.sleep(0.1)
        raise SystemExit("jupyter_server did not start")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            text = response.read()
        return json.loads(text) if text else None

    def start(self, notebook: str, kernel: str) -> tuple[float, float]:
        from jupyter_client import BlockingKernelClient

        began = time.perf_counter()
        session = self.call(
            "POST",
            "/api/sessions",
            {"path": notebook, "name": notebook, "type": "notebook", "kernel": {"name": kernel}},
        )
        answered = time.perf_counter() - began
        client = BlockingKernelClient(
            connection_file=str(self.runtime / f"kernel-{session['kernel']['id']}.json")
        )
        client.load_connection_file()
        client.start_channels(hb=False)
        try:
            client.wait_for_ready(timeout=120)
            reply = client.execute_interactive("1 + 1", timeout=60, output_hook=lambda _: None)
        finally:
            client.stop_channels()
        ready = time.perf_counter() - began
        assert reply["content"]["status"] == "ok", reply
        self.call("DELETE", f"/api/sessions/{session['id']}")
        return answered, ready

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def wheel(folder: Path) -> None:
    import base64
    import hashlib
    import zipfile

    files = {
        "bench_probe/__init__.py": "X = 1\n",
        "bench_probe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: bench-probe\n"
        "Version: 1.0\n",
        "bench_probe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = [
        f"{p},sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
        + f",{len(t)}"
        for p, t in files.items()
    ]
    files["bench_probe-1.0.dist-info/RECORD"] = "\n".join(
        [*record, "bench_probe-1.0.dist-info/RECORD,,"]
    )
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "bench_probe-1.0-py3-none-any.whl", "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        wheel(base / "wheels")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "envspec",
                "kernel",
                "install",
                "--prefix",
                str(base / "k"),
                "--find-links",
                str(base / "wheels"),
            ],
            check=True,
            capture_output=True,
        )
        root = base / "root"
        root.mkdir()
        for name, environment in (
            ("env.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "bench-probe\n"}}),
            ("plain.ipynb", None),
        ):
            metadata = {"environment": environment} if environment else {}
            document = {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
            (root / name).write_text(json.dumps(document))
        (base / "home").mkdir()
        server = Server(root, base / "home", base / "k" / "share" / "jupyter", base / "cache")
        rows: dict[str, list[tuple[float, float]]] = {"python3": [], "envspec warm": []}
        try:
            cold = server.start("env.ipynb", "envspec")
            for _ in range(args.repeat):
                rows["python3"].append(server.start("plain.ipynb", "python3"))
                rows["envspec warm"].append(server.start("env.ipynb", "envspec"))
        finally:
            server.stop()
    print("| kernel | session answered (s) | first cell done (s) |")
    print("|---|---|---|")
    print(f"| envspec cold (1 run) | {cold[0]:.2f} | {cold[1]:.2f} |")
    for name, samples in rows.items():
        answered = statistics.median(s[0] for s in samples)
        ready = statistics.median(s[1] for s in samples)
        print(f"| {name} (median of {len(samples)}) | {answered:.2f} | {ready:.2f} |")


if __name__ == "__main__":
    main()
