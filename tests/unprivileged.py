"""Running the CLI as a user without privileges, for the tests of permissions.

The suite may run as root, who reads any file whatever its mode: commands are
then run as ``nobody`` (a forked child that drops its privileges, or the real
console script under ``setpriv``).  Run as another user, they run as that user.
The files such tests use must be reachable by that user: :func:`shared_folder`
makes a folder that everyone may enter and write, and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import CliResult, console_script, notebook_text

ROOT = os.geteuid() == 0


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("running as root on a system without the user 'nobody'")
    return entry.pw_uid, entry.pw_gid


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A new folder that any user may enter and write (removed afterwards, whatever the
    modes the test left inside)."""
    folder = Path(tempfile.mkdtemp(prefix="envspec-shared-"))
    try:
        folder.chmod(0o777)
        yield folder
    finally:
        make_removable(folder)
        shutil.rmtree(folder, ignore_errors=True)


def make_removable(folder: Path) -> None:
    """Give back the owner's permissions on every folder below *folder*."""
    for dirpath, dirnames, _ in os.walk(folder, followlinks=False):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
    # os.walk could not enter the folders it could not read before the chmod above
    for dirpath, dirnames, _ in os.walk(folder, followlinks=False):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)


_WARM: list[bool] = []


def _warm() -> None:
    """Import, as the test runner's user, what the commands import lazily: the child may
    not be allowed to read the interpreter's own library (a Python installed in a
    private home folder)."""
    if _WARM:
        return
    import difflib  # noqa: F401
    import hashlib  # noqa: F401
    import optparse  # noqa: F401 - pip-requirements-parser, on option lines
    import secrets  # noqa: F401

    from envspec._codes import CODES
    from envspec.checks import prepare
    from envspec.cli.main import main

    prepare()
    with tempfile.TemporaryDirectory() as folder:
        for index, info in enumerate(CODES.values()):  # every rule, run once
            example = Path(folder, "examples", str(index), info.example_file)
            example.parent.mkdir(parents=True)
            example.write_text(info.example, "utf-8", "surrogatepass")
        sink = io.StringIO()
        main(["validate", "--no-cache", os.path.join(folder, "examples")], stdout=sink, stderr=sink)
        path = Path(folder, "a.ipynb")
        path.write_text(notebook_text({"env_ver": "0.1", "requirements.txt": "numpy\n"}))
        sink = io.StringIO()
        for argv in (
            ["validate", "--no-cache", path],
            ["migrate", "--check", "--diff", path],
            ["pack", "--check", path],
            ["unpack", path, "-o", Path(folder, "env")],
            ["schema", "--diagnostics"],
            ["conformance", "list", "--role", "packer"],
            ["conformance", "run", "--adapter", "no-such-adapter", "--role", "packer", "-q"],
            ["conformance", "lint", folder],
            ["validate", "--bad-option"],
        ):
            main([os.fspath(a) for a in argv], stdout=sink, stderr=sink)
    _WARM.append(True)


def run_in_process(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> CliResult:
    """``envspec.cli.main.main(argv)`` in a forked child, as ``nobody`` when the tests run as
    root.  An exception that escapes ``main`` fails the test with its traceback.

    The child may not be allowed to read the interpreter's own library (a Python
    installed in a private home folder): a module it could not import is imported here,
    where the child inherits it, and the command is run again.
    """
    _warm()
    for _ in range(20):
        result = _run_once(argv, cwd=cwd, env=env, timeout=timeout)
        text = result if isinstance(result, str) else result[1] + result[2]
        missing = re.search(r"No module named '([\w.]+)'", text)
        if not missing or missing.group(1) in sys.modules:
            break
        try:
            importlib.import_module(missing.group(1))
        except ImportError:
            break
    if isinstance(result, str):
        pytest.fail(f"envspec {' '.join(argv)!r} raised:\n{result}")
    return CliResult(*result)


def _run_once(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None,
    timeout: float,
) -> Any:
    """``(code, out, err)``, or the traceback of an exception that escaped ``main``."""
    from envspec.cli.main import main

    uid, gid = _nobody() if ROOT else (os.getuid(), os.getgid())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(read_end)
            if ROOT:
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
            os.chdir(cwd)
            os.environ.update(env or {})
            out, err = io.StringIO(), io.StringIO()
            try:
                code = main(list(argv), stdout=out, stderr=err)
                result: object = (code, out.getvalue(), err.getvalue())
            except BaseException:  # noqa: BLE001 - reported to the parent
                result = traceback.format_exc()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(json.dumps(result).encode())
        except BaseException:  # noqa: BLE001
            status = 3
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        if not select.select([pipe], [], [], timeout)[0]:  # blocked (on a named pipe?)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"envspec {' '.join(argv)!r} did not finish in {timeout} s")
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, f"the child failed (status {status})"
    return json.loads(data)


def run_console(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """The real ``envspec`` console script, as ``nobody`` when the tests run as root."""
    prefix: list[str] = []
    if ROOT:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot run as another user")
        prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return subprocess.run(
        [*prefix, console_script(), *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        timeout=timeout,
        check=False,
    )
