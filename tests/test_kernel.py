"""``envspec kernel install|remove`` and how a kernel start finds its environment.

The real thing (a Jupyter server starting the kernel for a notebook) is in
``test_kernel_server.py``; here: the kernelspec files, the notebook a kernel start
belongs to, the environment read from it or its folder, and every reason a kernel
start is refused, each with its message and hint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from envspec.kernel.resolve import (
    BuildRequest,
    Built,
    IndexConfig,
    KernelProblem,
    find_notebook,
    read_source,
    realize,
)
from envspec.kernel.spec import PROVISIONER_NAME

ENV = {"env_ver": "1.0", "files": {"requirements.txt": "probe\n"}}


@pytest.fixture(autouse=True)
def _own_jupyter_data(tmp_path, monkeypatch):
    """Jupyter's notary keeps its secret and signatures in the data folder: not the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


def notebook(path: Path, environment: Any = None, **metadata: Any) -> Path:
    meta: dict[str, Any] = {**metadata}
    if environment is not None:
        meta["environment"] = environment
    document = {"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- install


def test_install_writes_a_kernelspec_naming_the_provisioner(run_cli, tmp_path):
    code, out, err = run_cli(
        "kernel", "install", "--prefix", str(tmp_path), "--find-links", str(tmp_path)
    )
    assert (code, err) == (0, "")
    spec = tmp_path / "share" / "jupyter" / "kernels" / "envspec" / "kernel.json"
    assert f"installed: kernelspec 'envspec' in {spec.parent}" in out
    assert str(tmp_path / "share" / "jupyter") in out  # where JUPYTER_PATH must point
    document = json.loads(spec.read_text())
    provisioner = document["metadata"]["kernel_provisioner"]
    assert provisioner == {
        "provisioner_name": PROVISIONER_NAME,
        "config": {"find_links": [str(tmp_path)]},
    }
    assert document["language"] == "python"
    # Without the provisioner, the kernelspec's own command is the report kernel.
    assert document["argv"][1:] == ["-m", "envspec.kernel.report", "-f", "{connection_file}"]


def test_install_twice_changes_no_byte(run_cli, tmp_path):
    args = ("kernel", "install", "--prefix", str(tmp_path), "--display-name", "Envs")
    assert run_cli(*args)[0] == 0
    spec = tmp_path / "share" / "jupyter" / "kernels" / "envspec" / "kernel.json"
    before = spec.stat().st_mtime_ns, spec.read_bytes()
    code, out, _ = run_cli(*args)
    assert code == 0
    assert out.startswith("up to date:")
    assert (spec.stat().st_mtime_ns, spec.read_bytes()) == before
    assert json.loads(before[1])["display_name"] == "Envs"


def test_the_provisioner_is_registered_as_an_entry_point():
    from importlib.metadata import entry_points

    (point,) = entry_points(group="jupyter_client.kernel_provisioners", name=PROVISIONER_NAME)
    assert point.value == "envspec.kernel.provisioner:EnvspecProvisioner"
    from jupyter_client.provisioning import LocalProvisioner

    assert issubclass(point.load(), LocalProvisioner)


def test_jupyter_lists_the_installed_kernel(run_cli, tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    run_cli("kernel", "install", "--prefix", str(tmp_path), "--name", "envs")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    specs = KernelSpecManager().get_all_specs()
    assert specs["envs"]["spec"]["metadata"]["kernel_provisioner"]["provisioner_name"] == (
        PROVISIONER_NAME
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "my kernel"), "kernel name 'my kernel' is not valid"),
        (("--find-links", "no-such-folder"), "--find-links 'no-such-folder' is not a folder"),
        (("--build-timeout", "0"), "--build-timeout must be positive"),
    ],
)
def test_install_refuses_bad_options(run_cli, tmp_path, args, message):
    code, _, err = run_cli("kernel", "install", "--prefix", str(tmp_path), *args)
    assert code != 0
    assert message in err
    assert not (tmp_path / "share").exists()


def test_install_into_a_folder_that_cannot_be_written(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("kernel", "install", "--prefix", str(blocker))
    assert code == 1
    assert "cannot write" in err
    assert "--prefix DIR" in err


def test_install_needs_one_place(run_cli, tmp_path):
    code, _, err = run_cli("kernel", "install", "--user", "--prefix", str(tmp_path))
    assert code == 2
    assert "not allowed with argument" in err


def test_remove_removes_only_an_envspec_kernel(run_cli, tmp_path):
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    run_cli("kernel", "install", "--prefix", str(tmp_path))
    code, out, _ = run_cli("kernel", "remove", "--prefix", str(tmp_path))
    assert code == 0
    assert out == f"removed: {kernels / 'envspec'}\n"
    assert not (kernels / "envspec").exists()
    code, _, err = run_cli("kernel", "remove", "--prefix", str(tmp_path))
    assert code == 1
    assert "no kernelspec 'envspec'" in err
    other = kernels / "python3"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text('{"argv": ["python"], "display_name": "P"}')
    code, _, err = run_cli("kernel", "remove", "--prefix", str(tmp_path), "--name", "python3")
    assert code == 1
    assert "is not an envspec kernel" in err
    assert (other / "kernel.json").is_file()


def test_kernel_without_action_is_a_usage_error(run_cli):
    code, _, err = run_cli("kernel")
    assert code == 2
    assert "install" in err


# ----------------------------------------------------------------------- which notebook


def test_the_notebook_from_an_absolute_session_name(tmp_path):
    path = notebook(tmp_path / "a" / "n.ipynb")
    assert find_notebook(str(path), tmp_path / "a") == path


def test_the_notebook_from_a_session_path_relative_to_the_server_root(tmp_path):
    path = notebook(tmp_path / "sub" / "dir" / "n.ipynb")
    assert find_notebook("sub/dir/n.ipynb", tmp_path / "sub" / "dir") == path
    assert find_notebook("n.ipynb", tmp_path / "sub" / "dir") == path


@pytest.mark.parametrize("name", [None, "", "console-1-abc"])
def test_no_notebook(tmp_path, name):
    assert find_notebook(name, tmp_path) is None


@pytest.mark.parametrize("name", ["/no/such/file.ipynb", "other/n.ipynb", "gone.ipynb"])
def test_a_notebook_that_is_not_there_is_not_guessed_at(tmp_path, name):
    """A notebook moved since the kernel started: its new folder may hold another
    environment, so nothing is run until the kernel is started for it again."""
    notebook(tmp_path / "sub" / "dir" / "n.ipynb")
    with pytest.raises(KernelProblem) as caught:
        find_notebook(name, tmp_path / "sub" / "dir")
    assert "moved or renamed" in caught.value.message
    assert "open it again" in (caught.value.hint or "")


# ---------------------------------------------------------------------- which environment


def test_the_environment_embedded_in_the_notebook(tmp_path):
    path = notebook(tmp_path / "n.ipynb", ENV, kernelspec={"name": "python3"})
    (tmp_path / "requirements.txt").write_text("other\n")  # the embedded one wins
    source = read_source(path, tmp_path)
    assert source.origin == "notebook"
    assert source.files == {"requirements.txt": "probe\n"}
    assert source.kernelspec == {"name": "python3"}
    assert source.trusted is False


def test_the_folder_files_when_the_notebook_has_none(tmp_path):
    path = notebook(tmp_path / "n.ipynb")
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "requirements.txt").write_text("from-binder\n")
    (tmp_path / "requirements.txt").write_text("hidden-by-binder\n")
    source = read_source(path, tmp_path)
    assert source.origin == "folder"
    assert source.files == {"requirements.txt": "from-binder\n"}


def test_no_environment_anywhere_is_reported(tmp_path):
    path = notebook(tmp_path / "n.ipynb")
    with pytest.raises(KernelProblem) as caught:
        read_source(path, tmp_path)
    problem = caught.value
    assert problem.code == "environment-missing"
    assert "n.ipynb has no metadata.environment" in problem.message
    assert "envspec pack" in (problem.hint or "")


def test_an_invalid_environment_is_reported_with_its_code(tmp_path):
    path = notebook(tmp_path / "n.ipynb", {"env_ver": "1.0", "python": "three"})
    with pytest.raises(KernelProblem) as caught:
        read_source(path, tmp_path)
    assert caught.value.code
    assert "/metadata/environment/python" in caught.value.message


def test_a_notebook_that_is_not_json_is_reported(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text("{not json")
    with pytest.raises(KernelProblem) as caught:
        read_source(path, tmp_path)
    assert caught.value.code == "invalid-json"


# ---------------------------------------------------------------------------- realizing


class Recorder:
    def __init__(self, built: Built | None = None, error: Exception | None = None) -> None:
        self.requests: list[BuildRequest] = []
        self.built, self.error = built, error

    def __call__(self, request: BuildRequest) -> Built:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        assert self.built is not None
        return self.built


def fake_environment(tmp_path: Path) -> Built:
    prefix = tmp_path / "env"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python").write_text("")
    package = prefix / "lib" / "python3.12" / "site-packages" / "ipykernel"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    return Built(prefix / "bin" / "python", prefix, "k", reused=True)


def test_realize_gives_the_python_and_the_variables(tmp_path):
    environment = {**ENV, "env": {"MODE": "fast", "TOKEN": None}}
    path = notebook(tmp_path / "nb" / "n.ipynb", environment)
    builder = Recorder(fake_environment(tmp_path))
    index = IndexConfig(find_links=("/wheels",))
    ready = realize(str(path), path.parent, {"TOKEN": "s"}, builder=builder, index=index)
    assert ready.built.python == tmp_path / "env" / "bin" / "python"
    assert ready.env == {"MODE": "fast"}  # TOKEN comes from the server's environment
    (request,) = builder.requests
    assert request.variables == frozenset({"TOKEN"})
    assert request.index.find_links == ("/wheels",)
    assert request.source.notebook == path


def test_a_required_variable_the_server_lacks_is_named(tmp_path):
    environment = {**ENV, "env": {"B_KEY": None, "A_KEY": None, "SET": None}}
    path = notebook(tmp_path / "n.ipynb", environment)
    builder = Recorder(fake_environment(tmp_path))
    with pytest.raises(KernelProblem) as caught:
        realize(str(path), tmp_path, {"SET": "1"}, builder=builder)
    assert "does not set: A_KEY, B_KEY" in caught.value.message
    assert "A_KEY=... jupyter lab" in (caught.value.hint or "")
    assert builder.requests == []  # nothing is built


def test_a_failed_build_shows_its_log_tail(tmp_path):
    path = notebook(tmp_path / "n.ipynb", ENV)
    error = RuntimeError("uv pip install failed")
    error.log_tail = "No solution found when resolving dependencies"  # type: ignore[attr-defined]
    with pytest.raises(KernelProblem) as caught:
        realize(str(path), tmp_path, {}, builder=Recorder(error=error))
    problem = caught.value
    assert problem.message == "the environment could not be built: uv pip install failed"
    assert "No solution found" in problem.details
    assert problem.notebook == str(path)


def test_an_environment_without_ipykernel_is_refused(tmp_path):
    path = notebook(tmp_path / "n.ipynb", ENV)
    prefix = tmp_path / "env"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "python").write_text("")
    built = Built(prefix / "bin" / "python", prefix)
    with pytest.raises(KernelProblem, match="has no ipykernel"):
        realize(str(path), tmp_path, {}, builder=Recorder(built))


def test_the_report_reads_as_the_notebook_shows_it():
    from envspec.kernel.report import report_lines

    problem = KernelProblem(
        "no environment", code="environment-missing", hint="add one", notebook="/n.ipynb"
    )
    lines = report_lines(json.loads(problem.to_json()))
    assert "environment-missing: no environment" in lines
    assert "hint: add one" in lines
    assert "notebook: /n.ipynb" in lines
    assert lines[-1].endswith("then restart the kernel.")


# ------------------------------------------------------------------------ the launch plan


@pytest.mark.parametrize(
    ("environment", "code", "hint"),
    [
        (
            {"env_ver": "1.0", "files": {"postBuild": "#!/bin/sh\ntouch marker\n"}},
            "launch-untrusted",
            "jupyter trust",
        ),
        (
            {"env_ver": "1.0", "python": "3.1", "files": {"requirements.txt": "x\n"}},
            "launch-python-unavailable",
            "uv python install",
        ),
        (
            {
                "env_ver": "1.0",
                "kernel": {"name": "ir", "language": "r"},
                "files": {"requirements.txt": "x\n"},
            },
            "launch-kernel-unsupported",
            "backend",
        ),
    ],
)
def test_a_plan_that_refuses_is_reported_and_nothing_is_built(tmp_path, environment, code, hint):
    path = notebook(tmp_path / "n.ipynb", environment)
    builder = Recorder(fake_environment(tmp_path))
    with pytest.raises(KernelProblem) as caught:
        realize(str(path), tmp_path, {"PATH": "/usr/bin:/bin"}, builder=builder)
    assert caught.value.code == code
    assert hint in (caught.value.hint or "")
    assert builder.requests == []


def test_a_notebook_signed_by_jupyter_is_trusted(tmp_path, monkeypatch):
    import nbformat
    from nbformat.sign import NotebookNotary

    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    environment = {"env_ver": "1.0", "files": {"postBuild": "#!/bin/sh\ntouch marker\n"}}
    path = notebook(tmp_path / "n.ipynb", environment)
    NotebookNotary().sign(nbformat.read(path, as_version=4))
    builder = Recorder(fake_environment(tmp_path))
    realize(str(path), tmp_path, {}, builder=builder)
    (request,) = builder.requests
    assert request.source.trusted
    assert [s.kind for s in request.plan.steps if s.file == "postBuild"] == ["post-build"]


def test_install_for_the_user_goes_to_the_jupyter_data_folder(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run_cli("kernel", "install", "--name", "mine")
    assert code == 0
    assert (tmp_path / "data" / "kernels" / "mine" / "kernel.json").is_file()
    assert "JUPYTER_PATH" not in out  # Jupyter looks there already
    assert run_cli("kernel", "remove", "--user", "--name", "mine")[0] == 0
    assert not (tmp_path / "data" / "kernels" / "mine").exists()


@pytest.mark.parametrize("conda", [False, True])
def test_the_kernel_is_activated_in_its_environment_only(tmp_path, conda):
    from envspec.kernel.provisioner import _activate

    prefix = tmp_path / "env"
    prefix.mkdir()
    if conda:
        (prefix / "conda-meta").mkdir()
    env = {"PATH": "/usr/bin", "VIRTUAL_ENV": "/srv/server-venv", "CONDA_PREFIX": "/opt/conda"}
    env["PYTHONHOME"] = "/opt/conda"
    _activate(env, prefix, prefix / "bin")
    assert env["PATH"] == f"{prefix / 'bin'}:/usr/bin"
    assert "PYTHONHOME" not in env
    if conda:
        assert env["CONDA_PREFIX"] == str(prefix)
        assert "VIRTUAL_ENV" not in env
    else:
        assert env["VIRTUAL_ENV"] == str(prefix)
        assert "CONDA_PREFIX" not in env


def test_install_warns_when_this_python_cannot_run_the_provisioner(run_cli, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "jupyter_client" else real(name, *a),
    )
    code, _, err = run_cli("kernel", "install", "--prefix", tmp_path)
    assert code == 0
    assert "warning: jupyter_client is not installed in this Python" in err
