"""The interface every format implements: a pure reader and a pure writer.

A format module defines one subclass of :class:`Format` and lists it in
:data:`envspec.formats._registry.FORMATS`.  Readers and writers are pure: they get bytes
and documents and return documents, bytes and diagnostics; reading files, validating the
result and writing atomically happen at the edge (:mod:`envspec.formats.io`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

from envspec.diagnostics import Diagnostic

__all__ = [
    "BUILD_INPUTS",
    "Converted",
    "Document",
    "Format",
    "Options",
    "Source",
    "only_file",
    "read_entry",
]

Direction = Literal["import", "export"]


@dataclass(frozen=True, slots=True)
class Source:
    """What an import reads: the path named by the user and the bytes of its files."""

    #: The path as given (diagnostics name it).
    path: str
    #: ``/``-separated path relative to *path* -> bytes.  A single file is one entry keyed by
    #: its base name; a folder holds the files matching the format's :attr:`Format.inputs`.
    files: Mapping[str, bytes]
    #: Whether *path* is a folder.
    is_folder: bool = False

    def file(self, name: str) -> str:
        """The path of the entry *name* for diagnostics."""
        if not self.is_folder:
            return self.path
        return f"{self.path.rstrip('/')}/{name}"


@dataclass(frozen=True, slots=True)
class Document:
    """What an export writes from: a valid environment and, when it came from one, the
    whole notebook."""

    #: The path of the notebook or envspec file (diagnostics name it).
    path: str
    #: The environment document (``env_ver`` 1.x), as JSON data.
    environment: Mapping[str, Any]
    #: The notebook (nbformat JSON data) the environment is embedded in, or ``None``.
    notebook: Mapping[str, Any] | None = None
    #: The bytes of the notebook or file as read (a format that writes the notebook back
    #: edits them, so that every byte it does not own is kept).
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Options:
    """Choices a user makes on the command line; each format reads the ones it knows."""

    #: pyproject: optional-dependency extras to include (``all`` for every one).
    extras: tuple[str, ...] = ()
    #: pyproject: PEP 735 dependency groups to include.
    groups: tuple[str, ...] = ()
    #: A named environment or feature of the source (pixi), when it has several.
    environment: str | None = None
    #: Guix: the commit of the Guix channel to pin in ``channels.scm``.
    guix_commit: str | None = None
    #: Extra format-specific settings (``--option KEY=VALUE``).
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Converted:
    """The result of a conversion.

    An import gives *environment* (``None`` when nothing could be read); an export gives
    *files*: ``/``-separated relative path -> bytes (one entry for a single-file format,
    keyed by its :attr:`Format.default_output`).  *diagnostics* say what could not be
    carried over (warnings) and what stopped the conversion (errors).
    """

    environment: dict[str, Any] | None = None
    files: Mapping[str, bytes] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether nothing stopped the conversion."""
        return not any(d.severity == "error" for d in self.diagnostics)


#: The files an image build copies in, as repo2docker detects them (a format that builds an
#: image from the environment's files lists these among its inputs).
BUILD_INPUTS: Final = (
    "Dockerfile",
    "*requirements*.txt",
    "*environment.yml",
    "*environment.yaml",
    "*apt.txt",
    "*postBuild",
)


class Format:
    """One format.  Subclasses set the class attributes and override what they support."""

    #: The registry name (``--from`` / ``--to``), lower case.
    name: ClassVar[str]
    #: One line for ``--help`` and the docs.
    summary: ClassVar[str]
    #: What the format supports.
    directions: ClassVar[frozenset[Direction]] = frozenset({"import", "export"})
    #: Glob patterns (relative, ``/``-separated) read when the import source is a folder.
    inputs: ClassVar[tuple[str, ...]] = ()
    #: The conventional name of the export (a file name, or a folder name ending in ``/``).
    default_output: ClassVar[str]
    #: Whether the export is a notebook that carries the source notebook's cells.
    writes_notebook: ClassVar[bool] = False

    def read(self, source: Source, options: Options) -> Converted:
        """The environment *source* describes (pure)."""
        raise NotImplementedError(f"{self.name} cannot be imported")

    def write(self, document: Document, options: Options) -> Converted:
        """The files of *document* in this format (pure)."""
        raise NotImplementedError(f"{self.name} cannot be exported")

    def update(self, existing: bytes, exported: bytes) -> bytes | None:
        """*existing* (a file already at the export's path) with the parts this format owns
        taken from *exported*, every other byte kept; ``None`` when the file cannot be
        updated (it is then replaced only with ``--force``).  Pure."""
        return None


def only_file(
    source: Source, plural: str, singular: str, fix: str
) -> tuple[str, bytes] | Converted:
    """The one file of *source* a format reads, or the diagnostic saying the folder holds
    none (no *singular*) or several (*plural*; *fix* says what to do)."""
    if len(source.files) == 1:
        ((name, data),) = source.files.items()
        return name, data
    from envspec.diagnostics import diagnostic

    count = len(source.files)
    why = (
        f"the folder holds {count} {plural}; {fix}" if count else f"the folder holds no {singular}"
    )
    return Converted(diagnostics=(diagnostic("format-source-invalid", why, source.path),))


def read_entry(source: Source, names: tuple[str, ...]) -> tuple[str, str] | Converted:
    """The entry and UTF-8 text of *source*: its one file, or in a folder the first of
    *names* it holds; or the diagnostic that stops the import."""
    from envspec.diagnostics import diagnostic

    if source.is_folder:
        entry = next((n for n in names if n in source.files), None)
        if entry is None:
            why = f"the folder holds no {' or '.join(names)}"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, source.path),))
    else:
        entry = next(iter(source.files))
    try:
        return entry, source.files[entry].decode("utf-8")
    except UnicodeDecodeError as exc:
        why = f"the file is not UTF-8 text (byte {exc.start})"
        where = source.file(entry)
        return Converted(diagnostics=(diagnostic("format-source-invalid", why, where),))
