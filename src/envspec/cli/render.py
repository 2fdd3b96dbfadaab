"""Reporters: the text and JSON forms of diagnostics, and file names made safe to print."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TextIO

from envspec.diagnostics import Diagnostic
from envspec.validate import ValidationResult

__all__ = ["json_diagnostics", "json_report", "text_report", "visible", "write_diagnostics"]

# Control characters (C0, DEL, C1), lone surrogates (bytes of a file name that are not
# UTF-8), line and paragraph separators, and the bidirectional controls that reorder what
# a terminal shows: a name holding them must not move the cursor, colour the terminal or
# start a new line.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")

_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return (
        repr(char)[1:-1]
        if char not in "\u2028\u2029" and ord(char) < 0x100
        else f"\\u{ord(char):04x}"
    )


def visible(text: str) -> str:
    """*text* with every character that a terminal would act on escaped (``\\n``, ``\\x1b``,
    ``\\udce9``): what text output prints of file names and messages.  JSON output keeps
    the exact text."""
    return _UNSAFE.sub(_escape, text)


def text_report(result: ValidationResult, out: TextIO, *, strict: bool) -> None:
    """One block per diagnostic (location, severity, code, message, hint), then a summary."""
    write_diagnostics(result.diagnostics, out)
    errors = sum(d.severity == "error" for d in result.diagnostics)
    warnings = sum(d.severity == "warning" for d in result.diagnostics)
    failing = sum(
        1
        for r in result.reports
        if any(d.severity == "error" or (strict and d.severity == "warning") for d in r.diagnostics)
    )
    checked = len(result.reports)
    noun = "file" if checked == 1 else "files"
    if not errors and not warnings:
        out.write(f"{checked} {noun} checked, no problems\n")
        return
    out.write(
        f"{checked} {noun} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        f"; {failing} {'file fails' if failing == 1 else 'files fail'}\n"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def json_report(result: ValidationResult, out: TextIO) -> None:
    """A JSON array of every diagnostic (``schemas/diagnostics-1.schema.json``)."""
    json_diagnostics(result.diagnostics, out)


def json_diagnostics(diagnostics: Iterable[Diagnostic], out: TextIO) -> None:
    """A JSON array of *diagnostics* (``schemas/diagnostics-1.schema.json``): what every
    command prints with ``--format json``."""
    text = json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False)
    # What would act on a terminal (C1 controls, bidirectional controls; json.dumps escapes
    # C0 already) and the lone surrogates of a file name that is not UTF-8 are written as
    # JSON escapes: the same strings, for a JSON reader.
    out.write(_UNSAFE_IN_JSON.sub(_json_escape, text) + "\n")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def write_diagnostics(diagnostics: Iterable[Diagnostic], out: TextIO, *, indent: str = "") -> None:
    """``<location>: <severity>[<code>] <message>`` and an indented hint line, per diagnostic."""
    for d in diagnostics:
        out.write(f"{indent}{visible(d.location())}: {d.severity}[{d.code}] {visible(d.message)}\n")
        if d.hint:
            out.write(f"{indent}    hint: {visible(d.hint)}\n")
