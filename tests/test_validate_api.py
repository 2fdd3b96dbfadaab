"""The validation API (what tools that embed envspec call): paths, bytes, decoded environments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import envspec
from conftest import GOOD_ENVIRONMENT, notebook_text
from envspec._codes import CODES
from envspec._discover import MissingPath
from envspec.diagnostics import Diagnostic
from envspec.validate import (
    FileReport,
    ValidationResult,
    validate_bytes,
    validate_environment,
    validate_paths,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def _codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics]


# --------------------------------------------------------------------------- validate_paths


def test_validate_paths_reports_every_file_in_order(write_notebook, write_file, tmp_path):
    good = write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    plain = write_notebook("b.ipynb")
    bad = write_file("c.envspec.yaml", 'env_ver: "1.0"\npython: 3.12\n')
    result = validate_paths([tmp_path])
    assert isinstance(result, ValidationResult)
    assert [r.path for r in result.reports] == [str(good), str(plain), str(bad)]
    assert [r.has_environment for r in result.reports] == [True, False, True]
    assert [(r.errors, r.warnings) for r in result.reports] == [(0, 0), (0, 0), (1, 0)]
    assert _codes(result.diagnostics) == ["wrong-type"]
    assert result.ok() is False


def test_validate_paths_accepts_path_objects_and_strings(write_notebook):
    path = write_notebook("a.ipynb", GOOD_ENVIRONMENT)
    assert validate_paths([path]).reports == validate_paths([str(path)]).reports
    assert validate_paths([path]).ok(strict=True)


def test_ok_and_strict(write_notebook):
    path = write_notebook("a.ipynb", {**GOOD_ENVIRONMENT, "env_ver": "1.9", "future_field": 1})
    result = validate_paths([path])
    assert _codes(result.diagnostics) == ["env-version-newer"]
    assert "future_field" in result.diagnostics[0].message
    assert result.ok() is True
    assert result.ok(strict=True) is False


def test_require(write_notebook):
    path = write_notebook("a.ipynb")
    assert validate_paths([path]).ok()
    result = validate_paths([path], require=True)
    assert _codes(result.diagnostics) == ["environment-missing"]
    assert result.reports[0].has_environment is False


def test_missing_path_raises(tmp_path):
    with pytest.raises(MissingPath) as info:
        validate_paths([tmp_path / "nope.ipynb"])
    assert info.value.path == str(tmp_path / "nope.ipynb")
    assert isinstance(info.value, ValueError)


def test_progress_is_reported_per_file(write_notebook, tmp_path):
    for name in ("a.ipynb", "b.ipynb", "c.ipynb"):
        write_notebook(name, GOOD_ENVIRONMENT)
    calls: list[tuple[int, int]] = []
    validate_paths([tmp_path], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_legacy_env_key_is_reported_as_an_environment(write_notebook):
    path = write_notebook("a.ipynb", metadata={"env": {"container": "python:3.12"}})
    result = validate_paths([path], require=True)
    assert _codes(result.diagnostics) == ["legacy-env-key"]
    assert result.diagnostics[0].pointer == "/metadata/env"
    assert result.reports[0].has_environment is True


# --------------------------------------------------------------------------- validate_bytes


def test_validate_bytes_reads_the_kind_from_the_name():
    text = json.dumps({"env_ver": "1.0", "python": 3})
    as_json = validate_bytes(text.encode(), "x.envspec.json")
    as_yaml = validate_bytes(text.encode(), "x.envspec.yaml")  # JSON is YAML
    assert _codes(as_json.diagnostics) == _codes(as_yaml.diagnostics) == ["wrong-type"]
    assert as_json.diagnostics[0].pointer == "/python"
    (unknown,) = validate_bytes(text.encode(), "x.json").diagnostics
    assert (unknown.code, unknown.file) == ("unknown-file-type", "x.json")


def test_validate_bytes_kind_override():
    report = validate_bytes(b'env_ver: "2.0"\n', "stdin", kind="envfile-yaml")
    assert _codes(report.diagnostics) == ["env-version-unsupported"]


def test_validate_bytes_require():
    data = notebook_text().encode()
    assert validate_bytes(data, "a.ipynb").diagnostics == ()
    assert _codes(validate_bytes(data, "a.ipynb", require=True).diagnostics) == [
        "environment-missing"
    ]


@pytest.mark.parametrize("fast", [False, True])
def test_the_same_environment_gives_the_same_findings_everywhere(fast):
    environment = {
        "env_ver": "1.0",
        "python": "3.12",
        "files": {"requirements.txt": "numpy=2\n", "runtime.txt": "python-3.11\n"},
        "git": {"url": "https://example.org/repo.git", "commit": "abc1234"},
    }
    notebook = validate_bytes(notebook_text(environment).encode(), "a.ipynb", fast=fast)
    as_json = validate_bytes(json.dumps(environment).encode(), "e.envspec.json", fast=fast)
    as_dict = validate_environment(environment)
    expected = ["requirement-invalid", "git-commit-invalid", "python-mismatch"]
    assert sorted(_codes(notebook.diagnostics)) == sorted(expected)
    for diagnostics in (as_json.diagnostics, as_dict):
        assert [(d.code, d.line, d.column) for d in diagnostics] == [
            (d.code, d.line, d.column) for d in notebook.diagnostics
        ]
        assert [d.pointer for d in diagnostics] == [
            d.pointer.removeprefix("/metadata/environment") for d in notebook.diagnostics
        ]


def test_diagnostic_pointers_escape_file_names():
    environment = {"env_ver": "1.0", "files": {"a/b~c": "x"}}
    (diagnostic,) = validate_environment(environment)
    assert diagnostic.code == "unknown-file-name"
    assert diagnostic.pointer == "/files/a~1b~0c"


# --------------------------------------------------------------------------- validate_environment


def test_validate_environment_on_a_dict():
    diagnostics = validate_environment({"env_ver": "1.0", "python": "three"})
    assert [(d.code, d.pointer, d.file) for d in diagnostics] == [
        ("invalid-value", "/python", "<environment>")
    ]
    assert diagnostics[0].severity == "error"
    assert diagnostics[0].hint


def test_validate_environment_with_kernelspec_and_location():
    environment = {"env_ver": "1.0", "kernel": {"name": "python3", "language": "python"}}
    assert (
        validate_environment(environment, kernelspec={"name": "python3", "language": "python"})
        == []
    )
    (diagnostic,) = validate_environment(
        environment,
        kernelspec={"name": "old-env", "language": "python"},
        file="nb.ipynb",
        pointer="/metadata/environment",
    )
    assert diagnostic.code == "kernel-mismatch"
    assert diagnostic.severity == "warning"
    assert diagnostic.location() == "nb.ipynb#/metadata/environment/kernel/name"


@pytest.mark.parametrize("value", ["requirements.txt", [], None, 1, True])
def test_validate_environment_not_an_object(value):
    (diagnostic,) = validate_environment(value)
    assert diagnostic.code == "environment-not-object"


def test_validate_environment_never_stops_at_the_first_problem():
    environment = {
        "env_ver": "1.0",
        "python": 3,
        "pyhton": "3.12",
        "files": {"setup.sh": "", "apt.txt": "curl==7\n"},
        "hardware": {"memory": "lots"},
        "env": {"API_TOKEN": "0123456789abcdef"},
    }
    codes = set(_codes(validate_environment(environment)))
    assert codes >= {
        "wrong-type",
        "unknown-field",
        "unknown-file-name",
        "apt-invalid",
        "invalid-value",
        "secret-env-value",
    }


# --------------------------------------------------------------------------- records


def test_diagnostic_location_and_dict():
    full = Diagnostic(
        "requirement-invalid", "error", "m", "nb.ipynb", "/metadata/environment/files/x", 3, 7
    )
    assert full.location() == "nb.ipynb#/metadata/environment/files/x:3:7"
    assert (
        Diagnostic("invalid-json", "error", "m", "nb.ipynb", "", 2, 5).location() == "nb.ipynb:2:5"
    )
    assert (
        Diagnostic("wrong-type", "error", "m", "f.yaml", "/python").location() == "f.yaml#/python"
    )
    assert Diagnostic("empty-file", "error", "m", "f.yaml").location() == "f.yaml"
    assert full.to_dict() == {
        "code": "requirement-invalid",
        "severity": "error",
        "message": "m",
        "file": "nb.ipynb",
        "pointer": "/metadata/environment/files/x",
        "line": 3,
        "column": 7,
        "hint": None,
    }


def test_file_report_counts():
    report = FileReport(
        "x",
        (
            Diagnostic("wrong-type", "error", "m", "x"),
            Diagnostic("image-unpinned", "warning", "m", "x"),
            Diagnostic("url-insecure", "warning", "m", "x"),
        ),
        True,
    )
    assert (report.errors, report.warnings) == (1, 2)
    assert ValidationResult((report,)).ok() is False
    assert ValidationResult().ok(strict=True) is True


def test_top_level_names_are_loaded_on_use():
    assert envspec.validate_paths is validate_paths
    assert envspec.ValidationResult is ValidationResult
    assert {"validate_paths", "validate_bytes", "validate_environment", "__version__"} <= set(
        dir(envspec)
    )
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = envspec.no_such_name


# --------------------------------------------------------------------------- the code registry


_RUNNABLE = [c for c in CODES.values() if set(c.example_options) <= {"require", "unreadable"}]


@pytest.mark.parametrize("info", _RUNNABLE, ids=lambda c: c.code)
def test_every_code_example_reports_its_code(info, tmp_path):
    path = tmp_path / info.example_file
    if "unreadable" in info.example_options:
        path.symlink_to(tmp_path / "missing-target")
    else:
        path.write_bytes(info.example.encode("utf-8", "surrogateescape"))
    result = validate_paths([path], require="require" in info.example_options)
    assert info.code in _codes(result.diagnostics)
    reported = next(d for d in result.diagnostics if d.code == info.code)
    assert reported.severity == info.severity
    assert reported.hint


def test_examples_read_the_same_with_both_decoders():
    for path in sorted((REPO_ROOT / "examples").iterdir()):
        if path.suffix == ".md" or path.is_dir():  # examples/payloads: not environments
            continue
        data = path.read_bytes()
        assert (
            validate_bytes(data, path.name, fast=True).diagnostics
            == validate_bytes(data, path.name, fast=False).diagnostics
        )
