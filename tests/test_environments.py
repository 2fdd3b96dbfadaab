"""Creating environments from launch plans: real uv, real rattler, packages made here.

The plans are written by hand (the plan function has its own tests); each test
creates a real environment from wheels or a conda channel the test wrote, then
runs its Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from envspec.environments import BuildError, IndexOptions, ProgressEvent, create_environment
from envspec.environments.cache import (
    INCOMPLETE,
    METADATA,
    collect_garbage,
    list_environments,
    remove_environment,
)
from envspec.launch.plan import KernelChoice, LaunchPlan, Refusal, Step
from packages import pylock, wheel

INTERPRETER = os.path.realpath(sys.executable)
VERSION = ".".join(str(n) for n in sys.version_info[:3])
KERNEL = KernelChoice(name="python3", source="default")


@pytest.fixture(autouse=True)
def _uv_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # One uv cache for these tests, away from the user's.
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheels")
    wheel(
        folder,
        "demo-pkg",
        "1.0",
        requires=["demo-dep>=1"],
        code="def main():\n    print('hello from demo-pkg')\n",
        scripts={"demo-hello": "demo_pkg:main"},
    )
    wheel(folder, "demo-pkg", "2.0", requires=["demo-dep>=1"])
    wheel(folder, "demo-dep", "1.0")
    # ipykernel for the kernel step without the package index (a stand-in).
    wheel(folder, "ipykernel", "0.0.1", code="STAND_IN = True\n")
    return folder


@pytest.fixture
def local(wheels: Path) -> IndexOptions:
    return IndexOptions(find_links=(str(wheels),), no_index=True)


def plan_of(*steps: Step, refusals: tuple[Refusal, ...] = ()) -> LaunchPlan:
    return LaunchPlan(backend="local", steps=steps, kernel=KERNEL, refusals=refusals)


def venv_step(pin: str | None = None) -> Step:
    detail = {"version": VERSION, "path": INTERPRETER}
    return Step(kind="interpreter", detail={**detail, **({"python": pin} if pin else {})})


def pip_plan(*extra: Step) -> LaunchPlan:
    return plan_of(venv_step(), Step(kind="pip", file="requirements.txt"), *extra)


def run_in(env_python: Path, code: str) -> str:
    result = subprocess.run(
        [str(env_python), "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def cache_state(cache: Path) -> dict[str, list[str]]:
    return {
        name: sorted(os.listdir(cache / name)) if (cache / name).exists() else []
        for name in ("envs", "tmp")
    }


# ---------------------------------------------------------------------------- pip, pylock


def test_requirements_are_installed_and_the_package_imports_in_the_environment(tmp_path, local):
    events: list[ProgressEvent] = []
    env = create_environment(
        pip_plan(),
        {"requirements.txt": "demo-pkg<2\n"},
        cache_dir=tmp_path / "cache",
        index=local,
        progress=events.append,
    )
    assert not env.reused
    assert env.prefix == tmp_path / "cache" / "envs" / env.key
    assert run_in(env.python, "import demo_pkg, demo_dep; print(demo_pkg.__version__)") == "1.0"
    # The environment runs its own Python, not the one running the tests.
    assert run_in(env.python, "import sys; print(sys.prefix)") == str(env.prefix)
    # A console script works: the environment was not moved after it was written.
    script = subprocess.run(
        [str(env.prefix / "bin" / "demo-hello")], capture_output=True, text=True, check=True
    )
    assert script.stdout == "hello from demo-pkg\n"
    meta = json.loads((env.prefix / METADATA).read_text())
    assert meta["key"] == env.key
    assert meta["inputs"]["files"] == ["requirements.txt"]
    assert sorted(meta["inputs"]["installed"]["pip"]) == ["demo-dep==1.0", "demo-pkg==1.0"]
    assert not (env.prefix / INCOMPLETE).exists()
    kinds = [e.kind for e in events]
    assert kinds[0] == "begin"
    assert events[0].message == "requirements.txt: 1 package"
    assert kinds[-1] == "end"
    resolved = next(e for e in events if e.kind == "resolved")
    assert resolved.total == 2
    installed = [e for e in events if e.kind == "installed"]
    assert (installed[-1].done, installed[-1].total) == (2, 2)
    assert cache_state(tmp_path / "cache") == {"envs": [env.key], "tmp": []}


def test_the_same_inputs_reuse_the_environment_without_building(tmp_path, local):
    files = {"requirements.txt": "demo-pkg<2\n"}
    first = create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    logs = sorted(os.listdir(tmp_path / "logs"))
    events: list[ProgressEvent] = []
    second = create_environment(
        pip_plan(), files, cache_dir=tmp_path, index=local, progress=events.append
    )
    assert second.reused
    assert (second.key, second.prefix, second.python) == (first.key, first.prefix, first.python)
    assert [e.kind for e in events] == ["reused"]
    assert sorted(os.listdir(tmp_path / "logs")) == logs  # nothing was built


def test_different_inputs_make_different_environments(tmp_path, local):
    one = create_environment(
        pip_plan(), {"requirements.txt": "demo-pkg<2\n"}, cache_dir=tmp_path, index=local
    )
    two = create_environment(
        pip_plan(), {"requirements.txt": "demo-pkg>=2\n"}, cache_dir=tmp_path, index=local
    )
    assert one.key != two.key
    assert run_in(two.python, "import demo_pkg; print(demo_pkg.__version__)") == "2.0"
    # A file the plan does not apply does not change the key.
    three = create_environment(
        pip_plan(),
        {"requirements.txt": "demo-pkg<2\n", "README.md": "x"},
        cache_dir=tmp_path,
        index=local,
    )
    assert three.key == one.key
    assert three.reused


def test_index_options_inside_requirements_are_left_out_and_said(tmp_path, local):
    text = (
        "--index-url https://user:secret@127.0.0.1:9/simple\n"
        "--extra-index-url=https://127.0.0.1:9/other\n"
        "-f /somewhere/local\n"
        "demo-pkg<2\n"
    )
    env = create_environment(
        pip_plan(), {"requirements.txt": text}, cache_dir=tmp_path, index=local
    )
    assert run_in(env.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"
    assert len(env.notes) == 3
    assert env.notes[0].startswith("requirements.txt, line 1: --index-url ignored")
    assert "secret" not in env.log.read_text()  # type: ignore[union-attr]
    again = create_environment(
        pip_plan(), {"requirements.txt": text}, cache_dir=tmp_path, index=local
    )
    assert again.reused
    assert again.notes == env.notes


def test_credentials_of_index_urls_stay_out_of_the_log_and_metadata(tmp_path, local):
    index = IndexOptions(
        extra_index_urls=("https://user:s3cr3t-token@127.0.0.1:9/simple",),
        find_links=local.find_links,
        offline=True,
    )
    env = create_environment(
        pip_plan(), {"requirements.txt": "demo-pkg<2\n"}, cache_dir=tmp_path, index=index
    )
    log = env.log.read_text()  # type: ignore[union-attr]
    assert "https://user:***@127.0.0.1:9/simple" in log
    assert "s3cr3t" not in log
    assert "s3cr3t" not in (env.prefix / METADATA).read_text()


def test_pylock_installs_exactly_what_it_lists(tmp_path, wheels, local):
    lock = pylock(
        {
            "demo-pkg": ("1.0", wheels / "demo_pkg-1.0-py3-none-any.whl"),
            "demo-dep": ("1.0", wheels / "demo_dep-1.0-py3-none-any.whl"),
        }
    )
    plan = plan_of(venv_step(), Step(kind="pylock", file="pylock.toml"))
    env = create_environment(
        plan,
        {"pylock.toml": lock, "requirements.txt": "demo-pkg>=2\n"},
        cache_dir=tmp_path,
        index=local,
    )
    assert run_in(env.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"


def test_kernel_step_installs_ipykernel_from_find_links(tmp_path, local):
    env = create_environment(
        pip_plan(Step(kind="kernel")),
        {"requirements.txt": "demo-dep\n"},
        cache_dir=tmp_path,
        index=local,
    )
    assert run_in(env.python, "import ipykernel; print(ipykernel.STAND_IN)") == "True"


def test_kernel_step_without_ipykernel_anywhere_says_where_it_comes_from(tmp_path, wheels):
    index = IndexOptions(find_links=(str(tmp_path / "empty"),), no_index=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BuildError) as caught:
        create_environment(
            plan_of(venv_step(), Step(kind="kernel")), {}, cache_dir=tmp_path, index=index
        )
    assert "installing ipykernel failed" in caught.value.message
    assert "--find-links" in caught.value.hint


@pytest.mark.slow
def test_kernel_step_installs_the_real_ipykernel_from_the_index(tmp_path):
    env = create_environment(plan_of(venv_step(), Step(kind="kernel")), {}, cache_dir=tmp_path)
    assert (
        run_in(
            env.python, "import ipykernel, sys; print(ipykernel.__file__.startswith(sys.prefix))"
        )
        == "True"
    )


# ---------------------------------------------------------------------------- failures


def test_unsatisfiable_requirement_leaves_no_environment_and_keeps_the_log(tmp_path, local):
    with pytest.raises(BuildError) as caught:
        create_environment(
            pip_plan(), {"requirements.txt": "demo-pkg>=9\n"}, cache_dir=tmp_path, index=local
        )
    error = caught.value
    assert error.message.startswith("installing requirements.txt failed:")
    assert "demo-pkg>=9" in error.message
    assert error.log is not None
    assert error.log.exists()
    assert "demo-pkg>=9" in error.log.read_text()
    assert error.tail
    assert any("unsatisfiable" in line for line in error.tail)
    text = str(error)
    assert "last lines of the build log:" in text
    assert f"build log: {error.log}" in text
    assert cache_state(tmp_path) == {"envs": [], "tmp": []}


def test_pinned_python_without_an_interpreter_names_the_pin(tmp_path):
    plan = plan_of(
        Step(kind="interpreter", detail={"python": "3.99"}),
        Step(kind="pip", file="requirements.txt"),
    )
    with pytest.raises(BuildError) as caught:
        create_environment(plan, {"requirements.txt": "x\n"}, cache_dir=tmp_path)
    assert "Python 3.99 is needed" in caught.value.message
    assert "uv python install 3.99" in caught.value.hint
    assert cache_state(tmp_path) == {"envs": [], "tmp": []}


def test_a_refused_plan_creates_nothing(tmp_path):
    refusal = Refusal(
        code="launch-python-unavailable",
        message="Python 3.99 is pinned",
        hint="Install Python 3.99",
    )
    with pytest.raises(BuildError) as caught:
        create_environment(plan_of(venv_step(), refusals=(refusal,)), {}, cache_dir=tmp_path)
    assert "Python 3.99 is pinned [launch-python-unavailable]" in caught.value.message
    assert not tmp_path.joinpath("envs").exists()


def test_other_backends_are_not_built_here(tmp_path):
    plan = LaunchPlan(backend="docker", steps=(Step(kind="image"),), kernel=KERNEL)
    with pytest.raises(BuildError, match="docker backend"):
        create_environment(plan, {}, cache_dir=tmp_path)


def _limit_file_size() -> None:  # in the child, before exec
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
def test_a_disk_that_fills_up_during_the_build_leaves_nothing_half_built(tmp_path):
    big = tmp_path / "big-wheels"
    wheel(big, "big-pkg", "1.0", code="DATA = " + repr("x" * 600_000) + "\n")
    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from test_environments import pip_plan
from envspec.environments import BuildError, IndexOptions, create_environment
try:
    create_environment(pip_plan(), {{"requirements.txt": "big-pkg\\n"}},
                       cache_dir=Path({str(tmp_path / "cache")!r}),
                       index=IndexOptions(find_links=({str(big)!r},), no_index=True))
except BuildError as error:
    print(error)
    sys.exit(1)
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        preexec_fn=_limit_file_size,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("installing requirements.txt failed:")
    assert "uv was killed by SIGXFSZ (a file grew beyond the file size limit)" in result.stdout
    assert "build log: " in result.stdout
    assert cache_state(tmp_path / "cache") == {"envs": [], "tmp": []}


# ---------------------------------------------------------------------------- postBuild, apt


POST_BUILD = """#!/bin/sh
set -e
echo "postBuild ran in $(pwd)"
command -v python > "$MARKER"
ls >> "$MARKER"
"""


def test_trusted_post_build_runs_in_the_files_folder_with_the_environment_first(
    tmp_path, local, monkeypatch
):
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    plan = pip_plan(Step(kind="post-build", file="postBuild"))
    files = {"requirements.txt": "demo-dep\n", "postBuild": POST_BUILD}
    env = create_environment(plan, files, cache_dir=tmp_path / "cache", index=local)
    python, *listing = marker.read_text().splitlines()
    assert python == str(env.prefix / "bin" / "python")
    assert listing == ["postBuild", "requirements.txt"]
    assert "postBuild ran in " in env.log.read_text()  # type: ignore[union-attr]
    assert cache_state(tmp_path / "cache")["tmp"] == []


def test_untrusted_post_build_never_runs(tmp_path, local, monkeypatch):
    # The plan of an untrusted notebook has no post-build step, only a refusal.
    marker = tmp_path / "marker"
    monkeypatch.setenv("MARKER", str(marker))
    refusal = Refusal(code="launch-untrusted-code", message="postBuild is code", hint="--trust")
    files = {"requirements.txt": "demo-dep\n", "postBuild": POST_BUILD}
    with pytest.raises(BuildError):
        create_environment(
            plan_of(venv_step(), refusals=(refusal,)), files, cache_dir=tmp_path, index=local
        )
    # Without the step the build goes on and postBuild does not run either.
    create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    assert not marker.exists()


def test_failing_post_build_fails_the_build_with_its_output(tmp_path, local):
    files = {
        "requirements.txt": "demo-dep\n",
        "postBuild": "#!/bin/sh\necho about to fail\nexit 3\n",
    }
    with pytest.raises(BuildError) as caught:
        create_environment(
            pip_plan(Step(kind="post-build", file="postBuild")),
            files,
            cache_dir=tmp_path,
            index=local,
        )
    assert caught.value.message == "postBuild failed with exit status 3"
    assert "about to fail" in caught.value.tail
    assert cache_state(tmp_path) == {"envs": [], "tmp": []}


@pytest.mark.skipif(not os.path.exists("/usr/bin/dpkg-query"), reason="a Debian-like system")
def test_apt_packages_are_checked_and_missing_ones_reported_not_installed(tmp_path, local):
    plan = pip_plan(Step(kind="apt-check", file="apt.txt"))
    files = {
        "requirements.txt": "demo-dep\n",
        "apt.txt": "# tools\ncoreutils\nenvspec-no-such-package\n",
    }
    env = create_environment(plan, files, cache_dir=tmp_path, index=local)
    (note,) = env.notes
    assert "1 system package is not installed on this machine (envspec-no-such-package)" in note
    assert note.endswith("sudo apt-get install -y envspec-no-such-package")
    # Checked again on reuse: the machine may have changed.
    assert create_environment(plan, files, cache_dir=tmp_path, index=local).notes == (note,)


# ---------------------------------------------------------------------------- --prefix


def test_prefix_builds_there_and_reuses_it(tmp_path, local):
    target = tmp_path / "my-env"
    files = {"requirements.txt": "demo-pkg<2\n"}
    env = create_environment(
        pip_plan(), files, cache_dir=tmp_path / "cache", prefix=target, index=local
    )
    assert env.prefix == target
    assert run_in(env.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"
    assert not (tmp_path / "cache" / "envs").exists()
    again = create_environment(
        pip_plan(), files, cache_dir=tmp_path / "cache", prefix=target, index=local
    )
    assert again.reused


def test_prefix_refuses_a_folder_that_is_not_empty(tmp_path, local):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(BuildError, match="is not empty"):
        create_environment(
            pip_plan(),
            {"requirements.txt": "demo-dep\n"},
            cache_dir=tmp_path / "cache",
            prefix=target,
            index=local,
        )
    assert os.listdir(target) == ["notes.txt"]
    other = tmp_path / "other"
    create_environment(
        pip_plan(),
        {"requirements.txt": "demo-dep\n"},
        cache_dir=tmp_path / "cache",
        prefix=other,
        index=local,
    )
    with pytest.raises(BuildError, match="for other inputs"):
        create_environment(
            pip_plan(),
            {"requirements.txt": "demo-pkg\n"},
            cache_dir=tmp_path / "cache",
            prefix=other,
            index=local,
        )


def test_failed_build_in_an_empty_prefix_keeps_the_folder_empty(tmp_path, local):
    target = tmp_path / "empty"
    target.mkdir()
    with pytest.raises(BuildError):
        create_environment(
            pip_plan(),
            {"requirements.txt": "demo-pkg>=9\n"},
            cache_dir=tmp_path / "cache",
            prefix=target,
            index=local,
        )
    assert target.is_dir()
    assert os.listdir(target) == []


# ---------------------------------------------------------------------------- concurrency, cache


def test_two_creates_at_once_build_once(tmp_path, local):
    results = []
    files = {"requirements.txt": "demo-pkg<2\n"}

    def create() -> None:
        results.append(create_environment(pip_plan(), files, cache_dir=tmp_path, index=local))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.reused for r in results) == [False, True]
    assert len(os.listdir(tmp_path / "logs")) == 1


def test_a_build_killed_midway_is_never_used_and_is_rebuilt(tmp_path, local):
    files = {"requirements.txt": "demo-pkg<2\n"}
    env = create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    # What a killed build leaves: no metadata, the incomplete marker.
    (env.prefix / METADATA).unlink()
    (env.prefix / INCOMPLETE).write_text(env.key)
    (env.prefix / "bin" / "python").unlink()
    assert [e.state for e in list_environments(tmp_path)] == ["incomplete"]
    again = create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    assert not again.reused
    assert run_in(again.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"


def test_list_remove_and_gc(tmp_path, local):
    one = create_environment(
        pip_plan(), {"requirements.txt": "demo-dep\n"}, cache_dir=tmp_path, index=local
    )
    two = create_environment(
        pip_plan(), {"requirements.txt": "demo-pkg<2\n"}, cache_dir=tmp_path, index=local
    )
    killed = tmp_path / "envs" / ("0" * 20)
    killed.mkdir()
    (killed / INCOMPLETE).write_text("0" * 20)
    (tmp_path / "tmp" / ("0" * 20 + "-abcd")).mkdir(parents=True)
    listed = {e.key: e for e in list_environments(tmp_path, sizes=True)}
    assert listed[one.key].state == listed[two.key].state == "complete"
    assert listed[one.key].inputs["files"] == ["requirements.txt"]
    assert listed[one.key].size
    assert listed[one.key].size > 0
    assert listed["0" * 20].state == "incomplete"

    collected = collect_garbage(tmp_path)
    assert collected.incomplete == ("0" * 20,)
    assert collected.temporary == 1
    assert collected.environments == ()
    assert sorted(e.key for e in list_environments(tmp_path)) == sorted([one.key, two.key])

    os.utime(one.prefix / METADATA, (0, 0))  # unused since 1970
    collected = collect_garbage(tmp_path, older_than_days=30)
    assert collected.environments == (one.key,)
    assert collected.logs == 1  # its build log goes with it
    assert [e.key for e in list_environments(tmp_path)] == [two.key]

    assert remove_environment(tmp_path, two.key[:6]) == two.prefix
    assert not two.prefix.exists()
    with pytest.raises(LookupError, match="no environment of the cache matches"):
        remove_environment(tmp_path, two.key)
    # The logs of environments that are gone go with the next gc.
    assert collect_garbage(tmp_path).logs == 1
    assert os.listdir(tmp_path / "logs") == []


def test_an_interrupted_build_leaves_nothing_half_built(tmp_path, local):
    def interrupt(event: ProgressEvent) -> None:
        if event.kind == "step-started" and event.step == "pip":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        create_environment(
            pip_plan(),
            {"requirements.txt": "demo-pkg<2\n"},
            cache_dir=tmp_path,
            index=local,
            progress=interrupt,
        )
    assert cache_state(tmp_path) == {"envs": [], "tmp": []}
    assert len(os.listdir(tmp_path / "logs")) == 1


def test_an_environment_damaged_since_is_built_again(tmp_path, local):
    files = {"requirements.txt": "demo-pkg<2\n"}
    env = create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    (env.prefix / "bin" / "python").unlink()
    again = create_environment(pip_plan(), files, cache_dir=tmp_path, index=local)
    assert not again.reused
    assert run_in(again.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"


def test_apt_check_without_dpkg_query_lists_the_packages_to_check(tmp_path, monkeypatch):
    from envspec.environments.apt import apt_packages, check_apt

    monkeypatch.setenv("PATH", str(tmp_path))  # no dpkg-query here
    packages = apt_packages("# graphics\nlibgl1  # GL\n\nffmpeg\n")
    assert packages == ("libgl1", "ffmpeg")
    note = check_apt(packages).note()
    assert note is not None
    assert "no dpkg-query" in note
    assert note.endswith("libgl1 ffmpeg")


def test_a_cache_folder_that_cannot_be_written_is_a_clear_error(tmp_path, local):
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder should be")
    with pytest.raises(BuildError) as caught:
        create_environment(
            pip_plan(), {"requirements.txt": "demo-dep\n"}, cache_dir=blocked, index=local
        )
    assert caught.value.message.startswith(f"the environment cannot be created in {blocked}: ")
    assert "ENVSPEC_CACHE_DIR" in caught.value.hint


def test_a_damaged_environment_in_a_prefix_is_built_again(tmp_path, local):
    files = {"requirements.txt": "demo-pkg<2\n"}
    target = tmp_path / "env"
    create_environment(pip_plan(), files, cache_dir=tmp_path / "cache", prefix=target, index=local)
    (target / "bin" / "python").unlink()
    again = create_environment(
        pip_plan(), files, cache_dir=tmp_path / "cache", prefix=target, index=local
    )
    assert not again.reused
    assert run_in(again.python, "import demo_pkg; print(demo_pkg.__version__)") == "1.0"


SLEEPING_POST_BUILD = """#!/bin/sh
sleep 300 &
echo $! > "$MARKER.tmp"
echo $$ >> "$MARKER.tmp"
mv "$MARKER.tmp" "$MARKER"
wait
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] not in (b"Z", b"X")


@pytest.mark.slow
def test_ctrl_c_during_post_build_stops_the_script_and_what_it_started(tmp_path, wheels):
    import signal
    import time

    marker = tmp_path / "marker"
    cache = tmp_path / "cache"
    script = f"""
from pathlib import Path
from envspec.environments import IndexOptions, create_environment
from envspec.launch.plan import KernelChoice, LaunchPlan, Step
plan = LaunchPlan(
    backend="local",
    kernel=KernelChoice(name="python3", source="default"),
    steps=(
        Step(kind="interpreter", detail={{"version": {VERSION!r}, "path": {INTERPRETER!r}}}),
        Step(kind="pip", file="requirements.txt"),
        Step(kind="post-build", file="postBuild"),
    ),
)
create_environment(
    plan,
    {{"requirements.txt": "demo-dep\\n", "postBuild": {SLEEPING_POST_BUILD!r}}},
    cache_dir=Path({str(cache)!r}),
    index=IndexOptions(find_links=({str(wheels)!r},), no_index=True),
)
"""
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**os.environ, "MARKER": str(marker)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "postBuild never started"
            time.sleep(0.05)
        sleeper, shell = (int(line) for line in marker.read_text().split())
        assert _alive(sleeper)
        assert _alive(shell)
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0
    assert b"KeyboardInterrupt" in err
    deadline = time.monotonic() + 10
    while (_alive(sleeper) or _alive(shell)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(sleeper), "the process postBuild started outlived the build"
    assert not _alive(shell), "postBuild outlived the build"
    assert cache_state(cache) == {"envs": [], "tmp": []}


def test_one_interpreter_reached_two_ways_is_one_environment(tmp_path, local):
    link = tmp_path / "bin" / "python-link"
    link.parent.mkdir()
    link.symlink_to(INTERPRETER)
    files = {"requirements.txt": "demo-dep\n"}
    first = create_environment(pip_plan(), files, cache_dir=tmp_path / "cache", index=local)
    other = plan_of(
        Step(kind="interpreter", detail={"version": VERSION, "path": str(link)}),
        Step(kind="pip", file="requirements.txt"),
    )
    second = create_environment(other, files, cache_dir=tmp_path / "cache", index=local)
    assert second.reused
    assert second.key == first.key
