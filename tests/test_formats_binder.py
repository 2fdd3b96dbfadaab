"""``binder``: repository folders with repo2docker's files, in and out.

The proof is repo2docker's own detection (run in this process, as in the pack tests): every
fixture repository of repo2docker's sdist, imported and exported again, is built by the same
build pack, unless the import reported a file it could not carry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from envspec.formats import Document, Options, get_format
from envspec.formats.io import import_path
from envspec.vocabulary import FILES

ENV = """\
env_ver: "1.0"
python: "3.11"
files:
  requirements.txt: "numpy>=1.26\\n"
  apt.txt: "curl\\n"
  postBuild: "#!/bin/sh\\necho hi\\n"
"""


def imported(run_cli, source: Path, tmp_path: Path) -> tuple[dict, str]:
    out = tmp_path / "imported.envspec.json"
    out.unlink(missing_ok=True)
    code, text, err = run_cli("import", "--from", "binder", source, "-o", out)
    assert code == 0, text + err
    return json.loads(out.read_text()), text


def test_round_trip_keeps_files_python_and_makes_scripts_executable(run_cli, tmp_path):
    source = tmp_path / "env.envspec.yaml"
    source.write_text(ENV)
    code, out, _ = run_cli("export", "--to", "binder", source, "-o", tmp_path / "repo" / "binder")
    assert code == 0, out
    folder = tmp_path / "repo" / "binder"
    assert sorted(p.name for p in folder.iterdir()) == [
        "apt.txt",
        "postBuild",
        "requirements.txt",
        "runtime.txt",
    ]
    assert (folder / "runtime.txt").read_text() == "python-3.11\n"
    assert os.access(folder / "postBuild", os.X_OK)
    assert not os.access(folder / "requirements.txt", os.X_OK)
    env, _ = imported(run_cli, tmp_path / "repo", tmp_path)
    assert env["python"] == "3.11"
    assert env["files"]["requirements.txt"] == "numpy>=1.26\n"
    assert env["files"]["postBuild"] == "#!/bin/sh\necho hi\n"
    # A second export changes no byte.
    again = run_cli("export", "--to", "binder", source, "-o", folder)
    assert again.code == 0
    assert "wrote" not in again.out
    assert again.out.count("unchanged") == 4


def test_the_binder_folder_takes_precedence_and_the_root_is_reported(run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".binder").mkdir(parents=True)
    (repo / "requirements.txt").write_text("flask\n")
    (repo / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    (repo / ".binder" / "environment.yml").write_text("dependencies:\n  - numpy\n")
    env, out = imported(run_cli, repo, tmp_path)
    assert env["files"] == {"environment.yml": "dependencies:\n  - numpy\n"}
    assert "warning[binder-not-carried]" in out
    assert "'requirements.txt' at the root is not read: '.binder/' takes precedence" in out
    # setup.py counts only at the root without a binder folder, as in repo2docker.
    assert "setup.py" not in out


def test_files_repo2docker_reads_but_cannot_be_carried_are_reported(run_cli, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("numpy\n")
    (repo / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    env, out = imported(run_cli, repo, tmp_path)
    assert env["files"] == {"requirements.txt": "numpy\n"}
    assert "'setup.py' is read by repo2docker but not carried" in out


@pytest.mark.parametrize(
    ("layout", "code", "message"),
    [
        ({}, "binder-no-inputs", "holds none of repo2docker's configuration files"),
        ({"README.md": "# hi\n"}, "binder-no-inputs", "holds none of"),
        ({"binder/README.md": "x", "requirements.txt": "numpy\n"}, "binder-no-inputs", "'binder/'"),
        ({"binder/apt.txt": "curl\n", ".binder/apt.txt": "git\n"}, "binder-dir-conflict", "both"),
        ({"requirements.txt": b"caf\xe9\n"}, "not-utf8", "byte 0xe9 at offset 3"),
    ],
)
def test_bad_folders_are_refused_and_nothing_is_written(run_cli, tmp_path, layout, code, message):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name, text in layout.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    notebook = tmp_path / "analysis.ipynb"
    result = run_cli("import", "--from", "binder", repo, "-o", notebook)
    assert result.code == 1, result.out
    assert f"error[{code}]" in result.out
    assert message in result.out
    assert "nothing was written" in result.out
    assert not notebook.exists()


def test_a_single_configuration_file_is_a_source_too(run_cli, tmp_path):
    source = tmp_path / "environment.yml"
    source.write_text("dependencies:\n  - python=3.12\n")
    env, _ = imported(run_cli, source, tmp_path)
    assert env["files"] == {"environment.yml": "dependencies:\n  - python=3.12\n"}


def test_what_a_folder_cannot_hold_is_reported_on_export(run_cli, tmp_path):
    source = tmp_path / "env.envspec.yaml"
    source.write_text(
        ENV + "image:\n  ref: quay.io/jupyter/base-notebook\n" + "env:\n  MPLBACKEND: Agg\n"
    )
    code, out, _ = run_cli("export", "--to", "binder", source, "-o", tmp_path / "o")
    assert code == 0
    assert "'image' is not carried" in out
    assert "'env' is not carried" in out


def test_nothing_from_the_folder_runs(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    marker = tmp_path / "ran"
    (repo / "postBuild").write_text(f"#!/bin/sh\ntouch {marker}\n")
    (repo / "postBuild").chmod(0o755)
    (repo / "start").write_text(f'#!/bin/sh\ntouch {marker}\nexec "$@"\n')
    (repo / "start").chmod(0o755)
    converted = import_path(get_format("binder"), str(repo), Options())
    assert converted.environment is not None
    assert set(converted.environment["files"]) == {"postBuild", "start"}
    written = get_format("binder").write(
        Document("x.envspec.yaml", converted.environment), Options()
    )
    assert set(written.files) == {"postBuild", "start"}
    assert not marker.exists()


# ------------------------------------------------------------- repo2docker's own detection


@pytest.fixture(scope="module")
def detect() -> Callable[[Path], type]:
    """repo2docker's build pack choice for a folder, computed in-process (no Docker)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from repo2docker.app import Repo2Docker
        from repo2docker.utils import chdir

    app = Repo2Docker()

    def choose(folder: Path) -> type:
        with chdir(str(folder)):
            for buildpack in app.buildpacks:
                if buildpack(base_image=app.base_image).detect():
                    return buildpack
        return app.default_buildpack

    return choose


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:pythonjsonlogger.jsonlogger has been moved:DeprecationWarning")
def test_repo2docker_builds_the_exported_folder_with_the_same_build_pack(
    r2d_fixtures, detect, tmp_path, run_cli
):
    folders = sorted(p.parent for p in r2d_fixtures.rglob("verify") if p.is_file())
    assert len(folders) >= 40, "repo2docker's sdist no longer ships its test repositories"
    matched, explained, refused, unexplained = [], [], [], []
    for index, original in enumerate(folders):
        name = original.relative_to(r2d_fixtures).as_posix()
        work = tmp_path / str(index)
        notebook = work / "analysis.ipynb"
        work.mkdir()
        result = run_cli("import", "--from", "binder", original, "-o", notebook)
        if result.code != 0:
            # Only a repository without any file an environment carries may be refused.
            assert "error[binder-no-inputs]" in result.out, (name, result.out)
            refused.append(name)
            continue
        exported = work / "exported"
        result2 = run_cli("export", "--to", "binder", notebook, "-o", exported)
        assert result2.code == 0, (name, result2.out)
        before, after = detect(original), detect(exported)
        if before is after:
            matched.append(name)
        elif "binder-not-carried" in result.out:
            explained.append(f"{name}: {before.__name__} -> {after.__name__}")
        else:
            unexplained.append(f"{name}: {before.__name__} -> {after.__name__}")
        # The files repo2docker reads come back byte for byte.
        binder = next(
            (original / d for d in ("binder", ".binder") if (original / d).is_dir()), None
        )
        read_from = binder or original
        for file in FILES:
            if (read_from / file).is_file() and (exported / file).exists():
                assert (exported / file).read_bytes() == (read_from / file).read_bytes(), name
    summary = (
        f"{len(matched)} matched, {len(explained)} explained ({'; '.join(explained)}), "
        f"{len(refused)} refused ({', '.join(refused)}), {len(unexplained)} unexplained"
    )
    print(summary)
    assert unexplained == [], summary
    assert len(matched) >= 35, summary


def test_export_needs_a_file(run_cli, tmp_path):
    source = tmp_path / "env.envspec.yaml"
    source.write_text('env_ver: "1.0"\nimage:\n  ref: python\n')
    result = run_cli("export", "--to", "binder", source, "-o", tmp_path / "o")
    assert result.code == 1
    assert "error[binder-no-inputs]" in result.out
    assert not (tmp_path / "o").exists()


def test_the_sample_repository_imports_and_exports_back(run_cli, tmp_path):
    sample = REPO_ROOT / "examples" / "formats" / "binder"
    env, out = imported(run_cli, sample, tmp_path)
    assert "warning" not in out
    assert env["python"] == "3.12"
    notebook = tmp_path / "imported.envspec.json"
    result = run_cli("export", "--to", "binder", notebook, "-o", tmp_path / "binder")
    assert result.code == 0, result.out
    for path in (sample / "binder").iterdir():
        assert (tmp_path / "binder" / path.name).read_bytes() == path.read_bytes()
