"""Shared fixtures: notebooks written the way Jupyter writes them, and the CLI run two ways.

* ``write_notebook`` writes a notebook in nbformat's canonical layout (what
  ``nbformat.write`` and Jupyter produce) with a given ``metadata.environment``.
* ``write_file`` writes any other file (standalone envspec files, hostile bytes).
* ``run_cli`` runs ``envspec`` in this process and returns (exit code, stdout, stderr).
* ``run_console`` runs the installed ``envspec`` console script in a subprocess.

Every test gets its own verdict cache (``ENVSPEC_CACHE_DIR``), so no test reads
another's verdicts and nothing is written to the repository.

Property tests (hypothesis) draw the same examples on every run, so that a run
fails only on a change of the code, never by luck. To look for new failing
examples, run them with ``ENVSPEC_HYPOTHESIS=explore`` (a new random draw each
run, and 500 examples where a test does not set its own count); put what it
finds into a test of its own.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import nbformat
import pytest
from hypothesis import settings

from envspec.cli.main import main

settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=500)
settings.load_profile(os.environ.get("ENVSPEC_HYPOTHESIS", "repeatable"))

#: The repository root (this file is ``tests/conftest.py``).
REPO_ROOT = Path(__file__).resolve().parents[1]

#: ``environment=NO_ENVIRONMENT``: the notebook has no ``metadata.environment``.
NO_ENVIRONMENT: Any = object()

PYTHON_KERNELSPEC = {
    "name": "python3",
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
}

#: A valid 1.0 environment whose kernel matches ``PYTHON_KERNELSPEC``.
GOOD_ENVIRONMENT: dict[str, Any] = {
    "env_ver": "1.0",
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python"},
    "files": {"requirements.txt": "numpy==2.1.2\npandas>=2.2\n"},
}


class CliResult(NamedTuple):
    """What a CLI run gave: unpacks as ``code, out, err``."""

    code: int
    out: str
    err: str


def make_notebook(
    environment: object = NO_ENVIRONMENT,
    *,
    kernelspec: Mapping[str, Any] | None = PYTHON_KERNELSPEC,
    metadata: Mapping[str, Any] | None = None,
    cells: list[Any] | None = None,
) -> nbformat.NotebookNode:
    """A v4 notebook with *environment* as ``metadata.environment``."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = (
        cells
        if cells is not None
        else [
            nbformat.v4.new_markdown_cell("# Analysis", id="intro"),
            nbformat.v4.new_code_cell("import numpy as np\nnp.arange(3)", id="code-1"),
        ]
    )
    if kernelspec is not None:
        notebook.metadata["kernelspec"] = dict(kernelspec)
    if environment is not NO_ENVIRONMENT:
        notebook.metadata["environment"] = environment
    notebook.metadata.update(metadata or {})
    return notebook


def notebook_text(environment: object = NO_ENVIRONMENT, **kwargs: Any) -> str:
    """The canonical text of :func:`make_notebook` (what ``nbformat.write`` writes)."""
    return nbformat.writes(make_notebook(environment, **kwargs)) + "\n"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / ".envspec_cache"
    monkeypatch.setenv("ENVSPEC_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def cache_dir(_own_cache: Path) -> Path:
    """The verdict cache of this test (``$ENVSPEC_CACHE_DIR``; not created yet)."""
    return _own_cache


@pytest.fixture
def write_notebook(tmp_path: Path) -> Callable[..., Path]:
    """``write_notebook(name, environment=..., kernelspec=..., metadata=..., cells=...)``.

    Writes with ``nbformat.write`` below ``tmp_path`` (folders in *name* are
    created) and returns the path.  Leave *environment* out for a notebook
    without one.
    """

    def write(
        name: str = "analysis.ipynb", environment: object = NO_ENVIRONMENT, **kwargs: Any
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_notebook(environment, **kwargs), path)
        return path

    return write


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """``write_file(name, content)``: text is written as UTF-8, bytes as they are."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """``run_cli(*args)``: ``envspec.cli.main.main`` in this process, with captured streams."""

    def run(*args: str | os.PathLike[str]) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = main([os.fspath(a) for a in args], stdout=out, stderr=err)
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


def console_script(name: str = "envspec") -> str:
    """The installed console script *name* of this interpreter's environment."""
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / name, scripts / f"{name}.exe"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"the {name!r} console script is not installed (pip install -e .)")
    return found


@pytest.fixture
def run_console(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_console(*args, cwd=tmp_path, env=None)``: the real ``envspec`` in a subprocess."""
    script = console_script()

    def run(
        *args: str | os.PathLike[str],
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *(os.fspath(a) for a in args)],
            cwd=cwd or tmp_path,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture
def python_exe() -> str:
    """The interpreter running the tests (``python -m envspec`` and import checks)."""
    return sys.executable


@pytest.fixture
def files_written_long_ago(monkeypatch, request):
    """The cache trusts a file by its stat only when the file is older than any timestamp
    tick (2 s). Tests of the cache write their files just before validating them: with
    this fixture the cache is told that its clock is 10 s later. Tests marked ``racy``
    see the real clock."""
    if "racy" in request.keywords:
        return
    import envspec._cache

    now = time.time_ns
    monkeypatch.setattr(envspec._cache, "_now_ns", lambda: now() + 10_000_000_000)


# ------------------------------------------------------- third-party files downloaded at test time


def download_dir(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory, name: str
) -> Path:
    """A folder that keeps downloads between runs: pytest's cache, or (with ``-p
    no:cacheprovider``) a folder beside pytest's temporary folders."""
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(name))
    folder = tmp_path_factory.getbasetemp().parent / "envspec-downloads" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pip_download(requirement: str, target: Path, *, sdist: bool) -> None:
    """``pip download`` one distribution (no dependencies) into *target*; fails the test
    with pip's output when it cannot."""
    kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", *kind,
         "--disable-pip-version-check", "-q", requirement, "-d", str(target)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(f"cannot download {requirement} (needed once, then cached):\n{result.stderr}")


#: The sdist whose test data holds real-world requirements files.
PIP_REQUIREMENTS_PARSER_SDIST = "pip-requirements-parser==32.0.1"


@pytest.fixture(scope="session")
def real_world_files(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    """The requirements files of pip-requirements-parser's own tests (downloaded once)."""
    import tarfile

    cache = download_dir(pytestconfig, tmp_path_factory, "envspec-pip-requirements-parser-sdist")
    archives = sorted(cache.glob("pip*requirements*parser-32.0.1.tar.gz"))
    if not archives:
        pip_download(PIP_REQUIREMENTS_PARSER_SDIST, cache, sdist=True)
        archives = sorted(cache.glob("pip*requirements*parser-32.0.1.tar.gz"))
    unpacked = cache / "unpacked"
    if not unpacked.exists():
        with tarfile.open(archives[0]) as archive:
            archive.extractall(unpacked, filter="data")
    files = sorted(p for p in unpacked.rglob("tests/**/data/**/*.txt") if p.is_file())
    assert len(files) > 50, "the sdist no longer ships its requirements fixtures"
    return files


@pytest.fixture(scope="session")
def r2d_fixtures(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """repo2docker's ``tests/`` folder from the sdist of the installed version."""
    import importlib.metadata
    import tarfile

    version = importlib.metadata.version("jupyter-repo2docker")
    sdist_dir = download_dir(pytestconfig, tmp_path_factory, "r2d-sdist")
    sdist = sdist_dir / f"jupyter_repo2docker-{version}.tar.gz"
    if not sdist.is_file():
        pip_download(f"jupyter-repo2docker=={version}", sdist_dir, sdist=True)
    target = tmp_path_factory.mktemp("r2d")
    prefix = f"jupyter_repo2docker-{version}/tests/"
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
        archive.extractall(target, members=members, filter="data")
    return target / prefix


@pytest.fixture(scope="session")
def pixi_schema() -> Callable[[str | dict[str, Any]], None]:
    """A check of a pixi manifest (a pixi.toml's text or tables, or a pyproject.toml's text)
    with validate-pyproject and the pixi schema SchemaStore publishes: a pixi.toml's tables
    are the same as a pyproject's [tool.pixi]."""
    import tomllib

    from validate_pyproject import api, plugins

    stored = [p for p in plugins.list_from_entry_points() if p.tool == "pixi"]
    assert stored, "validate-pyproject-schema-store provides the pixi schema"
    validator = api.Validator(plugins=stored)

    def check(manifest: str | dict[str, Any]) -> None:
        data = tomllib.loads(manifest) if isinstance(manifest, str) else manifest
        if "tool" not in data:  # a pixi.toml
            data = {"project": {"name": "x", "version": "0"}, "tool": {"pixi": data}}
        validator(data)

    return check
