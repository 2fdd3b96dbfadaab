"""Reporters: the text and JSON forms of a validation result."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from envspec.diagnostics import Diagnostic
from envspec.validate import ValidationResult

__all__ = ["json_report", "text_report", "write_diagnostics"]


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
    text = json.dumps([d.to_dict() for d in result.diagnostics], indent=2, ensure_ascii=False)
    # A file name that is not UTF-8 holds lone surrogates: write them as JSON escapes.
    out.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def write_diagnostics(diagnostics: Iterable[Diagnostic], out: TextIO, *, indent: str = "") -> None:
    """``<location>: <severity>[<code>] <message>`` and an indented hint line, per diagnostic."""
    for d in diagnostics:
        out.write(f"{indent}{d.location()}: {d.severity}[{d.code}] {d.message}\n")
        if d.hint:
            out.write(f"{indent}    hint: {d.hint}\n")
