"""uv: virtual environments and pip installs.

uv is the ``uv`` package from PyPI (``envspec[launch]``); its binary is found with
``uv.find_uv_bin()``.  uv never downloads a Python here (``UV_PYTHON_DOWNLOADS=
never``): the plan names an interpreter by its path, because a name such as
``3.12`` can hit a pyenv shim that fails, after which uv would try a download.

Index options come from the command line (:class:`~envspec.environments.IndexOptions`)
and from uv's own configuration, never from the notebook: index and find-links
lines of an embedded ``requirements.txt`` are left out of the copy uv reads
(:func:`sanitize_requirements`), and uv runs in a folder of envspec's, so an
embedded ``pyproject.toml`` or ``uv.toml`` is not read as uv configuration.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envspec.environments import IndexOptions
    from envspec.environments.log import BuildLog
    from envspec.environments.progress import EventKind

__all__ = [
    "UvFailed",
    "count_requirements",
    "index_arguments",
    "pip_install",
    "sanitize_requirements",
    "uv_binary",
    "venv",
]

#: Options of a requirements file that choose where packages come from.
_INDEX_OPTIONS = (
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--no-index",
    "--trusted-host",
)
_RESOLVED = re.compile(r"^Resolved (\d+) packages?\b")
_DOWNLOADED = re.compile(r"^\s*Downloaded (\S+)")
_INSTALLED_LINE = re.compile(r"^ \+ (\S+)")
_AUDITED = re.compile(r"^Audited (\d+) packages?\b")


class UvFailed(Exception):
    """uv exited with an error; the message is uv's own ``error:`` lines."""


def uv_binary() -> str:
    """The uv executable of the ``uv`` package (``envspec[launch]``)."""
    try:
        from uv import find_uv_bin
    except ImportError as exc:
        raise UvFailed(
            "uv is not installed; install envspec with its launch extra: "
            "pip install 'envspec[launch]'"
        ) from exc
    return find_uv_bin()


def index_arguments(index: IndexOptions) -> list[str]:
    """uv's options for *index*."""
    args: list[str] = []
    if index.index_url:
        args += ["--index-url", index.index_url]
    for url in index.extra_index_urls:
        args += ["--extra-index-url", url]
    for link in index.find_links:
        args += ["--find-links", link]
    if index.no_index:
        args.append("--no-index")
    if index.offline:
        args.append("--offline")
    return args


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line index, joined text) of each line, continuations joined."""
    physical = text.splitlines()
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(physical):
        start, parts = i, [physical[i]]
        while parts[-1].endswith("\\") and i + 1 < len(physical):
            parts[-1] = parts[-1][:-1]
            i += 1
            parts.append(physical[i])
        out.append((start, " ".join(parts)))
        i += 1
    return out


def sanitize_requirements(text: str, name: str) -> tuple[str, list[str]]:
    """*text* without index options, and a note for each line left out.

    The standard forbids local paths and credentials in a notebook; where packages
    come from is the choice of the person creating the environment.
    """
    physical = text.splitlines()
    drop: set[int] = set()
    notes: list[str] = []
    for start, line in _logical_lines(text):
        stripped = line.strip()
        option = stripped.split("=", 1)[0].split(None, 1)[0] if stripped else ""
        if option in _INDEX_OPTIONS:
            count = 1
            while physical[start + count - 1].endswith("\\") and start + count < len(physical):
                count += 1
            drop.update(range(start, start + count))
            notes.append(
                f"{name}, line {start + 1}: {option} ignored: where packages come from is "
                "given on the command line (--index-url, --find-links...) or in uv's "
                "configuration, not by the notebook"
            )
    kept = [
        f"# (envspec: index option left out) {i + 1}" if i in drop else line
        for i, line in enumerate(physical)
    ]
    return "\n".join(kept) + "\n", notes


def count_requirements(text: str) -> int:
    """How many requirements a requirements file lists (options and comments aside)."""
    count = 0
    for _start, line in _logical_lines(text):
        stripped = line.split(" #", 1)[0].strip()
        if stripped and not stripped.startswith(("#", "-")):
            count += 1
    return count


def _environ() -> dict[str, str]:
    environ = dict(os.environ)
    environ["UV_PYTHON_DOWNLOADS"] = "never"
    environ["NO_COLOR"] = "1"
    # The environment of the caller is not the one being built.
    for name in ("VIRTUAL_ENV", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT", "PYTHONHOME"):
        environ.pop(name, None)
    return environ


def run_uv(
    args: Sequence[str],
    *,
    cwd: Path,
    log: BuildLog,
    on_line: Callable[[str], None] | None = None,
) -> None:
    """Run ``uv ARGS``; every output line goes to *log* (and to *on_line*).

    Raises :class:`UvFailed` with uv's error lines when it fails.
    """
    command = [uv_binary(), *args]
    log.command(command)
    errors: list[str] = []
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=_environ(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    ) as process:
        stdout = process.stdout
        if stdout is None:  # pragma: no cover - stdout=PIPE
            raise RuntimeError("no output pipe")
        for raw in stdout:
            line = raw.rstrip("\n")
            log.line(line)
            if errors or line.startswith("error:"):
                errors.append(line)
            if on_line is not None:
                on_line(line)
        status = process.wait()
    if status != 0:
        raise UvFailed("\n".join(e for e in errors if e.strip()) or exit_reason("uv", status))


def exit_reason(what: str, status: int) -> str:
    """``uv exited with status 2``, ``uv was killed by SIGXFSZ (...)``."""
    if status >= 0:
        return f"{what} exited with status {status}"
    import signal

    try:
        name = signal.Signals(-status).name
    except ValueError:
        name = f"signal {-status}"
    why = {
        "SIGXFSZ": " (a file grew beyond the file size limit)",
        "SIGKILL": " (killed from outside, perhaps out of memory)",
    }.get(name, "")
    return f"{what} was killed by {name}{why}"


def venv(interpreter: str, prefix: Path, *, cwd: Path, log: BuildLog) -> None:
    """A virtual environment at *prefix* for *interpreter* (a path)."""
    run_uv(
        ["venv", "--allow-existing", "--python", interpreter, str(prefix)],
        cwd=cwd,
        log=log,
    )


class InstallCounter:
    """Turns uv's output into progress counts."""

    def __init__(self, emit: Callable[[EventKind, int | None, int | None], None]) -> None:
        self.emit = emit
        self.total: int | None = None
        self.downloaded = 0
        self.installed = 0

    def __call__(self, line: str) -> None:
        if match := _RESOLVED.match(line):
            self.total = int(match[1])
            self.emit("resolved", None, self.total)
        elif _DOWNLOADED.match(line):
            self.downloaded += 1
            self.emit("downloaded", self.downloaded, self.total)
        elif _INSTALLED_LINE.match(line):
            self.installed += 1
            self.emit("installed", self.installed, self.total)
        elif match := _AUDITED.match(line):
            # "Audited N packages": everything was installed already.
            total = self.total if self.total is not None else int(match[1])
            self.emit("installed", total, total)
        # "Installed N packages" comes before the list of them: the list counts.


def pip_install(
    python: Path,
    requirements: Sequence[str],
    *,
    files: Sequence[Path] = (),
    index: IndexOptions,
    cwd: Path,
    log: BuildLog,
    on_line: Callable[[str], None] | None = None,
    preview: Sequence[str] = (),
) -> None:
    """``uv pip install`` into the environment of *python*: *requirements* (specifiers)
    and *files* (``-r FILE``: requirements files or ``pylock.toml``)."""
    args = ["pip", "install", "--python", str(python), *index_arguments(index)]
    for feature in preview:
        args += ["--preview-features", feature]
    for file in files:
        args += ["-r", str(file)]
    args += list(requirements)
    run_uv(args, cwd=cwd, log=log, on_line=on_line)
