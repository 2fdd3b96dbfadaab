"""A builder for the kernel tests that stands in for ``envspec.environments``.

``fixture_builder`` is what the test kernelspec names as its ``builder``: it makes a
virtual environment with uv (``uv venv`` + ``uv pip install ipykernel -r
requirements.txt``, with the index options the provisioner passes), cached by the text
of the environment's files.  It runs inside the Jupyter server of the tests
(``PYTHONPATH`` points at this folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from envspec.kernel.resolve import BuildRequest, Built, KernelProblem


def _uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def fixture_builder(request: BuildRequest) -> Built:
    """``uv venv`` + ``uv pip install ipykernel -r requirements.txt`` (cached by content)."""
    files = request.source.files
    if set(files) - {"requirements.txt"}:
        raise KernelProblem(f"the test builder takes requirements.txt only, not {sorted(files)}")
    cache = request.cache_dir or Path(os.environ["ENVSPEC_TEST_ENVS"])
    key = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]
    prefix = cache / key
    python = prefix / "bin" / "python"
    if python.is_file():
        return Built(python, prefix, key, reused=True)
    building = cache / f".{key}.building"
    uv = _uv()
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(building)],
        check=True,
        capture_output=True,
    )
    requirements = building / "requirements.txt"
    requirements.write_text(files.get("requirements.txt", ""), encoding="utf-8")
    index = [f"--find-links={link}" for link in request.index.find_links]
    done = subprocess.run(
        [
            uv,
            "pip",
            "install",
            "-q",
            "--python",
            str(building / "bin" / "python"),
            "ipykernel",
            "-r",
            str(requirements),
            *index,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        log = done.stderr.strip().splitlines()
        error = RuntimeError("uv pip install failed")
        error.log_tail = "\n".join(log[-20:])  # type: ignore[attr-defined]
        raise error
    building.rename(prefix)
    # The venv's scripts name the folder it was made in: the interpreter link is what counts.
    return Built(prefix / "bin" / "python", prefix, key, reused=False)


def slow_builder(request: BuildRequest) -> Built:
    """:func:`fixture_builder` after ``ENVSPEC_TEST_BUILD_SECONDS`` seconds (a long build)."""
    import time

    time.sleep(float(os.environ.get("ENVSPEC_TEST_BUILD_SECONDS", "3")))
    return fixture_builder(request)
