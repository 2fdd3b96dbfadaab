"""``envspec lock`` for pip inputs: requirements.txt resolved by uv into pylock.toml.

The wheels are built by the tests (tests/artifacts.py) and offered with
``--find-links`` and ``--no-index``: no network.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from artifacts import make_wheel
from envspec.lock import LockOptions, check_lock, lock_environment
from envspec.lock.pip import IndexOptions
from envspec.nbedit import REMOVE, edit_metadata

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    make_wheel(folder, "demo-a", "1.0", requires=["demo-b>=1"])
    make_wheel(folder, "demo-a", "1.1", requires=["demo-b>=1"])
    make_wheel(folder, "demo-b", "1.0")
    make_wheel(folder, "demo-b", "2.0")
    return folder


def _notebook(path: Path, environment: dict[str, object]) -> Path:
    # A layout of its own (not nbformat's), cells and other metadata included: lock must
    # keep every byte outside metadata.environment.
    cells = '[\n  {"cell_type": "markdown", "metadata": {}, "source": ["# Title  "]}\n ]'
    env = json.dumps(environment)
    path.write_text(
        '{\n "cells": ' + cells + ',\n "metadata": {"environment": ' + env + ", "
        '"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},\n'
        ' "nbformat": 4, "nbformat_minor": 5\n}\n',
        encoding="utf-8",
    )
    return path


def _env(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))["metadata"][
        "environment"
    ]
    return data


def _outside(path: Path) -> str:
    return edit_metadata(path.read_text(encoding="utf-8"), {"environment": REMOVE})


def _index(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def test_lock_embeds_an_exact_pylock_with_hashes(tmp_path, wheels, run_cli):
    nb = _notebook(
        tmp_path / "a.ipynb",
        {"env_ver": "1.0", "python": "3.12", "files": {"requirements.txt": "demo-a>=1.0\n"}},
    )
    outside = _outside(nb)
    result = run_cli("lock", nb, *_index(wheels))
    assert result.code == 0, result.out
    assert "locked: " in result.out
    assert "pylock.toml: 2 packages locked" in result.out
    env = _env(nb)
    assert env["env_ver"] == "1.0"  # a pylock.toml alone keeps the document 1.0
    lock = tomllib.loads(env["files"]["pylock.toml"])  # type: ignore[index]
    versions = {p["name"]: p["version"] for p in lock["packages"]}
    assert versions == {"demo-a": "1.1", "demo-b": "2.0"}
    assert all(w["hashes"]["sha256"] for p in lock["packages"] for w in p["wheels"])
    assert lock["requires-python"] == ">=3.12"  # the environment's pin
    assert _outside(nb) == outside  # not a byte outside metadata.environment changed
    assert run_cli("validate", nb).code == 0


def test_locking_twice_changes_no_byte_and_needs_no_index(tmp_path, wheels, run_cli):
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\n"}}
    )
    assert run_cli("lock", nb, *_index(wheels)).code == 0
    before = nb.read_bytes()
    # No index at all: a current lock is kept without resolving.
    again = run_cli("lock", nb, "--no-index")
    assert again.code == 0
    assert "up to date" in again.out
    assert nb.read_bytes() == before
    assert run_cli("lock", nb, *_index(wheels), "--upgrade").code == 0
    assert nb.read_bytes() == before  # the same inputs resolve to the same bytes


def test_check_names_what_changed_without_network(tmp_path, wheels, run_cli):
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\n"}}
    )
    missing = run_cli("lock", "--check", nb)
    assert missing.code == 1
    assert "pylock.toml: missing" in missing.out
    assert "error[lock-outdated]" in missing.out
    assert run_cli("lock", nb, *_index(wheels)).code == 0
    assert run_cli("lock", "--check", nb).code == 0
    # Comments, order and spelling do not make a lock stale.
    text = nb.read_text(encoding="utf-8").replace(
        '"requirements.txt": "demo-a\\n"', '"requirements.txt": "# data\\nDemo_A   \\n"'
    )
    nb.write_text(text, encoding="utf-8")
    assert run_cli("lock", "--check", nb).code == 0
    before = nb.read_bytes()
    nb.write_text(text.replace("Demo_A   \\n", "Demo_A\\ndemo-b<2\\n"), encoding="utf-8")
    added = run_cli("lock", "--check", nb)
    assert added.code == 1
    assert "requirement added: demo-b<2" in added.out
    nb.write_text(text.replace("Demo_A   \\n", "demo-b\\n"), encoding="utf-8")
    swapped = run_cli("lock", "--check", nb)
    assert "requirement added: demo-b" in swapped.out
    assert "requirement removed: demo-a" in swapped.out
    nb.write_bytes(before)
    assert run_cli("lock", "--check", nb, "--python", "3.13").code == 1  # another Python


def test_check_of_a_lock_written_by_another_tool_looks_at_the_packages(tmp_path, wheels):
    env = {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\n"}}
    options = LockOptions(index=IndexOptions(find_links=(str(wheels),), no_index=True))
    locked, _ = lock_environment(env, options)
    del locked["extensions"]  # no record: a pylock.toml from elsewhere
    assert check_lock(locked) == []
    locked["files"]["requirements.txt"] = "demo-a>=2\ndemo-c\n"
    found = [d.what for d in check_lock(locked)]
    assert found == ["locked demo-a 1.1 does not meet demo-a>=2", "not locked: demo-c"]


def test_index_options_come_from_the_command_line_only(tmp_path, wheels, run_cli):
    # The file's --index-url and --find-links are not used (the wheels are only reachable
    # through the command line's --find-links), and are listed.
    text = "--index-url https://pypi.invalid/simple\n--find-links https://wheels.invalid/\ndemo-b\n"
    nb = _notebook(tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": text}})
    result = run_cli("lock", nb, *_index(wheels))
    assert result.code == 0, result.out
    assert "ignored option --index-url" in result.out
    assert "ignored option --find-links" in result.out


def test_an_unsatisfiable_requirement_is_a_clear_error_and_nothing_is_written(
    tmp_path, wheels, run_cli
):
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "demo-a>=5\n"}}
    )
    before = nb.read_bytes()
    result = run_cli("lock", nb, *_index(wheels))
    assert result.code == 1
    assert "error[lock-failed] requirements.txt cannot be locked" in result.out
    assert "demo-a>=5" in result.out
    assert "unsatisfiable" in result.out
    assert nb.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_notebook_without_inputs_is_refused(tmp_path, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", {"env_ver": "1.0", "python": "3.12"})
    before = nb.read_bytes()
    result = run_cli("lock", nb)
    assert result.code == 1
    assert "error[lock-no-inputs]" in result.out
    assert "envspec pack" in result.out
    assert nb.read_bytes() == before
    checked = run_cli("lock", "--check", nb)
    assert checked.code == 1
    assert "nothing to lock" in checked.out


def test_a_legacy_document_is_migrated_first(tmp_path, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", {"env_ver": "0.1", "requirements.txt": "demo-a\n"})
    result = run_cli("lock", nb)
    assert result.code == 1
    assert "envspec migrate" in result.out


def test_the_secret_gate_stops_the_lock(tmp_path, wheels, run_cli):
    env = {
        "env_ver": "1.0",
        "files": {"requirements.txt": "demo-b\n"},
        "extensions": {"org.example": {"note": f"token {GITHUB_TOKEN}"}},
    }
    nb = _notebook(tmp_path / "a.ipynb", env)
    before = nb.read_bytes()
    result = run_cli("lock", nb, *_index(wheels))
    assert result.code == 1
    assert "error[secret]" in result.out
    assert "not written" in result.out
    assert GITHUB_TOKEN not in result.out
    assert nb.read_bytes() == before


def test_a_bad_python_is_a_usage_error(tmp_path, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "x\n"}})
    result = run_cli("lock", nb, "--python", "three")
    assert result.code == 2
    assert "--python" in result.err


def test_pack_keeps_a_lock_quietly_and_lock_check_sees_the_new_inputs(tmp_path, wheels, run_cli):
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\n"}}
    )
    assert run_cli("lock", nb, *_index(wheels)).code == 0
    (tmp_path / "requirements.txt").write_text("demo-a\ndemo-b<2\n")
    packed = run_cli("pack", "--prune", nb)
    assert packed.code == 0, packed.out
    assert "embedded-file-kept" not in packed.out  # the lock is the notebook's own
    assert "pylock.toml" in _env(nb)["files"]  # type: ignore[operator]
    stale = run_cli("lock", "--check", nb)
    assert stale.code == 1
    assert "requirement added: demo-b<2" in stale.out
    assert run_cli("lock", nb, *_index(wheels)).code == 0
    assert run_cli("pack", "--check", nb).code == 0


def test_an_index_that_cannot_be_reached_is_named_without_its_password(
    tmp_path, run_cli, monkeypatch
):
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\n"}}
    )
    before = nb.read_bytes()
    # Port 9 of the loopback address: nothing listens there.
    result = run_cli("lock", nb, "--index-url", "https://alice:s3cretpw@127.0.0.1:9/simple")
    assert result.code == 1
    assert "error[lock-failed]" in result.out
    assert "127.0.0.1:9" in result.out
    assert "s3cretpw" not in result.out
    assert nb.read_bytes() == before


def test_a_local_path_in_the_requirements_is_never_resolved(tmp_path, run_cli):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "setup.py").write_text("raise SystemExit('built from the notebook')\n")
    nb = _notebook(
        tmp_path / "a.ipynb", {"env_ver": "1.0", "files": {"requirements.txt": f"{package}\n"}}
    )
    before = nb.read_bytes()
    result = run_cli("lock", nb, "--no-index")
    assert result.code == 1
    assert "is a local path (line 1)" in result.out
    assert "envspec validate" in result.out
    assert nb.read_bytes() == before
