"""Large batches are shared among forked workers: same verdicts, in the same order."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from envspec._parallel import fork_map
from envspec.validate import FAST_DECODE_THRESHOLD, PARALLEL_MIN_FILES, validate_paths

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def _corpus(folder: Path, count: int) -> None:
    padding = base64.b64encode(b"\x00" * (FAST_DECODE_THRESHOLD // count + 1024)).decode()
    for i in range(count):
        env: dict[str, object] = {
            "env_ver": "1.0",
            "files": {"requirements.txt": f"pkg{i}==1.{i}\n"},
        }
        if i % 7 == 0:
            env["files"] = {"requirements.txt": "numpy=1\n"}  # an error
        if i % 11 == 0:
            env["python"] = 3.12  # another
        nb = {
            "cells": [{"cell_type": "markdown", "id": f"c{i}", "metadata": {}, "source": padding}],
            "metadata": {"environment": env},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (folder / f"nb{i:03d}.ipynb").write_text(json.dumps(nb, indent=1))


def test_workers_give_the_same_verdicts_in_the_same_order(tmp_path: Path) -> None:
    _corpus(tmp_path, PARALLEL_MIN_FILES + 6)

    alone = validate_paths([tmp_path], jobs=1)
    shared = validate_paths([tmp_path], jobs=3)

    assert [r.path for r in shared.reports] == [r.path for r in alone.reports]
    assert shared.diagnostics == alone.diagnostics
    codes = {d.code for d in alone.diagnostics}
    assert codes == {"requirement-invalid", "wrong-type"}


def test_workers_fill_the_cache_like_one_process(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _corpus(corpus, PARALLEL_MIN_FILES)
    first = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    cache = json.loads(next((tmp_path / "cache").rglob("verdicts.json")).read_bytes())

    assert len(cache["files"]) == PARALLEL_MIN_FILES
    assert validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2).diagnostics == (
        first.diagnostics
    )


def test_a_failing_worker_costs_time_not_results() -> None:
    parent = os.getpid()

    def work(share: list[int]) -> list[int]:
        if os.getpid() != parent and share[0] == 1:
            raise RuntimeError("a worker dies")
        return [n * n for n in share]

    assert fork_map([[0, 3], [1, 4], [2, 5]], work) == [[0, 9], [1, 16], [4, 25]]
