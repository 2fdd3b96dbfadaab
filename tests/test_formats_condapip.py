"""``conda`` and ``requirements`` formats and the conda <-> pip mapping between them."""

from __future__ import annotations

import io
import json
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import rattler
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from envspec._yaml import load_yaml
from envspec.cli.main import main
from envspec.formats import Options, get_format
from envspec.formats._condapip import (
    conda_name,
    conda_to_requirement,
    pypi_name,
    python_pin,
    requirement_to_conda,
    spec_parts,
)
from envspec.formats.io import export_path, import_path

EXAMPLES = Path(__file__).parent.parent / "examples" / "formats"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def envspec_file(tmp_path: Path, environment: dict) -> Path:
    path = tmp_path / "analysis.envspec.json"
    path.write_text(json.dumps(environment))
    return path


# ------------------------------------------------------------------------ the mapping


def test_the_name_table_is_well_formed_and_says_where_each_fact_comes_from():
    text = resources.files("envspec.formats.data").joinpath("pypi_conda_names.toml").read_text()
    data = tomllib.loads(text)
    for entry in data["name"]:
        assert set(entry) <= {"pypi", "conda", "evidence", "reverse", "same_versions"}
        assert "PyPI" in entry["evidence"]
        assert "feedstock" in entry["evidence"]
        assert entry["pypi"] != entry["conda"]
        assert conda_name(entry["pypi"]) == entry["conda"]
        assert str(rattler.MatchSpec(entry["conda"]).name.normalized) == entry["conda"]
        if entry.get("reverse", True):
            assert pypi_name(entry["conda"]) == entry["pypi"]
    assert "python" in data["conda_only"]["names"]


@pytest.mark.parametrize(
    ("pip", "conda"),
    [
        ("numpy", "numpy"),
        ("numpy==1.26.4", "numpy==1.26.4"),
        ("pandas>=2.2,<3", "pandas>=2.2,<3"),
        ("scipy~=1.13", "scipy~=1.13"),
        ("scipy==1.13.*", "scipy==1.13.*"),
        ("scipy!=1.13.1", "scipy!=1.13.1"),
        ("torch>=2.3", "pytorch>=2.3"),
        ("Tables==3.9.2", "pytables==3.9.2"),
        ("msgpack", "msgpack-python"),
        ("opencv-python", "opencv"),
        ("graphviz", "python-graphviz"),
    ],
)
def test_exact_requirements_become_matchspecs_that_mean_the_same(pip, conda):
    translated = requirement_to_conda(pip)
    assert translated == type(translated)(conda)
    match = rattler.MatchSpec(conda)  # conda's own parser reads it
    requirement = Requirement(pip)
    for version in ("1.13.0", "1.13.1", "1.26.4", "2.2.0", "2.3.0", "2.9", "3.0", "3.9.2"):
        assert requirement.specifier.contains(version) == _conda_allows(match, version), version
    back = conda_to_requirement(conda)
    assert back.inexact is None
    assert Requirement(back.spec or "").specifier == requirement.specifier


def _conda_allows(match: rattler.MatchSpec, version: str) -> bool:
    if match.version is None:
        return True
    return rattler.VersionSpec(str(match.version)).matches(rattler.Version(version))


@pytest.mark.parametrize(
    ("pip", "why"),
    [
        ("requests[socks]>=2", "extras"),
        ('tzdata; sys_platform == "win32"', "marker"),
        ("lib @ https://example.org/lib-1.0.tar.gz", "URL"),
        ("numpy>=2.0rc1", "no exact conda form"),
        ("numpy===1.0", "no exact conda form"),
        ("opencv-python==4.10.0.84", "number their versions differently"),
    ],
)
def test_inexact_requirements_say_why(pip, why):
    translated = requirement_to_conda(pip)
    assert translated.spec is None
    assert why in (translated.inexact or "")


@pytest.mark.parametrize(
    ("conda", "pip", "why"),
    [
        ("numpy=1.26", "numpy==1.26.*", None),
        ("numpy 1.26.4", "numpy==1.26.4", None),
        ("pytorch>=2.3,<3", "torch>=2.3,<3", None),
        ("conda-forge::numpy>=2", "numpy>=2", "channel"),
        ("numpy 1.26.* py312*", "numpy==1.26.*", "build"),
        ("numpy >=2|<1", None, "no exact pip form"),
        ("nodejs=20", None, "no PyPI counterpart"),
        ("r-ggplot2", None, "no PyPI counterpart"),
        ("libgdal", None, "no PyPI counterpart"),
        ("opencv=4.10", None, "number their versions differently"),
    ],
)
def test_conda_dependencies_become_requirements_where_exact(conda, pip, why):
    translated = conda_to_requirement(conda)
    assert translated.spec == pip
    assert (translated.inexact is None) == (why is None)
    if why:
        assert why in (translated.inexact or "")


def test_python_pin_of_odd_specifiers():
    assert python_pin("not a specifier") == (None, False)
    assert python_pin("<3") == (None, False)
    assert python_pin(">=3.13.1") == ("3.13", True)


# ----------------------------------------------------------------------- the formats


def test_conda_import_keeps_the_file_byte_for_byte_and_takes_the_python_pin():
    path = EXAMPLES / "conda" / "environment.yml"
    converted = import_path(get_format("conda"), str(path))
    assert converted.ok
    assert converted.diagnostics == ()
    assert converted.environment == {
        "env_ver": "1.0",
        "python": "3.12",
        "files": {"environment.yml": path.read_text()},
    }


def test_conda_round_trip_is_the_same_file(tmp_path):
    text = (EXAMPLES / "conda" / "environment.yml").read_text()
    source = envspec_file(
        tmp_path, {"env_ver": "1.0", "python": "3.12", "files": {"environment.yml": text}}
    )
    status, out, _ = run(
        "export", "--to", "conda", str(source), "-o", str(tmp_path / "environment.yml")
    )
    assert status == 0, out
    assert (tmp_path / "environment.yml").read_text() == text
    back = import_path(get_format("conda"), str(tmp_path / "environment.yml"))
    assert back.environment == {
        "env_ver": "1.0",
        "python": "3.12",
        "files": {"environment.yml": text},
    }


def test_conda_export_adds_the_python_pin_and_keeps_comments(tmp_path):
    text = "# the analysis\nchannels:\n  - conda-forge  # always\ndependencies:\n  - numpy\n"
    source = envspec_file(
        tmp_path, {"env_ver": "1.0", "python": "3.11", "files": {"environment.yml": text}}
    )
    converted = export_path(get_format("conda"), str(source))
    written = converted.files["environment.yml"].decode()
    assert "# the analysis" in written
    assert "# always" in written
    assert load_yaml(written)[0]["dependencies"] == ["python=3.11", "numpy"]
    back = get_format("conda").read(_source("environment.yml", written), Options())
    assert back.environment is not None
    assert back.environment["python"] == "3.11"


def _source(name: str, text: str):
    from envspec.formats import Source

    return Source(name, {name: text.encode()})


def test_requirements_to_conda_and_back_keeps_the_requirements(tmp_path):
    requirements = (EXAMPLES / "requirements" / "requirements.txt").read_text()
    environment = {"env_ver": "1.0", "python": "3.12", "files": {"requirements.txt": requirements}}
    status, out, _ = run(
        "export", "--to", "conda", str(envspec_file(tmp_path, environment)), "-o", f"{tmp_path}/c/"
    )
    assert status == 0, out
    conda_text = (tmp_path / "c" / "environment.yml").read_text()
    import yaml  # PyYAML, which conda reads environment files with

    data = yaml.safe_load(conda_text)
    for dep in data["dependencies"]:
        if isinstance(dep, str):
            rattler.MatchSpec(dep)  # conda's MatchSpec grammar, as rattler implements it
    assert data["channels"] == ["conda-forge"]
    assert data["dependencies"][:5] == [
        "python=3.12",
        "numpy>=1.26",
        "pandas>=2.2,<3",
        "pytorch>=2.3",
        "pytables~=3.9",
    ]
    assert data["dependencies"][5:] == [
        "pip",
        {"pip": ["opencv-python==4.10.0.84", "requests[socks]>=2.31"]},
    ]
    assert out.count("warning[pip-to-conda-inexact]") == 2
    # and back: conda -> envspec -> requirements gives the same requirements
    status, out, _ = run(
        "import",
        "--from",
        "conda",
        f"{tmp_path}/c/environment.yml",
        "-o",
        f"{tmp_path}/c.envspec.yaml",
    )
    assert status == 0, out
    status, out, _ = run(
        "export", "--to", "requirements", f"{tmp_path}/c.envspec.yaml", "-o", f"{tmp_path}/r/"
    )
    assert status == 0, out
    assert "warning[requirements-python-dropped]" in out
    back = (tmp_path / "r" / "requirements.txt").read_text().splitlines()
    assert [Requirement(r) for r in back] == [Requirement(r) for r in requirements.splitlines()]


def test_requirements_import_and_export_keep_the_file_byte_for_byte(tmp_path):
    text = "# pinned for the paper\nnumpy==1.26.4  # BLAS\n--index-url https://example.org/simple\n"
    (tmp_path / "requirements.txt").write_text(text)
    converted = import_path(get_format("requirements"), str(tmp_path))
    assert converted.environment == {"env_ver": "1.0", "files": {"requirements.txt": text}}
    source = envspec_file(tmp_path, converted.environment or {})
    assert export_path(get_format("requirements"), str(source)).files == {
        "requirements.txt": text.encode()
    }


def test_export_reports_files_it_does_not_carry(tmp_path):
    environment = {
        "env_ver": "1.0",
        "files": {"requirements.txt": "numpy\n", "postBuild": "#!/bin/sh\necho hi\n"},
    }
    converted = export_path(get_format("conda"), str(envspec_file(tmp_path, environment)))
    dropped = [d for d in converted.diagnostics if d.code == "format-file-dropped"]
    assert [d.pointer for d in dropped] == ["/files/postBuild"]


@pytest.mark.parametrize(
    ("name", "text", "code"),
    [
        ("environment.yml", "channels: [conda-forge\n", "invalid-yaml"),
        ("environment.yml", "- numpy\n", "format-source-invalid"),
        ("environment.yml", "a: &x 1\nb: *x\n", "yaml-alias"),
        ("environment.yml", b"\xff\xfe".decode("latin-1"), "format-source-invalid"),
    ],
)
def test_bad_conda_files_are_clear_errors_and_nothing_is_written(tmp_path, name, text, code):
    source = tmp_path / name
    source.write_bytes(text.encode("latin-1") if "\xff" in text else text.encode())
    notebook = tmp_path / "n.ipynb"
    status, out, _ = run("import", "--from", "conda", str(source), "-o", str(notebook))
    assert status == 1, out
    assert f"error[{code}]" in out
    assert "nothing was written" in out
    assert not notebook.exists()


def test_invalid_requirements_are_the_validators_errors_and_nothing_is_written(tmp_path):
    source = tmp_path / "requirements.txt"
    source.write_text("numpy>=>1\n")
    status, out, _ = run(
        "import", "--from", "requirements", str(source), "-o", str(tmp_path / "n.ipynb")
    )
    assert status == 1
    assert "error[requirement-invalid]" in out
    assert ":1" in out
    assert not (tmp_path / "n.ipynb").exists()


@pytest.mark.parametrize(
    "spec",
    ["numpy", "numpy=1.26", "numpy==1.26", "numpy >=1.2, <2", "numpy=1.26.*", "numpy!=1.2",
     "numpy<=2", "python=3.12", "numpy 1.8", "conda-forge::numpy 1.2.* py_0", "numpy >=2|<1",
     "conda-forge::numpy>=1.26", "bioconda::samtools=1.20"],
)  # fmt: skip
def test_matchspec_parts_read_without_rattler_agree_with_rattler(spec):
    parts = spec_parts(spec)
    assert not isinstance(parts, str)
    match = rattler.MatchSpec(spec)
    assert parts.name == match.name.normalized
    assert parts.channel == (None if match.channel is None else match.channel.name)
    assert parts.build == (str(match.build) if match.build else None)
    if match.version is None:
        assert parts.version is None
    else:  # the same versions match
        ours, theirs = rattler.VersionSpec(parts.version), rattler.VersionSpec(str(match.version))
        for version in ("1.2", "1.2.5", "1.8", "1.26", "1.26.4", "1.27", "2", "2.0.1", "3.12.1"):
            assert ours.matches(rattler.Version(version)) == theirs.matches(
                rattler.Version(version)
            ), version


@pytest.mark.parametrize(
    "values",
    [
        ["numpy>=1.26", "pip", {"pip": ["requests[socks]>=2; python_version < '3.12'"]}],
        ["yes", "no", "null", "1.0", "-x", "a: b", "with # hash", "ünï", "'q'", "x:"],
        ["*", "&a", "!tag", "%x", "@x", "`x`", "[x]", "{x}", "|", ">", "?"],
    ],
)
def test_conda_files_written_read_back_the_same_with_and_without_a_yaml_parser(values):
    from envspec._yaml import load_yaml, simple_load
    from envspec.formats._packages import conda_yaml

    text = conda_yaml("my env", ["conda-forge", "https://example.org/ch"], values)
    expected = {
        "name": "my env",
        "channels": ["conda-forge", "https://example.org/ch"],
        "dependencies": values,
    }
    assert load_yaml(text)[0] == expected
    from ruamel.yaml import YAML

    assert YAML(typ="safe", pure=True).load(text) == expected
    import yaml  # PyYAML (YAML 1.1), which conda reads environment files with

    assert yaml.safe_load(text) == expected
    fast = simple_load(text)
    assert fast is None or fast == expected


_RELEASE = st.lists(st.integers(0, 12), min_size=1, max_size=3).map(
    lambda parts: ".".join(map(str, parts))
)


@st.composite
def _clauses(draw: st.DrawFn) -> str:
    clauses = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="]))
        version = draw(_RELEASE)
        if op == "~=" and "." not in version:
            version += ".0"
        if op in {"==", "!="} and draw(st.booleans()):
            version += ".*"
        clauses.append(op + version)
    return ",".join(clauses)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(["numpy", "torch", "tables", "msgpack"]), clauses=_clauses())
def test_translated_specifiers_accept_the_same_versions_on_both_sides(name, clauses):
    requirement = Requirement(f"{name}{clauses}")
    conda = requirement_to_conda(str(requirement))
    assert conda.inexact is None
    assert conda.spec is not None
    match = rattler.MatchSpec(conda.spec)
    back = conda_to_requirement(conda.spec)
    assert back.inexact is None
    assert back.spec is not None
    assert Requirement(back.spec).name == name
    candidates = {f"{a}.{b}.{c}" for a in range(0, 13, 3) for b in range(0, 13, 4) for c in (0, 1)}
    candidates |= {v.removesuffix(".*") for v in clauses.replace("=", " ").split(",")}
    for version in sorted(c.strip(" <>!~") for c in candidates):
        pip_says = requirement.specifier.contains(version)
        assert _conda_allows(match, version) == pip_says, (clauses, conda.spec, version)
        assert Requirement(back.spec).specifier.contains(version) == pip_says


@pytest.mark.parametrize("python", ["python>=3.10", "python=3.12", "python 3.12.*", "python"])
def test_the_python_dependency_is_the_pin_not_a_requirement(tmp_path, python):
    text = f"channels: [conda-forge]\ndependencies:\n  - {python}\n  - numpy\n"
    environment = {"env_ver": "1.0", "files": {"environment.yml": text}}
    for target, name in (("requirements", "requirements.txt"), ("pyproject", "pyproject.toml")):
        converted = export_path(get_format(target), str(envspec_file(tmp_path, environment)))
        assert "numpy" in converted.files[name].decode()
        assert "conda-to-pip-inexact" not in {d.code for d in converted.diagnostics}


@pytest.mark.parametrize(
    "text",
    ["numpy", "numpy>=1.26", "Py_Lib.x[a,b]>=1,<2; python_version < '3.12'", "a-b==1.*",
     "numpy>=>1", "numpy[", "x @ https://example.org/x.whl", "-e .", "numpy; os_name = 'nt'"],
)  # fmt: skip
def test_requirement_checks_without_packaging_agree_with_packaging(text):
    from packaging.requirements import InvalidRequirement

    from envspec.formats._piplines import requirement_name, requirement_problem

    try:
        expected = Requirement(text).name
    except InvalidRequirement:
        expected = None
    assert (requirement_problem(text) is None) == (expected is not None)
    if expected is not None:
        assert requirement_name(text) == expected
