"""Reading notebooks and envspec files: decode only what is needed, report what is wrong.

:func:`read_document` turns the bytes of a file into the JSON value whose
environment is checked, plus file-level findings.  Notebooks are checked to
be well-formed UTF-8 JSON everywhere (a merge conflict inside a cell is
caught) but their cells are never built as Python objects when the fast
decoder is used.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from envspec.diagnostics import Finding

__all__ = ["DocumentKind", "ReadResult", "kind_of", "read_document"]

DocumentKind = Literal["notebook", "envfile-json", "envfile-yaml"]

_ENVFILE_SUFFIXES = {
    ".envspec.yaml": "envfile-yaml",
    ".envspec.yml": "envfile-yaml",
    ".envspec.json": "envfile-json",
}


def kind_of(name: str) -> DocumentKind | None:
    """What a file is, from its name: a notebook, a standalone envspec file, or neither."""
    lower = name.lower()
    if lower.endswith(".ipynb"):
        return "notebook"
    for suffix, kind in _ENVFILE_SUFFIXES.items():
        if lower.endswith(suffix):
            return kind  # type: ignore[return-value]
    return None


@dataclass(slots=True)
class ReadResult:
    """The decoded document (``None`` when unreadable) and file-level findings."""

    document: Any = None
    findings: list[Finding] = field(default_factory=list)


_decoder: Any = None


def _fast_decoder() -> Any:
    # A decoder that validates the whole document but materialises only the
    # top-level ``metadata`` (cells are parsed and skipped).
    global _decoder  # noqa: PLW0603 - one decoder per process, built on first use
    if _decoder is None:
        import msgspec

        class _Notebook(msgspec.Struct):
            metadata: Any = msgspec.UNSET

        _decoder = msgspec.json.Decoder(_Notebook)
    return _decoder


def read_document(data: bytes, kind: DocumentKind, *, fast: bool = False) -> ReadResult:
    """Decode *data* as *kind*.

    *fast* selects the skipping decoder for notebooks (worth its import cost
    on large batches).  Either way the whole file must be well-formed.
    """
    result = ReadResult()
    if not data or data.isspace():  # isspace, unlike strip, copies nothing
        result.findings.append(
            Finding(
                "empty-file",
                "the file is empty" if not data else "the file contains only white space",
            )
        )
        return result
    skipped = 0
    if data.startswith(b"\xef\xbb\xbf"):
        result.findings.append(
            Finding("bom", "the file starts with a UTF-8 byte order mark", (), 1, 1)
        )
        data = data[3:]
        skipped = 3
    bad = None if data.isascii() else _first_non_utf8(data)
    if bad is not None:
        line_start = data.rfind(b"\n", 0, bad) + 1
        line = data.count(b"\n", 0, bad) + 1
        # Columns count characters, as everywhere else; the line up to *bad* is valid UTF-8.
        column = len(data[line_start:bad].decode("utf-8")) + 1
        result.findings.append(
            Finding(
                "not-utf8",
                f"byte 0x{data[bad]:02x} at offset {bad + skipped} is not UTF-8",
                (),
                line,
                column,
            )
        )
        return result
    if kind == "envfile-yaml":
        return _read_yaml(data.decode("utf-8"), result)
    if kind == "notebook" and fast:
        return _read_fast(data, result)
    return _read_json(data, kind, result)


def _first_non_utf8(data: bytes, step: int = 1 << 18) -> int | None:
    """Offset of the first byte that is not UTF-8, checked in chunks of *step* bytes (no
    copy of the whole text; a chunk with one wide character is widened alone)."""
    view = memoryview(data)
    start = 0
    while start < len(data):
        final = start + step >= len(data)
        try:
            # A character cut at the end of a chunk is left for the next one.
            _, used = codecs.utf_8_decode(view[start : start + step], "strict", final)
        except UnicodeDecodeError as exc:
            return start + exc.start
        if used == 0 and not final:
            step *= 2  # cannot happen with chunks of more than 3 bytes: never loop
        start += used
    return None


def _check_metadata(document: dict[str, Any], result: ReadResult) -> ReadResult:
    # One verdict for both decoders: msgspec gives UNSET for a missing member.
    metadata = document.get("metadata")
    if isinstance(metadata, dict):
        result.document = {"metadata": metadata}
        return result
    message = (
        "the notebook has no 'metadata' object"
        if "metadata" not in document
        else "the notebook's 'metadata' is not an object"
    )
    result.findings.append(Finding("not-a-notebook", message, ("metadata",)))
    return result


def _read_fast(data: bytes, result: ReadResult) -> ReadResult:
    import msgspec

    try:
        notebook = _fast_decoder().decode(data)
    except RecursionError:
        result.findings.append(Finding("too-deep", "the JSON is nested too deeply to read"))
        return result
    except msgspec.ValidationError:
        # Valid JSON, wrong shape (e.g. the top level is an array): let the slow
        # path say precisely what is wrong.
        return _read_json(data, "notebook", result)
    except msgspec.DecodeError:
        # Malformed for msgspec: confirm with the standard library (which also
        # gives line and column, and accepts a few things msgspec does not).
        return _read_json(data, "notebook", result)
    present = {} if notebook.metadata is msgspec.UNSET else {"metadata": notebook.metadata}
    return _check_metadata(present, result)


class _NotANumber(ValueError):
    pass


def _not_a_number(name: str) -> Any:
    # Python's json accepts NaN and Infinity; RFC 8259 (and msgspec, the fast path) do not.
    raise _NotANumber(name)


def _read_json(data: bytes, kind: DocumentKind, result: ReadResult) -> ReadResult:
    try:
        # Decode first: json.loads(bytes) would also accept UTF-16 and UTF-32.
        text = data.decode("utf-8")
        # Jupyter reads notebooks with Python's json (NaN accepted); standalone files are
        # RFC 8259 JSON.
        document = (
            json.loads(text)
            if kind == "notebook"
            else json.loads(text, parse_constant=_not_a_number)
        )
    except json.JSONDecodeError as exc:
        result.findings.append(Finding("invalid-json", exc.msg, (), exc.lineno, exc.colno))
        return result
    except _NotANumber as exc:
        text = data.decode("utf-8")
        found = re.search(r"[:\[,]\s*-?(NaN|Infinity)\b", text)
        at = found.start(1) if found else 0
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        message = f"{exc} is not a JSON value (RFC 8259 has no NaN or Infinity)"
        result.findings.append(Finding("invalid-json", message, (), line, column))
        return result
    except RecursionError:
        result.findings.append(Finding("too-deep", "the JSON is nested too deeply to read"))
        return result
    if kind != "notebook":
        result.document = document
        return result
    if not isinstance(document, dict):
        result.findings.append(Finding("not-a-notebook", "the top level is not a JSON object"))
        return result
    return _check_metadata(document, result)


def _read_yaml(text: str, result: ReadResult) -> ReadResult:
    from envspec._yaml import load_yaml

    document, problem = load_yaml(text, strict=True)
    if problem is not None:
        result.findings.append(
            Finding(
                problem.code,  # type: ignore[arg-type]
                problem.message,
                (),
                problem.line,
                problem.column,
            )
        )
        return result
    if document is None:
        result.findings.append(
            Finding("environment-not-object", "the file holds no YAML document (or only null)")
        )
        return result
    result.document = document
    return result
