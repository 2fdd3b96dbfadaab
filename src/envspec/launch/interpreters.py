"""The Python interpreters of this machine, found quickly.

Looked for: the running Python, ``pythonX.Y`` executables on ``PATH``,
pyenv's versions folder and uv's managed Pythons.  Folders whose names carry
the full version (pyenv, uv) are read without running anything; executables on
``PATH`` are asked their version, all at once.  Nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from envspec.launch.plan import Interpreter

__all__ = ["discover_interpreters"]

_NAME = re.compile(r"python(3(?:\.\d+)?)?$")
_ASK = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


def _running() -> Interpreter:
    return Interpreter(version=".".join(map(str, sys.version_info[:3])), path=sys.executable)


def _path_candidates(environ: Mapping[str, str]) -> list[Path]:
    found: list[Path] = []
    for folder in environ.get("PATH", "").split(os.pathsep):
        if not folder or Path(folder).name == "shims":
            # pyenv's (and asdf's) shims are scripts that run a version manager: slow to
            # ask, and the versions behind them are read from their folders instead.
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in sorted(names):
            if _NAME.fullmatch(name):
                path = Path(folder) / name
                if os.access(path, os.X_OK) and path.is_file():
                    found.append(path)
    return found


def _named_versions(root: Path, pattern: str) -> Iterable[Interpreter]:
    """Interpreters in folders named after their version (pyenv's, uv's)."""
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return
    for entry in entries:
        match = re.fullmatch(pattern, entry.name)
        if match is None:
            continue
        for exe in ("bin/python3", "bin/python", "python.exe"):
            path = entry / exe
            if path.is_file():
                yield Interpreter(version=match[1], path=str(path))
                break


def _ask(paths: list[Path], timeout: float) -> list[Interpreter]:
    running = []
    for path in paths:
        try:
            process = subprocess.Popen(
                [str(path), "-I", "-S", "-c", _ASK],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
            )
        except OSError:
            continue
        running.append((path, process))
    found = []
    for path, process in running:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            continue
        version = output.strip()
        if process.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", version):
            found.append(Interpreter(version=version, path=str(path)))
    return found


def discover_interpreters(
    environ: Mapping[str, str] | None = None, *, timeout: float = 5.0
) -> tuple[Interpreter, ...]:
    """Every Python found, the running one first, each real executable once."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME", "~")).expanduser()
    seen: set[str] = set()
    result: list[Interpreter] = []

    def add(interpreter: Interpreter) -> None:
        key = os.path.realpath(interpreter.path)
        if key not in seen:
            seen.add(key)
            result.append(interpreter)

    add(_running())
    candidates = [p for p in _path_candidates(env) if os.path.realpath(p) not in seen]
    unique: dict[str, Path] = {}
    for path in candidates:
        unique.setdefault(os.path.realpath(path), path)
    for interpreter in _ask(list(unique.values()), timeout):
        add(interpreter)
    pyenv = Path(env.get("PYENV_ROOT") or home / ".pyenv") / "versions"
    for interpreter in _named_versions(pyenv, r"(\d+\.\d+\.\d+)"):
        add(interpreter)
    data = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    uv = Path(env.get("UV_PYTHON_INSTALL_DIR") or data / "uv" / "python")
    for interpreter in _named_versions(uv, r"cpython-(\d+\.\d+\.\d+)-.*"):
        add(interpreter)
    return tuple(result)
