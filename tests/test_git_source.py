"""The git source pack records: a real repository, read without running git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from envspec._git import find_source, strip_credentials

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")

REMOTE = "https://user:token@example.com/org/repo.git"
CLEAN_REMOTE = "https://example.com/org/repo.git"
#: No user or system configuration: the repository is configured locally only.
GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def write_notebook(path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def environment_of(path: Path) -> dict[str, Any]:
    env = json.loads(path.read_bytes())["metadata"]["environment"]
    assert isinstance(env, dict)
    return env


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository with a credentialed remote and ``analysis/`` holding an environment
    file and a notebook (both committed)."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "remote", "add", "origin", REMOTE)
    (root / "analysis").mkdir()
    (root / "analysis" / "requirements.txt").write_text("numpy\n")
    write_notebook(root / "analysis" / "nb.ipynb")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def test_url_without_credentials_full_commit_and_subdir(repo, run_cli):
    notebook = repo / "analysis" / "nb.ipynb"

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    source = environment_of(notebook)["git"]
    assert source == {
        "url": CLEAN_REMOTE,
        "commit": git(repo, "rev-parse", "HEAD"),
        "subdir": "analysis",
    }
    assert "token" not in notebook.read_text()
    # The notebook itself changed, and that is not a dirty tree.
    assert "git-dirty" not in out


def test_nested_subdir_and_top_level(repo, run_cli):
    nested = write_notebook(repo / "a" / "b c" / "nb.ipynb")
    top = write_notebook(repo / "top.ipynb")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")

    code, out, _ = run_cli("pack", nested, top)

    assert code == 0, out
    assert environment_of(nested)["git"]["subdir"] == "a/b c"
    assert "subdir" not in environment_of(top)["git"]
    assert environment_of(top)["git"]["commit"] == git(repo, "rev-parse", "HEAD")


def test_packed_refs(repo, run_cli):
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    notebook = repo / "analysis" / "nb.ipynb"

    assert run_cli("pack", notebook).code == 0

    assert environment_of(notebook)["git"]["commit"] == git(repo, "rev-parse", "HEAD")


def test_detached_head(repo, run_cli):
    first = git(repo, "rev-parse", "HEAD")
    (repo / "README").write_text("second\n")
    git(repo, "add", "README")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "checkout", "-q", "--detach", first)
    notebook = repo / "analysis" / "nb.ipynb"

    assert run_cli("pack", notebook).code == 0

    assert environment_of(notebook)["git"]["commit"] == first


def test_a_worktree(repo, run_cli, tmp_path):
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))
    (worktree / "README").write_text("feature\n")
    git(worktree, "add", "README")
    git(worktree, "commit", "-q", "-m", "feature")
    notebook = worktree / "analysis" / "nb.ipynb"

    assert run_cli("pack", notebook).code == 0

    source = environment_of(notebook)["git"]
    assert source["commit"] == git(worktree, "rev-parse", "HEAD")
    assert source["commit"] != git(repo, "rev-parse", "HEAD")
    assert source["url"] == CLEAN_REMOTE
    assert source["subdir"] == "analysis"


def test_outside_a_repository_no_git_block(tmp_path, run_cli):
    assert find_source(tmp_path) is None  # the test folder is not inside a repository
    (tmp_path / "requirements.txt").write_text("numpy\n")
    notebook = write_notebook(tmp_path / "nb.ipynb")

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    assert "git" not in environment_of(notebook)


def test_a_repository_without_commits_or_remote_records_no_source(tmp_path, run_cli):
    git(tmp_path, "init", "-q")
    notebook = write_notebook(tmp_path / "nb.ipynb")
    assert run_cli("pack", notebook).code == 0
    assert "git" not in environment_of(notebook)


def test_a_modified_tracked_file_is_a_dirty_warning(repo, run_cli):
    (repo / "analysis" / "requirements.txt").write_text("numpy\npandas\n")
    notebook = repo / "analysis" / "nb.ipynb"

    code, out, _ = run_cli("pack", notebook)

    assert code == 0  # a warning, not a failure
    assert "warning[git-dirty]" in out
    assert environment_of(notebook)["git"]["commit"] == git(repo, "rev-parse", "HEAD")


def test_an_untracked_file_is_a_dirty_warning(repo, run_cli):
    (repo / "analysis" / "apt.txt").write_text("git\n")
    code, out, _ = run_cli("pack", repo / "analysis" / "nb.ipynb")
    assert code == 0
    assert "warning[git-dirty]" in out


def test_the_notebooks_being_packed_do_not_count_as_changes(repo, run_cli):
    tracked = repo / "analysis" / "nb.ipynb"
    tracked.write_bytes(tracked.read_bytes().replace(b'"cells": []', b'"cells": [ ]'))
    # A new notebook alone in a new folder: git reports the folder as untracked.
    new = write_notebook(repo / "fresh" / "nb.ipynb")

    code, out, _ = run_cli("pack", tracked, new)

    assert code == 0, out
    assert "git-dirty" not in out
    assert environment_of(new)["git"]["subdir"] == "fresh"


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        (REMOTE, CLEAN_REMOTE),
        ("https://ghp_abc123@github.com/org/repo", "https://github.com/org/repo"),
        ("ssh://user:pw@host:2222/org/repo.git", "ssh://host:2222/org/repo.git"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    ],
)
def test_strip_credentials(url, clean):
    assert strip_credentials(url) == clean


def test_committing_the_packed_notebook_keeps_pack_check_green(repo, run_cli):
    """A notebook cannot record the commit that contains it: committing it moves HEAD.
    The recorded commit is refreshed only when something else changes."""
    notebook = repo / "analysis" / "nb.ipynb"
    assert run_cli("pack", notebook)[0] == 0
    recorded = environment_of(notebook)["git"]["commit"]
    git(repo, "commit", "-q", "-am", "pack")
    assert git(repo, "rev-parse", "HEAD") != recorded

    code, out, _ = run_cli("pack", "--check", notebook)
    assert code == 0, out
    assert "up to date" in out
    assert run_cli("pack", notebook)[0] == 0
    assert environment_of(notebook)["git"]["commit"] == recorded

    # A real change of the environment refreshes the commit too.
    (repo / "analysis" / "requirements.txt").write_text("numpy\npandas\n")
    git(repo, "commit", "-q", "-am", "pandas")
    assert run_cli("pack", "--check", notebook)[0] == 1
    assert run_cli("pack", notebook)[0] == 0
    packed = environment_of(notebook)
    assert packed["files"]["requirements.txt"] == "numpy\npandas\n"
    assert packed["git"]["commit"] == git(repo, "rev-parse", "HEAD")
