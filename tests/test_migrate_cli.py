"""``envspec migrate`` as users run it: a real subprocess, real files, exit codes and streams.

Also the ``envspec-migrate-check`` pre-commit hook, run by the real
``pre-commit try-repo`` in a throwaway git repository.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import download_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
SHA1 = "8903fcae689f05c113fc4026e1904def79833071"
SEED: dict[str, Any] = {
    "env_ver": "0.1",
    "requirements.txt": "numpy==1.26.4\n",
    "container": "gcr.io/deeplearning-platform-release/tf-gpu.1-13",
    "setup.sh": "#!/bin/bash\necho ready\n",
    "cloud": {
        "Env_name": "gcp notebook",
        "handler_url": "https://notebooks.google.com/deploy_notebook",
        "cloud_ver": 0.3,
        "metadata": {"environment_version": "tf-gpu.1-13.m24"},
    },
    "git": {"path": "https://github.com/example/analysis.git", "commit id": SHA1},
}
NATIVE_1_0: dict[str, Any] = {
    "env_ver": "1.0",
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python"},
    "files": {"requirements.txt": "numpy==2.1.2\n"},
}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def notebook_bytes(metadata: Mapping[str, Any], *, output: str = "3\n") -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Analysis", id="intro"),
        nbformat.v4.new_code_cell(
            "1 + 2",
            id="code-1",
            execution_count=1,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text=output)],
        ),
    ]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.update(copy.deepcopy(dict(metadata)))
    return (nbformat.writes(nb) + "\n").encode()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def state(path: Path) -> tuple[bytes, int, int]:
    """Contents, modification time and mode: what 'untouched' means."""
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns, stat.S_IMODE(info.st_mode)


def envspec(
    *args: str | os.PathLike[str], cwd: Path, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "envspec", *(os.fspath(a) for a in args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
        **kwargs,
    )


def environment_of(path: Path) -> dict[str, Any]:
    environment: dict[str, Any] = json.loads(path.read_bytes())["metadata"]["environment"]
    return environment


# --------------------------------------------------------------------------- in place


def test_migrates_in_place_and_says_what_changed(tmp_path):
    path = write(tmp_path / "analysis.ipynb", notebook_bytes({"environment": SEED}))
    run = envspec("migrate", "analysis.ipynb", cwd=tmp_path)
    assert (run.returncode, run.stderr) == (0, "")
    lines = run.stdout.splitlines()
    assert lines[0] == "migrated analysis.ipynb: 0.1 -> 1.0"
    assert any("files/postBuild" in line for line in lines[1:])
    assert lines[-1] == "1 file checked: 1 migrated, 0 unchanged, 0 failed"
    environment = environment_of(path)
    assert environment["env_ver"] == "1.0"
    assert environment["files"]["postBuild"] == SEED["setup.sh"]
    assert sorted(os.listdir(tmp_path)) == ["analysis.ipynb"]  # no temporary file left
    checked = envspec("validate", "--no-cache", "analysis.ipynb", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout


def test_second_run_changes_nothing(tmp_path):
    path = write(tmp_path / "analysis.ipynb", notebook_bytes({"environment": SEED}))
    assert envspec("migrate", path, cwd=tmp_path).returncode == 0
    before = state(path)
    run = envspec("migrate", path, cwd=tmp_path)
    assert run.returncode == 0
    assert run.stdout == "1 file checked: 0 migrated, 1 unchanged, 0 failed\n"
    assert state(path) == before


def test_every_migrated_file_is_named(tmp_path):
    write(tmp_path / "nbs" / "a.ipynb", notebook_bytes({"environment": SEED}))
    write(
        tmp_path / "nbs" / "deep" / "b.ipynb",
        notebook_bytes({"env": {"container": "ubuntu:22.04"}}),
    )
    write(tmp_path / "nbs" / "c.ipynb", notebook_bytes({"environment": NATIVE_1_0}))
    write(tmp_path / "nbs" / "environment.envspec.json", json.dumps(SEED).encode())
    run = envspec("migrate", "nbs", cwd=tmp_path)
    assert run.returncode == 0
    migrated = sorted(line for line in run.stdout.splitlines() if line.startswith("migrated "))
    assert migrated == [
        f"migrated {os.path.join('nbs', 'a.ipynb')}: 0.1 -> 1.0",
        f"migrated {os.path.join('nbs', 'deep', 'b.ipynb')}: 0.1 -> 1.0",
        f"migrated {os.path.join('nbs', 'environment.envspec.json')}: 0.1 -> 1.0",
    ]
    assert "c.ipynb" not in run.stdout
    assert run.stdout.endswith("4 files checked: 3 migrated, 1 unchanged, 0 failed\n")


def test_seed_helper_notebook_gets_metadata_environment(tmp_path):
    path = write(
        tmp_path / "seed.ipynb", notebook_bytes({"env": {"container": "gcr.io/p/tf-gpu:1.13"}})
    )
    run = envspec("migrate", path, cwd=tmp_path)
    assert run.returncode == 0
    assert "'metadata.env'" in run.stdout
    metadata = json.loads(path.read_bytes())["metadata"]
    assert "env" not in metadata
    assert metadata["environment"]["image"] == {"ref": "gcr.io/p/tf-gpu:1.13"}
    assert metadata["kernelspec"] == KERNELSPEC


# --------------------------------------------------------------------------- --check and --diff


def test_check_fails_on_a_file_that_would_change_and_writes_nothing(tmp_path):
    path = write(tmp_path / "old.ipynb", notebook_bytes({"environment": SEED}))
    before = state(path)
    run = envspec("migrate", "--check", path, cwd=tmp_path)
    assert run.returncode == 1
    assert f"would migrate {path}: 0.1 -> 1.0" in run.stdout
    assert run.stdout.endswith("1 file checked: 1 to migrate, 0 unchanged, 0 failed\n")
    assert state(path) == before
    assert sorted(os.listdir(tmp_path)) == ["old.ipynb"]


def test_check_passes_when_nothing_would_change(tmp_path):
    write(tmp_path / "new.ipynb", notebook_bytes({"environment": NATIVE_1_0}))
    write(tmp_path / "none.ipynb", notebook_bytes({}))
    run = envspec("migrate", "--check", ".", cwd=tmp_path)
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == "2 files checked: 0 to migrate, 2 unchanged, 0 failed\n"


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path):
    path = write(tmp_path / "old.ipynb", notebook_bytes({"environment": SEED}))
    before = state(path)
    run = envspec("migrate", "--diff", "old.ipynb", cwd=tmp_path)
    assert run.returncode == 0
    assert state(path) == before
    lines = run.stdout.splitlines()
    assert "--- a/old.ipynb" in lines
    assert "+++ b/old.ipynb" in lines
    assert '-   "env_ver": "0.1",' in lines
    assert '+   "env_ver": "1.0",' in lines
    assert any(line.startswith("@@ ") for line in lines)
    changed = [line for line in lines if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert not any("Analysis" in line for line in changed)  # cells are not part of the change


def test_check_with_diff_fails_and_shows_the_change(tmp_path):
    path = write(tmp_path / "old.ipynb", notebook_bytes({"environment": SEED}))
    before = state(path)
    run = envspec("migrate", "--check", "--diff", path, cwd=tmp_path)
    assert run.returncode == 1
    assert "+++ b/" in run.stdout
    assert state(path) == before


# --------------------------------------------------------------------------- downgrade


def test_downgrade_that_would_lose_data_exits_1_and_leaves_the_file(tmp_path):
    path = write(tmp_path / "new.ipynb", notebook_bytes({"environment": NATIVE_1_0}))
    before = state(path)
    run = envspec("migrate", "--to", "0.1", path, cwd=tmp_path)
    assert run.returncode == 1
    assert f"{path}#/metadata/environment: error[migration-lossy]" in run.stdout
    assert "python" in run.stdout
    assert "kernel" in run.stdout
    assert "--lossy" in run.stdout
    assert state(path) == before


def test_lossy_downgrade_writes_and_lists_what_was_dropped(tmp_path):
    path = write(tmp_path / "new.ipynb", notebook_bytes({"environment": NATIVE_1_0}))
    run = envspec("migrate", "--to", "0.1", "--lossy", path, cwd=tmp_path)
    assert run.returncode == 0
    assert f"migrated {path}: 1.0 -> 0.1" in run.stdout
    dropped = [line.strip() for line in run.stdout.splitlines() if "dropped:" in line]
    assert {d.split()[1] for d in dropped} == {"python", "kernel"}
    assert environment_of(path) == {"env_ver": "0.1", "requirements.txt": "numpy==2.1.2\n"}


def test_upgrade_then_downgrade_gives_the_original_bytes(tmp_path):
    original = notebook_bytes({"environment": SEED})
    path = write(tmp_path / "a.ipynb", original)
    assert envspec("migrate", path, cwd=tmp_path).returncode == 0
    assert path.read_bytes() != original
    run = envspec("migrate", "--to", "0.1", path, cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert "dropped" not in run.stdout
    assert path.read_bytes() == original


# --------------------------------------------------------------------------- bad input

BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown-major": (
        {"environment": {"env_ver": "2.0"}},
        "env-version-unsupported",
        "/metadata/environment",
    ),
    "missing-env-ver": (
        {"environment": {"container": "ubuntu"}},
        "env-version-missing",
        "/metadata/environment",
    ),
    "number-env-ver": (
        {"environment": {"env_ver": 1.0}},
        "env-version-invalid",
        "/metadata/environment",
    ),
    "env-and-environment": (
        {"env": {"container": "ubuntu"}, "environment": {"env_ver": "1.0"}},
        "migration-conflict",
        "/metadata",
    ),
    "0.1-with-files": (
        {"environment": {"env_ver": "0.1", "requirements.txt": "x\n", "files": {}}},
        "migration-conflict",
        "/metadata/environment",
    ),
    "two-different-cloud-names": (
        {
            "environment": {
                "env_ver": "0.1",
                "cloud": {"env_name": "a", "Env_name": "b", "handler_url": "https://h.example"},
            }
        },
        "migration-conflict",
        "/metadata/environment",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_a_diagnostic_and_the_file_is_untouched(tmp_path, case):
    metadata, code, pointer = BAD[case]
    path = write(tmp_path / "bad.ipynb", notebook_bytes(metadata))
    before = state(path)
    run = envspec("migrate", "bad.ipynb", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr == ""
    first = run.stdout.splitlines()[0]
    assert first.startswith(f"bad.ipynb#{pointer}: error[{code}] ")
    assert "    hint: " in run.stdout
    assert run.stdout.endswith("1 file checked: 0 migrated, 0 unchanged, 1 failed\n")
    assert state(path) == before
    assert sorted(os.listdir(tmp_path)) == ["bad.ipynb"]


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    bad = write(tmp_path / "bad.ipynb", notebook_bytes({"environment": {"env_ver": "2.0"}}))
    good = write(tmp_path / "good.ipynb", notebook_bytes({"environment": SEED}))
    before = state(bad)
    run = envspec("migrate", ".", cwd=tmp_path)
    assert run.returncode == 1
    assert "error[env-version-unsupported]" in run.stdout
    assert run.stdout.endswith("2 files checked: 1 migrated, 0 unchanged, 1 failed\n")
    assert state(bad) == before
    assert environment_of(good)["env_ver"] == "1.0"


@pytest.mark.parametrize("target", ["2.0", "0.5", "latest"])
def test_unknown_target_version_is_a_usage_error(tmp_path, target):
    path = write(tmp_path / "a.ipynb", notebook_bytes({"environment": SEED}))
    before = state(path)
    run = envspec("migrate", "--to", target, path, cwd=tmp_path)
    assert run.returncode == 2
    assert "--to" in run.stderr
    assert state(path) == before


def test_missing_path_is_a_usage_error(tmp_path):
    run = envspec("migrate", "nowhere.ipynb", cwd=tmp_path)
    assert run.returncode == 2
    assert "nowhere.ipynb" in run.stderr


# --------------------------------------------------------------------------- writing


def _limit_file_size() -> None:  # runs in the child, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_is_a_write_failed_diagnostic_and_the_original_stays(tmp_path):
    path = write(
        tmp_path / "big.ipynb", notebook_bytes({"environment": SEED}, output="x" * 300_000)
    )
    assert path.stat().st_size > 64 * 1024
    before = state(path)
    run = envspec("migrate", "big.ipynb", cwd=tmp_path, preexec_fn=_limit_file_size)
    assert run.returncode == 1
    assert "big.ipynb: error[write-failed] " in run.stdout
    assert run.stdout.endswith("1 file checked: 0 migrated, 0 unchanged, 1 failed\n")
    assert state(path) == before
    assert sorted(os.listdir(tmp_path)) == ["big.ipynb"]  # the temporary file is gone


def test_read_only_notebook_is_migrated_and_keeps_its_mode(tmp_path):
    path = write(tmp_path / "ro.ipynb", notebook_bytes({"environment": SEED}))
    path.chmod(0o444)
    try:
        run = envspec("migrate", path, cwd=tmp_path)
        assert run.returncode == 0, run.stdout
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        assert environment_of(path)["env_ver"] == "1.0"
    finally:
        path.chmod(0o644)


def test_symlinked_notebook_is_written_through(tmp_path):
    target = write(tmp_path / "store" / "analysis.ipynb", notebook_bytes({"environment": SEED}))
    link = tmp_path / "analysis.ipynb"
    link.symlink_to(os.path.join("store", "analysis.ipynb"))
    run = envspec("migrate", "analysis.ipynb", cwd=tmp_path)
    assert run.returncode == 0, run.stdout
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("store", "analysis.ipynb")
    assert environment_of(target)["env_ver"] == "1.0"
    assert sorted(os.listdir(tmp_path / "store")) == ["analysis.ipynb"]


# --------------------------------------------------------------------------- pre-commit hook


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_hook_passes_migrated_and_fails_legacy_notebooks(
    tmp_path, request, tmp_path_factory
):
    # As in test_precommit.py: try-repo installs the hook from this working tree
    # (uncommitted changes included), with PRE_COMMIT_HOME in the pytest cache.  Note that
    # try-repo builds the hook environment in a throwaway store of its own, so every run
    # pays for the install; PRE_COMMIT_HOME only keeps pre-commit out of the user's cache.
    project = tmp_path / "project"
    project.mkdir()
    _git("init", "-q", ".", cwd=project)
    migrated = write(project / "migrated.ipynb", notebook_bytes({"environment": SEED}))
    assert envspec("migrate", migrated, cwd=project).returncode == 0
    legacy = write(project / "legacy.ipynb", notebook_bytes({"environment": SEED}))
    _git("add", "-A", ".", cwd=project)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(download_dir(request.config, tmp_path_factory, "pre-commit")),
        "PRE_COMMIT_COLOR": "never",
    }

    def try_repo(*files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(REPO_ROOT),
                "envspec-migrate-check",
                "--files",
                *files,
            ],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    passed = try_repo("migrated.ipynb")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "envspec migrate --check" in passed.stdout
    assert "Passed" in passed.stdout

    legacy_before = state(legacy)
    failed = try_repo("legacy.ipynb", "migrated.ipynb")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "would migrate legacy.ipynb: 0.1 -> 1.0" in failed.stdout
    assert "would migrate migrated.ipynb" not in failed.stdout
    assert state(legacy) == legacy_before  # --check never writes
