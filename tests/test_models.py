"""The pydantic models: lossless round trips, unknown fields of newer minors kept, extensions
kept, the legacy 0.1 spellings kept, and strict types."""

from __future__ import annotations

import copy
import json
from typing import Any

import pydantic
import pytest

from envspec._jsonschema import iter_errors
from envspec.models import MODELS, Environment, v0_1, v1_0, v1_1
from envspec.schema import load

SHA1 = "0123456789abcdef0123456789abcdef01234567"

RICH: dict[str, Any] = {
    "env_ver": "1.0",
    "files": {
        "requirements.txt": "numpy==2.1.2\r\npandas>=2.2  # comment\r\n",
        "environment.yml": "name: x\ndependencies:\n  - python=3.12\n  - pip:\n    - requests\n",
        "postBuild": "#!/bin/bash\nset -euo pipefail\necho 'héllo ✓'",  # no final newline
        "apt.txt": "",
        "Pipfile.lock": '{"_meta": {}, "default": {}}',
    },
    "python": "3.12.4",
    "kernel": {"name": "python3", "language": "python", "display_name": "Python 3 (ipykernel) ✓"},
    "image": {"ref": "quay.io/jupyter/scipy-notebook:2024-05-27", "digest": "sha256:" + "ab" * 32},
    "env": {"OMP_NUM_THREADS": "4", "WANDB_API_KEY": None, "EMPTY": ""},
    "git": {"url": "git@github.com:org/repo.git", "commit": "f" * 64, "subdir": "a/b c"},
    "cloud": [
        {"name": "tf-gpu", "handler_url": "https://deploy.example.org", "version": "2.1"},
        {
            "name": "other",
            "handler_url": "https://x.example.org",
            "metadata": {"k": [1, 2.5, None, {"z": True}]},
        },
    ],
    "hardware": {
        "cpu": 0.5,
        "memory": "512M",
        "gpu": {"count": 2, "vendor": "nvidia", "memory": "16Gi"},
    },
    "provenance": {"migrated_from": "0.1"},
    "extensions": {
        "juv": {"lock": {"packages": [{"name": "numpy", "version": "2.1.2"}]}, "ok": True},
        "org.example.tool": [1, "two", None, 3.5, {"deep": {"er": []}}],
        "envspec.legacy": {"Env_name": "x"},
        "nothing": None,
    },
}


@pytest.mark.parametrize(
    "data",
    [
        RICH,
        {"env_ver": "1.0"},
        {"env_ver": "1.0", "hardware": {"cpu": 2}},
        {"env_ver": "1.0", "hardware": {"cpu": 1.5}},
        {"env_ver": "1.0", "env": {}},
        {"env_ver": "1.0", "files": {}},
        {"env_ver": "1.0", "cloud": []},
        {"env_ver": "1.0", "extensions": {"juv": None}},
    ],
    ids=[
        "rich",
        "minimal",
        "cpu-int",
        "cpu-float",
        "empty-env",
        "empty-files",
        "empty-cloud",
        "null-extension",
    ],
)
def test_round_trip(data):
    model = Environment.model_validate(data)
    assert model.to_data() == data
    # Through JSON too, as tools read it from a notebook.
    again = Environment.model_validate_json(json.dumps(model.to_data()))
    assert again.to_data() == data
    assert json.dumps(again.to_data()) == json.dumps(model.to_data())


def test_round_trip_keeps_types_exactly():
    data = Environment.model_validate({"env_ver": "1.0", "hardware": {"cpu": 2}}).to_data()
    assert type(data["hardware"]["cpu"]) is int
    data = Environment.model_validate(RICH).to_data()
    assert type(data["hardware"]["cpu"]) is float
    assert data["files"]["postBuild"].endswith("✓'")
    assert data["files"]["requirements.txt"].count("\r\n") == 2


def test_optional_fields_are_omitted_not_written_as_null():
    data = Environment.model_validate(
        {"env_ver": "1.0", "kernel": {"name": "k", "language": "l"}}
    ).to_data()
    assert data == {"env_ver": "1.0", "kernel": {"name": "k", "language": "l"}}
    assert "display_name" not in data["kernel"]


def test_typed_access():
    model = Environment.model_validate(RICH)
    assert model.kernel is not None
    assert model.kernel.name == "python3"
    assert model.hardware is not None
    assert model.hardware.gpu is not None
    assert model.hardware.gpu.count == 2
    assert model.cloud is not None
    assert model.cloud[1].metadata == {"k": [1, 2.5, None, {"z": True}]}
    assert isinstance(model.git, v1_0.GitSource)


@pytest.mark.parametrize("minor", ["1.2", "1.7", "1.10"])
def test_unknown_fields_of_a_newer_minor_are_kept(minor):
    data = copy.deepcopy(RICH)
    data["env_ver"] = minor
    data["sbom"] = {"format": "spdx", "items": [1, {"a": None}]}
    data["files"]["uv.lock"] = "version = 1\n"
    data["kernel"]["icon"] = "python.svg"
    data["hardware"]["gpu"]["mig"] = {"profile": "1g.10gb"}
    data["cloud"][0]["region"] = "eu"
    data["git"]["tag"] = "v1"
    model = Environment.model_validate(data)
    assert model.to_data() == data
    assert model.model_extra == {"sbom": data["sbom"]}


def test_extensions_are_kept_as_they_are():
    data = {"env_ver": "1.0", "extensions": copy.deepcopy(RICH["extensions"])}
    model = Environment.model_validate(data)
    assert model.extensions == data["extensions"]
    assert model.to_data()["extensions"] == data["extensions"]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"env_ver": "1.0", "unknown": 1}, "'unknown' is not a field of env_ver 1.0"),
        (
            {"env_ver": "1.0", "kernel": {"name": "k", "language": "l", "icon": "x"}},
            "'kernel.icon'",
        ),
        (
            {"env_ver": "1.0", "files": {"setup.sh": "x"}},
            "'setup.sh' is not a file name of env_ver 1.0",
        ),
        (
            {"env_ver": "1.0", "env": {"1BAD": "x"}},
            "'1BAD' is not a valid environment variable name",
        ),
        ({"env_ver": "1.0", "extensions": {"Bad": 1}}, "'Bad' is not a valid extension name"),
    ],
)
def test_exactly_1_0_documents_may_not_carry_unknown_members(data, fragment):
    with pytest.raises(pydantic.ValidationError) as info:
        Environment.model_validate(data)
    assert fragment in str(info.value)


# ---------------------------------------------------------------------------- strictness


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("env_ver",), 1.0),
        (("env_ver",), "2.0"),
        (("python",), 3.12),
        (("python",), "3"),
        (("python",), "3.12\n"),
        (("files",), ["requirements.txt"]),
        (("files", "requirements.txt"), b"numpy"),
        (("files", "requirements.txt"), 1),
        (("kernel",), "python3"),
        (("kernel", "name"), 3),
        (("kernel", "language"), ""),
        (("image", "ref"), ""),
        (("image", "digest"), "sha256:abc"),
        (("env", "A"), 1),
        (("env", "A"), True),
        (("git", "commit"), "abc1234"),
        (("git", "commit"), 1234567),
        (("cloud",), {"name": "x", "handler_url": "y"}),
        (("cloud", 0, "name"), None),
        (("hardware", "cpu"), "2"),
        (("hardware", "cpu"), True),
        (("hardware", "cpu"), 0),
        (("hardware", "gpu", "count"), True),
        (("hardware", "gpu", "count"), "1"),
        (("hardware", "gpu", "count"), 1.5),
        (("hardware", "gpu", "count"), 0),
        (("hardware", "memory"), 8),
        (("provenance", "migrated_from"), 0.1),
        (("extensions",), ["juv"]),
    ],
)
def test_models_are_strict(path, value):
    data = copy.deepcopy(RICH)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(pydantic.ValidationError):
        Environment.model_validate(data)


def test_models_are_frozen():
    model = Environment.model_validate(RICH)
    with pytest.raises(pydantic.ValidationError):
        model.python = "3.11"  # type: ignore[misc]
    assert model.kernel is not None
    with pytest.raises(pydantic.ValidationError):
        model.kernel.name = "other"  # type: ignore[misc]


def test_models_of_every_supported_version():
    assert set(MODELS) == {"0.1", "1.0", "1.1"}
    assert MODELS["1.0"] is Environment is v1_0.Environment
    assert MODELS["0.1"] is v0_1.Environment
    assert MODELS["1.1"] is v1_1.Environment
    assert issubclass(v1_1.Environment, v1_0.Environment)  # a minor only adds


def test_pixi_lock_is_a_file_name_of_1_1_only():
    lock = {"pixi.lock": "version: 6\nenvironments: {}\npackages: []\n"}
    assert v1_1.Environment.model_validate({"env_ver": "1.1", "files": lock}).files == lock
    with pytest.raises(
        pydantic.ValidationError, match=r"'pixi\.lock' is not a file name of env_ver 1\.0"
    ):
        v1_0.Environment.model_validate({"env_ver": "1.0", "files": lock})
    with pytest.raises(
        pydantic.ValidationError, match=r"'uv\.lock' is not a file name of env_ver 1\.1"
    ):
        v1_1.Environment.model_validate({"env_ver": "1.1", "files": {"uv.lock": "x"}})
    # A later minor is read as 1.1: what it adds is kept.
    later = v1_1.Environment.model_validate({"env_ver": "1.4", "files": {"uv.lock": "x", **lock}})
    assert later.files == {"uv.lock": "x", **lock}


# ------------------------------------------------------------------------------ legacy 0.1

LEGACY: dict[str, Any] = {
    "env_ver": "0.1",
    "requirements.txt": "numpy\n",
    "environment.yaml": "dependencies: [numpy]\n",
    "container": "gcr.io/deeplearning-platform-release/tf-gpu",
    "setup.sh": "#!/bin/sh\necho hi\n",
    "cloud": {
        "Env_name": "tf-gpu",
        "Cloud_ver": 1.5,
        "handler_url": "https://deploy",
        "metadata": {"a": 1},
    },
    "git": {"path": "https://github.com/org/repo", "commit id": SHA1},
    "Env_name": "top-level stray key",
}


def test_legacy_round_trip_keeps_the_original_spellings():
    model = v0_1.Environment.model_validate(LEGACY)
    data = model.to_data()
    assert data == LEGACY
    assert set(data["git"]) == {"path", "commit id"}
    assert set(data["cloud"]) == {"Env_name", "Cloud_ver", "handler_url", "metadata"}
    assert "environment_yaml" not in data
    assert model.git is not None
    assert model.git.commit_id == SHA1
    assert model.cloud is not None
    assert (model.cloud.name, model.cloud.version) == ("tf-gpu", 1.5)


@pytest.mark.parametrize(
    "cloud",
    [
        {"env_name": "a", "cloud_ver": "1"},
        {"Env_name": "a", "Cloud_ver": [1, "2"]},
        {"env_name": "a", "Env_name": "b", "cloud_ver": 1, "Cloud_ver": 2},
        {},
    ],
)
def test_legacy_cloud_spellings(cloud):
    data = {"env_ver": "0.1", "cloud": cloud, "environment.yml": "x"}
    model = v0_1.Environment.model_validate(data)
    assert model.to_data() == data
    assert model.cloud is not None
    assert model.cloud.name == cloud.get("env_name", cloud.get("Env_name"))


@pytest.mark.parametrize(
    "data",
    [
        {"env_ver": 0.1},
        {"env_ver": "0.1", "requirements.txt": 5},
        {"env_ver": "0.1", "git": {"commit id": 5}},
        {"env_ver": "0.1", "cloud": "x"},
        {"env_ver": "0.1", "cloud": {"Cloud_ver": {"a": 1}}},
        {"env_ver": "0.1", "container": ["x"]},
    ],
)
def test_legacy_models_are_strict_too(data):
    with pytest.raises(pydantic.ValidationError):
        v0_1.Environment.model_validate(data)


# ------------------------------------------------- models and schema say the same thing

AGREEING = [
    {"env_ver": "1.0"},
    {"env_ver": "1.0", "python": 3.12},
    {"env_ver": "1.0", "python": "3.12\n"},
    {"env_ver": "1.0", "hardware": {"cpu": 0}},
    {"env_ver": "1.0", "hardware": {"cpu": 1}},
    {"env_ver": "1.0", "hardware": {"gpu": {"count": True}}},
    {"env_ver": "1.0", "files": {"setup.sh": "x"}},
    {"env_ver": "1.0", "unknown": 1},
    {"env_ver": "1.0", "env": {"1A": None}},
    {"env_ver": "1.0", "image": {"ref": "x" * 256}},
    {"env_ver": "1.0", "cloud": [{"name": "x"}]},
    RICH,
]


def _schema_accepts(data: dict[str, Any]) -> bool:
    return not any(True for _ in iter_errors(data, load("1.0")))


def _model_accepts(data: dict[str, Any]) -> bool:
    try:
        Environment.model_validate(data)
    except pydantic.ValidationError:
        return False
    return True


@pytest.mark.parametrize("data", AGREEING, ids=range(len(AGREEING)))
def test_model_and_schema_agree(data):
    assert _model_accepts(data) == _schema_accepts(data)


@pytest.mark.parametrize("field", ["python", "kernel", "image", "git", "hardware", "env"])
def test_model_rejects_null_like_the_schema(field):
    data = {"env_ver": "1.0", field: None}
    assert _schema_accepts(data) is False
    assert _model_accepts(data) is False


def test_model_accepts_an_integral_float_count_like_the_schema():
    data = {"env_ver": "1.0", "hardware": {"gpu": {"count": 1.0}}}
    assert _schema_accepts(data) is True
    assert _model_accepts(data) is True


def test_a_legacy_model_holds_only_env_ver_0_1():
    from envspec.models import v0_1

    with pytest.raises(pydantic.ValidationError):
        v0_1.Environment.model_validate({"env_ver": "1.0"})
    assert v0_1.Environment.model_validate({"env_ver": "0.1"}).env_ver == "0.1"


def test_null_is_accepted_where_it_means_something():
    """``env`` values are the one place where null is a value: supplied at launch."""
    data = {"env_ver": "1.0", "env": {"API_TOKEN": None}}
    assert Environment.model_validate(data).to_data() == data


def test_the_writing_order_of_members_is_the_models_field_order():
    from envspec.vocabulary import MEMBERS

    assert tuple(Environment.model_fields) == MEMBERS


def test_each_version_has_its_closed_set_of_file_names():
    from envspec.vocabulary import FILES, FILES_1_1, files_for, version_needed

    assert files_for("1.0") is FILES
    assert files_for("1.1") is FILES_1_1
    assert files_for("1.7") is FILES_1_1  # a later minor is read as the newest known
    assert set(FILES_1_1) - set(FILES) == {"pixi.lock"}  # a minor only adds
    assert version_needed({"requirements.txt": "", "pylock.toml": ""}) == "1.0"
    assert version_needed({"environment.yml": "", "pixi.lock": ""}) == "1.1"
