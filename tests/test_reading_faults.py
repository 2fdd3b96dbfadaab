"""What the reading layer reports instead of reading one thing and showing another: keys given
twice, integers Python's JSON reader refuses, lone surrogates in embedded texts, and where an
invalid YAML file is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PYTHON_KERNELSPEC, notebook_text
from envspec.nbedit import edit_metadata
from envspec.validate import validate_bytes

HEAD = '{\n "cells": [],\n "metadata": {\n  "kernelspec": ' + json.dumps(PYTHON_KERNELSPEC)


def found(
    data: bytes, name: str = "analysis.ipynb"
) -> list[tuple[str, str, int | None, int | None]]:
    """(code, pointer, line, column) of each diagnostic, the same with either decoder."""
    slow = validate_bytes(data, name, fast=False)
    fast = validate_bytes(data, name, fast=True)
    assert slow.diagnostics == fast.diagnostics
    return [(d.code, d.pointer, d.line, d.column) for d in slow.diagnostics]


# ------------------------------------------------------------------------- duplicate keys


def test_env_ver_twice_in_a_notebook_is_reported_where_the_value_used_starts():
    data = (
        HEAD + ',\n  "environment": {\n   "env_ver": "0.1",\n   "env_ver": "1.0"\n  }\n },\n'
        ' "nbformat": 4,\n "nbformat_minor": 5\n}\n'
    ).encode()
    assert found(data) == [("duplicate-key", "/metadata/environment/env_ver", 7, 4)]
    [message] = [d.message for d in validate_bytes(data, "analysis.ipynb").diagnostics]
    assert message.startswith(
        "'env_ver' appears 2 times in /metadata/environment (first at line 6)"
    )


def test_two_environments_in_a_notebook_are_reported():
    # A reviewer reads the first environment; Jupyter and every tool use the second.
    first = json.dumps({"env_ver": "1.0", "files": {"requirements.txt": "numpy==2.1\n"}})
    second = json.dumps({"env_ver": "1.0", "files": {"requirements.txt": "evil==6.6.6\n"}})
    data = (
        HEAD + f',\n  "environment": {first},\n  "environment": {second}\n }},\n'
        ' "nbformat": 4,\n "nbformat_minor": 5\n}\n'
    ).encode()
    assert found(data) == [("duplicate-key", "/metadata/environment", 6, 3)]


def test_a_file_embedded_twice_is_reported():
    env = '{"env_ver": "1.0", "files": {"apt.txt": "curl\\n", "apt.txt": "git\\n"}}'
    data = (
        HEAD + f',\n  "environment": {env}\n }},\n "nbformat": 4, "nbformat_minor": 5}}'
    ).encode()
    assert [f[:2] for f in found(data)] == [
        ("duplicate-key", "/metadata/environment/files/apt.txt")
    ]


def test_repeated_keys_outside_metadata_are_not_envspecs_business():
    data = (
        b'{"cells": [{"cell_type": "raw", "metadata": {}, "source": "a", "source": "b"}],'
        b' "metadata": {"environment": {"env_ver": "1.0"}}, "nbformat": 4, "nbformat_minor": 5}'
    )
    assert found(data) == []


def test_duplicates_in_a_standalone_json_file_are_reported_anywhere():
    data = b'{"env_ver": "1.0",\n "env": {"A": "1", "A": "2"}}\n'
    assert found(data, "environment.envspec.json") == [("duplicate-key", "/env/A", 2, 20)]


def test_a_notebook_without_duplicates_has_none(write_notebook):
    data = notebook_text({"env_ver": "1.0", "python": "3.12"}).encode()
    assert [f for f in found(data) if f[0] == "duplicate-key"] == []


def test_duplicate_keys_fail_the_validate_command(tmp_path: Path, run_cli):
    path = tmp_path / "environment.envspec.json"
    path.write_text('{"env_ver": "1.0", "python": "3.12", "python": "3.11"}\n', "utf-8")
    result = run_cli("validate", str(path))
    assert result.code == 1
    assert "duplicate-key" in result.out


# ------------------------------------------------------------------ integers Python refuses


def _huge_integer_notebook(digits: int = 5000) -> bytes:
    output = (
        '{"output_type": "execute_result", "execution_count": 1, "metadata": {},'
        ' "data": {"application/json": {"n": ' + "7" * digits + "}}}"
    )
    cell = (
        '{"cell_type": "code", "execution_count": 1, "id": "a1", "metadata": {},'
        f' "outputs": [{output}], "source": "n"}}'
    )
    env = json.dumps({"env_ver": "1.0", "files": {"requirements.txt": "numpy==2.1\n"}})
    return (
        '{\n "cells": [\n  ' + cell + "\n ],\n"
        f' "metadata": {{"environment": {env}}},\n "nbformat": 4,\n "nbformat_minor": 5\n}}\n'
    ).encode()


def test_a_huge_integer_is_a_diagnostic_at_its_position_in_both_decoders():
    data = _huge_integer_notebook()
    column = data.split(b"\n")[2].index(b"7777") + 1
    assert found(data) == [("integer-too-long", "", 3, column)]
    [diagnostic] = validate_bytes(data, "analysis.ipynb").diagnostics
    assert "an integer of 5000 digits" in diagnostic.message
    assert "4300" in diagnostic.message


def test_an_integer_python_still_reads_is_not_reported():
    assert found(_huge_integer_notebook(4300)) == []


def test_a_long_run_of_digits_in_a_string_is_not_an_integer():
    data = _huge_integer_notebook().replace(b'"n": 7', b'"n": "7').replace(b"7}}}", b'7"}}}')
    assert found(data) == []


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["migrate"],
        ["pack"],
        ["unpack", "-o", "out"],
    ],
    ids=["validate", "migrate", "pack", "unpack"],
)
def test_every_command_reports_a_huge_integer_cleanly(tmp_path: Path, run_cli, command):
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_bytes(_huge_integer_notebook())
    (tmp_path / "requirements.txt").write_text("numpy==2.1\n", "utf-8")
    args = [a if a != "out" else str(tmp_path / "out") for a in command]
    result = run_cli(args[0], str(notebook), *args[1:])
    assert result.code != 0
    assert "integer-too-long" in result.out + result.err
    assert "Traceback" not in result.err
    assert notebook.read_bytes() == _huge_integer_notebook()  # nothing rewritten
    assert not (tmp_path / "out").exists()


def test_the_metadata_editor_skips_a_huge_integer_in_a_cell():
    text = _huge_integer_notebook().decode()
    edited = edit_metadata(text, {"title": "x"})
    assert '"title": "x"' in edited
    assert edited.count("7" * 5000) == 1


# --------------------------------------------------------------------------- lone surrogates


def test_a_lone_surrogate_in_an_embedded_file_is_reported_at_its_position():
    env = '{"env_ver": "1.0", "files": {"postBuild": "#!/bin/sh\\necho caf\\udce9\\n"}}'
    data = (
        HEAD + f',\n  "environment": {env}\n }},\n "nbformat": 4, "nbformat_minor": 5}}'
    ).encode()
    assert found(data) == [
        ("lone-surrogate", "/metadata/environment/files/postBuild", 2, 9),
    ]


def test_unpack_refuses_a_lone_surrogate_and_writes_nothing(tmp_path: Path, run_cli):
    path = tmp_path / "environment.envspec.json"
    path.write_text(
        '{"env_ver": "1.0", "files": {"apt.txt": "curl\\n", "postBuild": "echo \\ud800\\n"}}',
        "utf-8",
    )
    out = tmp_path / "out"
    result = run_cli("unpack", str(path), "-o", str(out))
    assert result.code != 0
    assert "lone-surrogate" in result.out + result.err
    assert not out.exists() or list(out.iterdir()) == []


# --------------------------------------------------------------------------- YAML positions


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        # An unclosed quote on the last line of a 4-line file: the quote is the fault.
        ('env_ver: "1.0"\npython: "3.12"\nenv:\n  A: "unclosed\n', 4, 6, "quoted scalar"),
        ('env_ver: "1.0"\npython: \'3.12\nenv: {}\nkernel: {}', 2, 9, "quoted scalar"),
        # An unclosed bracket: where it opens.
        ('env_ver: "1.0"\nfiles: [unclosed\n', 2, 8, "flow sequence"),
        # A fault inside the text keeps its own position.
        ('env_ver: "1.0"\n python: "3.12"\nenv: {}\nkernel: {}\n', 2, 2, "expected key"),
    ],
)
def test_invalid_yaml_points_at_the_fault_never_past_the_end(text, line, column, fragment):
    report = validate_bytes(text.encode(), "environment.envspec.yaml")
    [d] = report.diagnostics
    assert (d.code, d.line, d.column) == ("invalid-yaml", line, column)
    assert fragment in d.message
    assert d.line <= len(text.splitlines())
