"""The ``envspec`` command line as users see it: exit codes, output formats, help, schemas."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import nbformat
import pytest

import envspec
from conftest import GOOD_ENVIRONMENT, PYTHON_KERNELSPEC, REPO_ROOT
from envspec.cli.main import build_parser

SCHEMAS = REPO_ROOT / "src" / "envspec" / "schemas"
DIAGNOSTIC_FIELDS = {"code", "severity", "message", "file", "pointer", "line", "column", "hint"}
# `<location>: <severity>[<code>] <message>`
LINE = re.compile(
    r"^(?P<location>\S.*?): (?P<severity>error|warning)\[(?P<code>[a-z0-9-]+)\] (?P<message>.+)$"
)
SUMMARY = re.compile(
    r"^(\d+) files? checked"
    r"(, no problems|: \d+ errors?, \d+ warnings?; \d+ (file fails|files fail))$"
)

BAD_ENVIRONMENT = {**GOOD_ENVIRONMENT, "files": {"requirements.txt": "numpy==2.1.2\npandas=2.2\n"}}
# Only warnings: an image pinned by its tag alone.
WARNING_ENVIRONMENT = {
    **GOOD_ENVIRONMENT,
    "image": {"ref": "quay.io/jupyter/scipy-notebook:2024-10-07"},
}


# --------------------------------------------------------------------------- exit codes


def test_valid_notebook_exits_0_with_a_summary(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    code, out, err = run_cli("validate", path)
    assert (code, err) == (0, "")
    assert out == "1 file checked, no problems\n"


def test_invalid_notebook_exits_1(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", BAD_ENVIRONMENT)
    code, out, err = run_cli("validate", path)
    assert code == 1
    assert err == ""
    assert "error[requirement-invalid]" in out


def test_missing_path_exits_2_and_names_it(write_notebook, run_cli, tmp_path):
    good = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    missing = tmp_path / "no such notebook.ipynb"
    code, out, err = run_cli("validate", good, missing)
    assert code == 2
    assert out == ""
    assert str(missing) in err
    assert "does not exist" in err


def test_missing_path_in_the_real_command(run_console, tmp_path):
    done = run_console("validate", "missing.ipynb")
    assert done.returncode == 2
    assert "'missing.ipynb' does not exist" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("validate", "--frobnicate", "x.ipynb"),
        ("--frobnicate",),
        ("validate",),
        ("validate", "--format", "xml", "x.ipynb"),
        ("schema", "--env-ver", "9.9"),
        ("schema", "--env-ver", "0.1", "--diagnostics"),
        ("no-such-command",),
    ],
)
def test_usage_errors_exit_2_with_a_message(run_cli, args):
    code, out, err = run_cli(*args)
    assert code == 2
    assert out == ""
    assert "usage: envspec" in err
    assert "error:" in err


def test_unknown_option_is_named(run_cli, write_notebook):
    path = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    code, _, err = run_cli("validate", "--frobnicate", path)
    assert code == 2
    assert "--frobnicate" in err


def test_unknown_option_in_the_real_command(run_console):
    done = run_console("validate", "--frobnicate", "x.ipynb")
    assert done.returncode == 2
    assert "--frobnicate" in done.stderr
    assert done.stdout == ""


# --------------------------------------------------------------------------- --require / --strict


def test_require_fails_notebooks_without_environment(write_notebook, run_cli):
    path = write_notebook("plain.ipynb")
    assert run_cli("validate", path) == (0, "1 file checked, no problems\n", "")
    code, out, _ = run_cli("validate", "--require", path)
    assert code == 1
    assert f"{path}#/metadata: error[environment-missing]" in out


def test_require_accepts_notebooks_and_files_with_environment(write_notebook, write_file, run_cli):
    notebook = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    envfile = write_file("environment.envspec.yaml", 'env_ver: "1.0"\npython: "3.12"\n')
    assert run_cli("validate", "--require", notebook, envfile).code == 0


def test_strict_fails_on_warnings_only_when_given(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", WARNING_ENVIRONMENT)
    code, out, _ = run_cli("validate", path)
    assert code == 0
    assert "warning[image-unpinned]" in out
    assert out.splitlines()[-1] == "1 file checked: 0 errors, 1 warning; 0 files fail"
    code, out, _ = run_cli("validate", "--strict", path)
    assert code == 1
    assert out.splitlines()[-1] == "1 file checked: 0 errors, 1 warning; 1 file fails"


def test_errors_fail_with_and_without_strict(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", BAD_ENVIRONMENT)
    assert run_cli("validate", path).code == 1
    assert run_cli("validate", "--strict", path).code == 1


# --------------------------------------------------------------------------- JSON output


@pytest.fixture
def diagnostics_schema(run_cli):
    code, out, _ = run_cli("schema", "--diagnostics")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_json_output_is_valid_and_documented(write_notebook, run_cli, diagnostics_schema):
    bad = write_notebook("bad.ipynb", BAD_ENVIRONMENT)
    warn = write_notebook("warn.ipynb", WARNING_ENVIRONMENT)
    code, out, err = run_cli("validate", "--format", "json", bad, warn)
    assert (code, err) == (1, "")
    report = json.loads(out)
    jsonschema.validate(report, diagnostics_schema, cls=jsonschema.Draft202012Validator)
    assert [d["code"] for d in report] == ["requirement-invalid", "image-unpinned"]
    for item in report:
        assert set(item) == DIAGNOSTIC_FIELDS
    first = report[0]
    assert first["file"] == str(bad)
    assert first["severity"] == "error"
    assert first["pointer"] == "/metadata/environment/files/requirements.txt"
    assert (first["line"], first["column"]) == (2, 1)
    assert "pandas=2.2" in first["message"]
    assert first["hint"]
    assert report[1]["pointer"] == "/metadata/environment/image/ref"
    assert report[1]["line"] is None


def test_json_output_of_a_clean_run_is_an_empty_array(write_notebook, run_cli, diagnostics_schema):
    path = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    code, out, _ = run_cli("validate", "--format", "json", path)
    assert code == 0
    assert json.loads(out) == []


def test_json_output_exit_codes_follow_strict(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", WARNING_ENVIRONMENT)
    assert run_cli("validate", "--format", "json", path).code == 0
    assert run_cli("validate", "--format", "json", "--strict", path).code == 1


def test_json_file_level_diagnostic(write_file, run_cli, diagnostics_schema):
    path = write_file("broken.ipynb", '{\n "cells": [\n  "a",\n  oops\n ]\n}\n')
    code, out, _ = run_cli("validate", "--format", "json", path)
    assert code == 1
    (item,) = json.loads(out)
    jsonschema.validate([item], diagnostics_schema)
    assert item["code"] == "invalid-json"
    assert (item["pointer"], item["line"], item["column"]) == ("", 4, 3)


# --------------------------------------------------------------------------- text output


def test_text_output_names_locations_codes_hints_and_summary(write_notebook, write_file, run_cli):
    notebook = write_notebook("analysis.ipynb", BAD_ENVIRONMENT)
    broken = write_file("broken.ipynb", '{\n "cells": [],\n "metadata": {,}\n}\n')
    code, out, _ = run_cli("validate", notebook, broken)
    assert code == 1
    lines = out.splitlines()
    assert lines == [
        f"{notebook}#/metadata/environment/files/requirements.txt:2:1: error[requirement-invalid] "
        + lines[0].split("error[requirement-invalid] ", 1)[1],
        "    hint: Write a PEP 508 requirement such as `numpy==2.1.0` or `numpy>=2`.",
        f"{broken}:3:15: error[invalid-json] Expecting property name enclosed in double quotes",
        "    hint: " + lines[3].split("hint: ", 1)[1],
        "2 files checked: 2 errors, 0 warnings; 2 files fail",
    ]
    assert "'pandas=2.2'" in lines[0]
    for line in lines[:-1]:
        assert LINE.match(line) or line.startswith("    hint: ")
    assert SUMMARY.match(lines[-1])


def test_text_pointer_without_line(write_notebook, run_cli):
    path = write_notebook("analysis.ipynb", {"env_ver": "1.0", "python": 3.12})
    code, out, _ = run_cli("validate", path)
    assert code == 1
    assert out.startswith(f"{path}#/metadata/environment/python: error[wrong-type] ")


def test_summary_counts_files_and_problems(write_notebook, run_cli, tmp_path):
    write_notebook("a.ipynb", BAD_ENVIRONMENT)
    write_notebook("b.ipynb", WARNING_ENVIRONMENT)
    write_notebook("c.ipynb", GOOD_ENVIRONMENT)
    code, out, _ = run_cli("validate", tmp_path)
    assert code == 1
    assert out.splitlines()[-1] == "3 files checked: 1 error, 1 warning; 1 file fails"


# --------------------------------------------------------------------------- schema


@pytest.mark.parametrize(
    ("args", "committed"),
    [
        ((), "environment-1.0.schema.json"),
        (("--env-ver", "1.0"), "environment-1.0.schema.json"),
        (("--env-ver", "0.1"), "environment-0.1.schema.json"),
        (("--diagnostics",), "diagnostics-1.schema.json"),
    ],
)
def test_schema_prints_the_committed_schema(run_cli, args, committed):
    code, out, err = run_cli("schema", *args)
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema == json.loads((SCHEMAS / committed).read_text(encoding="utf-8"))
    assert schema["$id"] == f"https://envspec.dev/schemas/{committed}"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_repository_schemas_folder_is_the_package_folder():
    assert (REPO_ROOT / "schemas").resolve() == SCHEMAS.resolve()


def test_schema_1_0_accepts_the_examples(run_cli):
    schema = json.loads(run_cli("schema").out)
    for path in sorted((REPO_ROOT / "examples").glob("*.ipynb")):
        environment = json.loads(path.read_text(encoding="utf-8"))["metadata"]["environment"]
        if environment["env_ver"] == "1.0":
            jsonschema.validate(environment, schema, cls=jsonschema.Draft202012Validator)


# --------------------------------------------------------------------------- version and help


def test_version_prints_the_package_version(run_cli):
    expected = f"envspec {envspec.__version__}\n"
    assert envspec.__version__ == importlib.metadata.version("envspec")
    assert run_cli("--version") == (0, expected, "")
    assert run_cli("-V") == (0, expected, "")


def test_version_from_the_console_script_and_python_m(run_console, python_exe, tmp_path):
    expected = f"envspec {envspec.__version__}\n"
    done = run_console("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")
    done = subprocess.run(
        [python_exe, "-m", "envspec", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, expected, "")


def test_python_m_envspec_validates(python_exe, write_notebook, tmp_path):
    path = write_notebook("analysis.ipynb", BAD_ENVIRONMENT)
    done = subprocess.run(
        [python_exe, "-m", "envspec", "validate", path],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 1
    assert "error[requirement-invalid]" in done.stdout


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_envspec_alone_prints_help(run_cli):
    code, out, err = run_cli()
    assert code == 2
    assert err == ""
    assert out.startswith("usage: envspec")
    for name in _subcommands():
        assert re.search(rf"^\s+{re.escape(name)}\s+\S", out, re.MULTILINE), name
    assert "exit status" in out


def test_help_exits_0(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    assert out.startswith("usage: envspec")


def test_help_points_at_the_docs_that_exist(run_cli):
    out = run_cli("--help").out
    assert "mkdocs serve" in out
    named = re.findall(r"docs/[\w./-]*\w", out)
    assert named, out
    for path in named:
        assert (REPO_ROOT / path).exists(), path
    assert (REPO_ROOT / "mkdocs.yml").is_file()


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("validate", ["--require", "--strict", "--format", "--no-cache", "PATH", "text", "json"]),
        ("schema", ["--env-ver", "--diagnostics", "0.1", "1.0"]),
    ],
)
def test_help_mentions_the_documented_options(run_cli, command, expected):
    code, out, _ = run_cli(command, "--help")
    assert code == 0
    for option in expected:
        assert option in out


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_help_explains_every_option(run_cli, command):
    code, out, _ = run_cli(command, "--help")
    assert code == 0
    assert out.startswith(f"usage: envspec {command}")
    for action in _subcommands()[command]._actions:
        assert action.help, action.dest
        assert action.help != argparse.SUPPRESS, action.dest
        for spelling in action.option_strings or [action.metavar or action.dest]:
            assert spelling in out, spelling


def test_validate_help_documents_exit_codes_and_cache(run_cli):
    out = run_cli("validate", "--help").out
    assert "exit status: 0" in out
    assert "ENVSPEC_CACHE_DIR" in out


# --------------------------------------------------------------------------- folder walk


def test_folder_walk_finds_notebooks_and_envspec_files(
    write_notebook, write_file, run_cli, tmp_path
):
    root = tmp_path / "project"
    write_notebook("project/top.ipynb")
    write_notebook("project/deep/er/nested.ipynb")
    write_notebook("project/UPPER.IPYNB")
    for name in ("a.envspec.yaml", "sub/b.envspec.yml", "c.envspec.json"):
        write_file(f"project/{name}", '{"env_ver": "2.0"}\n')  # unsupported: each one reports
    write_file("project/notes.txt", "not checked\n")
    write_file("project/environment.yml", "dependencies: [numpy]\n")
    write_file("project/data.json", "[]\n")
    code, out, _ = run_cli("validate", "--format", "json", "--require", root)
    assert code == 1
    reported = sorted(
        {(Path(d["file"]).relative_to(root).as_posix(), d["code"]) for d in json.loads(out)}
    )
    assert reported == [
        ("UPPER.IPYNB", "environment-missing"),
        ("a.envspec.yaml", "env-version-unsupported"),
        ("c.envspec.json", "env-version-unsupported"),
        ("deep/er/nested.ipynb", "environment-missing"),
        ("sub/b.envspec.yml", "env-version-unsupported"),
        ("top.ipynb", "environment-missing"),
    ]
    assert run_cli("validate", root).out.splitlines()[-1].startswith("6 files checked")


def test_folder_walk_skips_hidden_folders_venvs_and_package_folders(
    write_notebook, write_file, run_cli, tmp_path
):
    root = tmp_path / "repo"
    write_notebook("repo/keep.ipynb", GOOD_ENVIRONMENT)
    skipped = [
        ".git/objects/x.ipynb",
        ".ipynb_checkpoints/keep-checkpoint.ipynb",
        ".hidden/h.envspec.yaml",
        "node_modules/pkg/n.ipynb",
        "__pycache__/p.ipynb",
        "venv/lib/python3.12/site-packages/pkg/s.ipynb",
        "env-with-odd-name/share/v.ipynb",
        "lib/python3.12/site-packages/pkg/s.ipynb",
    ]
    for name in skipped:
        write_file(f"repo/{name}", "<<<<<<< not json\n")
    write_file("repo/venv/pyvenv.cfg", "home = /usr/bin\n")
    write_file("repo/env-with-odd-name/pyvenv.cfg", "home = /usr/bin\n")
    code, out, _ = run_cli("validate", root)
    assert (code, out) == (0, "1 file checked, no problems\n")


def test_explicit_files_in_skipped_folders_are_checked(write_file, run_cli, tmp_path):
    path = write_file("repo/.ipynb_checkpoints/a-checkpoint.ipynb", "<<<<<<< HEAD\n")
    code, out, _ = run_cli("validate", path)
    assert code == 1
    assert f"{path}:1:1: error[invalid-json]" in out


def test_a_file_named_twice_is_checked_once(write_notebook, run_cli, tmp_path):
    path = write_notebook("analysis.ipynb", GOOD_ENVIRONMENT)
    out = run_cli("validate", path, path, tmp_path).out
    assert out == "1 file checked, no problems\n"


# --------------------------------------------------------------------------- the bundled examples


EXAMPLES = REPO_ROOT / "examples"


def test_examples_validate(run_cli):
    code, out, _ = run_cli("validate", EXAMPLES)
    assert code == 0, out
    # the notebooks and envspec files of examples/, and those among the format samples
    samples = [p for p in (EXAMPLES / "formats").rglob("*") if p.suffix in {".ipynb", ".yaml"}]
    checked = 5 + sum(1 for p in samples if p.suffix == ".ipynb" or ".envspec." in p.name)
    assert out.splitlines()[-1] == f"{checked} files checked: 0 errors, 1 warning; 0 files fail"
    assert "legacy-0.1.ipynb#/metadata/environment/env_ver: warning[env-version-legacy]" in out
    assert run_cli("validate", "--strict", EXAMPLES).code == 1


def test_examples_in_the_real_command(run_console):
    done = run_console("validate", EXAMPLES)
    assert done.returncode == 0, done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda p: p.name)
def test_examples_are_canonical_valid_notebooks(path):
    text = path.read_text(encoding="utf-8")
    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert nbformat.writes(notebook) + "\n" == text  # exactly what nbformat.write writes
    environment = notebook.metadata["environment"]
    if environment["env_ver"] == "1.0":
        assert environment["kernel"]["name"] == notebook.metadata["kernelspec"]["name"]


def test_examples_readme_describes_every_example():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for path in EXAMPLES.iterdir():
        if path.name != "README.md":
            assert f"`{path.name}`" in readme


def test_example_kernelspecs_are_standard():
    for path in EXAMPLES.glob("*.ipynb"):
        kernelspec = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]
        assert kernelspec == PYTHON_KERNELSPEC


# --------------------------------------------------------------------------- README and CI


def _readme_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_two_commands_and_ci_runs_the_test_command():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    main_job, test_command = commands
    assert main_job.endswith("envspec validate examples/")
    assert test_command.endswith("python -m pytest")
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_readme_main_job_exits_0(run_console):
    main_job = _readme_commands()[0]
    args = main_job.rsplit("envspec ", 1)[1].split()
    done = run_console(*args, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stdout
