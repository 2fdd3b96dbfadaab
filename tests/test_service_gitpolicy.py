"""Fetching within the git policy's limits, with real git on local repositories: one
commit deep, by branch or by an older commit, refused past the size limit (nothing left),
and git itself refusing a transport the policy does not allow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from envspec.service.gitpolicy import FetchError, fetch
from launch_helpers import commit_files, git, make_repo


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, str, str]:
    folder = tmp_path / "origin"
    first = make_repo(folder, {"index.ipynb": "{}\n"})
    second = commit_files(folder, {"README.md": "second\n"}, "second")
    return folder, first, second


def test_fetch_one_commit_deep_by_branch(tmp_path: Path, origin: tuple[Path, str, str]) -> None:
    folder, _, second = origin
    got = fetch(folder.as_uri(), "main", tmp_path / "co", shown=folder.as_uri(), protocols="file")
    assert got.commit == second
    assert git("rev-list", "--count", "HEAD", cwd=got.folder) == "1"  # shallow
    assert (got.folder / "README.md").read_text() == "second\n"
    assert git("remote", "get-url", "origin", cwd=got.folder) == folder.as_uri()


def test_fetch_an_older_commit(tmp_path: Path, origin: tuple[Path, str, str]) -> None:
    folder, first, _ = origin
    got = fetch(folder.as_uri(), first, tmp_path / "co", shown=folder.as_uri(), protocols="file")
    assert got.commit == first
    assert not (got.folder / "README.md").exists()


def test_missing_ref_and_size_limit_leave_nothing(
    tmp_path: Path, origin: tuple[Path, str, str]
) -> None:
    folder, _, _ = origin
    with pytest.raises(FetchError) as caught:
        fetch(folder.as_uri(), "nope", tmp_path / "a", shown="origin", protocols="file")
    assert caught.value.code == "ref-not-found"
    assert not (tmp_path / "a").exists()
    commit_files(folder, {"big.bin": os.urandom(300_000)}, "big")
    with pytest.raises(FetchError) as caught:
        fetch(
            folder.as_uri(),
            None,
            tmp_path / "b",
            shown="origin",
            protocols="file",
            max_bytes=100_000,
        )
    assert caught.value.code == "repository-too-large"
    assert not (tmp_path / "b").exists()


def test_git_refuses_a_transport_the_policy_does_not_allow(
    tmp_path: Path, origin: tuple[Path, str, str]
) -> None:
    folder, _, _ = origin
    with pytest.raises(FetchError) as caught:
        fetch(folder.as_uri(), None, tmp_path / "co", shown="origin", protocols="https")
    assert caught.value.code == "fetch-failed"
    assert "transport 'file' not allowed" in caught.value.detail
    assert not (tmp_path / "co").exists()


def test_a_push_commits_no_notebook_whose_environment_holds_a_secret(tmp_path: Path) -> None:
    import json

    from envspec.service.pushback import secret_stops

    def notebook(environment: dict[str, object]) -> str:
        metadata = {"environment": environment}
        return json.dumps({"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})

    (tmp_path / "clean.ipynb").write_text(notebook({"env_ver": "1.0", "python": "3.12"}))
    (tmp_path / "leaky.ipynb").write_text(
        notebook({"env_ver": "1.0", "env": {"WANDB_API_KEY": "0123456789abcdef"}})
    )
    (tmp_path / "notes.txt").write_text("WANDB_API_KEY=0123456789abcdef\n")
    (tmp_path / "env.envspec.yaml").write_text(
        'env_ver: "1.0"\nfiles:\n  postBuild: "export GITHUB_TOKEN='
        'ghp_a1B2c3D4e5F6g7H8i9J0a1B2c3D4e5F6g7H8i9J0\\n"\n'
    )
    names = ["clean.ipynb", "leaky.ipynb", "notes.txt", "env.envspec.yaml", "gone.ipynb"]
    assert secret_stops(tmp_path, names) == ["leaky.ipynb", "env.envspec.yaml"]
