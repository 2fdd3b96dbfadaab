"""The verdict cache: the answers of a cold run, unchanged files not read, every change seen."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import pytest

import envspec
import envspec._cache
import envspec.checks
import envspec.validate
from conftest import GOOD_ENVIRONMENT
from envspec.validate import default_cache_dir, validate_paths

BAD = {**GOOD_ENVIRONMENT, "python": 3.12}
WARN = {**GOOD_ENVIRONMENT, "image": {"ref": "quay.io/jupyter/base-notebook:latest"}}


pytestmark = pytest.mark.usefixtures("files_written_long_ago")


def verdicts_file(cache_dir):
    return envspec._cache.cache_folder(cache_dir) / "verdicts.json"


@pytest.fixture
def forbid_reading(monkeypatch):
    """``forbid_reading()``: from then on, decoding a file or checking an environment fails."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the cache should have answered")

    def forbid() -> None:
        monkeypatch.setattr(envspec.checks, "check_environment", forbidden)
        monkeypatch.setattr(envspec.validate, "read_document", forbidden)

    return forbid


@pytest.fixture
def project(write_notebook, write_file, tmp_path):
    write_notebook("nb/good.ipynb", GOOD_ENVIRONMENT)
    write_notebook("nb/bad.ipynb", BAD)
    write_notebook("nb/warn.ipynb", WARN)
    write_notebook("nb/plain.ipynb")
    write_file("nb/broken.ipynb", '{"cells": [\n<<<<<<< HEAD\n')
    write_file("nb/shared.envspec.yaml", 'env_ver: "1.0"\nimage: {ref: "python:3.12"}\n')
    return tmp_path / "nb"


def test_a_warm_run_gives_the_same_output_as_a_cold_one(project, run_cli, cache_dir):
    cold = run_cli("validate", project)
    assert verdicts_file(cache_dir).is_file()
    warm = run_cli("validate", project)
    assert warm == cold
    assert cold.code == 1
    assert run_cli("validate", "--format", "json", project) == run_cli(
        "validate", "--format", "json", "--no-cache", project
    )


def test_a_warm_run_reads_no_unchanged_file(project, cache_dir, forbid_reading):
    cold = validate_paths([project], cache_dir=cache_dir)
    forbid_reading()
    warm = validate_paths([project], cache_dir=cache_dir)
    assert warm == cold
    assert [d.code for d in warm.diagnostics] == [
        "wrong-type",
        "invalid-json",
        "image-unpinned",
        "image-unpinned",
    ]


def test_an_environment_already_checked_is_not_checked_again(
    write_notebook, cache_dir, monkeypatch
):
    calls = []
    real = envspec.checks.check_environment

    def counting(env, **kwargs):
        calls.append(env)
        return real(env, **kwargs)

    monkeypatch.setattr(envspec.checks, "check_environment", counting)
    first = write_notebook("a.ipynb", BAD)
    second = write_notebook("b.ipynb", BAD, cells=[])  # other cells, same environment
    result = validate_paths([first, second], cache_dir=cache_dir)
    assert len(calls) == 1
    assert [(d.file, d.code) for d in result.diagnostics] == [
        (str(first), "wrong-type"),
        (str(second), "wrong-type"),
    ]
    # Another kernelspec matters to the kernel rule: checked again.
    third = write_notebook(
        "c.ipynb", BAD, kernelspec={"name": "ir", "language": "R", "display_name": "R"}
    )
    result = validate_paths([third], cache_dir=cache_dir)
    assert len(calls) == 2
    assert {d.code for d in result.diagnostics} == {
        "wrong-type",
        "kernel-mismatch",
        "kernel-language-mismatch",
    }


def test_without_a_cache_an_environment_is_still_checked_once_per_run(write_notebook, monkeypatch):
    import hashlib

    calls = []
    real = envspec.checks.check_environment

    def counting(env, **kwargs):
        calls.append(env)
        return real(env, **kwargs)

    def no_hash(*args, **kwargs):
        raise AssertionError("nothing is kept beyond the run: no key needs hashing")

    monkeypatch.setattr(envspec.checks, "check_environment", counting)
    monkeypatch.setattr(hashlib, "sha256", no_hash)
    first = write_notebook("a.ipynb", BAD)
    second = write_notebook("b.ipynb", BAD, cells=[])
    result = validate_paths([first, second])
    assert len(calls) == 1
    assert [(d.file, d.code) for d in result.diagnostics] == [
        (str(first), "wrong-type"),
        (str(second), "wrong-type"),
    ]


def test_an_edited_file_is_checked_again(write_notebook, cache_dir, run_cli):
    path = write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    assert run_cli("validate", path).code == 0
    write_notebook("a.ipynb", BAD)
    code, out, _ = run_cli("validate", path)
    assert code == 1
    assert "error[wrong-type]" in out
    write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    assert run_cli("validate", path) == (0, "1 file checked, no problems\n", "")


def test_an_edit_of_the_same_size_is_seen(write_file, cache_dir, run_cli):
    good = json.dumps(
        {"cells": [], "metadata": {"environment": {"env_ver": "1.0", "python": "3.12"}}}
    )
    bad = good.replace('"3.12"', '"3.x2"')
    assert len(good) == len(bad)
    path = write_file("a.ipynb", good)
    assert run_cli("validate", path).code == 0
    before = path.stat()
    path.write_text(bad, encoding="utf-8")
    # Give it another modification time, as any later edit has.
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    code, out, _ = run_cli("validate", path)
    assert code == 1
    assert "error[invalid-value]" in out


def test_restoring_the_modification_time_does_not_hide_an_edit(write_file, cache_dir, run_cli):
    good = json.dumps(
        {"cells": [], "metadata": {"environment": {"env_ver": "1.0", "python": "3.12"}}}
    )
    path = write_file("a.ipynb", good)
    assert run_cli("validate", path).code == 0
    before = path.stat()
    time.sleep(0.05)
    path.write_text(good.replace('"3.12"', '"3.x2"'), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    if path.stat().st_ctime_ns == before.st_ctime_ns:
        pytest.skip("this file system's change times are too coarse to tell the edit")
    assert run_cli("validate", path).code == 1


def test_a_replaced_file_is_checked_again(write_notebook, write_file, cache_dir, run_cli, tmp_path):
    path = write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    assert run_cli("validate", path).code == 0
    other = write_notebook("other.ipynb", {**GOOD_ENVIRONMENT, "python": "3.1x"})  # same size
    shutil.copystat(path, other)
    os.replace(other, path)  # same times, another inode
    assert run_cli("validate", path).code == 1


def test_no_cache_writes_nothing_and_reads_nothing(project, run_cli, cache_dir):
    code, out, _ = run_cli("validate", "--no-cache", project)
    assert code == 1
    assert not cache_dir.exists()
    # A poisoned cache says every file is clean; --no-cache does not believe it.
    run_cli("validate", project)
    data = json.loads(verdicts_file(cache_dir).read_text(encoding="utf-8"))
    for entry in data["files"].values():
        entry[2] = []
    verdicts_file(cache_dir).write_text(json.dumps(data), encoding="utf-8")
    assert run_cli("validate", project).code == 0  # the poisoned cache is used...
    before = verdicts_file(cache_dir).read_bytes()
    assert run_cli("validate", "--no-cache", project) == (
        code,
        out,
        "",
    )  # ...but not with --no-cache
    assert verdicts_file(cache_dir).read_bytes() == before


def test_envspec_cache_dir_is_honoured(project, run_cli, tmp_path, monkeypatch):
    chosen = tmp_path / "elsewhere" / "cache"
    monkeypatch.setenv("ENVSPEC_CACHE_DIR", str(chosen))
    assert default_cache_dir() == chosen
    run_cli("validate", project)
    assert verdicts_file(chosen).is_file()
    assert (chosen / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_default_cache_is_in_the_current_folder_and_ignored_by_git(
    write_notebook, run_console, tmp_path, monkeypatch
):
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    write_notebook("repo/a.ipynb", GOOD_ENVIRONMENT)
    monkeypatch.delenv("ENVSPEC_CACHE_DIR")
    done = run_console("validate", "a.ipynb", cwd=repo)
    assert done.returncode == 0
    assert verdicts_file(repo / ".envspec_cache").is_file()
    assert (repo / ".envspec_cache" / ".gitignore").is_file()
    subprocess.run([git, "init", "-q"], cwd=repo, check=True)
    status = subprocess.run(
        [git, "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout.splitlines() == ["?? a.ipynb"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b"\x00\xff\xfe",
        b"[]",
        b'{"files": [], "envs": 3}',
        b'{"files": {"%(path)s": "garbage"}, "envs": {}}',
        b'{"files": {"%(path)s": [null, true, 1]}}',
        b'{"files": {"%(path)s": ["%(key)s", true, [["only", "three", "fields"]]]}}',
        b'{"files": {"%(path)s": ["%(key)s", true, 5]}}',
        b'{"envs": {"%(env)s": "garbage"}}',
        b'{"envs": {"%(env)s": [[1, 2]]}}',
    ],
)
def test_a_corrupt_cache_is_ignored(write_notebook, run_cli, cache_dir, content):
    path = write_notebook("a.ipynb", BAD)
    expected = run_cli("validate", "--no-cache", path)
    run_cli("validate", path)  # a real cache, to learn the keys
    data = json.loads(verdicts_file(cache_dir).read_text(encoding="utf-8"))
    ((abspath, entry),) = data["files"].items()
    (env_key,) = data["envs"]
    poisoned = content.replace(b"%(path)s", json.dumps(abspath)[1:-1].encode())
    poisoned = poisoned.replace(b"%(key)s", entry[0].encode()).replace(b"%(env)s", env_key.encode())
    verdicts_file(cache_dir).write_bytes(poisoned)
    assert run_cli("validate", path) == expected
    assert run_cli("validate", path) == expected  # and the cache was repaired
    assert (
        json.loads(verdicts_file(cache_dir).read_text(encoding="utf-8"))["files"][abspath][0]
        == entry[0]
    )


def test_an_unwritable_cache_folder_only_costs_speed(project, run_cli, cache_dir):
    cache_dir.write_text("a file where the cache folder should be", encoding="utf-8")
    expected = run_cli("validate", "--no-cache", project)
    assert run_cli("validate", project) == expected


def test_require_applies_to_cached_verdicts(write_notebook, run_cli, cache_dir, forbid_reading):
    plain = write_notebook("plain.ipynb")
    assert run_cli("validate", plain).code == 0
    forbid_reading()
    code, out, _ = run_cli("validate", "--require", plain)
    assert code == 1
    assert f"{plain}#/metadata: error[environment-missing]" in out
    # The cache keeps the verdict without --require: it passes again without it.
    assert run_cli("validate", plain) == (0, "1 file checked, no problems\n", "")


def test_require_first_then_without(write_notebook, run_cli, cache_dir):
    plain = write_notebook("plain.ipynb")
    assert run_cli("validate", "--require", plain).code == 1
    assert run_cli("validate", plain).code == 0


def test_strict_applies_to_cached_verdicts(write_notebook, run_cli, cache_dir):
    path = write_notebook("warn.ipynb", WARN)
    assert run_cli("validate", path).code == 0
    assert run_cli("validate", "--strict", path).code == 1


def test_cached_locations_name_the_path_as_given(
    write_notebook, run_cli, cache_dir, tmp_path, monkeypatch
):
    path = write_notebook("bad.ipynb", BAD)
    run_cli("validate", path)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("validate", "bad.ipynb")
    assert code == 1
    assert out.startswith("bad.ipynb#/metadata/environment/python:")


def test_cache_is_per_envspec_version_and_code(project, run_cli, cache_dir):
    run_cli("validate", project)
    [folder] = [p.name for p in cache_dir.iterdir() if p.is_dir()]
    version, _, fingerprint = folder.rpartition("-")
    assert version == envspec.__version__
    assert re.fullmatch(r"[0-9a-f]{8}", fingerprint)


def test_the_code_fingerprint_follows_every_module(tmp_path):
    from envspec._cache import code_fingerprint

    package, checks = tmp_path / "envspec", tmp_path / "envspec" / "checks"
    checks.mkdir(parents=True)
    (package / "validate.py").write_text("RULES = 1\n")
    (checks / "pip.py").write_text("x = 1\n")
    (checks / "notes.txt").write_text("not code\n")
    before = code_fingerprint([package, checks])
    assert code_fingerprint([package, checks]) == before
    (checks / "notes.txt").write_text("still not code, longer\n")
    assert code_fingerprint([package, checks]) == before
    (checks / "pip.py").write_text("x = 22\n")  # same name, another size
    changed = code_fingerprint([package, checks])
    assert changed != before
    st = (checks / "pip.py").stat()
    os.utime(checks / "pip.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000))  # same size
    assert code_fingerprint([package, checks]) not in (before, changed)
    (package / "new.py").write_text("")
    assert code_fingerprint([package, checks]) != changed


def test_verdicts_of_other_code_are_removed_and_nothing_else(project, run_cli, cache_dir):
    old = cache_dir / "0.0.9-deadbeef"
    old.mkdir(parents=True)
    (old / "verdicts.json").write_text("{}")
    (old / ".verdicts-0123.tmp").write_text("")
    mine = cache_dir / "my-notes"
    mine.mkdir()
    (mine / "verdicts.json").write_text("{}")
    (mine / "README").write_text("kept: not only verdicts here\n")
    run_cli("validate", project)
    assert not old.exists()
    assert (mine / "README").exists()
    assert verdicts_file(cache_dir).exists()


def test_the_cache_forgets_deleted_files(tmp_path):
    import json as _json

    from envspec.validate import validate_paths

    folder = tmp_path / "nbs"
    folder.mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (folder / name).write_text(
            '{"cells": [], "metadata": {"environment": {"env_ver": "1.0"}}, "nbformat": 4, '
            '"nbformat_minor": 5}'
        )
    cache_dir = tmp_path / "cache"
    validate_paths([folder], cache_dir=cache_dir)
    (folder / "b.ipynb").unlink()
    (folder / "c.ipynb").write_text((folder / "a.ipynb").read_text())
    validate_paths([folder], cache_dir=cache_dir)

    stored = _json.loads(next(cache_dir.rglob("verdicts.json")).read_bytes())
    names = sorted(p.rsplit("/", 1)[-1] for p in stored["files"])
    assert names == ["a.ipynb", "c.ipynb"]


def test_the_cache_is_written_through_a_private_temporary_file(tmp_path, write_notebook):
    import os
    import stat
    import sys

    from envspec._cache import _new_file

    made = [_new_file(tmp_path, ".v-", ".tmp") for _ in range(3)]
    for fd, _ in made:
        os.close(fd)
    names = [name for _, name in made]
    assert len(set(names)) == 3
    for name in names:
        assert os.path.basename(name).startswith(".v-")
        assert name.endswith(".tmp")
        if sys.platform != "win32":
            assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    notebook = write_notebook("a.ipynb", BAD)
    validate_paths([notebook], cache_dir=tmp_path / "cache")
    written = [p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert sorted(written) == [".gitignore", "verdicts.json"]


# --------------------------------------------------------------- files changed a moment ago


@pytest.mark.racy
def test_a_file_written_a_moment_ago_is_read_again_but_its_environment_is_cached(
    write_notebook, run_cli, cache_dir, monkeypatch
):
    # Git's "racily clean" case: a same-size rewrite in the same timestamp tick would keep
    # the stat, so a file newer than a tick is not trusted by its stat.
    path = write_notebook("fresh.ipynb", BAD)
    first = run_cli("validate", path)
    data = json.loads(verdicts_file(cache_dir).read_text(encoding="utf-8"))
    assert data["files"] == {}
    assert len(data["envs"]) == 1

    def forbidden(*args, **kwargs):
        raise AssertionError("the environment should have come from the cache")

    monkeypatch.setattr(envspec.checks, "check_environment", forbidden)
    assert run_cli("validate", path) == first  # read again, checked from the cache


@pytest.mark.racy
def test_a_same_size_rewrite_within_one_tick_is_seen(
    write_notebook, run_cli, cache_dir, monkeypatch
):
    # A file system whose timestamps are coarse: the rewrite keeps size and both times.
    # Simulated by a stat key of the size and the modification time only (a change time
    # cannot be set back from user space).
    monkeypatch.setattr(
        envspec.validate, "stat_key", lambda st: f"{st.st_size}:{st.st_mtime_ns}:0:0"
    )
    path = write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    assert run_cli("validate", path).code == 0
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    broken = text.replace('"python": "3.12"', '"python": 3.12e0', 1)
    assert broken != text
    assert len(broken.encode()) == len(text.encode())
    path.write_text(broken, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size
    result = run_cli("validate", path)
    assert result.code == 1, result.out
    assert "wrong-type" in result.out


@pytest.mark.racy
def test_a_file_is_trusted_by_its_stat_once_it_is_older_than_a_tick(
    write_notebook, run_cli, cache_dir, forbid_reading, monkeypatch
):
    path = write_notebook("a.ipynb", BAD)
    expected = run_cli("validate", path)
    later = time.time_ns() + envspec._cache.RACY_NS + 1
    monkeypatch.setattr(envspec._cache, "_now_ns", lambda: later)
    assert run_cli("validate", path) == expected  # read again, and now recorded
    forbid_reading()
    assert run_cli("validate", path) == expected
