"""Unpack: an embedded environment back to files, byte for byte, never outside the target folder.

Every name is checked against the closed vocabulary of the document's
version before anything is written; files are created relative to an open
descriptor of the target folder with ``O_NOFOLLOW`` and renamed into place,
so a symbolic link planted in the target folder is replaced, never followed.
Existing files are refused (all of them are listed, nothing is written)
unless ``force``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from envspec.diagnostics import Code, Diagnostic, diagnostic

__all__ = ["UnpackOutcome", "plan_files", "unpack_environment", "unpack_notebook"]


@dataclass(frozen=True, slots=True)
class UnpackOutcome:
    """What unpacking wrote (paths relative to the target folder) and what stopped it."""

    out_dir: str
    written: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether everything was written."""
        return not any(d.severity == "error" for d in self.diagnostics)


def plan_files(
    environment: Mapping[str, Any], *, source: str = "<environment>", pointer: str = ""
) -> tuple[list[tuple[str, bytes, int]], list[Diagnostic]]:
    """``(name, bytes, mode)`` for every embedded file, and the names refused as unsafe."""
    from envspec.versions import classify, parse_env_ver
    from envspec.vocabulary import FILES_0_1, files_for

    legacy = environment.get("env_ver") == "0.1"
    version = parse_env_ver(environment.get("env_ver"))
    newer = version is not None and classify(version)[0] == "newer-minor"
    vocabulary = FILES_0_1 if legacy else files_for(str(version) if version else "1.0")
    items = (
        {k: v for k, v in environment.items() if k in FILES_0_1}
        if legacy
        else dict(environment.get("files") or {})
    )
    plan: list[tuple[str, bytes, int]] = []
    problems: list[Diagnostic] = []
    for name, text in items.items():
        where = (
            f"{pointer}/{name}"
            if legacy
            else f"{pointer}/files/{name.replace('~', '~0').replace('/', '~1')}"
        )
        spec = vocabulary.get(name)
        plain = (
            os.path.basename(name) == name and name not in {"", ".", ".."} and "\x00" not in name
        )
        if spec is None and plain and newer:
            # A later minor may add file names: keep going, and say what was not written.
            problems.append(
                diagnostic(
                    "env-version-newer",
                    f"{name!r} was not unpacked: env_ver {environment.get('env_ver')!r} is "
                    "newer than this tool",
                    source,
                    where,
                )
            )
            continue
        if spec is None or not plain:
            problems.append(
                diagnostic(
                    "unsafe-path",
                    f"{name!r} is not a file name this version defines",
                    source,
                    where,
                )
            )
            continue
        if not isinstance(text, str):
            problems.append(
                diagnostic("wrong-type", f"the contents of {name!r} are not text", source, where)
            )
            continue
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            # A lone surrogate (a JSON escape of half a pair): no UTF-8 text says that.
            problems.append(
                diagnostic(
                    "lone-surrogate",
                    f"{name!r} was not unpacked: it contains a lone surrogate "
                    f"({text[exc.start]!r}), which cannot be written as UTF-8",
                    source,
                    where,
                )
            )
            continue
        plan.append((name, data, 0o755 if spec.executable else 0o644))
    return plan, problems


def unpack_environment(
    environment: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    source: str = "<environment>",
    pointer: str = "",
) -> UnpackOutcome:
    """Write the files of *environment* into *out_dir* (created if missing).

    All or nothing: the files are written to temporary names first and renamed
    into place only when every one of them was written; a failure (a read-only
    folder, a full disk) is a ``write-failed`` diagnostic and leaves no file and
    no folder behind.
    """
    target = os.fspath(out_dir)
    plan, problems = plan_files(environment, source=source, pointer=pointer)
    if any(p.severity == "error" for p in problems):
        return UnpackOutcome(target, (), tuple(problems))
    if os.path.lexists(target) and not os.path.isdir(target):
        return UnpackOutcome(
            target,
            (),
            (
                diagnostic(
                    "file-exists",
                    f"{target!r} exists and is not a folder",
                    target,
                    hint="Give `-o` a folder (a new one is created).",
                ),
            ),
        )
    created = _missing_folders(target)
    succeeded = False
    try:
        os.makedirs(target, exist_ok=True)
        fd = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        _remove_folders(created)
        return UnpackOutcome(target, (), (_write_failed(target, "create the folder", exc),))
    try:
        conflicts: list[Diagnostic] = []
        for name, _, _ in plan:
            where = os.path.join(target, name)
            try:
                info = os.lstat(name, dir_fd=fd)
            except FileNotFoundError:
                continue
            except OSError as exc:
                conflicts.append(_write_failed(where, "write the file", exc))
                continue
            if stat.S_ISDIR(info.st_mode):
                conflicts.append(
                    diagnostic(
                        "file-exists",
                        f"{where!r} is a folder (--force does not replace folders)",
                        where,
                    )
                )
            elif not force:
                kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "a file"
                conflicts.append(
                    diagnostic("file-exists", f"{where!r} already exists ({kind})", where)
                )
        if conflicts:
            return UnpackOutcome(target, (), tuple(conflicts))
        staged: list[tuple[str, str]] = []
        renamed: list[str] = []
        try:
            for name, data, mode in plan:
                staged.append((_stage_in(fd, name, data, mode), name))
            for tmp, name in staged:
                # replaces a link itself, never its target
                os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
                renamed.append(name)
        except OSError as exc:
            for tmp, name in staged:
                if name not in renamed:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp, dir_fd=fd)
            failed = plan[len(staged)][0] if len(staged) < len(plan) else staged[len(renamed)][1]
            found = _write_failed(os.path.join(target, failed), "write the file", exc)
            return UnpackOutcome(target, tuple(renamed), (found,))
        succeeded = True
        return UnpackOutcome(target, tuple(renamed), tuple(problems))
    finally:
        os.close(fd)
        if not succeeded:
            _remove_folders(created)  # those left empty: nothing was written


def _write_failed(where: str, what: str, exc: OSError) -> Diagnostic:
    return diagnostic("write-failed", f"cannot {what}: {exc.strerror or type(exc).__name__}", where)


def _missing_folders(target: str) -> list[str]:
    """The folders :func:`os.makedirs` would create for *target*, deepest first."""
    missing: list[str] = []
    folder = os.path.abspath(target)
    while not os.path.lexists(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return missing


def _remove_folders(folders: list[str]) -> None:
    for folder in folders:  # deepest first; only the empty folders this run created
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _stage_in(fd: int, name: str, data: bytes, mode: int) -> str:
    """Write *data* to a fresh temporary name beside *name*; return that name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    for _ in range(100):  # a fresh random name; O_EXCL never reuses a leftover file
        tmp = f".{name}.envspec-{secrets.token_hex(6)}.tmp"
        try:
            handle = os.open(tmp, flags, 0o600, dir_fd=fd)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name for {name!r}")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
        os.fsync(handle)
        os.fchmod(handle, mode)
    except BaseException:
        os.close(handle)
        os.unlink(tmp, dir_fd=fd)
        raise
    os.close(handle)
    return tmp


def unpack_notebook(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
) -> UnpackOutcome:
    """Unpack the environment of the notebook (or envspec file) at *path* into *out_dir*
    (default: the notebook's folder)."""
    from envspec._readfile import UNEXPECTED_HINT, read_regular, reason
    from envspec.notebook import kind_of, read_document

    name = os.fspath(path)
    target = os.fspath(out_dir) if out_dir is not None else (os.path.dirname(name) or ".")
    try:
        data = read_regular(name)
    except OSError as exc:
        message = f"cannot read the file: {reason(exc)}"
        return UnpackOutcome(target, (), (diagnostic("file-unreadable", message, name),))
    kind = kind_of(name) or "notebook"
    try:
        read = read_document(data, kind)
    except Exception as exc:  # noqa: BLE001 - a limit of the reader is reported, not raised
        message = f"cannot read the file: {reason(exc)}"
        found = diagnostic("file-unreadable", message, name, hint=UNEXPECTED_HINT)
        return UnpackOutcome(target, (), (found,))
    if read.document is None:
        first = read.findings[0]
        return UnpackOutcome(target, (), (diagnostic(first.code, first.message, name),))
    if kind == "notebook":
        env = read.document["metadata"].get("environment")
        pointer = "/metadata/environment"
    else:
        env, pointer = read.document, ""
    if not isinstance(env, dict):
        code: Code = "environment-missing" if env is None else "environment-not-object"
        return UnpackOutcome(
            target, (), (diagnostic(code, "the notebook has no environment object", name, pointer),)
        )
    return unpack_environment(env, target, force=force, source=name, pointer=pointer)
