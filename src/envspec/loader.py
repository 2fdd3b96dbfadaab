"""Loading an environment as the latest model, whatever version it was written in.

>>> from envspec.loader import load_environment
>>> loaded = load_environment({"env_ver": "0.1", "requirements.txt": "numpy\\n"})
>>> loaded.environment.files
{'requirements.txt': 'numpy\\n'}
>>> loaded.source_version, loaded.migrated
('0.1', True)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from envspec.migrations import MigrationResult
    from envspec.models.v1_0 import Environment

__all__ = ["LoadError", "Loaded", "load_environment"]

_ENV = "/metadata/environment"


class LoadError(ValueError):
    """The environment cannot be loaded; ``diagnostics`` says why (errors only)."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        first = diagnostics[0]
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        super().__init__(f"{first.location()}: {first.code}: {first.message}{more}")
        self.diagnostics = diagnostics


@dataclass(frozen=True, slots=True)
class Loaded:
    """An environment read as the latest model, and how it got there."""

    environment: Environment
    #: The ``env_ver`` the document was written in.
    source_version: str
    #: The in-memory migration that was applied (``None`` when none was needed).
    migration: MigrationResult | None
    #: Warnings about the document as written (errors raise :class:`LoadError`).
    diagnostics: tuple[Diagnostic, ...]

    @property
    def migrated(self) -> bool:
        """Whether the document was migrated in memory."""
        return self.migration is not None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the migration did, one line per change."""
        return self.migration.notes if self.migration else ()


def _read(source: str | os.PathLike[str] | bytes) -> tuple[Any, Any, str, str, list[Diagnostic]]:
    """The environment, the kernelspec, the file name, the environment's JSON Pointer in
    the file, and warnings about where the environment is stored."""
    from envspec.notebook import kind_of, read_document

    if isinstance(source, bytes):
        data, name = source, "<bytes>.ipynb"
    else:
        name = os.fspath(source)
        with open(name, "rb") as handle:
            data = handle.read()
    kind = kind_of(name) or "notebook"
    read = read_document(data, kind)
    if read.document is None:
        from envspec.validate import validate_bytes

        found = validate_bytes(data, name, kind=kind).diagnostics
        raise LoadError(tuple(d for d in found if d.severity == "error"))
    if kind == "notebook":
        metadata = read.document["metadata"]
        if "environment" in metadata:
            return metadata["environment"], metadata.get("kernelspec"), name, _ENV, []
        if isinstance(metadata.get("env"), dict):
            env = metadata["env"]
            warning = diagnostic(
                "legacy-env-key",
                "the environment is stored under 'metadata.env'",
                name,
                "/metadata/env",
            )
            document = {"env_ver": "0.1", **env} if "env_ver" not in env else env
            return document, None, name, "/metadata/env", [warning]
        raise LoadError(
            (
                Diagnostic(
                    "environment-missing",
                    "error",
                    "the notebook has no 'metadata.environment'",
                    name,
                    "/metadata",
                ),
            )
        )
    return read.document, None, name, "", []


def load_environment(
    source: str | os.PathLike[str] | bytes | Mapping[str, Any], *, kernelspec: object = None
) -> Loaded:
    """Read an environment (a notebook or envspec file path, notebook bytes, or a decoded
    environment object) of any supported version, as the latest model.

    The document is validated as written; errors raise :class:`LoadError`
    with every diagnostic.  Older versions are migrated in memory.
    """
    from envspec.migrations import MigrationError, migrate
    from envspec.models.v1_0 import Environment
    from envspec.validate import validate_environment
    from envspec.versions import LATEST

    pointer, where = "", list[Diagnostic]()
    if isinstance(source, Mapping):
        document, name = dict(source), "<environment>"
    else:
        document, kernelspec, name, pointer, where = _read(source)
    diagnostics = (
        *where,
        *validate_environment(document, kernelspec=kernelspec, file=name, pointer=pointer),
    )
    errors = tuple(d for d in diagnostics if d.severity == "error")
    if errors:
        raise LoadError(errors)
    version = str(document["env_ver"])
    migration = None
    if version.split(".", maxsplit=1)[0] != LATEST.split(".")[0]:
        try:
            migration = migrate(document, LATEST)
        except MigrationError as exc:
            message = exc.message + (": " + "; ".join(exc.problems) if exc.problems else "")
            refusal = diagnostic(exc.code, message, name, pointer, severity="error")  # type: ignore[arg-type]
            raise LoadError((refusal,)) from exc
        document = migration.document
    model = Environment
    if str(document.get("env_ver")) != "1.0":
        from envspec.models.v1_1 import Environment as Environment11

        model = Environment11  # 1.1 and the later minors read as 1.1 (a subclass of 1.0's)
    environment = model.model_validate(json.loads(json.dumps(document)))
    return Loaded(environment, version, migration, diagnostics)
