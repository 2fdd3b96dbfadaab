"""Pack: the environment files beside a notebook, embedded into its ``metadata.environment``.

Files are collected with repo2docker's rules: a ``binder/`` or ``.binder/``
folder, when present, is the only place read (both present is an error).
Every file of the version's vocabulary found there is embedded with its
exact text; what repo2docker would read but envspec cannot embed is
reported as ignored, with the reason.

:func:`build_environment` is pure (a function of the old environment, the
notebook's kernelspec, the collected files and the git source); reading
folders and writing notebooks happen at the edges.
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

__all__ = ["Collected", "PackOutcome", "build_environment", "collect", "pack_bytes", "pack_paths"]

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


def build_environment(
    existing: Mapping[str, Any] | None,
    metadata: Mapping[str, Any],
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
) -> dict[str, Any]:
    """The packed environment: files from the folder, kernel from the kernelspec, the git
    source; every other field of *existing* (image, python, env, hardware, cloud,
    extensions, provenance) is kept.  An older version is migrated first.
    """
    from envspec.migrations import migrate
    from envspec.versions import LATEST

    env: dict[str, Any] = {"env_ver": LATEST}
    if existing:
        if str(existing.get("env_ver", "")).split(".")[0] != LATEST.split(".")[0]:
            existing = migrate(existing, LATEST).document
        env = dict(existing)
    if collected.files:
        # Names this version does not know (a newer minor's) cannot come from the folder:
        # they are kept as they are (index.md#readers, rule 3).
        from envspec.vocabulary import FILES

        old = env.get("files")
        unknown = {k: v for k, v in old.items() if k not in FILES} if isinstance(old, dict) else {}
        env["files"] = dict(collected.files) | unknown
    # With no file in the folder, the embedded files stay: a notebook received from someone
    # else (and saved with pack-on-save switched on) must not lose its environment.
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
    return _ordered(env)


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


#: Codes that stop packing: the environment would carry a secret (1.0.md#security-secrets).
STOP_CODES: frozenset[str] = frozenset({"secret", "url-credentials"})


def stops_packing(diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether *diagnostics* of a packed environment forbid writing it."""
    return any(d.code in STOP_CODES and d.severity == "error" for d in diagnostics)


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


def pack_bytes(
    data: bytes,
    name: str,
    collected: Collected,
    git: GitSource | None,
    *,
    image: str | None = None,
) -> PackOutcome:
    """Pack into the notebook contents *data* (pure: no file is read or written)."""
    from envspec.nbedit import edit_metadata
    from envspec.notebook import read_document
    from envspec.validate import validate_environment

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
    metadata = read.document["metadata"]
    if "environment" not in metadata and isinstance(metadata.get("env"), dict):
        return PackOutcome(
            name,
            "failed",
            data,
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
        return PackOutcome(
            name,
            "failed",
            data,
            diagnostics=(
                diagnostic(
                    "environment-not-object",
                    "the environment is not an object",
                    name,
                    "/metadata/environment",
                ),
            ),
        )
    try:
        env = build_environment(existing, metadata, collected, git, image=image)
    except ValueError as exc:  # a migration refused (e.g. mixed versions)
        code: Code = getattr(exc, "code", "migration-conflict")
        return PackOutcome(
            name,
            "failed",
            data,
            diagnostics=(diagnostic(code, str(exc), name, "/metadata/environment"),),
        )
    verdict = tuple(
        validate_environment(
            env, kernelspec=metadata.get("kernelspec"), file=name, pointer="/metadata/environment"
        )
    )
    diagnostics = collected.diagnostics + verdict
    if stops_packing(verdict):
        # The spec: a packer that finds a secret MUST stop, and never copy it into a notebook.
        return PackOutcome(name, "failed", data, collected=collected, diagnostics=diagnostics)
    if env == existing:
        return PackOutcome(name, "unchanged", data, None, env, collected, diagnostics)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = edit_metadata(data[3 if bom else 0 :].decode("utf-8"), {"environment": env})
    after = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return PackOutcome(name, "packed", data, after, env, collected, diagnostics)


def pack_paths(
    notebooks: Iterable[str | os.PathLike[str]],
    *,
    source_dir: str | os.PathLike[str] | None = None,
    image: str | None = None,
    write: bool = True,
    check_dirty: bool = True,
) -> list[PackOutcome]:
    """Pack every notebook (files from *source_dir*, default: each notebook's folder).

    Writes atomically unless *write* is false; a failed notebook is never written.
    """
    from envspec._atomic import write_atomic
    from envspec._git import find_source, is_dirty

    outcomes: list[PackOutcome] = []
    dirty_checked: dict[Path, bool] = {}
    notebooks = list(notebooks)
    packing = frozenset(Path(os.fspath(p)).resolve() for p in notebooks)
    for raw in notebooks:
        path = os.fspath(raw)
        folder = Path(source_dir) if source_dir is not None else Path(path).resolve().parent
        with open(path, "rb") as handle:
            data = handle.read()
        git = find_source(Path(path).resolve().parent)
        outcome = pack_bytes(data, path, collect(folder), git, image=image)
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
