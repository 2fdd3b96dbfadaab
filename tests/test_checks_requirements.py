"""Embedded requirements.txt: read the way pip reads it, reported at the line pip would stop at.

The last tests compare envspec's verdicts with pip-requirements-parser on the
real-world requirements files of its own test suite (downloaded at test time,
cached in the pytest cache).
"""

from __future__ import annotations

import json
import re

import pytest

from envspec.validate import validate_bytes, validate_environment

POINTER = "/files/requirements.txt"


def diagnostics(text: str) -> list[tuple[str, str, int | None, int | None]]:
    """(code, pointer, line, column) of every diagnostic for *text* as requirements.txt."""
    env = {"env_ver": "1.0", "files": {"requirements.txt": text}}
    return [(d.code, d.pointer, d.line, d.column) for d in validate_environment(env)]


def messages(text: str) -> list[str]:
    env = {"env_ver": "1.0", "files": {"requirements.txt": text}}
    return [d.message for d in validate_environment(env)]


# ----------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "# only a comment\n",
        "numpy\n",
        "numpy==2.1.2\npandas>=2.2,<3\n",
        "numpy[extra1,extra2]~=2.1\n",
        "Django>=4 ; python_version >= '3.10'\n",
        'pywin32 ; sys_platform == "win32" and platform_machine != "x86-64"\n',
        "numpy  # trailing comment\n",
        "numpy \\\n  ==2.1.2\n",
        "numpy==2.1.2 --hash=sha256:" + "a" * 64 + "\n",
        "numpy==2.1.2 \\\n    --hash=sha256:"
        + "a" * 64
        + " \\\n    --hash=sha512:"
        + "b" * 128
        + "\n",
        "numpy --config-settings=editable_mode=compat\n",
        "numpy==${NUMPY_VERSION}\n",
        "pkg @ https://files.example.org/pkg-1.0-py3-none-any.whl\n",
        "pkg @ git+https://github.com/org/pkg@" + "0" * 40 + "\n",
        "https://files.example.org/pkg-1.0.tar.gz\n",
        "git+https://github.com/org/pkg.git@v1.0#egg=pkg\n",
        "bzr+lp:MyProject#egg=MyProject\n",
        "--index-url https://pypi.org/simple\nnumpy\n",
        "-i https://pypi.org/simple\n--extra-index-url https://download.pytorch.org/whl/cpu\ntorch\n",
        "--index-url https://${PIP_USER}:${PIP_PASSWORD}@pypi.example.org/simple\nnumpy\n",
        "--find-links https://download.example.org/wheels/\nnumpy\n",
        "--pre\n--prefer-binary\n--only-binary=:all:\n--no-binary numpy\nnumpy\n",
        "--trusted-host pypi.example.org\n--require-hashes\n",
        "numpy --no-binary numpy\n",  # pip accepts (and ignores) global options here
        "numpy\r\nscipy\r\n",
        "pkg @ git+ssh://git@github.com/org/pkg.git@" + "0" * 40 + "\n",
        "numpy\rscipy==1.14\rpandas\r",  # pip reads CR-only line endings as lines
        "GIT+HTTPS://github.com/org/pkg.git#egg=pkg\n",  # pip lower-cases the scheme
        "https://files.example.org/pkg.zip#egg=pkg&subdirectory=src\n",
        "ftp://files.example.org/pkg-1.0.tar.gz\n",
    ],
)
def test_valid_files_have_no_diagnostics(text):
    assert diagnostics(text) == []


# ----------------------------------------------------------------------------- rejected


@pytest.mark.parametrize(
    ("text", "expected", "fragment"),
    [
        ("numpy=2.1\n", [("requirement-invalid", 1, 1)], "'numpy=2.1' is not a valid requirement"),
        # pip expands only ${NAME} in capitals, digits and _: a lower-case name stays as written.
        ("numpy==${numpy_version}\n", [("requirement-invalid", 1, 1)], "'numpy==${numpy_version}'"),
        ("numpy==\n", [("requirement-invalid", 1, 1)], "'numpy==' is not a valid requirement"),
        ("\n\n# c\nnum py\n", [("requirement-invalid", 4, 1)], "'num py'"),
        ("numpy\r\nscipy=1\r\n", [("requirement-invalid", 2, 1)], "'scipy=1'"),
        (
            "a \\\n  b==1\nc=1\n",
            [("requirement-invalid", 1, 1), ("requirement-invalid", 3, 1)],
            "'a   b==1'",
        ),
        (
            "git+git@host:user/repo.git#egg=name\n",
            [("requirement-invalid", 1, 1)],
            "is not a valid requirement",
        ),
        (
            "-r base.txt\n",
            [("requirement-include", 1, 1)],
            "includes 'base.txt', which is not embedded",
        ),
        ("--requirement=base.txt\n", [("requirement-include", 1, 1)], "includes 'base.txt'"),
        ("numpy\n-rbase.txt\n", [("requirement-include", 2, 1)], "includes 'base.txt'"),
        ("-c constraints.txt\n", [("requirement-include", 1, 1)], "'constraints.txt'"),
        ("--constraint constraints.txt\n", [("requirement-include", 1, 1)], "'constraints.txt'"),
        ("-e ../mypkg\n", [("requirement-editable", 1, 1)], "'-e ../mypkg' is an editable install"),
        ("-e.\n", [("requirement-editable", 1, 1)], "is an editable install"),
        (
            "--editable=git+https://github.com/o/p#egg=p\n",
            [("requirement-editable", 1, 1)],
            "editable",
        ),
        ("./libs/mypkg\n", [("requirement-local", 1, 1)], "'./libs/mypkg' is a local path"),
        ("/abs/pkg-1.0.tar.gz\n", [("requirement-local", 1, 1)], "is a local path"),
        ("~/pkg\n", [("requirement-local", 1, 1)], "is a local path"),
        ("C:\\wheels\\pkg.whl\n", [("requirement-local", 1, 1)], "is a local path"),
        ("pkg-1.0-py3-none-any.whl\n", [("requirement-local", 1, 1)], "is a local path"),
        ("file:///tmp/pkg.whl\n", [("requirement-local", 1, 1)], "is a local path"),
        ("git+file:///home/me/pkg#egg=pkg\n", [("requirement-local", 1, 1)], "is a local path"),
        ("pkg @ file:///tmp/pkg\n", [("requirement-local", 1, 1)], "points at a local file"),
        (
            "pkg @ git+file:///home/me/pkg\n",
            [("requirement-local", 1, 1)],
            "points at a local file",
        ),
        (
            "--find-links ./wheels\nnumpy\n",
            [("requirement-local", 1, 1)],
            "'./wheels' is a local path",
        ),
        ("-f file:///srv/wheels\n", [("requirement-local", 1, 1)], "'file:///srv/wheels'"),
        ("--no-such-option\n", [("requirement-invalid", 1, 1)], "no such option: --no-such-option"),
        ("numpy --hsh=sha256:ab\n", [("requirement-invalid", 1, 1)], "no such option: --hsh"),
        (
            'pkg==1.2 --hash=sha256:ab",\n',
            [("requirement-invalid", 1, 1)],
            "No closing quotation",
        ),
        ("--pre numpy\n", [("requirement-invalid", 1, 1)], "ignored trailing argument(s): numpy"),
        # pip splits option lines with shlex: an unclosed quote makes it refuse the file.
        ('--index-url "https://pypi.org/simple\n', [("requirement-invalid", 1, 1)], "No closing"),
        ('numpy\n-e "./pkg\n', [("requirement-invalid", 2, 1)], "pip cannot split this line"),
        (
            "numpy\rscipy=1\rpandas\r",
            [("requirement-invalid", 2, 1)],
            "'scipy=1' is not a valid requirement",
        ),
        (
            "git://git.example.org/MyProject.git@v1.0#egg=MyProject\n",
            [("requirement-invalid", 1, 1)],
            "pip does not install from git: URLs",
        ),
        (
            "novcs+http://example.com#egg=a\n",
            [("requirement-invalid", 1, 1)],
            "pip does not install from novcs+http: URLs",
        ),
        (
            "ssh://git@example.com/org/pkg.git#egg=pkg\n",
            [("requirement-invalid", 1, 1)],
            "pip does not install from ssh: URLs",
        ),
        (
            "git+https://github.com/psf/requests.git#egg=requests[security]\n",
            [("requirement-invalid", 1, 1)],
            "the egg fragment 'requests[security]' is not a project name",
        ),
        (
            "https://example.org/pkg-1.2.tar.gz#egg=pkg==1.2\n",
            [("requirement-invalid", 1, 1)],
            "the egg fragment 'pkg==1.2' is not a project name",
        ),
        (
            "pkg @ https://example.org/pkg.zip#egg=pkg[x]\n",
            [("requirement-invalid", 1, 1)],
            "the egg fragment 'pkg[x]'",
        ),
        ("-c\n", [("requirement-invalid", 1, 1)], "'-c' needs an argument"),
        ("numpy\n--requirement\n", [("requirement-invalid", 2, 1)], "needs an argument"),
        (
            "numpy \\\n  --hash=sha256:ab\n\n--bad \\\n  x\n",
            [("requirement-invalid", 4, 1)],
            "no such option: --bad",
        ),
    ],
)
def test_invalid_lines_are_reported_at_their_line(text, expected, fragment):
    assert [(code, line, col) for code, _, line, col in diagnostics(text)] == expected
    assert {pointer for _, pointer, _, _ in diagnostics(text)} == {POINTER}
    assert any(fragment in m for m in messages(text)), messages(text)


def test_findings_come_in_line_order():
    # Option errors (a second pass) and line errors (the first) are reported by line.
    text = "--bad-option\nnum py\n-r base.txt\nnumpy --hsh=1\nscipy=1\n"
    assert [line for _, _, line, _ in diagnostics(text)] == [1, 2, 3, 4, 5]


def test_the_egg_fragment_hint_gives_the_pep508_form():
    env = {"env_ver": "1.0", "files": {"requirements.txt": "git+https://h/r.git#egg=r[x]\n"}}
    [d] = validate_environment(env)
    assert d.hint == "Write the requirement as 'r[extras] @ <URL without #egg>' (PEP 508)."


def test_messages_are_single_line_and_name_no_temporary_file():
    for text in ["--bad\n", "num py --hash=sha256:ab\n", "-i x y z\n", "numpy --hsh=1\n"]:
        for message in messages(text):
            assert "\n" not in message
            assert "envspec-req-" not in message
            assert "pip_requirements_parser" not in message


def test_a_line_is_reported_once():
    # The requirement is invalid and so are its options: one diagnostic.
    assert diagnostics("num py --hash=sha256:ab\n") == [("requirement-invalid", POINTER, 1, 1)]


def test_every_problem_is_reported_not_only_the_first():
    text = "numpy\n-r base.txt\n-e .\n./local\nbad=1\n--nope\nscipy\n"
    assert [(code, line) for code, _, line, _ in diagnostics(text)] == [
        ("requirement-include", 2),
        ("requirement-editable", 3),
        ("requirement-local", 4),
        ("requirement-invalid", 5),
        ("requirement-invalid", 6),
    ]


# -------------------------------------------------------------------------- credentials


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("--index-url https://me:hunter2@pypi.example.org/simple\nnumpy\n", 1, 13),
        ("numpy\n-i https://me:hunter2@pypi.example.org/simple\n", 2, 4),
        ("--extra-index-url=https://__token__:abcdefgh@pypi.example.org/simple\n", 1, 19),
        ("pkg @ https://user:secret@files.example.org/pkg.whl\n", 1, 7),
        ("pkg @ git+https://ghtoken1234@github.com/org/pkg\n", 1, 7),
        ("  https://u:p@files.example.org/pkg.tar.gz\n", 1, 3),
    ],
)
def test_credentials_in_urls_are_reported_at_the_url(text, line, column):
    found = [d for d in diagnostics(text) if d[0] == "url-credentials"]
    assert found == [("url-credentials", POINTER, line, column)]
    # The secret itself never appears in the message.
    assert not any("hunter2" in m or "secret@" in m for m in messages(text))


@pytest.mark.parametrize(
    "text",
    [
        "--index-url https://${PIP_USER}:${PIP_PASSWORD}@pypi.example.org/simple\n",
        "--index-url https://$USER:$PASS@pypi.example.org/simple\n",
        "pkg @ git+ssh://git@github.com/org/pkg.git\n",
        "pkg @ git+https://git@github.com/org/pkg.git\n",
    ],
)
def test_credential_references_are_not_credentials(text):
    assert [d for d in diagnostics(text) if d[0] in {"url-credentials", "secret"}] == []


# ------------------------------------------------------------------------------- hostile


def test_nul_is_binary_content_at_its_position():
    assert diagnostics("numpy\nsci\x00py\n") == [("binary-content", POINTER, 2, 4)]


def test_lone_surrogates_from_json_escapes_are_reported_not_crashing():
    text = "-i https://pypi.org/simple\\nnum\\ud800py\\n--bad \\udc00\\n"  # JSON escapes
    document = '{"env_ver": "1.0", "files": {"requirements.txt": "' + text + '"}}'
    report = validate_bytes(document.encode(), "environment.envspec.json")
    found = [(d.code, d.pointer, d.line) for d in report.diagnostics]
    # The first lone surrogate is reported; the text is not Unicode, the rules stop there.
    assert found == [("lone-surrogate", POINTER, 2)]


def test_a_huge_file_is_read_with_the_right_line_numbers():
    lines = [
        f"package-{i}=={i % 50}.{i % 7}.0 ; python_version >= '3.8'  # pinned\n"
        for i in range(20000)
    ]
    hashed = [f"hashed-{i}==1.0 --hash=sha256:{'a' * 64}\n" for i in range(2000)]
    text = (
        "".join(lines)
        + "--index-url https://pypi.org/simple\n"
        + "".join(hashed)
        + "bad==\n-r x.txt\n"
    )
    assert diagnostics(text) == [
        ("requirement-invalid", POINTER, 22002, 1),
        ("requirement-include", POINTER, 22003, 1),
    ]


@pytest.mark.parametrize(
    ("text", "invalid"),
    [
        ("numpy" + " " * 50_000 + "x\n", True),  # pip's comment pattern is quadratic on spaces
        ("-i https://pypi.org/simple" + " " * 50_000 + "numpy\n", True),
        ("a" * 1_000_000 + "\n", False),
        ("numpy==" + "1" * 100_000 + "\n", False),
        ("numpy \\\n" * 20_000 + "\n", True),  # one logical line: "numpy numpy ..."
        ("TOKEN" * 20_000 + "\n", False),
    ],
    ids=["spaces", "option-spaces", "long-name", "long-version", "continuations", "token-run"],
)
def test_very_long_lines(text, invalid):
    # benchmarks/hostile.py times these; here: the verdict, at line 1.
    expected = [("requirement-invalid", POINTER, 1, 1)] if invalid else []
    assert diagnostics(text) == expected


def test_legacy_requirements_key_is_checked_at_its_own_pointer():
    env = {"env_ver": "0.1", "requirements.txt": "numpy\n-e .\nbad=1\n"}
    found = [(d.code, d.pointer, d.line) for d in validate_environment(env)]
    assert found == [
        ("env-version-legacy", "/env_ver", None),
        ("requirement-editable", "/requirements.txt", 2),
        ("requirement-invalid", "/requirements.txt", 3),
    ]


def test_notebook_pointer_includes_the_metadata_path():
    notebook = {
        "cells": [],
        "metadata": {
            "environment": {"env_ver": "1.0", "files": {"requirements.txt": "ok\nbad=1\n"}}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    report = validate_bytes(json.dumps(notebook).encode(), "analysis.ipynb")
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "requirement-invalid"
    assert (
        diagnostic.location() == "analysis.ipynb#/metadata/environment/files/requirements.txt:2:1"
    )


# --------------------------------------------------- agreement with pip-requirements-parser

#: Lines pip-requirements-parser reads as requirements that pip itself rejects (checked
#: with pip 26): envspec reports them, as pip would.
_PIP_REJECTS = {"git+git@host:user/repo.git#egg=myname"}
# Options pip-requirements-parser 32 still reads but pip removed (23.1, 25.3).
_REMOVED_FROM_PIP = re.compile(r"\s--(?:install|global|build)-option\b")


def _envspec_by_line(text: str) -> dict[int, list[str]]:
    by_line: dict[int, list[str]] = {}
    for code, _, line, _ in diagnostics(text):
        if line is not None:
            by_line.setdefault(line, []).append(code)
    return by_line


def _is_local(link) -> bool:
    # pip-requirements-parser's Link: file: URLs, VCS checkouts of local repositories,
    # and paths (no scheme at all).
    return (
        link.scheme == "file"
        or link.scheme.endswith("+file")
        or (not link.scheme and not link.url.startswith("git@"))
    )


def test_lines_pip_cannot_read_are_reported(real_world_files):
    from pip_requirements_parser import RequirementsFile

    missed = []
    for path in real_world_files:
        text = path.read_text("utf-8")
        parsed = RequirementsFile.from_file(str(path), include_nested=False)
        found = _envspec_by_line(text)
        for invalid in parsed.invalid_lines:
            message = invalid.error_message
            if message.startswith("Invalid global options"):
                continue  # pip accepts these lines and ignores the option
            if not found.get(invalid.requirement_line.line_number):
                missed.append((path.name, invalid.requirement_line.line, message))
    assert missed == []


def test_known_real_world_line_shapes():
    # From the pip documentation's examples: shapes envspec must get right.
    text = (
        "SomeProject\n"
        "SomeProject == 1.3\n"
        "SomeProject >= 1.2, < 2.0\n"
        "SomeProject[foo, bar]\n"
        "SomeProject ~= 1.4.2\n"
        "SomeProject == 5.4 ; python_version < '3.8'\n"
        "SomeProject ; sys_platform == 'win32'\n"
        'requests [security] >= 2.8.1, == 2.8.* ; python_version < "2.7"\n'
        "SomeProject@git+https://git.repo/some_pkg.git@1.3.1\n"
        "name [fred,bar] @ http://foo.com ; python_version=='2.7'\n"
        "hg+https://hg.myproject.org/MyProject#egg=MyProject\n"
        "svn+ssh://user@svn.example.com/MyProject#egg=MyProject\n"
    )
    assert diagnostics(text) == []


# ------------------------------------------------------------------- options pip removed


@pytest.mark.parametrize(
    ("line", "release"),
    [
        ('numpy==2.1.0 --install-option="--prefix=/opt"', "23.1"),
        ('numpy==2.1.0 --global-option="build_ext"', "25.3"),
        ("numpy==2.1.0 --build-option --cpu", "25.3"),
        ("--global-option=build_ext", "25.3"),
    ],
    ids=["install-option", "global-option", "build-option", "own-line"],
)
def test_options_pip_removed_are_invalid(line, release):
    # pip-requirements-parser 32 still accepts these; pip itself refuses the whole file.
    text = "pandas==2.2.3\n" + line + "\n"
    assert diagnostics(text) == [("requirement-invalid", POINTER, 2, 1)]
    [message] = messages(text)
    assert f"(removed in pip {release})" in message


@pytest.mark.parametrize(
    "line",
    [
        "numpy==2.1.0 --config-settings=editable_mode=compat",
        "my-option==1.0",
        "numpy==2.1.0  # --global-option was removed",
    ],
    ids=["config-settings", "name-with-option", "in-a-comment"],
)
def test_what_looks_like_a_removed_option_but_is_not(line):
    assert diagnostics(line + "\n") == []
