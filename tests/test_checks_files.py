"""The other embedded files: pylock.toml, TOML files, apt.txt, runtime.txt, Dockerfile, start,
Guix Scheme files, Pipfile.lock, and binary content in any of them."""

from __future__ import annotations

import json

import pytest

from envspec.validate import validate_bytes, validate_environment

SHA = "a" * 64


def _checked(name: str, text: str) -> list:
    # Binder precedence (a Manifest.toml alone is ignored by Binder) is tested elsewhere.
    env = {"env_ver": "1.0", "files": {name: text}}
    return [d for d in validate_environment(env) if d.code != "ignored-by-binder"]


def diagnostics(name: str, text: str) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.code, d.pointer, d.line, d.column) for d in _checked(name, text)]


def messages(name: str, text: str) -> list[str]:
    return [d.message for d in _checked(name, text)]


def codes(name: str, text: str) -> list[str]:
    return [c for c, _, _, _ in diagnostics(name, text)]


# ------------------------------------------------------------------------------ pylock.toml

GOOD_LOCK = f"""\
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.12"
environments = ["sys_platform == 'linux'"]

[[packages]]
name = "numpy"
version = "2.1.2"
[[packages.wheels]]
url = "https://files.pythonhosted.org/packages/numpy-2.1.2-cp312-cp312-manylinux_2_17_x86_64.whl"
hashes = {{sha256 = "{SHA}"}}

[[packages]]
name = "mypkg"
[packages.vcs]
type = "git"
url = "https://github.com/org/mypkg"
commit-id = "{"0" * 40}"

[[packages]]
name = "oldpkg"
version = "1.0"
[packages.sdist]
url = "https://files.example.org/oldpkg-1.0.tar.gz"
hashes = {{sha256 = "{SHA}"}}
"""


def test_a_complete_pylock_is_valid():
    assert diagnostics("pylock.toml", GOOD_LOCK) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'created-by = "x"\npackages = []\n',
            [("pylock-structure", "'lock-version' is required and must be a string")],
        ),
        (
            'lock-version = 1.0\ncreated-by = "x"\npackages = []\n',
            [("pylock-structure", "'lock-version' is required and must be a string")],
        ),
        (
            'lock-version = "2.0"\ncreated-by = "x"\npackages = []\n',
            [("pylock-version", "lock-version '2.0' is not a 1.x version")],
        ),
        (
            'lock-version = "1.0"\npackages = []\n',
            [("pylock-structure", "'created-by' is required and must be a string")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\n',
            [("pylock-structure", "'packages' is required and must be an array of tables")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\npackages = {}\n',
            [("pylock-structure", "'packages' is required and must be an array of tables")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\nrequires-python = ">>3"\npackages = []\n',
            [("pylock-structure", "requires-python '>>3' is not a version specifier")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\nrequires-python = 3\npackages = []\n',
            [("pylock-structure", "requires-python 3 is not a version specifier")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\npackages = [5, {version = "1"}]\n',
            [
                ("pylock-structure", "packages[0] is not a table"),
                ("pylock-structure", "packages[1] has no 'name'"),
            ],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\n'
            '[[packages]]\nname = "a"\ndirectory = {path = "./src"}\n',
            [("requirement-local", "packages[0] (a) is installed from a local directory")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\n'
            '[[packages]]\nname = "b"\nvcs = {type = "git", url = "u", commit-id = "c"}\n'
            'sdist = {url = "s", hashes = {sha256 = "h"}}\n',
            [("pylock-structure", "packages[0] (b) has more than one kind of source")],
        ),
        (
            'lock-version = "1.0"\ncreated-by = "x"\n'
            '[[packages]]\nname = "c"\narchive = {url = "https://x/c.zip"}\n'
            '[[packages]]\nname = "d"\nwheels = [{url = "https://x/d.whl"}]\n',
            [
                ("pylock-structure", "packages[0] (c).archive has no 'hashes' table"),
                ("pylock-structure", "packages[1] (d).wheels[0] has no 'hashes' table"),
            ],
        ),
    ],
)
def test_pylock_rules(text, expected):
    env = {"env_ver": "1.0", "files": {"pylock.toml": text}}
    found = [(d.code, d.message) for d in validate_environment(env)]
    assert found == expected
    assert {d.pointer for d in validate_environment(env)} == {"/files/pylock.toml"}


def test_a_newer_minor_lock_version_is_accepted():
    assert codes("pylock.toml", 'lock-version = "1.3"\ncreated-by = "x"\npackages = []\n') == []


# ------------------------------------------------------------------------------- TOML syntax


@pytest.mark.parametrize("name", ["pylock.toml", "Pipfile", "Project.toml", "Manifest.toml"])
@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("lock-version = \n", 1, 16, "Invalid value"),
        ("a = 1\nb = [\n  1,\n  2,,\n]\n", 4, 5, "Invalid value"),
        ("[packages\nnumpy = '*'\n", 1, 10, "Expected ']'"),
        ("a = 1\na = 2\n", 2, 6, "Cannot overwrite a value"),
        ('a = "\\ud800"\n', 1, 12, "Unicode scalar value"),
    ],
)
def test_invalid_toml_is_reported_at_the_parser_position(name, text, line, column, fragment):
    assert diagnostics(name, text) == [("invalid-toml", f"/files/{name}", line, column)]
    [message] = messages(name, text)
    assert fragment in message
    assert "(at line" not in message  # the position is in the location, not the message


@pytest.mark.parametrize("name", ["Pipfile", "Project.toml", "Manifest.toml"])
def test_valid_toml_files(name):
    text = (
        '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
        '[packages]\nnumpy = "*"\n\n[requires]\npython_version = "3.12"\n'
    )
    assert diagnostics(name, text) == []
    assert diagnostics(name, "") == []


def test_deeply_nested_toml_is_too_deep():
    text = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert diagnostics("Pipfile", text) == [("too-deep", "/files/Pipfile", None, None)]


# ---------------------------------------------------------------------------------- apt.txt


def test_apt_names_and_comments():
    text = (
        "# tools\ncurl\nlibgl1-mesa-glx  # GL\n\nlibc6:amd64\ng++\npython3.12-venv\r\nr-base-core\n"
    )
    assert diagnostics("apt.txt", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "libfoo=1.0\n",
        "curl=7.88.1-10+deb12u5\n",
        "libc6:amd64=2.36-9\n",
        "tzdata=2024a-0+deb12u1\n",
        "git=1:2.39.2-1.1\n",  # an epoch
        "curl/bookworm-backports\n",
        "curl\rgit\rlibgl1\r",  # CR-only line endings: repo2docker reads lines
    ],
)
def test_apt_versions_and_releases_apt_get_reads(text):
    # repo2docker passes each line to apt-get install, which reads name=version and
    # name/release.
    assert diagnostics("apt.txt", text) == []


@pytest.mark.parametrize(
    ("text", "line", "column", "value"),
    [
        ("curl==7.88\n", 1, 1, "curl==7.88"),
        ("curl=\n", 1, 1, "curl="),
        ("curl --no-install-recommends\n", 1, 1, "curl --no-install-recommends"),
        ("curl\rgit x\r", 2, 1, "git x"),
        ("curl\n  Curl\n", 2, 3, "Curl"),
        ("curl\n\tlibgl1 extra # c\n", 2, 2, "libgl1 extra"),
        ("x\n", 1, 1, "x"),  # Debian names have at least two characters
        ("-y\n", 1, 1, "-y"),
        ("bad_name\n", 1, 1, "bad_name"),
    ],
)
def test_apt_lines_that_are_not_package_names(text, line, column, value):
    assert diagnostics("apt.txt", text) == [("apt-invalid", "/files/apt.txt", line, column)]
    assert messages("apt.txt", text) == [f"{value!r} is not a Debian package name"]


# ------------------------------------------------------------------------------ runtime.txt


@pytest.mark.parametrize(
    "text",
    [
        "python-3.12\n",
        "python-3.12.4",
        "  python-3.12  \n",
        "r-2024-06-01\n",
        "r-4.4-2024-06-01\n",
        "julia-1.10\n",
    ],
)
def test_runtime_selectors_repo2docker_reads(text):
    assert diagnostics("runtime.txt", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "python 3.12\n",
        "python3.12\n",
        "python--3\n",
        "python-3.12-extra\n",
        "",
        "\n",
        "python-3.12\npython-3.11\n",
        "r-4.4-2024-6-1\n",
    ],
)
def test_runtime_selectors_repo2docker_rejects(text):
    assert diagnostics("runtime.txt", text) == [("runtime-invalid", "/files/runtime.txt", 1, 1)]
    assert messages("runtime.txt", text) == [f"{text.strip()!r} is not a runtime selector"]


# ------------------------------------------------------------------------------- Dockerfile


@pytest.mark.parametrize(
    "text",
    [
        "FROM python:3.12\nRUN pip install numpy\n",
        "# syntax=docker/dockerfile:1\n\nARG BASE=python:3.12\nFROM ${BASE}\n",
        "from python:3.12\n",
        "ARG A=1 \\\n    B=2\n  FROM scratch\n",
        "\n\n# comment\n\tFROM python\n",
    ],
)
def test_dockerfiles_starting_with_from(text):
    assert diagnostics("Dockerfile", text) == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("RUN pip install numpy\n", 1, "the first instruction is 'RUN', not 'FROM'"),
        ("# c\n\nARG X=1\nENV A=1\nFROM python\n", 4, "the first instruction is 'ENV', not 'FROM'"),
        (
            "RUN apt-get update \\\n  && apt-get install -y curl\nFROM x\n",
            1,
            "the first instruction is 'RUN', not 'FROM'",
        ),
        ("ARG A=\\\n  1\nCOPY . .\n", 3, "the first instruction is 'COPY', not 'FROM'"),
    ],
)
def test_dockerfiles_with_another_first_instruction(text, line, message):
    assert diagnostics("Dockerfile", text) == [("dockerfile-no-from", "/files/Dockerfile", line, 1)]
    assert messages("Dockerfile", text) == [message]


@pytest.mark.parametrize("text", ["", "# only comments\n", "ARG A=1\n", "\\\n"])
def test_dockerfiles_without_any_from(text):
    assert diagnostics("Dockerfile", text) == [
        ("dockerfile-no-from", "/files/Dockerfile", None, None)
    ]
    assert messages("Dockerfile", text) == ["the Dockerfile has no 'FROM' instruction"]


# ------------------------------------------------------------------------------------ start


@pytest.mark.parametrize(
    "text",
    [
        '#!/bin/bash\nexport A=1\nexec "$@"\n',
        '#!/bin/sh\nexec "${@}"\n',
        '#!/bin/bash\nif true; then\n  exec "$@"\nfi\n',
    ],
)
def test_start_scripts_that_hand_over(text):
    assert diagnostics("start", text) == []


@pytest.mark.parametrize(
    "text",
    [
        "#!/bin/bash\nexport A=1\n",
        "#!/bin/bash\nexec $@\n",
        '#!/bin/bash\n"$@"\n',
        '#!/bin/bash\n# exec "$@" is still to do\n',
        "",
    ],
    ids=["no-exec", "unquoted", "no-exec-word", "commented-out", "empty"],
)
def test_start_scripts_that_never_run_their_arguments(text):
    assert diagnostics("start", text) == [("start-no-exec", "/files/start", None, None)]
    assert messages("start", text) == ["the script never runs 'exec \"$@\"'"]


# ----------------------------------------------------------------- scripts with CRLF endings


@pytest.mark.parametrize("name", ["postBuild", "start"])
def test_a_shebang_with_a_windows_line_ending_is_an_error_at_line_1(name):
    # Binder fails: "/bin/bash^M: bad interpreter" / "cannot execute: required file not found".
    text = '#!/bin/bash\r\nset -e\r\npip install .\r\nexec "$@"\r\n'
    found = [d for d in diagnostics(name, text) if d[0].startswith("script-")]
    assert found == [("script-crlf-shebang", f"/files/{name}", 1, 12)]
    [message] = [m for m in messages(name, text) if "carriage return" in m]
    assert "'/bin/bash\\r'" in message


def test_a_shebang_crlf_fails_strict_validation(write_file, run_cli):
    env = {"env_ver": "1.0", "files": {"postBuild": "#!/usr/bin/env bash\r\necho hi\r\n"}}
    path = write_file("environment.envspec.json", json.dumps(env))
    result = run_cli("validate", "--strict", str(path))
    assert result.code == 1
    assert "script-crlf-shebang" in result.out


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("set -e\r\npip install .\r\n", 1),  # no #!: run by sh, every line ends in \r
        ("#!/bin/bash\nset -e\npip install .\r\n", 3),
    ],
)
def test_windows_line_endings_after_the_shebang_are_a_warning(text, line):
    found = [d for d in diagnostics("postBuild", text) if d[0].startswith("script-")]
    assert found == [("script-crlf", "/files/postBuild", line, len(text.split("\n")[line - 1]))]


def test_scripts_with_unix_line_endings_are_not_reported():
    assert diagnostics("postBuild", "#!/bin/bash\nset -e\npip install .\n") == []
    assert diagnostics("postBuild", "") == []


# ------------------------------------------------------------------------ Guix Scheme files


@pytest.mark.parametrize("name", ["manifest.scm", "channels.scm"])
@pytest.mark.parametrize(
    "text",
    [
        '(specifications->manifest\n  \'("python" "python-numpy"))\n',
        '(list (channel (name \'guix) (url "https://git.savannah.gnu.org/git/guix.git")\n'
        '              (commit "' + "0" * 40 + '")))\n',
        '; comment (\n#| block ( #| nested ) |# |#\n(a [b] "str \\" ( " #\\( #\\) #\\space)\n',
        "#;(unused (form)) (used)\n",
        "(a #;b)\n",
        "#~(begin #$output #$@(list 1) #+glibc)\n",
        "symbol\n",
    ],
    ids=[
        "manifest",
        "channels",
        "comments-strings-chars",
        "datum-comment",
        "inner-datum-comment",
        "gexp",
        "atom",
    ],
)
def test_readable_scheme(name, text):
    assert diagnostics(name, text) == []


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ('(specifications->manifest\n  \'("python")\n', 1, 1, "'(' is never closed"),
        ("(a\n  (b\n    c)\n", 1, 1, "'(' is never closed"),
        ("(a]\n", 1, 3, "']' does not match '('"),
        ("(a)\n  )\n", 2, 3, "')' closes nothing"),
        ('(a\n  "open)\n', 2, 3, "the string is never closed"),
        ('(a "esc\\")\n', 1, 4, "the string is never closed"),
        ("(a)\n#| never closed\n", 2, 1, "the block comment '#|' is never closed"),
        ("#| #| |# |\n(a)\n", 1, 1, "the block comment '#|' is never closed"),
        ("(a ; )\n", 1, 1, "'(' is never closed"),
        ("(a #;b)\n(c\n", 2, 1, "'(' is never closed"),
    ],
)
def test_unreadable_scheme_at_its_position(text, line, column, message):
    assert diagnostics("manifest.scm", text) == [
        ("scheme-syntax", "/files/manifest.scm", line, column)
    ]
    assert messages("manifest.scm", text) == [message]


@pytest.mark.parametrize(
    "text", ["", "; only a comment\n", "#| block |#\n", "#;(only commented)\n", "#;#;a b\n"]
)
def test_scheme_without_any_expression(text):
    assert diagnostics("channels.scm", text) == [
        ("scheme-syntax", "/files/channels.scm", None, None)
    ]
    assert messages("channels.scm", text) == ["the file contains no expression"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("(" * 100_000 + ")" * 100_000, None),
        ("(" * 100_000, (1, 100_000, "'(' is never closed")),
        ("#|" * 100_000, (1, 1, "the block comment '#|' is never closed")),
        ('"' + "\\" * 100_001, (1, 1, "the string is never closed")),
        ("a" * 1_000_000, None),
    ],
    ids=["deep-lists", "unclosed-lists", "comment-openers", "backslashes", "long-symbol"],
)
def test_scheme_reader_on_hostile_input(text, problem):
    # benchmarks/hostile.py times these; here: the verdict.
    if problem is None:
        assert diagnostics("manifest.scm", text) == []
        return
    line, column, message = problem
    assert diagnostics("manifest.scm", text) == [
        ("scheme-syntax", "/files/manifest.scm", line, column)
    ]
    assert messages("manifest.scm", text) == [message]


# ----------------------------------------------------------------------------- Pipfile.lock


def test_a_pipfile_lock_with_meta_and_default():
    text = '{"_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6}, "default": {}, "develop": {}}'
    assert diagnostics("Pipfile.lock", text) == []


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        (
            '{\n  "_meta": {},\n  "default": {},\n}\n',
            4,
            1,
            "not JSON: Expecting property name enclosed in double quotes",
        ),
        ('{"_meta": {}, \n "default": }', 2, 13, "not JSON: Expecting value"),
        ("", 1, 1, "not JSON: Expecting value"),
        ("[]", None, None, "a Pipfile.lock needs '_meta' and 'default' objects"),
        (
            '{"_meta": [], "default": {}}',
            None,
            None,
            "a Pipfile.lock needs '_meta' and 'default' objects",
        ),
        ('{"_meta": {}}', None, None, "a Pipfile.lock needs '_meta' and 'default' objects"),
    ],
)
def test_pipfile_locks_that_pipenv_cannot_read(text, line, column, message):
    assert diagnostics("Pipfile.lock", text) == [
        ("pipfile-lock-invalid", "/files/Pipfile.lock", line, column)
    ]
    assert messages("Pipfile.lock", text) == [message]


def test_deeply_nested_pipfile_lock_is_too_deep():
    text = "[" * 100_000 + "]" * 100_000
    assert diagnostics("Pipfile.lock", text) == [("too-deep", "/files/Pipfile.lock", None, None)]


# ----------------------------------------------------------------------------- binary content


@pytest.mark.parametrize(
    "name",
    [
        "requirements.txt", "environment.yml", "environment.yaml", "apt.txt", "runtime.txt",
        "postBuild", "start", "Dockerfile", "pylock.toml", "manifest.scm", "channels.scm",
        "Pipfile", "Pipfile.lock", "Project.toml", "Manifest.toml", "install.R", "default.nix",
    ],
)  # fmt: skip
def test_nul_in_any_embedded_file_is_binary_content_at_its_position(name):
    text = "first line\nsecond\x00line\nthird\x00\n"
    assert diagnostics(name, text) == [("binary-content", f"/files/{name}", 2, 7)]
    assert messages(name, text) == ["the text contains a NUL character"]


def test_binary_content_through_a_json_escape_in_a_notebook():
    data = (
        b'{"cells": [], "metadata": {"environment": {"env_ver": "1.0", '
        b'"files": {"apt.txt": "curl\\u0000\\n"}}}, "nbformat": 4, "nbformat_minor": 5}'
    )
    [diagnostic] = validate_bytes(data, "analysis.ipynb").diagnostics
    assert diagnostic.code == "binary-content"
    assert diagnostic.location() == "analysis.ipynb#/metadata/environment/files/apt.txt:1:5"


def test_files_envspec_does_not_interpret_are_still_scanned_for_secrets():
    env = {
        "env_ver": "1.0",
        "files": {
            "install.R": "install.packages('x')\n",
            "postBuild": "#!/bin/bash\npip install -e .\n  export HF_TOKEN=hf_" + "a" * 34 + "\n",
        },
    }
    found = [(d.code, d.pointer, d.line, d.column) for d in validate_environment(env)]
    assert ("secret", "/files/postBuild", 3, 10) in found
    assert [f for f in found if f[0] != "ignored-by-binder"] == [
        ("secret", "/files/postBuild", 3, 10)
    ]
