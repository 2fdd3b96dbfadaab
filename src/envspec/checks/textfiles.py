"""Plain-text inputs: ``apt.txt``, ``runtime.txt``, ``Dockerfile``, ``start``, scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from envspec.checks._text import numbered_lines
from envspec.diagnostics import Finding

__all__ = [
    "check_apt",
    "check_dockerfile",
    "check_runtime",
    "check_start",
    "runtime_parts",
    "runtime_python",
]

_APT_NAME = re.compile(r"[a-z0-9][a-z0-9.+-]+(:[a-z0-9-]+)?")
_DATE = re.compile(r"\d\d\d\d-\d\d-\d\d")
_EXEC_ARGS = re.compile(r'\bexec\s+"\$(@|\{@\})"')


def check_apt(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """One Debian package name per line; ``#`` comments."""
    for number, line in numbered_lines(text):
        stripped = line.split("#", 1)[0].strip()
        if stripped and not _APT_NAME.fullmatch(stripped):
            yield Finding(
                "apt-invalid",
                f"{stripped!r} is not a Debian package name",
                path,
                number,
                line.find(stripped) + 1,
            )


def runtime_parts(text: str) -> tuple[str, str | None, str | None] | None:
    # repo2docker: split on "-" into 2 (name-version), 4 (name-date) or 5 (name-version-date) parts.
    value = text.strip()
    if not value or "\n" in value:
        return None
    parts = value.split("-")
    if any(not p for p in parts):
        return None
    if len(parts) == 2:
        return parts[0], parts[1], None
    date = "-".join(parts[-3:])
    if len(parts) in (4, 5) and _DATE.fullmatch(date):
        return parts[0], parts[1] if len(parts) == 5 else None, date
    return None


def check_runtime(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """``name-version``, ``name-YYYY-MM-DD`` or ``name-version-YYYY-MM-DD`` on one line."""
    if runtime_parts(text) is None:
        yield Finding("runtime-invalid", f"{text.strip()!r} is not a runtime selector", path, 1, 1)


def runtime_python(text: str) -> str | None:
    """The Python version of a ``python-X.Y`` runtime.txt."""
    parts = runtime_parts(text)
    if parts is None or parts[0] != "python":
        return None
    return parts[1]


def check_dockerfile(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """The first instruction is ``FROM`` (``ARG`` may come first)."""
    pending = ""
    start = 0  # the line where the pending instruction starts
    for number, line in numbered_lines(text):
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1]
            continue
        instruction = (pending + stripped).split(None, 1)[0].upper() if (pending + stripped) else ""
        pending = ""
        if instruction == "FROM":
            return
        if instruction != "ARG":
            yield Finding(
                "dockerfile-no-from",
                f"the first instruction is {instruction!r}, not 'FROM'",
                path,
                start,
                1,
            )
            return
    yield Finding("dockerfile-no-from", "the Dockerfile has no 'FROM' instruction", path)


def check_start(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """repo2docker's ``start`` must hand over to its arguments."""
    code = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    if not _EXEC_ARGS.search(code):
        yield Finding("start-no-exec", "the script never runs 'exec \"$@\"'", path)
