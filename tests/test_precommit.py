"""The pre-commit hook, installed and run by the real ``pre-commit`` in a scratch git repository.

``pre-commit try-repo`` installs this repository's hook (``.pre-commit-hooks.yaml``)
into its own environment, as a user's ``.pre-commit-config.yaml`` would.  The
environments live in the pytest cache, so only the first run pays for the install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOOD_ENVIRONMENT, download_dir

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "work"
    repo.mkdir()
    for args in (
        ["init", "-q"],
        ["config", "user.name", "envspec tests"],
        ["config", "user.email", "tests@envspec.invalid"],
        ["config", "commit.gpgsign", "false"],
    ):
        subprocess.run([git, *args], cwd=repo, check=True)
    return repo


@pytest.fixture
def pre_commit(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, git_repo: Path
):
    """``pre_commit(*args)``: run pre-commit in the scratch repository."""
    home = download_dir(request.config, tmp_path_factory, "pre-commit")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PRE_COMMIT_COLOR": "never",
        "SKIP": "",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=git_repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    return run


def _add(repo: Path, *names: str) -> None:
    subprocess.run(["git", "add", "--", *names], cwd=repo, check=True)


def test_hook_definition_matches_the_cli():
    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: envspec-validate" in hooks
    assert "entry: envspec validate\n" in hooks
    assert r"files: (\.ipynb|\.envspec\.(ya?ml|json))$" in hooks


def test_hook_passes_on_a_good_notebook_and_fails_on_a_bad_one(
    git_repo, write_notebook, write_file, pre_commit
):
    write_notebook("work/good.ipynb", GOOD_ENVIRONMENT)
    write_file("work/environment.envspec.yaml", 'env_ver: "1.0"\npython: "3.12"\n')
    write_notebook("work/bad.ipynb", {**GOOD_ENVIRONMENT, "files": {"apt.txt": "curl git\n"}})
    write_file("work/notes.txt", "not a notebook: the hook never sees it\n")
    _add(git_repo, "good.ipynb", "environment.envspec.yaml", "bad.ipynb", "notes.txt")

    good = pre_commit(
        "try-repo",
        str(REPO_ROOT),
        "envspec-validate",
        "--files",
        "good.ipynb",
        "environment.envspec.yaml",
        "notes.txt",
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "envspec validate" in good.stdout
    assert "Passed" in good.stdout

    bad = pre_commit(
        "try-repo", str(REPO_ROOT), "envspec-validate", "--files", "good.ipynb", "bad.ipynb"
    )
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout
    assert "bad.ipynb#/metadata/environment/files/apt.txt:1:1: error[apt-invalid]" in bad.stdout
    assert "good.ipynb#" not in bad.stdout

    every = pre_commit("try-repo", str(REPO_ROOT), "envspec-validate", "--all-files")
    assert every.returncode == 1
    assert "error[apt-invalid]" in every.stdout


def test_hook_fails_on_a_broken_notebook_in_a_commit(git_repo, write_file, pre_commit):
    write_file("work/conflict.ipynb", '{\n "cells": [\n<<<<<<< HEAD\n ],\n "metadata": {}\n}\n')
    _add(git_repo, "conflict.ipynb")
    done = pre_commit("try-repo", str(REPO_ROOT), "envspec-validate", "--files", "conflict.ipynb")
    assert done.returncode == 1
    assert "conflict.ipynb:3:1: error[invalid-json]" in done.stdout


def test_payload_hook_definition_matches_the_cli():
    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: envspec-payload-validate" in hooks
    assert "entry: envspec payload validate\n" in hooks
    assert r"files: \.payload\.(ya?ml|json)$" in hooks


def test_payload_hook_passes_a_good_payload_and_fails_a_bad_one(git_repo, write_file, pre_commit):
    head = (
        'payload_ver: "1.0"\nname: science\n'
        "image: {type: docker, registry: ghcr.io, repository: example/science}\n"
        "tags: {policy: semver}\n"
    )
    write_file("work/good.payload.yaml", head)
    write_file(
        "work/bad.payload.yaml",
        head + "lab:\n  sizes:\n    - {name: s, cpu: {request: '2', limit: '1'}, memory: {}}\n",
    )
    write_file("work/environment.envspec.yaml", 'env_ver: "1.0"\n')
    _add(git_repo, "good.payload.yaml", "bad.payload.yaml", "environment.envspec.yaml")

    good = pre_commit(
        "try-repo",
        str(REPO_ROOT),
        "envspec-payload-validate",
        "--files",
        "good.payload.yaml",
        "environment.envspec.yaml",
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout

    bad = pre_commit("try-repo", str(REPO_ROOT), "envspec-payload-validate", "--all-files")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "bad.payload.yaml#/lab/sizes/0/cpu: error[payload-limit-below-request]" in bad.stdout
    assert "good.payload.yaml#" not in bad.stdout
