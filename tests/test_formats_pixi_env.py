"""pixi's ``[activation.env]`` <-> envspec's ``env``: the variables of the chosen
environment's features (and, with ``--option platform=NAME``, of its matching targets)
combined as pixi combines them; exports written as ``[activation.env]``; bad input."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envspec.cli.main import main
from envspec.formats import Document, Options, Source, get_format
from envspec.formats.io import export_path, import_path
from envspec.writers import gate

HEAD = (
    '[workspace]\nname = "w"\nchannels = ["conda-forge"]\n'
    'platforms = ["linux-64", "osx-arm64", "win-64"]\n\n[dependencies]\nnumpy = ">=1.26"\n'
)


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue() + err.getvalue()


def read(text: str, platform: str | None = None, name: str = "pixi.toml", **options: object):
    settings_ = {"platform": platform} if platform else {}
    source = Source(name, {name: text.encode()})
    return get_format("pixi").read(source, Options(settings=settings_, **options))  # type: ignore[arg-type]


def env_of(converted) -> dict[str, str]:
    assert converted.ok, converted.diagnostics
    return dict(converted.environment.get("env", {}))


def envspec_file(tmp_path: Path, environment: dict) -> Path:
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(environment))
    return path


# ---------------------------------------------------------------------------- import


def test_the_workspace_activation_env_becomes_env(tmp_path, pixi_schema):
    text = HEAD + (
        '\n[activation]\nscripts = ["setup.sh"]\n\n[activation.env]\n'
        'OMP_NUM_THREADS = "4"\nDATA_DIR = "/srv/data"\nEMPTY = ""\nQUOTED = "a \\"b\\" c"\n'
    )
    pixi_schema(text.replace('EMPTY = ""', 'EMPTY = "x"'))  # pixi sets it, its schema says no
    source = tmp_path / "pixi.toml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out = run("import", "--from", "pixi", str(source), "-o", str(notebook))
    assert status == 0, out
    # the scripts are still reported, at their table
    assert f"{source}:9: warning[pixi-table-dropped] the activation scripts of the workspace" in out
    assert "pixi-variable-dropped" not in out
    environment = json.loads(notebook.read_text())["metadata"]["environment"]
    assert environment["env"] == {
        "OMP_NUM_THREADS": "4",
        "DATA_DIR": "/srv/data",
        "EMPTY": "",
        "QUOTED": 'a "b" c',
    }


def test_tool_pixi_activation_env_of_a_pyproject(pixi_schema):
    text = (
        '[project]\nname = "analysis"\nversion = "1.0"\ndependencies = ["pooch>=1.8"]\n\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
        '[tool.pixi.dependencies]\npython = "3.12.*"\n\n'
        '[tool.pixi.activation.env]\nMODE = "fast"\nBAD = 1\n\n'
        '[tool.pixi.feature.gpu.activation.env]\nMODE = "gpu"\n\n'
        '[tool.pixi.environments]\ngpu = ["gpu"]\n'
    )
    pixi_schema(text.replace("BAD = 1\n", ""))  # valid but for BAD
    converted = read(text, name="pyproject.toml")
    assert env_of(converted) == {"MODE": "fast"}
    dropped = [d for d in converted.diagnostics if d.code == "pixi-variable-dropped"]
    assert [(d.line, d.severity) for d in dropped] == [(15, "warning")]  # BAD = 1
    assert env_of(read(text, name="pyproject.toml", environment="gpu")) == {"MODE": "gpu"}


# pixi's own rule (its test_activation_env_priority): the default feature counts least;
# of an environment's features, the one listed first wins.
PRIORITY = HEAD + (
    '\n[activation.env]\nFOO_VAR = "default"\nDEFAULT_VAR = "1"\n'
    '\n[feature.foo.activation.env]\nFOO_VAR = "foo"\n'
    '\n[feature.cuda1.activation.env]\nFOO_VAR = "cuda1"\nCUDA1 = "1"\n'
    '\n[feature.cuda2.activation.env]\nFOO_VAR = "cuda2"\nCUDA2 = "1"\n'
    '\n[feature.cuda2.dependencies]\ncupy = "*"\n'
    '\n[environments]\nfoo = ["foo"]\ncuda = ["cuda1", "cuda2"]\n'
    'bare = { features = ["cuda2"], no-default-feature = true }\n'
)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (None, {"FOO_VAR": "default", "DEFAULT_VAR": "1"}),
        ("foo", {"FOO_VAR": "foo", "DEFAULT_VAR": "1"}),
        ("cuda", {"FOO_VAR": "cuda1", "DEFAULT_VAR": "1", "CUDA1": "1", "CUDA2": "1"}),
        ("bare", {"FOO_VAR": "cuda2", "CUDA2": "1"}),  # without the default feature
        ("cuda2", {"FOO_VAR": "cuda2", "DEFAULT_VAR": "1", "CUDA2": "1"}),  # a feature's name
    ],
)
def test_features_combine_as_pixi_combines_them(pixi_schema, environment, expected):
    pixi_schema(PRIORITY)
    assert env_of(read(PRIORITY, environment=environment)) == expected


TARGETS = HEAD + (
    '\n[activation.env]\nMODE = "base"\nKEPT = "k"\n'
    '\n[target.unix.activation.env]\nMODE = "unix"\nSEP = ":"\n'
    '\n[target.linux-64.activation.env]\nMODE = "linux"\n'
    '\n[target.win-64.activation.env]\nSEP = ";"\n'
    '\n[feature.gpu.activation.env]\nDEVICE = "cuda"\n'
    '\n[feature.gpu.target.osx-arm64.activation.env]\nDEVICE = "mps"\n'
    '\n[environments]\ngpu = ["gpu"]\n'
)


@pytest.mark.parametrize(
    ("platform", "environment", "expected"),
    [
        # a later matching target wins over an earlier one, and over the feature's own
        ("linux-64", None, {"MODE": "linux", "KEPT": "k", "SEP": ":"}),
        ("osx-arm64", None, {"MODE": "unix", "KEPT": "k", "SEP": ":"}),
        ("win-64", None, {"MODE": "base", "KEPT": "k", "SEP": ";"}),  # a target that adds
        ("osx-arm64", "gpu", {"MODE": "unix", "KEPT": "k", "SEP": ":", "DEVICE": "mps"}),
        ("linux-64", "gpu", {"MODE": "linux", "KEPT": "k", "SEP": ":", "DEVICE": "cuda"}),
    ],
)
def test_the_targets_of_the_chosen_platform_merge_over_the_variables(
    pixi_schema, platform, environment, expected
):
    pixi_schema(TARGETS)
    converted = read(TARGETS, platform, environment=environment)
    assert env_of(converted) == expected
    dropped = [d for d in converted.diagnostics if d.code == "pixi-target-dropped"]
    assert dropped  # the other platforms' targets are reported
    assert all(platform not in d.message.split(" target")[0] for d in dropped)


def test_without_a_platform_the_targets_variables_are_reported_and_left_out():
    converted = read(TARGETS)
    assert env_of(converted) == {"MODE": "base", "KEPT": "k"}
    dropped = [d for d in converted.diagnostics if d.code == "pixi-target-dropped"]
    assert len(dropped) == 3
    assert all("(activation)" in d.message for d in dropped)


def test_a_feature_beats_a_target_of_the_default_feature(pixi_schema):
    # pixi resolves each feature for the platform first, then combines the features.
    text = HEAD + (
        '\n[target.linux-64.activation.env]\nMODE = "default-linux"\n'
        '\n[feature.fast.activation.env]\nMODE = "fast"\n'
        '\n[environments]\nfast = ["fast"]\n'
    )
    pixi_schema(text)
    assert env_of(read(text, "linux-64", environment="fast")) == {"MODE": "fast"}
    assert env_of(read(text, "linux-64")) == {"MODE": "default-linux"}


@pytest.mark.parametrize(
    ("entry", "line", "says"),
    [
        ("THREADS = 4", 11, "THREADS is an integer, not a string"),
        ("DEBUG = true", 11, "DEBUG is a boolean"),
        ("RATIO = 1.5", 11, "RATIO is a float"),
        ("WHEN = 2024-01-01", 11, "WHEN is a date or time"),
        ('PATHS = ["a", "b"]', 11, "PATHS is an array"),
        ("NESTED = { a = 1 }", 11, "NESTED is a table"),
        ('"MY-VAR" = "x"', 11, "'MY-VAR' is not an environment variable name"),
        ('2FAST = "x"', 11, "'2FAST' is not an environment variable name"),
        ('EXTRA = "$HOME/bin"', 11, "the value of EXTRA refers to other variables"),
        ('WIN = "%USERPROFILE%\\\\bin"', 11, "the value of WIN refers to other variables"),
        ('CMD = "`date`"', 11, "the value of CMD refers to other variables"),
    ],
)
def test_a_variable_that_cannot_be_carried_is_reported_at_its_line_and_left_out(
    tmp_path, entry, line, says
):
    text = HEAD + f'\n[activation.env]\nKEPT = "yes"\n{entry}\nALSO = "kept"\n'
    source = tmp_path / "pixi.toml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out = run("import", "--from", "pixi", str(source), "-o", str(notebook))
    assert status == 0, out  # a warning: the rest is imported
    assert f"{source}:{line}: warning[pixi-variable-dropped]" in out
    assert says in out
    assert "left out" in out
    hint = "Rename the variable" if "name" in says else "Quote the value" if " is " in says else ""
    assert f"hint: {hint}" in out
    environment = json.loads(notebook.read_text())["metadata"]["environment"]
    assert environment["env"] == {"KEPT": "yes", "ALSO": "kept"}


def test_a_variable_of_an_inline_or_dotted_table_is_reported_at_its_line():
    text = HEAD + (
        "\n[feature.b]\nactivation.env.X = 1\n"
        '\n[feature.c.activation]\nenv = { OK = "1", "Y" = 2 }\n'
        "\n[feature.d.target.'linux-64'.activation.env]\nZ = 3\n"
        '\n[environments]\ne = ["b", "c", "d"]\n'
    )
    converted = read(text, "linux-64", environment="e")
    assert env_of(converted) == {"OK": "1"}
    lines = {d.message.split(":")[1].split()[0]: d.line for d in converted.diagnostics}
    assert lines == {"X": 10, "Y": 13, "Z": 16}


def test_an_activation_env_that_is_not_a_table_carries_nothing():
    converted = read(HEAD + '\n[activation]\nenv = "A=1"\n')
    assert "env" not in converted.environment
    (found,) = converted.diagnostics
    assert (found.code, found.severity, found.line) == ("pixi-variable-dropped", "warning", 10)
    assert "a table of names to strings" in found.message


def test_an_activation_that_is_not_a_table_is_invalid(tmp_path):
    source = tmp_path / "pixi.toml"
    source.write_text('activation = "setup.sh"\n' + HEAD)
    output = tmp_path / "out.envspec.yaml"
    status, out = run("import", "--from", "pixi", str(source), "-o", str(output))
    assert status == 1
    assert f"{source}:1: error[pixi-invalid] the activation of the workspace must be a table" in out
    assert not output.exists()


def test_a_secret_variable_is_refused_as_every_secret_and_nothing_is_written(tmp_path):
    secret = "0123456789abcdef0123"
    source = tmp_path / "pixi.toml"
    source.write_text(HEAD + f'\n[activation.env]\nWANDB_API_KEY = "{secret}"\nMODE = "fast"\n')
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n')
    before = notebook.read_bytes()
    status, out = run("import", "--from", "pixi", str(source), "-o", str(notebook))
    assert status == 1
    assert f"{source}#/env/WANDB_API_KEY: error[secret-env-value]" in out
    assert "WANDB_API_KEY: null" in out  # the hint says how to declare it
    assert "nothing was written" in out
    assert secret not in out
    assert notebook.read_bytes() == before
    # the same stop as the writers' gate gives, and as conda's variables get
    converted = import_path(get_format("pixi"), str(source))
    assert converted.environment is not None
    verdict = gate(converted.environment, file=str(source))
    assert verdict.refused
    stops = {(d.code, d.pointer) for d in verdict.stops}
    assert ("secret-env-value", "/env/WANDB_API_KEY") in stops
    assert {(d.code, d.pointer) for d in converted.diagnostics if d.severity == "error"} == stops
    conda = tmp_path / "environment.yml"
    conda.write_text(f"dependencies:\n  - numpy\nvariables:\n  WANDB_API_KEY: {secret}\n")
    other = import_path(get_format("conda"), str(conda))
    assert stops <= {(d.code, d.pointer) for d in other.diagnostics if d.severity == "error"}
    # printing (no -o) refuses too
    status, out = run("import", "--from", "pixi", str(source))
    assert status == 1
    assert secret not in out


def test_a_token_in_any_variable_is_refused_and_not_shown(tmp_path):
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
    source = tmp_path / "pixi.toml"
    source.write_text(HEAD + f'\n[feature.ci.activation.env]\nGH = "{token}"\n')
    output = tmp_path / "env.envspec.yaml"
    status, out = run(
        "import", "--from", "pixi", str(source), "--environment", "ci", "-o", str(output)
    )
    assert status == 1
    assert "error[secret]" in out
    assert token not in out
    assert not output.exists()


# ---------------------------------------------------------------------------- export


def test_env_exports_as_activation_env_without_the_variables_supplied_at_launch(
    tmp_path, pixi_schema
):
    environment = {
        "env_ver": "1.0",
        "python": "3.12",
        "env": {
            "MODE": "fast",
            "WANDB_API_KEY": None,
            "NOTE": 'a "quoted" # not a comment',
            "EXTRA": "$HOME/bin",
            "EMPTY": "",
        },
        "files": {"requirements.txt": "numpy>=1.26\n"},
    }
    source = envspec_file(tmp_path, environment)
    status, out = run("export", "--to", "pixi", str(source), "-o", f"{tmp_path}/p/")
    assert status == 0, out
    assert f"{source}#/env/WANDB_API_KEY: warning[pixi-variable-at-launch]" in out
    assert "not written to [activation.env]" in out
    assert f"{source}#/env/EXTRA: warning[pixi-variable-dropped]" in out
    assert f"{source}#/env/EMPTY: warning[pixi-variable-dropped]" in out
    text = (tmp_path / "p" / "pixi.toml").read_text()
    pixi_schema(text)
    assert "WANDB_API_KEY" not in text
    assert "$HOME" not in text
    assert tomllib.loads(text)["activation"] == {
        "env": {"MODE": "fast", "NOTE": 'a "quoted" # not a comment'}
    }
    assert text.endswith(
        '\n[activation.env]\nMODE = "fast"\nNOTE = "a \\"quoted\\" # not a comment"\n'
    )
    # a second export changes no byte
    status, out = run("export", "--to", "pixi", str(source), "-o", f"{tmp_path}/p/")
    assert status == 0
    assert "unchanged" in out
    assert (tmp_path / "p" / "pixi.toml").read_text() == text


def test_no_env_or_only_variables_supplied_at_launch_write_no_activation_table(tmp_path):
    for env in ({}, {"SECRET_TOKEN": None}):
        environment = {"env_ver": "1.0", "env": env, "files": {"requirements.txt": "numpy\n"}}
        converted = export_path(get_format("pixi"), str(envspec_file(tmp_path, environment)))
        assert converted.ok
        assert "activation" not in converted.files["pixi.toml"].decode()
        expected = [("pixi-variable-at-launch", "/env/SECRET_TOKEN")] if env else []
        assert [(d.code, d.pointer) for d in converted.diagnostics] == expected


# ------------------------------------------------------------------------ round trips


ROUND_TRIP = HEAD + (
    '\n[activation]\nscripts = ["setup.sh"]\n'
    '\n[activation.env]\nOMP_NUM_THREADS = "4"\nMODE = "base"\nBAD = 1\n'
    '\n[target.linux-64.activation.env]\nMODE = "linux"\n'
    '\n[feature.test.activation.env]\nPYTEST_ADDOPTS = "-q"\n'
    '\n[environments]\ntest = ["test"]\n'
)


@pytest.mark.parametrize(("platform", "environment"), [(None, None), ("linux-64", "test")])
def test_import_export_import_keeps_the_variables(tmp_path, pixi_schema, platform, environment):
    pixi_schema(ROUND_TRIP.replace("BAD = 1\n", ""))  # valid but for BAD
    source = tmp_path / "pixi.toml"
    source.write_text(ROUND_TRIP)
    argv = ["import", "--from", "pixi", str(source), "-o", f"{tmp_path}/a.ipynb"]
    argv += ["--option", f"platform={platform}"] if platform else []
    argv += ["--environment", environment] if environment else []
    status, out = run(*argv)
    assert status == 0, out
    first = json.loads((tmp_path / "a.ipynb").read_text())["metadata"]["environment"]["env"]
    out_dir = tmp_path / "out"
    for _ in range(2):  # the second export changes no byte
        status, out = run("export", "--to", "pixi", f"{tmp_path}/a.ipynb", "-o", f"{out_dir}/")
        assert status == 0, out
    assert "unchanged" in out
    written = (out_dir / "pixi.toml").read_text()
    pixi_schema(written)
    again = import_path(get_format("pixi"), str(out_dir / "pixi.toml"))
    assert again.ok
    assert again.environment is not None
    assert again.environment["env"] == first
    assert again.diagnostics == ()  # what could not be carried is gone
    if platform:
        assert first == {"OMP_NUM_THREADS": "4", "MODE": "linux", "PYTEST_ADDOPTS": "-q"}
    else:
        assert first == {"OMP_NUM_THREADS": "4", "MODE": "base"}


_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_ODD = ("on", "true", "1", "1.5", " lead", "trail ", "a\nb", "tab\there", "'q'", '"q"',
    "a = b", "[x]", "{a}", "#x", "back\\slash", "\U0001f600 emoji", "\x7f", "\u2028", "50%",
    "%", "a % b")  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(_ODD),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="$`%"),
        min_size=1,
        max_size=12,
    ),
)


@settings(max_examples=60, deadline=None)
@given(env=st.dictionaries(_NAMES, _VALUES, max_size=5))
def test_any_literal_env_is_written_as_toml_strings_that_read_back(env):
    fmt = get_format("pixi")
    conda = "channels:\n  - conda-forge\ndependencies:\n  - numpy\n"
    environment = {"env_ver": "1.0", "env": env, "files": {"environment.yml": conda}}
    written = fmt.write(Document("a.envspec.json", environment), Options())
    assert written.diagnostics == ()
    text = written.files["pixi.toml"].decode()
    assert tomllib.loads(text).get("activation", {}).get("env", {}) == env
    back = fmt.read(Source("pixi.toml", {"pixi.toml": text.encode()}), Options())
    assert back.environment is not None
    assert back.environment.get("env", {}) == env
    assert back.diagnostics == ()
    again = fmt.write(Document("a.envspec.json", back.environment), Options())
    assert again.files["pixi.toml"].decode() == text
