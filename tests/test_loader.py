"""``envspec.loader.load_environment``: any supported version in, the latest model out."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import pytest

from envspec.loader import Loaded, LoadError, load_environment
from envspec.migrations import migrate
from envspec.models.v1_0 import Environment

SHA1 = "8903fcae689f05c113fc4026e1904def79833071"
LEGACY: dict[str, Any] = {
    "env_ver": "0.1",
    "requirements.txt": "numpy==1.26.4\n",
    "environment.yml": "dependencies:\n  - python=3.11\n",
    "container": "gcr.io/deeplearning-platform-release/tf-gpu.1-13",
    "setup.sh": "#!/bin/sh\necho ok\n",
    "cloud": {
        "Env_name": "gcp notebook",
        "handler_url": "https://notebooks.google.com/deploy_notebook",
        "Cloud_ver": 0.3,
        "metadata": {"environment_version": "tf-gpu.1-13.m24"},
    },
    "git": {"path": "https://github.com/example/analysis.git", "commit id": SHA1},
    "unknown": "kept",
}
CURRENT: dict[str, Any] = {
    "env_ver": "1.0",
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python"},
    "files": {"requirements.txt": "numpy==2.1.2\n"},
    "image": {"ref": "quay.io/jupyter/scipy-notebook", "digest": "sha256:" + "ab" * 32},
}
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, metadata: Mapping[str, Any]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy", id="c1")]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.update(copy.deepcopy(dict(metadata)))
    nbformat.write(nb, path)
    return path


def assert_legacy_loaded(loaded: Loaded) -> None:
    env = loaded.environment
    assert isinstance(env, Environment)
    assert (loaded.migrated, loaded.source_version) == (True, "0.1")
    assert loaded.migration is not None
    assert loaded.migration.path == ("0.1", "1.0")
    assert env.env_ver == "1.0"
    assert env.files == {
        "requirements.txt": LEGACY["requirements.txt"],
        "environment.yml": LEGACY["environment.yml"],
        "postBuild": LEGACY["setup.sh"],
    }
    assert env.image is not None
    assert (env.image.ref, env.image.digest) == (LEGACY["container"], None)
    assert env.git is not None
    assert (env.git.url, env.git.commit) == (LEGACY["git"]["path"], SHA1)
    assert env.cloud is not None
    (target,) = env.cloud
    assert (target.name, target.handler_url, target.version) == (
        "gcp notebook",
        "https://notebooks.google.com/deploy_notebook",
        "0.3",
    )
    assert target.metadata == LEGACY["cloud"]["metadata"]
    assert env.provenance is not None
    assert env.provenance.migrated_from == "0.1"
    assert env.extensions is not None
    assert env.extensions["envspec.legacy"]["kept"] == {"unknown": "kept"}
    assert any("postBuild" in note for note in loaded.notes)
    assert "env-version-legacy" in {d.code for d in loaded.diagnostics}
    assert all(d.severity == "warning" for d in loaded.diagnostics)


def test_legacy_dict(tmp_path):
    loaded = load_environment(LEGACY)
    assert_legacy_loaded(loaded)
    assert loaded.environment.model_dump(mode="json", exclude_none=True) == migrate(LEGACY).document


def test_legacy_dict_is_not_modified():
    document = copy.deepcopy(LEGACY)
    load_environment(document)
    assert document == LEGACY


def test_legacy_notebook(tmp_path):
    path = write_notebook(tmp_path / "old.ipynb", {"environment": LEGACY})
    before = path.read_bytes()
    assert_legacy_loaded(load_environment(path))
    assert_legacy_loaded(load_environment(str(path)))
    assert path.read_bytes() == before  # loading migrates in memory only


def test_legacy_notebook_bytes(tmp_path):
    data = (
        nbformat.writes(nbformat.v4.new_notebook(metadata={"environment": LEGACY})) + "\n"
    ).encode()
    assert_legacy_loaded(load_environment(data))


def test_seed_helper_metadata_env_notebook(tmp_path):
    path = write_notebook(tmp_path / "seed.ipynb", {"env": {"container": "gcr.io/p/tf-gpu:1.13"}})
    loaded = load_environment(path)
    assert (loaded.migrated, loaded.source_version) == (True, "0.1")
    assert loaded.environment.image is not None
    assert loaded.environment.image.ref == "gcr.io/p/tf-gpu:1.13"
    codes = {d.code: d for d in loaded.diagnostics}
    assert codes["legacy-env-key"].pointer == "/metadata/env"
    assert codes["image-unpinned"].pointer == "/metadata/env/container"
    assert any("image" in note for note in loaded.notes)


def test_environment_wins_over_metadata_env(tmp_path):
    path = write_notebook(
        tmp_path / "both.ipynb", {"environment": CURRENT, "env": {"container": "x"}}
    )
    loaded = load_environment(path)
    assert loaded.environment.python == "3.12"
    assert not loaded.migrated


def test_current_notebook_is_not_migrated(tmp_path):
    path = write_notebook(tmp_path / "new.ipynb", {"environment": CURRENT})
    loaded = load_environment(path)
    assert (loaded.migrated, loaded.migration, loaded.source_version, loaded.notes) == (
        False,
        None,
        "1.0",
        (),
    )
    assert loaded.environment.model_dump(mode="json", exclude_none=True) == CURRENT
    assert loaded.diagnostics == ()


@pytest.mark.parametrize("suffix", [".envspec.yaml", ".envspec.yml", ".envspec.json"])
@pytest.mark.parametrize("document", [LEGACY, CURRENT], ids=["0.1", "1.0"])
def test_standalone_envspec_files(tmp_path, suffix, document):
    path = tmp_path / f"environment{suffix}"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")  # JSON is YAML too
    loaded = load_environment(path)
    assert loaded.source_version == document["env_ver"]
    if document is LEGACY:
        assert_legacy_loaded(loaded)
    else:
        assert not loaded.migrated
        assert loaded.environment.model_dump(mode="json", exclude_none=True) == CURRENT


def test_standalone_yaml_with_block_texts(tmp_path):
    path = tmp_path / "environment.envspec.yaml"
    path.write_text(
        'env_ver: "0.1"\n'
        "requirements.txt: |\n  numpy==1.26.4\n"
        "setup.sh: |\n  #!/bin/sh\n  echo ok\n",
        encoding="utf-8",
    )
    loaded = load_environment(path)
    assert loaded.environment.files == {
        "requirements.txt": "numpy==1.26.4\n",
        "postBuild": "#!/bin/sh\necho ok\n",
    }


def test_newer_minor_is_read_with_its_unknown_fields():
    loaded = load_environment({**CURRENT, "env_ver": "1.4", "future": {"x": 1}})
    assert (loaded.migrated, loaded.source_version) == (False, "1.4")
    assert "env-version-newer" in {d.code for d in loaded.diagnostics}
    assert loaded.environment.model_extra == {"future": {"x": 1}}


# --------------------------------------------------------------------------- errors


def codes(error: LoadError) -> set[str]:
    return {d.code for d in error.diagnostics}


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ({"env_ver": "2.0"}, "env-version-unsupported"),
        ({"requirements.txt": "numpy\n"}, "env-version-missing"),
        ({"env_ver": 1.0}, "env-version-invalid"),
        ({**CURRENT, "python": "three"}, "invalid-value"),
        ({**CURRENT, "files": {"requirements.txt": "numpy==\n"}}, "requirement-invalid"),
        (
            {"env_ver": "0.1", "git": {"path": "https://g/r", "commit id": "abc"}},
            "git-commit-invalid",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_documents_with_errors_raise_load_error(document, code):
    with pytest.raises(LoadError) as info:
        load_environment(document)
    assert code in codes(info.value)
    assert all(d.severity == "error" for d in info.value.diagnostics)
    assert code in str(info.value)


def test_load_error_lists_every_error():
    document = {**CURRENT, "python": "three", "files": {"requirements.txt": "numpy==\n"}}
    with pytest.raises(LoadError) as info:
        load_environment(document)
    assert {"invalid-value", "requirement-invalid"} <= codes(info.value)
    assert "more" in str(info.value)


def test_migration_refusal_is_a_load_error_with_its_code(tmp_path):
    environment = {
        "env_ver": "0.1",
        "cloud": {"env_name": "a", "Env_name": "b", "handler_url": "https://h"},
    }
    path = write_notebook(tmp_path / "conflict.ipynb", {"environment": environment})
    with pytest.raises(LoadError) as info:
        load_environment(path)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "migration-conflict"
    assert diagnostic.file == str(path)
    assert diagnostic.pointer == "/metadata/environment"
    assert "'env_name' and 'Env_name'" in diagnostic.message
    assert diagnostic.hint


def test_0_1_with_1_0_fields_is_a_conflict():
    with pytest.raises(LoadError) as info:
        load_environment({"env_ver": "0.1", "requirements.txt": "x\n", "files": {}})
    assert codes(info.value) == {"migration-conflict"}


def test_notebook_errors_point_into_the_notebook(tmp_path):
    bad = {**CURRENT, "files": {"requirements.txt": "numpy==\n"}}
    path = write_notebook(tmp_path / "bad.ipynb", {"environment": bad})
    with pytest.raises(LoadError) as info:
        load_environment(path)
    (diagnostic,) = [d for d in info.value.diagnostics if d.code == "requirement-invalid"]
    assert diagnostic.file == str(path)
    assert diagnostic.pointer == "/metadata/environment/files/requirements.txt"
    assert diagnostic.line == 1


def test_kernelspec_of_the_notebook_is_checked(tmp_path):
    environment = {**CURRENT, "kernel": {"name": "ir", "language": "R"}}
    path = write_notebook(tmp_path / "kernel.ipynb", {"environment": environment})
    with pytest.raises(LoadError) as info:
        load_environment(path)
    assert "kernel-language-mismatch" in codes(info.value)
    assert (
        load_environment(environment).environment.kernel is not None
    )  # no kernelspec, no conflict


def test_environment_that_is_not_an_object(tmp_path):
    path = write_notebook(tmp_path / "list.ipynb", {"environment": ["0.1"]})
    with pytest.raises(LoadError) as info:
        load_environment(path)
    assert codes(info.value) == {"environment-not-object"}
    assert info.value.diagnostics[0].pointer == "/metadata/environment"


def test_notebook_without_environment(tmp_path):
    path = write_notebook(tmp_path / "plain.ipynb", {})
    with pytest.raises(LoadError) as info:
        load_environment(path)
    assert codes(info.value) == {"environment-missing"}
    assert info.value.diagnostics[0].pointer == "/metadata"


@pytest.mark.parametrize(
    ("data", "code"),
    [(b'{"metadata": ', "invalid-json"), (b"[]", "not-a-notebook"), (b"", "empty-file")],
)
def test_unreadable_notebook_bytes(data, code):
    with pytest.raises(LoadError) as info:
        load_environment(data)
    assert codes(info.value) == {code}


def test_load_error_is_a_value_error():
    assert issubclass(LoadError, ValueError)
