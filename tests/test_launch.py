"""``envspec launch``: targets, the clone cache, the kernelspec, ports, the Guix and container
commands, and bad input (each a clear message, a non-zero exit, nothing half-made).

The tests that start a real server are in ``test_launch_server.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
from pathlib import Path

import pytest

from envspec.launch import backends
from envspec.launch.kernelspecs import kernel_argv, write_kernelspecs
from envspec.launch.run import RunOptions, load_target_environment
from envspec.launch.server import check_port, lab_command, notebook_url, server_environment
from envspec.launch.targets import (
    LaunchError,
    choose_notebook,
    is_git_url,
    resolve_target,
    split_ref,
)
from launch_helpers import commit_files, git, make_repo, notebook_bytes

ENV = {"env_ver": "1.0", "files": {"requirements.txt": "envspec_probe\n"}}


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("target", "url", "ref"),
    [
        (
            "https://git.example.org/lab/analysis.git@v1.2",
            "https://git.example.org/lab/analysis.git",
            "v1.2",
        ),
        (
            "https://git.example.org/lab/analysis.git",
            "https://git.example.org/lab/analysis.git",
            None,
        ),
        # a token in the URL is not a ref
        ("https://tok@git.example.org/x.git", "https://tok@git.example.org/x.git", None),
        ("https://tok@git.example.org/x.git@main", "https://tok@git.example.org/x.git", "main"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git", None),
        ("git@github.com:org/repo.git@feature/x", "git@github.com:org/repo.git", "feature/x"),
        ("file:///srv/git/repo@0123abc", "file:///srv/git/repo", "0123abc"),
    ],
)
def test_url_and_ref(target: str, url: str, ref: str | None) -> None:
    assert split_ref(target) == (url, ref)


def test_git_urls_and_paths(tmp_path: Path) -> None:
    assert is_git_url("https://codeberg.org/a/b")
    assert is_git_url("file:///tmp/repo")
    assert is_git_url("git@gitlab.com:a/b.git")
    (tmp_path / "nb.ipynb").write_text("{}")
    assert not is_git_url(str(tmp_path / "nb.ipynb"))
    assert not is_git_url(str(tmp_path))


def test_folder_picks_the_only_notebook_then_index(tmp_path: Path) -> None:
    (tmp_path / "analysis.ipynb").write_bytes(notebook_bytes(ENV))
    assert choose_notebook(tmp_path) == "analysis.ipynb"
    (tmp_path / "other.ipynb").write_bytes(notebook_bytes(ENV))
    with pytest.raises(LaunchError) as error:
        choose_notebook(tmp_path)
    assert "2 notebooks" in error.value.message
    assert "analysis.ipynb, other.ipynb" in error.value.message
    assert "--notebook" in error.value.hint
    (tmp_path / "index.ipynb").write_bytes(notebook_bytes(ENV))
    assert choose_notebook(tmp_path) == "index.ipynb"
    assert choose_notebook(tmp_path, "other.ipynb") == "other.ipynb"


def test_folder_without_notebook_and_missing_notebook(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="has no notebook"):
        choose_notebook(tmp_path)
    with pytest.raises(LaunchError, match=r"missing\.ipynb does not exist"):
        choose_notebook(tmp_path, "missing.ipynb")
    with pytest.raises(LaunchError, match="does not exist"):
        resolve_target(str(tmp_path / "nope"), cache_dir=tmp_path / "cache")


def test_notebook_target_serves_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "nb.ipynb"
    path.parent.mkdir()
    path.write_bytes(notebook_bytes(ENV))
    target = resolve_target(str(path), cache_dir=tmp_path / "cache")
    assert (target.folder, target.notebook) == (path.parent.resolve(), "nb.ipynb")
    with pytest.raises(LaunchError, match="--ref is for a git URL"):
        resolve_target(str(path), ref="main", cache_dir=tmp_path / "cache")


def test_git_target_is_cloned_into_the_cache(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    first = make_repo(repo, {"index.ipynb": notebook_bytes(ENV), "README.md": "x\n"})
    cache = tmp_path / "cache"
    target = resolve_target(f"file://{repo}", cache_dir=cache)
    assert target.commit == first
    assert target.notebook == "index.ipynb"
    assert target.folder.parent.parent == cache / "clones"
    assert (target.folder / "index.ipynb").read_bytes() == (repo / "index.ipynb").read_bytes()
    # a new commit on the branch is fetched; the earlier checkout stays as it was
    second = commit_files(repo, {"README.md": "y\n"}, "second")
    again = resolve_target(f"file://{repo}@main", cache_dir=cache)
    assert again.commit == second
    assert (again.folder / "README.md").read_text() == "y\n"
    assert (target.folder / "README.md").read_text() == "x\n"
    # a tag, and a commit by its full name, as URL@REF or --ref
    git("tag", "v1", first, cwd=repo)
    assert resolve_target(f"file://{repo}", ref="v1", cache_dir=cache).commit == first
    assert resolve_target(f"file://{repo}@{first}", cache_dir=cache).commit == first
    # one clone of the repository, one checkout per commit, nothing left over
    home = target.folder.parent
    assert sorted(p.name for p in home.iterdir()) == sorted([first, second, "repo.git"])


def test_two_refs_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="two refs"):
        resolve_target("file:///x/repo@a", ref="b", cache_dir=tmp_path)


def test_bad_url_leaves_no_clone(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(LaunchError) as error:
        resolve_target(f"file://{tmp_path}/does-not-exist", cache_dir=cache)
    assert "cannot clone" in error.value.message
    assert not any((cache / "clones").iterdir())


def test_bad_ref_leaves_no_clone(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"index.ipynb": notebook_bytes(ENV)})
    cache = tmp_path / "cache"
    with pytest.raises(LaunchError) as error:
        resolve_target(f"file://{repo}@no-such-branch", cache_dir=cache)
    assert "no branch, tag or commit 'no-such-branch'" in error.value.message
    assert not any((cache / "clones").iterdir())
    # with a clone in the cache, a bad ref keeps the clone and adds nothing
    resolve_target(f"file://{repo}", cache_dir=cache)
    before = sorted(
        p.name for p in (cache / "clones").rglob("*") if p.parent.parent == cache / "clones"
    )
    with pytest.raises(LaunchError, match="no branch, tag or commit"):
        resolve_target(f"file://{repo}", ref="0" * 40, cache_dir=cache)
    after = sorted(
        p.name for p in (cache / "clones").rglob("*") if p.parent.parent == cache / "clones"
    )
    assert before == after


def test_credentials_never_shown(tmp_path: Path) -> None:
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    cache = tmp_path / "cache"
    # nothing listens on this port: the clone fails fast, and git's message has the URL
    url = f"http://user:{secret}@127.0.0.1:9/org/repo.git"
    with pytest.raises(LaunchError) as error:
        resolve_target(url, cache_dir=cache)
    assert secret not in str(error.value)
    assert "127.0.0.1:9/org/repo.git" in error.value.message


def test_offline_without_clone(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="--offline"):
        resolve_target("https://git.example.org/a.git", cache_dir=tmp_path, offline=True)


def test_checkout_records_source_without_credentials(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"index.ipynb": notebook_bytes(ENV)})
    target = resolve_target(f"file://{repo}", cache_dir=tmp_path / "cache")
    from envspec._git import find_source

    source = find_source(target.folder)
    assert source is not None
    assert (source.url, source.commit) == (f"file://{repo}", target.commit)


# ---------------------------------------------------------------- environment


def test_embedded_environment_and_kernelspec(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    read = load_target_environment(resolve_target(str(tmp_path / "nb.ipynb"), cache_dir=tmp_path))
    environment, kernelspec = read.environment, read.kernelspec
    assert read.source == "embedded"
    assert environment.files == ENV["files"]
    assert kernelspec is not None
    assert kernelspec["name"] == "probe-env"


def test_environment_from_the_folder(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(None))
    (tmp_path / "binder").mkdir()
    (tmp_path / "binder" / "requirements.txt").write_text("six\n")
    read = load_target_environment(resolve_target(str(tmp_path), cache_dir=tmp_path))
    assert read.source == "folder"
    assert read.environment.files == {"requirements.txt": "six\n"}


def test_no_environment_and_no_files_is_an_error(tmp_path: Path, run_cli) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(None))
    code, out, _ = run_cli("launch", tmp_path / "nb.ipynb", "--no-browser")
    assert code == 1
    assert "environment-missing" in out
    assert "no embedded environment and no environment file" in out
    assert "envspec pack" in out
    assert "the launch is refused: its environment cannot be read" in out


def test_invalid_environment_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes({"env_ver": "1.0", "python": "three"}))
    with pytest.raises(LaunchError) as error:
        load_target_environment(resolve_target(str(tmp_path), cache_dir=tmp_path))
    assert "'three' is not a Python version" in error.value.message
    assert [d.pointer for d in error.value.diagnostics] == ["/metadata/environment/python"]


# ---------------------------------------------------------------- kernelspec


def test_kernelspec_under_each_expected_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    registration = write_kernelspecs(
        data,
        ["probe-env", "python3", "probe-env", "bad name"],
        kernel_argv("/envs/x/bin/python"),
        display_name="Probe",
        env={"API_TOKEN": "s3cret"},
    )
    assert registration.names == ("probe-env", "python3")
    spec = json.loads((data / "kernels" / "probe-env" / "kernel.json").read_text())
    assert spec["argv"] == [
        "/envs/x/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}",
    ]  # fmt: skip
    assert spec["env"] == {"API_TOKEN": "s3cret"}
    # values may be secrets: readable by the owner only
    assert stat.S_IMODE((data / "kernels" / "probe-env" / "kernel.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert kernel_argv("/p/python", "/d/start")[:2] == ["/d/start", "/p/python"]


def test_server_command_and_environment(tmp_path: Path) -> None:
    command = lab_command(tmp_path, 8890, default_kernel="probe-env")
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=8890" in command
    assert "--ServerApp.port_retries=0" in command
    assert f"--ServerApp.root_dir={tmp_path}" in command
    assert "--MultiKernelManager.default_kernel_name=probe-env" in command
    assert not any("token" in part.lower() for part in command)  # the token is in the environment
    env = server_environment("t0k", tmp_path, {"JUPYTER_PATH": "/a", "JUPYTER_TOKEN_FILE": "/f"})
    assert env["JUPYTER_TOKEN"] == "t0k"
    assert env["JUPYTER_PATH"] == f"{tmp_path}{os.pathsep}/a"
    assert "JUPYTER_TOKEN_FILE" not in env
    assert notebook_url(8890, "a b/nb.ipynb", "t0k") == (
        "http://127.0.0.1:8890/lab/tree/a%20b/nb.ipynb?token=t0k"
    )


# ---------------------------------------------------------------- ports


def test_port_in_use_is_an_error(tmp_path: Path, run_cli) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LaunchError) as error:
            check_port(port)
        assert f"port {port} of 127.0.0.1 is already in use" in error.value.message
        assert "--port" in error.value.hint
        code, out, err = run_cli(
            "launch", tmp_path / "nb.ipynb", "--port", str(port), "--no-browser"
        )
    assert code == 1
    assert f"port {port} of 127.0.0.1 is already in use" in err
    assert "leave --port out to pick a free one" in err
    assert out == ""


def test_port_out_of_range(run_cli, tmp_path: Path) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    code, _, err = run_cli("launch", tmp_path / "nb.ipynb", "--port", "70000")
    assert code == 1
    assert "not a port number" in err


# ---------------------------------------------------------------- command line


def test_bad_git_url_and_ref_on_the_command_line(tmp_path: Path, run_cli) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"index.ipynb": notebook_bytes(ENV)})
    code, _, err = run_cli("launch", f"file://{tmp_path}/missing-repo", "--no-browser")
    assert code == 1
    assert "cannot clone file://" in err
    code, _, err = run_cli("launch", f"file://{repo}", "--ref", "v9", "--no-browser")
    assert code == 1
    assert "has no branch, tag or commit 'v9'" in err
    assert "URL@REF or --ref" in err


def test_env_values_are_checked_and_never_echoed(run_cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    code, _, err = run_cli("launch", tmp_path / "nb.ipynb", "--env", "1BAD=hunter2")
    assert code == 2
    assert "hunter2" not in err
    monkeypatch.delenv("ENVSPEC_TEST_UNSET", raising=False)
    code, _, err = run_cli("launch", tmp_path / "nb.ipynb", "--env", "ENVSPEC_TEST_UNSET")
    assert code == 2
    assert "ENVSPEC_TEST_UNSET is not set" in err


def test_parse_variables() -> None:
    from envspec.cli.launch_cmd import parse_variables

    assert parse_variables(["A=1", "B==2", "C"], {"C": "from-env"}) == {
        "A": "1",
        "B": "=2",
        "C": "from-env",
    }


def test_help_lists_every_option(run_cli) -> None:
    code, out, _ = run_cli("launch", "--help")
    assert code == 0
    for option in (
        "--port", "--no-browser", "--notebook", "--ref", "--env", "--backend", "--trust",
        "--index-url", "--find-links", "--no-index", "--offline", "--dry-run",
    ):  # fmt: skip
        assert option in out


# ---------------------------------------------------------------- Guix and containers


def test_guix_command_text(tmp_path: Path) -> None:
    arguments = backends.guix_lab_arguments(tmp_path, 8890)
    with_channels = backends.guix_command(
        tmp_path / "manifest.scm", tmp_path / "channels.scm", arguments
    )
    assert with_channels[:6] == [
        "guix", "time-machine", "-C", str(tmp_path / "channels.scm"), "--", "shell",
    ]  # fmt: skip
    assert with_channels[6:11] == ["-m", str(tmp_path / "manifest.scm"), "--", "jupyter", "lab"]
    assert "--ServerApp.ip=127.0.0.1" in with_channels
    assert backends.guix_command(tmp_path / "manifest.scm", None, arguments)[:5] == [
        "guix", "shell", "-m", str(tmp_path / "manifest.scm"), "--",
    ]  # fmt: skip


@pytest.mark.skipif(shutil.which("guix") is not None, reason="guix is installed here")
def test_guix_missing_says_how_to_install() -> None:
    with pytest.raises(LaunchError) as error:
        backends.require_guix()
    assert "needs 'guix', which is not installed" in error.value.message
    assert "guix.gnu.org" in error.value.hint
    assert "--backend local" in error.value.hint


def test_container_command_text(tmp_path: Path) -> None:
    digest = "sha256:" + "ab" * 32
    commands = backends.container_commands(
        "docker", "quay.io/jupyter/scipy-notebook:2024-05-27", digest, tmp_path, 8890,
        name="envspec-x", variables=["API_TOKEN"],
    )  # fmt: skip
    image = f"quay.io/jupyter/scipy-notebook:2024-05-27@{digest}"
    assert commands.pull == ["docker", "pull", image]
    run = commands.run
    assert run[run.index("-p") + 1] == "127.0.0.1:8890:8888"  # published on 127.0.0.1 only
    assert f"{tmp_path}:{backends.CONTAINER_HOME}" in run
    # the token and the variables by name: values never on the command line
    token_at = run.index("JUPYTER_TOKEN")
    assert run[token_at - 1 : token_at + 1] == ["-e", "JUPYTER_TOKEN"]
    assert "API_TOKEN" in run
    assert run[run.index(image) + 1 : run.index(image) + 3] == ["jupyter", "lab"]


def test_container_engine_missing_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    # an engine that does not answer, and none at all
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text(
        "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n"
    )
    (fake / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(LaunchError) as error:
        backends.find_container_engine()
    assert "is the daemon running?" in error.value.message
    assert "docs.docker.com" in error.value.hint
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LaunchError, match="neither is installed"):
        backends.find_container_engine()


def test_run_options_defaults() -> None:
    options = RunOptions()
    assert options.port is None
    assert options.open_browser
    assert not options.trusted


# ---------------------------------------------------------------- backends, executed


def _fake_tool(folder: Path, name: str, log: Path) -> None:
    """A stand-in for guix or docker: records its arguments and succeeds."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 0\n')
    script.chmod(0o755)


def _prepared(tmp_path: Path, environment: dict, plan, kernelspec=None):
    from envspec.launch.run import Prepared
    from envspec.launch.targets import Target
    from envspec.models import Environment

    folder = tmp_path / "work"
    folder.mkdir(exist_ok=True)
    return Prepared(
        Target(folder, "nb.ipynb", str(folder)),
        Environment.model_validate(environment),
        kernelspec,
        plan,
        None,
    )


def test_guix_backend_runs_lab_in_the_shell(tmp_path: Path, monkeypatch) -> None:
    from envspec.launch.plan import KernelChoice, LaunchPlan, Step
    from envspec.launch.run import server_command

    files = {"manifest.scm": '(specifications->manifest \'("python"))\n', "channels.scm": "()\n"}
    plan = LaunchPlan(
        backend="guix",
        steps=(Step(kind="guix", file="manifest.scm"), Step(kind="kernel")),
        kernel=KernelChoice(name="python3", source="default"),
    )
    prepared = _prepared(tmp_path, {"env_ver": "1.0", "files": files}, plan, {"name": "guix-py"})
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(LaunchError, match="needs 'guix'"):
        server_command(prepared, RunOptions(), 8890, "tok", data)
    _fake_tool(tmp_path / "bin", "guix", tmp_path / "guix.log")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    spec = server_command(prepared, RunOptions(env={"A": "1"}), 8890, "tok", data)
    assert spec.command[:5] == [
        str(tmp_path / "bin" / "guix"), "time-machine", "-C", str(data / "channels.scm"), "--",
    ]  # fmt: skip
    assert spec.command[5:10] == ["shell", "-m", str(data / "manifest.scm"), "--", "jupyter"]
    assert (data / "manifest.scm").read_text() == files["manifest.scm"]
    assert spec.env["JUPYTER_TOKEN"] == "tok"
    assert spec.env["JUPYTER_PATH"].split(os.pathsep)[0] == str(data)
    for name in ("guix-py", "python3"):  # the notebook's name first, then the plan's
        kernel = json.loads((data / "kernels" / name / "kernel.json").read_text())
        assert kernel["argv"][:2] == ["python3", "-m"]  # python3 of the Guix shell
        assert kernel["env"] == {"A": "1"}
    assert spec.kernel == "guix-py"


def test_container_backend_pulls_by_digest_and_passes_values_by_name(
    tmp_path: Path, monkeypatch
) -> None:
    from envspec.launch.plan import KernelChoice, LaunchPlan, Step
    from envspec.launch.run import server_command

    digest = "sha256:" + "cd" * 32
    environment = {
        "env_ver": "1.0",
        "image": {"ref": "quay.io/jupyter/base-notebook:2024-05-27", "digest": digest},
        "env": {"API_TOKEN": None, "MODE": "fast"},
    }
    plan = LaunchPlan(
        backend="docker",
        steps=(Step(kind="image"),),
        kernel=KernelChoice(name="python3", source="default"),
    )
    log = tmp_path / "docker.log"
    _fake_tool(tmp_path / "bin", "docker", log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    data = tmp_path / "data"
    data.mkdir()
    secret = "value-of-the-secret"
    spec = server_command(
        _prepared(tmp_path, environment, plan),
        RunOptions(env={"API_TOKEN": secret}),
        8890,
        "tok",
        data,
    )
    calls = log.read_text().splitlines()
    assert calls[0] == "info"
    assert calls[1] == f"pull quay.io/jupyter/base-notebook:2024-05-27@{digest}"
    assert secret not in " ".join(spec.command)
    assert "API_TOKEN" in spec.command
    assert "MODE" in spec.command
    assert spec.env["API_TOKEN"] == secret
    assert spec.env["MODE"] == "fast"
    assert spec.command[spec.command.index("-p") + 1] == "127.0.0.1:8890:8888"
    assert spec.cleanup is not None
    assert spec.cleanup[1:] == ["stop", spec.command[spec.command.index("--name") + 1]]
    # the kernel the notebook expects is registered in the container, without values
    kernel = data / "container" / "kernels" / "python3" / "kernel.json"
    assert stat.S_IMODE(kernel.stat().st_mode) == 0o644
    assert "env" not in json.loads(kernel.read_text())


def test_dockerfile_is_built_then_run(tmp_path: Path, monkeypatch) -> None:
    from envspec.launch.plan import KernelChoice, LaunchPlan, Step
    from envspec.launch.run import server_command

    files = {"Dockerfile": "FROM quay.io/jupyter/base-notebook\n"}
    plan = LaunchPlan(
        backend="docker",
        steps=(Step(kind="dockerfile", file="Dockerfile"),),
        kernel=KernelChoice(name="python3", source="default"),
    )
    log = tmp_path / "docker.log"
    _fake_tool(tmp_path / "bin", "docker", log)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    data = tmp_path / "data"
    data.mkdir()
    prepared = _prepared(tmp_path, {"env_ver": "1.0", "files": files}, plan)
    spec = server_command(prepared, RunOptions(), 8890, "tok", data)
    build = log.read_text().splitlines()[1].split()
    assert build[:2] == ["build", "-t"]
    assert build[3:] == ["-f", str(data / "Dockerfile"), str(tmp_path / "work")]
    assert build[2] in spec.command  # the image just built is run, not pulled
    assert len(log.read_text().splitlines()) == 2


def test_guix_missing_on_the_command_line(tmp_path: Path, run_cli, monkeypatch) -> None:
    notebook = tmp_path / "nb.ipynb"
    notebook.write_bytes(
        notebook_bytes(
            {"env_ver": "1.0", "files": {"manifest.scm": "(specifications->manifest '())\n"}}
        )
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'empty'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    if shutil.which("guix"):
        pytest.skip("guix is installed here")
    code, out, _ = run_cli("launch", notebook, "--backend", "guix", "--trust", "--no-browser")
    assert code == 1
    assert "launch-tool-missing" in out
    assert "to get it: install Guix (https://guix.gnu.org" in out


# ---------------------------------------------------------------- stopping


STUBBORN = """\
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen(
    [sys.executable, "-c",
     "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
    start_new_session=True,  # as Jupyter starts kernels: out of the server's group
)
print("ready", flush=True)
time.sleep(600)
"""


def test_stop_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    import sys
    import time

    from envspec.launch.server import descendants, start_server
    from launch_helpers import alive

    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN)
    server = start_server(
        [sys.executable, str(script)], port=1, token="t", env=dict(os.environ), cwd=tmp_path
    )
    try:
        deadline = time.monotonic() + 30
        while not descendants(server.process.pid):
            assert time.monotonic() < deadline, "the stand-in server did not start its child"
            time.sleep(0.05)
        processes = descendants(server.process.pid)
        # its own process group: a Ctrl-C in the terminal reaches only the launch
        assert os.getpgid(server.process.pid) != os.getpgid(0)
        code = server.stop(timeout=0.5)
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
    assert code == -9  # it ignored SIGTERM: killed after the timeout
    assert alive(processes) == []  # and so was its child, in a session of its own


# ---------------------------------------------------------------- refused, interrupted


def test_refused_plan_is_printed_and_nothing_starts(tmp_path: Path, run_cli) -> None:
    environment = {**ENV, "env": {"API_TOKEN": None}}
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(environment))
    code, out, _ = run_cli("launch", tmp_path / "nb.ipynb", "--no-browser")
    assert code == 1
    assert "launch-variable-missing" in out
    assert "API_TOKEN" in out
    assert "the launch is refused (1 reason)" in out
    assert "To access the notebook" not in out
    assert not (tmp_path / ".envspec_cache" / "envs").exists()  # nothing was created
    from envspec.launch.server import descendants
    from launch_helpers import cmdline

    # the server started while planning was stopped with the launch
    assert not [p for p in descendants(os.getpid()) if "jupyterlab" in cmdline(p)]


def test_interrupted_while_creating(tmp_path: Path, run_cli, monkeypatch) -> None:
    from envspec.launch import run

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_default_create", lambda: interrupted)
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    code, out, err = run_cli("launch", tmp_path / "nb.ipynb", "--no-browser")
    assert code == 130
    assert "interrupted" in err
    assert out == ""


def test_build_error_is_reported(tmp_path: Path, run_cli, monkeypatch) -> None:
    from envspec.environments import BuildError
    from envspec.launch import run

    def failing(*args, **kwargs):
        raise BuildError("uv could not resolve envspec_probe", hint="check the name", tail=["x"])

    monkeypatch.setattr(run, "_default_create", lambda: failing)
    (tmp_path / "nb.ipynb").write_bytes(notebook_bytes(ENV))
    code, out, err = run_cli("launch", tmp_path / "nb.ipynb", "--no-browser")
    assert code == 1
    assert "envspec launch: error: uv could not resolve envspec_probe" in err
    assert "hint: check the name" in err
    assert out == ""


def test_a_signed_notebook_is_trusted_when_launching(tmp_path: Path, run_cli, monkeypatch) -> None:
    import nbformat
    from nbformat.sign import NotebookNotary

    from envspec.launch import run

    planned = []

    def stop_after_planning(plan, files, **kwargs):
        planned.append(plan)
        raise KeyboardInterrupt  # nothing is built: the plan is what this test is about

    monkeypatch.setattr(run, "_default_create", lambda: stop_after_planning)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    marker = tmp_path / "ran"
    environment = {"env_ver": "1.0", "files": {"postBuild": f"#!/bin/sh\ntouch {marker}\n"}}
    path = tmp_path / "nb.ipynb"
    path.write_bytes(notebook_bytes(environment))
    code, out, _ = run_cli("launch", path, "--no-browser")
    assert code == 1
    assert "launch-untrusted" in out
    assert "--trust" in out
    NotebookNotary().sign(nbformat.read(path, as_version=4))
    code, _, _ = run_cli("launch", path, "--no-browser")
    assert code == 130
    assert [s.kind for s in planned[0].steps if s.kind == "post-build"] == ["post-build"]
    assert not marker.exists()
