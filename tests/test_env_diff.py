"""``envspec env diff``: real virtual environments (uv), tiny wheels built by the tests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from uv import find_uv_bin

from artifacts import make_wheel
from envspec.envdiff import diff_environment


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    make_wheel(folder, "demo-a", "1.0", requires=["demo-b>=1", 'demo-old; python_version < "3"'])
    make_wheel(folder, "demo-b", "1.0")
    make_wheel(folder, "demo-b", "2.0")
    make_wheel(folder, "demo-c", "0.5", requires=["demo-d"])  # what a session installs
    make_wheel(folder, "demo-d", "3.0")
    make_wheel(folder, "demo-old", "1.0")
    make_wheel(folder, "demo-e", "1.0", requires=['demo-d; extra == "plus"'])
    return folder


def _uv(*args: str) -> None:
    subprocess.run([find_uv_bin(), *args], check=True, capture_output=True, timeout=120)


@pytest.fixture
def venv(tmp_path: Path, wheels: Path):
    prefix = tmp_path / "venv"
    _uv("venv", "-q", str(prefix))

    def install(*packages: str) -> Path:
        _uv("pip", "install", "-q", "--python", str(prefix / "bin" / "python"),
            "--no-index", "--find-links", str(wheels), *packages)  # fmt: skip
        return prefix

    return install


def _notebook(path: Path, requirements: str) -> Path:
    env = {"env_ver": "1.0", "files": {"requirements.txt": requirements}}
    nb = {"cells": [], "metadata": {"environment": env}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_an_environment_built_from_the_notebook_matches_it(tmp_path, venv, run_cli):
    prefix = venv("demo-a")
    nb = _notebook(tmp_path / "a.ipynb", "demo-a\n")
    result = run_cli("env", "diff", nb, "--prefix", prefix)
    assert result.code == 0, result.out
    assert "the environment matches the notebook" in result.out  # demo-b is a dependency


def test_a_package_installed_during_the_session_is_undeclared(tmp_path, venv, run_cli):
    prefix = venv("demo-a")
    venv("demo-c")  # %pip install demo-c: it brings demo-d
    nb = _notebook(tmp_path / "a.ipynb", "demo-a\n")
    result = run_cli("env", "diff", nb, "--prefix", prefix)
    assert result.code == 1
    assert "undeclared (installed, not declared by the notebook):\n    demo-c 0.5\n" in result.out
    assert "demo-d" not in result.out  # only what was installed on top
    data = json.loads(run_cli("env", "diff", nb, "--prefix", prefix, "--format", "json").out)
    assert data["undeclared"] == [{"name": "demo-c", "version": "0.5", "kind": "pip"}]
    assert data["missing"] == []
    assert data["differs"] is True


def test_what_is_declared_but_lacking_names_the_requirement(tmp_path, venv, run_cli):
    prefix = venv("demo-a", "demo-b==1.0")
    nb = _notebook(tmp_path / "a.ipynb", "demo-a\ndemo-b>=2\ndemo-x ; python_version >= '3'\n")
    result = run_cli("env", "diff", nb, "--prefix", prefix)
    assert result.code == 1
    assert "demo-b 1.0 does not meet demo-b>=2 (requirements.txt)" in result.out
    assert 'demo-x: not installed (requirements.txt: demo-x; python_version >= "3")' in result.out


def test_markers_and_extras_of_installed_distributions_are_followed(tmp_path, venv):
    prefix = venv("demo-a", "demo-old", "demo-e[plus]")
    env = {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\ndemo-e[plus]\n"}}
    result = diff_environment(env, prefix / "bin" / "python")
    # demo-a needs demo-old only on Python 2: here demo-old is undeclared; demo-d comes
    # with the extra demo-e[plus] asks for.
    assert [(i.name, i.version) for i in result.undeclared] == [("demo-old", "1.0")]
    without_extra = {"env_ver": "1.0", "files": {"requirements.txt": "demo-a\ndemo-e\n"}}
    result = diff_environment(without_extra, prefix / "bin" / "python")
    assert [i.name for i in result.undeclared] == ["demo-d", "demo-old"]


def test_a_locked_notebook_is_compared_with_its_lock(tmp_path, wheels, venv, run_cli):
    prefix = venv("demo-a", "demo-b==1.0")
    nb = _notebook(tmp_path / "a.ipynb", "demo-a\n")
    assert run_cli("lock", nb, "--no-index", "--find-links", wheels).code == 0
    result = run_cli("env", "diff", nb, "--prefix", prefix)
    assert result.code == 1
    assert "demo-b 1.0 does not meet demo-b==2.0 (pylock.toml)" in result.out


def test_bad_input_is_a_clear_error(tmp_path, run_cli):
    empty = tmp_path / "e.ipynb"
    empty.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    result = run_cli("env", "diff", empty, "--prefix", tmp_path)
    assert result.code == 1
    assert "has no environment" in result.err
    nb = _notebook(tmp_path / "a.ipynb", "demo-a\n")
    result = run_cli("env", "diff", nb, "--prefix", tmp_path / "nowhere")
    assert result.code == 1
    assert "holds no Python" in result.err
    assert run_cli("env").code == 2


def test_a_conda_prefix_is_compared_with_the_conda_file(tmp_path, run_cli):
    import asyncio

    import rattler

    from artifacts import make_channel

    channel = make_channel(
        tmp_path / "channel",
        [("cdemo", "0.1", ["cdep"]), ("cdep", "1.0", []), ("cextra", "2.0", ["cdep"])],
    )
    records = asyncio.run(
        rattler.solve(
            sources=[rattler.Channel(channel)],
            specs=["cdemo", "cextra"],
            platforms=[rattler.Subdir.current(), rattler.Subdir("noarch")],
            virtual_packages=[],
        )
    )
    prefix = tmp_path / "prefix"
    asyncio.run(
        rattler.install(
            records, target_prefix=prefix, cache_dir=tmp_path / "cache", show_progress=False
        )
    )
    env = {
        "env_ver": "1.0",
        "files": {"environment.yml": "dependencies:\n  - cdemo\n  - cmiss >=1\n"},
    }
    nb = tmp_path / "a.ipynb"
    nb.write_text(
        json.dumps(
            {"cells": [], "metadata": {"environment": env}, "nbformat": 4, "nbformat_minor": 5}
        ),
        encoding="utf-8",
    )
    result = run_cli("env", "diff", nb, "--prefix", prefix)
    assert result.code == 1, result.err
    assert "    cextra 2.0 (conda)\n" in result.out  # cdep is needed by cdemo: not listed
    assert "cdep" not in result.out
    assert "cmiss: not installed (environment.yml: cmiss >=1)" in result.out
    data = json.loads(run_cli("env", "diff", nb, "--prefix", prefix, "--format", "json").out)
    assert data["undeclared"] == [{"name": "cextra", "version": "2.0", "kind": "conda"}]
