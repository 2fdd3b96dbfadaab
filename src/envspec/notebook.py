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
import sys
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

        # The raw text of ``metadata``: decoded again with the standard library, which sees
        # repeated keys.  (defstruct: annotations here would be strings, resolved in vain.)
        notebook = msgspec.defstruct(
            "_Notebook", [("metadata", msgspec.Raw | msgspec.UnsetType, msgspec.UNSET)]
        )
        _decoder = msgspec.json.Decoder(notebook)
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
    if _may_hold_long_integer(data):
        # msgspec skips cells without converting their numbers; Python's json (and so
        # Jupyter) refuses an integer this long: the standard library decides.
        return _read_json(data, "notebook", result)
    if notebook.metadata is msgspec.UNSET:
        return _check_metadata({}, result)
    repeated: list[bool] = []
    try:
        # The metadata alone (a few kilobytes), with a hook that notices a key given twice.
        metadata = json.loads(bytes(notebook.metadata), object_pairs_hook=_pairs_hook(repeated))
    except (RecursionError, ValueError):  # pragma: no cover - msgspec read it: never expected
        return _read_json(data, "notebook", result)
    if repeated:
        result.findings.extend(_duplicate_keys(data.decode("utf-8"), "notebook"))
    return _check_metadata({"metadata": metadata}, result)


# Maps each digit to b"1" and every other byte to b"0".
_DIGIT_MAP = bytes(0x31 if 0x30 <= b <= 0x39 else 0x30 for b in range(256))


def _may_hold_long_integer(data: bytes) -> bool:
    """Whether *data* has a run of digits longer than Python converts to an integer.

    Bytes are sampled every half limit: such a run holds two consecutive samples, and
    the run from the first one is at least half the limit long.  Only such candidates
    are looked at; the common text has none."""
    limit = sys.get_int_max_str_digits()
    if not limit or len(data) <= limit:
        return False
    step = limit // 2
    samples = data[::step].translate(_DIGIT_MAP)
    at = samples.find(b"11")
    while at >= 0:
        start = at * step
        if data[start : start + step + 1].isdigit():
            return True
        at = samples.find(b"11", at + 1)
    return False


def _pairs_hook(repeated: list[bool]) -> Any:
    # Builds each object as json does (the last value of a repeated key wins) and notes
    # that a key was repeated; where, :func:`_duplicate_keys` finds out (rare).
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        built = dict(pairs)
        if len(built) != len(pairs):
            repeated.append(True)
        return built

    return hook


def _duplicate_keys(text: str, kind: DocumentKind) -> list[Finding]:
    """A finding per key repeated in an object: in a notebook, inside ``metadata`` (and
    ``metadata`` itself); in a standalone file, anywhere."""
    from envspec._jsonpos import scan

    findings: list[Finding] = []
    for where, key, offsets in scan(text).duplicates:
        if kind == "notebook" and where[:1] != ("metadata",) and (where, key) != ((), "metadata"):
            continue  # cells and outputs: not read by envspec, nor shown as an environment
        first_line = text.count("\n", 0, offsets[0]) + 1
        last = offsets[-1]
        line, column = text.count("\n", 0, last) + 1, last - text.rfind("\n", 0, last)
        inside = "/" + "/".join(str(p) for p in where) if where else "the top level"
        findings.append(
            Finding(
                "duplicate-key",
                f"{key!r} appears {len(offsets)} times in {inside} (first at line {first_line}): "
                "JSON readers keep the last one, so the text shows a value the tools do not use",
                (*where, key),
                line,
                column,
            )
        )
    return findings


class _NotANumber(ValueError):
    pass


def _not_a_number(name: str) -> Any:
    # Python's json accepts NaN and Infinity; RFC 8259 (and msgspec, the fast path) do not.
    raise _NotANumber(name)


def _read_json(data: bytes, kind: DocumentKind, result: ReadResult) -> ReadResult:
    repeated: list[bool] = []
    # Decode first: json.loads(bytes) would also accept UTF-16 and UTF-32.
    text = data.decode("utf-8")
    try:
        # Jupyter reads notebooks with Python's json (NaN accepted); standalone files are
        # RFC 8259 JSON.
        document = (
            json.loads(text, object_pairs_hook=_pairs_hook(repeated))
            if kind == "notebook"
            else json.loads(
                text, parse_constant=_not_a_number, object_pairs_hook=_pairs_hook(repeated)
            )
        )
    except json.JSONDecodeError as exc:
        result.findings.append(Finding("invalid-json", exc.msg, (), exc.lineno, exc.colno))
        return result
    except _NotANumber as exc:
        found = re.search(r"[:\[,]\s*-?(NaN|Infinity)\b", text)
        at = found.start(1) if found else 0
        line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        message = f"{exc} is not a JSON value (RFC 8259 has no NaN or Infinity)"
        result.findings.append(Finding("invalid-json", message, (), line, column))
        return result
    except RecursionError:
        result.findings.append(Finding("too-deep", "the JSON is nested too deeply to read"))
        return result
    except ValueError as exc:
        # An integer with more digits than Python converts (4300 by default): Jupyter,
        # which reads notebooks with Python's json, cannot open the file either.
        result.findings.append(_long_integer(text, exc))
        return result
    if repeated:
        result.findings.extend(_duplicate_keys(text, kind))
    if kind != "notebook":
        result.document = document
        return result
    if not isinstance(document, dict):
        result.findings.append(Finding("not-a-notebook", "the top level is not a JSON object"))
        return result
    return _check_metadata(document, result)


def _long_integer(text: str, exc: ValueError) -> Finding:
    from envspec._jsonpos import int_digits_limit, scan

    found = scan(text).long_integer
    if found is None:  # pragma: no cover - no other ValueError is known
        return Finding("invalid-json", str(exc).split("\n", 1)[0])
    at, digits = found
    line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
    return Finding(
        "integer-too-long",
        f"an integer of {digits} digits: Python's JSON reader, which Jupyter uses, refuses "
        f"integers of more than {int_digits_limit()} digits",
        (),
        line,
        column,
    )


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
