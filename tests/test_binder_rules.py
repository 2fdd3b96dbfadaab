"""What Binder (repo2docker) ignores when several inputs coexist: ``ignored-by-binder``."""

from __future__ import annotations

import pytest

from envspec.checks.consistency import binder_ignored
from envspec.validate import validate_environment

R_RUNTIME = "r-4.4-2024-06-01\n"

CASES = [
    # (embedded files, what Binder ignores: name -> winner ("" = nothing selects it))
    (
        {"Dockerfile": "FROM x\n", "requirements.txt": "", "pylock.toml": ""},
        {"requirements.txt": "Dockerfile"},
    ),
    (
        {"Project.toml": "", "default.nix": "", "Pipfile": ""},
        {"default.nix": "Project.toml", "Pipfile": "Project.toml"},
    ),
    (
        {"default.nix": "", "requirements.txt": "", "apt.txt": ""},
        {"requirements.txt": "default.nix"},
    ),
    ({"environment.yml": "", "runtime.txt": R_RUNTIME, "requirements.txt": ""}, {}),
    ({"runtime.txt": R_RUNTIME, "install.R": "", "Pipfile": ""}, {"Pipfile": "runtime.txt"}),
    (
        {"environment.yml": "", "runtime.txt": "python-3.12\n", "requirements.txt": ""},
        {"runtime.txt": "environment.yml", "requirements.txt": "environment.yml"},
    ),
    ({"Pipfile": "", "requirements.txt": ""}, {"requirements.txt": "Pipfile"}),
    ({"install.R": "", "requirements.txt": ""}, {"install.R": ""}),
    ({"Manifest.toml": ""}, {"Manifest.toml": ""}),
    ({"requirements.txt": "", "apt.txt": "", "postBuild": "", "manifest.scm": ""}, {}),
]


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_binder_ignored_follows_repo2dockers_build_pack_order(files, expected):
    assert binder_ignored(files) == expected


def test_the_warning_names_the_file_and_why():
    env = {
        "env_ver": "1.0",
        "files": {"install.R": "install.packages('x')\n", "Dockerfile": "FROM r\n"},
    }
    found = [d for d in validate_environment(env) if d.code == "ignored-by-binder"]
    assert [(d.pointer, d.severity) for d in found] == [("/files/install.R", "warning")]
    assert "because 'Dockerfile' is present" in found[0].message

    alone = {"env_ver": "1.0", "files": {"install.R": "install.packages('x')\n"}}
    (lonely,) = [d for d in validate_environment(alone) if d.code == "ignored-by-binder"]
    assert "only with an R runtime.txt" in lonely.message
