"""Migrating files: notebooks (``metadata.environment``, or the seed's ``metadata.env``) and
standalone envspec files.  Pure on bytes (:func:`migrate_bytes`); :func:`migrate_paths`
adds reading and atomic writing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.migrations import MigrationError, MigrationResult, migrate
from envspec.versions import LATEST, classify, parse_env_ver

__all__ = ["FileMigration", "default_target", "migrate_bytes", "migrate_paths"]

Status = Literal["migrated", "unchanged", "failed"]
_ENV = "/metadata/environment"


@dataclass(frozen=True, slots=True)
class FileMigration:
    """What migrating one file did (or would do)."""

    path: str
    status: Status
    target: str
    source: str | None = None
    before: bytes = b""
    #: The new file contents (``None`` unless the status is ``migrated``).
    after: bytes | None = None
    notes: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    #: Whether the new contents were written to disk.
    written: bool = False


def _fail(
    path: str,
    to: str | None,
    before: bytes,
    code: str,
    message: str,
    pointer: str = _ENV,
    details: tuple[str, ...] = (),
    hint: str | None = None,
    source: str | None = None,
) -> FileMigration:
    if details:
        message = message + ": " + "; ".join(details)
    # A refusal is an error, whatever the code's severity when validate reports it.
    refusal = diagnostic(code, message, path, pointer, hint=hint, severity="error")  # type: ignore[arg-type]
    return FileMigration(path, "failed", to or LATEST, source, before, diagnostics=(refusal,))


def migrate_bytes(
    data: bytes, name: str, *, to: str | None = None, allow_lossy: bool = False
) -> FileMigration:
    """Migrate the environment in the file contents *data* (named *name*) to version *to*
    (default: :func:`default_target`)."""
    from envspec.notebook import kind_of, read_document

    kind = kind_of(name)
    if kind is None:
        return _fail(
            name,
            to,
            data,
            "unknown-file-type",
            f"{os.path.basename(name)!r} is not a notebook or envspec file",
            pointer="",
        )
    read = read_document(data, kind)
    if read.document is None:
        first = read.findings[0]
        return _fail(name, to, data, first.code, first.message, pointer="")
    if kind == "notebook":
        return _migrate_notebook(data, name, read.document["metadata"], to, allow_lossy)
    return _migrate_envfile(data, name, kind, read.document, to, allow_lossy)


def default_target(document: object) -> str:
    """The version a migration writes when none is asked for: a ``1.x`` document keeps its
    version (the writer rules: a writer writes the earliest minor of the newest major that
    holds the document, and keeps a newer minor it reads); any other goes to
    :data:`~envspec.versions.LATEST`."""
    version = parse_env_ver(document.get("env_ver") if isinstance(document, dict) else None)
    if version is not None and version.major == int(LATEST.split(".")[0]):
        status, _ = classify(version)
        if status in {"known", "newer-minor"}:
            return str(version)
    return LATEST


def _run(
    document: dict[str, Any], to: str, allow_lossy: bool
) -> MigrationResult | MigrationError | None:
    """The migration, an error, or ``None`` when there is nothing to do."""
    version = parse_env_ver(document.get("env_ver"))
    if version is not None and str(version) == to:
        return None
    if version is not None:
        status, reader = classify(version)
        if status == "newer-minor" and reader == to:
            return None  # already readable as *to*; rewriting would drop what we do not know
    try:
        return migrate(document, to, allow_lossy=allow_lossy)
    except MigrationError as exc:
        return exc


def _migrate_notebook(
    data: bytes, name: str, metadata: dict[str, Any], to: str | None, allow_lossy: bool
) -> FileMigration:
    from envspec.migrations.v0_1_v1_0 import drop_member_order
    from envspec.nbedit import REMOVE, edit_metadata, sorts_keys

    has_env = "environment" in metadata
    legacy = metadata.get("env")
    if has_env and isinstance(legacy, dict):
        return _fail(
            name,
            to,
            data,
            "migration-conflict",
            "the notebook has both 'metadata.environment' and the legacy 'metadata.env'",
            pointer="/metadata",
            hint="Delete the one that is out of date, then migrate again.",
        )
    if not has_env and not isinstance(legacy, dict):
        return FileMigration(name, "unchanged", to or LATEST, None, data)
    changes: dict[str, Any] = {}
    if has_env:
        document = metadata["environment"]
        if not isinstance(document, dict):
            return _fail(
                name, to, data, "environment-not-object", "the environment is not an object"
            )
    elif isinstance(legacy, dict):
        document = {"env_ver": "0.1", **legacy} if "env_ver" not in legacy else dict(legacy)
        changes["env"] = REMOVE
    to = to or default_target(document)
    outcome = _run(document, to, allow_lossy)
    if outcome is None and not changes:
        return FileMigration(name, "unchanged", to, str(document.get("env_ver")), data)
    if isinstance(outcome, MigrationError):
        pointer = _ENV if has_env else "/metadata/env"
        return _fail(
            name,
            to,
            data,
            outcome.code,
            outcome.message,
            pointer=pointer,
            details=outcome.problems,
            source=str(document.get("env_ver")),
            hint="Pass --lossy to drop them." if outcome.code == "migration-lossy" else None,
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data[3 if bom else 0 :].decode("utf-8")
    new_env = document if outcome is None else outcome.document
    if outcome is not None and sorts_keys(text):
        new_env = drop_member_order(new_env)  # the file sorts keys: the order means nothing
    changes["environment"] = new_env
    new_text = edit_metadata(text, changes)
    expected = {k: v for k, v in metadata.items() if has_env or k != "env"}
    expected["environment"] = new_env
    if json.loads(new_text).get("metadata") != expected:  # a safety net, never expected to trip
        raise AssertionError(
            f"{name}: the edited notebook does not contain the migrated environment"
        )
    notes = list(outcome.notes if outcome else ())
    if not has_env:
        notes.insert(
            0, "'metadata.env' (written by the seed's helper scripts) is now 'metadata.environment'"
        )
    after = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
    return FileMigration(
        name,
        "migrated",
        to,
        outcome.source if outcome else "0.1",
        data,
        after,
        tuple(notes),
        outcome.lost if outcome else (),
    )


def _migrate_envfile(
    data: bytes, name: str, kind: str, document: Any, to: str | None, allow_lossy: bool
) -> FileMigration:
    if not isinstance(document, dict):
        return _fail(
            name, to, data, "environment-not-object", "the environment is not an object", pointer=""
        )
    to = to or default_target(document)
    outcome = _run(document, to, allow_lossy)
    if outcome is None:
        return FileMigration(name, "unchanged", to, str(document.get("env_ver")), data)
    if isinstance(outcome, MigrationError):
        return _fail(
            name,
            to,
            data,
            outcome.code,
            outcome.message,
            pointer="",
            details=outcome.problems,
            source=str(document.get("env_ver")),
            hint="Pass --lossy to drop them." if outcome.code == "migration-lossy" else None,
        )
    if kind == "envfile-json":
        after = (json.dumps(outcome.document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    else:
        from envspec.migrations.yaml_text import dump_yaml

        after = dump_yaml(outcome.document, data.decode("utf-8", "replace"))
    return FileMigration(
        name, "migrated", to, outcome.source, data, after, outcome.notes, outcome.lost
    )


def migrate_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    to: str | None = None,
    allow_lossy: bool = False,
    write: bool = True,
) -> list[FileMigration]:
    """Migrate every notebook and envspec file under *paths*; write changes atomically
    unless *write* is false.  A failed file is never written.
    """
    from envspec._atomic import write_atomic
    from envspec._discover import discover
    from envspec._readfile import UNEXPECTED_HINT, read_regular, reason

    unreadable: list[tuple[str, str]] = []
    files = discover(paths, unreadable=unreadable)
    results: list[FileMigration] = [
        _fail(folder, to, b"", "file-unreadable", f"cannot read the folder: {why}", pointer="")
        for folder, why in unreadable
    ]
    for path, _ in files:
        try:
            data = read_regular(path)
        except OSError as exc:
            results.append(
                _fail(
                    path,
                    to,
                    b"",
                    "file-unreadable",
                    f"cannot read the file: {reason(exc)}",
                    pointer="",
                )
            )
            continue
        try:
            result = migrate_bytes(data, path, to=to, allow_lossy=allow_lossy)
        except Exception as exc:  # noqa: BLE001 - one file that cannot be handled never stops
            # the others: it is reported, and the run goes on.
            message = f"cannot migrate the file: {reason(exc)}"
            results.append(
                _fail(path, to, data, "file-unreadable", message, pointer="", hint=UNEXPECTED_HINT)
            )
            continue
        if write and result.status == "migrated" and result.after is not None:
            try:
                write_atomic(path, result.after)
            except OSError as exc:
                results.append(
                    _fail(
                        path,
                        to,
                        data,
                        "write-failed",
                        f"cannot write the file: {reason(exc)}",
                        pointer="",
                    )
                )
                continue
            result = FileMigration(**{**_fields(result), "written": True})
        results.append(result)
    return results


def _fields(result: FileMigration) -> dict[str, Any]:
    return {name: getattr(result, name) for name in FileMigration.__slots__}
