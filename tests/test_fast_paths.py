"""The parser-free fast paths accept only what the real parsers accept.

`envspec validate` skips importing ``packaging`` and ``rattler`` for the common
shapes of requirements and conda specs.  These properties generate strings from
the fast paths' own grammars and check each one with the real parser.
"""

from __future__ import annotations

import rattler
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from envspec.checks.conda import SIMPLE_SPEC
from envspec.checks.requirements import SIMPLE_REQUIREMENT


@settings(max_examples=400, deadline=None)
@given(st.from_regex(SIMPLE_REQUIREMENT, fullmatch=True))
def test_every_simple_requirement_is_valid_pep_508(line: str) -> None:
    Requirement(line)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(SIMPLE_SPEC, fullmatch=True))
def test_every_simple_conda_spec_is_a_valid_matchspec(spec: str) -> None:
    rattler.MatchSpec(spec)


def test_the_fast_paths_cover_the_common_shapes() -> None:
    for line in [
        "numpy",
        "numpy==2.1.0",
        "pandas>=2,<3",
        "requests[socks]~=2.31",
        "x==1.*",
        "numpy; python_version<'3.9'",
        'tomli>=1 ; python_version < "3.11" and sys_platform != "win32"',
    ]:
        assert SIMPLE_REQUIREMENT.fullmatch(line), line
    for spec in ["numpy", "python=3.11", "numpy>=1.26,<2", "scipy==1.11.4", "python=3.10.*"]:
        assert SIMPLE_SPEC.fullmatch(spec), spec
    # What needs the real parsers is left to them.
    for line in [
        "x; (os_name == 'nt')",
        "pkg @ https://example.com/p.whl",
        "a===1",
        "x; extra == 'a'",
    ]:
        assert not SIMPLE_REQUIREMENT.fullmatch(line), line
    for spec in ["conda-forge::numpy", "numpy=1.2=py_0", "numpy[version='>1']"]:
        assert not SIMPLE_SPEC.fullmatch(spec), spec


_numbers = st.lists(st.integers(0, 40), min_size=1, max_size=4).map(lambda p: ".".join(map(str, p)))
_clauses = st.one_of(
    st.builds(
        lambda op, v: f"{op}{v}", st.sampled_from(["==", "!=", ">=", "<=", ">", "<", ""]), _numbers
    ),
    st.builds(lambda v: f"{v}.*", _numbers),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_clauses, min_size=1, max_size=3).map(",".join), _numbers)
def test_the_numeric_conda_matcher_agrees_with_rattler(spec: str, version: str) -> None:
    from envspec.checks.consistency import simple_conda_match

    quick = simple_conda_match(spec, version)
    if quick is not None:
        assert quick == rattler.VersionSpec(spec).matches(rattler.Version(version)), (spec, version)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["python", "python=", "python==", "python>=", "python<"]), _numbers)
def test_the_python_pin_of_a_conda_file_reads_like_rattler(prefix: str, version: str) -> None:
    from envspec.checks.conda import conda_python_spec

    dep = prefix if prefix == "python" else prefix + version
    text = f"dependencies:\n  - {dep}\n"
    expected = rattler.MatchSpec(dep).version
    assert conda_python_spec(text) == (str(expected) if expected else None)


def test_common_pip_options_need_no_option_parser(tmp_path) -> None:
    """Well-formed common options are checked without importing pip-requirements-parser;
    anything else still goes to it, and its errors are reported."""
    import json
    import subprocess
    import sys

    def run(requirements: str) -> tuple[list[str], bool]:
        env = {"env_ver": "1.0", "files": {"requirements.txt": requirements}}
        nb = {"cells": [], "metadata": {"environment": env}, "nbformat": 4, "nbformat_minor": 5}
        path = tmp_path / "nb.ipynb"
        path.write_text(json.dumps(nb))
        code = (
            "import sys, json\n"
            "from envspec.validate import validate_paths\n"
            f"r = validate_paths([{str(path)!r}])\n"
            "print(json.dumps([[d.code for d in r.diagnostics], "
            "'pip_requirements_parser' in sys.modules]))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        codes, imported = json.loads(out.stdout)
        return codes, imported

    common = "--extra-index-url https://download.pytorch.org/whl/cpu\n--pre\n-i https://pypi.org/simple\ntorch\n"
    assert run(common) == ([], False)
    codes, imported = run("--extra-index-url\nnumpy\n")  # the option lacks its URL
    assert imported
    assert codes == ["requirement-invalid"]


# -------------------------------------------------------- requirement lines checked once


def test_a_repeated_requirement_line_is_reported_at_each_of_its_lines() -> None:
    from envspec.checks.requirements import check_requirements

    first = [(f.code, f.line) for f in check_requirements("numpy\n./local\n", ("files", "r"))]
    again = [(f.code, f.line) for f in check_requirements("./local\n", ("files", "r"))]
    paths = {f.path for f in check_requirements("./local\n", ("x",))}
    assert first == [("requirement-local", 2)]
    assert again == [("requirement-local", 1)]
    assert paths == {("x",)}
