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
    "check_script",
    "check_start",
    "runtime_parts",
    "runtime_python",
]

# A package name, its architecture, then a version (``=1.0-1``, an epoch ``=1:2.3``) or a
# target release (``/bookworm-backports``): what ``apt-get install`` reads.
_APT_NAME = re.compile(
    r"[a-z0-9][a-z0-9.+-]+(:[a-z0-9-]+)?(=[0-9][A-Za-z0-9.+~:-]*|/[a-z0-9][a-z0-9.-]*)?"
)
_APT_OTHER = re.compile(rf"^(?![ \t]*(?:{_APT_NAME.pattern})?[ \t]*(?:#[^\n]*)?$).+$", re.MULTILINE)
_DATE = re.compile(r"\d\d\d\d-\d\d-\d\d")
_EXEC_ARGS = re.compile(r'\bexec\s+"\$(@|\{@\})"')


def check_apt(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """One Debian package per line; ``#`` comments.  Lines end as repo2docker reads them
    (Python's universal newlines: ``\\n``, ``\\r\\n`` or a lone ``\\r``)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii():
        # The lines that may be wrong, in one pass of the regex engine (the others are
        # package names, blank or comments).
        number, last = 1, 0
        for match in _APT_OTHER.finditer(text):
            number += text.count("\n", last, match.start())
            last = match.start()
            yield from _apt_line(number, match.group(), path)
        return
    for number, line in numbered_lines(text):
        yield from _apt_line(number, line, path)


def _apt_line(number: int, line: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
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
    yield from check_script(text, path)
    code = "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))
    if not _EXEC_ARGS.search(code):
        yield Finding("start-no-exec", "the script never runs 'exec \"$@\"'", path)


def check_script(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Windows line endings in a script run on Linux (``postBuild``, ``start``).

    On the ``#!`` line the carriage return becomes part of the interpreter's name
    (``/bin/bash\\r``): the script cannot run at all.  On other lines the shell reads it as
    part of the last word (``command not found``, a file name ending in ``\\r``)."""
    if "\r" not in text:
        return
    first = text.partition("\n")[0]
    if first.startswith("#!") and first.endswith("\r"):
        interpreter = first[2:].strip().split(" ", 1)[0]
        yield Finding(
            "script-crlf-shebang",
            f"the '#!' line ends with a carriage return (a Windows line ending): the system "
            f"looks for the interpreter {interpreter + chr(13)!r} and cannot run the script",
            path,
            1,
            len(first),
        )
        return
    crlf = [n for n, raw in enumerate(text.split("\n"), start=1) if raw.endswith("\r")]
    if crlf:
        more = f" (and {len(crlf) - 1} more)" if len(crlf) > 1 else ""
        yield Finding(
            "script-crlf",
            f"line {crlf[0]}{more} ends with a carriage return (a Windows line ending): "
            "the shell reads it as part of the last word of the line",
            path,
            crlf[0],
            len(text.split("\n", crlf[0])[crlf[0] - 1]),
        )
