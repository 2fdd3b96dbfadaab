"""``envspec env create | list | remove | gc`` on real notebooks, with real uv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.sign import NotebookNotary

from conftest import console_script
from packages import SITE, conda_package, fake_python_package, index_channel, wheel

PIN = f"{sys.version_info[0]}.{sys.version_info[1]}"

POST_BUILD = '#!/bin/sh\necho "postBuild was here" > "$MARKER"\n'


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("MARKER", str(tmp_path / "marker"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-wheels")
    wheel(folder, "demo-pkg", "1.0", code="WHERE = 'demo'\n")
    wheel(folder, "ipykernel", "0.0.1", code="STAND_IN = True\n")  # the kernel step's
    return folder


def environment(files, **fields):
    return {"env_ver": "1.0", "python": PIN, "files": files, **fields}


def local(wheels: Path) -> list[str]:
    return ["--find-links", str(wheels), "--no-index"]


def envs_in(cache: Path) -> list[str]:
    folder = cache / "envs"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_create_builds_the_notebooks_environment_then_reuses_it(
    run_cli, write_notebook, wheels, cache_dir
):
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg\n"}))
    result = run_cli("env", "create", notebook, *local(wheels))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("created environment ")
    key = lines[0].split()[-1]
    prefix = Path(lines[1].removeprefix("  prefix: "))
    python = Path(lines[2].removeprefix("  python: "))
    assert prefix == cache_dir / "envs" / key
    done = subprocess.run(
        [python, "-c", "import demo_pkg, ipykernel; print(demo_pkg.WHERE, ipykernel.STAND_IN)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "demo True\n"
    assert f"creating environment {key[:6]}… (requirements.txt: 1 package)" in result.err
    assert "  pip requirements.txt: 1/1 installed" in result.err

    again = run_cli("env", "create", notebook, *local(wheels), "--format", "json")
    assert again.code == 0, again.err
    document = json.loads(again.out)
    assert document["reused"] is True
    assert (document["key"], document["prefix"]) == (key, str(prefix))
    assert document["log"] is None


def test_quiet_prints_no_progress(run_cli, write_notebook, wheels):
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg\n"}))
    result = run_cli("env", "create", notebook, *local(wheels), "-q")
    assert result.code == 0, result.err
    assert result.err == ""


def test_a_folder_without_a_notebook_uses_its_files(run_cli, tmp_path, wheels, cache_dir):
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "requirements.txt").write_text("demo-pkg\n")
    result = run_cli("env", "create", tmp_path / "project", *local(wheels), "-q")
    assert result.code == 0, result.err
    assert len(envs_in(cache_dir)) == 1


def test_untrusted_post_build_never_runs_and_the_refusal_says_how_to_allow_it(
    run_cli, write_notebook, wheels, tmp_path, cache_dir
):
    files = {"requirements.txt": "demo-pkg\n", "postBuild": POST_BUILD}
    notebook = write_notebook(environment=environment(files))
    result = run_cli("env", "create", notebook, *local(wheels))
    assert result.code == 1
    assert "error[launch-untrusted]" in result.out
    assert "--trust" in result.out
    assert result.out.endswith("no environment was created\n")
    assert not (tmp_path / "marker").exists()
    assert envs_in(cache_dir) == []

    trusted = run_cli("env", "create", notebook, *local(wheels), "--trust", "-q")
    assert trusted.code == 0, trusted.err
    assert (tmp_path / "marker").read_text() == "postBuild was here\n"


def test_a_notebook_jupyter_trusts_runs_its_post_build(run_cli, write_notebook, wheels, tmp_path):
    files = {"requirements.txt": "demo-pkg\n", "postBuild": POST_BUILD}
    notebook = write_notebook(environment=environment(files))
    data = tmp_path / "jupyter-data"
    data.mkdir()
    notary = NotebookNotary(data_dir=str(data))
    notary.sign(nbformat.read(notebook, as_version=4))
    notary.store.close()
    result = run_cli("env", "create", notebook, *local(wheels), "-q")
    assert result.code == 0, result.out + result.err
    assert (tmp_path / "marker").exists()


def test_a_python_pin_no_interpreter_meets_names_the_pin_and_what_was_found(
    run_cli, write_notebook, cache_dir
):
    notebook = write_notebook(environment=environment({"requirements.txt": "x\n"}, python="3.4"))
    result = run_cli("env", "create", notebook)
    assert result.code == 1
    assert "error[launch-python-unavailable]" in result.out
    assert "Python 3.4 is pinned" in result.out
    assert f"found: {PIN}" in result.out or f", {PIN}" in result.out
    assert envs_in(cache_dir) == []


def test_unsatisfiable_requirements_fail_with_the_log_tail_and_leave_nothing(
    run_cli, write_notebook, wheels, cache_dir
):
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg>=7\n"}))
    result = run_cli("env", "create", notebook, *local(wheels))
    assert result.code == 1
    assert "envspec env create: error: installing requirements.txt failed:" in result.err
    assert "demo-pkg>=7" in result.err
    assert "last lines of the build log:" in result.err
    log = result.err.rpartition("build log: ")[2].strip()
    assert Path(log).is_file()
    assert envs_in(cache_dir) == []
    assert os.listdir(cache_dir / "tmp") == []


def test_prefix_and_a_folder_that_is_not_empty(run_cli, write_notebook, wheels, tmp_path):
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg\n"}))
    target = tmp_path / "venv"
    result = run_cli("env", "create", notebook, *local(wheels), "--prefix", target, "-q")
    assert result.code == 0, result.err
    assert (target / "bin" / "python").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "thesis.tex").write_text("mine")
    refused = run_cli("env", "create", notebook, *local(wheels), "--prefix", busy, "-q")
    assert refused.code == 1
    assert "is not empty" in refused.err
    assert os.listdir(busy) == ["thesis.tex"]


def test_a_notebook_without_environment_and_without_files(run_cli, write_notebook):
    notebook = write_notebook()
    result = run_cli("env", "create", notebook)
    assert result.code == 1
    assert "environment-missing" in result.out


def test_list_remove_and_gc(run_cli, write_notebook, wheels, cache_dir):
    assert run_cli("env", "list").out.startswith("no environments in ")
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg\n"}))
    created = json.loads(
        run_cli("env", "create", notebook, *local(wheels), "-q", "--format", "json").out
    )
    key = created["key"]
    listed = run_cli("env", "list", "--size")
    assert listed.code == 0
    assert listed.out.startswith(key)
    assert "complete" in listed.out
    assert f"requirements.txt (python {PIN}." in listed.out
    rows = json.loads(run_cli("env", "list", "--format", "json").out)
    assert [r["key"] for r in rows] == [key]
    assert rows[0]["inputs"]["steps"] == ["interpreter", "pip", "kernel"]

    gc = run_cli("env", "gc")
    assert gc.out.startswith("removed 0 unused environments, 0 incomplete, ")
    assert envs_in(cache_dir) == [key]

    missing = run_cli("env", "remove", "ffff")
    assert missing.code == 1
    assert "no environment of the cache matches 'ffff'" in missing.err
    removed = run_cli("env", "remove", key[:8])
    assert removed.code == 0
    assert removed.out == f"removed {cache_dir / 'envs' / key}\n"
    assert envs_in(cache_dir) == []
    assert run_cli("env", "gc", "--older-than", "0").out.startswith("removed 0 unused")
    bad = run_cli("env", "gc", "--older-than", "soon")
    assert bad.code == 2


def test_help_texts(run_cli):
    assert run_cli("env").code == 2
    text = run_cli("env", "create", "--help").out
    for option in (
        "--prefix",
        "--trust",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--no-index",
        "--offline",
        "--channel",
        "--quiet",
        "--format",
    ):
        assert option in text
    assert "exit status:" in text


def _other_python() -> tuple[str, str]:
    """A Python of this machine whose minor version differs from the running one, when
    there is one (else the running one): (pin, full version)."""
    from envspec.launch.interpreters import discover_interpreters

    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    found = [i for i in discover_interpreters() if i.version.startswith("3.")]
    others = [i for i in found if not i.version.startswith(mine + ".")]
    other = max(others or found, key=lambda i: tuple(int(p) for p in i.version.split(".")))
    return ".".join(other.version.split(".")[:2]), other.version


def test_the_python_pin_is_honoured(run_cli, write_notebook, wheels):
    pin, version = _other_python()
    notebook = write_notebook(
        environment=environment({"requirements.txt": "demo-pkg\n"}, python=pin)
    )
    result = run_cli("env", "create", notebook, *local(wheels), "-q", "--format", "json")
    assert result.code == 0, result.out + result.err
    python = json.loads(result.out)["python"]
    ran = subprocess.run(
        [python, "-c", "import sys, demo_pkg; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout.strip() == version


def test_conda_environment_from_a_local_channel_given_on_the_command_line(
    run_cli, write_notebook, wheels, tmp_path
):
    import rattler

    channel = tmp_path / "channel"
    fake_python_package(channel, str(rattler.Subdir.current()))
    conda_package(channel, "conda-demo", files={f"{SITE}/conda_demo.py": b"VALUE = 7\n"})
    url = index_channel(channel)
    yml = (
        "channels: [conda-forge]\n"
        "dependencies:\n  - python\n  - conda-demo\n  - pip:\n    - demo-pkg\n"
    )
    notebook = write_notebook(environment={"env_ver": "1.0", "files": {"environment.yml": yml}})
    result = run_cli("env", "create", notebook, *local(wheels), "--channel", url)
    assert result.code == 0, result.out + result.err
    assert "  conda environment.yml: 2 packages to install" in result.err
    assert "  pip environment.yml: 1/1 installed" in result.err
    python = result.out.splitlines()[-1].removeprefix("  python: ")
    ran = subprocess.run(
        [python, "-c", "import conda_demo, demo_pkg, ipykernel; print(conda_demo.VALUE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout == "7\n"


def test_a_conda_spec_that_does_not_solve(run_cli, write_notebook, tmp_path, cache_dir):
    channel = tmp_path / "empty-channel"
    url = index_channel(channel)
    yml = "dependencies:\n  - numpy >=99\n"
    notebook = write_notebook(environment={"env_ver": "1.0", "files": {"environment.yml": yml}})
    result = run_cli("env", "create", notebook, "--channel", url)
    assert result.code == 1
    assert "the conda specs of environment.yml do not solve" in result.err
    assert "numpy >=99" in result.err
    assert "build log: " in result.err
    assert envs_in(cache_dir) == []


def test_progress_on_a_terminal_is_one_redrawn_bar():
    import io

    from envspec.cli.env_cmd import ProgressPrinter
    from envspec.environments import ProgressEvent

    stream = io.StringIO()
    printer = ProgressPrinter(stream, tty=True)
    key = "3f9c1a0d5e8b7c6a4f21"
    printer(ProgressEvent("begin", key, message="requirements.txt: 12 packages"))
    printer(ProgressEvent("step-started", key, step="pip", file="requirements.txt"))
    printer(ProgressEvent("resolved", key, step="pip", file="requirements.txt", total=12))
    printer(ProgressEvent("installed", key, step="pip", file="requirements.txt", done=7, total=12))
    printer.close()
    text = stream.getvalue()
    assert text.startswith("creating environment 3f9c1a… (requirements.txt: 12 packages)\n")
    last = text.split("\r\x1b[2K")[-2]
    assert last == (
        "creating environment 3f9c1a… (requirements.txt: 12 packages) "
        "[==============>         ] 7/12 pip requirements.txt (installing)"
    )
    assert text.endswith("\r\x1b[2K")  # the bar is erased when done


def test_two_commands_at_once_build_the_environment_once(write_notebook, wheels, cache_dir):
    notebook = write_notebook(environment=environment({"requirements.txt": "demo-pkg\n"}))
    script = console_script()
    commands = [
        subprocess.Popen(
            [script, "env", "create", str(notebook), *local(wheels)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]
    assert [c.returncode for c in commands] == [0, 0], outputs
    verbs = sorted(out.split()[0] for out, _err in outputs)
    assert verbs == ["created", "reused"]
    assert len(os.listdir(cache_dir / "logs")) == 1


def test_start_does_not_stop_creating_and_never_runs(run_cli, write_notebook, wheels, tmp_path):
    files = {"requirements.txt": "demo-pkg\n", "start": '#!/bin/sh\ntouch "$MARKER"\nexec "$@"\n'}
    notebook = write_notebook(environment=environment(files))
    result = run_cli("env", "create", notebook, *local(wheels), "-q")
    assert result.code == 0, result.out + result.err
    assert not (tmp_path / "marker").exists()
    # Launching is another matter: the plan still refuses the untrusted start.
    launch = run_cli("launch", notebook, "--dry-run")
    assert launch.code == 1
    assert "launch-untrusted" in launch.out


def test_json_output_of_refusals_and_failures(run_cli, write_notebook, wheels):
    untrusted = write_notebook(
        "untrusted.ipynb",
        environment=environment({"requirements.txt": "demo-pkg\n", "postBuild": POST_BUILD}),
    )
    refused = run_cli("env", "create", untrusted, "--format", "json")
    assert refused.code == 1
    (diagnostic,) = json.loads(refused.out)
    assert (diagnostic["code"], diagnostic["pointer"]) == ("launch-untrusted", "/files/postBuild")

    failing = write_notebook(
        "failing.ipynb", environment=environment({"requirements.txt": "demo-pkg>=7\n"})
    )
    failed = run_cli("env", "create", failing, *local(wheels), "--format", "json", "-q")
    assert failed.code == 1
    error = json.loads(failed.out)["error"]
    assert error["message"].startswith("installing requirements.txt failed:")
    assert Path(error["log"]).is_file()
    assert error["tail"]
