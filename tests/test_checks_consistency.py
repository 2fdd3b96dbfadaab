"""Rules across fields: the kernel against the notebook's kernelspec, every Python pin against
``python``, and the files Binder (repo2docker) would ignore."""

from __future__ import annotations

import json

import pytest

from envspec.validate import validate_bytes, validate_environment

VALID = {
    "requirements.txt": "numpy\n",
    "environment.yml": "dependencies: [numpy]\n",
    "environment.yaml": "dependencies: [numpy]\n",
    "apt.txt": "curl\n",
    "runtime.txt": "python-3.12\n",
    "postBuild": "#!/bin/bash\necho done\n",
    "start": '#!/bin/bash\nexec "$@"\n',
    "Dockerfile": "FROM python:3.12\n",
    "pylock.toml": "lock-version = '1.0'\ncreated-by = 'x'\npackages = []\n",
    "manifest.scm": '(specifications->manifest \'("python"))\n',
    "channels.scm": "(list)\n",
    "Pipfile": "[packages]\nnumpy = '*'\n",
    "Pipfile.lock": '{"_meta": {}, "default": {}}',
    "Project.toml": 'name = "x"\n',
    "Manifest.toml": "",
    "install.R": "install.packages('x')\n",
    "default.nix": "{ pkgs ? import <nixpkgs> {} }: pkgs.mkShell {}\n",
}
#: The head of a pylock.toml (requires-python is added by each test).
LOCK = "lock-version='1.0'\ncreated-by='x'\npackages=[]\n"
#: A runtime.txt that selects repo2docker's R build pack.
R_RUNTIME = {"runtime.txt": "r-4.4-2024-06-01\n"}


def found(env: dict, kernelspec: object = None) -> list[tuple[str, str]]:
    diagnostics = validate_environment({"env_ver": "1.0", **env}, kernelspec=kernelspec)
    return [(d.code, d.pointer) for d in diagnostics]


def messages(env: dict, kernelspec: object = None) -> list[str]:
    return [
        d.message for d in validate_environment({"env_ver": "1.0", **env}, kernelspec=kernelspec)
    ]


def notebook(environment: dict, kernelspec: dict | None) -> bytes:
    metadata: dict = {"environment": environment}
    if kernelspec is not None:
        metadata["kernelspec"] = kernelspec
    return json.dumps(
        {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    ).encode()


# ---------------------------------------------------------------------------------- kernel

PY = {"name": "python3", "language": "python"}


def test_matching_kernel_and_kernelspec():
    spec = {"name": "python3", "display_name": "Python 3", "language": "Python"}
    assert found({"kernel": PY}, spec) == []


def test_kernel_name_mismatch_is_a_warning_at_kernel_name():
    spec = {"name": "conda-env-old-py", "display_name": "old", "language": "python"}
    report = validate_bytes(notebook({"env_ver": "1.0", "kernel": PY}, spec), "analysis.ipynb")
    [diagnostic] = report.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("kernel-mismatch", "warning")
    assert diagnostic.location() == "analysis.ipynb#/metadata/environment/kernel/name"
    assert diagnostic.message == (
        "the notebook's kernelspec starts 'conda-env-old-py', the environment's kernel is 'python3'"
    )


def test_kernel_language_mismatch_is_an_error():
    spec = {"name": "ir", "display_name": "R", "language": "R"}
    env = {"kernel": {"name": "ir", "language": "python"}}
    report = validate_bytes(notebook({"env_ver": "1.0", **env}, spec), "analysis.ipynb")
    assert [(d.code, d.severity, d.pointer) for d in report.diagnostics] == [
        ("kernel-language-mismatch", "error", "/metadata/environment/kernel/language")
    ]
    assert (
        report.diagnostics[0].message
        == "the notebook's kernelspec is 'R', the environment's kernel is 'python'"
    )


def test_both_mismatches_at_once():
    spec = {"name": "julia-1.10", "display_name": "Julia", "language": "julia"}
    assert found({"kernel": PY}, spec) == [
        ("kernel-mismatch", "/kernel/name"),
        ("kernel-language-mismatch", "/kernel/language"),
    ]


@pytest.mark.parametrize(
    "spec",
    [
        None,
        "python3",
        [],
        {},
        {"display_name": "Python 3"},
        {"name": 5, "language": None},
    ],
)
def test_missing_or_malformed_kernelspecs_are_not_compared(spec):
    assert found({"kernel": PY}, spec) == []


def test_no_kernel_no_comparison():
    assert found({}, {"name": "anything", "language": "cobol"}) == []


def test_standalone_files_have_no_kernelspec():
    report = validate_bytes(b'env_ver: "1.0"\nkernel: {name: ir, language: R}\n', "e.envspec.yaml")
    assert report.diagnostics == ()


def test_a_malformed_kernel_is_reported_by_the_schema_only():
    assert found({"kernel": {"name": 5}}, {"name": "python3", "language": "python"}) == [
        ("missing-field", "/kernel"),
        ("wrong-type", "/kernel/name"),
    ]


# ----------------------------------------------------------------------------- python pins


@pytest.mark.parametrize(
    ("pin", "files"),
    [
        ("3.12", {"environment.yml": "dependencies:\n  - python=3.12\n"}),
        ("3.12", {"environment.yml": "dependencies:\n  - python=3.12.4\n"}),
        ("3.12.4", {"environment.yml": "dependencies:\n  - python=3.12\n"}),
        ("3.12", {"environment.yml": "dependencies:\n  - python>=3.10\n"}),
        ("3.12", {"environment.yml": "dependencies:\n  - conda-forge::python 3.12.*\n"}),
        ("3.12", {"environment.yml": "dependencies:\n  - python\n"}),
        (
            "3.12",
            {"environment.yml": "dependencies:\n  - pythonnet=3.0\n  - python-dateutil=2.9\n"},
        ),
        (
            "3.12",
            {"environment.yml": "dependencies: [numpy===]\n"},
        ),  # unreadable: reported elsewhere
        (
            "3.12",
            {"pylock.toml": LOCK + "requires-python='>=3.10'\n"},
        ),
        (
            "3.12",
            {"pylock.toml": LOCK + "requires-python='==3.12.*'\n"},
        ),
        (
            "3.12",
            {"pylock.toml": LOCK + "requires-python='>=3.12.5'\n"},
        ),
        ("3.12", {"runtime.txt": "python-3.12\n"}),
        ("3.12", {"runtime.txt": "python-3.12.4\n"}),
        ("3.12.4", {"runtime.txt": "python-3.12\n"}),
        ("3.12", {"runtime.txt": "r-4.4-2024-06-01\n"}),
    ],
)
def test_agreeing_python_pins(pin, files):
    assert [c for c in found({"python": pin, "files": files}) if c[0] == "python-mismatch"] == []


@pytest.mark.parametrize(
    ("pin", "name", "text", "message"),
    [
        (
            "3.12",
            "environment.yml",
            "dependencies:\n  - python=3.10\n",
            "environment.yml asks for python 3.10.*, the pin is '3.12'",
        ),
        (
            "3.12",
            "environment.yaml",
            "dependencies:\n  - python>=3.10,<3.12\n",
            "environment.yaml asks for python >=3.10,<3.12, the pin is '3.12'",
        ),
        (
            "3.12.4",
            "environment.yml",
            "dependencies:\n  - python=3.12.5\n",
            "environment.yml asks for python 3.12.5.*, the pin is '3.12.4'",
        ),
        (
            "3.12",
            "pylock.toml",
            LOCK + "requires-python='>=3.13'\n",
            "pylock.toml requires-python is '>=3.13', the pin is '3.12'",
        ),
        (
            "3.12.4",
            "pylock.toml",
            LOCK + "requires-python='>=3.12.5'\n",
            "pylock.toml requires-python is '>=3.12.5', the pin is '3.12.4'",
        ),
        (
            "3.12",
            "runtime.txt",
            "python-3.11\n",
            "runtime.txt selects python 3.11, the pin is '3.12'",
        ),
        (
            "3.12.1",
            "runtime.txt",
            "python-3.12.2\n",
            "runtime.txt selects python 3.12.2, the pin is '3.12.1'",
        ),
        (
            "3.1",
            "runtime.txt",
            "python-3.12\n",
            "runtime.txt selects python 3.12, the pin is '3.1'",
        ),
        (
            "3.12",
            "runtime.txt",
            "python-3.1\n",
            "runtime.txt selects python 3.1, the pin is '3.12'",
        ),
    ],
)
def test_disagreeing_python_pins(pin, name, text, message):
    env = {"python": pin, "files": {name: text}}
    diagnostics = validate_environment({"env_ver": "1.0", **env})
    mismatches = [d for d in diagnostics if d.code == "python-mismatch"]
    assert [(d.pointer, d.severity, d.message) for d in mismatches] == [
        (f"/files/{name}", "error", message)
    ]


def test_every_disagreeing_file_is_reported():
    env = {
        "python": "3.12",
        "files": {
            "environment.yml": "dependencies: [python=3.11]\n",
            "pylock.toml": LOCK + "requires-python='<3.12'\n",
        },
    }
    assert [c for c in found(env) if c[0] == "python-mismatch"] == [
        ("python-mismatch", "/files/environment.yml"),
        ("python-mismatch", "/files/pylock.toml"),
    ]


def test_without_a_python_pin_nothing_is_compared():
    assert found(
        {"files": {"environment.yml": "dependencies: [python=2.7]\n", "requirements.txt": "x\n"}}
    ) == [("ignored-by-binder", "/files/requirements.txt")]


# ------------------------------------------------------------------------ binder precedence


def ignored(*names: str, files: dict[str, str] | None = None) -> dict[str, str]:
    """Each file Binder ignores, and the file that wins over it ("" when it lacks a partner)."""
    env = {"files": {**{name: VALID[name] for name in names}, **(files or {})}}
    diagnostics = validate_environment({"env_ver": "1.0", **env})
    assert all(d.code == "ignored-by-binder" for d in diagnostics), diagnostics
    assert all(d.severity == "warning" for d in diagnostics)
    out = {}
    for d in diagnostics:
        name = d.pointer.removeprefix("/files/")
        if " because " in d.message:
            out[name] = d.message.rsplit("because ", 1)[1].removesuffix(" is present").strip("'")
            assert d.message == f"Binder ignores {name!r} because {out[name]!r} is present"
        else:
            out[name] = ""
            assert d.message.startswith(f"Binder ignores {name!r}: it is used only ")
    return out


def test_a_dockerfile_wins_over_every_file_binder_reads():
    names = [n for n in VALID if n not in {"environment.yaml"}]
    expected = {
        n: "Dockerfile"
        for n in names
        if n not in {"Dockerfile", "pylock.toml", "manifest.scm", "channels.scm"}
    }
    assert ignored(*names) == expected


def test_default_nix_wins_over_package_files_not_scripts():
    names = ["default.nix", "requirements.txt", "environment.yml", "Pipfile", "install.R",
             "apt.txt", "postBuild", "start", "pylock.toml"]  # fmt: skip
    assert ignored(*names, files=R_RUNTIME) == {
        "requirements.txt": "default.nix",
        "environment.yml": "default.nix",
        "runtime.txt": "default.nix",
        "Pipfile": "default.nix",
        "install.R": "default.nix",
    }


def test_a_julia_project_wins_over_default_nix():
    # repo2docker tries its Julia build packs before the Nix one.
    assert ignored("Project.toml", "default.nix", "requirements.txt") == {
        "default.nix": "Project.toml"
    }


def test_an_r_runtime_keeps_the_python_inputs_but_not_a_pipfile():
    assert ignored("install.R", "requirements.txt", files=R_RUNTIME) == {}
    assert ignored("install.R", "requirements.txt", files={"runtime.txt": "r-2024-06-01\n"}) == {}
    assert ignored("install.R", "Pipfile", "requirements.txt", files=R_RUNTIME) == {
        "Pipfile": "runtime.txt"
    }


def test_a_julia_project_wins_over_a_pipfile():
    assert ignored("Project.toml", "Pipfile", "Pipfile.lock", "requirements.txt") == {
        "Pipfile": "Project.toml",
        "Pipfile.lock": "Project.toml",
    }


def test_files_that_need_a_partner():
    assert ignored("install.R", "requirements.txt") == {"install.R": ""}
    assert ignored("install.R", "runtime.txt") == {"install.R": ""}  # a Python runtime.txt
    assert ignored("Manifest.toml", "requirements.txt") == {"Manifest.toml": ""}
    assert messages({"files": {"install.R": "x\n"}}) == [
        "Binder ignores 'install.R': "
        "it is used only with an R runtime.txt such as 'r-4.4-2024-06-01'"
    ]
    assert messages({"files": {"Manifest.toml": ""}}) == [
        "Binder ignores 'Manifest.toml': it is used only beside a Project.toml"
    ]


def test_a_conda_file_wins_over_pip_files():
    assert ignored(
        "environment.yml", "requirements.txt", "runtime.txt", "Pipfile", "Pipfile.lock", "apt.txt"
    ) == {
        "requirements.txt": "environment.yml",
        "runtime.txt": "environment.yml",
        "Pipfile": "environment.yml",
        "Pipfile.lock": "environment.yml",
    }


def test_the_yaml_spelling_of_the_conda_file_wins_too():
    assert ignored("environment.yaml", "requirements.txt") == {
        "requirements.txt": "environment.yaml"
    }


@pytest.mark.parametrize(
    ("names", "winner"),
    [
        (("Pipfile", "requirements.txt"), "Pipfile"),
        (("Pipfile.lock", "requirements.txt"), "Pipfile.lock"),
        (("Pipfile", "Pipfile.lock", "requirements.txt"), "Pipfile.lock"),
    ],
)  # fmt: skip
def test_a_pipfile_wins_over_requirements(names, winner):
    assert ignored(*names) == {"requirements.txt": winner}


@pytest.mark.parametrize(
    "names",
    [
        ("requirements.txt", "runtime.txt", "apt.txt", "postBuild", "start"),
        ("pylock.toml", "requirements.txt"),
        ("manifest.scm", "channels.scm", "requirements.txt"),
        ("Project.toml", "Manifest.toml", "requirements.txt"),
        ("Pipfile", "Pipfile.lock", "runtime.txt"),
        ("Dockerfile",),
    ],
)
def test_combinations_binder_uses_entirely(names):
    assert ignored(*names) == {}


def test_both_conda_spellings_are_a_duplicate():
    env = {
        "files": {
            "environment.yml": VALID["environment.yml"],
            "environment.yaml": VALID["environment.yaml"],
        }
    }
    assert found(env) == [("duplicate-conda-file", "/files")]
    assert messages(env) == ["both 'environment.yml' and 'environment.yaml' are embedded"]


def test_unknown_file_names_take_no_part_in_precedence():
    env = {"files": {"requirements.txt": "x\n", "Dockerfile.dev": "FROM x\n"}}
    assert found(env) == [("unknown-file-name", "/files/Dockerfile.dev")]
