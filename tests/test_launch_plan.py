"""The launch plan: which backend, which steps in which order, which kernel, what is refused.

The plan is a pure function of the environment, the notebook's kernelspec and the
options; these tests give it hand-made inputs and read the plan as a user of
``envspec launch --dry-run`` would.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from envspec.launch.plan import (
    Interpreter,
    LaunchOptions,
    LaunchPlan,
    Machine,
    plan_launch,
)
from envspec.models.v1_0 import Environment
from envspec.vocabulary import FILES

PY312 = Interpreter(version="3.12.4", path="/opt/py312/bin/python3")
PY311 = Interpreter(version="3.11.9", path="/usr/bin/python3.11")
HERE = LaunchOptions(interpreters=(PY311, PY312), tools=frozenset({"docker", "guix"}))
DIGEST = "sha256:" + "ab" * 32

TEXT: dict[str, str] = {
    "requirements.txt": "numpy\n",
    "environment.yml": "dependencies: [numpy]\n",
    "environment.yaml": "dependencies: [numpy]\n",
    "apt.txt": "curl\n",
    "runtime.txt": "python-3.12\n",
    "postBuild": "#!/bin/sh\nset -e\n",
    "start": '#!/bin/sh\nexec "$@"\n',
    "Dockerfile": "FROM python:3.12\n",
    "pylock.toml": 'lock-version = "1.0"\ncreated-by = "uv"\npackages = []\n',
    "manifest.scm": '(specifications->manifest (list "python"))\n',
    "channels.scm": "(list)\n",
    "Pipfile": "[packages]\n",
    "Pipfile.lock": '{"_meta": {}, "default": {}}\n',
    "Project.toml": "[deps]\n",
    "Manifest.toml": "\n",
    "install.R": "install.packages('x')\n",
    "default.nix": "{}\n",
}


def env(**members: Any) -> Environment:
    files = members.pop("files", None)
    if isinstance(files, list | tuple):
        files = {name: TEXT[name] for name in files}
    document = {"env_ver": "1.0", **members}
    if files is not None:
        document["files"] = files
    return Environment.model_validate(document)


def plan(environment: Environment, kernelspec: Any = None, **options: Any) -> LaunchPlan:
    base = HERE.model_dump()
    base.update(options)
    return plan_launch(environment, kernelspec=kernelspec, options=LaunchOptions(**base))


def steps(p: LaunchPlan) -> list[tuple[str, str | None]]:
    return [(s.kind, s.file) for s in p.steps]


def codes(p: LaunchPlan) -> list[str]:
    return [r.code for r in p.refusals]


def skipped(p: LaunchPlan) -> dict[str, str]:
    return {s.file: s.code for s in p.skipped}


# ------------------------------------------------------------------- precedence and order


def test_a_full_local_environment_runs_its_steps_in_the_standard_order():
    p = plan(
        env(files=["environment.yml", "pylock.toml", "apt.txt", "postBuild", "start"]),
        trusted=True,
    )
    assert p.ok
    assert p.backend == "local"
    assert steps(p) == [
        ("interpreter", None),
        ("conda", "environment.yml"),
        ("pylock", "pylock.toml"),
        ("apt-check", "apt.txt"),
        ("post-build", "postBuild"),
        ("kernel", None),
        ("start", "start"),
    ]


def test_environment_yml_wins_over_requirements_txt_as_on_binder():
    p = plan(env(files=["requirements.txt", "environment.yml", "runtime.txt"]))
    assert ("conda", "environment.yml") in steps(p)
    assert not any(kind == "pip" for kind, _ in steps(p))
    assert skipped(p) == {
        "requirements.txt": "ignored-by-binder",
        "runtime.txt": "ignored-by-binder",
    }
    assert "environment.yml" in p.skipped[0].message


def test_a_dockerfile_wins_over_everything_and_needs_trust():
    p = plan(env(files=["Dockerfile", "requirements.txt", "pylock.toml"]))
    assert p.backend == "docker"
    assert steps(p) == [("dockerfile", "Dockerfile")]
    assert skipped(p) == {
        "requirements.txt": "ignored-by-binder",
        "pylock.toml": "launch-file-not-applied",
    }
    assert codes(p) == ["launch-untrusted"]
    assert "--trust" in p.refusals[0].hint
    assert plan(env(files=["Dockerfile"]), trusted=True).ok


def test_pylock_takes_precedence_over_requirements_txt():
    p = plan(env(files=["requirements.txt", "pylock.toml"]))
    assert steps(p) == [("interpreter", None), ("pylock", "pylock.toml"), ("kernel", None)]
    assert skipped(p) == {"requirements.txt": "launch-file-superseded"}
    assert p.ok


def test_pipfile_selected_by_binder_is_refused_locally_not_skipped():
    p = plan(env(files=["Pipfile", "requirements.txt"]))
    assert skipped(p) == {"requirements.txt": "ignored-by-binder"}
    assert codes(p) == ["launch-file-unsupported"]
    assert p.refusals[0].pointer == "/files/Pipfile"


def test_files_binder_would_not_select_are_skipped_with_a_code():
    p = plan(env(files=["requirements.txt", "install.R", "manifest.scm"]), trusted=True)
    assert p.ok
    assert skipped(p) == {
        "install.R": "ignored-by-binder",
        "manifest.scm": "launch-file-not-applied",
    }


def test_an_r_runtime_is_refused_by_the_local_backend():
    p = plan(env(files={"runtime.txt": "r-4.4-2024-06-01\n", "install.R": "x\n"}))
    assert "launch-file-unsupported" in codes(p)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_every_embedded_file_is_applied_skipped_or_refused(size):
    names = sorted(set(FILES) - {"environment.yaml"})
    for chosen in itertools.combinations(names, size):
        p = plan(env(files=list(chosen)), trusted=True)
        applied = {s.file for s in p.steps if s.file} | {
            s.file for s in p.steps if s.detail.get("channels")
        }
        applied |= {"channels.scm"} if p.backend == "guix" and "channels.scm" in chosen else set()
        left = set(chosen) - applied - set(skipped(p))
        refused = {r.pointer.removeprefix("/files/") for r in p.refusals}
        assert left <= refused, (chosen, steps(p), p.skipped, p.refusals)


# --------------------------------------------------------------------------------- backends


def test_guix_is_chosen_when_the_manifest_is_the_only_input():
    p = plan(env(files=["manifest.scm", "channels.scm"]), trusted=True)
    assert p.backend == "guix"
    assert p.ok
    assert steps(p) == [("guix", "manifest.scm"), ("kernel", None)]
    assert p.steps[0].detail["channels"] == "channels.scm"


def test_guix_files_are_code_and_need_trust():
    p = plan(env(files=["manifest.scm", "channels.scm"]))
    assert codes(p) == ["launch-untrusted", "launch-untrusted"]


def test_a_missing_tool_is_a_refusal_naming_it():
    p = plan(env(files=["manifest.scm"]), trusted=True, tools=frozenset())
    assert codes(p) == ["launch-tool-missing"]
    assert "'guix'" in p.refusals[0].message
    p = plan(env(image={"ref": "python:3.12", "digest": DIGEST}), tools=frozenset({"podman"}))
    assert p.ok
    assert p.steps[0].detail["engine"] == "podman"


def test_a_backend_asked_for_that_cannot_apply_the_inputs_is_refused():
    p = plan(env(files=["requirements.txt"]), backend="guix")
    assert p.backend == "guix"
    assert codes(p) == ["launch-backend-unsupported"]
    assert p.steps == ()
    assert codes(plan(env(files=["requirements.txt"]), backend="docker")) == [
        "launch-backend-unsupported"
    ]
    assert codes(plan(env(files=["Dockerfile"]), backend="local")) == ["launch-backend-unsupported"]


def test_guix_asked_for_applies_the_manifest_and_skips_the_rest():
    p = plan(env(files=["manifest.scm", "requirements.txt"]), backend="guix", trusted=True)
    assert p.ok
    assert steps(p) == [("guix", "manifest.scm"), ("kernel", None)]
    assert skipped(p) == {"requirements.txt": "launch-file-not-applied"}


def test_an_image_runs_by_digest():
    p = plan(env(image={"ref": "quay.io/jupyter/scipy-notebook:2024-05-27", "digest": DIGEST}))
    assert p.backend == "docker"
    assert p.ok
    assert p.steps[0].kind == "image"
    assert p.steps[0].detail["reference"] == f"quay.io/jupyter/scipy-notebook:2024-05-27@{DIGEST}"
    assert p.notes == ()


def test_an_image_without_digest_runs_by_tag_with_a_warning():
    p = plan(env(image={"ref": "python:3.12"}))
    assert p.ok
    assert p.steps[0].detail["reference"] == "python:3.12"
    assert [n.code for n in p.notes] == ["image-unpinned"]


def test_an_image_beside_files_is_built_from_the_files_unless_docker_is_asked():
    e = env(image={"ref": "python:3.12", "digest": DIGEST}, files=["requirements.txt"])
    assert plan(e).backend == "local"
    p = plan(e, backend="docker")
    assert p.ok
    assert steps(p) == [("image", None)]
    assert skipped(p) == {"requirements.txt": "launch-file-not-applied"}


# ------------------------------------------------------------------------------ python pin


def test_a_minor_pin_is_met_by_any_patch_release():
    p = plan(env(python="3.12", files=["requirements.txt"]))
    assert p.ok
    assert p.steps[0].detail["version"] == "3.12.4"
    assert p.steps[0].detail["path"] == PY312.path


def test_a_patch_pin_needs_that_exact_release():
    p = plan(env(python="3.12.1", files=["requirements.txt"]))
    assert codes(p) == ["launch-python-unavailable"]
    message = p.refusals[0].message
    assert "3.12.1" in message
    assert "3.11.9" in message
    assert "3.12.4" in message
    assert p.refusals[0].pointer == "/python"


def test_a_pin_nothing_meets_is_refused_never_another_version():
    p = plan(env(python="3.13"), interpreters=(PY311,))
    assert codes(p) == ["launch-python-unavailable"]
    assert "found: 3.11.9" in p.refusals[0].message
    assert "uv python install 3.13" in p.refusals[0].hint


def test_with_conda_the_pin_is_solved_from_the_channel():
    p = plan(env(python="3.13", files=["environment.yml"]), interpreters=())
    assert p.ok
    assert p.steps[0].detail == {"source": "conda", "python": "3.13"}


def test_runtime_txt_pins_python():
    p = plan(env(files={"runtime.txt": "python-3.11\n", "requirements.txt": "x\n"}))
    assert p.ok
    assert steps(p)[0] == ("interpreter", "runtime.txt")
    assert p.steps[0].detail["version"] == "3.11.9"
    p = plan(env(files={"runtime.txt": "python-3.10\n"}))
    assert codes(p) == ["launch-python-unavailable"]
    assert p.refusals[0].pointer == "/files/runtime.txt"


def test_runtime_txt_and_python_that_disagree_are_refused():
    p = plan(env(python="3.12", files={"runtime.txt": "python-3.11\n"}))
    assert "python-mismatch" in codes(p)


def test_without_a_pin_the_first_interpreter_found_is_used():
    assert plan(env()).steps[0].detail["version"] == "3.11.9"
    assert codes(plan(env(), interpreters=())) == ["launch-python-unavailable"]


# ------------------------------------------------------------------------------ variables


def test_a_null_variable_not_supplied_is_required_and_refused():
    p = plan(env(env={"WANDB_API_KEY": None, "MPLBACKEND": "Agg"}))
    assert p.required == ("WANDB_API_KEY",)
    assert p.variables == ("MPLBACKEND",)
    assert codes(p) == ["launch-variable-missing"]
    assert p.refusals[0].pointer == "/env/WANDB_API_KEY"
    assert "--env WANDB_API_KEY=VALUE" in p.refusals[0].hint


def test_a_supplied_variable_is_set_and_its_value_never_enters_the_plan():
    p = plan(env(env={"WANDB_API_KEY": None}), variables=frozenset({"WANDB_API_KEY", "EXTRA"}))
    assert p.ok
    assert p.required == ()
    assert p.variables == ("EXTRA", "WANDB_API_KEY")


def test_going_on_without_a_variable_is_the_launching_persons_choice():
    p = plan(env(env={"TOKEN": None}), allow_missing_variables=True)
    assert p.ok
    assert p.required == ("TOKEN",)


# ---------------------------------------------------------------------------- trust, kernel


@pytest.mark.parametrize("name", ["postBuild", "start"])
def test_untrusted_scripts_are_refused_never_skipped(name):
    p = plan(env(files=["requirements.txt", name]))
    assert codes(p) == ["launch-untrusted"]
    assert p.refusals[0].pointer == f"/files/{name}"
    assert "--trust" in p.refusals[0].hint
    assert plan(env(files=["requirements.txt", name]), trusted=True).ok


def test_the_environment_kernel_wins_over_a_stale_kernelspec():
    e = env(kernel={"name": "python3", "language": "python"})
    p = plan(e, {"name": "conda-env-old-py", "language": "python"})
    assert (p.kernel.name, p.kernel.source) == ("python3", "environment")


def test_the_notebook_kernelspec_is_used_when_the_environment_names_no_kernel():
    p = plan(env(), {"name": "myenv", "display_name": "My env", "language": "Python"})
    assert (p.kernel.name, p.kernel.language, p.kernel.source) == ("myenv", "python", "notebook")
    p = plan(env(), None)
    assert (p.kernel.name, p.kernel.source) == ("python3", "default")
    assert plan(env(), {"name": 3}).kernel.source == "default"


def test_a_kernel_of_another_language_is_refused_by_the_local_backend():
    p = plan(env(kernel={"name": "ir", "language": "r"}, files=["requirements.txt"]))
    assert codes(p) == ["launch-kernel-unsupported"]
    p = plan(env(kernel={"name": "ir", "language": "r"}, image={"ref": "r:4", "digest": DIGEST}))
    assert p.ok


# --------------------------------------------------------------------------------- hardware


def test_a_machine_smaller_than_the_hardware_is_refused_unless_accepted():
    e = env(hardware={"cpu": 8, "memory": "16Gi", "gpu": {"count": 1}})
    small = Machine(cpu=2, memory=8 * 2**30, gpu=0)
    p = plan(e, machine=small)
    assert codes(p) == ["launch-machine-too-small"] * 3
    assert [r.pointer for r in p.refusals] == [
        "/hardware/cpu",
        "/hardware/memory",
        "/hardware/gpu/count",
    ]
    assert plan(e, machine=small, accept_smaller_machine=True).ok
    assert plan(e, machine=Machine(cpu=8, memory=16 * 2**30, gpu=1)).ok
    assert plan(e).ok  # the machine is not known: no check


# ------------------------------------------------------------------------------------ data


def test_the_plan_is_data_and_the_same_every_time():
    e = env(python="3.12", files=list(TEXT)[:6], env={"A": None})
    first = plan(e, {"name": "x"})
    assert plan(e, {"name": "x"}) == first
    assert LaunchPlan.model_validate_json(first.model_dump_json()) == first
    json.loads(first.model_dump_json())


def test_a_guix_manifest_brings_its_own_kernel():
    e = env(kernel={"name": "ir", "language": "r"}, files=["manifest.scm"])
    assert plan(e, trusted=True).ok


def test_planning_touches_no_file_process_network_or_clock(monkeypatch):
    import builtins
    import os
    import socket
    import subprocess
    import time

    e = env(python="3.12", files=["environment.yml", "requirements.txt", "postBuild", "apt.txt"])
    first = plan(e, {"name": "x"})  # the lazy imports happen here

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a plan is a pure function")

    for owner, name in [
        (builtins, "open"),
        (os, "stat"),
        (os, "listdir"),
        (subprocess, "Popen"),
        (socket, "socket"),
        (time, "time"),
        (time, "monotonic"),
    ]:
        monkeypatch.setattr(owner, name, forbidden)
    assert plan(e, {"name": "x"}) == first
