"""``envspec unpack``: exact bytes, right modes, never outside the target folder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import nbformat
import pytest

from envspec.unpack import unpack_notebook

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

FILES = {
    "requirements.txt": "numpy==2.1.2\r\npandas  # ünïcode \U0001d518",  # CRLF, no final newline
    "environment.yml": "name: x\ndependencies:\n  - python=3.12\n",
    "apt.txt": "",  # empty
    "postBuild": "#!/bin/bash\rset -e\n",  # a lone CR
    "start": '#!/bin/bash\nexec "$@"\n',
    "Dockerfile": "FROM python:3.12\n",
    "manifest.scm": '(specifications->manifest (list "python"))\n',
}


def write_notebook(path: Path, environment: Any) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    if environment is not None:
        notebook.metadata["environment"] = environment
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def env_with(files: dict[str, str]) -> dict[str, Any]:
    return {"env_ver": "1.0", "files": files}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything below *folder*: file bytes, or ``-> target`` for links."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


def test_every_file_is_written_with_its_bytes_and_mode(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with(FILES))
    out_dir = tmp_path / "out" / "deeper"  # created when missing

    code, out, err = run_cli("unpack", notebook, "-o", out_dir)

    assert (code, err) == (0, "")
    assert tree(out_dir) == {name: text.encode("utf-8") for name, text in FILES.items()}
    for name in FILES:
        expected = 0o755 if name in {"postBuild", "start"} else 0o644
        assert mode(out_dir / name) == expected, name
        assert f"wrote {out_dir / name}\n" in out


def test_modes_do_not_depend_on_the_umask(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with(FILES))
    old = os.umask(0o077)
    try:
        assert run_cli("unpack", notebook, "-o", tmp_path / "out").code == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "out" / "postBuild") == 0o755
    assert mode(tmp_path / "out" / "requirements.txt") == 0o644


def test_default_target_is_the_notebooks_folder(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "work" / "nb.ipynb", env_with({"apt.txt": "git\n"}))
    code, out, _ = run_cli("unpack", notebook)
    assert code == 0, out
    assert (tmp_path / "work" / "apt.txt").read_bytes() == b"git\n"


def test_existing_files_are_all_listed_and_nothing_is_written(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with(FILES))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "requirements.txt").write_bytes(b"mine\n")
    (out_dir / "postBuild").write_bytes(b"mine too\n")
    before = tree(out_dir)

    code, out, _ = run_cli("unpack", notebook, "-o", out_dir)

    assert code == 1
    assert out.count("error[file-exists]") == 2
    assert str(out_dir / "requirements.txt") in out
    assert str(out_dir / "postBuild") in out
    assert "nothing was written" in out
    assert tree(out_dir) == before  # not even the files without a conflict


def test_force_replaces_existing_files(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with(FILES))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "postBuild").write_bytes(b"mine\n")
    (out_dir / "postBuild").chmod(0o600)
    (out_dir / "other.txt").write_bytes(b"untouched\n")

    code, out, _ = run_cli("unpack", notebook, "-o", out_dir, "--force")

    assert code == 0, out
    assert (out_dir / "postBuild").read_bytes() == FILES["postBuild"].encode()
    assert mode(out_dir / "postBuild") == 0o755
    assert (out_dir / "other.txt").read_bytes() == b"untouched\n"
    assert not [p for p in os.listdir(out_dir) if p.endswith(".tmp")]


@pytest.mark.parametrize(
    "name",
    [
        "../requirements.txt",
        "../../escape.txt",
        "..",
        "binder/requirements.txt",
        "sub/../requirements.txt",
        "requirements.txt/",
        "notes.txt",  # not a name the spec defines
        "requirements.txt\x00",
        "",
    ],
)
def test_unsafe_names_are_refused_and_nothing_is_written(tmp_path, run_cli, name):
    notebook = write_notebook(
        tmp_path / "nb.ipynb", env_with({"apt.txt": "git\n", name: "pwned\n"})
    )
    out_dir = tmp_path / "a" / "b" / "out"
    before = tree(tmp_path)

    code, out, _ = run_cli("unpack", notebook, "-o", out_dir)

    assert code == 1
    assert "error[unsafe-path]" in out
    assert "nothing was written" in out
    assert tree(tmp_path) == before


def test_absolute_names_are_refused(tmp_path, run_cli):
    victim = tmp_path / "victim" / "requirements.txt"
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with({str(victim): "pwned\n"}))

    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out")

    assert code == 1
    assert "error[unsafe-path]" in out
    assert not victim.exists()
    assert not (tmp_path / "out").exists()


@pytest.fixture
def planted_link(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A notebook, a target folder whose ``requirements.txt`` links outside, the outside file."""
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_bytes(b"do not touch\n")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "requirements.txt").symlink_to(outside)
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with({"requirements.txt": "numpy\n"}))
    return notebook, out_dir, outside


def test_a_planted_link_is_a_conflict_without_force(planted_link, run_cli):
    notebook, out_dir, outside = planted_link

    code, out, _ = run_cli("unpack", notebook, "-o", out_dir)

    assert code == 1
    assert "error[file-exists]" in out
    assert "symbolic link" in out
    assert (out_dir / "requirements.txt").is_symlink()
    assert outside.read_bytes() == b"do not touch\n"


def test_a_planted_link_is_replaced_never_followed_with_force(planted_link, run_cli):
    notebook, out_dir, outside = planted_link

    code, out, _ = run_cli("unpack", notebook, "-o", out_dir, "--force")

    assert code == 0, out
    written = out_dir / "requirements.txt"
    assert not written.is_symlink()
    assert written.read_bytes() == b"numpy\n"
    assert mode(written) == 0o644
    assert outside.read_bytes() == b"do not touch\n"
    assert sorted(os.listdir(outside.parent)) == ["secret.txt"]


def test_a_dangling_link_is_replaced_without_creating_its_target(tmp_path, run_cli):
    target = tmp_path / "elsewhere" / "created.txt"
    target.parent.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "apt.txt").symlink_to(target)
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with({"apt.txt": "git\n"}))

    assert run_cli("unpack", notebook, "-o", out_dir, "--force").code == 0

    assert not target.exists()
    assert (out_dir / "apt.txt").read_bytes() == b"git\n"


def test_a_folder_with_a_files_name_is_refused_even_with_force(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with({"postBuild": "echo\n"}))
    (tmp_path / "out" / "postBuild").mkdir(parents=True)
    (tmp_path / "out" / "postBuild" / "keep").write_bytes(b"x")

    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out", "--force")

    assert code == 1
    assert "error[file-exists]" in out
    assert "is a folder" in out
    assert (tmp_path / "out" / "postBuild" / "keep").read_bytes() == b"x"


def test_a_newer_minor_unpacks_the_names_it_knows_and_says_what_it_skipped(tmp_path, run_cli):
    env = {"env_ver": "1.7", "files": {"requirements.txt": "numpy\n", "uv.lock": "version = 1\n"}}
    notebook = write_notebook(tmp_path / "nb.ipynb", env)

    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out")

    assert code == 0
    assert (tmp_path / "out" / "requirements.txt").read_bytes() == b"numpy\n"
    assert not (tmp_path / "out" / "uv.lock").exists()
    assert "warning[env-version-newer]" in out
    assert "'uv.lock' was not unpacked" in out


def test_legacy_0_1_notebooks_unpack(tmp_path, run_cli):
    legacy = {
        "env_ver": "0.1",
        "requirements.txt": "numpy\r\n",
        "environment.yaml": "name: old\n",
        "setup.sh": "#!/bin/sh\necho set up",
        "container": "quay.io/jupyter/base-notebook:2024",
    }
    notebook = write_notebook(tmp_path / "nb.ipynb", legacy)

    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out")

    assert code == 0, out
    out_dir = tmp_path / "out"
    assert tree(out_dir) == {
        "environment.yaml": b"name: old\n",
        "requirements.txt": b"numpy\r\n",
        "setup.sh": b"#!/bin/sh\necho set up",
    }
    assert mode(out_dir / "setup.sh") == 0o755
    assert mode(out_dir / "requirements.txt") == 0o644


def test_a_notebook_without_environment_is_refused(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", None)
    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out")
    assert code == 1
    assert "error[environment-missing]" in out
    assert not (tmp_path / "out").exists()


def test_an_environment_without_files_writes_nothing(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb", {"env_ver": "1.0", "python": "3.12"})
    code, out, _ = run_cli("unpack", notebook, "-o", tmp_path / "out")
    assert code == 0
    assert "the environment embeds no files" in out


def test_a_standalone_envspec_file_unpacks(tmp_path, run_cli):
    source = tmp_path / "environment.envspec.json"
    source.write_text(json.dumps(env_with({"runtime.txt": "python-3.12\n"})))
    code, out, _ = run_cli("unpack", source, "-o", tmp_path / "out")
    assert code == 0, out
    assert (tmp_path / "out" / "runtime.txt").read_bytes() == b"python-3.12\n"


def test_library_outcome_lists_what_was_written(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", env_with(FILES))
    outcome = unpack_notebook(notebook, tmp_path / "out")
    assert outcome.ok
    assert sorted(outcome.written) == sorted(FILES)
