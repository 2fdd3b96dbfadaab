"""``envspec launch`` for real: a child process starts JupyterLab on 127.0.0.1, the notebook opens
with the environment's kernel, a cell imports a package only that environment has, and Ctrl-C
leaves no process behind."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import console_script
from envspec.launch.server import descendants
from launch_helpers import (
    PROBE,
    PROBE_VALUE,
    Client,
    alive,
    build_wheel,
    cmdline,
    make_repo,
    notebook_bytes,
)

pytestmark = pytest.mark.slow

ENV = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the probe wheel, built here (ipykernel comes from the package index)."""
    return build_wheel(tmp_path_factory.mktemp("wheels")).parent


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().partition("=")[::2] for item in raw if b"=" in item)


@dataclass
class Launch:
    """A running ``envspec launch`` child process and what it printed."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    out: list[str] = field(default_factory=list)
    err: str = ""
    reader: threading.Thread = field(default_factory=threading.Thread)

    def url(self, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.out.append(line)
            if line.startswith("    http://"):
                return line.strip()
        self.process.kill()
        _, self.err = self.process.communicate()
        raise AssertionError(f"no URL; stdout: {self.out}; stderr: {self.err}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        assert self.process.stderr is not None
        self.err = self.process.stderr.read()
        self.reader.join(5)
        while not self.lines.empty():
            self.out.append(self.lines.get())
        return code


def start_launch(*args: str, env: dict[str, str] | None = None) -> Launch:
    process = subprocess.Popen(
        [console_script(), "launch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    launch = Launch(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            launch.lines.put(line)

    launch.reader = threading.Thread(target=read, daemon=True)
    launch.reader.start()
    return launch


@pytest.fixture
def launches() -> Iterator[list[Launch]]:
    started: list[Launch] = []
    yield started
    for launch in started:  # a failed test stops what it started, server included
        if launch.process.poll() is None:
            left = descendants(launch.process.pid)
            launch.process.send_signal(signal.SIGINT)
            try:
                launch.process.wait(30)
            except subprocess.TimeoutExpired:
                launch.process.kill()
                launch.process.wait()
            for pid in alive(left):
                os.kill(pid, signal.SIGKILL)
        for stream in (launch.process.stdout, launch.process.stderr):
            if stream is not None:
                stream.close()


def test_launch_from_a_git_repository(tmp_path: Path, wheels: Path, launches: list[Launch]) -> None:
    # GIVEN a notebook in a local git repository whose environment is the probe wheel
    repo = tmp_path / "repo"
    original = notebook_bytes(ENV, kernel="probe-env")
    commit = make_repo(repo, {"index.ipynb": original, "README.md": "analysis\n"})
    assert importlib.util.find_spec(PROBE) is None  # only the launched environment has it
    secret = "s3cret-value-for-the-kernel"

    # WHEN it is launched from its file:// URL
    launch = start_launch(
        f"file://{repo}",
        "--no-browser",
        "--find-links",
        str(wheels),
        "--env",
        f"API_TOKEN={secret}",
    )
    launches.append(launch)
    url = launch.url()

    # THEN the URL opens the notebook in JupyterLab on 127.0.0.1 with a token
    assert url.startswith("http://127.0.0.1:")
    assert "/lab/tree/index.ipynb?token=" in url
    assert launch.out[0] == "To access the notebook, open this URL in a browser:\n"
    client = Client.from_url(url)
    assert len(client.token) == 48
    # the notebook's kernelspec names the kernel registered for this server
    model = client.request("GET", "/api/contents/index.ipynb")
    assert model["content"]["metadata"]["kernelspec"]["name"] == "probe-env"
    specs = client.request("GET", "/api/kernelspecs")
    assert specs["default"] == "probe-env"
    argv = specs["kernelspecs"]["probe-env"]["spec"]["argv"]
    assert argv[1:3] == ["-m", "ipykernel_launcher"]
    kernel_python = Path(argv[0])
    environments = Path(os.environ["ENVSPEC_CACHE_DIR"]) / "envs"
    assert kernel_python.is_relative_to(environments)  # the environment envspec created
    # a cell of the notebook runs in that environment, with the supplied variable
    session = client.request(
        "POST",
        "/api/sessions",
        {"path": "index.ipynb", "type": "notebook", "name": "", "kernel": {"name": "probe-env"}},
    )
    output = client.run_cell(
        session["kernel"]["id"],
        f"import os, sys, {PROBE}\nprint({PROBE}.VALUE, os.environ['API_TOKEN'], sys.prefix)",
    )
    assert output.split() == [PROBE_VALUE, secret, str(kernel_python.parent.parent)]
    processes = descendants(launch.process.pid)
    assert any("ipykernel_launcher" in cmdline(p) for p in processes)
    server = next(p for p in processes if "jupyterlab" in cmdline(p))
    data_dir = Path(environ(server)["JUPYTER_PATH"].split(os.pathsep)[0])
    assert (data_dir / "kernels" / "probe-env" / "kernel.json").is_file()

    # WHEN the launch is interrupted (Ctrl-C)
    code = launch.stop(signal.SIGINT)

    # THEN it ends cleanly, and no process of it is left
    assert code == 0, launch.err
    assert alive(processes) == []
    assert not data_dir.exists()  # the private kernelspec folder is gone
    # the notebook was opened as it is: its file was not rewritten
    checkout = next(Path(os.environ["ENVSPEC_CACHE_DIR"]).glob(f"clones/*/{commit}"))
    assert (checkout / "index.ipynb").read_bytes() == original
    # the token and the supplied value are in no log
    assert client.token not in launch.err
    assert secret not in launch.err
    assert secret not in "".join(launch.out)


def test_browser_and_sigterm(tmp_path: Path, wheels: Path, launches: list[Launch]) -> None:
    # GIVEN a folder with one notebook, and BROWSER naming a program that records its argument
    folder = tmp_path / "work"
    folder.mkdir()
    original = notebook_bytes(ENV, kernel=None)  # no kernelspec: the plan's kernel is default
    (folder / "analysis.ipynb").write_bytes(original)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    browser.chmod(0o755)

    # WHEN it is launched and the browser is opened
    launch = start_launch(str(folder), "--find-links", str(wheels), env={"BROWSER": str(browser)})
    launches.append(launch)
    url = launch.url()
    deadline = time.monotonic() + 30
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.1)

    # THEN the browser got the notebook's URL, and the default kernel is the environment's
    assert opened.read_text() == url
    assert "/lab/tree/analysis.ipynb?token=" in url
    specs = Client.from_url(url).request("GET", "/api/kernelspecs")
    python = specs["kernelspecs"][specs["default"]]["spec"]["argv"][0]
    assert Path(python).is_relative_to(Path(os.environ["ENVSPEC_CACHE_DIR"]))
    processes = descendants(launch.process.pid)

    # WHEN it receives SIGTERM, THEN it stops everything too
    assert launch.stop(signal.SIGTERM) == 0, launch.err
    assert alive(processes) == []
    assert (folder / "analysis.ipynb").read_bytes() == original
    assert not json.dumps(launch.err).count("token=" + Client.from_url(url).token)


def test_sigterm_while_creating_stops_everything(
    tmp_path: Path, wheels: Path, launches: list[Launch]
) -> None:
    # GIVEN a trusted environment whose postBuild takes long (a marker says it started)
    started = tmp_path / "post-build-started"
    environment = {
        "env_ver": "1.0",
        "files": {
            "requirements.txt": f"{PROBE}\n",
            "postBuild": f"#!/bin/sh\ntouch {started}\nsleep 120\n",
        },
    }
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "analysis.ipynb").write_bytes(notebook_bytes(environment))
    launch = start_launch(str(folder), "--no-browser", "--trust", "--find-links", str(wheels))
    launches.append(launch)
    deadline = time.monotonic() + 120
    while not started.exists():
        assert launch.process.poll() is None, launch.process.stderr.read()  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # (the marker is written just before the script starts sleep: wait for sleep too)
    processes = descendants(launch.process.pid)
    while not any("sleep" in cmdline(p) for p in processes):
        assert time.monotonic() < deadline
        time.sleep(0.05)
        processes = descendants(launch.process.pid)
    assert any("jupyterlab" in cmdline(p) for p in processes)  # the server starts meanwhile

    # WHEN the launch gets SIGTERM while the environment is being created
    code = launch.stop(signal.SIGTERM)

    # THEN it says it was interrupted, and leaves no process and no half-built environment
    assert code == 130, launch.err
    assert "interrupted" in launch.err
    assert alive(processes) == []
    assert "To access the notebook" not in "".join(launch.out)
    envs = Path(os.environ["ENVSPEC_CACHE_DIR"]) / "envs"
    assert not envs.exists() or not [p for p in envs.iterdir() if not p.name.startswith(".")]
