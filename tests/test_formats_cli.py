"""``envspec import`` / ``envspec export``: the edges every format shares (the ``envspec``
format, which moves an environment between a notebook and a standalone file)."""

from __future__ import annotations

import io
import json

from envspec.cli.main import main
from envspec.formats import Converted, Format, format_names, get_format

ENV = 'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_every_registered_format_loads_and_names_itself():
    for name in format_names():
        fmt = get_format(name)
        assert isinstance(fmt, Format)
        assert fmt.name == name
        assert fmt.summary
        assert fmt.default_output


def test_import_into_a_new_notebook_then_export_back_is_the_same_environment(tmp_path):
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    notebook = tmp_path / "a.ipynb"
    status, out, _ = run("import", "--from", "envspec", str(source), "-o", str(notebook))
    assert status == 0, out
    document = json.loads(notebook.read_text())
    assert document["nbformat"] == 4
    assert document["metadata"]["environment"]["files"] == {"requirements.txt": "numpy>=1.26\n"}
    status, out, _ = run("export", "--to", "envspec", str(notebook), "-o", f"{tmp_path / 'o'}/")
    assert status == 0, out
    assert "python: '3.12'" in (tmp_path / "o" / "environment.envspec.yaml").read_text()


def test_import_into_an_existing_notebook_keeps_every_other_byte(tmp_path):
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    notebook = tmp_path / "a.ipynb"
    original = (
        '{\n "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Title"]}],\n'
        ' "metadata": {"title": "kept"},\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
    )
    notebook.write_text(original)
    assert run("import", "--from", "envspec", str(source), "-o", str(notebook))[0] == 0
    text = notebook.read_text()
    assert text.startswith('{\n "cells": [{"cell_type": "markdown", "metadata": {}, "source"')
    assert '"title": "kept"' in text
    again = run("import", "--from", "envspec", str(source), "-o", str(notebook))
    assert again[0] == 0
    assert "unchanged" in again[1]
    assert notebook.read_text() == text  # a second run changes no byte


def test_import_without_output_prints_yaml_and_writes_nothing(tmp_path):
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    status, out, _ = run("import", "--from", "envspec", str(source))
    assert status == 0
    assert out.startswith("env_ver: '1.0'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.envspec.yaml"]


def test_an_unknown_format_is_a_diagnostic_and_nothing_is_written(tmp_path):
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    status, out, _ = run("import", "--from", "condaa", str(source), "-o", str(tmp_path / "n.ipynb"))
    assert status == 1
    assert "error[format-unknown]" in out
    assert "known formats: " in out
    assert not (tmp_path / "n.ipynb").exists()


def test_an_invalid_environment_is_not_exported(tmp_path):
    bad = tmp_path / "bad.envspec.yaml"
    bad.write_text('env_ver: "1.0"\npython: "three"\n')
    status, out, _ = run("export", "--to", "envspec", str(bad), "-o", str(tmp_path / "o"))
    assert status == 1
    assert "error[invalid-value]" in out
    assert "nothing was written" in out
    assert not (tmp_path / "o").exists()


def test_export_refuses_to_replace_a_different_file_unless_forced(tmp_path):
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    target = tmp_path / "out.envspec.yaml"
    target.write_text("# my notes\n")
    status, out, _ = run("export", "--to", "envspec", str(source), "-o", str(target))
    assert status == 1
    assert "error[format-output-exists]" in out
    assert target.read_text() == "# my notes\n"
    status, out, _ = run("export", "--to", "envspec", str(source), "-o", str(target), "--force")
    assert status == 0
    assert target.read_text().startswith("env_ver: '1.0'")


def test_missing_source_and_bad_option_are_usage_errors(tmp_path):
    status, _, err = run("import", "--from", "envspec", str(tmp_path / "nope.yaml"))
    assert status == 2
    assert "does not exist" in err
    source = tmp_path / "a.envspec.yaml"
    source.write_text(ENV)
    status, _, err = run("import", "--from", "envspec", str(source), "--option", "novalue")
    assert status == 2
    assert "KEY=VALUE" in err


def test_converted_is_ok_without_errors():
    assert Converted().ok


def test_an_environment_with_a_secret_is_never_written(tmp_path):
    from envspec.formats.io import write_environment

    source = tmp_path / "a.envspec.yaml"
    source.write_text('env_ver: "1.0"\nenv:\n  WANDB_API_KEY: 0123456789abcdef\n')
    notebook = tmp_path / "a.ipynb"
    status, out, _ = run("import", "--from", "envspec", str(source), "-o", str(notebook))
    assert status == 1
    assert "error[secret-env-value]" in out
    assert not notebook.exists()
    # The library's writer goes through the same gate.
    outcome = write_environment(
        {"env_ver": "1.0", "env": {"WANDB_API_KEY": "0123456789abcdef"}}, str(notebook)
    )
    assert not outcome.ok
    assert [d.code for d in outcome.diagnostics] == ["secret-env-value"]
    assert not notebook.exists()


def test_a_folder_of_no_script_or_several(tmp_path):
    # A script or juv import reads one file: a folder with none or several names the fix.
    empty = tmp_path / "empty"
    empty.mkdir()
    status, out, _ = run("import", "--from", "script", str(empty), "-o", str(tmp_path / "x.yaml"))
    assert status == 1
    assert "the folder holds no .py file" in out
    two = tmp_path / "two"
    two.mkdir()
    for name in ("a.py", "b.py"):
        (two / name).write_text("# /// script\n# dependencies = []\n# ///\n")
    status, out, _ = run("import", "--from", "script", str(two), "-o", str(tmp_path / "y.yaml"))
    assert status == 1
    assert "the folder holds 2 .py files; name the script" in out
    status, out, _ = run("import", "--from", "juv", str(empty), "-o", str(tmp_path / "z.ipynb"))
    assert status == 1
    assert "the folder holds no notebook (.ipynb)" in out
    assert not any((tmp_path / n).exists() for n in ("x.yaml", "y.yaml", "z.ipynb"))
