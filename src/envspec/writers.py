"""The gate every writer of an environment goes through before it writes.

The standard says a document MUST NOT contain secret values, and a writer that
finds one MUST stop and report it (``1.0.md#security-secrets``).  Every tool of
this project that writes an environment into a notebook or a file (``envspec
pack``, pack on save in Jupyter, :func:`envspec.pack.plan_pack` for library
users, and any later writer) calls :func:`gate` on the complete environment it
is about to write, and writes nothing when the verdict is ``refused``.

The gate looks at the whole document, not only at what the writer changed: a
writer never writes a document that carries a secret, whoever put it there.
(``envspec migrate`` only moves the members of a document to their places in
another version; it adds no text, so it cannot bring a secret in.)

This module is pure: no file is read or written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from envspec.diagnostics import Diagnostic

__all__ = ["STOP_CODES", "GateVerdict", "gate", "stops_writing"]

#: Codes that stop every writer: the document would carry a secret
#: (1.0.md#security-secrets, #security-urls, #security-env).
STOP_CODES: frozenset[str] = frozenset({"secret", "url-credentials", "secret-env-value"})


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """The validator's diagnostics on an environment about to be written, and whether
    writing it is refused."""

    diagnostics: tuple[Diagnostic, ...]
    refused: bool

    @property
    def stops(self) -> tuple[Diagnostic, ...]:
        """The diagnostics that refuse the write (code and location say where; their
        messages never hold the secret itself)."""
        return tuple(d for d in self.diagnostics if _stops(d))


def stops_writing(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether *diagnostics* of an environment forbid writing it."""
    return any(_stops(d) for d in diagnostics)


def _stops(d: Diagnostic) -> bool:
    return d.code in STOP_CODES and d.severity == "error"


def gate(
    environment: object,
    *,
    kernelspec: object = None,
    file: str = "<environment>",
    pointer: str = "",
) -> GateVerdict:
    """Validate *environment* (the whole document a writer is about to write) and say
    whether it may be written.  *file* and *pointer* locate it in the diagnostics."""
    from envspec.validate import validate_environment

    diagnostics = tuple(
        validate_environment(environment, kernelspec=kernelspec, file=file, pointer=pointer)
    )
    return GateVerdict(diagnostics, stops_writing(diagnostics))
