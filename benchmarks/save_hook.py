"""The time the Jupyter pack-on-save hook adds to a save.

Builds a folder with a 1 MB notebook (code cells and a base64 image output)
beside a requirements.txt, an environment.yml and a postBuild, in a git
repository when ``git`` is available, and times ``envspec.jupyter.pre_save_hook``
on the notebook model as Jupyter passes it (already decoded): first the
save that packs, then saves where nothing changed.

    python benchmarks/save_hook.py [--size-mb 1] [--saves 200]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any


def _notebook(size: int) -> dict[str, Any]:
    image = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "c0",
            "metadata": {},
            "outputs": [
                {"data": {"image/png": image}, "metadata": {}, "output_type": "display_data"}
            ],
            "source": "plot()",
        }
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


class _Manager:
    """The part of a Jupyter ContentsManager the hook uses."""

    def __init__(self, root: Path) -> None:
        self.root_dir = str(root)

    def _get_os_path(self, path: str) -> str:
        return str(Path(self.root_dir, path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--saves", type=int, default=200)
    args = parser.parse_args()

    from envspec.jupyter import pre_save_hook

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "requirements.txt").write_text("numpy==2.1.0\npandas>=2,<3\n")
        (root / "environment.yml").write_text(
            "dependencies:\n  - python=3.12\n  - pip:\n    - rich\n"
        )
        (root / "postBuild").write_text("#!/bin/bash\nset -e\necho done\n")
        nb = _notebook(int(args.size_mb * 1024 * 1024))
        (root / "analysis.ipynb").write_text(json.dumps(nb))
        if shutil.which("git"):
            env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
            for cmd in (
                ["init", "-q"],
                ["remote", "add", "origin", "https://example.com/org/repo.git"],
                ["add", "-A"],
                ["-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "x"],
            ):
                subprocess.run(["git", "-C", tmp, *cmd], check=True, env=env, capture_output=True)
        model = {"type": "notebook", "content": nb}
        manager = _Manager(root)
        start = time.perf_counter()
        pre_save_hook(model, "analysis.ipynb", manager)
        first = time.perf_counter() - start
        assert "environment" in nb["metadata"], "the hook did not pack"
        times = []
        for _ in range(args.saves):
            start = time.perf_counter()
            pre_save_hook(model, "analysis.ipynb", manager)
            times.append(time.perf_counter() - start)
    size = len(json.dumps(nb)) / 1e6
    print(f"notebook: {size:.2f} MB; first save (packs, imports): {first * 1000:.1f} ms")
    print(
        f"unchanged saves: median {statistics.median(times) * 1000:.2f} ms, "
        f"p95 {sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms over {len(times)} saves "
        "(goal: under 5 ms)"
    )


if __name__ == "__main__":
    main()
