"""How long a warm ``envspec launch`` takes until its server answers, beside a bare Jupyter server.

Builds a folder with a notebook whose environment is ``requirements.txt`` naming a tiny
wheel built here (offered with ``--find-links``; ipykernel comes from the package index
or uv's cache), launches it once to create the environment (the cold launch), then, in
the same run and alternating, measures:

- ``jupyter server``: ``python -m jupyter_server`` until ``GET /api/status`` answers;
- ``jupyter lab``: ``python -m jupyterlab`` (what launch runs) until it answers;
- ``envspec launch`` (warm: the environment is reused) until it prints the URL, which
  it does once ``GET /api/status`` answered with the token;
- ``envspec launch --dry-run``: reading and planning alone, a whole process;
- what a warm launch does before it starts the server (target, environment, plan,
  cache check), timed inside a fresh interpreter, imports included.

Each server is stopped (SIGINT for launch, SIGTERM for the bare ones) before the next
starts.  The goal: a warm launch at most 0.5 s slower than the bare server.

    python benchmarks/launch.py [--repeat 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from launch_helpers import PROBE, build_wheel, notebook_bytes

TOKEN = "benchmark-token-0123456789abcdef"  # noqa: S105 - a local benchmark server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {TOKEN}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def bare(module: str, root: Path) -> float:
    """Seconds until ``python -m MODULE`` answers on 127.0.0.1."""
    port = _free_port()
    command = [
        sys.executable, "-m", module,
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False", f"--ServerApp.root_dir={root}",
        "--ServerApp.log_level=WARN",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = {**os.environ, "JUPYTER_TOKEN": TOKEN}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"{module} exited with {process.returncode}")
            time.sleep(0.01)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


def envspec() -> str:
    return str(Path(sys.executable).with_name("envspec"))


def launch(folder: Path, wheels: Path) -> float:
    """Seconds until ``envspec launch`` prints the URL (its server answered)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [envspec(), "launch", str(folder), "--no-browser", "-q", "--find-links", str(wheels)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("    http://127.0.0.1:"):
                return time.perf_counter() - started
        raise RuntimeError(f"envspec launch exited with {process.wait()}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
        if process.stdout is not None:
            process.stdout.close()


_PREPARE = """\
import sys, time
started = time.perf_counter()
from envspec.environments import IndexOptions
from envspec.launch.run import RunOptions, prepare
prepared = prepare(sys.argv[1], RunOptions(index=IndexOptions(find_links=(sys.argv[2],))))
assert prepared.created is not None and prepared.created.reused, prepared.created
print(time.perf_counter() - started)
"""


def before_server(folder: Path, wheels: Path) -> float:
    """Seconds of a warm launch before its server starts (target, environment, plan, cache
    check), in a fresh interpreter, imports included."""
    # the interpreter of the envspec script: the plan records the interpreter's path
    python = Path(envspec()).read_text(encoding="utf-8").splitlines()[0].removeprefix("#!")
    done = subprocess.run(
        [python, "-c", _PREPARE, str(folder), str(wheels)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stdout)


def dry_run(folder: Path, wheels: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [envspec(), "launch", str(folder), "--dry-run"],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", metavar="OUT", help="also write the samples as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="envspec-bench-launch-") as tmp:
        root = Path(tmp)
        os.environ["ENVSPEC_CACHE_DIR"] = str(root / "cache")
        wheels = build_wheel(root / "wheels").parent
        folder = root / "work"
        folder.mkdir()
        environment = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}
        (folder / "analysis.ipynb").write_bytes(notebook_bytes(environment))

        cold = launch(folder, wheels)  # creates the environment
        samples: dict[str, list[float]] = {
            "jupyter server (bare)": [],
            "jupyter lab (bare)": [],
            "envspec launch (warm)": [],
            "envspec launch --dry-run": [],
            "warm launch before the server starts (in-process)": [],
        }
        for _ in range(args.repeat):
            samples["jupyter server (bare)"].append(bare("jupyter_server", folder))
            samples["jupyter lab (bare)"].append(bare("jupyterlab", folder))
            samples["envspec launch (warm)"].append(launch(folder, wheels))
            samples["envspec launch --dry-run"].append(dry_run(folder, wheels))
            samples["warm launch before the server starts (in-process)"].append(
                before_server(folder, wheels)
            )

    print(f"cold launch (creates the environment): {cold:.2f} s\n")
    print("| what | median (s) | min (s) | max (s) |")
    print("|---|---:|---:|---:|")
    for name, values in samples.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"
        )
    warm = statistics.median(samples["envspec launch (warm)"])
    server = statistics.median(samples["jupyter server (bare)"])
    lab = statistics.median(samples["jupyter lab (bare)"])
    print(
        f"\nwarm launch - bare jupyter server: {warm - server:+.2f} s (goal: at most +0.50 s); "
        f"- bare jupyter lab: {warm - lab:+.2f} s"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"cold": cold, "samples": samples}, indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
