"""The deploy service's speed: submit-to-ready for a cached environment, and status
requests per second with concurrent clients, all on 127.0.0.1.

Starts ``envspec service run --port 0`` in a temporary folder (its own SQLite database
and tokens), deploys an uploaded notebook once to build its environment (the cold
deployment), then measures:

- **submit-to-ready (cached)**: ``POST /api/v1/deployments`` of the same notebook until
  its log stream ends with ``ready`` (the environment is reused: what is left is
  checking the notebook, the cache lookup and starting its Jupyter server), each
  deployment deleted before the next;
- **status requests per second**: *clients* threads, each with its own keep-alive
  connection, ``GET /api/v1/deployments/{id}`` for *seconds* seconds; the answers per
  second and the latency percentiles (every answer must be 200).

Bounded: at most 64 clients, at most 60 seconds, at most 20 repeats.  The goal of the
issue: submit-to-ready under 3 s through the hub.  ``--hub`` measures that
(``benchmarks/service_hub.py``): a real JupyterHub with configurable-http-proxy started
by the code of ``envspec serve``, every request through the proxy, the time of each
phase from the deployment's log and the hub's.

    python benchmarks/service.py [--repeat 5] [--clients 8] [--seconds 5] [--json OUT]
    python benchmarks/service.py --hub [--repeat 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "a", "metadata": {},
               "outputs": [], "source": "print('hello')"}],
    "metadata": {"environment": {"env_ver": "1.0"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}  # fmt: skip
LISTENING = "envspec service listening on "


class Service:
    """``envspec service run`` in *folder*, with one user's token."""

    def __init__(self, folder: Path) -> None:
        from envspec.service.auth import hash_token, new_token

        self.token = new_token()
        (folder / "tokens.txt").write_text(f"bench {hash_token(self.token)}\n", "utf-8")
        self.out = folder / "service.out"
        command = [
            sys.executable, "-m", "envspec", "service", "run", "--port", "0",
            "--tokens", str(folder / "tokens.txt"),
            "--db", f"sqlite:///{folder / 'service.sqlite'}",
            "--data-dir", str(folder / "data"), "--log-level", "WARNING",
        ]  # fmt: skip
        with self.out.open("wb") as out, (folder / "service.log").open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in self.out.read_text("utf-8").splitlines():
                if line.startswith(LISTENING):
                    url = line.removeprefix(LISTENING).strip()
                    self.host, _, rest = url.removeprefix("http://").partition(":")
                    self.port = int(rest.split("/")[0])
                    return
            time.sleep(0.05)
        self.stop()
        raise SystemExit("the service did not start:\n" + (folder / "service.log").read_text())

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        connection = self.connection()
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        connection.close()
        return response.status, json.loads(raw) if raw else None

    def wait_ready(self, ident: str) -> str:
        """Read the log stream to its end; the last status."""
        connection = self.connection()
        connection.request(
            "GET",
            f"/api/v1/deployments/{ident}/log",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"},
        )
        response = connection.getresponse()
        status, event = "", ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "status":
                status = json.loads(line[6:])["status"]
        connection.close()
        return status

    def deploy(self) -> tuple[float, str]:
        started = time.perf_counter()
        source = {"type": "notebook", "name": "bench.ipynb", "notebook": NOTEBOOK}
        code, created = self.call("POST", "/api/v1/deployments", {"source": source})
        if code != 201:
            raise SystemExit(f"create answered {code}: {created}")
        status = self.wait_ready(created["id"])
        took = time.perf_counter() - started
        if status != "ready":
            raise SystemExit(f"the deployment ended {status}")
        return took, created["id"]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def status_load(service: Service, ident: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds
    path = f"/api/v1/deployments/{ident}"
    headers = {"Authorization": f"Bearer {service.token}"}

    def client(index: int) -> None:
        connection = service.connection()
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - started)
            if response.status != 200:
                errors[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    every = sorted(x for part in latencies for x in part)
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(every),
        "errors": sum(errors),
        "per_second": round(len(every) / elapsed, 1),
        "p50_ms": round(1000 * every[len(every) // 2], 2),
        "p99_ms": round(1000 * every[min(len(every) - 1, int(len(every) * 0.99))], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--hub",
        action="store_true",
        help="through a real JupyterHub and its proxy, started as `envspec serve` starts it",
    )
    parser.add_argument(
        "--hub-config",
        type=Path,
        help="with --hub: a jupyterhub_config.py loaded first (as `envspec serve --config`)",
    )
    args = parser.parse_args()
    repeat = max(1, min(args.repeat, 20))
    clients = max(1, min(args.clients, 64))
    seconds = max(0.5, min(args.seconds, 60.0))
    if args.hub:
        from service_hub import run_hub

        return run_hub(repeat, args.json, args.hub_config)
    with tempfile.TemporaryDirectory(prefix="envspec-bench-service-") as folder:
        service = Service(Path(folder))
        try:
            cold, ident = service.deploy()
            service.call("DELETE", f"/api/v1/deployments/{ident}")
            warm = []
            for _ in range(repeat):
                took, ident = service.deploy()
                warm.append(took)
                service.call("DELETE", f"/api/v1/deployments/{ident}")
            took, ident = service.deploy()  # a ready deployment to ask about
            load = status_load(service, ident, clients, seconds)
            service.call("DELETE", f"/api/v1/deployments/{ident}")
        finally:
            service.stop()
    result = {
        "cold_seconds": round(cold, 2),
        "cached_seconds": [round(x, 3) for x in warm],
        "cached_median_seconds": round(statistics.median(warm), 3),
        "status": load,
    }
    print("| measure | value |\n|---|---|")
    print(f"| submit-to-ready, first (builds the environment) | {cold:.2f} s |")
    median = statistics.median(warm)
    print(f"| submit-to-ready, cached environment (median of {repeat}) | "
          f"{median:.2f} s (min {min(warm):.2f}, max {max(warm):.2f}) |")  # fmt: skip
    print(f"| status requests per second ({clients} clients, {load['seconds']} s) | "
          f"{load['per_second']} (p50 {load['p50_ms']} ms, p99 {load['p99_ms']} ms, "
          f"{load['errors']} errors) |")  # fmt: skip
    print(f"\ngoal: cached submit-to-ready under 3 s: "
          f"{'met' if statistics.median(warm) < 3 else 'not met'}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return 0 if load["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
