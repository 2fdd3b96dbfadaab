"""The ``pyproject`` format: PEP 621 dependencies, extras, PEP 735 groups, requires-python;
exports checked by validate-pyproject, group resolution by PEP 735's reference resolver."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import dependency_groups
import pytest
from validate_pyproject import api

from envspec.cli.main import main
from envspec.formats import Options, Source, get_format
from envspec.formats.io import export_path, import_path

#: validate-pyproject with PEP 621 and its packaging checks (the tool plugins are not needed).
VALIDATE = api.Validator(plugins=[])
EXAMPLE = Path(__file__).parent.parent / "examples" / "formats" / "pyproject" / "pyproject.toml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def read(text: str, **options: object) -> tuple[dict | None, list[tuple[str, str]]]:
    source = Source("pyproject.toml", {"pyproject.toml": text.encode()})
    converted = get_format("pyproject").read(source, Options(**options))  # type: ignore[arg-type]
    return converted.environment, [(d.code, d.message) for d in converted.diagnostics]


def requirements_of(environment: dict) -> list[str]:
    return environment.get("files", {}).get("requirements.txt", "").splitlines()


def test_the_example_gives_dependencies_and_the_python_pin():
    converted = import_path(get_format("pyproject"), str(EXAMPLE))
    assert converted.ok
    assert converted.diagnostics == ()
    assert converted.environment == {
        "env_ver": "1.0",
        "python": "3.11",
        "files": {"requirements.txt": "numpy>=1.26\npandas>=2.2,<3\nxarray>=2024.6\n"},
    }


def test_extras_and_groups_are_chosen_and_groups_resolve_as_pep_735s_reference_resolver():
    data = tomllib.loads(EXAMPLE.read_text())
    converted = import_path(
        get_format("pyproject"), str(EXAMPLE), Options(extras=("all",), groups=("dev",))
    )
    assert converted.ok, converted.diagnostics
    got = requirements_of(converted.environment or {})
    expected_groups = list(dependency_groups.resolve(data["dependency-groups"], "dev"))
    extras = data["project"]["optional-dependencies"]["plot"]  # `all` = the project's [plot]
    assert got == data["project"]["dependencies"] + extras + expected_groups


def test_all_means_every_extra_when_the_project_defines_no_all_extra():
    text = (
        '[project]\nname = "p"\nversion = "1"\n[project.optional-dependencies]\n'
        'a = ["x"]\nb = ["y"]\n'
    )
    environment, found = read(text, extras=("all",))
    assert found == []
    assert requirements_of(environment or {}) == ["x", "y"]


def test_self_references_in_extras_expand_with_their_marker():
    text = (
        '[project]\nname = "My_Pkg"\nversion = "1"\n[project.optional-dependencies]\n'
        'test = ["pytest"]\ndev = ["my-pkg[test]; python_version >= \'3.12\'", "ruff"]\n'
    )
    environment, _ = read(text, extras=("dev",))
    assert requirements_of(environment or {}) == ['pytest; python_version >= "3.12"', "ruff"]


@pytest.mark.parametrize(
    ("requires", "pin", "warned"),
    [
        (">=3.9", "3.9", False),
        ("~=3.10", "3.10", False),
        (">=3.8,<4", "3.8", False),
        ("==3.11.*", "3.11", False),
        ("==3.12.4", "3.12.4", False),
        (">=3.10,<3.13", "3.10", True),
        (">=3.8,!=3.9.*", "3.8", True),
        (">2.7", "3.0", False),
    ],
)
def test_requires_python_gives_the_lowest_allowed_minor(requires, pin, warned):
    environment, found = read(
        f'[project]\nname = "p"\nversion = "1"\nrequires-python = "{requires}"\n'
    )
    assert (environment or {}).get("python") == pin
    assert [c for c, _ in found] == (["python-range-pinned"] if warned else [])


def test_dynamic_dependencies_are_reported_not_guessed():
    environment, found = read('[project]\nname = "p"\ndynamic = ["version", "dependencies"]\n')
    assert environment == {"env_ver": "1.0"}
    assert [c for c, _ in found] == ["pyproject-dynamic"]


def test_an_unknown_extra_on_a_dynamic_table_says_so():
    _, found = read('[project]\nname = "p"\ndynamic = ["optional-dependencies"]\n', extras=("gpu",))
    assert found[0][0] == "pyproject-unknown-extra"
    assert "dynamic" in found[0][1]


@pytest.mark.parametrize(
    ("text", "args", "code", "words"),
    [
        ('[project]\nname = "p"\ndependencies = [\n  "numpy",\n  "pandas>=>2",\n]\n', [],
         "pyproject-invalid", ":5: "),
        ('[project]\nname = "p"\n[project.optional-dependencies]\nplot = ["mpl"]\n',
         ["--extra", "gpu"], "pyproject-unknown-extra", "known: plot"),
        ('[project]\nname = "p"\n[dependency-groups]\ntest = ["pytest"]\n', ["--group", "lint"],
         "pyproject-unknown-group", "known: test"),
        ('[project]\nname = "p"\n[dependency-groups]\na = [{include-group = "b"}]\n'
         'b = [{include-group = "c"}]\nc = [{include-group = "a"}]\n', ["--group", "a"],
         "pyproject-group-cycle", "a -> b -> c -> a"),
        ('[project]\nname = "p"\n[dependency-groups]\na = [{include-group = "zz"}]\n',
         ["--group", "a"], "pyproject-unknown-group", "'zz'"),
        ('[project]\nname = "p"\nrequires-python = "<3"\n', [], "pyproject-invalid",
         "allows a Python 3"),
        ('[tool.poetry]\nname = "p"\n', [], "pyproject-no-project", "[project]"),
        ('[project]\nname = "p"\ndependencies = ["numpy"\n', [], "invalid-toml", ":3: "),
        ('[project]\nname = "p"\nname = "q"\n', [], "invalid-toml", ":3:"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_and_nothing_is_written(tmp_path, text, args, code, words):
    source = tmp_path / "pyproject.toml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out, _ = run("import", "--from", "pyproject", str(source), *args, "-o", str(notebook))
    assert status == 1, out
    assert f"error[{code}]" in out
    assert words in out
    assert "nothing was written" in out
    assert "Traceback" not in out
    assert not notebook.exists()


def test_a_pixi_table_is_reported_and_a_folder_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "1"\ndependencies = ["numpy"]\n'
        '[tool.pixi.dependencies]\npython = "3.12.*"\n'
    )
    converted = import_path(get_format("pyproject"), str(tmp_path))
    assert converted.ok
    assert [d.code for d in converted.diagnostics] == ["pyproject-pixi-ignored"]
    assert converted.diagnostics[0].file == f"{tmp_path}/pyproject.toml"
    empty = tmp_path / "empty"
    empty.mkdir()
    converted = import_path(get_format("pyproject"), str(empty))
    assert [d.code for d in converted.diagnostics] == ["format-source-invalid"]


def _envspec_file(tmp_path: Path, environment: dict) -> Path:
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(environment))
    return path


def test_export_is_a_minimal_valid_pyproject_that_imports_back_the_same(tmp_path):
    environment = {
        "env_ver": "1.0",
        "python": "3.12",
        "files": {
            "requirements.txt": "numpy>=1.26\npandas>=2.2,<3\nrich[jupyter]; os_name != 'nt'\n"
        },
    }
    source = _envspec_file(tmp_path, environment)
    status, out, _ = run("export", "--to", "pyproject", str(source), "-o", f"{tmp_path}/out/")
    assert status == 0, out
    written = tmp_path / "out" / "pyproject.toml"
    data = tomllib.loads(written.read_text())
    VALIDATE(data)  # validate-pyproject: PEP 621 and the packaging checks
    assert data["project"]["name"] == "analysis"
    assert data["project"]["requires-python"] == ">=3.12"
    again = import_path(get_format("pyproject"), str(written))
    assert again.ok
    back = again.environment or {}
    assert back["python"] == "3.12"
    assert requirements_of(back) == [
        "numpy>=1.26",
        "pandas>=2.2,<3",
        "rich[jupyter]; os_name != 'nt'",
    ]
    status, out, _ = run("export", "--to", "pyproject", str(source), "-o", f"{tmp_path}/out/")
    assert "unchanged" in out  # a second run changes no byte


def test_export_of_a_conda_environment_translates_names_and_reports_the_rest(tmp_path):
    environment = {
        "env_ver": "1.0",
        "python": "3.12.4",
        "files": {
            "environment.yml": "channels: [conda-forge]\ndependencies:\n  - python=3.12.4\n"
            "  - pytorch>=2.3\n  - pytables=3.9\n  - nodejs\n  - pip\n  - pip:\n"
            "    - pooch>=1.8\n    - --index-url https://example.org/simple\n",
            "apt.txt": "graphviz\n",
        },
    }
    converted = export_path(
        get_format("pyproject"), str(_envspec_file(tmp_path, environment)), Options()
    )
    assert converted.ok
    data = tomllib.loads(converted.files["pyproject.toml"].decode())
    VALIDATE(data)
    assert data["project"]["requires-python"] == "==3.12.4"
    assert data["project"]["dependencies"] == ["torch>=2.3", "tables==3.9.*", "pooch>=1.8"]
    codes = sorted(d.code for d in converted.diagnostics)
    assert codes == ["conda-to-pip-inexact", "format-file-dropped", "pip-line-dropped"]


def test_the_name_option_and_unusual_file_names_give_valid_names():
    fmt = get_format("pyproject")
    env = {"env_ver": "1.0"}
    for path, settings, name in [
        ("/x/My Analysis (v2).ipynb", {}, "My-Analysis-v2"),
        ("/x/..ipynb", {}, "notebook"),
        ("/x/a.ipynb", {"name": "climate"}, "climate"),
    ]:
        from envspec.formats import Document

        files = fmt.write(Document(path, env), Options(settings=settings)).files
        data = tomllib.loads(files["pyproject.toml"].decode())
        VALIDATE(data)
        assert data["project"]["name"] == name
