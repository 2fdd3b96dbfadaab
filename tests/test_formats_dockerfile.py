"""``dockerfile``: a Dockerfile (and the inputs it copies) out, the environment of a Dockerfile in.

Proof: every exported Dockerfile is read by a real Dockerfile parser (``dockerfile-parse``),
and built where a container engine answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from conftest import REPO_ROOT
from envspec.formats._dockerfile_text import instructions

DIGEST = "sha256:" + "ab" * 32

ENVS = {
    "python": (
        'env_ver: "1.0"\npython: "3.12"\nfiles:\n'
        '  requirements.txt: "numpy>=1.26\\npandas\\n"\n'
        '  apt.txt: "# tools\\ncurl\\ngit\\n"\n'
        '  postBuild: "#!/bin/sh\\necho built\\n"\n'
        '  start: "#!/bin/sh\\nexport A=1\\nexec \\"$@\\"\\n"\n'
        'env:\n  MPLBACKEND: Agg\n  PRICE: "$5"\n  TOKEN: null\n'
    ),
    "conda": (
        'env_ver: "1.0"\npython: "3.11"\nfiles:\n'
        '  environment.yml: "channels: [conda-forge]\\ndependencies:\\n  - numpy\\n"\n'
        '  apt.txt: "curl\\n"\n'
        '  requirements.txt: "rich\\n"\n'
    ),
    "image": (
        'env_ver: "1.0"\npython: "3.12"\n'
        "image:\n  ref: quay.io/jupyter/scipy-notebook:2024-12-02\n"
        f'  digest: "{DIGEST}"\nfiles:\n  requirements.txt: "rich\\n"\n'
    ),
}


def export(run_cli, tmp_path: Path, text: str, name: str = "env") -> tuple[Path, str]:
    source = tmp_path / f"{name}.envspec.yaml"
    source.write_text(text)
    out = tmp_path / f"{name}-docker"
    result = run_cli("export", "--to", "dockerfile", source, "-o", out)
    assert result.code == 0, result.out
    return out, result.out


def imported(run_cli, source: Path, tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / "imported.envspec.json"
    out.unlink(missing_ok=True)
    result = run_cli("import", "--from", "dockerfile", source, "-o", out)
    assert result.code == 0, result.out
    return json.loads(out.read_text()), result.out


@pytest.mark.parametrize("case", sorted(ENVS))
def test_round_trip_keeps_dependencies_python_image_and_variables(run_cli, tmp_path, case):
    folder, _ = export(run_cli, tmp_path, ENVS[case])
    env, out = imported(run_cli, folder, tmp_path)
    assert "dockerfile-not-carried" not in out, out
    source = (tmp_path / "env.envspec.yaml").read_text()
    assert env["python"] in source
    for name, text in env["files"].items():
        assert (folder / name).read_text() == text
    if case == "python":
        assert env["files"]["requirements.txt"] == "numpy>=1.26\npandas\n"
        assert set(env["files"]) == {"requirements.txt", "apt.txt", "postBuild", "start"}
        assert env["env"] == {"MPLBACKEND": "Agg", "PRICE": "$5", "TOKEN": None}
        assert "image" not in env
    if case == "conda":
        assert set(env["files"]) == {"environment.yml", "apt.txt", "requirements.txt"}
        assert "image" not in env
    if case == "image":
        assert env["image"] == {
            "ref": "quay.io/jupyter/scipy-notebook:2024-12-02",
            "digest": DIGEST,
        }


@pytest.mark.parametrize("case", sorted(ENVS))
def test_a_real_dockerfile_parser_reads_the_export(run_cli, tmp_path, case):
    folder, _ = export(run_cli, tmp_path, ENVS[case])
    parser = DockerfileParser(path=str(folder / "Dockerfile"))
    steps = [(s["instruction"], s["value"]) for s in parser.structure]
    kinds = [k for k, _ in steps if k != "COMMENT"]
    assert kinds[0] == "FROM"
    if case == "image":
        assert parser.baseimage == f"quay.io/jupyter/scipy-notebook:2024-12-02@{DIGEST}"
    elif case == "python":
        assert parser.baseimage == "python:3.12-slim"
        assert parser.envs["MPLBACKEND"] == "Agg"
        assert parser.labels["envspec.python"] == "3.12"
    # repo2docker's order: apt, conda, pip, postBuild last; start is the entrypoint.
    copied = [v.split()[-2] for k, v in steps if k == "COPY"]
    order = ["apt.txt", "environment.yml", "requirements.txt", "postBuild", "start"]
    assert copied == [n for n in order if n in copied]
    if "start" in copied:
        assert kinds[-1] == "ENTRYPOINT"
    # Every copied file is beside the Dockerfile.
    for name in copied:
        assert (folder / name).is_file()
    # Our own reader finds the same instructions as the parser.
    ours = [(i.keyword, i.line) for i in instructions((folder / "Dockerfile").read_text())]
    theirs = [(s["instruction"], s["startline"] + 1) for s in parser.structure]
    assert ours == [t for t in theirs if t[0] != "COMMENT"]


def test_a_foreign_dockerfile_maps_what_it_can_and_reports_the_rest(run_cli, tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "requirements.txt").write_text("scipy==1.14.1\n")
    (folder / "Dockerfile").write_text(
        "# syntax=docker/dockerfile:1\n"
        "ARG PY=3.11\n"
        "FROM python:${PY}-slim AS base\n"
        "RUN apt-get update \\\n"
        "    # a comment inside the continuation\n"
        "    && apt-get install -y --no-install-recommends graphviz libgl1 \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        'ENV MODE=fast OTHER="two words"\n'
        "COPY requirements.txt /app/requirements.txt\n"
        "RUN pip install --no-cache-dir -r /app/requirements.txt\n"
        "RUN python -m pip install rich 'typer>=0.12'\n"
        "RUN curl -sSL https://example.org/install.sh | sh\n"
        "EXPOSE 8888\n"
        'CMD ["jupyter", "lab"]\n'
    )
    env, out = imported(run_cli, folder, tmp_path)
    assert env["python"] == "3.11"
    assert env["files"]["requirements.txt"] == "scipy==1.14.1\n"
    assert env["files"]["apt.txt"] == "graphviz\nlibgl1\n"
    assert env["env"] == {"MODE": "fast", "OTHER": "two words"}
    assert "packages installed inline are not carried (requirements.txt is copied)" in out
    assert "Dockerfile:12: warning[dockerfile-not-carried] RUN 'curl" in out
    assert "Dockerfile:13: warning[dockerfile-not-carried] EXPOSE" in out
    assert "Dockerfile:14: warning[dockerfile-not-carried] CMD" in out


def test_a_single_dockerfile_says_which_copied_files_it_could_not_read(run_cli, tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        f"FROM ghcr.io/example/base:1.0@{DIGEST}\n"
        "COPY requirements.txt /tmp/r.txt\nRUN pip install -r /tmp/r.txt\n"
    )
    env, out = imported(run_cli, dockerfile, tmp_path)
    assert env["image"] == {"ref": "ghcr.io/example/base:1.0", "digest": DIGEST}
    assert "COPY requirements.txt: the file is not in the source" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN pip install numpy\n", "the first instruction is 'RUN', not 'FROM'"),
        ("# only a comment\n", "the Dockerfile has no 'FROM' instruction"),
        ("", "the Dockerfile has no 'FROM' instruction"),
    ],
)
def test_a_dockerfile_without_from_is_refused_and_nothing_is_written(
    run_cli, tmp_path, text, message
):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    result = run_cli("import", "--from", "dockerfile", dockerfile, "-o", notebook)
    assert result.code == 1
    assert "error[dockerfile-no-from]" in result.out
    assert message in result.out
    assert "nothing was written" in result.out
    assert not notebook.exists()


def test_a_folder_without_a_dockerfile_is_refused(run_cli, tmp_path):
    result = run_cli("import", "--from", "dockerfile", tmp_path)
    assert result.code == 1
    assert "error[format-source-invalid]" in result.out


def test_nothing_in_a_dockerfile_runs(run_cli, tmp_path):
    marker = tmp_path / "ran"
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "postBuild").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (folder / "postBuild").chmod(0o755)
    (folder / "Dockerfile").write_text(
        f"FROM python:3.12\nRUN touch {marker}\nCOPY postBuild /p\nRUN /p\n"
        f'ENTRYPOINT ["touch", "{marker}"]\n'
    )
    env, _ = imported(run_cli, folder, tmp_path)
    assert "postBuild" in env["files"]
    out, _ = export(run_cli, tmp_path, ENVS["python"])
    assert not marker.exists()
    assert out.is_dir()


def test_what_the_image_cannot_install_is_reported(run_cli, tmp_path):
    text = ENVS["python"] + "hardware:\n  memory: 4G\n"
    text = text.replace("files:\n", 'files:\n  install.R: "install.packages(\\"x\\")\\n"\n')
    folder, out = export(run_cli, tmp_path, text)
    assert "warning[dockerfile-not-carried] 'install.R' is not carried" in out
    assert "'hardware' is not carried" in out
    assert "# install.R is not installed" in (folder / "Dockerfile").read_text()


def _engine() -> str | None:
    for tool in ("docker", "podman"):
        if shutil.which(tool) is None:
            continue
        done = subprocess.run([tool, "info"], capture_output=True, timeout=60, check=False)
        if done.returncode == 0:
            return tool
    return None


@pytest.mark.slow
def test_the_export_builds_where_a_container_engine_answers(run_cli, tmp_path):
    engine = _engine()
    if engine is None:
        pytest.skip(
            "no container engine answers here (`docker info` and `podman info` fail or are "
            "not installed): the build is checked where one does"
        )
    text = 'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "six\\n"\n'
    folder, _ = export(run_cli, tmp_path, text)
    done = subprocess.run(
        [engine, "build", "-t", "envspec-export-test", str(folder)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sample_dockerfile_imports_and_exports_back(run_cli, tmp_path):
    sample = REPO_ROOT / "examples" / "formats" / "dockerfile"
    env, out = imported(run_cli, sample, tmp_path)
    assert env["files"]["requirements.txt"] == (sample / "requirements.txt").read_text()
    assert env["files"]["apt.txt"] == "graphviz\n"
    assert out.count("warning[dockerfile-not-carried]") == 2  # EXPOSE and CMD
    result = run_cli("export", "--to", "dockerfile", tmp_path / "imported.envspec.json",
                     "-o", tmp_path / "again")  # fmt: skip
    assert result.code == 0, result.out
    assert DockerfileParser(path=str(tmp_path / "again" / "Dockerfile")).baseimage == (
        "python:3.12-slim"
    )


@pytest.mark.parametrize(
    ("dockerfile", "expected", "message"),
    [
        ("FROM python:latest\n", {}, "the base image 'python:latest' names no Python version"),
        (
            "FROM python:3.12 AS build\nRUN pip wheel .\nFROM build\n",
            {"python": "3.12"},
            "an earlier build stage is not carried",
        ),
        (
            "FROM ${BASE}\n",
            {},
            "the base image '${BASE}' names unset build arguments",
        ),
        (
            "FROM ubuntu:24.04\nCOPY --from=build /requirements.txt /r.txt\n",
            {"image": {"ref": "ubuntu:24.04"}},
            "COPY from another stage or image is not carried",
        ),
    ],
)
def test_bases_and_stages(run_cli, tmp_path, dockerfile, expected, message):
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    env, out = imported(run_cli, path, tmp_path)
    assert {k: v for k, v in env.items() if k != "env_ver"} == expected
    assert message in out
