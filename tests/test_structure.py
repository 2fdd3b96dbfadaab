"""``env_ver`` handling and the structure rules that come from each version's JSON Schema:
wrong-type, missing-field, unknown-field, unknown-file-name, invalid-value; newer minors and
legacy 0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envspec.diagnostics import escape_pointer
from envspec.schema import load
from envspec.validate import validate_bytes, validate_environment
from envspec.vocabulary import FILES

SHA1 = "0123456789abcdef0123456789abcdef01234567"
ENV_FORM = "(letters, digits, '_', not starting with a digit)"

#: A 1.0 environment with every field, valid (no diagnostics at all).
FULL: dict[str, Any] = {
    "env_ver": "1.0",
    "files": {"requirements.txt": "numpy==2.1.2\n", "apt.txt": "curl\n"},
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "image": {"ref": "quay.io/jupyter/scipy-notebook:2024-05-27", "digest": "sha256:" + "ab" * 32},
    "env": {"OMP_NUM_THREADS": "4", "WANDB_API_KEY": None},
    "git": {"url": "https://github.com/org/repo", "commit": SHA1, "subdir": "notebooks"},
    "cloud": [
        {
            "name": "demo",
            "handler_url": "https://deploy.example.org",
            "version": "2",
            "metadata": {"a": [1]},
        }
    ],
    "hardware": {
        "cpu": 2,
        "memory": "8Gi",
        "gpu": {"count": 1, "vendor": "nvidia", "memory": "16Gi"},
    },
    "provenance": {"migrated_from": "0.1"},
    "extensions": {"juv": {"lock": True}, "org.example.tool": [1, None]},
}


def found(env: object, kernelspec: object = None) -> list[tuple[str, str]]:
    return [(d.code, d.pointer) for d in validate_environment(env, kernelspec=kernelspec)]


def messages(env: object) -> list[str]:
    return [d.message for d in validate_environment(env)]


def with_value(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    """A deep copy of FULL with the value at *path* replaced."""
    env = json.loads(json.dumps(FULL))
    target = env
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return env


def pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + escape_pointer(p) for p in path)


def test_the_full_environment_is_valid():
    assert found(FULL) == []


# ---------------------------------------------------------------------------------- env_ver


def test_not_an_object():
    for value in ([], "1.0", None, 5, True):
        assert found(value) == [("environment-not-object", "")]
    assert messages([]) == ["the environment is an array, not an object"]
    assert messages("x") == ["the environment is a string, not an object"]


def test_missing_env_ver_stops_every_other_check():
    assert found({"python": 3.12, "files": {"x": 1}}) == [("env-version-missing", "")]
    assert messages({}) == ["'env_ver' is missing"]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        (1.0, 'Write "env_ver": "1.0"'),
        (1, 'Write "env_ver": "1.0"'),
        (0.1, 'Write "env_ver": "0.1"'),
        (True, None),
        (None, None),
        ([], None),
        ("1", None),
        ("1.0.0", None),
        ("01.0", None),
        ("1.01", None),
        (" 1.0", None),
        ("1.0\n", None),
        ("v1.0", None),
        ("\uff11.\uff10", None),  # fullwidth digits
        ("", None),
    ],
)
def test_invalid_env_ver(value, hint):
    [diagnostic] = validate_environment({"env_ver": value, "python": 5})
    assert (diagnostic.code, diagnostic.pointer) == ("env-version-invalid", "/env_ver")
    assert diagnostic.message == f"{value!r} is not a 'MAJOR.MINOR' string"
    assert diagnostic.hint == (hint or 'Write the version as a quoted string, e.g. `"1.0"`.')


def test_a_yaml_number_gets_the_quoted_hint():
    [diagnostic] = validate_bytes(b"env_ver: 1.0\n", "e.envspec.yaml").diagnostics
    assert (diagnostic.code, diagnostic.location()) == (
        "env-version-invalid",
        "e.envspec.yaml#/env_ver",
    )
    assert diagnostic.hint == 'Write "env_ver": "1.0"'


@pytest.mark.parametrize("value", ["2.0", "2.1", "10.0", "0.0", "0.2", "0.10"])
def test_unsupported_versions_are_rejected_without_further_checks(value):
    assert found({"env_ver": value, "python": 5, "unknown": 1}) == [
        ("env-version-unsupported", "/env_ver")
    ]
    assert messages({"env_ver": value}) == [
        f"env_ver {value!r} is not supported (this tool reads 0.1 and 1.x up to 1.1)"
    ]


@pytest.mark.parametrize("value", ["1.2", "1.9", "1.10", "1.99999999999999999999"])
def test_a_newer_minor_is_read_with_a_warning(value):
    diagnostics = validate_environment({**FULL, "env_ver": value})
    assert [(d.code, d.severity, d.pointer) for d in diagnostics] == [
        ("env-version-newer", "warning", "/env_ver")
    ]
    assert diagnostics[0].message == f"env_ver {value!r} is newer than this tool (1.1)"


def test_a_newer_minor_lists_what_it_does_not_check():
    env = {
        **FULL,
        "env_ver": "1.3",
        "sbom": {"format": "spdx"},
        "files": {"requirements.txt": "numpy\n", "uv.lock": "version = 1\n"},
        "kernel": {"name": "python3", "language": "python", "icon": "py.svg"},
        "hardware": {"gpu": {"count": 1, "mig": True}},
    }
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer) for d in diagnostics] == [("env-version-newer", "/env_ver")]
    assert diagnostics[0].message == (
        "env_ver '1.3' is newer than this tool (1.1); not checked: "
        "files/uv.lock, kernel/icon, hardware/gpu/mig, sbom"
    )


def test_a_newer_minor_still_checks_known_fields():
    env = {
        "env_ver": "1.4",
        "python": 3.12,
        "env": {"1BAD": None},
        "extensions": {"Bad": 1},
        "new": 1,
    }
    assert found(env) == [
        ("wrong-type", "/python"),
        ("invalid-value", "/env/1BAD"),
        ("invalid-value", "/extensions/Bad"),
        ("env-version-newer", "/env_ver"),
    ]


def test_a_newer_minor_still_runs_the_rules():
    env = {
        "env_ver": "1.2",
        "files": {"requirements.txt": "-e .\n"},
        "git": {"url": "x", "commit": "abc"},
    }
    assert found(env) == [
        ("env-version-newer", "/env_ver"),
        ("requirement-editable", "/files/requirements.txt"),
        ("url-invalid", "/git/url"),
        ("git-commit-invalid", "/git/commit"),
    ]


# ---------------------------------------------------------------------------- legacy 0.1

LEGACY = {
    "env_ver": "0.1",
    "requirements.txt": "numpy\n",
    "environment.yml": "dependencies: [numpy]\n",
    "container": "gcr.io/deeplearning-platform-release/tf-gpu@sha256:" + "ab" * 32,
    "setup.sh": "#!/bin/sh\necho hi\n",
    "cloud": {"Env_name": "tf-gpu", "Cloud_ver": 1.5, "handler_url": "https://deploy.example.org"},
    "git": {"path": "https://github.com/org/repo", "commit id": SHA1},
    "anything_else": {"kept": True},
}


def test_legacy_documents_are_read_with_a_warning():
    diagnostics = validate_environment(LEGACY)
    assert [(d.code, d.severity, d.pointer) for d in diagnostics] == [
        ("env-version-legacy", "warning", "/env_ver")
    ]
    assert diagnostics[0].hint == "Run `envspec migrate NOTEBOOK`."


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("requirements.txt",), 5, [("wrong-type", "/requirements.txt")]),
        (("container",), ["x"], [("wrong-type", "/container")]),
        (("cloud",), "x", [("wrong-type", "/cloud")]),
        (("cloud", "Env_name"), 1, [("wrong-type", "/cloud/Env_name")]),
        (("cloud", "Cloud_ver"), True, [("wrong-type", "/cloud/Cloud_ver")]),
        (("cloud", "Cloud_ver"), ["1", 2], []),
        (("git",), [], [("wrong-type", "/git")]),
        (("git", "commit id"), 5, [("wrong-type", "/git/commit id")]),
        (("git", "commit id"), "abc", [("git-commit-invalid", "/git/commit id")]),
        (("container",), "Bad Ref", [("image-invalid", "/container")]),
    ],
)
def test_legacy_structure(path, value, expected):
    env = json.loads(json.dumps(LEGACY))
    target = env
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert found(env) == [("env-version-legacy", "/env_ver"), *expected]


def test_legacy_cloud_ver_type_message():
    env = {**LEGACY, "cloud": {"Cloud_ver": True}}
    assert messages(env)[1] == "True is not a string or a number or an integer or an array"


def test_legacy_in_a_notebook_and_under_metadata_env():
    nb = {"cells": [], "metadata": {"environment": LEGACY}, "nbformat": 4, "nbformat_minor": 5}
    [diagnostic] = validate_bytes(json.dumps(nb).encode(), "a.ipynb").diagnostics
    assert diagnostic.location() == "a.ipynb#/metadata/environment/env_ver"
    nb = {
        "cells": [],
        "metadata": {"env": {"container": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    [diagnostic] = validate_bytes(json.dumps(nb).encode(), "a.ipynb").diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.pointer) == (
        "legacy-env-key",
        "warning",
        "/metadata/env",
    )


# ------------------------------------------------------------------------ schema: wrong-type


def _wrong_values(schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]):
    """(path, wrong value, expected message) for every typed property reachable in *schema*."""
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    for name, prop in schema.get("properties", {}).items():
        if name == "env_ver":
            continue
        where = (*path, name)
        target = root["$defs"][prop["$ref"].removeprefix("#/$defs/")] if "$ref" in prop else prop
        kind = target.get("type")
        wrong = {"string": 5, "object": "text", "array": {"a": 1}, "number": "2", "integer": 1.5}[
            kind
        ]
        yield where, wrong
        if kind == "object":
            yield from _wrong_values(target, root, where)
        if kind == "array" and "$ref" in target.get("items", {}):
            yield from _wrong_values(target["items"], root, (*where, 0))


_WRONG = list(_wrong_values(load("1.0"), load("1.0"), ()))


def test_every_typed_field_is_covered():
    covered = {"/".join(str(p) for p in path) for path, _ in _WRONG}
    expected = {"files", "python", "kernel/name", "image/digest", "env", "cloud/0/metadata"}
    expected |= {"hardware/cpu", "hardware/gpu/count", "provenance/migrated_from", "extensions"}
    assert expected <= covered
    assert len(_WRONG) >= 25


@pytest.mark.parametrize(("path", "value"), _WRONG, ids=["/".join(map(str, p)) for p, _ in _WRONG])
def test_a_wrong_type_anywhere_is_reported_at_its_pointer(path, value):
    env = with_value(path, value)
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer) for d in diagnostics if d.code == "wrong-type"] == [
        ("wrong-type", pointer(path))
    ]
    [message] = [d.message for d in diagnostics if d.code == "wrong-type"]
    assert message.startswith(f"{value!r} is not a")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "True is not a number"),
        (None, "None is not a number"),
        ("2", "'2' is not a number"),
        ([2], "[2] is not a number"),
    ],
)
def test_wrong_type_messages(value, message):
    assert messages({"env_ver": "1.0", "hardware": {"cpu": value}}) == [message]


def test_wrong_type_message_of_a_long_value_is_shortened():
    [message] = messages({"env_ver": "1.0", "python": ["x" * 1000]})
    assert message.endswith("... is not a string")
    assert len(message) < 100


def test_files_must_hold_text():
    env = {
        "env_ver": "1.0",
        "files": {"requirements.txt": {"text": "numpy"}, "apt.txt": None, "start": 1},
    }
    assert found(env) == [
        ("wrong-type", "/files/requirements.txt"),
        ("wrong-type", "/files/apt.txt"),
        ("wrong-type", "/files/start"),
    ]


def test_optional_fields_are_omitted_never_null():
    for name in [
        "python",
        "kernel",
        "image",
        "git",
        "cloud",
        "hardware",
        "provenance",
        "extensions",
        "files",
        "env",
    ]:
        assert found({"env_ver": "1.0", name: None}) == [("wrong-type", f"/{name}")], name


# --------------------------------------------------------------- missing-field, unknown-field


def _objects(schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]):
    if "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    if schema.get("type") == "object" and "properties" in schema:
        yield path, schema
        for name, prop in schema["properties"].items():
            yield from _objects(prop, root, (*path, name))
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        yield from _objects(schema["items"], root, (*path, 0))


_OBJECTS = list(_objects(load("1.0"), load("1.0"), ()))
_REQUIRED = [
    (path, name)
    for path, schema in _OBJECTS
    for name in schema.get("required", [])
    if name != "env_ver"
]


@pytest.mark.parametrize(
    ("path", "name"), _REQUIRED, ids=[f"{'/'.join(map(str, p))}:{n}" for p, n in _REQUIRED]
)
def test_every_required_field(path, name):
    env = json.loads(json.dumps(FULL))
    target = env
    for part in path:
        target = target[part]
    del target[name]
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer, d.message) for d in diagnostics] == [
        ("missing-field", pointer(path), f"{name!r} is a required field")
    ]


def test_required_fields_are_what_the_spec_says():
    assert sorted((("/".join(map(str, p))), n) for p, n in _REQUIRED) == [
        ("cloud/0", "handler_url"),
        ("cloud/0", "name"),
        ("git", "commit"),
        ("git", "url"),
        ("hardware/gpu", "count"),
        ("image", "ref"),
        ("kernel", "language"),
        ("kernel", "name"),
    ]


_CLOSED = [path for path, schema in _OBJECTS if schema.get("additionalProperties") is False]


@pytest.mark.parametrize("path", _CLOSED, ids=["/".join(map(str, p)) or "root" for p in _CLOSED])
def test_unknown_fields_in_every_closed_object(path):
    env = json.loads(json.dumps(FULL))
    target = env
    for part in path:
        target = target[part]
    target["pyhton"] = "3.12"
    target["a/b"] = 1
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer, d.message) for d in diagnostics] == [
        ("unknown-field", pointer((*path, "pyhton")), "'pyhton' is not a known field"),
        ("unknown-field", pointer((*path, "a/b")), "'a/b' is not a known field"),
    ]
    assert "extensions" in diagnostics[0].hint


def test_open_objects_keep_anything():
    env = with_value(("cloud", 0, "metadata"), {"any": {"thing": [1, None, {"x": "y"}]}})
    env["extensions"] = {"juv": {"deep": [{"a": None}]}, "x-y.z_w": "s"}
    assert found(env) == []


# ------------------------------------------------------------------------- unknown-file-name


@pytest.mark.parametrize(
    "name",
    [
        "setup.sh",
        "requirements-dev.txt",
        "Dockerfile.dev",
        "../.bashrc",
        "a/b",
        "~x",
        "",
        "REQUIREMENTS.TXT",
    ],
)
def test_file_names_outside_the_closed_set(name):
    env = {"env_ver": "1.0", "files": {name: "x\n", "requirements.txt": "numpy\n"}}
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer) for d in diagnostics] == [
        ("unknown-file-name", "/files/" + escape_pointer(name))
    ]
    assert diagnostics[0].message == f"{name!r} is not an embeddable file name"


def test_every_name_of_the_vocabulary_is_embeddable():
    env = {"env_ver": "1.0", "files": dict.fromkeys(FILES, "")}
    assert not [d for d in validate_environment(env) if d.code == "unknown-file-name"]


# ----------------------------------------------------------------------------- invalid-value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("python",), "3", "'3' is not a Python version such as '3.12' or '3.12.4'"),
        (("python",), "3.12.x", "'3.12.x' is not a Python version such as '3.12' or '3.12.4'"),
        (
            ("python",),
            "python3.12",
            "'python3.12' is not a Python version such as '3.12' or '3.12.4'",
        ),
        (
            ("kernel", "name"),
            "py 3",
            "'py 3' is not a kernel name of letters, digits, '.', '_' and '-'",
        ),
        (("kernel", "language"), "", "must not be empty"),
        (("kernel", "display_name"), "", "must not be empty"),
        (
            ("hardware", "memory"),
            "8 gigabytes",
            "'8 gigabytes' is not a quantity such as '8Gi' or '512M'",
        ),
        (("hardware", "memory"), "8GB", "'8GB' is not a quantity such as '8Gi' or '512M'"),
        (("hardware", "gpu", "memory"), "-1", "'-1' is not a quantity such as '16Gi'"),
        (("hardware", "cpu"), 0, "0 must be greater than 0"),
        (("hardware", "cpu"), -0.5, "-0.5 must be greater than 0"),
        (("hardware", "gpu", "count"), 0, "0 is less than 1"),
        (("provenance", "migrated_from"), "0", "'0' is not an env_ver such as '0.1'"),
        (("cloud", 0, "name"), "", "must not be empty"),
        (("git", "url"), "", "must not be empty"),
        (("image", "ref"), "x" * 256, "is longer than 255 characters"),
    ],
)
def test_invalid_values_name_the_expected_form(path, value, message):
    diagnostics = validate_environment(with_value(path, value))
    values = [(d.code, d.pointer, d.message) for d in diagnostics if d.code == "invalid-value"]
    assert values == [("invalid-value", pointer(path), message)]


@pytest.mark.parametrize(
    ("field", "key", "message"),
    [
        (
            "env",
            "1BAD",
            f"'1BAD' is not an environment variable name {ENV_FORM}",
        ),
        (
            "env",
            "",
            f"'' is not an environment variable name {ENV_FORM}",
        ),
        (
            "extensions",
            "Juv",
            "'Juv' is not a lower-case tool name such as 'juv' or 'org.example.tool'",
        ),
        (
            "extensions",
            "org..tool",
            "'org..tool' is not a lower-case tool name such as 'juv' or 'org.example.tool'",
        ),
        (
            "extensions",
            "-tool",
            "'-tool' is not a lower-case tool name such as 'juv' or 'org.example.tool'",
        ),
    ],
)
def test_invalid_keys(field, key, message):
    env = {"env_ver": "1.0", field: {key: None}}
    assert [(d.code, d.pointer, d.message) for d in validate_environment(env)] == [
        ("invalid-value", f"/{field}/{escape_pointer(key)}", message)
    ]


def test_every_problem_is_reported_in_one_pass():
    env = {
        "env_ver": "1.0",
        "python": 3,
        "kernel": {"name": "a b"},
        "hardware": {"cpu": 0, "gpu": {}},
        "files": {"setup.sh": "", "requirements.txt": 1},
        "unknown": None,
    }
    # In the order of the document.
    assert found(env) == [
        ("wrong-type", "/python"),
        ("missing-field", "/kernel"),
        ("invalid-value", "/kernel/name"),
        ("invalid-value", "/hardware/cpu"),
        ("missing-field", "/hardware/gpu"),
        ("unknown-file-name", "/files/setup.sh"),
        ("wrong-type", "/files/requirements.txt"),
        ("unknown-field", "/unknown"),
    ]


# ----------------------------------------------------------------------- the files themselves


def test_pointers_in_notebooks_and_standalone_files():
    env = {"env_ver": "1.0", "python": 3.12}
    nb = {"cells": [], "metadata": {"environment": env}, "nbformat": 4, "nbformat_minor": 5}
    assert [
        d.location() for d in validate_bytes(json.dumps(nb).encode(), "a.ipynb").diagnostics
    ] == ["a.ipynb#/metadata/environment/python"]
    assert [
        d.location() for d in validate_bytes(json.dumps(env).encode(), "e.envspec.json").diagnostics
    ] == ["e.envspec.json#/python"]
    assert [
        d.location()
        for d in validate_bytes(b'env_ver: "1.0"\npython: 3.12\n', "e.envspec.yml").diagnostics
    ] == ["e.envspec.yml#/python"]


def test_yaml_implicit_types_are_wrong_types():
    # YAML 1.2: "yes" is a string, "true" a boolean; an empty value is null (allowed in env).
    text = b'env_ver: "1.0"\npython: 3.10\nenv:\n  OK: yes\n  DEBUG: true\n'
    text += b"  WHEN: 2024-06-01\n  EMPTY:\n"
    report = validate_bytes(text, "e.envspec.yaml")
    assert [(d.code, d.pointer, d.message) for d in report.diagnostics] == [
        ("wrong-type", "/python", "3.1 is not a string"),
        ("wrong-type", "/env/DEBUG", "True is not a string or a null"),
        ("wrong-type", "/env/WHEN", "datetime.date(2024, 6, 1) is not a string or a null"),
    ]


def test_standalone_yaml_anchor_bomb():
    text = 'env_ver: "1.0"\nextensions:\n  lol:\n    a: &a [' + ", ".join(['"lol"'] * 9) + "]\n"
    previous = "a"
    for name in "bcdefghi":
        text += f"    {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    [diagnostic] = validate_bytes(text.encode(), "bomb.envspec.yaml").diagnostics
    # Standalone files refuse anchors too: the first anchor is reported, before any alias.
    assert (diagnostic.code, diagnostic.location()) == ("yaml-alias", "bomb.envspec.yaml:4:8")
    assert diagnostic.message == "the anchor &a is not allowed in an envspec file"


@pytest.mark.parametrize(
    "text",
    [
        'env_ver: "1.0"\nextensions:\n  x: ' + "[" * 100_000 + "]" * 100_000 + "\n",
        'env_ver: "1.0"\nextensions:\n  x:\n' + "".join("  " * i + "   -\n" for i in range(600)),
    ],
    ids=["flow", "block"],
)
def test_standalone_deep_yaml(text):
    [diagnostic] = validate_bytes(text.encode(), "deep.envspec.yaml").diagnostics
    assert diagnostic.code == "too-deep"
