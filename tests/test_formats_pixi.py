"""The ``pixi`` format: pixi.toml and [tool.pixi] in, environment.yml (+ pip:) out and back;
exports checked against pixi's manifest schema (SchemaStore's copy, through
validate-pyproject's schema-store plugin)."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest
import rattler

from envspec._yaml import load_yaml
from envspec.cli.main import main
from envspec.formats import Options, Source, get_format
from envspec.formats.io import export_path, import_path

EXAMPLE = Path(__file__).parent.parent / "examples" / "formats" / "pixi" / "pixi.toml"
HEAD = '[workspace]\nname = "w"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def read(text: str, name: str = "pixi.toml", **options: object):
    source = Source(name, {name: text.encode()})
    return get_format("pixi").read(source, Options(**options))  # type: ignore[arg-type]


def conda_file(environment: dict) -> dict:
    data, problem = load_yaml(environment["files"]["environment.yml"])
    assert problem is None
    return data


def canonical(specs: list) -> set[str]:
    return {str(rattler.MatchSpec(s)) for s in specs if isinstance(s, str)}


def pip_of(data: dict) -> list[str]:
    return next((d["pip"] for d in data["dependencies"] if isinstance(d, dict)), [])


def test_the_example_imports_its_default_environment_and_reports_the_rest(pixi_schema):
    pixi_schema(tomllib.loads(EXAMPLE.read_text()))  # the sample is a valid manifest
    converted = import_path(get_format("pixi"), str(EXAMPLE))
    assert converted.ok
    environment = converted.environment or {}
    assert environment["python"] == "3.12"
    assert environment["extensions"] == {
        "envspec.pixi": {"platforms": ["linux-64", "osx-arm64", "win-64"]}
    }
    data = conda_file(environment)
    assert data["channels"] == ["conda-forge"]
    assert canonical(data["dependencies"]) == canonical(
        ["python 3.12.*", "numpy>=1.26", "xarray>=2024.6", "conda-forge::cartopy>=0.23",
         "ipykernel", "pip"]
    )  # fmt: skip
    assert pip_of(data) == ["pooch>=1.8"]
    codes = sorted(d.code for d in converted.diagnostics)
    assert codes == ["pixi-environment-not-selected", "pixi-task-dropped"]


def test_environment_selects_its_features_on_top_of_the_default_one():
    converted = import_path(get_format("pixi"), str(EXAMPLE), Options(environment="test"))
    data = conda_file(converted.environment or {})
    assert "pytest>=8" in data["dependencies"]
    assert "numpy>=1.26" in data["dependencies"]
    assert [d.code for d in converted.diagnostics] == ["pixi-task-dropped"]


def test_no_default_feature_and_feature_channels():
    text = HEAD + (
        '[dependencies]\nnumpy = "*"\n[feature.bio]\nchannels = ["bioconda"]\n'
        '[feature.bio.dependencies]\nsamtools = "1.20.*"\n'
        '[environments]\nbio = { features = ["bio"], no-default-feature = true }\n'
    )
    converted = read(text, environment="bio")
    data = conda_file(converted.environment or {})
    assert data["channels"] == ["conda-forge", "bioconda"]
    assert data["dependencies"] == ["samtools=1.20"]


def test_tool_pixi_in_a_pyproject_reads_project_dependencies_as_pypi_ones():
    text = (
        '[project]\nname = "mylib"\nversion = "1"\ndependencies = ["requests>=2.31"]\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[tool.pixi.dependencies]\npython = ">=3.11"\n'
        '[tool.pixi.pypi-dependencies]\nmylib = { path = ".", editable = true }\n'
    )
    converted = read(text, name="pyproject.toml")
    assert converted.ok
    data = conda_file(converted.environment or {})
    assert pip_of(data) == ["requests>=2.31"]
    assert (converted.environment or {})["python"] == "3.11"
    assert sorted(d.code for d in converted.diagnostics) == [
        "pixi-dependency-dropped",
        "pixi-dependency-dropped",
    ]


def test_pypi_dependency_tables_become_requirements():
    text = HEAD + (
        '[dependencies]\npython = "3.12.*"\n[pypi-dependencies]\n'
        'httpx = { version = ">=0.27", extras = ["http2"] }\n'
        'lib = { git = "https://github.com/org/lib.git", rev = "v1.2" }\n'
        'wheel = { url = "https://example.org/w-1.0-py3-none-any.whl" }\nany = "*"\n'
    )
    converted = read(text)
    assert converted.ok
    assert pip_of(conda_file(converted.environment or {})) == [
        "httpx[http2]>=0.27",
        "lib @ git+https://github.com/org/lib.git@v1.2",
        "wheel @ https://example.org/w-1.0-py3-none-any.whl",
        "any",
    ]


@pytest.mark.parametrize(
    ("text", "args", "code", "words"),
    [
        (HEAD + '[tasks]\nlab = "jupyter lab"\n[target.linux-64.dependencies]\nlibgomp = "*"\n',
         [], "pixi-nothing-mappable", "no conda or PyPI dependency"),
        ('[workspace]\npreview = ["pixi-build"]\nchannels = ["conda-forge"]\n'
         '[package]\nname = "x"\nversion = "1"\n', [],
         "pixi-nothing-mappable", "pixi-table-dropped"),
        (HEAD + '[dependencies]\nnumpy = "*"\n', ["--environment", "gpu"],
         "pixi-unknown-environment", "environments: default"),
        (HEAD + '[dependencies]\nnumpy = 3\n', [], "pixi-invalid", "numpy"),
        (HEAD + '[dependencies]\nnumpy = ">>1"\n', [], "pixi-invalid", "not a valid MatchSpec"),
        (HEAD + '[dependencies]\nnumpy = "*"\n[environments]\nx = ["nope"]\n',
         ["--environment", "x"], "pixi-invalid", "not defined: nope"),
        (HEAD + "[dependencies\n", [], "invalid-toml", ":5:"),
        ("[tool.black]\nline-length = 100\n", [], "format-source-invalid", "not a pixi manifest"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_and_nothing_is_written(tmp_path, text, args, code, words):
    source = tmp_path / "pixi.toml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out, _ = run("import", "--from", "pixi", str(source), *args, "-o", str(notebook))
    assert status == 1, out
    assert f"error[{code}]" in out
    assert words in out
    assert "nothing was written" in out
    assert "Traceback" not in out
    assert not notebook.exists()


def test_a_pyproject_without_pixi_tables_points_to_the_pyproject_format(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1"\n')
    status, out, _ = run("import", "--from", "pixi", str(tmp_path))
    assert status == 1
    assert "--from pyproject" in out


def _envspec_file(tmp_path: Path, environment: dict) -> Path:
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(environment))
    return path


ROUND = {
    "env_ver": "1.0",
    "python": "3.12",
    "files": {
        "environment.yml": "name: analysis\nchannels:\n  - conda-forge\n  - bioconda\n"
        "dependencies:\n  - python=3.12\n  - numpy>=1.26,<3\n  - scipy=1.13\n"
        "  - conda-forge::samtools 1.20.* h50ea8bc_0\n  - pip\n  - pip:\n"
        "    - pooch>=1.8\n    - httpx[http2]>=0.27\n",
    },
    "extensions": {"envspec.pixi": {"platforms": ["linux-64", "osx-arm64"]}},
}


def test_envspec_to_pixi_and_back_keeps_dependencies_python_and_channels(tmp_path, pixi_schema):
    source = _envspec_file(tmp_path, ROUND)
    status, out, _ = run("export", "--to", "pixi", str(source), "-o", f"{tmp_path}/out/")
    assert status == 0, out
    written = tmp_path / "out" / "pixi.toml"
    manifest = tomllib.loads(written.read_text())
    pixi_schema(manifest)
    assert manifest["workspace"]["platforms"] == ["linux-64", "osx-arm64"]
    assert manifest["dependencies"]["samtools"] == {
        "version": "1.20.*",
        "build": "h50ea8bc_0",
        "channel": "conda-forge",
    }
    assert manifest["pypi-dependencies"]["httpx"] == {"version": ">=0.27", "extras": ["http2"]}
    back = import_path(get_format("pixi"), str(written))
    assert back.ok, back.diagnostics
    environment = back.environment or {}
    assert environment["python"] == "3.12"
    assert environment["extensions"] == ROUND["extensions"]
    before, after = conda_file(ROUND), conda_file(environment)
    assert after["channels"] == before["channels"]
    assert canonical(after["dependencies"]) == canonical(before["dependencies"])
    assert sorted(pip_of(after)) == sorted(pip_of(before))
    status, out, _ = run("export", "--to", "pixi", str(source), "-o", f"{tmp_path}/out/")
    assert "unchanged" in out


def test_export_from_requirements_adds_python_and_the_default_channel(tmp_path, pixi_schema):
    environment = {
        "env_ver": "1.0",
        "python": "3.11",
        "files": {
            "requirements.txt": "--index-url https://example.org/simple\nnumpy>=1.26\n"
            "rich; os_name == 'nt'\n"
        },
    }
    converted = export_path(
        get_format("pixi"),
        str(_envspec_file(tmp_path, environment)),
        Options(settings={"platforms": "linux-64"}),
    )
    manifest = tomllib.loads(converted.files["pixi.toml"].decode())
    pixi_schema(manifest)
    assert manifest["workspace"]["channels"] == ["conda-forge"]
    assert manifest["workspace"]["platforms"] == ["linux-64"]
    assert manifest["dependencies"] == {"python": "3.11.*"}
    assert manifest["pypi-dependencies"] == {"numpy": ">=1.26", "rich": "*"}
    messages = [d.message for d in converted.diagnostics if d.code == "pip-line-dropped"]
    assert any("pip option" in m for m in messages)
    assert any("marker" in m for m in messages)


def test_pyproject_extras_and_groups_are_features_as_pixi_makes_them():
    text = (
        '[project]\nname = "lib"\nversion = "1"\ndependencies = ["requests"]\n'
        '[project.optional-dependencies]\nplot = ["matplotlib>=3.8"]\n'
        '[dependency-groups]\ntest = ["pytest", {include-group = "lint"}]\nlint = ["ruff"]\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[tool.pixi.dependencies]\npython = "3.12.*"\n'
        '[tool.pixi.environments]\ndev = ["plot", "test"]\n'
    )
    converted = read(text, name="pyproject.toml", environment="dev")
    assert converted.ok, converted.diagnostics
    assert pip_of(conda_file(converted.environment or {})) == [
        "requests",
        "matplotlib>=3.8",
        "pytest",
        "ruff",
    ]


def test_the_tables_interface_serves_a_pep_723_block():
    """A PEP 723 block with [tool.pixi] (pixi's --script) goes through the same mapping."""
    from envspec.formats import Document

    block = (
        'dependencies = ["httpx>=0.27"]\n[tool.pixi.workspace]\nchannels = ["conda-forge"]\n'
        'platforms = ["linux-64"]\n[tool.pixi.dependencies]\ngdal = "*"\n'
    )
    data = tomllib.loads(block)
    rearranged = {"project": {"dependencies": data["dependencies"]}, "tool": data["tool"]}
    pixi = get_format("pixi")
    converted = pixi.read_tables(rearranged, block, "script.py", Options(), in_pyproject=True)
    assert converted.ok
    environment = converted.environment or {}
    back, found = pixi.tables(Document("script.py", environment), Options())
    assert found == []
    assert back["workspace"]["channels"] == ["conda-forge"]
    assert back["workspace"]["platforms"] == ["linux-64"]
    assert back["dependencies"] == {"python": "*", "gdal": "*", "pip": "*"}  # pixi needs python
    assert back["pypi-dependencies"] == {"httpx": ">=0.27"}
