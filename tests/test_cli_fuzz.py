"""The whole command line against generated notebooks, file names and file-system states.

Each example builds a small world (notebooks, valid or broken; environment files; odd
names; unreadable files and folders, read-only folders, named pipes, symbolic links
dangling or looping, an unpack target already holding files or links) and runs one
command on it as a user without privileges.  Whatever the world, the command must:

* never raise (no traceback) and exit with 0, 1 or 2;
* with ``--format json``, print a JSON array of diagnostics that follows the schema;
* print no character that acts on a terminal (text output escapes them);
* change no byte and no mode outside its target: nothing at all for validate and the
  ``--check`` modes, only the notebooks (or envspec files) for migrate and pack, only the
  environment files of the target folder for unpack, and leave no temporary file.

A few examples run the real console script, where a traceback would reach stderr.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import unprivileged
from envspec.schema import load
from envspec.vocabulary import FILES

# What the forked child would otherwise import once per example.
import envspec.checks  # isort: skip
import envspec.cli.main  # isort: skip
import envspec.migrations.files  # isort: skip
import envspec.pack  # isort: skip
import envspec.unpack  # noqa: F401  # isort: skip

DIAGNOSTICS_SCHEMA = load("diagnostics")
#: What acts on a terminal: C0 and C1 controls, DEL, line and paragraph separators,
#: bidirectional controls, and lone surrogates (which no terminal encoding can print).
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
UNEXPECTED = "please report it with the file as a bug"
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ----------------------------------------------------------------------------- the world

STEMS = [
    "analysis",
    "my notebook",
    "new\nline",
    "\x1b[31mred",
    "caf\udce9",  # the bytes of a name that is not UTF-8
    "-dash",
    "tab\there",
    "bidi\u202egnp",
    "del\x7f\x9b",
]
EMBEDDED_NAMES = [
    *sorted(FILES),
    "../evil.txt",
    "a/b",
    "",
    ".",
    "requirements.txt\x1b",
    "setup.py",
]
TEXT = st.text(
    st.sampled_from([*"abz09 =<>.,;:#-[]{}\"'\\\n\r\t", "\x1b", "\x00", "é", "\udce9", "\u202e"]),
    max_size=30,
)
LINES = st.sampled_from(
    ["numpy==2.1.2\n", "pandas>=2\n", "-e .\n", "numpy=1\n", "FROM python:3.12\n", ""]
)
CONTENT = st.one_of(TEXT, LINES, st.lists(LINES, max_size=3).map("".join))
KINDS = [
    *["valid"] * 6,  # mostly notebooks that work, so that writing is exercised too
    "legacy",
    "legacy-env-key",
    "no-env",
    "env-not-object",
    "broken-json",
    "empty",
    "bom",
    "not-utf8",
    "huge-int",
    "deep",
    "newer-minor",
    "mixed",
]


@dataclass
class Notebook:
    name: str
    kind: str
    files: dict[str, str]
    python: Any
    kernelspec: Any
    mode: int


@dataclass
class World:
    notebooks: list[Notebook]
    requirements: str | None  # requirements.txt beside the notebooks
    requirements_mode: int
    extras: frozenset[str]
    folder_mode: int
    out: str
    envspec_file: bytes = b""
    command: list[str] = field(default_factory=list)


@st.composite
def notebooks(draw: st.DrawFn) -> Notebook:
    return Notebook(
        name=draw(st.sampled_from(STEMS)) + ".ipynb",
        kind=draw(st.sampled_from(KINDS)),
        files=draw(
            st.one_of(
                st.dictionaries(st.sampled_from(sorted(FILES)), LINES, max_size=3),
                st.dictionaries(st.sampled_from(EMBEDDED_NAMES), CONTENT, max_size=3),
            )
        ),
        python=draw(st.sampled_from([None, "3.12", 3, "3.99", [1]])),
        kernelspec=draw(
            st.sampled_from(
                [None, {"name": "python3", "display_name": "P", "language": "python"}, {"name": 1}]
            )
        ),
        mode=draw(st.sampled_from([0o644, 0o644, 0o644, 0o444, 0o000])),
    )


def notebook_bytes(nb: Notebook) -> bytes:
    metadata: dict[str, Any] = {}
    if nb.kernelspec is not None:
        metadata["kernelspec"] = nb.kernelspec
    env: dict[str, Any] = {"env_ver": "1.0", "files": nb.files}
    if nb.python is not None:
        env["python"] = nb.python
    if nb.kind == "legacy":
        metadata["environment"] = {"env_ver": "0.1", **dict(list(nb.files.items())[:1])}
    elif nb.kind == "legacy-env-key":
        metadata["env"] = {"container": "python:3.12", "requirements.txt": "numpy\n"}
    elif nb.kind == "env-not-object":
        metadata["environment"] = ["not", "an", "object"]
    elif nb.kind == "newer-minor":
        metadata["environment"] = {**env, "env_ver": "1.7", "future": True}
    elif nb.kind == "mixed":
        metadata["environment"] = env
        metadata["env"] = {"container": "python:3.11"}
    elif nb.kind != "no-env":
        metadata["environment"] = env
    document = {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(document, indent=1)
    if nb.kind == "broken-json":
        return text[: len(text) // 2].encode()
    if nb.kind == "empty":
        return b""
    if nb.kind == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if nb.kind == "not-utf8":
        return text.replace('"cells"', '"c\xe9lls"').encode("latin-1", "replace")
    if nb.kind == "huge-int":
        return text.replace('"nbformat": 4', '"big": ' + "9" * 4400 + ', "nbformat": 4').encode()
    if nb.kind == "deep":
        return text.replace('"cells": []', '"cells": ' + "[" * 3000 + "]" * 3000).encode()
    return text.encode()


EXTRAS = [
    "fifo",
    "dangling",
    "loop",
    "dir-named-ipynb",
    "locked-folder",
    "link-out",
    "binder",
    "envspec-file",
]
ENVSPEC_FILES = [
    b'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy\\n"\n',
    b'env_ver: "0.1"\nrequirements.txt: |\n  numpy\ncontainer: python:3.12\n',
    b'env_ver: "1.0"\nfiles: [unclosed\n',
    b'env_ver: "1.0"\nenv: &a {A: "1"}\nextensions: {x: *a}\n',
    b'env_ver: "1.0"\nextensions: {x: ' + b"9" * 4400 + b"}\n",
    b'env_ver: "1.0"\npython: "caf\xe9"\n',
    b"- just\n- a list\n",
    b'# only a comment\nenv_ver: "1.0"  # kept\nfiles: {}\n',
]
OUTS = ["", "out", "out-existing", "out-read-only", "out-file", "out-planted-link", "out/new/deep"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    nbs = draw(st.lists(notebooks(), min_size=1, max_size=3, unique_by=lambda n: n.name))
    return World(
        notebooks=nbs,
        requirements=draw(st.one_of(st.none(), CONTENT)),
        requirements_mode=draw(st.sampled_from([0o644, 0o644, 0o000])),
        extras=frozenset(draw(st.lists(st.sampled_from(EXTRAS), max_size=3))),
        folder_mode=draw(st.sampled_from([0o777, 0o777, 0o777, 0o555])),
        out=draw(st.sampled_from(OUTS)),
        envspec_file=draw(st.sampled_from(ENVSPEC_FILES)),
    )


def targets(world: World) -> list[str]:
    names = [f"nb/{nb.name}" for nb in world.notebooks]
    specials = {
        "fifo": "nb/pipe.ipynb",
        "dangling": "nb/dangling.ipynb",
        "loop": "nb/loop.ipynb",
        "dir-named-ipynb": "nb/dir.ipynb",
        "locked-folder": "nb/locked/x.ipynb",
        "link-out": "nb/linked.ipynb",
        "envspec-file": "nb/env.envspec.yaml",
    }
    return [*names, *(path for extra, path in specials.items() if extra in world.extras)]


@st.composite
def commands(draw: st.DrawFn, world: World) -> list[str]:
    command = draw(st.sampled_from(["validate", "migrate", "pack", "unpack"]))
    fmt = draw(st.sampled_from([[], ["--format", "json"]]))
    candidates = [*targets(world), "nb", "nb/requirements.txt", "missing.ipynb"]
    if command == "unpack":
        target = draw(st.sampled_from(targets(world)))
        out = world.out.replace("out-existing", "out").replace("out-read-only", "out")
        out = out.replace("out-file", "out").replace("out-planted-link", "out")
        options = ["-o", out] if out else []
        options += draw(st.sampled_from([[], ["--force"]]))
        return [command, *fmt, *options, "--", target]
    paths = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=3))
    options = draw(
        st.sampled_from(
            {
                "validate": [[], ["--require"], ["--strict", "--no-cache"]],
                "migrate": [[], ["--check"], ["--to", "0.1"], ["--to", "0.1", "--lossy"]],
                "pack": [[], ["--check"], ["--from", "nb"], ["--image", "python:3.12"]],
            }[command]
        )
    )
    return [command, *fmt, *options, "--", *paths]


def build(root: Path, world: World) -> None:
    """The world on disk, below *root* (the commands run in *root*)."""
    root.mkdir()
    nb = root / "nb"
    nb.mkdir()
    for notebook in world.notebooks:
        path = os.fsencode(nb / notebook.name)
        with open(path, "wb") as handle:
            handle.write(notebook_bytes(notebook))
        os.chmod(path, notebook.mode)
    if world.requirements is not None:
        req = nb / "requirements.txt"
        req.write_bytes(world.requirements.encode("utf-8", "surrogateescape"))
        req.chmod(world.requirements_mode)
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("do not touch\n", "utf-8")
    (outside / "other.ipynb").write_text('{"cells": [], "metadata": {}}', "utf-8")
    if "fifo" in world.extras:
        os.mkfifo(nb / "pipe.ipynb")
    if "dangling" in world.extras:
        (nb / "dangling.ipynb").symlink_to("nowhere.ipynb")
    if "loop" in world.extras:
        (nb / "loop.ipynb").symlink_to("loop.ipynb")
    if "dir-named-ipynb" in world.extras:
        (nb / "dir.ipynb").mkdir()
    if "link-out" in world.extras:
        (nb / "linked.ipynb").symlink_to(outside / "other.ipynb")
    if "envspec-file" in world.extras:
        (nb / "env.envspec.yaml").write_bytes(world.envspec_file)
    if "binder" in world.extras:
        (nb / "binder").mkdir()
        (nb / "binder" / "apt.txt").write_text("curl\n", "utf-8")
    if "locked-folder" in world.extras:
        (nb / "locked").mkdir()
        (nb / "locked" / "x.ipynb").write_text('{"cells": [], "metadata": {}}', "utf-8")
        (nb / "locked").chmod(0o000)
    out = root / "out"
    if world.out in {"out-existing", "out-read-only", "out-planted-link"}:
        out.mkdir()
        out.chmod(0o777)
        (out / "requirements.txt").write_text("keep\n", "utf-8")
        if world.out == "out-planted-link":
            (out / "requirements.txt").unlink()
            (out / "requirements.txt").symlink_to(outside / "secret.txt")
        out.chmod(0o555 if world.out == "out-read-only" else 0o777)
    elif world.out == "out-file":
        out.write_text("a file\n", "utf-8")
    nb.chmod(world.folder_mode)
    root.chmod(0o777)


def snapshot(root: Path) -> dict[bytes, tuple[Any, ...]]:
    """Every entry below *root*: its type, mode, and bytes or link target."""
    found: dict[bytes, tuple[Any, ...]] = {}
    base = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in [*dirnames, *filenames]:
            path = os.path.join(dirpath, name)
            info = os.lstat(path)
            key = os.path.relpath(path, base)
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    found[key] = ("file", stat.S_IMODE(info.st_mode), handle.read())
            else:
                found[key] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return found


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    with unprivileged.shared_folder() as folder:
        (folder / "cache").mkdir(mode=0o777)
        (folder / "cache").chmod(0o777)
        yield folder


# ----------------------------------------------------------------------------- the checks


def allowed_change(command: list[str], key: bytes, before: Any, after: Any) -> bool:
    """Whether *command* may change the entry *key* from *before* to *after*."""
    name = os.fsdecode(key)
    if command[0] in {"validate"} or "--check" in command:
        return False
    if command[0] in {"migrate", "pack"}:
        kinds = (".ipynb",) if command[0] == "pack" else (".ipynb", ".envspec.yaml")
        return (
            before is not None
            and after is not None
            and before[0] == after[0] == "file"
            and before[1] == after[1]  # the mode is kept
            and name.endswith(kinds)
        )
    # unpack: the environment files of the target folder, and the folders to it
    target = command[command.index("-o") + 1] if "-o" in command else None
    notebook = command[-1]
    folder = target if target is not None else (os.path.dirname(notebook) or ".")
    folder = os.path.normpath(folder)
    if after is not None and after[0] not in {"file"} and before is None:
        # a folder created on the way to -o
        return target is not None and (folder + "/").startswith(name + "/")
    return (
        os.path.dirname(name) == folder
        and os.path.basename(name) in FILES
        and (after is None or after[0] == "file")
    )


def check(root: Path, world: World, argv: list[str], code: int, out: str, err: str) -> None:
    assert code in {0, 1, 2}, (code, out, err)
    if code == 2:
        assert out == "", out
        assert "error:" in err, err
    elif "json" in argv:
        found = json.loads(out)
        jsonschema.validate(found, DIAGNOSTICS_SCHEMA)
    for text in (out, err):
        unsafe = set(UNSAFE.findall(text))
        assert not unsafe, (unsafe, text)
    if UNEXPECTED in out:
        # A reader's limit, not a bug of envspec: numbers of more than 4300 digits.
        huge = b"9" * 4400 in world.envspec_file and "envspec-file" in world.extras
        assert huge or any(nb.kind == "huge-int" for nb in world.notebooks), out


def run_example(base: Path, world: World, argv: list[str], runner: Any) -> None:
    root = Path(os.fsdecode(base)) / "world"
    try:
        build(root, world)
        before = snapshot(root)
        code, out, err = runner(argv, root)
        event(f"{argv[0]} exits {code}")
        if "Permission denied" in out:
            event("permission denied")
        check(root, world, argv, code, out, err)
        after = snapshot(root)
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                assert allowed_change(argv, key, before.get(key), after.get(key)), (
                    key,
                    before.get(key),
                    after.get(key),
                    out,
                )
            assert b".tmp" not in key or key in before, key  # no temporary file left
    finally:
        if root.exists():
            unprivileged.make_removable(root)
            shutil.rmtree(root)


def in_process(argv: list[str], root: Path) -> tuple[int, str, str]:
    cache = str(root.parent / "cache")
    done = unprivileged.run_in_process(argv, cwd=root, env={"ENVSPEC_CACHE_DIR": cache})
    return done.code, done.out, done.err


def console(argv: list[str], root: Path) -> tuple[int, str, str]:
    cache = str(root.parent / "cache")
    done = unprivileged.run_console(argv, cwd=root, env={"ENVSPEC_CACHE_DIR": cache}, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout, done.stderr


# ----------------------------------------------------------------------------- the tests


@pytest.mark.slow
@settings(FUZZ, max_examples=800)
@given(data=st.data())
def test_the_cli_on_generated_worlds(base, data):
    world = data.draw(worlds())
    argv = data.draw(commands(world))
    run_example(base, world, argv, in_process)


@pytest.mark.slow
@settings(FUZZ, max_examples=20)
@given(data=st.data())
def test_the_console_script_on_generated_worlds(base, data):
    world = data.draw(worlds())
    argv = data.draw(commands(world))
    run_example(base, world, argv, console)
