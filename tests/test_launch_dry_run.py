"""``envspec launch --dry-run``: the plan as a person (text) and a program (json) read it,
and where the environment comes from (embedded, standalone, a folder's files)."""

from __future__ import annotations

import json
import sys
import time

import pytest

from envspec.launch.inputs import environment_from_folder, read_target
from envspec.launch.interpreters import discover_interpreters
from envspec.launch.signature import notebook_digest
from envspec.loader import LoadError

REQUIREMENTS = {"env_ver": "1.0", "files": {"requirements.txt": "numpy\n"}}
STALE = {"name": "conda-env-old-py", "display_name": "old", "language": "python"}


def test_text_plan_lists_numbered_steps_kernel_and_variables(write_notebook, run_cli):
    environment = {
        "env_ver": "1.0",
        "kernel": {"name": "python3", "language": "python"},
        "files": {"requirements.txt": "numpy\n", "apt.txt": "curl\n"},
        "env": {"MPLBACKEND": "Agg", "WANDB_API_KEY": None},
    }
    path = write_notebook("analysis.ipynb", environment, kernelspec=STALE)
    code, out, err = run_cli("launch", path, "--dry-run", "--env", "WANDB_API_KEY=s3cret-value")
    assert (code, err) == (0, "")
    assert "backend: local\n" in out
    assert "  1. interpreter: Python " in out
    assert "  2. pip: requirements.txt\n  3. apt-check: apt.txt\n  4. kernel\n" in out
    assert "kernel: python3 (from the environment's kernel)" in out
    assert "variables set: MPLBACKEND, WANDB_API_KEY" in out
    assert "s3cret-value" not in out  # values never printed
    assert out.endswith("the launch can go on\n")


def test_refusals_are_listed_with_codes_and_hints_and_exit_1(write_notebook, run_cli):
    environment = {
        "env_ver": "1.0",
        "files": {"requirements.txt": "numpy\n", "postBuild": "#!/bin/sh\nset -e\ntouch x\n"},
        "env": {"API_TOKEN": None},
    }
    path = write_notebook("analysis.ipynb", environment)
    code, out, _ = run_cli("launch", path, "--dry-run")
    assert code == 1
    assert f"{path}#/files/postBuild: error[launch-untrusted]" in out
    assert "hint: Read it, then launch again with --trust" in out
    assert f"{path}#/env/API_TOKEN: error[launch-variable-missing]" in out
    assert "required variables not supplied: API_TOKEN" in out
    assert out.endswith("the launch is refused (2 reasons)\n")
    code, out, _ = run_cli(
        "launch", path, "--dry-run", "--trust", "--env", "API_TOKEN=x", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_json_plan_is_the_plan_as_data(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", REQUIREMENTS, kernelspec=STALE)
    code, out, _ = run_cli("launch", path, "--dry-run", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert plan["source"] == "embedded"
    assert plan["backend"] == "local"
    assert [(s["kind"], s["file"]) for s in plan["steps"]] == [
        ("interpreter", None),
        ("pip", "requirements.txt"),
        ("kernel", None),
    ]
    assert plan["kernel"] == {
        "name": "conda-env-old-py",
        "language": "python",
        "display_name": "old",
        "source": "notebook",
    }
    assert plan["refusals"] == []


def test_a_notebook_without_environment_uses_its_folders_files(write_notebook, run_cli, tmp_path):
    path = write_notebook("analysis.ipynb", kernelspec=STALE)
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "environment.yml").write_text("dependencies: [numpy]\n")
    (tmp_path / "requirements.txt").write_text("scipy\n")  # binder/ wins, as on Binder
    code, out, _ = run_cli("launch", path, "--dry-run", "--format", "json")
    assert code == 0
    plan = json.loads(out)
    assert plan["source"] == "folder"
    assert ("conda", "environment.yml") in [(s["kind"], s["file"]) for s in plan["steps"]]
    assert not any(s["file"] == "requirements.txt" for s in plan["steps"])


def test_a_folder_with_notebook_option(write_notebook, run_cli, tmp_path):
    write_notebook("nb/analysis.ipynb", REQUIREMENTS)
    code, out, _ = run_cli("launch", tmp_path / "nb", "--notebook", "analysis.ipynb", "--dry-run")
    assert code == 0
    assert "embedded in" in out


def test_a_standalone_file(run_cli, tmp_path):
    path = tmp_path / "environment.envspec.yaml"
    path.write_text('env_ver: "1.0"\npython: "3.1"\n')
    code, out, _ = run_cli("launch", path, "--dry-run")
    assert code == 1
    assert f"{path}#/python: error[launch-python-unavailable] Python 3.1 is pinned" in out


def test_nothing_to_launch_is_a_clear_error(write_notebook, run_cli, tmp_path):
    path = write_notebook("analysis.ipynb")
    code, out, _ = run_cli("launch", path, "--dry-run")
    assert code == 1
    assert "error[environment-missing] no environment here" in out
    assert "hint: Add an environment file beside the notebook" in out
    code, out, _ = run_cli("launch", tmp_path / "missing.ipynb", "--dry-run")
    assert code == 1
    assert "error[file-unreadable]" in out


def test_an_invalid_environment_is_refused_with_its_diagnostics(write_notebook, run_cli):
    bad = {"env_ver": "1.0", "files": {"requirements.txt": "pandas=2.2\n"}}
    code, out, _ = run_cli("launch", write_notebook("analysis.ipynb", bad), "--dry-run")
    assert code == 1
    assert "error[requirement-invalid]" in out


@pytest.mark.parametrize("bad", ["1X=2", "A-B=1", "=x", "NOT_SET_ANYWHERE_42"])
def test_bad_env_options_are_usage_errors(write_notebook, run_cli, bad):
    path = write_notebook("analysis.ipynb", REQUIREMENTS)
    code, out, err = run_cli("launch", path, "--dry-run", "--env", bad)
    assert code == 2
    assert out == ""
    assert "envspec launch: error: --env" in err


def test_env_name_alone_takes_the_value_envspec_runs_with(write_notebook, run_cli, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "from-here")
    path = write_notebook("analysis.ipynb", {**REQUIREMENTS, "env": {"API_TOKEN": None}})
    code, out, _ = run_cli("launch", path, "--dry-run", "--env", "API_TOKEN")
    assert code == 0, out
    assert "from-here" not in out


# ---------------------------------------------------------------------------------- inputs


def test_environment_from_folder_follows_the_pack_rules(tmp_path):
    (tmp_path / ".binder").mkdir()
    (tmp_path / ".binder" / "requirements.txt").write_text("numpy\n")
    (tmp_path / "environment.yml").write_text("dependencies: [x]\n")
    assert environment_from_folder(tmp_path).files == {"requirements.txt": "numpy\n"}
    (tmp_path / "binder").mkdir()
    with pytest.raises(LoadError) as caught:
        environment_from_folder(tmp_path)
    assert caught.value.diagnostics[0].code == "binder-dir-conflict"


def test_read_target_keeps_the_notebook_kernelspec(write_notebook):
    path = write_notebook("analysis.ipynb", REQUIREMENTS, kernelspec=STALE)
    target = read_target(path)
    assert target.kernelspec is not None
    assert target.kernelspec["name"] == "conda-env-old-py"
    assert (target.notebook, target.source) == (path, "embedded")


def test_interpreters_are_found_fast_the_running_one_first():
    start = time.perf_counter()
    found = discover_interpreters()
    elapsed = time.perf_counter() - start
    assert found[0].path == sys.executable
    assert found[0].version == ".".join(map(str, sys.version_info[:3]))
    assert len({i.path for i in found}) == len(found)
    assert elapsed < 2.0, elapsed


def test_interpreters_of_pyenv_and_uv_folders_are_read_from_their_names(tmp_path):
    for folder in ("pyenv/versions/3.9.7/bin", "uv/cpython-3.13.1-linux-x86_64-gnu/bin"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "python3").write_text("")
    found = discover_interpreters(
        {
            "PATH": "",
            "PYENV_ROOT": str(tmp_path / "pyenv"),
            "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv"),
        }
    )
    versions = [i.version for i in found[1:]]
    assert versions == ["3.9.7", "3.13.1"]


def test_a_notebook_signed_with_jupyter_trust_is_trusted(
    write_notebook, run_cli, tmp_path, monkeypatch
):
    import nbformat
    from nbformat.sign import NotebookNotary

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    environment = {**REQUIREMENTS, "files": {"postBuild": "#!/bin/sh\nset -e\n"}}
    path = write_notebook("analysis.ipynb", environment)
    assert run_cli("launch", path, "--dry-run").code == 1
    assert not (tmp_path / "jupyter-data" / "nbsignatures.db").exists()  # nothing created
    notary = NotebookNotary()
    notebook = nbformat.read(path, as_version=4)
    notary.sign(notebook)
    database = tmp_path / "jupyter-data" / "nbsignatures.db"
    before = database.read_bytes()
    code, out, _ = run_cli("launch", path, "--dry-run")
    assert code == 0, out
    assert "post-build: postBuild" in out
    assert database.read_bytes() == before  # read, never written
    # The digest is Jupyter's own, whatever the notebook holds.
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1.5 ** 2", execution_count=3))
    notebook.metadata["signature"] = "sha256:old"
    secret = notary.secret
    assert notebook_digest(json.loads(nbformat.writes(notebook)), secret) == (
        notary.compute_signature(notebook)
    )
    # A changed notebook is no longer signed.
    changed = json.loads(path.read_text())
    changed["metadata"]["title"] = "changed after signing"
    path.write_text(json.dumps(changed))
    assert run_cli("launch", path, "--dry-run").code == 1
