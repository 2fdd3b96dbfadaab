"""Pack: the environment files beside a notebook, embedded into its ``metadata.environment``.

Files are collected with repo2docker's rules: a ``binder/`` or ``.binder/``
folder, when present, is the only place read (both present is an error).
Every file of the version's vocabulary found there is embedded with its
exact text; what repo2docker would read but envspec cannot embed is
reported as ignored, with the reason.

Packing never removes what it was not asked to remove: an embedded file that
the folder does not have is kept (and reported), and removed only with
``prune`` (``envspec pack --prune``).  When a file is in both, the folder's
text replaces the embedded one, and the change is reported.

:func:`plan_pack` is pure (a function of the notebook's metadata, the
collected files and the git source); it is the one path of every writer, and
ends with the secret gate of :mod:`envspec.writers`.  Reading folders and
writing notebooks happen at the edges.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from envspec._git import GitSource
from envspec.diagnostics import Code, Diagnostic, diagnostic
from envspec.vocabulary import MEMBERS
from envspec.writers import STOP_CODES, stops_writing

__all__ = [
    "PACK_EXTENSION",
    "STOP_CODES",
    "Collected",
    "FileChanges",
    "PackOutcome",
    "PackPlan",
    "build_environment",
    "collect",
    "folder_key",
    "pack_bytes",
    "pack_paths",
    "plan_pack",
]

#: Files repo2docker reads that an environment cannot carry, and why.
NOT_EMBEDDABLE: Mapping[str, str] = {
    "setup.py": "it installs the repository itself, which does not travel with the notebook",
    "pyproject.toml": "it installs the repository itself, which does not travel with the notebook",
    "DESCRIPTION": "it installs the repository itself (an R package), which stays behind",
    "requirements3.txt": "the legacy Python 2 split is not supported; use requirements.txt",
    "JuliaProject.toml": "use the name Project.toml",
    "REQUIRE": "the obsolete Julia format (repo2docker rejects it too)",
    "setup.sh": "0.1's name for the setup script; rename it to postBuild",
}
_ROOT_ONLY = frozenset({"setup.py", "pyproject.toml", "DESCRIPTION"})
_ORDER = MEMBERS


@dataclass(frozen=True, slots=True)
class Collected:
    """The environment files found for a notebook."""

    #: The folder the files were read from (the notebook's folder, or its binder folder).
    folder: Path
    files: dict[str, str] = field(default_factory=dict)
    #: ``(relative path, reason)`` for every environment-like file that was not embedded.
    ignored: tuple[tuple[str, str], ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


def collect(source_dir: str | os.PathLike[str]) -> Collected:
    """Read the environment files of *source_dir*, following repo2docker's folder rules."""
    from envspec.vocabulary import FILES

    root = Path(source_dir)
    binder = [d for d in ("binder", ".binder") if (root / d).is_dir()]
    if len(binder) == 2:
        return Collected(
            root,
            diagnostics=(
                diagnostic("binder-dir-conflict", "both 'binder/' and '.binder/' exist", str(root)),
            ),
        )
    folder = root / binder[0] if binder else root
    ignored: list[tuple[str, str]] = []
    if binder:
        ignored += [
            (name, f"'{binder[0]}/' takes precedence over the root folder")
            for name in sorted(FILES)
            if (root / name).is_file()
        ]
    files: dict[str, str] = {}
    diagnostics: list[Diagnostic] = []
    for name in FILES:
        path = folder / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            files[name] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            diagnostics.append(
                diagnostic(
                    "not-utf8",
                    f"byte 0x{data[exc.start]:02x} at offset {exc.start} "
                    "is not UTF-8; the file cannot be embedded",
                    str(path),
                )
            )
    for name, reason in NOT_EMBEDDABLE.items():
        # repo2docker reads the "install the repository" files only at the root, and only
        # when there is no binder folder: elsewhere they are not environment inputs at all.
        if name in _ROOT_ONLY and binder:
            continue
        if (folder / name).is_file():
            ignored.append((os.path.relpath(folder / name, root), reason))
    return Collected(folder, files, tuple(ignored), tuple(diagnostics))


#: The extension where pack on save records which embedded files it packed, and from which
#: folder: it removes a file from the environment only when this record says it put it there.
PACK_EXTENSION = "envspec.pack"


@dataclass(frozen=True, slots=True)
class FileChanges:
    """What packing does to the embedded files (names in the order of the environment)."""

    #: In the folder, not embedded before.
    added: tuple[str, ...] = ()
    #: In the folder and embedded before with another text: the folder's text replaces it.
    updated: tuple[str, ...] = ()
    #: Embedded, not in the folder, and kept (a writer removes only what it is asked to).
    kept: tuple[str, ...] = ()
    #: Embedded, not in the folder, and removed (asked with ``prune``, or packed earlier
    #: from this same folder by pack on save).
    removed: tuple[str, ...] = ()


def build_environment(
    existing: Mapping[str, Any] | None,
    metadata: Mapping[str, Any],
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
    prune: bool = False,
) -> dict[str, Any]:
    """The packed environment: files from the folder added or updated, the embedded files
    the folder does not have kept (removed only with *prune*), kernel from the kernelspec,
    the git source; every other field of *existing* (image, python, env, hardware, cloud,
    extensions, provenance) is kept.  An older version is migrated first.
    """
    return _build(existing, metadata, collected, git, image=image, prune=prune)[0]


def _build(
    existing: Mapping[str, Any] | None,
    metadata: Mapping[str, Any],
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
    prune: bool = False,
    owner: str | None = None,
) -> tuple[dict[str, Any], FileChanges]:
    from envspec.migrations import migrate
    from envspec.versions import LATEST

    env: dict[str, Any] = {"env_ver": LATEST}
    if existing:
        if str(existing.get("env_ver", "")).split(".")[0] != LATEST.split(".")[0]:
            existing = migrate(existing, LATEST).document
        env = dict(existing)
    removable: set[str] = set()
    if owner is not None:
        removable = _owned(env, owner)
        _record(env, owner, collected.files)
    old_files = env.get("files", {})
    changes = FileChanges()
    if isinstance(old_files, dict):
        files, changes = _merge(
            old_files,
            collected.files,
            prune=prune,
            removable=removable,
            generated=_locks(env, old_files),
        )
        if files:
            env["files"] = files
        elif changes.removed:
            del env["files"]
    # else: not an object; the validator reports it, and it is kept as it is (nothing of
    # a document is ever dropped because it is malformed).
    kernel = _kernel(metadata)
    if kernel is not None:
        env["kernel"] = kernel
    if git is not None and git.url and git.commit:
        source: dict[str, Any] = {"url": git.url, "commit": git.commit}
        if git.subdir:
            source["subdir"] = git.subdir
        env["git"] = source
        old_git = existing.get("git") if existing else None
        if isinstance(old_git, dict) and {**old_git, "commit": git.commit} == source:
            # Committing a packed notebook moves HEAD: a notebook cannot record the commit
            # that contains it.  The recorded commit is refreshed only when something else
            # changes, so packing (and ``pack --check`` in CI) is stable across commits.
            same_otherwise = {**env, "git": old_git}
            if _ordered(same_otherwise) == dict(existing or {}):
                env["git"] = old_git
    if image is not None:
        ref, _, digest = image.partition("@")
        env["image"] = {"ref": ref, "digest": digest} if digest else {"ref": ref}
    return _ordered(env), changes


def _locks(env: Mapping[str, Any], files: Mapping[str, Any]) -> frozenset[str]:
    """The embedded locks that ``envspec lock`` wrote from the embedded inputs (its record in
    ``extensions["envspec.lock"]`` holds the hash of their text): they come from the
    notebook, not from a folder, so a folder without them neither warns nor prunes them."""
    import hashlib

    extensions = env.get("extensions")
    records = extensions.get("envspec.lock") if isinstance(extensions, dict) else None
    if not isinstance(records, dict):
        return frozenset()
    return frozenset(
        name
        for name, record in records.items()
        if isinstance(record, dict)
        and isinstance(files.get(name), str)
        and record.get("sha256") == hashlib.sha256(files[name].encode("utf-8")).hexdigest()
    )


def _merge(
    old: Mapping[str, Any],
    new: Mapping[str, str],
    *,
    prune: bool,
    removable: set[str],
    generated: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], FileChanges]:
    """The folder's files over the embedded ones; an embedded file the folder does not have
    stays unless *prune* (or it is in *removable*); a lock in *generated* always stays."""
    from envspec.vocabulary import FILES

    added = [n for n in new if n not in old]
    updated = [n for n in new if n in old and old[n] != new[n]]
    missing = [n for n in old if n not in new and n not in generated]
    # A name this version does not know (a newer minor's) is never removed: no folder can
    # hold it for this packer, and readers keep what they do not know (index.md#readers).
    removed = tuple(n for n in missing if n in FILES and (prune or n in removable))
    kept = {n for n in missing if n not in removed}
    # The files stay where they were (no churn in the notebook); new ones follow, in the
    # order of the vocabulary.
    names = [n for n in old if n in new or n in kept or n in generated]
    names += [n for n in FILES if n in new and n not in old]
    merged = {n: new[n] if n in new else old[n] for n in names}

    def ordered(group: Iterable[str]) -> tuple[str, ...]:
        return tuple(n for n in merged if n in group)

    return merged, FileChanges(ordered(added), ordered(updated), ordered(kept), removed)


def folder_key(folder: str | os.PathLike[str]) -> str:
    """An opaque key for *folder* on this machine (not its path): a hash of its real path and
    of its device and inode numbers, so that a notebook moved to another folder or machine
    is not taken for one packed here."""
    import hashlib

    real = os.path.realpath(folder)
    info = os.stat(real)
    text = f"{real}\0{info.st_dev}\0{info.st_ino}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _is_mine(env: Mapping[str, Any], owner: str) -> bool:
    extensions = env.get("extensions")
    record = extensions.get(PACK_EXTENSION) if isinstance(extensions, dict) else None
    return isinstance(record, dict) and record.get("folder") == owner


def _owned(env: Mapping[str, Any], owner: str) -> set[str]:
    """The embedded files the record says were packed from the folder *owner*."""
    if not _is_mine(env, owner):
        return set()
    names = env["extensions"][PACK_EXTENSION].get("files")
    return {n for n in names if isinstance(n, str)} if isinstance(names, list) else set()


def _record(env: dict[str, Any], owner: str, packed: Mapping[str, str]) -> None:
    """Record in *env* the files packed from the folder *owner*.  With none, this folder's
    record goes; another folder's record is left as it is (that notebook was received)."""
    extensions = env.get("extensions", {})
    if not isinstance(extensions, dict):
        return  # not an object: the validator reports it, and nothing of it is lost
    extensions = dict(extensions)
    if packed:
        extensions[PACK_EXTENSION] = {"folder": owner, "files": sorted(packed)}
    elif _is_mine(env, owner):
        extensions.pop(PACK_EXTENSION, None)
    else:
        return
    if extensions:
        env["extensions"] = extensions
    else:
        env.pop("extensions", None)


def _ordered(env: Mapping[str, Any]) -> dict[str, Any]:
    known = {k: env[k] for k in _ORDER if k in env}
    return known | {k: v for k, v in env.items() if k not in known}


def _kernel(metadata: Mapping[str, Any]) -> dict[str, Any] | None:
    spec = metadata.get("kernelspec")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return None
    info = metadata.get("language_info")
    language = spec.get("language") or (info.get("name") if isinstance(info, dict) else None)
    if not isinstance(language, str) or not language:
        return None
    kernel: dict[str, Any] = {"name": spec["name"], "language": language.lower()}
    if isinstance(spec.get("display_name"), str) and spec["display_name"]:
        kernel["display_name"] = spec["display_name"]
    return kernel


def stops_packing(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether *diagnostics* of a packed environment forbid writing it (the codes of
    :data:`envspec.writers.STOP_CODES`: the same gate stops every writer)."""
    return stops_writing(diagnostics)


@dataclass(frozen=True, slots=True)
class PackPlan:
    """What packing a notebook's metadata gives, before anything is written."""

    status: Literal["packed", "unchanged", "failed"]
    #: The environment to write (``None`` when packing failed or was refused).
    environment: dict[str, Any] | None = None
    #: Problems of the packing itself, then the validator's verdict on the packed environment.
    diagnostics: tuple[Diagnostic, ...] = ()
    changes: FileChanges = FileChanges()
    #: Writing was refused by the gate (:mod:`envspec.writers`): the environment would carry
    #: a secret.  ``diagnostics`` say where (never what).
    refused: bool = False


def plan_pack(
    metadata: Mapping[str, Any],
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
    prune: bool = False,
    owner: str | None = None,
    name: str = "<notebook>",
) -> PackPlan:
    """Pack into a notebook's *metadata* (a parsed dict; pure: it is not changed, nothing is
    read or written).  Every writer of this project goes through this, and so through the
    secret gate of :mod:`envspec.writers`.

    Embedded files the folder does not have are kept, with an ``embedded-file-kept`` warning,
    unless *prune*.  With *owner* (a :func:`folder_key`), the plan also keeps a record of the
    files packed from that folder in ``extensions["envspec.pack"]``, and removes an embedded
    file the folder no longer has only when that record says it was packed from there (what
    pack on save does).
    """
    from envspec.diagnostics import escape_pointer
    from envspec.writers import gate

    base = "/metadata/environment"
    if any(d.severity == "error" for d in collected.diagnostics):
        return PackPlan("failed", diagnostics=collected.diagnostics)
    if "environment" not in metadata and isinstance(metadata.get("env"), dict):
        return PackPlan(
            "failed",
            diagnostics=(
                diagnostic(
                    "migration-conflict",
                    "the environment is stored under the legacy 'metadata.env'",
                    name,
                    "/metadata/env",
                    hint="Run `envspec migrate` on the notebook first, then pack.",
                ),
            ),
        )
    existing = metadata.get("environment")
    if existing is not None and not isinstance(existing, dict):
        return PackPlan(
            "failed",
            diagnostics=(
                diagnostic(
                    "environment-not-object", "the environment is not an object", name, base
                ),
            ),
        )
    try:
        env, changes = _build(
            existing, metadata, collected, git, image=image, prune=prune, owner=owner
        )
    except ValueError as exc:  # a migration refused (e.g. mixed versions)
        code: Code = getattr(exc, "code", "migration-conflict")
        return PackPlan("failed", diagnostics=(diagnostic(code, str(exc), name, base),))
    kept = tuple(
        diagnostic(
            "embedded-file-kept",
            f"{file!r} is embedded but not in the folder; it is kept",
            name,
            f"{base}/files/{escape_pointer(file)}",
        )
        for file in changes.kept
    )
    verdict = gate(env, kernelspec=metadata.get("kernelspec"), file=name, pointer=base)
    diagnostics = collected.diagnostics + kept + verdict.diagnostics
    if verdict.refused:
        # The spec: a writer that finds a secret MUST stop, and never copy it into a notebook.
        return PackPlan("failed", env, diagnostics, changes, refused=True)
    status: Literal["packed", "unchanged"] = "unchanged" if env == existing else "packed"
    return PackPlan(status, env, diagnostics, changes)


@dataclass(frozen=True, slots=True)
class PackOutcome:
    """What packing one notebook did (or would do)."""

    path: str
    status: Literal["packed", "unchanged", "failed"]
    before: bytes = b""
    after: bytes | None = None
    environment: dict[str, Any] | None = None
    collected: Collected | None = None
    #: Problems of the packing itself, then the validator's verdict on the packed environment.
    diagnostics: tuple[Diagnostic, ...] = ()
    written: bool = False
    changes: FileChanges = FileChanges()


def pack_bytes(
    data: bytes,
    name: str,
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
    prune: bool = False,
) -> PackOutcome:
    """Pack into the notebook contents *data* (pure: no file is read or written)."""
    from envspec.nbedit import edit_metadata
    from envspec.notebook import read_document

    if any(d.severity == "error" for d in collected.diagnostics):
        return PackOutcome(
            name, "failed", data, collected=collected, diagnostics=collected.diagnostics
        )
    read = read_document(data, "notebook")
    if read.document is None:
        first = read.findings[0]
        return PackOutcome(
            name, "failed", data, diagnostics=(diagnostic(first.code, first.message, name),)
        )
    plan = plan_pack(read.document["metadata"], collected, git, image=image, prune=prune, name=name)
    if plan.status == "failed":
        return PackOutcome(
            name,
            "failed",
            data,
            collected=collected if plan.refused else None,
            diagnostics=plan.diagnostics,
            changes=plan.changes,
        )
    env = plan.environment
    assert env is not None  # noqa: S101 - packed and unchanged plans hold the environment
    if plan.status == "unchanged":
        return PackOutcome(
            name, "unchanged", data, None, env, collected, plan.diagnostics, changes=plan.changes
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    text = edit_metadata(data[3 if bom else 0 :].decode("utf-8"), {"environment": env})
    after = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return PackOutcome(
        name, "packed", data, after, env, collected, plan.diagnostics, changes=plan.changes
    )


def pack_paths(
    notebooks: Iterable[str | os.PathLike[str]],
    *,
    source_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    write: bool = True,
    check_dirty: bool = True,
    prune: bool = False,
) -> list[PackOutcome]:
    """Pack every notebook (files from *source_dir*, default: each notebook's folder).

    Writes atomically unless *write* is false; a failed notebook is never written.
    """
    from envspec._atomic import write_atomic
    from envspec._git import find_source, is_dirty
    from envspec._readfile import UNEXPECTED_HINT, read_regular, reason

    outcomes: list[PackOutcome] = []
    dirty_checked: dict[Path, bool] = {}
    notebooks = list(notebooks)
    # realpath, not resolve(): a symbolic link loop is reported when the notebook is read.
    packing = frozenset(Path(os.path.realpath(p)) for p in notebooks)
    for raw in notebooks:
        path = os.fspath(raw)
        folder = Path(source_dir) if source_dir is not None else Path(os.path.realpath(path)).parent
        try:
            data = read_regular(path)
        except OSError as exc:
            outcomes.append(_unreadable(path, f"cannot read the file: {reason(exc)}"))
            continue
        try:
            git = find_source(Path(os.path.realpath(path)).parent)
            outcome = pack_bytes(data, path, collect(folder), git, image=image, prune=prune)
        except Exception as exc:  # noqa: BLE001 - one notebook that cannot be packed (an
            # unreadable environment file, a reader's limit) never stops the others.
            if isinstance(exc, OSError):
                where = os.fsdecode(exc.filename) if exc.filename else path
                message = f"cannot read the file: {reason(exc)}"
                outcomes.append(_unreadable(path, message, where))
            else:
                message = f"cannot pack the file: {reason(exc)}"
                outcomes.append(_unreadable(path, message, hint=UNEXPECTED_HINT))
            continue
        if git is not None and check_dirty and outcome.status != "failed":
            if git.toplevel not in dirty_checked:
                dirty_checked[git.toplevel] = is_dirty(git.toplevel, ignore=packing)
            if dirty_checked[git.toplevel]:
                warning = diagnostic(
                    "git-dirty",
                    f"the repository {git.toplevel.name!r} has uncommitted "
                    "changes; the recorded commit does not hold them",
                    path,
                    "/metadata/environment/git/commit",
                )
                outcome = replace(outcome, diagnostics=(warning, *outcome.diagnostics))
        if write and outcome.status == "packed" and outcome.after is not None:
            try:
                write_atomic(path, outcome.after)
            except OSError as exc:
                outcome = PackOutcome(
                    path,
                    "failed",
                    data,
                    diagnostics=(
                        diagnostic(
                            "write-failed",
                            f"cannot write the file: {exc.strerror or type(exc).__name__}",
                            path,
                        ),
                    ),
                )
            else:
                outcome = replace(outcome, written=True)
        outcomes.append(outcome)
    return outcomes


def _unreadable(
    path: str, message: str, file: str | None = None, *, hint: str | None = None
) -> PackOutcome:
    found = diagnostic("file-unreadable", message, file or path, hint=hint)
    return PackOutcome(path, "failed", diagnostics=(found,))
