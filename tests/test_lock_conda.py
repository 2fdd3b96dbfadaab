"""``envspec lock`` for conda inputs: environment.yml solved by rattler into pixi.lock (1.1).

The channel is built and indexed by the tests (tests/artifacts.py): no network.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import rattler

from artifacts import make_channel
from envspec.lock.conda import SolveError, locked_records
from envspec.nbedit import REMOVE, edit_metadata


@pytest.fixture
def channel(tmp_path: Path) -> str:
    return make_channel(
        tmp_path / "channel",
        [
            ("cdemo", "0.1", ["cdep"]),
            ("cdemo", "0.2", ["cdep >=2"]),
            ("cdep", "1.0", []),
            ("cdep", "2.0", []),
        ],
    )


def _notebook(path: Path, conda: str, env_ver: str = "1.0") -> Path:
    env = {"env_ver": env_ver, "files": {"environment.yml": conda}}
    path.write_text(
        '{"cells": [{"cell_type": "raw", "metadata": {}, "source": "x  "}],\n'
        f' "metadata": {{"environment": {json.dumps(env)}}},\n'
        ' "nbformat": 4, "nbformat_minor": 5}\n',
        encoding="utf-8",
    )
    return path


def _env(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text("utf-8"))["metadata"]["environment"]
    return data


def _outside(path: Path) -> str:
    return edit_metadata(path.read_text("utf-8"), {"environment": REMOVE})


CONDA = "channels:\n  - conda-forge\ndependencies:\n  - cdemo >=0.1\n  - pip:\n    - demo-b\n"


def test_lock_embeds_a_pixi_lock_and_makes_the_document_1_1(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", CONDA)
    outside = _outside(nb)
    result = run_cli("lock", nb, "--channel", channel)
    assert result.code == 0, result.out
    assert "pixi.lock: 3 packages locked" not in result.out  # cdemo 0.2 and cdep 2.0
    assert "pixi.lock: 2 packages locked" in result.out
    assert "the pip: part is not in pixi.lock" in result.out
    env = _env(nb)
    assert env["env_ver"] == "1.1"
    assert "provenance" not in env  # gaining a 1.1 file is not a migration
    records = locked_records(env["files"]["pixi.lock"])  # type: ignore[index]
    assert {(r.name.normalized, str(r.version)) for r in records} == {
        ("cdemo", "0.2"),
        ("cdep", "2.0"),
    }
    assert all(r.sha256 and r.md5 for r in records)
    assert _outside(nb) == outside
    assert run_cli("validate", nb).code == 0
    before = nb.read_bytes()
    again = run_cli("lock", nb)  # current: no channel needed, nothing solved
    assert again.code == 0
    assert "pixi.lock: up to date" in again.out
    assert nb.read_bytes() == before
    assert run_cli("lock", "--check", nb).code == 0


def test_the_locked_records_install_the_exact_packages(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo <0.2\n")
    assert run_cli("lock", nb, "--channel", channel).code == 0
    records = locked_records(_env(nb)["files"]["pixi.lock"])  # type: ignore[index]
    prefix = tmp_path / "prefix"
    asyncio.run(
        rattler.install(
            records, target_prefix=prefix, cache_dir=tmp_path / "cache", show_progress=False
        )
    )
    assert (prefix / "share" / "cdemo" / "VERSION").read_text() == "0.1"
    assert (prefix / "share" / "cdep" / "VERSION").read_text() == "2.0"


def test_check_names_the_spec_that_changed(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "channels: [x]\ndependencies:\n  - cdemo\n")
    assert run_cli("lock", nb, "--channel", channel).code == 0
    text = nb.read_text("utf-8")
    nb.write_text(text.replace("  - cdemo\\n", "  - cdemo\\n  - cdep <2\\n"), encoding="utf-8")
    result = run_cli("lock", "--check", nb)
    assert result.code == 1
    assert 'pixi.lock: spec added: cdep[version="<2"]' in result.out
    nb.write_text(text.replace("channels: [x]", "channels: [y]"), encoding="utf-8")
    changed = run_cli("lock", "--check", nb)
    assert changed.code == 1
    assert "channels changed: x when locked, now y" in changed.out


def test_several_platforms_in_one_lock(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo\n")
    platforms = ["--platform", "linux-64", "--platform", "osx-arm64"]
    assert run_cli("lock", nb, "--channel", channel, *platforms).code == 0
    text = _env(nb)["files"]["pixi.lock"]  # type: ignore[index]
    assert len(locked_records(text, "osx-arm64")) == 2  # type: ignore[arg-type]
    with pytest.raises(SolveError, match=r"no packages for win-64 \(it has: linux-64, osx-arm64\)"):
        locked_records(text, "win-64")  # type: ignore[arg-type]
    assert run_cli("lock", "--check", nb, "--platform", "win-64").code == 1


def test_a_spec_that_does_not_solve_is_a_clear_error(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo >=9\n")
    before = nb.read_bytes()
    result = run_cli("lock", nb, "--channel", channel)
    assert result.code == 1
    assert "error[lock-failed] environment.yml cannot be locked" in result.out
    assert "cdemo >=9" in result.out
    assert nb.read_bytes() == before


def test_no_channel_is_a_clear_error(tmp_path, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo\n")
    result = run_cli("lock", nb)
    assert result.code == 1
    assert "names no channel" in result.out
    assert "--channel" in result.out


def test_a_locked_notebook_is_not_downgraded_silently(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo\n")
    assert run_cli("lock", nb, "--channel", channel).code == 0
    before = nb.read_bytes()
    assert run_cli("migrate", nb).code == 0  # a 1.1 document keeps its version
    assert nb.read_bytes() == before
    refused = run_cli("migrate", "--to", "1.0", nb)
    assert refused.code == 1
    assert "files/pixi.lock" in refused.out
    assert nb.read_bytes() == before
    assert run_cli("migrate", "--to", "1.0", "--lossy", nb).code == 0
    env = _env(nb)
    assert env["env_ver"] == "1.0"
    assert "pixi.lock" not in env["files"]
    assert run_cli("validate", nb).code == 0


def test_unpack_writes_the_pixi_lock_of_a_1_1_document(tmp_path, channel, run_cli):
    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo\n")
    assert run_cli("lock", nb, "--channel", channel).code == 0
    out = tmp_path / "out"
    result = run_cli("unpack", nb, "-o", out)
    assert result.code == 0, result.out
    assert (out / "pixi.lock").read_text("utf-8") == _env(nb)["files"]["pixi.lock"]  # type: ignore[index]
    assert not (out / "pixi.lock").stat().st_mode & 0o111
    assert len(rattler.LockFile.from_path(out / "pixi.lock").default_environment().platforms()) == 1


def test_a_locked_notebook_loads_as_the_1_1_model(tmp_path, channel, run_cli):
    from envspec.loader import load_environment
    from envspec.models import v1_0, v1_1

    nb = _notebook(tmp_path / "a.ipynb", "dependencies:\n  - cdemo\n")
    assert run_cli("lock", nb, "--channel", channel).code == 0
    loaded = load_environment(nb)
    assert isinstance(loaded.environment, v1_1.Environment)
    assert isinstance(loaded.environment, v1_0.Environment)  # what 1.0 code expects
    assert loaded.environment.files is not None
    assert "pixi.lock" in loaded.environment.files
