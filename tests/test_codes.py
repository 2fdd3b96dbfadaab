"""The diagnostic code registry: every code documented once, and every example reports its code.

Examples of ``envspec validate`` codes are written to a folder and validated
with :func:`envspec.validate.validate_paths`; examples of the other commands'
codes (``migrate``, ``pack``, ``unpack``, and ``plan``: ``envspec launch --dry-run``) run
that command, as the registry's
``example_options`` say.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from envspec import _codes
from envspec._codes import CODES
from envspec.cli.main import main
from envspec.diagnostics import Code, CodeInfo
from envspec.validate import validate_paths

_COMMANDS = {"migrate", "pack", "unpack", "plan", "lock", "payload", "export"}
_COMMANDS |= {"import", "format-export"}
_VALIDATE = [info for info in CODES.values() if not _COMMANDS & set(info.example_options)]
_COMMAND = [info for info in CODES.values() if _COMMANDS & set(info.example_options)]
# Examples of `envspec payload tags` / `payload menu` run in tests/test_payload_cli.py.
TAG_COMMANDS = {"payload-tags", "payload-menu"}
_VALIDATE = [info for info in _VALIDATE if not TAG_COMMANDS & set(info.example_options)]


def write_example(info: CodeInfo, folder: Path) -> Path:
    path = folder / info.example_file
    if "unreadable" in info.example_options:
        path.symlink_to(folder / "no-such-target")
    else:
        path.write_bytes(info.example.encode("utf-8", "surrogateescape"))
    return path


# -------------------------------------------------------------------------------- registry


def test_the_registry_is_exactly_the_code_literal():
    assert set(CODES) == set(typing.get_args(Code))
    assert len(typing.get_args(Code)) == len(set(typing.get_args(Code)))


def test_every_code_is_registered_once():
    entries = [info.code for info in _codes._ENTRIES]
    assert sorted(entries) == sorted(set(entries))
    assert all(CODES[info.code] is info for info in _codes._ENTRIES)


def test_codes_are_kebab_case():
    for code in CODES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code


@pytest.mark.parametrize("info", list(CODES.values()), ids=lambda i: i.code)
def test_every_code_is_documented(info):
    assert info.severity in {"error", "warning"}
    assert info.title.strip()
    assert not info.title.endswith(".")
    assert len(info.title) <= 90
    assert info.why.strip().endswith((".", ")"))
    assert info.fix.strip().endswith((".", ")"))
    assert info.example_file
    assert info.example or "unreadable" in info.example_options or info.code == "empty-file"


def test_example_options_are_known():
    known = {"require", "unreadable", "migrate", "pack", "unpack", "fsize-limit", "git-dirty"}
    known |= {"plan", "no-tools"}
    known |= {"lock", "check", "no-index"}
    known |= {"export"}
    known |= {"payload"}
    known |= {"import", "format-export", "from"}
    known |= TAG_COMMANDS | {"tags", "interface"}
    known |= {"guix-commit", "option"}  # import / export: --guix-commit, --option KEY=VALUE
    for info in CODES.values():
        for option in info.example_options:
            assert option.partition("=")[0] in known | {"to", "mkdir", "exists", "backend"}, (
                info.code,
                option,
            )


# ------------------------------------------------------------------- validate examples


@pytest.mark.parametrize("info", _VALIDATE, ids=lambda i: i.code)
def test_every_validate_example_reports_its_code(info, tmp_path):
    path = write_example(info, tmp_path)
    result = validate_paths([path], require="require" in info.example_options)
    codes = [d.code for d in result.diagnostics]
    # The example reports its code, and nothing else: it is a clean illustration.
    assert set(codes) == {info.code}, codes
    for diagnostic in result.diagnostics:
        assert diagnostic.severity == info.severity
        assert diagnostic.hint
        assert diagnostic.message
        assert not diagnostic.message.endswith(".")
        assert diagnostic.file == str(path)
    assert result.ok() is (info.severity == "warning")


@pytest.mark.parametrize("info", _VALIDATE, ids=lambda i: i.code)
def test_every_validate_example_through_the_cli_text_output(info, tmp_path):
    path = write_example(info, tmp_path)
    out, err = io.StringIO(), io.StringIO()
    args = [
        "validate",
        "--no-cache",
        *(["--require"] if "require" in info.example_options else []),
        str(path),
    ]
    status = main(args, stdout=out, stderr=err)
    assert f"{info.severity}[{info.code}]" in out.getvalue()
    assert status == (1 if info.severity == "error" else 0)


def test_examples_of_every_reading_problem_use_the_file_name_kind():
    # The example files are named so that their suffix says how they are read.
    for info in _VALIDATE:
        assert info.example_file.endswith(
            (".ipynb", ".envspec.yaml", ".envspec.yml", ".envspec.json")
        ) or (info.code == "unknown-file-type")


# --------------------------------------------------------------------- command examples


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.email=test@example.org", "-c", "user.name=Test",
         "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.parametrize("info", _COMMAND, ids=lambda i: i.code)
def test_every_command_example_reports_its_code(info, tmp_path, monkeypatch):
    path = write_example(info, tmp_path)
    command = next(o for o in info.example_options if o in _COMMANDS)
    args: list[str] = []
    output = tmp_path / "unpacked"
    for option in info.example_options:
        key, _, value = option.partition("=")
        if key == "to":
            args += ["--to", value]
        elif key == "from":
            args += ["--from", value]
        elif key == "backend":
            args += ["--backend", value]
        elif key in {"guix-commit", "option"}:
            args += [f"--{key}", value]
        elif key == "no-tools":
            # No guix, docker or podman: an empty PATH (the running Python is still found).
            (tmp_path / "empty-path").mkdir()
            monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
        elif key == "mkdir":
            (tmp_path / value).mkdir()
        elif key == "exists":
            output.mkdir(exist_ok=True)
            (output / value).write_text("already here\n")
        elif key in {"check", "no-index"}:
            args.append(f"--{key}")
        elif key == "git-dirty":
            if shutil.which("git") is None:
                pytest.skip("git is not installed")
            _git(tmp_path, "init", "-q")
            _git(tmp_path, "add", ".")
            _git(tmp_path, "commit", "-q", "-m", "initial")
            (tmp_path / "uncommitted.txt").write_text("change\n")
    if command in {"unpack", "format-export"}:
        args += ["-o", str(output)]
    argv = [command, *args, str(path)]
    if command == "plan":
        argv = ["launch", "--dry-run", *args, str(path)]
    if command == "export":
        argv = ["payload", "export", *args, str(path)]
    if command == "payload":
        argv = ["payload", "validate", *args, str(path)]
    if command == "format-export":
        output.mkdir(exist_ok=True)
        argv = ["export", *args, str(path)]
    if "fsize-limit" in info.example_options:
        original = path.read_bytes()
        # In a subprocess whose writes fail as on a full disk (Python ignores SIGXFSZ).
        code = (
            "import resource, sys\n"
            "from envspec.cli.main import main\n"
            f"limit = ({len(original) // 2}, resource.RLIM_INFINITY)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, limit)\n"
            f"sys.exit(main({argv!r}))\n"
        )
        if sys.platform == "win32":  # pragma: no cover
            pytest.skip("RLIMIT_FSIZE is POSIX")
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
        )
        status, text = done.returncode, done.stdout + done.stderr
        assert path.read_bytes() == original, "a failed write must leave the file untouched"
        assert not list(tmp_path.glob(".*tmp*")), "no temporary file may be left behind"
    else:
        out, err = io.StringIO(), io.StringIO()
        status = main(argv, stdout=out, stderr=err)
        text = out.getvalue() + err.getvalue()
    assert f"{info.severity}[{info.code}]" in text, text
    assert status == (1 if info.severity == "error" else 0), text
    assert "Traceback" not in text
