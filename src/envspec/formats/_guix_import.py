"""Read a Guix manifest as data: the package specifications it lists, never running it.

Recognised forms (anywhere in the file, so a ``(define manifest ...)`` wrapper is fine):

- ``(specifications->manifest (list "python" "python-numpy@1.26" ...))``, with the list
  also written ``'("python" ...)``, ``(quasiquote ...)`` or ``(append LIST ...)``;
- ``(packages->manifest (list (specification->package "python") ...))``, with
  ``specification->package+output`` and ``(map specification->package LIST)`` too.

Anything else inside those calls (a variable such as ``python-numpy``, a computed list)
is known only by running the file, so it is reported and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from envspec.diagnostics import Code, Diagnostic, diagnostic
from envspec.formats._base import Converted, Source
from envspec.formats._scheme_data import (
    Datum,
    SchemeReadError,
    SList,
    SString,
    Symbol,
    read_data,
)

__all__ = ["ManifestSpec", "read_manifest", "specifications"]

_MANIFEST_CALLS = {"specifications->manifest", "packages->manifest"}
_SPEC_CALLS = {"specification->package", "specification->package+output"}
_SPEC = re.compile(r"(?P<name>[^@:\s]+)(?:@(?P<version>[^:\s]+))?(?::(?P<output>[^@:\s]+))?")
_PIN = re.compile(r"[0-9]+\.[0-9]+(?:\.[0-9]+)?")
_READ_HINT = (
    "Fix the text at the position shown so that Guile can read it: strings take the "
    'escapes \\\\ \\" \\n \\t \\xHH \\uHHHH, parentheses must balance.'
)


class ManifestSpec:
    """One package specification (``name[@version][:output]``) and where it is."""

    __slots__ = ("name", "offset", "output", "text", "version")

    def __init__(self, text: str, offset: int) -> None:
        self.text = text
        self.offset = offset
        match = _SPEC.fullmatch(text)
        self.name = match["name"] if match else ""
        self.version = match["version"] if match else None
        self.output = match["output"] if match else None


class _Problems:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.items: list[Diagnostic] = []

    def add(
        self, code: Code, message: str, offset: int | None = None, hint: str | None = None
    ) -> None:
        from envspec.checks._text import line_col

        line, column = line_col(self.text, offset) if offset is not None else (None, None)
        self.items.append(diagnostic(code, message, self.path, line=line, column=column, hint=hint))


def specifications(text: str, path: str) -> tuple[list[ManifestSpec], list[Diagnostic]]:
    """The package specifications of the manifest *text*, with diagnostics (errors when
    *text* cannot be read or is not a manifest)."""
    from envspec.checks.scheme import check_scheme

    problems = _Problems(text, path)
    for finding in check_scheme(text, ()):
        problems.items.append(
            diagnostic(
                finding.code, finding.message, path, line=finding.line, column=finding.column
            )
        )
    if problems.items:
        return [], problems.items
    try:
        data = read_data(text)
    except SchemeReadError as exc:
        problems.add("scheme-syntax", exc.message, exc.offset, _READ_HINT)
        return [], problems.items
    calls = [call for datum in data for call in _manifest_calls(datum)]
    if not calls:
        first = data[0].offset if data else 0
        problems.add(
            "guix-not-a-manifest",
            "no (specifications->manifest ...) or (packages->manifest ...) call: the file "
            "is Scheme, but not a manifest envspec can read",
            first,
        )
        return [], problems.items
    specs: list[ManifestSpec] = []
    for call in calls:
        if len(call.items) != 2:
            problems.add(
                "guix-expression-skipped",
                f"({call.head()} ...) takes one list; this call is skipped",
                call.offset,
            )
            continue
        packages = call.head() == "packages->manifest"
        for item in _list_items(call.items[1], problems):
            spec = _spec_of(item, packages=packages)
            if spec is None:
                problems.add(
                    "guix-expression-skipped",
                    f"{_describe(item)} is known only by running the manifest; it is skipped",
                    item.offset,
                )
            elif not spec.name:
                problems.add(
                    "guix-expression-skipped",
                    f"{spec.text!r} is not a package specification (name[@version][:output])",
                    item.offset,
                )
            else:
                specs.append(spec)
    return specs, problems.items


def _manifest_calls(datum: Datum) -> Iterator[SList]:
    if not isinstance(datum, SList):
        return
    head = datum.head()
    if head in _MANIFEST_CALLS:
        yield datum
        return
    if head in {"quote", "quasiquote"}:
        return
    for item in datum.items:
        yield from _manifest_calls(item)


def _list_items(datum: Datum, problems: _Problems) -> Iterator[Datum]:
    """The elements of a list expression, when they are written out."""
    if isinstance(datum, SList):
        head = datum.head()
        if head == "list":
            yield from datum.items[1:]
            return
        if head in {"quote", "quasiquote"} and len(datum.items) == 2:
            inner = datum.items[1]
            if isinstance(inner, SList):
                yield from inner.items
                return
        if head == "append":
            for part in datum.items[1:]:
                yield from _list_items(part, problems)
            return
        if (
            head == "map"
            and len(datum.items) == 3
            and isinstance(datum.items[1], Symbol)
            and datum.items[1].name in _SPEC_CALLS
        ):
            yield from _list_items(datum.items[2], problems)
            return
    problems.add(
        "guix-expression-skipped",
        f"{_describe(datum)} is not a written-out list; its packages are known only by "
        "running the manifest, so it is skipped",
        datum.offset,
    )


def _spec_of(datum: Datum, *, packages: bool) -> ManifestSpec | None:
    if isinstance(datum, SString):
        return ManifestSpec(datum.value, datum.offset)
    if (
        packages
        and isinstance(datum, SList)
        and datum.head() in _SPEC_CALLS
        and len(datum.items) == 2
        and isinstance(datum.items[1], SString)
    ):
        return ManifestSpec(datum.items[1].value, datum.items[1].offset)
    return None


def _describe(datum: Datum) -> str:
    if isinstance(datum, Symbol):
        return f"the variable {datum.name!r}"
    if isinstance(datum, SList) and datum.head():
        return f"the expression ({datum.head()} ...)"
    return "an expression"


def read_manifest(source: Source, *, derive_requirements: bool) -> Converted:
    """The environment embedding the manifest (and ``channels.scm``) of *source*."""
    files = dict(source.files)
    if source.is_folder:
        name = "manifest.scm"
        if name not in files:
            why = "the folder holds no manifest.scm"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, source.path),))
    else:
        (name,) = files
        if name == "channels.scm":
            why = (
                "channels.scm pins Guix but lists no packages; import the manifest, or the "
                "folder holding both"
            )
            return Converted(diagnostics=(diagnostic("guix-not-a-manifest", why, source.path),))
    texts: dict[str, str] = {}
    for key in (name, "channels.scm"):
        if key not in files:
            continue
        try:
            texts[key] = files[key].decode("utf-8")
        except UnicodeDecodeError as exc:
            why = f"the file is not UTF-8 (byte {exc.start})"
            return Converted(diagnostics=(diagnostic("not-utf8", why, source.file(key)),))
    specs, problems = specifications(texts[name], source.file(name))
    if "channels.scm" in texts and source.is_folder:
        problems += _channels_problems(texts["channels.scm"], source.file("channels.scm"))
    if any(d.severity == "error" for d in problems):
        return Converted(diagnostics=tuple(problems))
    environment: dict[str, object] = {"env_ver": "1.0"}
    embedded = {"manifest.scm": texts[name]}
    if "channels.scm" in texts and source.is_folder:
        embedded["channels.scm"] = texts["channels.scm"]
    pins = {s.version for s in specs if s.name == "python" and s.version}
    pin = next(iter(pins)) if len(pins) == 1 else None
    if pin and _PIN.fullmatch(pin):
        environment["python"] = ".".join(pin.split(".")[:2])
    if derive_requirements:
        embedded["requirements.txt"], derived = _requirements(specs, source.file(name), texts[name])
        problems += derived
    environment["files"] = embedded
    return Converted(environment=environment, diagnostics=tuple(problems))


def _channels_problems(text: str, path: str) -> list[Diagnostic]:
    from envspec.checks.scheme import check_scheme

    problems = _Problems(text, path)
    for finding in check_scheme(text, ()):
        problems.items.append(
            diagnostic(
                finding.code, finding.message, path, line=finding.line, column=finding.column
            )
        )
    if not problems.items:
        try:
            read_data(text)
        except SchemeReadError as exc:
            problems.add("scheme-syntax", exc.message, exc.offset, _READ_HINT)
    return problems.items


def _requirements(specs: list[ManifestSpec], path: str, text: str) -> tuple[str, list[Diagnostic]]:
    from envspec.formats._guix_names import python_name

    problems = _Problems(text, path)
    lines: dict[str, None] = {}
    for spec in specs:
        if spec.name == "python":
            continue
        project = python_name(spec.name)
        if project is None:
            problems.add(
                "guix-package-not-python",
                f"{spec.name} is not a Python package: it stays in manifest.scm but is not "
                "in the derived requirements.txt",
                spec.offset,
            )
            continue
        version = f"=={spec.version}.*" if spec.version and _PIN.fullmatch(spec.version) else ""
        lines.setdefault(f"{project}{version}", None)
    return "".join(f"{line}\n" for line in lines), problems.items
