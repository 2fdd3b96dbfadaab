"""``devcontainer``: ``.devcontainer/devcontainer.json`` (JSONC) out and in.

Proof: the official Dev Containers CLI (the ``@devcontainers/cli`` npm package, fetched at
test time into pytest's cache, never committed) reads every exported configuration and
every JSONC sample as envspec does (``devcontainer read-configuration``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT, download_dir
from envspec.formats._jsonc import JsoncError, loads

DIGEST = "sha256:" + "cd" * 32
CLI_VERSION = "0.89.0"

ENVS = {
    "build": (
        'env_ver: "1.0"\npython: "3.12"\nfiles:\n'
        '  requirements.txt: "numpy>=1.26\\n"\n'
        '  apt.txt: "curl\\n"\n'
        '  postBuild: "#!/bin/sh\\necho built\\n"\n'
        "env:\n  MPLBACKEND: Agg\n  TOKEN: null\n"
    ),
    "image": (
        'env_ver: "1.0"\npython: "3.11"\nimage:\n  ref: quay.io/jupyter/minimal-notebook\n'
        f'  digest: "{DIGEST}"\nfiles:\n'
        '  environment.yml: "dependencies:\\n  - numpy\\n"\n'
        '  requirements.txt: "rich\\n"\n'
        '  apt.txt: "git\\n"\n'
    ),
}


def export(run_cli, tmp_path: Path, case: str) -> tuple[Path, str]:
    source = tmp_path / f"{case}.envspec.yaml"
    source.write_text(ENVS[case])
    workspace = tmp_path / f"ws-{case}"
    result = run_cli("export", "--to", "devcontainer", source, "-o", workspace / ".devcontainer")
    assert result.code == 0, result.out
    return workspace, result.out


def imported(run_cli, source: Path, tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / "imported.envspec.json"
    out.unlink(missing_ok=True)
    result = run_cli("import", "--from", "devcontainer", source, "-o", out)
    assert result.code == 0, result.out
    return json.loads(out.read_text()), result.out


# ------------------------------------------------------------------------------- JSONC


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": 1}', {"a": 1}),
        ('// c\n{"a": [1, 2,],}\n', {"a": [1, 2]}),
        (
            '{"a": "// not a comment", "b": "/* nor this */"}',
            {"a": "// not a comment", "b": "/* nor this */"},
        ),
        ('{"a": "x\\"// y", /* block\n comment */ "b": 2}', {"a": 'x"// y', "b": 2}),
        ('{"a": 1, // after a comma\n}', {"a": 1}),
        ('{"a": {"b": [],},\n}', {"a": {"b": []}}),
    ],
)
def test_jsonc_comments_and_trailing_commas(text, value):
    assert loads(text) == value


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab/*,"\\ \n'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
_NOISE = st.sampled_from(["", " ", "\n", "// c,]}\n", "/* ,} */", "/*\n*/"])


def _jsonc(value: object, draw) -> str:
    """*value* as JSONC: comments between tokens, and a trailing comma now and then."""
    if isinstance(value, list):
        items = [draw(_NOISE) + _jsonc(v, draw) + draw(_NOISE) for v in value]
        trailing = "," if items and draw(st.booleans()) else ""
        return "[" + ",".join(items) + trailing + draw(_NOISE) + "]"
    if isinstance(value, dict):
        items = [
            draw(_NOISE) + json.dumps(k) + draw(_NOISE) + ":" + _jsonc(v, draw)
            for k, v in value.items()
        ]
        trailing = "," if items and draw(st.booleans()) else ""
        return "{" + ",".join(items) + trailing + draw(_NOISE) + "}"
    return draw(_NOISE) + json.dumps(value) + draw(_NOISE)


@settings(max_examples=60)
@given(st.data())
def test_jsonc_reads_any_value_written_with_comments_and_trailing_commas(data):
    value = data.draw(_JSON)
    text = _jsonc(value, data.draw)
    assert loads(text) == value


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{\n  "image": "x",\n  garbage\n}', 3, 3),
        ('{\n  "a": 1 /* open', 2, 10),
        ('{"a": 1,, }', 1, 9),
        ('{"a": }', 1, 7),
    ],
)
def test_jsonc_errors_name_the_line_and_column(text, line, column):
    with pytest.raises(JsoncError) as caught:
        loads(text)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_garbage_is_refused_with_line_and_column_and_nothing_is_written(run_cli, tmp_path):
    config = tmp_path / "devcontainer.json"
    config.write_text('{\n  // the image\n  "image": "python:3.12",\n  garbage\n}\n')
    notebook = tmp_path / "analysis.ipynb"
    result = run_cli("import", "--from", "devcontainer", config, "-o", notebook)
    assert result.code == 1
    assert f"{config}:4:3: error[devcontainer-jsonc-invalid]" in result.out
    assert "nothing was written" in result.out
    assert not notebook.exists()


# ------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("case", sorted(ENVS))
def test_round_trip_keeps_dependencies_python_image_and_variables(run_cli, tmp_path, case):
    workspace, _ = export(run_cli, tmp_path, case)
    env, out = imported(run_cli, workspace, tmp_path)
    assert "not-carried" not in out, out
    if case == "build":
        config = json.loads((workspace / ".devcontainer" / "devcontainer.json").read_text())
        assert config["build"] == {"dockerfile": "Dockerfile", "context": "."}
        assert "image" not in env
        assert env["python"] == "3.12"
        assert env["files"] == {
            "requirements.txt": "numpy>=1.26\n",
            "apt.txt": "curl\n",
            "postBuild": "#!/bin/sh\necho built\n",
        }
        assert env["env"] == {"MPLBACKEND": "Agg", "TOKEN": None}
    else:
        config = json.loads((workspace / ".devcontainer" / "devcontainer.json").read_text())
        assert config["image"] == f"quay.io/jupyter/minimal-notebook@{DIGEST}"
        command = config["postCreateCommand"]
        # apt first, then the conda file, then pip (repo2docker's order).
        assert command.index("apt.txt") < command.index("environment.yml")
        assert command.index("environment.yml") < command.index("requirements.txt")
        assert env["image"] == {"ref": "quay.io/jupyter/minimal-notebook", "digest": DIGEST}
        assert env["python"] == "3.11"
        assert set(env["files"]) == {"environment.yml", "requirements.txt", "apt.txt"}


def test_what_does_not_map_is_reported(run_cli, tmp_path):
    config = tmp_path / ".devcontainer.json"
    config.write_text(
        "{\n"
        '  "name": "demo",\n'
        '  "image": "mcr.microsoft.com/devcontainers/python:3.12",\n'
        '  "features": {"ghcr.io/devcontainers/features/node:1": {"version": "20"}},\n'
        '  "postCreateCommand": "pip install -r requirements.txt",\n'
        '  "forwardPorts": [8888],\n'
        '  "customizations": {"vscode": {"extensions": ["ms-python.python"]}},\n'
        '  "containerEnv": {"MODE": "fast"},\n'
        '  "remoteEnv": {"GITHUB_TOKEN": "${localEnv:GITHUB_TOKEN}"},\n'
        "}\n"
    )
    env, out = imported(run_cli, config, tmp_path)
    assert env["image"] == {"ref": "mcr.microsoft.com/devcontainers/python:3.12"}
    assert env["env"] == {"MODE": "fast", "GITHUB_TOKEN": None}
    assert (
        "warning[devcontainer-feature-not-carried] the feature "
        "'ghcr.io/devcontainers/features/node:1'" in out
    )
    assert "warning[devcontainer-command-not-carried] postCreateCommand is not carried" in out
    assert "warning[devcontainer-not-carried] forwardPorts is not carried" in out
    assert "customizations.vscode is not carried" in out


def test_a_build_of_a_foreign_dockerfile_is_read_through_the_dockerfile_format(run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".devcontainer").mkdir(parents=True)
    (repo / "requirements.txt").write_text("pandas\n")
    (repo / ".devcontainer" / "devcontainer.json").write_text(
        '{"build": {"dockerfile": "Dockerfile", "context": ".."}}'
    )
    (repo / ".devcontainer" / "Dockerfile").write_text(
        "FROM python:3.10\nCOPY requirements.txt /r.txt\nRUN pip install -r /r.txt\n"
    )
    env, out = imported(run_cli, repo, tmp_path)
    assert env["python"] == "3.10"
    assert env["files"] == {"requirements.txt": "pandas\n"}
    assert "not-carried" not in out


def test_the_command_is_not_run_on_import_or_export(run_cli, tmp_path):
    marker = tmp_path / "ran"
    config = tmp_path / "devcontainer.json"
    config.write_text(json.dumps({"image": "python:3.12", "postCreateCommand": f"touch {marker}",
                                  "initializeCommand": f"touch {marker}"}))  # fmt: skip
    imported(run_cli, config, tmp_path)
    export(run_cli, tmp_path, "build")
    assert not marker.exists()


def test_a_folder_without_a_configuration_is_refused(run_cli, tmp_path):
    result = run_cli("import", "--from", "devcontainer", tmp_path)
    assert result.code == 1
    assert "error[format-source-invalid]" in result.out


# ------------------------------------------------------------------ the official CLI


@pytest.fixture(scope="session")
def devcontainer_cli(pytestconfig, tmp_path_factory) -> list[str]:
    """``node devcontainer.js`` of the official Dev Containers CLI (npm, cached)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are needed to fetch the Dev Containers CLI (apt-get install npm)")
    cache = download_dir(pytestconfig, tmp_path_factory, f"devcontainers-cli-{CLI_VERSION}")
    script = cache / "package" / "devcontainer.js"
    if not script.is_file():
        done = subprocess.run(
            [npm, "pack", f"@devcontainers/cli@{CLI_VERSION}", "--pack-destination", str(cache)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(
                f"cannot fetch @devcontainers/cli (needed once, then cached):\n{done.stderr}"
            )
        with tarfile.open(cache / f"devcontainers-cli-{CLI_VERSION}.tgz") as archive:
            archive.extractall(cache, filter="data")
    return [node, str(script)]


def read_configuration(cli: list[str], workspace: Path, **host: str) -> dict:
    """What ``devcontainer read-configuration`` reads.  No container engine answers here, so
    the CLI's question "is a container already running for this folder?" is answered "no"
    by ``--docker-path true``; reading the configuration needs nothing else."""
    done = subprocess.run(
        [*cli, "read-configuration", "--workspace-folder", str(workspace),
         "--docker-path", shutil.which("true") or "/bin/true"],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **host},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    configuration = json.loads(done.stdout)["configuration"]
    configuration.pop("configFilePath")
    return configuration


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(ENVS))
def test_the_official_cli_reads_the_export(run_cli, tmp_path, devcontainer_cli, case):
    workspace, _ = export(run_cli, tmp_path, case)
    ours = json.loads((workspace / ".devcontainer" / "devcontainer.json").read_text())
    if "remoteEnv" in ours:
        # A variable supplied at launch comes from the host, as the CLI substitutes it.
        assert ours["remoteEnv"] == {"TOKEN": "${localEnv:TOKEN}"}
        ours["remoteEnv"] = {"TOKEN": "from-the-host"}
    assert read_configuration(devcontainer_cli, workspace, TOKEN="from-the-host") == ours


@pytest.mark.slow
def test_the_official_cli_reads_jsonc_as_envspec_does(tmp_path, devcontainer_cli):
    samples = [
        '// comment\n{"image": "python:3.12", "name": "a // b",}\n',
        '{\n  /* block */ "image": "x",\n  "forwardPorts": [8888, 8889,],\n'
        '  "containerEnv": {"A": "/*"},\n}\n',
        '\ufeff{"image": "y", "runArgs": ["--init",], /* end */}',
    ]
    for index, text in enumerate(samples):
        workspace = tmp_path / str(index)
        (workspace / ".devcontainer").mkdir(parents=True)
        (workspace / ".devcontainer" / "devcontainer.json").write_text(text, encoding="utf-8")
        assert read_configuration(devcontainer_cli, workspace) == loads(text.lstrip("\ufeff"))


def test_the_sample_imports_with_what_does_not_map_reported(run_cli, tmp_path):
    sample = REPO_ROOT / "examples" / "formats" / "devcontainer"
    env, out = imported(run_cli, sample, tmp_path)
    assert env["image"]["ref"] == "quay.io/jupyter/minimal-notebook"
    assert env["env"] == {"MPLBACKEND": "Agg", "GITHUB_TOKEN": None}
    for code in ("feature-not-carried", "command-not-carried", "not-carried"):
        assert f"warning[devcontainer-{code}]" in out
    result = run_cli("export", "--to", "devcontainer", tmp_path / "imported.envspec.json",
                     "-o", tmp_path / ".devcontainer")  # fmt: skip
    assert result.code == 0, result.out


def test_the_post_create_command_is_valid_shell(run_cli, tmp_path):
    workspace, _ = export(run_cli, tmp_path, "image")
    config = json.loads((workspace / ".devcontainer" / "devcontainer.json").read_text())
    done = subprocess.run(
        ["sh", "-n", "-c", config["postCreateCommand"]], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_hardware_maps_to_host_requirements_and_back(run_cli, tmp_path):
    source = tmp_path / "hw.envspec.yaml"
    source.write_text(
        'env_ver: "1.0"\nimage:\n  ref: python\n'
        "hardware:\n  cpu: 1.5\n  memory: 8Gi\n  gpu:\n    count: 2\n    memory: 16Gi\n"
    )
    result = run_cli("export", "--to", "devcontainer", source, "-o", tmp_path / "hw")
    assert result.code == 0, result.out
    assert "hardware.cpu 1.5 is rounded up to 2 CPUs" in result.out
    assert "hardware.gpu.count 2 is not carried" in result.out
    config = json.loads((tmp_path / "hw" / "devcontainer.json").read_text())
    assert config["hostRequirements"] == {"cpus": 2, "memory": "8gb", "gpu": {"memory": "16gb"}}
    env, out = imported(run_cli, tmp_path / "hw", tmp_path)
    assert env["hardware"] == {"cpu": 2, "memory": "8Gi", "gpu": {"count": 1, "memory": "16Gi"}}
    assert "not-carried" not in out
