"""Conda environments from a local channel made by the tests: rattler solves and
installs, uv adds the ``pip:`` part; conda locks (``pixi.lock``) install as locked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from envspec.environments import BuildError, ProgressEvent, create_environment
from envspec.launch.plan import LaunchPlan, Step
from packages import SITE, conda_package, fake_python_package, index_channel
from test_environments import (  # the fixtures and helpers of the pip tests
    _uv_cache,
    cache_state,
    local,
    plan_of,
    run_in,
    wheels,
)

__all__ = ["_uv_cache", "local", "wheels"]  # fixtures, used by name

PIN = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    import rattler

    folder = tmp_path_factory.mktemp("channel")
    subdir = str(rattler.Subdir.current())
    fake_python_package(folder, subdir)
    conda_package(
        folder,
        "conda-demo",
        "1.0",
        files={
            f"{SITE}/conda_demo.py": b"VALUE = 42\n",
            "bin/conda-demo": b"#!/bin/sh\necho conda demo runs\n",
        },
        depends=["python"],
    )
    conda_package(
        folder,
        "conda-demo-next",
        "2.0",
        files={f"{SITE}/conda_demo_next.py": b"VALUE = 2\n"},
        depends=["python"],
    )
    conda_package(
        folder,
        "conda-demo-next",
        "1.0",
        files={f"{SITE}/conda_demo_next.py": b"VALUE = 1\n"},
        depends=["python"],
    )
    return index_channel(folder)


def conda_plan(pin: str | None = None) -> LaunchPlan:
    detail = {"source": "conda", **({"python": pin} if pin else {})}
    return plan_of(
        Step(kind="interpreter", detail=detail), Step(kind="conda", file="environment.yml")
    )


def test_conda_environment_from_a_local_channel_with_its_pip_part(tmp_path, channel, local):
    yml = (
        "name: demo\n"
        f"channels:\n  - {channel}\n  - nodefaults\n"
        "dependencies:\n  - conda-demo >=1\n  - pip:\n      - demo-pkg<2\n"
    )
    events: list[ProgressEvent] = []
    env = create_environment(
        conda_plan(PIN),
        {"environment.yml": yml},
        cache_dir=tmp_path,
        index=local,
        progress=events.append,
    )
    assert run_in(env.python, "import conda_demo; print(conda_demo.VALUE)") == "42"
    assert run_in(env.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"
    assert run_in(env.python, "import sys; print(sys.prefix)") == str(env.prefix)
    ran = subprocess.run(
        [str(env.prefix / "bin" / "conda-demo")], capture_output=True, text=True, check=True
    )
    assert ran.stdout == "conda demo runs\n"
    assert (env.prefix / "conda-meta").is_dir()
    solved = next(e for e in events if e.kind == "resolved" and e.step == "conda")
    assert solved.total == 2


def test_conda_channels_are_replaced_from_the_command_line(tmp_path, channel):
    yml = "channels:\n  - file:///nowhere/channel\ndependencies:\n  - conda-demo\n"
    env = create_environment(
        conda_plan(), {"environment.yml": yml}, cache_dir=tmp_path, channels=[channel]
    )
    assert run_in(env.python, "import conda_demo; print(conda_demo.VALUE)") == "42"


def test_conda_spec_that_does_not_solve_is_a_clear_error(tmp_path, channel):
    yml = f"channels: [{channel}]\ndependencies:\n  - conda-demo >=9\n"
    with pytest.raises(BuildError) as caught:
        create_environment(conda_plan(), {"environment.yml": yml}, cache_dir=tmp_path)
    assert caught.value.message.startswith("the conda specs of environment.yml do not solve")
    assert "conda-demo >=9" in caught.value.message
    assert cache_state(tmp_path) == {"envs": [], "tmp": []}
    assert caught.value.log is not None
    assert caught.value.log.exists()


def test_conda_python_pin_that_the_channel_cannot_meet(tmp_path, channel):
    yml = f"channels: [{channel}]\ndependencies:\n  - conda-demo\n"
    with pytest.raises(BuildError) as caught:
        create_environment(conda_plan("3.99"), {"environment.yml": yml}, cache_dir=tmp_path)
    assert "(with the pin python=3.99)" in caught.value.message


def test_conda_environment_without_python_cannot_take_pip_packages(tmp_path, channel, local):
    folder = Path(channel.removeprefix("file://"))
    del folder
    yml = f"channels: [{channel}]\ndependencies:\n  - pip:\n      - demo-dep\n"
    with pytest.raises(BuildError) as caught:
        create_environment(conda_plan(), {"environment.yml": yml}, cache_dir=tmp_path, index=local)
    assert "installs none" in caught.value.message
    assert caught.value.hint == "Add python to the dependencies of environment.yml."


def _pixi_lock(channel: str, specs: list[str], folder: Path) -> str:
    """A pixi.lock of *specs* solved from *channel* for this platform (as `envspec lock`
    writes it)."""
    import asyncio

    import rattler

    here = rattler.Subdir.current()
    records = asyncio.run(
        rattler.solve(
            sources=[rattler.Channel(channel)],
            specs=specs,
            platforms=[here, rattler.Subdir("noarch")],
            virtual_packages=[],
        )
    )
    platform = rattler.LockPlatform(str(here))
    lock = rattler.LockFile([platform])
    lock.set_channels("default", [rattler.LockChannel(channel)])
    for record in records:
        lock.add_conda_package("default", platform, record)
    lock.to_path(folder / "pixi.lock")
    return (folder / "pixi.lock").read_text()


@pytest.mark.parametrize("how", ["as-step-file", "as-detail"])
def test_a_conda_lock_is_installed_as_locked_without_a_solve(tmp_path, channel, local, how):
    lock = _pixi_lock(channel, ["conda-demo-next <2", "python"], tmp_path)
    yml = (
        f"channels: [{channel}]\n"
        "dependencies:\n  - python\n  - conda-demo-next\n  - pip:\n    - demo-dep\n"
    )
    files = {"environment.yml": yml, "pixi.lock": lock}
    if how == "as-step-file":
        step = Step(kind="conda", file="pixi.lock")
    else:
        step = Step(kind="conda", file="environment.yml", detail={"lock": "pixi.lock"})
    plan = plan_of(Step(kind="interpreter", detail={"source": "conda"}), step)
    env = create_environment(plan, files, cache_dir=tmp_path / "cache", index=local)
    # A solve of environment.yml would give 2.0: the lock says 1.0.
    assert run_in(env.python, "import conda_demo_next; print(conda_demo_next.VALUE)") == "1"
    assert run_in(env.python, "import demo_dep; print(demo_dep.__version__)") == "1.0"
    # Without the lock, the same environment.yml solves to 2.0 (another environment).
    solved = create_environment(
        conda_plan(), {"environment.yml": yml}, cache_dir=tmp_path / "cache", index=local
    )
    assert solved.key != env.key
    assert run_in(solved.python, "import conda_demo_next; print(conda_demo_next.VALUE)") == "2"


def test_a_conda_lock_without_this_platform_says_which_it_has(tmp_path, channel):
    lock = _pixi_lock(channel, ["python"], tmp_path)
    import rattler

    here = str(rattler.Subdir.current())
    other = "osx-arm64" if here != "osx-arm64" else "linux-64"
    lock = lock.replace(here, other)
    plan = plan_of(
        Step(kind="interpreter", detail={"source": "conda"}), Step(kind="conda", file="pixi.lock")
    )
    with pytest.raises(BuildError) as caught:
        create_environment(plan, {"pixi.lock": lock}, cache_dir=tmp_path / "cache")
    assert f"no packages for this machine's platform {here} (it has: {other})" in str(caught.value)
    assert cache_state(tmp_path / "cache") == {"envs": [], "tmp": []}


def test_the_pip_part_cannot_pass_options_to_uv_and_reads_included_files(tmp_path, channel, local):
    # "- --index-url=..." in the pip: list is a line of a requirements file, left out
    # with a note, never an option of uv; "-r requirements.txt" reads the embedded file.
    yml = (
        f"channels: [{channel}]\n"
        "dependencies:\n  - python\n  - pip:\n"
        "    - --index-url=https://user:token@127.0.0.1:9/simple\n"
        "    - -r requirements.txt\n"
    )
    files = {"environment.yml": yml, "requirements.txt": "-i https://127.0.0.1:9/x\ndemo-dep\n"}
    env = create_environment(conda_plan(), files, cache_dir=tmp_path, index=local)
    assert run_in(env.python, "import demo_dep; print(demo_dep.__version__)") == "1.0"
    assert env.notes[0].startswith("environment.yml (pip:), line 1: --index-url ignored")
    assert "token" not in env.log.read_text()  # type: ignore[union-attr]
