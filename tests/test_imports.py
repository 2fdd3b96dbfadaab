"""Start-up cost: heavy libraries are imported only by the work that needs them.

Each check runs in a fresh interpreter and looks at ``sys.modules`` after the
command has run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import GOOD_ENVIRONMENT, console_script

HEAVY = (
    "pydantic",
    "pydantic_core",
    "msgspec",
    "ruamel",
    "rattler",
    "packaging",
    "pip_requirements_parser",
)

_RUN = """\
import json, sys
modules_file = sys.argv.pop(1)
if sys.argv[1:] == ["--import-only"]:
    import envspec
    code = 0
else:
    from envspec.cli.main import main
    code = main(sys.argv[1:])
with open(modules_file, "w") as handle:
    json.dump({"code": code, "modules": sorted(sys.modules)}, handle)
"""


def imported(tmp_path, *args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Exit code of ``envspec ARGS`` in a fresh interpreter, and the packages it imported."""
    modules_file = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(modules_file), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    result = json.loads(modules_file.read_text(encoding="utf-8"))
    return result["code"], {name.split(".")[0] for name in result["modules"]}


def heavy(modules: set[str], names=HEAVY) -> set[str]:
    return modules & set(names)


def test_import_envspec_is_light(tmp_path):
    code, modules = imported(tmp_path, "--import-only")
    assert code == 0
    assert "envspec" in modules
    assert heavy(modules) == set()


def test_version_is_light(tmp_path):
    code, modules = imported(tmp_path, "--version")
    assert code == 0
    assert heavy(modules) == set()


def test_the_version_console_script_imports_nothing_heavy(tmp_path):
    # The real entry point, observed with Python's own import log.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", console_script(), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    logged = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert "envspec" in logged
    assert heavy(logged) == set()


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help"), ("schema", "--help")])
def test_help_imports_no_model_or_parser_library(tmp_path, args):
    code, modules = imported(tmp_path, *args)
    assert code == 0
    assert heavy(modules) == set()


def test_validating_a_notebook_without_environment_is_light(tmp_path, write_notebook):
    write_notebook("plain.ipynb", kernelspec={"name": "python3", "display_name": "Python 3"})
    code, modules = imported(tmp_path, "validate", "plain.ipynb")
    assert code == 0
    assert (
        heavy(
            modules, ("pydantic", "pydantic_core", "ruamel", "rattler", "pip_requirements_parser")
        )
        == set()
    )


def test_validating_a_common_conda_environment_needs_no_yaml_parser(tmp_path, write_notebook):
    conda = (
        "name: analysis\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.12\n"
        "  - numpy=2.1.2\n  - pip\n  - pip:\n      - rich==13.9.4\n"
    )
    write_notebook("conda.ipynb", {**GOOD_ENVIRONMENT, "files": {"environment.yml": conda}})
    code, modules = imported(tmp_path, "validate", "conda.ipynb")
    assert code == 0
    assert heavy(modules) == set()


RICH_ENVIRONMENT = {
    "env_ver": "1.0",
    "python": "3.11",
    "kernel": {"name": "python3", "language": "python"},
    "files": {
        "requirements.txt": "--index-url https://pypi.org/simple\nnumpy==2.1\n-e ../local\nbad=1\n",
        "environment.yml": "channels: [conda-forge]\n"
        "dependencies:\n  - python=3.11\n  - conda-forge::scipy>=1.13\n"
        "  - pip\n  - pip:\n    - rich==13.9\n",
        "apt.txt": "libgl1\n",
        "runtime.txt": "python-3.11\n",
        "postBuild": "#!/bin/sh\necho ok\n",
        "start": '#!/bin/sh\nexec "$@"\n',
        "pylock.toml": 'lock-version = "1.0"\ncreated-by = "x"\nrequires-python = ">=3.11"\n'
        '[[packages]]\nname = "numpy"\n',
        "manifest.scm": '(specifications->manifest (list "python"))\n',
        "Pipfile": '[packages]\nnumpy = "*"\n',
        "Project.toml": '[deps]\nCSV = "336ed68f-0bac-5ca0-87d4-7b16caf5d00b"\n',
    },
    "image": {"ref": "quay.io/jupyter/base-notebook:latest"},
    "git": {"url": "https://example.org/repo.git", "commit": "abc"},
    "env": {"API_TOKEN": "0123456789abcdef", "HOME_DIR": None},
    "hardware": {"cpu": 2, "memory": "8Gi", "gpu": {"count": 1}},
}


def test_validate_never_imports_pydantic(tmp_path, write_notebook, write_file):
    write_notebook("rich.ipynb", RICH_ENVIRONMENT)
    write_notebook(
        "legacy.ipynb", {"env_ver": "0.1", "requirements.txt": "numpy\n", "container": "x:1"}
    )
    write_file("env.envspec.yaml", 'env_ver: "1.0"\npython: 3\nfiles:\n  apt.txt: "curl\\n"\n')
    write_file("env.envspec.json", json.dumps(GOOD_ENVIRONMENT))
    # More than the fast decoder's threshold, so that path is taken too.
    write_notebook("big.ipynb", GOOD_ENVIRONMENT, metadata={"widgets": {"state": "x" * 9_000_000}})
    code, modules = imported(tmp_path, "validate", "--strict", ".")
    assert code == 1
    assert {"ruamel", "rattler", "packaging", "msgspec"} <= modules  # the work was done
    assert heavy(modules, ("pydantic", "pydantic_core")) == set()
    code, modules = imported(
        tmp_path, "validate", "--format", "json", "--require", "."
    )  # cached verdicts
    assert code == 1
    assert heavy(modules, ("pydantic", "pydantic_core")) == set()


@pytest.mark.parametrize("args", [(), ("--env-ver", "0.1"), ("--diagnostics",)])
def test_schema_reads_the_committed_file(tmp_path, args):
    code, modules = imported(tmp_path, "schema", *args)
    assert code == 0
    assert heavy(modules) == set()


def test_payload_validate_imports_pydantic_only_for_a_broken_file(tmp_path):
    import shutil
    from pathlib import Path

    examples = Path(__file__).parent.parent / "examples" / "payloads"
    shutil.copytree(examples, tmp_path / "payloads")
    code, modules = imported(tmp_path, "payload", "validate", "payloads")
    assert code == 0
    assert heavy(modules, ("pydantic", "pydantic_core")) == set()
    # A file with a problem: the models give its diagnostics.
    broken = tmp_path / "payloads" / "broken.payload.yaml"
    broken.write_text('payload_ver: "1.0"\nname: Not A Name\n', encoding="utf-8")
    code, modules = imported(tmp_path, "payload", "validate", "payloads")
    assert code == 1
    assert "pydantic" in modules
