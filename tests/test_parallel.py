"""Large batches are shared among forked workers: same verdicts, in the same order."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from envspec import validate
from envspec._parallel import MAX_PARTS, fork_pull
from envspec.validate import FAST_DECODE_THRESHOLD, PARALLEL_MIN_FILES, _parts, validate_paths

pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only"),
    # The cache tests here write their files just before validating them.
    pytest.mark.usefixtures("files_written_long_ago"),
]


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


def test_an_unchanged_batch_leaves_the_cache_file_alone(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _corpus(corpus, PARALLEL_MIN_FILES)
    first = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    verdicts = next((tmp_path / "cache").rglob("verdicts.json"))
    before = verdicts.stat()
    again = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    assert again.diagnostics == first.diagnostics
    assert verdicts.stat().st_ino == before.st_ino  # not written again
    (corpus / "nb000.ipynb").unlink()
    (corpus / "nb001.ipynb").write_text((corpus / "nb002.ipynb").read_text())
    validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    files = json.loads(verdicts.read_bytes())["files"]
    assert verdicts.stat().st_ino != before.st_ino
    assert str(corpus / "nb000.ipynb") not in files  # a deleted file is forgotten
    assert len(files) == PARALLEL_MIN_FILES - 1


def test_workers_start_with_the_rules_ready(tmp_path: Path) -> None:
    """What every worker needs is imported and compiled once, before forking."""
    import subprocess

    _corpus(tmp_path, PARALLEL_MIN_FILES)
    code = (
        "import os, sys\n"
        "import envspec._parallel as parallel\n"
        "from envspec.validate import validate_paths\n"
        "real = parallel.fork_pull\n"
        "def spy(parts, workers, work):\n"
        "    print(sorted(m for m in ('msgspec', 'envspec.checks.conda', 'envspec._codes')"
        " if m in sys.modules))\n"
        "    return real(parts, workers, work)\n"
        "parallel.fork_pull = spy\n"
        f"validate_paths([{str(tmp_path)!r}], jobs=2)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['envspec._codes', 'envspec.checks.conda', 'msgspec']"


def test_cached_verdicts_are_taken_without_workers(tmp_path: Path, monkeypatch) -> None:
    import envspec._parallel

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    _corpus(corpus, PARALLEL_MIN_FILES + 1)
    first = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)

    def no_workers(*args, **kwargs):
        raise AssertionError("nothing to check: no worker is needed")

    monkeypatch.setattr(envspec._parallel, "fork_pull", no_workers)
    monkeypatch.setattr(validate, "_prepare", no_workers)
    again = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    assert again.diagnostics == first.diagnostics
    # One edited file among many cached ones is checked here too.
    (corpus / "nb003.ipynb").write_text((corpus / "nb007.ipynb").read_text())
    edited = validate_paths([corpus], cache_dir=tmp_path / "cache", jobs=2)
    assert [d.code for d in edited.diagnostics if d.file.endswith("nb003.ipynb")] == [
        "requirement-invalid"
    ]


def test_every_item_is_taken_by_exactly_one_process() -> None:
    parts = [[n, n + 100] for n in range(50)]
    results = fork_pull(parts, 4, lambda items: [os.getpid(), list(items)])
    taken = sorted(n for _, items in results for n in items)
    assert taken == sorted(n for part in parts for n in part)
    assert len(results) == 4
    # A part is never split between processes.
    for _, items in results:
        assert all(n + 100 in items for n in items if n < 100)


def test_a_failing_worker_costs_time_not_results() -> None:
    parent = os.getpid()

    def work(items):
        done = []
        for n in items:
            if os.getpid() != parent:
                raise RuntimeError("a worker dies")  # after taking a part
            done.append(n * n)
        return done

    results = fork_pull([[0, 3], [1, 4], [2, 5]], 3, work)
    # This process's result, and those of workers that took no part; a part taken by
    # a worker that died is in none of them (validate_paths redoes it: see below).
    values = [v for result in results for v in result]
    assert len(values) == len(set(values))
    assert set(values) <= {0, 9, 1, 16, 4, 25}
    assert results[0]  # this process took at least the part it started with


def test_the_files_of_a_failed_worker_are_checked_here(tmp_path: Path, monkeypatch) -> None:
    _corpus(tmp_path, PARALLEL_MIN_FILES)
    alone = validate_paths([tmp_path], jobs=1)
    parent = os.getpid()
    real = validate._validate_one

    def every_worker_dies(path, *args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(validate, "_validate_one", every_worker_dies)
    shared = validate_paths([tmp_path], jobs=3)
    assert [r.path for r in shared.reports] == [r.path for r in alone.reports]
    assert shared.diagnostics == alone.diagnostics


def test_parts_hold_every_file_once_the_costliest_first() -> None:
    sizes = [5_000_000, 10, 20_000, 16_000_000, *range(0, 400_000, 1000)]
    parts = _parts(dict(enumerate(sizes)))
    assert sorted(i for part in parts for i in part) == list(range(len(sizes)))
    assert len(parts) < MAX_PARTS
    assert parts[0] == [3]
    assert parts[1] == [0]
    firsts = [sizes[part[0]] for part in parts]
    assert firsts == sorted(firsts, reverse=True)
