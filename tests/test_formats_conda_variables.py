"""conda ``variables`` <-> envspec ``env``: import, export, round trips, bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml  # PyYAML: older conda read environment files with it (YAML 1.1)
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from envspec.cli.main import main
from envspec.formats import get_format
from envspec.formats.io import export_path, import_path
from envspec.writers import gate

BASE = "name: analysis\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n  - numpy\n"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def conda_load(text: str) -> object:
    """The file as conda reads it: ruamel.yaml's safe loader, YAML 1.2
    (conda.common.serialize.yaml_safe_load)."""
    return YAML(typ="safe", pure=True).load(text)


def envspec_file(tmp_path: Path, environment: dict) -> Path:
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(environment))
    return path


def assert_conda_variables(text: str, expected: dict[str, str]) -> None:
    """*text* is a conda environment file whose variables are *expected*, all strings,
    for conda's loader and for PyYAML alike."""
    for data in (conda_load(text), yaml.safe_load(text)):
        assert isinstance(data, dict)
        variables = data.get("variables", {})
        assert isinstance(variables, dict)
        assert all(isinstance(v, str) for v in variables.values()), variables
        assert variables == expected


# ---------------------------------------------------------------------------- import


@pytest.mark.parametrize(
    ("yaml_value", "value"),
    [
        ('"fast"', "fast"),
        ("fast", "fast"),
        ("4", "4"),
        ("1.50", "1.5"),
        ("true", "True"),  # conda's activation writes str(value)
        ("yes", "yes"),  # YAML 1.2: a string
        ("'0755'", "0755"),
        ('""', ""),
        ("/opt/data:/srv/data", "/opt/data:/srv/data"),
    ],
)
def test_variables_become_env_with_the_text_conda_sets(tmp_path, yaml_value, value):
    text = BASE + f"variables:\n  MY_VAR: {yaml_value}\n"
    (tmp_path / "environment.yml").write_text(text)
    converted = import_path(get_format("conda"), str(tmp_path / "environment.yml"))
    assert converted.ok, converted.diagnostics
    assert converted.diagnostics == ()
    assert converted.environment == {
        "env_ver": "1.0",
        "files": {"environment.yml": text},  # the file stays byte for byte
        "python": "3.12",
        "env": {"MY_VAR": value},
    }


def test_import_into_a_notebook_carries_the_variables(tmp_path):
    text = BASE + "variables:\n  OMP_NUM_THREADS: 4  # cores\n  DATA_DIR: /data\n  DEBUG: false\n"
    (tmp_path / "environment.yml").write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out, _ = run("import", "--from", "conda", str(tmp_path), "-o", str(notebook))
    assert status == 0, out
    environment = json.loads(notebook.read_text())["metadata"]["environment"]
    assert environment["env"] == {"OMP_NUM_THREADS": "4", "DATA_DIR": "/data", "DEBUG": "False"}
    # A new notebook is written as nbformat writes one: keys sorted.
    assert list(environment["env"]) == ["DATA_DIR", "DEBUG", "OMP_NUM_THREADS"]
    assert environment["files"]["environment.yml"] == text


@pytest.mark.parametrize(
    ("entry", "pointer", "line", "says"),
    [
        ("2FAST: x", "/variables/2FAST", 9, "is not an environment variable name"),
        ("MY-VAR: x", "/variables/MY-VAR", 9, "is not an environment variable name"),
        ("NESTED:\n    a: 1", "/variables/NESTED", 9, "a mapping"),
        ("LISTED: [a, b]", "/variables/LISTED", 9, "a list"),
        ("EMPTY:", "/variables/EMPTY", 9, "no value"),
        ("WHEN: 2024-01-01", "/variables/WHEN", 9, "a date"),
    ],
)
def test_a_variable_that_cannot_be_carried_is_reported_where_it_is_and_left_out(
    tmp_path, entry, pointer, line, says
):
    text = BASE + f"variables:\n  KEPT: yes\n  {entry}\n"
    source = tmp_path / "environment.yml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out, _ = run("import", "--from", "conda", str(source), "-o", str(notebook))
    assert status == 0, out  # a warning: the rest is imported
    assert f"{source}#{pointer}:{line}:3: warning[conda-variable-dropped]" in out
    assert says in out
    assert "left out" in out
    assert "hint:" in out
    environment = json.loads(notebook.read_text())["metadata"]["environment"]
    assert environment["env"] == {"KEPT": "yes"}
    assert environment["files"]["environment.yml"] == text


@pytest.mark.parametrize(
    ("block", "kind"),
    [("variables:\n  - A=1\n", "a list"), ("variables: A=1\n", "a str")],
)
def test_variables_that_are_not_a_mapping_are_reported_and_nothing_is_carried(
    tmp_path, block, kind
):
    source = tmp_path / "environment.yml"
    source.write_text(BASE + block)
    converted = import_path(get_format("conda"), str(source))
    assert converted.ok
    assert converted.environment is not None
    assert "env" not in converted.environment
    (found,) = converted.diagnostics
    assert found.code == "conda-variable-dropped"
    assert found.severity == "warning"
    assert found.pointer == "/variables"
    assert found.line == 7
    assert kind in found.message


def test_a_secret_variable_is_refused_as_every_secret_and_nothing_is_written(tmp_path):
    secret = "0123456789abcdef0123"
    source = tmp_path / "environment.yml"
    source.write_text(BASE + f"variables:\n  WANDB_API_KEY: {secret}\n  MODE: fast\n")
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')
    before = notebook.read_bytes()
    status, out, err = run("import", "--from", "conda", str(source), "-o", str(notebook))
    assert status == 1
    assert f"{source}#/env/WANDB_API_KEY: error[secret-env-value]" in out
    assert "WANDB_API_KEY: null" in out  # the hint says how to declare it
    assert "nothing was written" in out
    assert secret not in out + err
    assert notebook.read_bytes() == before
    # The same stop as the writers' gate gives for that environment, and as a variable
    # with a secret value imported from another format (a dev container) gets.
    converted = import_path(get_format("conda"), str(source))
    assert converted.environment is not None
    verdict = gate(converted.environment, file=str(source))
    assert verdict.refused
    stops = {(d.code, d.pointer) for d in verdict.stops}
    assert ("secret-env-value", "/env/WANDB_API_KEY") in stops
    assert {(d.code, d.pointer) for d in converted.diagnostics if d.severity == "error"} == stops
    devcontainer = tmp_path / "devcontainer.json"
    devcontainer.write_text(
        json.dumps({"image": "python:3.12", "containerEnv": {"WANDB_API_KEY": secret}})
    )
    other = import_path(get_format("devcontainer"), str(devcontainer))
    assert ("secret-env-value", "/env/WANDB_API_KEY") in {
        (d.code, d.pointer) for d in other.diagnostics if d.severity == "error"
    }
    # Printing (no -o) refuses too: a secret is never shown as the imported environment.
    status, out, err = run("import", "--from", "conda", str(source))
    assert status == 1
    assert secret not in out + err


def test_a_token_in_any_variable_is_refused_and_not_shown(tmp_path):
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    source = tmp_path / "environment.yml"
    source.write_text(BASE + f"variables:\n  GH: {token}\n")
    output = tmp_path / "env.envspec.yaml"
    status, out, err = run("import", "--from", "conda", str(source), "-o", str(output))
    assert status == 1
    assert "error[secret]" in out
    assert "nothing was written" in out
    assert token not in out + err
    assert not output.exists()
    converted = import_path(get_format("conda"), str(source))
    assert converted.environment is not None
    assert gate(converted.environment).refused


@pytest.mark.parametrize("block", ["variables:\n", "variables: {}\n", "variables: null\n"])
def test_empty_variables_are_no_variables(tmp_path, block):
    source = tmp_path / "environment.yml"
    source.write_text(BASE + block)
    converted = import_path(get_format("conda"), str(source))
    assert converted.diagnostics == ()
    assert converted.environment is not None
    assert "env" not in converted.environment
    exported = export_path(get_format("conda"), str(envspec_file(tmp_path, converted.environment)))
    assert exported.files["environment.yml"].decode() == BASE + block
    assert exported.diagnostics == ()


def test_a_secret_variable_declared_without_a_value_is_imported(tmp_path):
    # The launcher supplies it: conda's empty value is not carried (it would set 'None').
    source = tmp_path / "environment.yml"
    source.write_text(BASE + "variables:\n  WANDB_API_KEY:\n  MODE: fast\n")
    converted = import_path(get_format("conda"), str(source))
    assert converted.ok
    assert converted.environment is not None
    assert converted.environment["env"] == {"MODE": "fast"}
    assert [d.code for d in converted.diagnostics] == ["conda-variable-dropped"]


# ---------------------------------------------------------------------------- export


def test_export_from_requirements_writes_the_variables_with_a_value(tmp_path):
    environment = {
        "env_ver": "1.0",
        "python": "3.12",
        "env": {
            "MODE": "fast",
            "WANDB_API_KEY": None,
            "THREADS": "4",
            "FLAG": "true",
            "EMPTY": "",
            "NOTE": "a: b # not a comment",
        },
        "files": {"requirements.txt": "numpy>=1.26\n"},
    }
    source = envspec_file(tmp_path, environment)
    status, out, _ = run("export", "--to", "conda", str(source), "-o", f"{tmp_path}/c/")
    assert status == 0, out
    assert f"{source}#/env/WANDB_API_KEY: warning[conda-variable-at-launch]" in out
    text = (tmp_path / "c" / "environment.yml").read_text()
    assert "WANDB_API_KEY" not in text
    assert_conda_variables(
        text,
        {
            "MODE": "fast",
            "THREADS": "4",
            "FLAG": "true",
            "EMPTY": "",
            "NOTE": "a: b # not a comment",
        },
    )
    assert list(conda_load(text)["variables"]) == ["MODE", "THREADS", "FLAG", "EMPTY", "NOTE"]  # type: ignore[index]
    # A second export changes no byte.
    status, out, _ = run("export", "--to", "conda", str(source), "-o", f"{tmp_path}/c/")
    assert status == 0
    assert "unchanged" in out
    assert (tmp_path / "c" / "environment.yml").read_text() == text


def test_export_adds_variables_to_the_kept_file_keeping_its_comments_and_order(tmp_path):
    text = (
        "# the analysis\nname: analysis  # short\nchannels:\n  - conda-forge\n"
        "dependencies:\n  - numpy\n"
    )
    environment = {
        "env_ver": "1.0",
        "env": {"OMP_NUM_THREADS": "4", "DATA_DIR": "/data"},
        "files": {"environment.yml": text},
    }
    converted = export_path(get_format("conda"), str(envspec_file(tmp_path, environment)))
    assert converted.ok
    assert [d.code for d in converted.diagnostics] == []
    written = converted.files["environment.yml"].decode()
    assert written.startswith(text)  # every line of the file kept, in its place
    assert_conda_variables(written, {"OMP_NUM_THREADS": "4", "DATA_DIR": "/data"})
    assert list(conda_load(written)) == ["name", "channels", "dependencies", "variables"]  # type: ignore[arg-type]


def test_the_environments_env_wins_over_the_kept_files_variables(tmp_path):
    text = (
        BASE + "variables:\n  OMP: 4  # four\n  MODE: fast   # the mode\n  OLD: gone\n  2BAD: x\n"
    )
    environment = {
        "env_ver": "1.0",
        "env": {"MODE": "slow", "OMP": "4", "NEW": "x y", "KEY_TOKEN": None},
        "files": {"environment.yml": text},
    }
    source = envspec_file(tmp_path, environment)
    status, out, _ = run("export", "--to", "conda", str(source), "-o", str(tmp_path / "out.yml"))
    assert status == 0, out
    assert "warning[conda-variables-replaced]" in out
    assert "changed: 2BAD, MODE, NEW, OLD" in out
    assert "warning[conda-variable-at-launch]" in out
    written = (tmp_path / "out.yml").read_text()
    assert_conda_variables(written, {"OMP": "4", "MODE": "slow", "NEW": "x y"})
    assert '  OMP: "4" # four\n' in written  # written as a string, its comment kept
    assert "# the mode" in written  # a changed one keeps the comment on its key
    assert written.startswith(BASE)


@pytest.mark.parametrize("block", ["variables:\n  - A=1\n", "variables: A=1\n"])
def test_variables_that_are_not_a_mapping_are_replaced_by_env(tmp_path, block):
    environment = {"env_ver": "1.0", "env": {"A": "1"}, "files": {"environment.yml": BASE + block}}
    converted = export_path(get_format("conda"), str(envspec_file(tmp_path, environment)))
    assert [d.code for d in converted.diagnostics] == ["conda-variables-replaced"]
    assert "not a mapping" in converted.diagnostics[0].message
    assert_conda_variables(converted.files["environment.yml"].decode(), {"A": "1"})


def test_only_variables_supplied_at_launch_leave_the_file_as_it_is(tmp_path):
    environment = {
        "env_ver": "1.0",
        "env": {"SECRET_TOKEN": None},
        "files": {"environment.yml": BASE},
    }
    converted = export_path(get_format("conda"), str(envspec_file(tmp_path, environment)))
    assert converted.files["environment.yml"].decode() == BASE
    assert [(d.code, d.pointer) for d in converted.diagnostics] == [
        ("conda-variable-at-launch", "/env/SECRET_TOKEN")
    ]


# ------------------------------------------------------------------------ round trips


ROUND_TRIP = (
    "# analysis\nname: analysis\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n"
    "  - numpy\nvariables:\n  OMP_NUM_THREADS: 4   # threads\n  DEBUG: true\n  RATIO: 1.50\n"
    '  MODE: "fast"\n  2BAD: x\n  EMPTY:\n'
)


def test_import_then_export_gives_the_same_file_and_the_same_variables(tmp_path):
    source = tmp_path / "environment.yml"
    source.write_text(ROUND_TRIP)
    status, out, _ = run("import", "--from", "conda", str(source), "-o", f"{tmp_path}/a.ipynb")
    assert status == 0, out
    assert out.count("warning[conda-variable-dropped]") == 2  # 2BAD and EMPTY
    exported = tmp_path / "out" / "environment.yml"
    (tmp_path / "out").mkdir()
    for _ in range(2):  # the second export changes no byte
        status, out, _ = run("export", "--to", "conda", f"{tmp_path}/a.ipynb", "-o", str(exported))
        assert status == 0, out
        assert "conda-variables-replaced" not in out
    assert "unchanged" in out
    assert exported.read_text() == ROUND_TRIP
    # and the exported file imports to the same env
    again = import_path(get_format("conda"), str(exported))
    first = import_path(get_format("conda"), str(source))
    assert again.environment == first.environment
    assert again.environment is not None
    assert again.environment["env"] == {
        "OMP_NUM_THREADS": "4",
        "DEBUG": "True",
        "RATIO": "1.5",
        "MODE": "fast",
    }


def test_a_changed_env_exports_then_imports_to_the_same_env(tmp_path):
    source = tmp_path / "environment.yml"
    source.write_text(ROUND_TRIP)
    converted = import_path(get_format("conda"), str(source))
    assert converted.environment is not None
    environment = dict(converted.environment)
    environment["env"] = {"DEBUG": "0", "MODE": "fast", "EXTRA": "on"}
    path = envspec_file(tmp_path, environment)
    first = export_path(get_format("conda"), str(path)).files["environment.yml"]
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "environment.yml").write_bytes(first)
    back = import_path(get_format("conda"), str(tmp_path / "x" / "environment.yml"))
    assert back.ok
    assert back.environment is not None
    assert back.environment["env"] == environment["env"]
    assert back.diagnostics == ()  # what could not be carried is gone: env won
    # exporting what was imported writes the same bytes again
    second = export_path(get_format("conda"), str(envspec_file(tmp_path, back.environment)))
    assert second.files["environment.yml"] == first
    assert [d.code for d in second.diagnostics] == []
    assert_conda_variables(first.decode(), environment["env"])


# ------------------------------------------------------------------- any value at all

_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
#: Texts YAML 1.1 or 1.2 reads plain as something else, or cannot hold plain.
_ODD = ("on", "off", "yes", "No", "~", "null", "1_000", "0o17", "0x1F", "1e3", ".inf", "0755",
    "2024-01-01", "12:30:00", "#x", "'q'", '"q"', "*x", "&x", "!x", "%x", "@x", "|", ">", "?",
    "[a]", "{a}", "-x", "a: b", "- x", "x #y", " lead", "trail ", "", "a\nb", "a\n",
    "tab\there", "\U0001f600 emoji", "\x85", "\u2028", "\ufeff", "back\\slash")  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(_ODD), st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
)


@settings(max_examples=60, deadline=None)
@given(env=st.dictionaries(_NAMES, _VALUES, max_size=5), kept=st.booleans())
def test_any_env_is_written_as_strings_that_conda_and_pyyaml_read_back(env, kept):
    from envspec.formats import Document, Options, Source

    fmt = get_format("conda")
    files = {"environment.yml": BASE} if kept else {"requirements.txt": "numpy\n"}
    environment = {"env_ver": "1.0", "env": env, "files": files}
    written = fmt.write(Document("a.envspec.json", environment), Options())
    text = written.files["environment.yml"].decode()
    assert_conda_variables(text, env)
    if kept:
        assert text.startswith(BASE)
    # and back: the same env, with nothing reported
    back = fmt.read(Source("environment.yml", {"environment.yml": text.encode()}), Options())
    assert back.environment is not None
    assert back.environment.get("env", {}) == env
    assert back.diagnostics == ()
    # exporting what was imported changes no byte
    again = fmt.write(Document("b.envspec.json", back.environment), Options())
    assert again.files["environment.yml"].decode() == text
