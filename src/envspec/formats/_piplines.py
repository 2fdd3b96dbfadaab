"""The lines of a requirements file, read with pip-requirements-parser, sorted by what
other formats can carry: PEP 508 requirements (``name @ URL`` included) and the rest
(pip options, editable installs, local paths, hashes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["PipLine", "pip_lines", "requirement_name", "requirement_problem"]

Kind = Literal["requirement", "option", "editable", "local", "url"]
_EGG = re.compile(r"[#&]egg=[^&]*")
_OPTION = re.compile(r"\s--?[A-Za-z]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True, slots=True)
class PipLine:
    """One logical line of a requirements file."""

    #: 1-based line number (of the first physical line).
    number: int
    #: The line as written (comments removed).
    text: str
    #: ``requirement``: a PEP 508 requirement; ``url``: a URL without a project name;
    #: ``editable``, ``local``, ``option``: pip-only lines.
    kind: Kind
    #: The PEP 508 requirement (with its marker; hashes and options removed).
    requirement: str | None = None
    #: Whether ``--hash`` options were dropped from the line.
    hashes: bool = False


def pip_lines(text: str) -> list[PipLine]:
    """Every logical line of the requirements *text* (through a temporary file: the
    parser's ``from_string`` is broken in 32.0.1)."""
    if not text.strip():
        return []
    fast = _simple_lines(text)
    if fast is not None:
        return fast
    import os
    import tempfile

    from pip_requirements_parser import RequirementsFile

    fd, name = tempfile.mkstemp(suffix=".txt", prefix="envspec-req-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as handle:
            handle.write(text)
        parsed = RequirementsFile.from_file(name, include_nested=False)
    finally:
        os.unlink(name)
    lines: list[PipLine] = []
    for option in parsed.options:
        line = option.requirement_line
        lines.append(PipLine(line.line_number, line.line.strip(), "option"))
    for invalid in parsed.invalid_lines:
        line = invalid.requirement_line
        written = line.line.strip()
        kind: Kind = "url" if _SCHEME.match(written) else "option"
        lines.append(PipLine(line.line_number, written, kind))
    for req in parsed.requirements:
        number, written = req.line_number or 0, (req.line or "").strip()
        if req.is_editable:
            lines.append(PipLine(number, written, "editable"))
            continue
        url = str(req.link) if req.link is not None else None
        local = url is not None and (not _SCHEME.match(url) or url.startswith("file:"))
        if req.req is None:
            lines.append(PipLine(number, written, "local" if local else "url"))
            continue
        if local:
            lines.append(PipLine(number, written, "local"))
            continue
        requirement = _as_written(written) or str(req.req)
        if url is not None and not req.req.url:
            requirement = f"{req.req.name}{_extras(req.req.extras)} @ {_EGG.sub('', url)}"
        if req.marker is not None and ";" not in requirement:
            requirement += f"; {req.marker}"
        lines.append(
            PipLine(number, written, "requirement", requirement, hashes=bool(req.hash_options))
        )
    return sorted(lines, key=lambda line: line.number)


def _simple_lines(text: str) -> list[PipLine] | None:
    """The lines of a file of plain PEP 508 requirements (no options, URLs or paths), read
    without pip-requirements-parser; ``None`` for any other file."""
    from envspec.checks.requirements import SIMPLE_REQUIREMENT, logical_lines

    lines = []
    for number, line in logical_lines(text):
        if not SIMPLE_REQUIREMENT.fullmatch(line):
            return None
        lines.append(PipLine(number, line, "requirement", line))
    return lines


def _as_written(line: str) -> str | None:
    """The requirement as the author wrote it (options after it removed), if valid."""
    from packaging.requirements import InvalidRequirement, Requirement

    candidate = _OPTION.split(line, maxsplit=1)[0].strip()
    try:
        Requirement(candidate)
    except InvalidRequirement:
        return None
    return candidate


def _extras(extras: set[str]) -> str:
    return f"[{','.join(sorted(extras))}]" if extras else ""


def requirement_problem(requirement: str) -> str | None:
    """Why *requirement* is not a valid PEP 508 requirement (``packaging``'s first line),
    or ``None``.  The common simple shape is accepted without importing ``packaging``."""
    from envspec.checks.requirements import SIMPLE_REQUIREMENT

    if SIMPLE_REQUIREMENT.fullmatch(requirement):
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(requirement)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0]
    return None


_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


def requirement_name(requirement: str) -> str:
    """The project name of the valid PEP 508 *requirement*, as written."""
    found = _NAME.match(requirement.strip())
    return found.group() if found else requirement
