"""Several features of one pixi environment naming the same package: pixi gives the
solvers every feature's spec (``DependencyMap::merge_all``), so the import joins them:
the conda side is one MatchSpec that admits exactly the intersection (checked with
rattler), the PyPI side one requirement that uv resolves as it resolves the separate
ones; channel and URL conflicts, which pixi cannot install, are errors."""

from __future__ import annotations

import io
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import rattler
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envspec._yaml import load_yaml
from envspec.cli.main import main
from envspec.formats import Options, Source, get_format
from packages import wheel

HEAD = (
    '[workspace]\nname = "w"\nchannels = ["conda-forge", "bioconda"]\n'
    'platforms = ["linux-64", "osx-arm64"]\n'
)


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue() + err.getvalue()


def read(text: str, name: str = "pixi.toml", platform: str | None = None, **options: object):
    settings = {"platform": platform} if platform else {}
    source = Source(name, {name: text.encode()})
    return get_format("pixi").read(source, Options(settings=settings, **options))  # type: ignore[arg-type]


def conda_of(converted) -> dict:
    assert converted.ok, converted.diagnostics
    data, problem = load_yaml(converted.environment["files"]["environment.yml"])
    assert problem is None
    return data


def conda_specs(data: dict) -> dict[str, rattler.MatchSpec]:
    out = {}
    for item in data["dependencies"]:
        if isinstance(item, str):
            spec = rattler.MatchSpec(item)
            out[spec.name.normalized] = spec
    return out


def pip_of(data: dict) -> list[str]:
    return next((d["pip"] for d in data["dependencies"] if isinstance(d, dict)), [])


def codes(converted) -> list[str]:
    return sorted(d.code for d in converted.diagnostics)


def admits(spec: str, version: str) -> bool:
    return rattler.VersionSpec(spec).matches(rattler.Version(version))


# The default feature and two features constrain numpy (conda) and requests (PyPI).
TWO = HEAD + (
    '\n[dependencies]\npython = "3.12.*"\nnumpy = ">=1.20"\n'
    '\n[pypi-dependencies]\nrequests = ">=2.28"\n'
    '\n[feature.compat.dependencies]\nnumpy = "<2"\n'
    '\n[feature.compat.pypi-dependencies]\nrequests = { version = "<3", extras = ["socks"] }\n'
    '\n[feature.fix.dependencies]\nnumpy = "!=1.24.0"\n'
    '\n[feature.fix.pypi-dependencies]\nrequests = "!=2.31.0"\n'
    '\n[environments]\ndev = ["compat", "fix"]\n'
)
NUMPY = {"default": ">=1.20", "compat": "<2", "fix": "!=1.24.0"}
REQUESTS = {"default": ">=2.28", "compat": "<3", "fix": "!=2.31.0"}


def test_conda_specs_of_several_features_are_one_matchspec_of_their_intersection(pixi_schema):
    pixi_schema(TWO)
    converted = read(TWO, environment="dev")
    assert codes(converted) == []
    numpy = conda_specs(conda_of(converted))["numpy"]  # parsed by rattler
    assert numpy.version == ">=1.20,<2,!=1.24.0"  # the manifest's order
    for version in ["1.19.5", "1.20", "1.21.6", "1.24.0", "1.24.1", "1.26.4", "2.0", "2.0.0rc1"]:
        expected = all(admits(v, version) for v in NUMPY.values())
        assert admits(numpy.version, version) is expected, version
    # the default environment has the default feature's spec alone
    default = read(TWO)
    assert conda_specs(conda_of(default))["numpy"].version == ">=1.20"


def test_pypi_specs_of_several_features_are_one_requirement_of_their_intersection():
    converted = read(TWO, environment="dev")
    [requests] = pip_of(conda_of(converted))
    requirement = Requirement(requests)
    assert requirement.name == "requests"
    assert requirement.extras == {"socks"}  # uv adds the extras up
    wanted = [SpecifierSet(s) for s in REQUESTS.values()]
    for version in ["2.27.1", "2.28.0", "2.31.0", "2.32.3", "3.0.0", "3.0.0rc1"]:
        expected = all(s.contains(version, prereleases=True) for s in wanted)
        assert requirement.specifier.contains(version, prereleases=True) is expected, version


def test_uv_resolves_the_imported_requirement_as_it_resolves_the_features_ones(tmp_path):
    """uv, which pixi resolves PyPI packages with, picks the same version for the joined
    requirement as for the separate requirements of the features."""
    from uv import find_uv_bin

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for version in ["2.27.1", "2.28.0", "2.31.0", "2.32.3", "3.0.0"]:
        wheel(wheels, "requests", version, requires=['pysocks>=1; extra == "socks"'])
    wheel(wheels, "pysocks", "1.7.1")
    [joined] = pip_of(conda_of(read(TWO, environment="dev")))
    separate = ["requests>=2.28", "requests[socks]<3", "requests!=2.31.0"]

    def resolve(lines: list[str], name: str) -> str:
        (tmp_path / name).write_text("\n".join(lines) + "\n")
        env = {**os.environ, "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
        done = subprocess.run(
            [find_uv_bin(), "pip", "compile", "-q", "--no-header", "--no-annotate",
             "--no-index", "--find-links", str(wheels), "--python-version", "3.12", name],
            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    resolved = resolve([joined], "joined.txt")
    assert resolved == resolve(separate, "separate.txt")
    assert "requests==2.32.3" in resolved
    assert "pysocks==1.7.1" in resolved


def test_a_target_replaces_its_feature_spec_before_the_features_are_combined(pixi_schema):
    text = HEAD + (
        '\n[dependencies]\nnumpy = ">=1.20"\n'
        '\n[target.linux-64.dependencies]\nnumpy = ">=1.22"\n'
        '\n[feature.gpu.dependencies]\nnumpy = "<2"\n'
        '\n[feature.gpu.target.linux-64.dependencies]\nnumpy = "<1.27"\n'
        '\n[environments]\ngpu = ["gpu"]\n'
    )
    pixi_schema(text)
    linux = read(text, platform="linux-64", environment="gpu")
    assert conda_specs(conda_of(linux))["numpy"].version == ">=1.22,<1.27"
    mac = read(text, platform="osx-arm64", environment="gpu")
    assert conda_specs(conda_of(mac))["numpy"].version == ">=1.20,<2"


def test_the_same_spec_twice_is_kept_once_and_star_adds_nothing(pixi_schema):
    text = HEAD + (
        '\n[dependencies]\nnumpy = "1.26.*"\nscipy = "*"\n'
        '\n[feature.a.dependencies]\nnumpy = "1.26.*"\nscipy = ">=1.11"\n'
        '\n[feature.a.pypi-dependencies]\npooch = "*"\n'
        '\n[pypi-dependencies]\npooch = ">=1.8"\n'
        '\n[environments]\na = ["a"]\n'
    )
    pixi_schema(text)
    data = conda_of(read(text, environment="a"))
    assert [d for d in data["dependencies"] if isinstance(d, str)][:2] == [
        "numpy=1.26",
        "scipy>=1.11",
    ]
    assert pip_of(data) == ["pooch>=1.8"]


def test_an_or_constraint_is_grouped_so_the_join_keeps_its_meaning(pixi_schema):
    text = HEAD + (
        '\n[dependencies]\nlibx = "1.2.*|>=3"\n'
        '\n[feature.a.dependencies]\nlibx = "<3.5"\n\n[environments]\na = ["a"]\n'
    )
    pixi_schema(text)
    libx = conda_specs(conda_of(read(text, environment="a")))["libx"]
    for version in ["1.1", "1.2.7", "2.0", "3.0", "3.4.9", "3.5", "4.0"]:
        expected = admits("1.2.*|>=3", version) and admits("<3.5", version)
        assert admits(libx.version, version) is expected, version


def test_a_channel_named_once_is_kept_and_builds_that_differ_keep_pixis_first(pixi_schema):
    text = HEAD + (
        '\n[dependencies]\nnumpy = { version = ">=1.26", build = "py312*" }\n'
        'scipy = { version = ">=1.11", channel = "conda-forge" }\n'
        '\n[feature.a.dependencies]\nnumpy = { version = "<2", build = "*openblas*" }\n'
        'scipy = "<2"\n\n[environments]\na = ["a"]\n'
    )
    pixi_schema(text)
    converted = read(text, environment="a")
    specs = conda_specs(conda_of(converted))
    assert str(specs["scipy"]) == str(rattler.MatchSpec("conda-forge::scipy >=1.11,<2"))
    # pixi lists the environment's features first: feature a's build is kept
    assert str(specs["numpy"]) == str(rattler.MatchSpec("numpy >=1.26,<2 *openblas*"))
    [dropped] = converted.diagnostics
    assert dropped.code == "pixi-dependency-dropped"
    assert "the build 'py312*' is not carried" in dropped.message
    assert "of the workspace" in dropped.message
    assert dropped.line == text.splitlines().index("[dependencies]") + 2


CHANNELS = HEAD + (
    '\n[dependencies]\nnumpy = { version = ">=1.26", channel = "conda-forge" }\n'
    '\n[feature.bio.dependencies]\nnumpy = { version = "<2", channel = "bioconda" }\n'
    '\n[environments]\nbio = ["bio"]\n'
)
URLS = HEAD + (
    '\n[dependencies]\npython = "3.12.*"\n'
    '\n[pypi-dependencies]\nlib = { git = "https://github.com/org/lib.git", rev = "v1" }\n'
    "\n[feature.new.pypi-dependencies]\n"
    'lib = { git = "https://github.com/org/lib.git", rev = "v2" }\n'
    '\n[environments]\nnew = ["new"]\n'
)


@pytest.mark.parametrize(
    ("text", "environment", "words", "line"),
    [
        (CHANNELS, "bio", ["conda dependency 'numpy'", "channel 'bioconda'",
                           "the workspace", "feature 'bio'"],
         'numpy = { version = "<2", channel = "bioconda" }'),
        (URLS, "new", ["PyPI dependency 'lib'", "lib.git@v1", "lib.git@v2", "conflicting URLs"],
         'lib = { git = "https://github.com/org/lib.git", rev = "v2" }'),
    ],
)  # fmt: skip
def test_a_conflict_pixi_cannot_install_is_an_error_and_nothing_is_written(
    tmp_path, pixi_schema, text, environment, words, line
):
    pixi_schema(text)
    source = tmp_path / "pixi.toml"
    source.write_text(text)
    notebook = tmp_path / "analysis.ipynb"
    status, out = run(
        "import", "--from", "pixi", str(source), "--environment", environment,
        "-o", str(notebook),
    )  # fmt: skip
    assert status == 1, out
    assert f"pixi.toml:{text.splitlines().index(line) + 1}: error[pixi-dependency-conflict]" in (
        out
    )
    for word in words:
        assert word in out
    assert "nothing was written" in out
    assert "Traceback" not in out
    assert not notebook.exists()
    # the environments without the second feature import as before
    status, out = run("import", "--from", "pixi", str(source), "-o", str(notebook))
    assert status == 0, out
    before = notebook.read_bytes()
    assert run("import", "--from", "pixi", str(source), "-o", str(notebook))[0] == 0
    assert notebook.read_bytes() == before  # a second run changes no byte


def test_a_url_and_a_version_constraint_install_the_url(pixi_schema):
    """uv installs a URL for every requirement of the package (and checks the version)."""
    text = HEAD + (
        '\n[pypi-dependencies]\nlib = ">=1.5"\n'
        "\n[feature.new.pypi-dependencies]\n"
        'lib = { url = "https://example.org/lib-2.0-py3-none-any.whl" }\n'
        '\n[environments]\nnew = ["new"]\n'
    )
    pixi_schema(text)
    converted = read(text, environment="new")
    assert pip_of(conda_of(converted)) == ["lib @ https://example.org/lib-2.0-py3-none-any.whl"]
    [dropped] = converted.diagnostics
    assert dropped.code == "pixi-dependency-dropped"
    assert "'lib' of the workspace: the version constraint is not carried" in dropped.message
    assert dropped.line == text.splitlines().index('lib = ">=1.5"') + 1


def test_pyproject_dependencies_and_pixi_pypi_dependencies_are_both_applied():
    """pixi appends [project] dependencies to the default feature's PyPI dependencies;
    requirements under different markers stay apart (each holds where its marker does)."""
    text = (
        '[project]\nname = "lib"\nversion = "1"\n'
        'dependencies = ["requests>=2.28", "numpy>=1.26; python_version >= \'3.12\'",\n'
        "  \"numpy>=1.24; python_version < '3.12'\"]\n"
        '[project.optional-dependencies]\nhttp = ["requests[socks]<3"]\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '[tool.pixi.pypi-dependencies]\nrequests = "!=2.31.0"\n'
        '[tool.pixi.environments]\nhttp = ["http"]\n'
    )
    converted = read(text, name="pyproject.toml", environment="http")
    assert pip_of(conda_of(converted)) == [
        "requests[socks]>=2.28,!=2.31.0,<3",
        "numpy>=1.26; python_version >= '3.12'",
        "numpy>=1.24; python_version < '3.12'",
    ]
    assert codes(converted) == ["pixi-dependency-dropped"]  # the project itself
    # an environment without the default feature has none of [project] dependencies
    alone = text.replace(
        'http = ["http"]', 'http = { features = ["http"], no-default-feature = true }'
    )
    assert pip_of(conda_of(read(alone, name="pyproject.toml", environment="http"))) == [
        "requests[socks]<3"
    ]


def test_the_exported_manifest_keeps_the_joined_specs_and_validates(tmp_path, pixi_schema):
    import json

    from envspec.formats.io import export_path

    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(read(TWO, environment="dev").environment))
    exported = export_path(get_format("pixi"), str(path), Options())
    text = exported.files["pixi.toml"].decode()
    pixi_schema(text)
    manifest = tomllib.loads(text)
    assert manifest["dependencies"]["numpy"] == ">=1.20,<2,!=1.24.0"
    assert manifest["pypi-dependencies"]["requests"] == {
        "version": "!=2.31.0,<3,>=2.28",
        "extras": ["socks"],
    }
    again = read(text)  # and back: the same environment
    assert conda_specs(conda_of(again))["numpy"].version == ">=1.20,<2,!=1.24.0"
    assert Requirement(pip_of(conda_of(again))[0]).specifier == SpecifierSet(">=2.28,<3,!=2.31.0")
    assert Version("2.32.3") in SpecifierSet(">=2.28,<3,!=2.31.0")


def test_conflict_code_is_documented_with_its_example():
    from envspec._codes import CODES

    info = CODES["pixi-dependency-conflict"]
    assert info.severity == "error"
    assert (
        Path(__file__)
        .parent.parent.joinpath("docs", "formats", "pixi.md")
        .read_text()
        .count("pixi-dependency-conflict")
    )
