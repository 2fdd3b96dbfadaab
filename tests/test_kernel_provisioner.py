"""The envspec provisioner under jupyter_client alone (as nbclient, papermill and
``jupyter console`` use it), with real kernel processes.

* Without ``JPY_SESSION_NAME`` (nbclient does not say which notebook runs), the
  kernel's folder gives the environment (its ``requirements.txt``).
* A build that takes longer than ``build_timeout`` gives the report kernel, and the
  event loop keeps running while a build goes on (a server keeps answering).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from packages import wheel

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _own_jupyter_data(tmp_path, monkeypatch):
    """Jupyter's notary keeps its secret and signatures in the data folder, and connection
    files go to the runtime folder: not the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))


def install(run_cli: Any, tmp_path: Path, wheels: Path | None, **config: Any) -> Path:
    prefix = tmp_path / "kernels"
    links = ("--find-links", wheels) if wheels else ()
    code, _, err = run_cli("kernel", "install", "--prefix", prefix, *links)
    assert code == 0, err
    spec_file = prefix / "share" / "jupyter" / "kernels" / "envspec" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    spec["metadata"]["kernel_provisioner"].setdefault("config", {}).update(config)
    spec_file.write_text(json.dumps(spec))
    return prefix / "share" / "jupyter"


async def run_in_kernel(folder: Path, env: dict[str, str], code: str) -> tuple[str, str, float]:
    """Start the envspec kernel in *folder*, run *code*: status, text, and the longest gap
    of a 50 ms ticker while the kernel started (how long the event loop was blocked)."""
    from jupyter_client.manager import AsyncKernelManager

    manager = AsyncKernelManager(kernel_name="envspec")
    gaps: list[float] = []
    loop = asyncio.get_running_loop()

    async def tick() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.05)
            gaps.append(loop.time() - last)
            last = loop.time()

    ticker = asyncio.create_task(tick())
    try:
        await manager.start_kernel(cwd=str(folder), env={**os.environ, **env})
    finally:
        ticker.cancel()
    client = manager.client()
    client.start_channels()
    texts: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        content = message["content"]
        if "text" in content:
            texts.append(content["text"])
        elif "traceback" in content:
            texts.append("\n".join(content["traceback"]))

    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(code, timeout=60, output_hook=keep)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    assert not await manager.is_alive()
    return reply["content"]["status"], "\n".join(texts), max(gaps, default=0.0)


@pytest.mark.parametrize("links", ["kernelspec", "UV_FIND_LINKS"])
def test_a_kernel_without_notebook_uses_its_folder(tmp_path, run_cli, monkeypatch, links):
    """The wheels are given by ``envspec kernel install --find-links``, or by uv's own
    variable in the server's environment."""
    wheels = tmp_path / "wheels"
    wheel(wheels, "envspec-folder-probe", "2.0", code="WHO = 'from the folder'\n")
    cache = tmp_path / "cache"
    if links == "UV_FIND_LINKS":
        monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
    given = wheels if links == "kernelspec" else None
    data = install(run_cli, tmp_path, given, cache_dir=str(cache))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "requirements.txt").write_text("envspec-folder-probe\n")
    code = "import envspec_folder_probe, sys; print(envspec_folder_probe.WHO, sys.prefix)"
    status, text, _ = asyncio.run(run_in_kernel(folder, {}, code))
    assert status == "ok", text
    assert text.startswith("from the folder ")
    assert Path(text.split()[-1]).is_relative_to(cache)


def test_a_build_longer_than_the_timeout_is_reported_and_never_blocks(
    tmp_path, run_cli, monkeypatch
):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    data = install(
        run_cli, tmp_path, wheels, builder="kernel_support:slow_builder", build_timeout=1.5
    )
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "requirements.txt").write_text("envspec-never-built\n")
    monkeypatch.setenv("ENVSPEC_TEST_BUILD_SECONDS", "4")
    monkeypatch.setenv("ENVSPEC_CACHE_DIR", str(tmp_path / "cache"))
    status, text, gap = asyncio.run(run_in_kernel(folder, {}, "print('ran')"))
    assert status == "error"
    assert "creating the environment took more than 1.5 s" in text
    assert "raise build_timeout" in text
    assert "ran" not in text.splitlines()
    assert gap < 1.0  # the build ran in a worker thread: the event loop went on


START = '#!/bin/sh\nexport ENVSPEC_STARTED="by start in $(pwd)"\nexec "$@"\n'


def _notebook_with_start(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "n.ipynb"
    environment = {
        "env_ver": "1.0",
        "files": {"requirements.txt": "envspec-start-probe\n", "start": START},
    }
    document = {
        "cells": [],
        "metadata": {"environment": environment},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(document))
    return path


def test_start_wraps_the_kernel_of_a_notebook_jupyter_trusts(tmp_path, run_cli, monkeypatch):
    import nbformat
    from nbformat.sign import NotebookNotary

    wheels = tmp_path / "wheels"
    wheel(wheels, "envspec-start-probe")
    data = install(run_cli, tmp_path, wheels, cache_dir=str(tmp_path / "cache"))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    folder = tmp_path / "work"
    path = _notebook_with_start(folder)
    code = "import os; print(os.environ.get('ENVSPEC_STARTED'))"
    env = {"JPY_SESSION_NAME": str(path)}

    # Received, not trusted: start does not run, and the kernel says why.
    status, text, _ = asyncio.run(run_in_kernel(folder, env, code))
    assert status == "error"
    assert "launch-untrusted" in text
    assert "jupyter trust" in text

    # Signed by Jupyter's notary (the user ran `jupyter trust`): start wraps the kernel.
    NotebookNotary().sign(nbformat.read(path, as_version=4))
    status, text, _ = asyncio.run(run_in_kernel(folder, env, code))
    assert (status, text) == ("ok", f"by start in {folder}\n")
    assert not list((tmp_path / "jupyter-runtime").glob("envspec-start-*"))  # removed


def test_a_front_end_that_ignores_the_provisioner_gets_a_kernel_that_says_so(
    tmp_path, run_cli, monkeypatch
):
    """Run as a front end that starts kernels from kernel.json itself would: the argv,
    without the provisioner.  No other Python runs the notebook."""
    data = install(run_cli, tmp_path, None)
    spec_file = data / "kernels" / "envspec" / "kernel.json"
    spec = json.loads(spec_file.read_text())
    del spec["metadata"]["kernel_provisioner"]
    spec_file.write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "requirements.txt").write_text("anything\n")
    status, text, _ = asyncio.run(run_in_kernel(folder, {}, "print('ran')"))
    assert status == "error"
    assert "without envspec's kernel provisioner" in text
    assert "ran" not in text.splitlines()
