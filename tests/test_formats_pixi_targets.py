"""pixi's per-platform ``[target.SELECTOR]`` tables: ``--option platform=NAME`` merges the
targets of one platform over the dependencies, as pixi resolves them (a target's spec
replaces the base spec of the same package; of several matching targets the one defined
later in the manifest wins); without the option they are reported and left out."""

from __future__ import annotations

import io
import tomllib

import pytest
import rattler

from envspec._yaml import load_yaml
from envspec.cli.main import main
from envspec.formats import Options, Source, get_format
from envspec.formats._pixi_targets import known_platforms, selector_matches
from envspec.formats.io import export_path

HEAD = (
    '[workspace]\nname = "w"\nchannels = ["conda-forge"]\n'
    'platforms = ["linux-64", "linux-aarch64", "osx-arm64", "win-64"]\n'
)


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue() + err.getvalue()


def read(text: str, platform: str | None = None, name: str = "pixi.toml", **options: object):
    settings = {"platform": platform} if platform else {}
    source = Source(name, {name: text.encode()})
    return get_format("pixi").read(source, Options(settings=settings, **options))  # type: ignore[arg-type]


def conda_of(converted) -> dict:
    assert converted.ok, converted.diagnostics
    data, problem = load_yaml(converted.environment["files"]["environment.yml"])
    assert problem is None
    return data


def specs(data: dict) -> dict[str, str]:
    """name -> rattler's canonical MatchSpec of the conda dependencies."""
    out = {}
    for item in data["dependencies"]:
        if isinstance(item, str):
            spec = rattler.MatchSpec(item)
            out[spec.name.normalized] = str(spec)
    return out


def pip_of(data: dict) -> list[str]:
    return next((d["pip"] for d in data["dependencies"] if isinstance(d, dict)), [])


def codes(converted) -> list[str]:
    return sorted(d.code for d in converted.diagnostics)


# pixi's own example (docs, "Multi platform configuration", target specifier: dependencies):
# msmpi only on Windows, and python 3.8 there instead of the base ">=3.8".
PIXI_DOCS = HEAD + (
    '\n[dependencies]\npython = ">=3.8"\n\n'
    '[target.win-64.dependencies]\nmsmpi = "*"\npython = "3.8"\n'
)


def test_pixi_documented_example_win_64_overrides_python_and_adds_msmpi(pixi_schema):
    pixi_schema(PIXI_DOCS)
    win = read(PIXI_DOCS, "win-64")
    data = conda_of(win)
    assert specs(data) == {"python": str(rattler.MatchSpec("python ==3.8")), "msmpi": "msmpi"}
    assert win.environment["python"] == "3.8"
    assert win.environment["extensions"] == {"envspec.pixi": {"platforms": ["win-64"]}}
    assert codes(win) == []
    linux = read(PIXI_DOCS, "linux-64")
    assert specs(conda_of(linux)) == {"python": "python >=3.8"}  # "not touch the others"
    assert linux.environment["extensions"] == {"envspec.pixi": {"platforms": ["linux-64"]}}
    [dropped] = linux.diagnostics
    assert dropped.code == "pixi-target-dropped"
    assert "win-64 target of the workspace (dependencies)" in dropped.message
    assert "not for linux-64" in dropped.message
    assert dropped.line == PIXI_DOCS.splitlines().index("[target.win-64.dependencies]") + 1


def test_a_target_that_only_adds_keeps_the_base_and_its_order(pixi_schema):
    text = HEAD + (
        '[dependencies]\nnumpy = ">=1.26"\nscipy = "*"\n'
        '[pypi-dependencies]\npooch = ">=1.8"\n'
        '[target.linux-64.dependencies]\nlibgomp = "*"\n'
        '[target.linux-64.pypi-dependencies]\nnvidia-ml-py = ">=12"\n'
    )
    pixi_schema(text)
    data = conda_of(read(text, "linux-64"))
    assert [d for d in data["dependencies"] if isinstance(d, str)] == [
        "numpy>=1.26",
        "scipy",
        "libgomp",
        "pip",
    ]
    assert pip_of(data) == ["pooch>=1.8", "nvidia-ml-py>=12"]
    other = conda_of(read(text, "osx-arm64"))
    assert "libgomp" not in other["dependencies"]
    assert pip_of(other) == ["pooch>=1.8"]


def test_a_target_replaces_the_base_spec_of_the_same_package(pixi_schema):
    text = HEAD + (
        '[dependencies]\npython = "3.11.*"\nnumpy = ">=1.26"\n'
        '[pypi-dependencies]\ntyping_extensions = ">=4.0"\n'
        '[target.osx-arm64.dependencies]\npython = "3.12.*"\n'
        'numpy = { version = ">=2", channel = "conda-forge" }\n'
        '[target.osx-arm64.pypi-dependencies]\ntyping-extensions = ">=4.12"\n'
    )
    pixi_schema(text)
    converted = read(text, "osx-arm64")
    data = conda_of(converted)
    assert specs(data) == {
        "python": str(rattler.MatchSpec("python 3.12.*")),
        "numpy": str(rattler.MatchSpec("conda-forge::numpy>=2")),
        "pip": "pip",
    }
    assert converted.environment["python"] == "3.12"
    # One entry per PyPI package: pixi compares normalised names (PEP 503).
    assert pip_of(data) == ["typing-extensions>=4.12"]
    base = read(text, "linux-64")
    assert base.environment["python"] == "3.11"
    assert pip_of(conda_of(base)) == ["typing_extensions>=4.0"]


@pytest.mark.parametrize(
    ("first", "second", "linux_64", "linux_aarch64", "osx_arm64"),
    [
        # The one defined later wins: put [target.linux-64] after [target.linux] to refine it.
        ("linux", "linux-64", "2.*", "1.*", None),
        ("linux-64", "linux", "2.*", "2.*", None),
        ("unix", "osx-arm64", "1.*", "1.*", "2.*"),
    ],
)
def test_of_several_matching_targets_the_later_one_wins(
    pixi_schema, first, second, linux_64, linux_aarch64, osx_arm64
):
    text = HEAD + (
        '[dependencies]\nnumpy = "*"\n'
        f'[target.{first}.dependencies]\nlibx = "1.*"\n'
        f'[target.{second}.dependencies]\nlibx = "2.*"\n'
    )
    pixi_schema(text)
    for platform, expected in [
        ("linux-64", linux_64),
        ("linux-aarch64", linux_aarch64),
        ("osx-arm64", osx_arm64),
        ("win-64", None),
    ]:
        got = specs(conda_of(read(text, platform))).get("libx")
        assert got == (str(rattler.MatchSpec(f"libx {expected}")) if expected else None), platform


def test_family_selectors_are_rattlers_families():
    for platform in known_platforms():
        subdir = rattler.Subdir(platform) if hasattr(rattler, "Subdir") else None
        if subdir is None:  # pragma: no cover - older py-rattler
            continue
        assert selector_matches("linux", platform, platform) is subdir.is_linux
        assert selector_matches("osx", platform, platform) is subdir.is_osx
        assert selector_matches("win", platform, platform) is subdir.is_windows
        assert selector_matches("unix", platform, platform) is subdir.is_unix
    assert {"linux-64", "linux-aarch64", "osx-64", "osx-arm64", "win-64"} <= set(known_platforms())
    assert "noarch" not in known_platforms()
    assert selector_matches("*-64", "win-64", "win-64")
    assert not selector_matches("*-64", "osx-arm64", "osx-arm64")


def test_a_feature_targets_merge_too_and_other_tables_of_the_target_are_reported(pixi_schema):
    text = HEAD + (
        '[dependencies]\nnumpy = "*"\n'
        '[target.linux-64.activation.env]\nOMP_NUM_THREADS = "1"\n'
        '[target.linux-64.tasks]\nbench = "python bench.py"\n'
        '[feature.gpu.dependencies]\npytorch = ">=2"\n'
        '[feature.gpu.target.linux-64.dependencies]\ncuda-version = "12.*"\n'
        '[feature.gpu.target.win-64.dependencies]\ncuda-version = "11.*"\n'
        '[environments]\ngpu = ["gpu"]\n'
    )
    pixi_schema(text)
    converted = read(text, "linux-64", environment="gpu")
    data = conda_of(converted)
    assert set(specs(data)) == {"numpy", "pytorch", "cuda-version"}
    assert specs(data)["cuda-version"] == str(rattler.MatchSpec("cuda-version 12.*"))
    assert codes(converted) == ["pixi-target-dropped", "pixi-task-dropped"]
    # the matching target's activation variables are carried (tests/test_formats_pixi_env.py)
    assert converted.environment["env"] == {"OMP_NUM_THREADS": "1"}
    messages = " | ".join(d.message for d in converted.diagnostics)
    assert "tasks of the linux-64 target of the workspace are not carried: bench" in messages
    assert "win-64 target of feature 'gpu'" in messages


def test_tool_pixi_targets_of_a_pyproject():
    text = (
        '[project]\nname = "lib"\nversion = "1"\ndependencies = ["requests"]\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "win-64"]\n'
        '[tool.pixi.dependencies]\npython = "3.12.*"\n'
        '[tool.pixi.target.win-64.pypi-dependencies]\npywin32 = "*"\n'
    )
    converted = read(text, "win-64", name="pyproject.toml")
    assert pip_of(conda_of(converted)) == ["requests", "pywin32"]
    assert codes(converted) == ["pixi-dependency-dropped"]  # the project itself


def test_without_the_option_targets_are_reported_with_how_to_select_one():
    converted = read(PIXI_DOCS)
    assert specs(conda_of(converted)) == {"python": "python >=3.8"}
    assert converted.environment["extensions"]["envspec.pixi"]["platforms"] == [
        "linux-64",
        "linux-aarch64",
        "osx-arm64",
        "win-64",
    ]
    [dropped] = converted.diagnostics
    assert dropped.code == "pixi-target-dropped"
    assert "--option platform=PLATFORM" in dropped.message
    assert "--option platform=PLATFORM" in (dropped.hint or "")


def test_only_a_target_has_dependencies_it_imports_for_its_platform(tmp_path):
    source = tmp_path / "pixi.toml"
    source.write_text(HEAD + '[target.linux-64.dependencies]\nlibgomp = "*"\n')
    notebook = tmp_path / "analysis.ipynb"
    status, out = run("import", "--from", "pixi", str(source), "-o", str(notebook))
    assert status == 1
    assert "error[pixi-nothing-mappable]" in out
    assert not notebook.exists()
    args = ["import", "--from", "pixi", str(source), "--option", "platform=linux-64"]
    status, out = run(*args, "-o", str(notebook))
    assert status == 0, out
    assert "libgomp" in notebook.read_text()
    before = notebook.read_bytes()
    status, out = run(*args, "-o", str(notebook))
    assert status == 0, out
    assert notebook.read_bytes() == before  # a second run changes no byte


@pytest.mark.parametrize(
    ("platform", "words"),
    [
        ("linux64", ["not a platform pixi knows", "did you mean linux-64?", "osx-arm64, "]),
        ("Linux-64", ["not a platform pixi knows", "win-64"]),
        ("", ["not a platform pixi knows"]),
        ("osx-64", ["'default' is not for osx-64", "its platforms: linux-64, linux-aarch64"]),
    ],
)
def test_a_bad_platform_is_a_clear_error_and_nothing_is_written(tmp_path, platform, words):
    source = tmp_path / "pixi.toml"
    source.write_text(PIXI_DOCS)
    notebook = tmp_path / "analysis.ipynb"
    status, out = run(
        "import", "--from", "pixi", str(source), "--option", f"platform={platform}",
        "-o", str(notebook),
    )  # fmt: skip
    assert status == 1, out
    assert "error[pixi-unknown-platform]" in out
    assert f"--option platform={platform}:" in out
    for word in words:
        assert word in out
    assert "nothing was written" in out
    assert "Traceback" not in out
    assert not notebook.exists()


def test_a_feature_restricted_to_other_platforms_is_not_imported_for_this_one():
    text = HEAD + (
        '[dependencies]\nnumpy = "*"\n[feature.mac]\nplatforms = ["osx-arm64"]\n'
        '[feature.mac.dependencies]\nmlx = "*"\n[environments]\nmac = ["mac"]\n'
    )
    converted = read(text, "linux-64", environment="mac")
    assert not converted.ok
    [error] = [d for d in converted.diagnostics if d.severity == "error"]
    assert error.code == "pixi-unknown-platform"
    assert "its platforms: osx-arm64" in error.message


def test_an_invalid_target_is_an_error_when_a_platform_is_chosen():
    text = HEAD + '[dependencies]\nnumpy = "*"\n[target]\nlinux-64 = "libgomp"\n'
    assert codes(read(text)) == ["pixi-target-dropped"]  # unchanged without the option
    converted = read(text, "linux-64")
    assert not converted.ok
    assert (
        "the linux-64 target of the workspace must be a table" in converted.diagnostics[0].message
    )


def test_export_of_a_platform_import_is_for_that_platform(tmp_path, pixi_schema):
    import json

    converted = read(PIXI_DOCS, "win-64")
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(converted.environment))
    exported = export_path(get_format("pixi"), str(path), Options())
    text = exported.files["pixi.toml"].decode()
    pixi_schema(text)
    manifest = tomllib.loads(text)
    assert manifest["workspace"]["platforms"] == ["win-64"]
    assert manifest["dependencies"] == {"python": "==3.8", "msmpi": "*"}


def test_a_platform_table_is_chosen_by_its_name_and_wildcards_match_names(pixi_schema):
    """pixi's "wildcard platform selectors" example: platform tables with names; a
    ``*`` selector is matched against the platform's name, so it selects cuda-linux-64
    and not the plain linux-64 (both for the conda platform linux-64)."""
    text = (
        '[workspace]\nname = "w"\nchannels = ["conda-forge"]\nplatforms = [\n'
        '  { name = "cuda-win-64", platform = "win-64", cuda = "12" },\n'
        '  { name = "cuda-linux-64", platform = "linux-64", cuda = "12" },\n'
        '  "win-64",\n  "linux-64",\n]\n'
        '[dependencies]\npytorch = "*"\n'
        '[target."cuda-*".dependencies]\ncuda-version = "12.*"\n'
        '[target.linux-64.dependencies]\nlibgomp = "*"\n'
    )
    pixi_schema(text)
    cuda = read(text, "cuda-linux-64")
    assert set(specs(conda_of(cuda))) == {"pytorch", "cuda-version", "libgomp"}
    # The export is for the conda platform (pixi knows no table of that name there).
    assert cuda.environment["extensions"] == {"envspec.pixi": {"platforms": ["linux-64"]}}
    plain = read(text, "linux-64")
    assert set(specs(conda_of(plain))) == {"pytorch", "libgomp"}
    unknown = read(text, "cuda-osx-arm64")
    assert not unknown.ok
    assert "platform tables: cuda-win-64, cuda-linux-64" in unknown.diagnostics[0].message
    outside = read(text, "osx-arm64")
    assert "its platforms: cuda-win-64 / win-64, cuda-linux-64 / linux-64, win-64, linux-64" in (
        outside.diagnostics[-1].message
    )
