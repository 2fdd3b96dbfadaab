"""Migrating environment documents between env_ver versions (``envspec.migrations``).

What is checked is behaviour: a migrated 0.1 document validates as 1.0 and
means the same thing (the files it unpacks to, the image, the git source,
the cloud target), a downgrade gives the original document back (key
spellings, member order, value types), and what cannot be migrated is
refused with a diagnostic code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import pytest

from envspec.migrations import (
    REGISTRY,
    MigrationError,
    Registry,
    Step,
    StepOutput,
    migrate,
    source_version,
)
from envspec.validate import validate_environment

SHA1 = "8903fcae689f05c113fc4026e1904def79833071"
SHA256 = "0123456789abcdef" * 4
DIGEST = "sha256:" + "ab" * 32
REQUIREMENTS = "numpy==1.26.4\npandas>=2.2  # données\n"
CONDA = (
    "name: analysis\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy=1.26\n"
)
SETUP = "#!/bin/bash\nset -e\njupyter nbextension enable --py widgetsnbextension\n"

# The seed's example, made valid JSON (its own text has comments and curly quotes).
SEED = {
    "env_ver": "0.1",
    "requirements.txt": REQUIREMENTS,
    "environment.yaml": CONDA,
    "container": "gcr.io/deeplearning-platform-release/tf-gpu.1-13",
    "setup.sh": SETUP,
    "cloud": {
        "Env_name": "gcp notebook",
        "handler_url": "https://notebooks.google.com/deploy_notebook",
        "cloud_ver": 0.3,
        "metadata": {
            "environment_version": "tf-gpu.1-13.m24",
            "container": "container path",
            "machine_configuration": "TBD: some way to specify what the machine hardware sould be",
        },
    },
    "git": {"path": "https://github.com/example/analysis.git", "commit id": SHA1},
}

#: Valid 0.1 documents, as found in the wild.
VALID_0_1: dict[str, dict[str, Any]] = {
    "seed-example": SEED,
    "minimal": {"env_ver": "0.1"},
    "requirements-only": {"env_ver": "0.1", "requirements.txt": REQUIREMENTS},
    "environment-yml-spelling": {"env_ver": "0.1", "environment.yml": CONDA},
    "setup-script-only": {"env_ver": "0.1", "setup.sh": SETUP},
    "container-with-digest": {
        "env_ver": "0.1",
        "container": f"quay.io/jupyter/base:2024-10@{DIGEST}",
    },
    "container-digest-no-tag": {"env_ver": "0.1", "container": f"ubuntu@{DIGEST}"},
    "cloud-schema-spellings": {
        "env_ver": "0.1",
        "cloud": {
            "env_name": "Name",
            "handler_url": "https://example.org/deploy",
            "Cloud_ver": [2],
            "metadata": {},
        },
    },
    "cloud-version-string": {
        "env_ver": "0.1",
        "cloud": {"env_name": "n", "handler_url": "https://h.example", "cloud_ver": "2024.1"},
    },
    "cloud-version-int": {
        "env_ver": "0.1",
        "cloud": {"handler_url": "https://h.example", "Env_name": "n", "Cloud_ver": 3},
    },
    "cloud-version-list-string": {
        "env_ver": "0.1",
        "cloud": {"env_name": "n", "handler_url": "https://h.example", "cloud_ver": ["1.2"]},
    },
    "cloud-version-list-of-two": {
        "env_ver": "0.1",
        "cloud": {"env_name": "n", "handler_url": "https://h.example", "cloud_ver": [1, "b"]},
    },
    "cloud-both-spellings-agree": {
        "env_ver": "0.1",
        "cloud": {
            "env_name": "same",
            "Env_name": "same",
            "handler_url": "https://h.example",
            "cloud_ver": 0.3,
            "Cloud_ver": 0.3,
        },
    },
    "cloud-unknown-members": {
        "env_ver": "0.1",
        "cloud": {"region": "eu", "env_name": "n", "handler_url": "https://h.example", "x.y": 1},
    },
    "cloud-without-name": {"env_ver": "0.1", "cloud": {"handler_url": "https://h.example"}},
    "cloud-empty-version": {
        "env_ver": "0.1",
        "cloud": {"env_name": "n", "handler_url": "https://h.example", "cloud_ver": ""},
    },
    "cloud-empty": {"env_ver": "0.1", "cloud": {}},
    "git-ssh": {
        "env_ver": "0.1",
        "git": {"path": "git@github.com:org/repo.git", "commit id": SHA256},
    },
    "git-local-path": {"env_ver": "0.1", "git": {"path": "../analysis", "commit id": SHA1}},
    "git-path-only": {"env_ver": "0.1", "git": {"path": "https://github.com/o/r"}},
    "git-extra-member": {
        "env_ver": "0.1",
        "git": {"branch": "main", "commit id": SHA1, "path": "https://github.com/o/r"},
    },
    "both-conda-files": {"env_ver": "0.1", "environment.yml": CONDA, "environment.yaml": CONDA},
    "unknown-members": {
        "env_ver": "0.1",
        "apt.txt": "libgl1\n",
        "my.tool": {"nested": [1, 2.5, None, True]},
        "cloud.shadow": "top level, not in the cloud block",
        "Ünïcode ✓": "välue",
    },
    "keys-in-unusual-order": {
        "git": {"commit id": SHA1, "path": "https://github.com/o/r"},
        "setup.sh": "echo hi\n",
        "cloud": {
            "metadata": {"b": 1, "a": 2},
            "cloud_ver": 1.5,
            "handler_url": "https://h.x",
            "Env_name": "n",
        },
        "container": "ubuntu:22.04",
        "env_ver": "0.1",
        "requirements.txt": "numpy\n",
    },
    "non-ascii-everywhere": {
        "env_ver": "0.1",
        "setup.sh": "echo 'données ✓ 🚀'\n",
        "cloud": {
            "env_name": "nom ✓",
            "handler_url": "https://h.example/ü",
            "metadata": {"é": "ü"},
        },
    },
}


def errors(document: object, **kwargs: Any) -> list[str]:
    return [
        f"{d.pointer}: {d.code} {d.message}"
        for d in validate_environment(document, **kwargs)
        if d.severity == "error"
    ]


def unpacked_0_1(document: Mapping[str, Any]) -> dict[str, str]:
    """The files a 0.1 document unpacks to, by their 1.0 names."""
    files = {
        name: document[name]
        for name in ("requirements.txt", "environment.yaml", "environment.yml")
        if isinstance(document.get(name), str)
    }
    if isinstance(document.get("setup.sh"), str):
        files["postBuild"] = document["setup.sh"]
    return files


def ordered(value: object) -> str:
    """A text that differs when values, key order or number types differ."""
    return json.dumps(value, ensure_ascii=False)


def assert_same_meaning(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """*new* (1.0) means what *old* (0.1) meant, field by field."""
    expected_files = unpacked_0_1(old)
    if "environment.yaml" in expected_files:
        expected_files.pop("environment.yml", None)  # 1.0 embeds one conda file
    assert new.get("files", {}) == expected_files
    image = new.get("image")
    if image is not None:
        digest = image.get("digest")
        assert old["container"] == image["ref"] + (f"@{digest}" if digest else "")
    git = new.get("git")
    if git is not None:
        assert (git["url"], git["commit"]) == (old["git"]["path"], old["git"]["commit id"])
    targets = new.get("cloud")
    if targets is not None:
        assert len(targets) == 1
        cloud = old["cloud"]
        target = targets[0]
        assert target["name"] == cloud.get("env_name", cloud.get("Env_name"))
        assert target["handler_url"] == cloud["handler_url"]
        assert target.get("metadata") == cloud.get("metadata")
        version = cloud.get("cloud_ver", cloud.get("Cloud_ver"))
        if isinstance(version, list) and len(version) == 1:
            version = version[0]
        if version not in (None, ""):
            expected = version if isinstance(version, str) else json.dumps(version)
            assert target["version"] == expected
    # Whatever has no 1.0 field is kept, not dropped.
    legacy = new.get("extensions", {}).get("envspec.legacy", {})
    kept = legacy.get("kept", {})
    for key in ("container", "cloud", "git"):
        if key in old:
            assert (key == "container" and "image" in new) or key in new or kept[key] == old[key]
    known = {"env_ver", "requirements.txt", "environment.yaml", "environment.yml", "setup.sh"}
    for key, value in old.items():
        if key not in known | {"container", "cloud", "git"}:
            assert kept[key] == value


# --------------------------------------------------------------------------- 0.1 -> 1.0


@pytest.mark.parametrize("name", VALID_0_1)
def test_valid_0_1_migrates_to_valid_1_0_with_the_same_meaning(name):
    old = VALID_0_1[name]
    assert errors(old) == [], "the case itself must be valid 0.1"
    result = migrate(old)
    new = result.document
    assert new["env_ver"] == "1.0"
    assert (result.source, result.target, result.path) == ("0.1", "1.0", ("0.1", "1.0"))
    assert result.changed
    assert errors(new) == []
    assert new["provenance"] == {"migrated_from": "0.1"}
    assert_same_meaning(old, new)


@pytest.mark.parametrize("name", VALID_0_1)
def test_round_trip_gives_the_original_document_back(name):
    old = VALID_0_1[name]
    back = migrate(migrate(old).document, "0.1")
    assert back.lost == ()
    assert back.path == ("1.0", "0.1")
    assert ordered(back.document) == ordered(old)  # values, spellings, order and number types
    assert back.document == old


@pytest.mark.parametrize("name", VALID_0_1)
def test_migrating_the_result_again_changes_nothing(name):
    new = migrate(VALID_0_1[name]).document
    again = migrate(new)
    assert not again.changed
    assert again.path == ("1.0",)
    assert ordered(again.document) == ordered(new)


def test_seed_example_maps_every_member():
    new = migrate(SEED).document
    assert new["files"] == {
        "requirements.txt": REQUIREMENTS,
        "environment.yaml": CONDA,
        "postBuild": SETUP,
    }
    assert new["image"] == {"ref": "gcr.io/deeplearning-platform-release/tf-gpu.1-13"}
    assert new["git"] == {"url": "https://github.com/example/analysis.git", "commit": SHA1}
    assert new["cloud"] == [
        {
            "name": "gcp notebook",
            "handler_url": "https://notebooks.google.com/deploy_notebook",
            "version": "0.3",
            "metadata": SEED["cloud"]["metadata"],
        }
    ]
    back = migrate(new, "0.1").document
    assert "Env_name" in back["cloud"]
    assert "env_name" not in back["cloud"]
    assert back["cloud"]["cloud_ver"] == 0.3
    assert isinstance(back["cloud"]["cloud_ver"], float)


def test_container_digest_is_split_and_joined_again():
    old = VALID_0_1["container-with-digest"]
    new = migrate(old).document
    assert new["image"] == {"ref": "quay.io/jupyter/base:2024-10", "digest": DIGEST}
    assert not any(d.code == "image-unpinned" for d in validate_environment(new))
    assert migrate(new, "0.1").document["container"] == old["container"]


@pytest.mark.parametrize(
    ("version", "text"),
    [
        (0.3, "0.3"),
        (3, "3"),
        ("2024.1", "2024.1"),
        ([2], "2"),
        (["1.2"], "1.2"),
        ([1, "b"], '[1, "b"]'),
    ],
)
def test_cloud_version_becomes_text_and_comes_back_with_its_type(version, text):
    old = {
        "env_ver": "0.1",
        "cloud": {"env_name": "n", "handler_url": "https://h", "cloud_ver": version},
    }
    new = migrate(old).document
    assert new["cloud"][0]["version"] == text
    back = migrate(new, "0.1").document["cloud"]["cloud_ver"]
    assert ordered(back) == ordered(version)


def test_edited_cloud_version_wins_over_the_kept_original():
    new = migrate(SEED).document
    new["cloud"][0]["version"] = "0.4"
    assert migrate(new, "0.1").document["cloud"]["cloud_ver"] == "0.4"


def test_both_conda_files_keep_environment_yaml_and_set_the_other_aside():
    old = VALID_0_1["both-conda-files"]
    result = migrate(old)
    assert result.document["files"] == {"environment.yaml": CONDA}
    assert result.document["extensions"]["envspec.legacy"]["kept"] == {"environment.yml": CONDA}
    assert any("environment.yml" in note for note in result.notes)


@pytest.mark.parametrize(
    ("name", "member"),
    [
        ("git-local-path", "git"),
        ("git-path-only", "git"),
        ("cloud-without-name", "cloud"),
        ("cloud-empty", "cloud"),
    ],
)
def test_what_1_0_cannot_hold_is_kept_in_the_legacy_extension(name, member):
    old = VALID_0_1[name]
    result = migrate(old)
    assert member not in result.document
    assert result.document["extensions"]["envspec.legacy"]["kept"][member] == old[member]
    assert any(note.startswith(f"{member!r}") and "kept under" in note for note in result.notes)


def test_unknown_members_are_kept_not_turned_into_files():
    old = VALID_0_1["unknown-members"]
    result = migrate(old)
    # 0.1 unpacks only its own four files: 'apt.txt' was never one of them.
    assert "files" not in result.document
    kept = result.document["extensions"]["envspec.legacy"]["kept"]
    assert kept == {k: v for k, v in old.items() if k != "env_ver"}
    for key in kept:
        assert any(note.startswith(repr(key)) for note in result.notes)


def test_kept_members_of_cloud_and_git_are_listed_in_the_notes():
    notes = migrate(VALID_0_1["cloud-unknown-members"]).notes
    assert any("'region', 'x.y'" in note and "kept under" in note for note in notes)
    notes = migrate(VALID_0_1["git-extra-member"]).notes
    assert any("'branch'" in note and "kept under" in note for note in notes)
    notes = migrate(VALID_0_1["cloud-both-spellings-agree"]).notes
    assert any("'Env_name', 'Cloud_ver'" in note for note in notes)


def test_invalid_container_is_kept_not_turned_into_an_invalid_image():
    old = {"env_ver": "0.1", "container": "Not A Reference!"}
    new = migrate(old).document
    assert "image" not in new
    assert errors(new) == []
    assert migrate(new, "0.1").document == old


def test_notes_say_what_moved():
    notes = "\n".join(migrate(SEED).notes)
    assert "files/postBuild" in notes
    assert "image" in notes
    assert "cloud[0]" in notes
    assert "git.url" in notes


# --------------------------------------------------------------------------- 1.0 -> 0.1

NATIVE_1_0: dict[str, Any] = {
    "env_ver": "1.0",
    "files": {"requirements.txt": REQUIREMENTS, "environment.yml": CONDA, "postBuild": SETUP},
    "image": {"ref": "quay.io/jupyter/base:2024-10", "digest": DIGEST},
    "git": {"url": "https://github.com/o/r.git", "commit": SHA1},
    "cloud": [
        {"name": "n", "handler_url": "https://h.example", "version": "2", "metadata": {"a": 1}}
    ],
}


def test_downgrade_of_what_fits():
    result = migrate(NATIVE_1_0, "0.1")
    assert result.lost == ()
    assert result.document == {
        "env_ver": "0.1",
        "requirements.txt": REQUIREMENTS,
        "environment.yml": CONDA,
        "container": f"quay.io/jupyter/base:2024-10@{DIGEST}",
        "setup.sh": SETUP,
        "cloud": {
            "env_name": "n",
            "handler_url": "https://h.example",
            "cloud_ver": "2",
            "metadata": {"a": 1},
        },
        "git": {"path": "https://github.com/o/r.git", "commit id": SHA1},
    }
    assert errors(result.document) == []


LOSSY: dict[str, tuple[dict[str, Any], str]] = {
    "python": ({"python": "3.12"}, "python"),
    "kernel": ({"kernel": {"name": "python3", "language": "python"}}, "kernel"),
    "env": ({"env": {"TOKEN": None}}, "env"),
    "hardware": ({"hardware": {"cpu": 2}}, "hardware"),
    "file-unknown-to-0.1": ({"files": {"apt.txt": "libgl1\n"}}, "files/apt.txt"),
    "second-cloud-target": (
        {
            "cloud": [
                {"name": "a", "handler_url": "https://a"},
                {"name": "b", "handler_url": "https://b"},
            ]
        },
        "cloud/1",
    ),
    "git-subdir": ({"git": {"url": "https://g/r", "commit": SHA1, "subdir": "nb"}}, "git/subdir"),
    "other-extension": ({"extensions": {"juv": {"x": 1}}}, "extensions/juv"),
    "member-of-a-newer-minor": ({"future": 1}, "future"),
}


@pytest.mark.parametrize("case", LOSSY)
def test_downgrade_that_loses_data_is_refused_unless_allowed(case):
    extra, item = LOSSY[case]
    document = {"env_ver": "1.0", **extra}
    with pytest.raises(MigrationError) as info:
        migrate(document, "0.1")
    assert info.value.code == "migration-lossy"
    assert any(p.startswith(item) for p in info.value.problems), info.value.problems
    assert "lose" in info.value.message
    result = migrate(document, "0.1", allow_lossy=True)
    assert result.document["env_ver"] == "0.1"
    assert any(p.startswith(item) for p in result.lost)
    assert errors(result.document) == []


def test_lossy_error_lists_everything_that_would_be_lost():
    document = {
        **NATIVE_1_0,
        "python": "3.12",
        "hardware": {"cpu": 1},
        "files": {"start": 'exec "$@"\n'},
    }
    with pytest.raises(MigrationError) as info:
        migrate(document, "0.1")
    problems = info.value.problems
    assert len(problems) == 3
    assert {p.split(" ")[0] for p in problems} == {"python", "hardware", "files/start"}


@pytest.mark.parametrize(
    "document",
    [
        {"env_ver": "1.0", "image": {}},
        {"env_ver": "1.0", "image": "ubuntu"},
        {"env_ver": "1.0", "cloud": {"name": "n"}},
        {"env_ver": "1.0", "cloud": [{"name": "n"}]},
        {"env_ver": "1.0", "git": {"url": "https://g"}},
        {"env_ver": "1.0", "files": ["requirements.txt"]},
        {"env_ver": "1.0", "extensions": []},
    ],
    ids=repr,
)
def test_malformed_1_0_is_reported_as_lossy_not_a_crash(document):
    with pytest.raises(MigrationError) as info:
        migrate(document, "0.1")
    assert info.value.code == "migration-lossy"
    assert info.value.problems


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("document", "to", "code"),
    [
        ({"env_ver": "2.0"}, "1.0", "env-version-unsupported"),
        ({"env_ver": "0.2"}, "1.0", "env-version-unsupported"),
        ({"requirements.txt": "numpy\n"}, "1.0", "env-version-missing"),
        ({"env_ver": 1.0}, "0.1", "env-version-invalid"),
        ({"env_ver": 0.1}, "1.0", "env-version-invalid"),
        ({"env_ver": "1.0.0"}, "0.1", "env-version-invalid"),
        ({"env_ver": "1.7"}, "0.1", "env-version-newer"),
        ({"env_ver": "0.1"}, "2.0", "env-version-unsupported"),
        ({"env_ver": "0.1"}, "0.5", "env-version-unsupported"),
        ({"env_ver": "0.1", "files": {"requirements.txt": "x\n"}}, "1.0", "migration-conflict"),
        (
            {"env_ver": "0.1", "container": "ubuntu", "image": {"ref": "x"}},
            "1.0",
            "migration-conflict",
        ),
        (
            {
                "env_ver": "0.1",
                "cloud": {"env_name": "a", "Env_name": "b", "handler_url": "https://h"},
            },
            "1.0",
            "migration-conflict",
        ),
        (
            {
                "env_ver": "0.1",
                "cloud": {
                    "env_name": "a",
                    "handler_url": "https://h",
                    "cloud_ver": 1,
                    "Cloud_ver": 2,
                },
            },
            "1.0",
            "migration-conflict",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_refusals_carry_a_diagnostic_code(document, to, code):
    snapshot = copy.deepcopy(document)
    with pytest.raises(MigrationError) as info:
        migrate(document, to)
    assert info.value.code == code
    assert info.value.message
    assert str(info.value) == info.value.message
    assert document == snapshot


def test_conflict_names_both_spellings():
    document = {
        "env_ver": "0.1",
        "cloud": {"env_name": "a", "Env_name": "b", "handler_url": "https://h"},
    }
    with pytest.raises(MigrationError, match="'env_name' and 'Env_name'"):
        migrate(document)


def test_mixed_versions_name_the_1_0_fields():
    with pytest.raises(MigrationError, match=r"1\.0 fields \(files, python\)"):
        migrate({"env_ver": "0.1", "python": "3.12", "files": {}})


def test_source_version():
    assert source_version({"env_ver": "0.1"}) == "0.1"
    assert source_version({"env_ver": "1.0"}) == "1.0"
    with pytest.raises(MigrationError) as info:
        source_version({})
    assert info.value.code == "env-version-missing"
    assert info.value.problems  # says how to fix it


def test_newer_minor_is_not_migrated_silently():
    with pytest.raises(MigrationError) as info:
        migrate({"env_ver": "1.3", "new-field": 1}, "1.0")
    assert info.value.code == "env-version-newer"


# --------------------------------------------------------------------------- purity


def test_migrate_does_not_modify_its_input_and_shares_nothing_with_it():
    old = copy.deepcopy(SEED)
    result = migrate(old)
    assert old == SEED
    result.document["cloud"][0]["metadata"]["environment_version"] = "changed"
    result.document["files"]["postBuild"] = "changed"
    assert old == SEED
    back = migrate(result.document, "0.1", allow_lossy=True)
    back.document["cloud"]["metadata"]["container"] = "changed"
    assert result.document["cloud"][0]["metadata"]["container"] == "container path"


def test_migrating_to_the_same_version_is_a_no_op():
    result = migrate(NATIVE_1_0, "1.0")
    assert (result.path, result.changed, result.notes, result.lost) == (("1.0",), False, (), ())
    assert result.document == NATIVE_1_0
    result = migrate(SEED, "0.1")
    assert result.document == SEED
    assert not result.changed


# --------------------------------------------------------------------------- the registry


def _to_1_2(document: Mapping[str, Any]) -> StepOutput:
    return StepOutput({**document, "env_ver": "1.2", "note-1-2": True}, ("1.2 adds note-1-2",))


def _to_1_1(document: Mapping[str, Any]) -> StepOutput:
    out = {k: v for k, v in document.items() if k != "note-1-2"}
    return StepOutput({**out, "env_ver": "1.1"})


def test_a_new_version_chains_after_the_existing_steps():
    registry = REGISTRY.copy()
    registry.register(Step("1.1", "1.2", _to_1_2))
    registry.register(Step("1.2", "1.1", _to_1_1))
    assert registry.versions == ["0.1", "1.0", "1.1", "1.2"]

    result = migrate(SEED, "1.2", registry=registry)
    assert result.path == ("0.1", "1.0", "1.1", "1.2")
    assert (result.source, result.target) == ("0.1", "1.2")
    assert result.document["env_ver"] == "1.2"
    assert result.document["note-1-2"] is True
    assert result.document["files"]["postBuild"] == SETUP
    assert result.notes[-1] == "1.2 adds note-1-2"
    assert any("postBuild" in n for n in result.notes)

    back = migrate(result.document, "0.1", registry=registry)
    assert back.path == ("1.2", "1.1", "1.0", "0.1")
    assert ordered(back.document) == ordered(SEED)

    # The library's registry is untouched.
    assert REGISTRY.versions == ["0.1", "1.0", "1.1"]
    with pytest.raises(MigrationError) as info:
        migrate(SEED, "1.2")
    assert info.value.code == "env-version-unsupported"


def test_a_step_between_non_neighbours_is_refused_and_changes_nothing():
    registry = REGISTRY.copy()
    versions, steps = list(registry.versions), dict(registry.steps)
    with pytest.raises(ValueError, match="neighbouring"):
        registry.register(Step("0.1", "1.2", _to_1_2))
    assert (registry.versions, registry.steps) == (versions, steps)
    registry.register(Step("1.1", "1.2", _to_1_2))
    with pytest.raises(ValueError, match="neighbouring"):
        registry.register(Step("1.2", "0.1", _to_1_1))


def test_a_missing_step_is_reported():
    registry = REGISTRY.copy()
    registry.register(Step("1.1", "1.2", _to_1_2))
    with pytest.raises(MigrationError) as info:
        migrate({"env_ver": "1.2"}, "1.1", registry=registry)
    assert info.value.code == "env-version-unsupported"
    assert "no migration from 1.2 to 1.1" in info.value.message


# ------------------------------------------------------------------------- 1.0 <-> 1.1

PIXI_LOCK = "version: 6\nenvironments: {}\npackages: []\n"


def test_1_0_upgrades_to_1_1_keeping_everything():
    document = {"env_ver": "1.0", "files": {"requirements.txt": "numpy\n"}, "x-new": 1}
    result = migrate(document, "1.1")
    assert result.document == {
        "env_ver": "1.1",
        "files": {"requirements.txt": "numpy\n"},
        "provenance": {"migrated_from": "1.0"},
        "x-new": 1,
    }
    assert not result.lost


def test_0_1_upgrades_to_1_1_and_records_where_it_came_from():
    result = migrate(SEED, "1.1")
    assert result.path == ("0.1", "1.0", "1.1")
    assert result.document["provenance"] == {"migrated_from": "0.1"}


def test_a_downgrade_to_1_0_refuses_to_drop_a_pixi_lock():
    document = {
        "env_ver": "1.1",
        "files": {"environment.yml": "dependencies: [numpy]\n", "pixi.lock": PIXI_LOCK},
        "extensions": {"envspec.lock": {"pixi.lock": {"sha256": "0"}}, "juv": {"a": 1}},
    }
    with pytest.raises(MigrationError) as info:
        migrate(document, "1.0")
    assert info.value.code == "migration-lossy"
    assert info.value.problems == ("files/pixi.lock (no such file name in 1.0)",)
    result = migrate(document, "1.0", allow_lossy=True)
    assert result.document == {
        "env_ver": "1.0",
        "files": {"environment.yml": "dependencies: [numpy]\n"},
        "provenance": {"migrated_from": "1.1"},
        "extensions": {"juv": {"a": 1}},
    }
    assert result.lost == info.value.problems


def test_a_1_1_document_without_a_pixi_lock_goes_back_to_1_0_losslessly():
    document = {"env_ver": "1.1", "python": "3.12"}
    result = migrate(document, "1.0")
    assert result.document == {
        "env_ver": "1.0",
        "python": "3.12",
        "provenance": {"migrated_from": "1.1"},
    }


def test_an_empty_registry_knows_nothing():
    with pytest.raises(MigrationError) as info:
        migrate(SEED, "1.0", registry=Registry())
    assert info.value.code == "env-version-unsupported"
