"""Ordinary mistakes and hostile file systems: every command answers with diagnostics, an
exit status and (with ``--format json``) JSON, never a traceback; one file that cannot be
handled never stops the others; names are printed so that they cannot act on a terminal."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

import unprivileged
from conftest import GOOD_ENVIRONMENT, notebook_text
from envspec.schema import load

DIAGNOSTICS_SCHEMA = load("diagnostics")
HUGE = "9" * 5000  # more digits than Python converts by default (4300)
LEGACY = {"env_ver": "0.1", "requirements.txt": "numpy\n"}


def diagnostics(out: str) -> list[dict[str, object]]:
    """The JSON output of a command, checked against its schema."""
    found = json.loads(out)
    jsonschema.validate(found, DIAGNOSTICS_SCHEMA)
    return found


def huge_int_notebook(path: Path) -> Path:
    text = notebook_text(GOOD_ENVIRONMENT)
    path.write_text(text.replace('"nbformat": 4', f'"big": {HUGE},\n "nbformat": 4'), "utf-8")
    return path


@pytest.fixture
def shared():
    with unprivileged.shared_folder() as folder:
        yield folder


# ----------------------------------------------------------------------------- pack


def test_pack_takes_a_folder_as_validate_and_migrate_do(tmp_path, run_cli, monkeypatch):
    (tmp_path / "nbs" / "sub").mkdir(parents=True)
    for name in ("nbs/a.ipynb", "nbs/sub/b.ipynb"):
        (tmp_path / name).write_text(notebook_text(), "utf-8")
    (tmp_path / "nbs" / "environment.envspec.yaml").write_text('env_ver: "1.0"\n', "utf-8")
    (tmp_path / "nbs" / "requirements.txt").write_text("numpy\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("pack", "--check", "nbs")
    assert (code, err) == (1, "")
    assert "would pack: nbs/a.ipynb" in out
    assert "would pack: nbs/sub/b.ipynb" in out
    assert out.endswith("2 notebooks: 2 to pack, 0 up to date, 0 failed\n")
    code, out, err = run_cli("pack", "nbs/")
    assert (code, err) == (0, "")
    assert "packed: nbs/a.ipynb" in out
    assert '"requirements.txt": "numpy\\n"' in (tmp_path / "nbs" / "a.ipynb").read_text("utf-8")
    assert (tmp_path / "nbs" / "environment.envspec.yaml").read_text("utf-8") == 'env_ver: "1.0"\n'


def test_pack_of_an_environment_file_says_what_pack_takes(tmp_path, run_cli, monkeypatch):
    (tmp_path / "requirements.txt").write_text("numpy\n", "utf-8")
    (tmp_path / "analysis.ipynb").write_text(notebook_text(), "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("pack", "requirements.txt", "analysis.ipynb")
    assert (code, err) == (1, "")
    assert out.startswith(
        "requirements.txt: error[unknown-file-type] 'requirements.txt' is not a notebook: "
        "pack takes notebooks (.ipynb) and reads the environment files"
    )
    assert "--from DIR" in out
    assert "packed: analysis.ipynb" in out  # the notebook named with it is still packed
    assert "invalid-json" not in out
    code, out, _ = run_cli("pack", "--format", "json", "--check", "requirements.txt")
    assert code == 1
    assert [d["code"] for d in diagnostics(out)] == ["unknown-file-type"]


def test_pack_of_a_symbolic_link_loop_is_a_diagnostic(tmp_path, run_cli):
    loop = tmp_path / "loop.ipynb"
    loop.symlink_to("loop.ipynb")
    code, out, err = run_cli("pack", "--format", "json", loop)
    assert (code, err) == (1, "")
    (found,) = diagnostics(out)
    assert (found["code"], found["file"]) == ("file-unreadable", str(loop))
    assert "symbolic links" in str(found["message"])


def test_pack_with_an_unreadable_environment_file_is_file_unreadable(shared):
    (shared / "a.ipynb").write_text(notebook_text(), "utf-8")
    (shared / "a.ipynb").chmod(0o666)
    (shared / "requirements.txt").write_text("numpy\n", "utf-8")
    (shared / "requirements.txt").chmod(0o000)
    before = (shared / "a.ipynb").read_bytes()
    done = unprivileged.run_in_process(["pack", "a.ipynb"], cwd=shared)
    assert (done.code, done.err) == (1, "")
    assert done.out.startswith(
        f"failed: a.ipynb\n    {shared}/requirements.txt: error[file-unreadable] "
        "cannot read the file: Permission denied\n"
    )
    assert (shared / "a.ipynb").read_bytes() == before


def test_pack_from_an_unreadable_folder_is_file_unreadable(shared):
    (shared / "a.ipynb").write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    (shared / "env").mkdir()
    (shared / "env" / "requirements.txt").write_text("scipy\n", "utf-8")
    (shared / "env").chmod(0o000)
    before = (shared / "a.ipynb").read_bytes()
    done = unprivileged.run_in_process(["pack", "--from", "env", "a.ipynb"], cwd=shared)
    assert (done.code, done.err) == (1, "")
    assert done.out.startswith(
        "env: error[file-unreadable] cannot read the folder: Permission denied\n"
    )
    assert (shared / "a.ipynb").read_bytes() == before


@pytest.mark.parametrize("command", ["migrate", "pack"])
def test_a_named_pipe_does_not_block_migrate_or_pack(tmp_path, run_console, command):
    os.mkfifo(tmp_path / "pipe.ipynb")
    (tmp_path / "good.ipynb").write_text(notebook_text(LEGACY), "utf-8")
    done = run_console(command, "--format", "json", ".", timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    found = diagnostics(done.stdout)
    assert {(d["file"], d["code"]) for d in found} >= {("./pipe.ipynb", "file-unreadable")}
    assert "not a regular file" in done.stdout


# ----------------------------------------------------------------------------- unpack


def test_unpack_into_a_path_that_is_a_file_is_file_exists(tmp_path, run_cli, monkeypatch):
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    (tmp_path / "requirements.txt").write_text("keep me\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("unpack", "analysis.ipynb", "-o", "requirements.txt")
    assert (code, err) == (1, "")
    assert out.startswith(
        "requirements.txt: error[file-exists] 'requirements.txt' exists and is not a folder\n"
        "    hint: Give `-o` a folder"
    )
    assert (tmp_path / "requirements.txt").read_text("utf-8") == "keep me\n"
    code, out, _ = run_cli("unpack", "--format", "json", "analysis.ipynb", "-o", "requirements.txt")
    assert code == 1
    assert [d["code"] for d in diagnostics(out)] == ["file-exists"]


def test_unpack_into_a_read_only_folder_is_write_failed(shared):
    notebook = shared / "analysis.ipynb"
    notebook.write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    shared.chmod(0o555)
    before = sorted(os.listdir(shared))
    # -o: a folder to create in a folder that cannot be written
    done = unprivileged.run_in_process(["unpack", "analysis.ipynb", "-o", "env/sub"], cwd=shared)
    assert done.code == 1
    assert done.out.startswith("env/sub: error[write-failed] cannot create the folder: Permission")
    # --force, in place: the files cannot be written beside the notebook
    done = unprivileged.run_in_process(
        ["unpack", "--format", "json", "--force", "analysis.ipynb"], cwd=shared
    )
    assert done.code == 1
    (found,) = diagnostics(done.out)
    assert (found["code"], found["file"]) == ("write-failed", "./requirements.txt")
    assert sorted(os.listdir(shared)) == before


def test_unpack_that_fails_on_the_second_file_leaves_nothing(shared):
    files = {"requirements.txt": "numpy\n", "runtime.txt": "python-3.12\n"}
    notebook = shared / "analysis.ipynb"
    notebook.write_text(notebook_text({"env_ver": "1.0", "files": files}), "utf-8")
    (shared / "env").mkdir(mode=0o777)
    (shared / "env").chmod(0o777)
    # A folder in the way of the second name's temporary file cannot be: use an existing
    # read-only file in its place with --force, in a folder that the user can write.
    (shared / "env" / "runtime.txt").write_text("old\n", "utf-8")
    (shared / "env").chmod(0o555)
    done = unprivileged.run_in_process(
        ["unpack", "--force", "analysis.ipynb", "-o", "env"], cwd=shared
    )
    assert done.code == 1
    assert "error[write-failed]" in done.out
    assert sorted(os.listdir(shared / "env")) == ["runtime.txt"]
    assert (shared / "env" / "runtime.txt").read_text("utf-8") == "old\n"


def test_unpack_of_an_unreadable_notebook_is_file_unreadable(shared):
    notebook = shared / "analysis.ipynb"
    notebook.write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    notebook.chmod(0o000)
    done = unprivileged.run_in_process(["unpack", "analysis.ipynb", "-o", "env"], cwd=shared)
    assert done.code == 1
    assert done.out.startswith(
        "analysis.ipynb: error[file-unreadable] cannot read the file: Permission denied"
    )
    assert not (shared / "env").exists()


# ----------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("command", ["validate", "migrate", "pack"])
def test_an_unreadable_sub_folder_is_reported_and_the_rest_is_handled(shared, command):
    (shared / "nbs" / "locked").mkdir(parents=True)
    (shared / "nbs").chmod(0o777)
    (shared / "nbs" / "a.ipynb").write_text(notebook_text(LEGACY), "utf-8")
    (shared / "nbs" / "a.ipynb").chmod(0o666)
    (shared / "nbs" / "locked" / "b.ipynb").write_text(notebook_text(LEGACY), "utf-8")
    (shared / "nbs" / "locked").chmod(0o000)
    done = unprivileged.run_in_process([command, "--format", "json", "nbs"], cwd=shared)
    assert (done.code, done.err) == (1, "")
    found = diagnostics(done.out)
    unreadable = [d for d in found if d["code"] == "file-unreadable"]
    assert [(d["file"], d["message"]) for d in unreadable] == [
        ("nbs/locked", "cannot read the folder: Permission denied")
    ]
    others = {d["file"] for d in found} - {"nbs/locked"}
    if command == "validate":  # the legacy notebook beside it was checked
        assert others == {"nbs/a.ipynb"}
    else:  # and migrated, or packed
        assert '"env_ver": "1.0"' in (shared / "nbs" / "a.ipynb").read_text("utf-8")
    text = unprivileged.run_in_process([command, "nbs"], cwd=shared)
    assert "nbs/locked: error[file-unreadable] cannot read the folder: Permission denied" in (
        text.out
    )


def test_a_named_file_in_an_unreadable_folder_is_permission_denied(shared):
    (shared / "locked").mkdir()
    (shared / "locked" / "a.ipynb").write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    (shared / "locked").chmod(0o000)
    (shared / "b.ipynb").write_text(notebook_text({"env_ver": "1.0", "python": 3}), "utf-8")
    done = unprivileged.run_in_process(["validate", "locked/a.ipynb", "b.ipynb"], cwd=shared)
    assert (done.code, done.err) == (1, "")
    assert (
        "locked/a.ipynb: error[file-unreadable] cannot read the file: Permission denied" in done.out
    )
    assert "b.ipynb#/metadata/environment/python: error[wrong-type]" in done.out  # still checked
    assert "does not exist" not in done.out + done.err


def test_the_real_command_as_an_unprivileged_user(shared):
    (shared / "locked").mkdir()
    (shared / "locked").chmod(0o000)
    (shared / "b.ipynb").write_text(notebook_text(GOOD_ENVIRONMENT), "utf-8")
    done = unprivileged.run_console(["validate", "--no-cache", "."], cwd=shared)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "./locked: error[file-unreadable] cannot read the folder: Permission denied" in (
        done.stdout
    )
    assert done.stdout.endswith("2 files checked: 1 error, 0 warnings; 1 file fails\n")


# ------------------------------------------------------------- one bad file, the others go on


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--format", "json", "nbs"],
        ["migrate", "--format", "json", "nbs"],
        ["pack", "--format", "json", "nbs"],
    ],
)
def test_a_huge_integer_in_one_notebook_does_not_stop_a_folder_run(
    tmp_path, run_cli, monkeypatch, argv
):
    (tmp_path / "nbs").mkdir()
    huge_int_notebook(tmp_path / "nbs" / "a.ipynb")
    (tmp_path / "nbs" / "b.ipynb").write_text(notebook_text(LEGACY), "utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*argv)
    assert (code, err) == (1, "")
    found = diagnostics(out)
    assert any(d["file"] == "nbs/a.ipynb" and d["severity"] == "error" for d in found)
    if argv[0] == "validate":
        assert any(d["file"] == "nbs/b.ipynb" for d in found)  # the other one was checked
    else:
        assert '"env_ver": "1.0"' in (tmp_path / "nbs" / "b.ipynb").read_text("utf-8")


def test_a_huge_integer_in_the_notebook_to_unpack(tmp_path, run_cli):
    notebook = huge_int_notebook(tmp_path / "a.ipynb")
    code, out, err = run_cli("unpack", "--format", "json", notebook, "-o", tmp_path / "env")
    assert (code, err) == (1, "")
    assert [d["file"] for d in diagnostics(out)] == [str(notebook)]
    assert not (tmp_path / "env").exists()


# ----------------------------------------------------------------------------- output


NAMES = {
    "new\nline.ipynb": "new\\nline.ipynb",
    "\x1b[31mred.ipynb": "\\x1b[31mred.ipynb",
    "bell\x07\x7f\x9b.ipynb": "bell\\x07\\x7f\\x9b.ipynb",
    "bidi\u202egnp.ipynb": "bidi\\u202egnp.ipynb",
}


@pytest.mark.parametrize(("name", "shown"), NAMES.items(), ids=range(len(NAMES)))
def test_names_that_would_act_on_a_terminal_are_escaped(tmp_path, run_cli, name, shown):
    path = tmp_path / name
    path.write_text(notebook_text(LEGACY), "utf-8")
    folder = str(tmp_path)
    code, out, _ = run_cli("validate", "--strict", path)
    assert code == 1
    assert f"{folder}/{shown}#/metadata/environment/env_ver: warning[env-version-legacy]" in out
    code, out, _ = run_cli("migrate", "--check", path)
    assert out.startswith(f"would migrate {folder}/{shown}: 0.1 -> 1.0\n")
    code, out, _ = run_cli("pack", "--check", path)
    assert out.startswith(f"would pack: {folder}/{shown}\n")
    code, out, _ = run_cli("unpack", path, "-o", tmp_path / f"out{name}")
    assert out == f"wrote {folder}/out{shown}/requirements.txt\n"
    for text in (out, run_cli("validate", tmp_path).out):
        assert not any((c < " " and c != "\n") or "\x7f" <= c <= "\x9f" for c in text)
    code, out, _ = run_cli("validate", "--format", "json", path)  # JSON keeps the exact name
    assert {d["file"] for d in diagnostics(out)} == {str(path)}


def test_keys_of_the_document_in_migrate_output_are_escaped(tmp_path, run_cli):
    env = {"env_ver": "1.0", "extensions": {"\x1b[31mx\n": 1}}
    path = tmp_path / "a.ipynb"
    path.write_text(notebook_text(env), "utf-8")
    code, out, _ = run_cli("migrate", "--to", "0.1", "--lossy", "--check", path)
    assert code == 1
    assert "    dropped: extensions/\\x1b[31mx\\n\n" in out
    assert "\x1b" not in out


@pytest.mark.parametrize(
    ("argv", "usage", "message"),
    [
        (
            ["pack", "--chek", "a.ipynb"],
            "usage: envspec pack ",
            "envspec pack: error: unrecognized arguments: --chek (did you mean --check?)",
        ),
        (
            ["validate", "--strct", "a.ipynb"],
            "usage: envspec validate ",
            "envspec validate: error: unrecognized arguments: --strct (did you mean --strict?)",
        ),
        (
            ["unpack", "a.ipynb", "b.ipynb"],
            "usage: envspec unpack ",
            "envspec unpack: error: unrecognized arguments: b.ipynb",
        ),
        (
            ["conformance", "lint", "--frobnicate"],
            "usage: envspec conformance lint ",
            "envspec conformance lint: error: unrecognized arguments: --frobnicate",
        ),
    ],
)
def test_a_misspelled_option_prints_the_commands_usage(run_cli, argv, usage, message):
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(usage)
    assert err.endswith(message + "\n")


def test_json_output_of_pack_unpack_and_migrate(tmp_path, run_cli):
    path = tmp_path / "a.ipynb"
    path.write_text(notebook_text(LEGACY), "utf-8")
    assert run_cli("migrate", "--format", "json", "--check", path)[:2] == (1, "[]\n")
    assert run_cli("migrate", "--format", "json", path)[:2] == (0, "[]\n")
    # The folder has none of the embedded files: pack keeps them and says so.
    code, out, _ = run_cli("pack", "--format", "json", path)
    assert code == 0
    assert {d["code"] for d in diagnostics(out)} == {"embedded-file-kept"}
    code, out, _ = run_cli("unpack", "--format", "json", path, "-o", tmp_path / "env")
    assert (code, out) == (0, "[]\n")
    code, out, _ = run_cli("unpack", "--format", "json", path, "-o", tmp_path / "env")
    assert code == 1
    assert [d["code"] for d in diagnostics(out)] == ["file-exists"]
    code, out, err = run_cli("migrate", "--format", "json", "--diff", path)
    assert (code, out) == (2, "")
    assert "--diff" in err


# ----------------------------------------------------------------------------- conformance


def test_conformance_reports_that_cannot_be_written_are_a_usage_error(shared):
    (shared / "ro").mkdir()
    (shared / "ro").chmod(0o555)
    (shared / "file").write_text("x\n", "utf-8")
    for argv, where in [
        (["conformance", "run", "--adapter", "no-such-adapter", "--out", "ro/r"], "'ro/r'"),
        (["conformance", "export", "--version", "1.0", "ro/e"], "'ro/e'"),
        (["conformance", "export", "--version", "1.0", "file"], "'file/"),
    ]:
        done = unprivileged.run_in_process(argv, cwd=shared)
        assert done.code == 2, done
        assert f"envspec conformance: cannot write {where}" in done.err
    assert os.listdir(shared / "ro") == []


@pytest.mark.parametrize("argv", [["lint", "{missing}"], ["list", "--cases", "{file}"]])
def test_conformance_cases_that_are_not_a_folder_are_a_usage_error(tmp_path, run_cli, argv):
    (tmp_path / "file").write_text("x\n", "utf-8")
    paths = {"missing": tmp_path / "missing", "file": tmp_path / "file"}
    code, out, err = run_cli("conformance", *(a.format(**paths) for a in argv))
    assert (code, out) == (2, "")
    assert "is not a folder of cases" in err
