"""``envspec pack``: what is collected, what is reported, what is written (and what is not)."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import nbformat
import pytest

from envspec.pack import NOT_EMBEDDABLE, pack_paths

#: The installed console script (the command users run).
ENVSPEC = str(Path(sysconfig.get_path("scripts")) / "envspec")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def write_notebook(
    path: Path,
    *,
    kernelspec: dict[str, Any] | None = KERNELSPEC,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """A small v4 notebook written the way Jupyter writes it."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title", id="intro"),
        nbformat.v4.new_code_cell("print('hé')", id="code-1"),
    ]
    if kernelspec is not None:
        notebook.metadata["kernelspec"] = dict(kernelspec)
    notebook.metadata.update(metadata or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def environment_of(path: Path) -> dict[str, Any] | None:
    metadata = json.loads(path.read_bytes())["metadata"]
    env = metadata.get("environment")
    assert env is None or isinstance(env, dict)
    return env


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write could leave behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --------------------------------------------------------------------------- collecting


def test_every_file_is_embedded_with_its_exact_text(tmp_path, run_cli):
    files = {
        "requirements.txt": "numpy==2.1.2\r\npandas>=2.2  # ünïcode \U0001d518\r\n",
        "apt.txt": "libgdal-dev\ngraphviz",  # no final newline
        "runtime.txt": "python-3.12\n",
        # CRLF and a lone CR (after the #! line: a CR there would stop Binder, an error)
        "postBuild": "#!/bin/bash\nset -e\r\njupyter lab build\rls\n",
        "start": '#!/bin/bash\nexport X=1\nexec "$@"\n',
    }
    write_files(tmp_path, files)
    notebook = write_notebook(tmp_path / "analysis.ipynb")

    code, out, err = run_cli("pack", notebook)

    assert (code, err) == (0, "")
    env = environment_of(notebook)
    assert env is not None
    assert env["env_ver"] == "1.0"
    assert env["files"] == files
    assert out.startswith(f"packed: {notebook}\n")
    picked = next(line for line in out.splitlines() if line.strip().startswith("from "))
    for name in files:
        assert name in picked
    assert out.endswith("1 notebook: 1 packed, 0 up to date, 0 failed\n")


def test_only_metadata_environment_changes(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb", metadata={"tags": ["x"], "zzz": {"a": 1}})
    before = json.loads(notebook.read_bytes())

    assert run_cli("pack", notebook).code == 0

    after = json.loads(notebook.read_bytes())
    assert after["metadata"].pop("environment")["files"] == {"requirements.txt": "numpy\n"}
    assert after == before
    # Still what Jupyter writes: nbformat reads it back as a valid notebook.
    nbformat.validate(nbformat.read(notebook, as_version=4))


def test_kernel_follows_the_kernelspec_and_other_fields_are_kept(tmp_path, run_cli):
    existing = {
        "env_ver": "1.0",
        "python": "3.12",
        "kernel": {"name": "python3", "language": "python"},
        "env": {"API_TOKEN": None},
        "extensions": {"org.example.tool": {"keep": [1, 2]}},
        "files": {"requirements.txt": "stale\n", "apt.txt": "gone\n"},
    }
    write_files(tmp_path, {"install.R": 'install.packages("ggplot2")\n'})
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        kernelspec={"name": "ir", "display_name": "R", "language": "R"},
        metadata={"environment": existing},
    )

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["kernel"] == {"name": "ir", "language": "r", "display_name": "R"}
    # The folder's file is added; the embedded files it does not have are kept, and said.
    assert env["files"] == {**existing["files"], "install.R": 'install.packages("ggplot2")\n'}
    assert "warning[embedded-file-kept]" in out
    for key in ("python", "env", "extensions"):
        assert env[key] == existing[key]


def test_a_folder_without_environment_files_embeds_none(tmp_path, run_cli):
    notebook = write_notebook(tmp_path / "nb.ipynb")
    code, out, _ = run_cli("pack", notebook)
    assert code == 0
    env = environment_of(notebook)
    assert env == {
        "env_ver": "1.0",
        "kernel": {"name": "python3", "language": "python", "display_name": "Python 3 (ipykernel)"},
    }
    assert ": (none)" in out


@pytest.mark.parametrize("binder", ["binder", ".binder"])
def test_a_binder_folder_hides_the_root(tmp_path, run_cli, binder):
    write_files(
        tmp_path,
        {
            "requirements.txt": "root-only\n",
            "Dockerfile": "FROM scratch\n",
            f"{binder}/environment.yml": "dependencies:\n  - numpy\n",
            f"{binder}/postBuild": "echo hi\n",
        },
    )
    notebook = write_notebook(tmp_path / "nb.ipynb")

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["files"] == {
        "environment.yml": "dependencies:\n  - numpy\n",
        "postBuild": "echo hi\n",
    }
    assert f"from {tmp_path / binder}:" in out
    for hidden in ("requirements.txt", "Dockerfile"):
        assert f"ignored {hidden}: '{binder}/' takes precedence over the root folder" in out


def test_both_binder_folders_is_an_error_and_nothing_is_written(tmp_path, run_cli):
    write_files(tmp_path, {"binder/requirements.txt": "a\n", ".binder/requirements.txt": "b\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 1
    assert "error[binder-dir-conflict]" in out
    assert "failed: " in out
    assert notebook.read_bytes() == before


@pytest.mark.parametrize("name", sorted(NOT_EMBEDDABLE))
def test_files_repo2docker_reads_but_envspec_cannot_carry_are_reported(tmp_path, run_cli, name):
    write_files(tmp_path, {name: "content\n", "requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert name not in env["files"]
    assert f"    ignored {name}: {NOT_EMBEDDABLE[name]}\n" in out


def test_files_from_another_folder(tmp_path, run_cli):
    write_files(tmp_path, {"env/requirements.txt": "from-env\n", "requirements.txt": "beside\n"})
    notebook = write_notebook(tmp_path / "notebooks" / "nb.ipynb")

    code, out, _ = run_cli("pack", notebook, "--from", tmp_path / "env")

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["files"] == {"requirements.txt": "from-env\n"}


def test_image_option_records_ref_and_digest(tmp_path, run_cli):
    digest = "sha256:" + "ab" * 32
    notebook = write_notebook(tmp_path / "nb.ipynb")
    code, out, _ = run_cli(
        "pack", notebook, "--image", f"quay.io/jupyter/scipy-notebook:2024@{digest}"
    )
    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["image"] == {"ref": "quay.io/jupyter/scipy-notebook:2024", "digest": digest}


def test_a_legacy_0_1_environment_is_migrated_while_packing(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    legacy = {"env_ver": "0.1", "requirements.txt": "old\n"}
    notebook = write_notebook(tmp_path / "nb.ipynb", metadata={"environment": legacy})

    assert run_cli("pack", notebook).code == 0

    env = environment_of(notebook)
    assert env is not None
    assert env["env_ver"] == "1.0"
    assert env["files"] == {"requirements.txt": "numpy\n"}
    assert "requirements.txt" not in env


# --------------------------------------------------------------------------- idempotence, --check


def test_packing_an_up_to_date_notebook_changes_nothing(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\r\n", "environment.yml": "name: x\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    assert run_cli("pack", notebook).code == 0
    packed = notebook.read_bytes()
    os.utime(notebook, ns=(1_000_000_000, 1_000_000_000))
    inode = notebook.stat().st_ino

    code, out, _ = run_cli("pack", notebook)

    assert code == 0
    assert out.startswith(f"up to date: {notebook}\n")
    assert out.endswith("1 notebook: 0 packed, 1 up to date, 0 failed\n")
    assert notebook.read_bytes() == packed
    assert notebook.stat().st_mtime_ns == 1_000_000_000  # not even rewritten
    assert notebook.stat().st_ino == inode


def test_check_reports_without_writing(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()
    mtime = notebook.stat().st_mtime_ns

    code, out, _ = run_cli("pack", "--check", notebook)

    assert code == 1
    assert f"would pack: {notebook}" in out
    assert notebook.read_bytes() == before
    assert notebook.stat().st_mtime_ns == mtime
    assert leftovers(tmp_path) == []

    assert run_cli("pack", notebook).code == 0
    code, out, _ = run_cli("pack", "--check", notebook)
    assert code == 0
    assert f"up to date: {notebook}" in out

    # A changed environment file makes the notebook out of date again.
    (tmp_path / "requirements.txt").write_text("numpy\npandas\n")
    assert run_cli("pack", "--check", notebook).code == 1


def test_library_without_write_reports_the_new_bytes(tmp_path):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()

    [outcome] = pack_paths([notebook], write=False)

    assert outcome.status == "packed"
    assert not outcome.written
    assert notebook.read_bytes() == before
    assert outcome.after is not None
    assert json.loads(outcome.after)["metadata"]["environment"] == outcome.environment


def test_one_failing_notebook_does_not_stop_the_others(tmp_path, run_cli):
    write_files(tmp_path, {"good/requirements.txt": "numpy\n"})
    write_files(tmp_path, {"bad/binder/apt.txt": "x\n", "bad/.binder/apt.txt": "y\n"})
    good = write_notebook(tmp_path / "good" / "nb.ipynb")
    bad = write_notebook(tmp_path / "bad" / "nb.ipynb")
    bad_before = bad.read_bytes()

    code, out, _ = run_cli("pack", good, bad)

    assert code == 1
    assert out.endswith("2 notebooks: 1 packed, 0 up to date, 1 failed\n")
    good_env = environment_of(good)
    assert good_env is not None
    assert good_env["files"] == {"requirements.txt": "numpy\n"}
    assert bad.read_bytes() == bad_before


def test_missing_notebook_is_a_usage_error(tmp_path, run_cli):
    code, _, err = run_cli("pack", tmp_path / "missing.ipynb")
    assert code == 2
    assert "does not exist" in err


# --------------------------------------------------------------------------- hostile input


def test_read_only_notebook_is_replaced_atomically_and_keeps_its_mode(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    notebook.chmod(0o444)
    inode = notebook.stat().st_ino

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["files"] == {"requirements.txt": "numpy\n"}
    assert stat.S_IMODE(notebook.stat().st_mode) == 0o444
    assert notebook.stat().st_ino != inode  # a new file renamed into place
    assert leftovers(tmp_path) == []


def _limit_file_size() -> None:  # runs in the child, before exec
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_a_failed_write_leaves_the_notebook_and_no_temporary_file(tmp_path):
    # The packed notebook is larger than the limit; the original is smaller.
    write_files(tmp_path, {"requirements.txt": "".join(f"pkg{i}==1.0\n" for i in range(800))})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()
    assert len(before) < 4096

    result = subprocess.run(
        [ENVSPEC, "pack", notebook.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_file_size,  # the child only sets a limit, then execs
        check=False,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert "error[write-failed]" in result.stdout
    assert "1 notebook: 0 packed, 0 up to date, 1 failed" in result.stdout
    assert notebook.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_file_that_is_not_utf8_is_refused(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": b"numpy\ncaf\xe9\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 1
    assert "error[not-utf8]" in out
    assert "requirements.txt" in out
    assert notebook.read_bytes() == before


def test_legacy_metadata_env_is_refused_with_a_hint_to_migrate(tmp_path, run_cli):
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(
        tmp_path / "nb.ipynb", metadata={"env": {"env_ver": "0.1", "requirements.txt": "x\n"}}
    )
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 1
    assert "/metadata/env" in out
    assert "envspec migrate" in out
    assert notebook.read_bytes() == before


def test_a_notebook_that_is_not_json_is_refused(tmp_path, run_cli):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_bytes(b'{"cells": [], "metadata": {')
    code, out, _ = run_cli("pack", notebook)
    assert code == 1
    assert "failed: " in out
    assert notebook.read_bytes() == b'{"cells": [], "metadata": {'


def test_a_folder_without_environment_files_keeps_the_embedded_ones(tmp_path, run_cli):
    """A notebook received from someone else must not lose its environment when packed
    (or saved with pack-on-save) in a folder that has none of its files."""
    from envspec.jupyter import pre_save_hook

    env = {"env_ver": "1.0", "files": {"requirements.txt": "numpy==2.1.0\n"}}
    notebook = tmp_path / "received.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["environment"] = env
    nbformat.write(nb, notebook)
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    assert notebook.read_bytes() == before

    class Manager:
        root_dir = str(tmp_path)

        def _get_os_path(self, path: str) -> str:
            return str(tmp_path / path)

    model = {"type": "notebook", "content": json.loads(before)}
    pre_save_hook(model, "received.ipynb", Manager())
    assert model["content"]["metadata"]["environment"] == env


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("numpy==2.1.0\n# ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n", "secret"),
        ("--index-url https://alice:hunter2@pypi.example.org/simple\nnumpy\n", "url-credentials"),
        ("numpy\n# AKIAIOSFODNN7EXAMPLE\n", "secret"),
    ],
)
def test_a_secret_in_a_file_stops_packing_and_nothing_is_written(tmp_path, run_cli, text, code):
    # The spec: a packer MUST NOT copy secrets into the environment; it stops and reports.
    write_files(tmp_path, {"requirements.txt": text})
    notebook = write_notebook(tmp_path / "nb.ipynb")
    before = notebook.read_bytes()

    status, out, _ = run_cli("pack", notebook)

    assert status == 1
    assert f"error[{code}]" in out
    assert notebook.read_bytes() == before
    assert leftovers(tmp_path) == []
    assert "    not written: the environment would carry a secret" in out
    for secret in ("hunter2", "0123456789abcdef", "IOSFODNN7EXAMPLE"):
        assert secret not in out  # where the secret is, never what it is


# --------------------------------------------------------------------------- embedded files kept

RECEIVED = {"environment.yml": "dependencies:\n  - numpy\n", "postBuild": "echo hi\n"}


def received_notebook(folder: Path, environment: dict[str, Any] | None = None) -> Path:
    """A notebook someone else packed, in *folder* that holds only a requirements.txt."""
    write_files(folder, {"requirements.txt": "pandas\n"})
    env = environment or {"env_ver": "1.0", "files": dict(RECEIVED)}
    return write_notebook(folder / "nb.ipynb", metadata={"environment": env})


def test_pack_keeps_the_embedded_files_the_folder_lacks_and_says_so(tmp_path, run_cli):
    notebook = received_notebook(tmp_path)

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["files"] == {**RECEIVED, "requirements.txt": "pandas\n"}
    for name in RECEIVED:
        assert (
            f"{notebook}#/metadata/environment/files/{name}: warning[embedded-file-kept] "
            f"'{name}' is embedded but not in the folder; it is kept\n"
        ) in out
    assert "envspec pack --prune" in out  # how to remove them
    # Packing again: nothing changes, and the files are still said to be kept.
    packed = notebook.read_bytes()
    code, out, _ = run_cli("pack", notebook)
    assert (code, notebook.read_bytes()) == (0, packed)
    assert out.startswith(f"up to date: {notebook}\n")
    assert "embedded-file-kept" in out


def test_a_0_1_notebook_keeps_its_files_when_packed(tmp_path, run_cli):
    legacy = {"env_ver": "0.1", "environment.yaml": "dependencies:\n  - numpy\n"}
    legacy["setup.sh"] = "echo legacy\n"
    notebook = received_notebook(tmp_path, legacy)

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert env["env_ver"] == "1.0"
    assert env["files"] == {
        "requirements.txt": "pandas\n",
        "environment.yaml": "dependencies:\n  - numpy\n",
        "postBuild": "echo legacy\n",  # 0.1's setup.sh, in its 1.0 place
    }
    assert out.count("warning[embedded-file-kept]") == 2


def test_prune_removes_them_and_check_says_what_it_would_remove(tmp_path, run_cli):
    notebook = received_notebook(tmp_path)
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", "--check", "--prune", notebook)

    assert code == 1
    assert "    would remove environment.yml, postBuild\n" in out
    assert notebook.read_bytes() == before

    code, out, _ = run_cli("pack", "--prune", notebook)

    assert code == 0, out
    assert "    removed environment.yml, postBuild\n" in out
    assert "embedded-file-kept" not in out
    env = environment_of(notebook)
    assert env is not None
    assert env["files"] == {"requirements.txt": "pandas\n"}


def test_prune_in_a_folder_without_files_removes_every_embedded_file(tmp_path, run_cli):
    notebook = write_notebook(
        tmp_path / "nb.ipynb", metadata={"environment": {"env_ver": "1.0", "files": RECEIVED}}
    )
    code, out, _ = run_cli("pack", "--prune", notebook)
    assert code == 0, out
    env = environment_of(notebook)
    assert env is not None
    assert "files" not in env


def test_a_file_in_both_places_takes_the_folders_text_and_pack_says_so(tmp_path, run_cli):
    env = {"env_ver": "1.0", "files": {"requirements.txt": "numpy==1.26\n", "apt.txt": "git\n"}}
    write_files(tmp_path, {"requirements.txt": "numpy==2.1\n", "apt.txt": "git\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb", metadata={"environment": env})

    code, out, _ = run_cli("pack", "--check", notebook)
    assert code == 1
    assert "    would update requirements.txt\n" in out

    code, out, _ = run_cli("pack", notebook)

    assert code == 0, out
    assert "    updated requirements.txt\n" in out  # apt.txt did not change: not listed
    packed = environment_of(notebook)
    assert packed is not None
    assert packed["files"] == {"requirements.txt": "numpy==2.1\n", "apt.txt": "git\n"}


def test_the_library_keeps_them_too_and_prunes_only_when_asked(tmp_path):
    notebook = received_notebook(tmp_path)

    [kept] = pack_paths([notebook], write=False)
    [pruned] = pack_paths([notebook], write=False, prune=True)

    assert kept.environment is not None
    assert set(kept.environment["files"]) == {*RECEIVED, "requirements.txt"}
    assert kept.changes.kept == ("environment.yml", "postBuild")
    assert kept.changes.added == ("requirements.txt",)
    assert pruned.environment is not None
    assert set(pruned.environment["files"]) == {"requirements.txt"}
    assert pruned.changes.removed == ("environment.yml", "postBuild")


# --------------------------------------------------------------------------- one secret gate


def test_a_secret_already_embedded_stops_packing_too(tmp_path, run_cli):
    # Kept files go through the same gate: pack never writes a document with a secret.
    token = "ghp_" + "a1B2c3D4e5" * 4
    env = {"env_ver": "1.0", "files": {"postBuild": f"export GITHUB_TOKEN={token}\n"}}
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb", metadata={"environment": env})
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 1
    assert "error[secret]" in out
    assert token not in out
    assert notebook.read_bytes() == before


def test_a_secret_env_value_stops_packing(tmp_path, run_cli):
    env = {"env_ver": "1.0", "env": {"API_TOKEN": "abcdefgh12345678"}}
    write_files(tmp_path, {"requirements.txt": "numpy\n"})
    notebook = write_notebook(tmp_path / "nb.ipynb", metadata={"environment": env})
    before = notebook.read_bytes()

    code, out, _ = run_cli("pack", notebook)

    assert code == 1
    assert "error[secret-env-value]" in out
    assert notebook.read_bytes() == before


def test_every_writer_goes_through_the_same_plan(tmp_path):
    """The library's plan is what the CLI and the save hook write: same files, same gate."""
    from envspec.jupyter import pre_save_hook
    from envspec.pack import collect, plan_pack

    notebook = received_notebook(tmp_path)
    metadata = json.loads(notebook.read_bytes())["metadata"]

    plan = plan_pack(metadata, collect(tmp_path), None, name="nb.ipynb")
    [outcome] = pack_paths([notebook], write=False)

    assert plan.status == outcome.status == "packed"
    assert plan.environment == outcome.environment

    class Manager:
        def _get_os_path(self, path: str) -> str:
            return str(tmp_path / path)

    model = {"type": "notebook", "content": json.loads(notebook.read_bytes())}
    pre_save_hook(model, "nb.ipynb", Manager())
    saved = model["content"]["metadata"]["environment"]
    assert saved["files"] == plan.environment["files"] if plan.environment else False

    (tmp_path / "requirements.txt").write_text("--index-url https://bob:hunter2@example.org/s\n")
    refused = plan_pack(metadata, collect(tmp_path), None, name="nb.ipynb")
    assert refused.refused
    assert refused.status == "failed"
    assert [d.code for d in refused.diagnostics if d.severity == "error"] == ["url-credentials"]
    model = {"type": "notebook", "content": json.loads(notebook.read_bytes())}
    pre_save_hook(model, "nb.ipynb", Manager())
    assert model["content"]["metadata"]["environment"] == metadata["environment"]
    assert "url-credentials" in model["message"]
