"""The parser-free fast paths accept only what the real parsers accept.

`envspec validate` skips importing ``packaging`` and ``rattler`` for the common
shapes of requirements and conda specs.  These properties generate strings from
the fast paths' own grammars and check each one with the real parser.
"""

from __future__ import annotations

import pytest
import rattler
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from envspec.checks.conda import SIMPLE_SPEC
from envspec.checks.requirements import SIMPLE_REQUIREMENT

# Thousands of drawn examples per fast path, each against its reference parser.
pytestmark = pytest.mark.slow


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


# ------------------------------------------------------------------ YAML without a parser

from envspec._yaml import _KEY, _WORD, load_yaml, simple_load  # noqa: E402

#: Scalars YAML reads as something other than a plain string, or that start something else.
_TRICKY = [
    *("true", "True", "TRUE", "false", "FALSE", "null", "Null", "NULL", "~", "yes", "No", "on"),
    *("Off", "y", "N", "1", "1.0", "0x1f", "0o17", "1_000", "2024-01-01", ".inf", ".NaN", "-1"),
    *("1:20", "a:b", "a::b", "a: b", "a:", "a #b", "a#b", "*a", "&a", "!a", "!!str a", "%a"),
    *("@a", "`a", "|", ">", "'a'", '"a"', "[a]", "{a: 1}", "-a", "- a", "? a", "a ", " a", "<<"),
    *("=", "a=1.*", "numpy>=1,<2", "x[y]==1", "c::n=1=*_0", "pip", "dependencies", "é", "a\\b"),
]
_plain_words = st.from_regex(_WORD, fullmatch=True).filter(lambda w: len(w) < 30)
_wild_words = st.one_of(
    _plain_words,
    st.sampled_from(_TRICKY),
    st.text(st.sampled_from(list(" -:#'\"[]{}&*!|>%@`,?~=.019aTyn_/\\")), max_size=5),
)
_plain_keys = st.one_of(
    st.sampled_from(["name", "channels", "dependencies", "prefix", "variables", "pip"]),
    st.from_regex(_KEY, fullmatch=True).filter(lambda k: len(k) < 20),
)
_wild_keys = st.one_of(_plain_keys, st.sampled_from(_TRICKY))
_NOISE = ["", "  ", "# a comment", "  # indented", "#"]
_WILD_NOISE = [*_NOISE, "---", "...", "%YAML 1.1", "\t- x", "- x", "  x", "a: b: c"]


@st.composite
def _conda_like(draw: st.DrawFn) -> str:
    """Texts in the shape the fast path reads (keys with a word or with a block sequence of
    words and of ``- key:`` items with a nested sequence, at varied indents, with comments),
    each part now and then replaced by something near it (a tricky scalar, an odd indent,
    another line, a changed character): most texts differ from the shape in one place."""

    def rare() -> bool:
        return draw(st.integers(0, 11)) == 0

    def word() -> str:
        return draw(_wild_words if rare() else _plain_words)

    def key() -> str:
        return draw(_wild_keys if rare() else _plain_keys)

    lines: list[str] = []
    for _ in range(draw(st.integers(0 if rare() else 1, 4))):
        if draw(st.booleans()):
            lines.append(f"{key()}:{' ' * draw(st.integers(0 if rare() else 1, 2))}{word()}")
            continue
        lines.append(f"{key()}:")
        indent = draw(st.integers(0, 4))
        for _ in range(draw(st.integers(0 if rare() else 1, 4))):
            gap = " " * draw(st.integers(1, 3))
            at = " " * max(indent + (draw(st.sampled_from([-1, 1])) if rare() else 0), 0)
            if draw(st.integers(0, 3)) == 0:
                lines.append(f"{at}-{gap}{key()}:")
                column = len(at) + 1 + len(gap)
                nested = column + draw(st.integers(-2, -1) if rare() else st.integers(0, 3))
                for _ in range(draw(st.integers(0 if rare() else 1, 3))):
                    shift = draw(st.sampled_from([-1, 1])) if rare() else 0
                    item_gap = " " * draw(st.integers(1, 2))
                    lines.append(f"{' ' * max(nested + shift, 0)}-{item_gap}{word()}")
            else:
                lines.append(f"{at}-{gap}{word()}")
    for _ in range(draw(st.integers(0, 2))):
        noise = draw(st.sampled_from(_WILD_NOISE if rare() else _NOISE))
        lines.insert(draw(st.integers(0, len(lines))), noise)
    text = "\n".join(lines) + ("\n" if not rare() else draw(st.sampled_from(["", "\n\n", "\r\n"])))
    if text and rare():  # one character changed
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(list(" \t:#-'\"[]{}&*!|>%@`\r\n"))) + text[at + 1 :]
    return text


def _ruamel_load(text: str) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=False).load(text)


@settings(max_examples=1500, deadline=None)
@given(_conda_like())
def test_the_simple_yaml_reader_reads_like_ruamel(text: str) -> None:
    fast = simple_load(text)
    if fast is not None:
        assert fast == _ruamel_load(text), text  # str never equals a bool, a number or None


def test_the_simple_yaml_reader_takes_the_common_conda_files() -> None:
    common = (
        "name: analysis\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n"
        "  - python=3.12\n  - numpy>=1.26,<2\n  - conda-forge::scipy=1.13=*_0\n  - python=3.10.*\n"
        "  # the rest from PyPI\n\n  - pip\n  - pip:\n      - requests==2.32.3\n"
        "      - dask[dataframe]==2024.9.1\n"
    )
    expected = {
        "name": "analysis",
        "channels": ["conda-forge", "nodefaults"],
        "dependencies": [
            "python=3.12",
            "numpy>=1.26,<2",
            "conda-forge::scipy=1.13=*_0",
            "python=3.10.*",
            "pip",
            {"pip": ["requests==2.32.3", "dask[dataframe]==2024.9.1"]},
        ],
    }
    assert simple_load(common) == expected == _ruamel_load(common)
    assert simple_load("dependencies:\n- numpy\n- pip:\n  - rich\n") == {
        "dependencies": ["numpy", {"pip": ["rich"]}]
    }
    assert load_yaml(common) == (expected, None)
    # Other shapes are left to ruamel.yaml, which reads them differently or refuses them.
    for text in [
        "dependencies:\n  - a\n    - b\n",  # a scalar continued on the next line: "a - b"
        "dependencies:\n  - pip:\n  - x\n",  # pip: null, then "x"
        "dependencies:\n  - pip:\n   - x\n",  # an error
        "name: true\n",
        "name: x  # comment\n",
        "dependencies: [numpy]\n",
        "dependencies:\r\n  - numpy\r\n",
        "name:\n",
        "",
    ]:
        assert simple_load(text) is None, text


# ------------------------------------------------------------- secrets: one test per environment

from envspec.checks.secrets import may_find, scan_text  # noqa: E402
from test_checks_fields import TOKENS  # noqa: E402

_fragments = st.sampled_from(
    [
        *(token for token, _ in TOKENS.values()),
        *("AKIA", "ASIA", "akia", "PRIVATE KEY", "aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"),
        *("ghp_", "github_pat_", "glpat-", "xoxb-", "AIza", "sk_live_", "pypi-AgEIcHlwaS5vcmc"),
        *("npm_", "hf_", "sk-", "sk-proj-", "AccountKey=", "eyJ", "TOKEN", "Secret", "PassWord"),
        *("passwd", "api_key", "ApiKey", "ACCESS_KEY", "://", "@", "https://u:p@h", "git@x"),
        *("\u017fecret", "\u212aey", "\u0130", "\u03a3", "=", " ", "\n", ".", "a" * 10, "A1" * 20),
    ]
)
_texts = st.lists(st.one_of(_fragments, st.text(max_size=12)), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=4))
def test_texts_that_fail_the_quick_test_hold_no_secret(texts: list[str]) -> None:
    findings = [f for text in texts for f in scan_text(text, (), positions=True)]
    if not may_find("\x00".join(texts)):
        assert findings == []
    for text in texts:
        if list(scan_text(text, (), positions=False)):
            assert may_find(text)


# -------------------------------------------------------- requirement lines checked once


def test_a_repeated_requirement_line_is_reported_at_each_of_its_lines() -> None:
    from envspec.checks.requirements import check_requirements

    first = [(f.code, f.line) for f in check_requirements("numpy\n./local\n", ("files", "r"))]
    again = [(f.code, f.line) for f in check_requirements("./local\n", ("files", "r"))]
    paths = {f.path for f in check_requirements("./local\n", ("x",))}
    assert first == [("requirement-local", 2)]
    assert again == [("requirement-local", 1)]
    assert paths == {("x",)}


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(list("ab=1 \t\r\n#\x0c\x85\u00a0\u3000-;")), max_size=60))
def test_lines_without_a_backslash_are_read_like_joined_lines(text: str) -> None:
    from envspec.checks.requirements import _joined_lines, logical_lines

    assert logical_lines(text) == _joined_lines(text)
    assert logical_lines(text + "\\\nx") == _joined_lines(text + "\\\nx")


def test_the_white_space_pattern_is_str_isspace() -> None:
    from envspec.checks.fields import _SPACE

    every = map(chr, range(0x110000))
    assert [c for c in every if bool(_SPACE.match(c)) != c.isspace()] == []
    assert _SPACE.match("\u3000")


_utf8_pieces = st.sampled_from(
    [
        *(b"a", b"\n", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xc3", b"\xe2\x82"),
        *(
            b"\xf0",
            b"\x80",
            b"\xff",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xf4\x90\x80\x80",
            b"\xef\xbb\xbf",
        ),
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(_utf8_pieces, _utf8_pieces, _utf8_pieces, st.binary(max_size=3)), max_size=30
    ).map(b"".join),
    st.sampled_from([4, 5, 7, 8, 1 << 18]),
)
def test_the_chunked_utf8_check_finds_the_first_bad_byte(data: bytes, step: int) -> None:
    from envspec.notebook import _first_non_utf8

    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    assert _first_non_utf8(data, step) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.sets(st.text("abc-_.", min_size=1, max_size=4), min_size=1, max_size=6),
    st.text("abc-_. x", max_size=20),
)
def test_the_factored_alternation_finds_what_the_plain_one_finds(words, text) -> None:
    import re

    from envspec.checks.secrets import _alternation

    assert bool(re.search(_alternation(words), text)) == any(w in text for w in words)


def test_the_literal_test_of_the_secret_scan_is_every_literal() -> None:
    from envspec.checks.secrets import _ANY_TRIGGER, _LITERALS

    for literal in _LITERALS:
        assert _ANY_TRIGGER.search(f"x {literal} x")
        cut = literal[:-1]
        assert bool(_ANY_TRIGGER.search(cut)) == any(other in cut for other in _LITERALS)


_REQUIREMENT_LINES = st.sampled_from(
    [
        "numpy",
        "numpy==2.1.2",
        "  scipy >= 1.14, <2  # pinned",
        "pandas[excel,perf]~=2.2 ; python_version >= '3.10'",
        "foo.tar",
        "foo.zip==1.0",
        "pkg.whl  # a comment",
        "numpy ; platform_machine == 'x -y'",
        "bad=1",
        "-r base.txt",
        "--pre",
        "--pre numpy",
        "-e .",
        "./local",
        "numpy==2.1 --hash=sha256:" + "a" * 64,
        "numpy --hsh=1",
        "git://host/r.git#egg=r",
        "https://h/p.zip#egg=p[x]",
        "numpy#not-a-comment",
        "# comment",
        "",
        "   ",
        "\t",
        "x --global-option=y",
    ]
)


@settings(max_examples=800, deadline=None)
@given(
    st.lists(_REQUIREMENT_LINES, max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.sampled_from(["", "\n", "\r\n", "\r"]),
)
def test_skipping_quiet_requirement_lines_changes_no_finding(lines, newline, end) -> None:
    # The one-pass scan leaves out lines no rule reports: the findings are those of
    # checking every logical line.
    from envspec.checks import requirements

    text = newline.join(lines) + end
    fast = list(requirements.check_requirements(text, ("files", "r")))
    every = sorted(
        requirements._findings_of(requirements.logical_lines(text), ("files", "r")),
        key=lambda f: f.line or 0,
    )
    assert fast == every


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["curl", "  git  # vcs", "libc6:amd64=2.36", "curl git", "Bad", "x", "", " \t",
             "# c", "curl=", "pkg/bookworm", "-y", "a\x0cb", "é"]
        ),
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n", "\r"]),
)  # fmt: skip
def test_the_one_pass_apt_check_reports_what_the_line_by_line_check_does(lines, newline):
    from envspec.checks import textfiles
    from envspec.checks._text import numbered_lines

    text = newline.join(lines)
    fast = list(textfiles.check_apt(text, ("files", "apt.txt")))
    plain = text.replace("\r\n", "\n").replace("\r", "\n")
    every = [
        f
        for number, line in numbered_lines(plain)
        for f in textfiles._apt_line(number, line, ("files", "apt.txt"))
    ]
    assert fast == every
