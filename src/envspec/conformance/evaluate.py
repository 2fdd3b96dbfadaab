"""Running one case: build its requests, prepare its folder, and judge the answers.

Every function here gets a ``send`` callable (one request in, one
:class:`~envspec.conformance.transport.Exchange` out) and returns an
:class:`Outcome`.  Output documents are also checked by behaviour with the
reference validator: what a migrator or packer writes must be valid under the
rules of the version it claims.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from envspec.conformance.cases import AnyCase, MigratorCase, PackerCase, ValidatorCase
from envspec.conformance.matching import match_diagnostics, match_value
from envspec.conformance.transport import Exchange

__all__ = ["NOTEBOOK_NAME", "Outcome", "Send", "Status", "run_case"]

Status = Literal["pass", "fail", "error", "skipped", "unsupported"]
Send = Callable[[dict[str, Any]], Exchange]

#: The name of the notebook the runner writes into a pack case's folder.
NOTEBOOK_NAME = "analysis.ipynb"
#: The placeholder for the commit the runner makes in a pack case with a git fixture.
GIT_COMMIT = "${git.commit}"
_SENTINEL = "outside/victim.txt"


@dataclass(slots=True)
class Outcome:
    """The verdict on one case."""

    status: Status
    details: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


def run_case(case: AnyCase, send: Send, version: str, workdir: Path) -> Outcome:
    """Run *case* (whose env_ver is *version*) in the empty folder *workdir*."""
    exchanges: list[Exchange] = []

    def tracked(message: dict[str, Any]) -> Exchange:
        exchange = send(message)
        exchanges.append(exchange)
        return exchange

    if isinstance(case, ValidatorCase):
        outcome = _validate(case, tracked)
    elif isinstance(case, MigratorCase):
        outcome = _migrate(case, tracked)
    elif case.operation == "pack":
        outcome = _pack(case, tracked, version, workdir)
    else:
        outcome = _unpack(case, tracked, workdir)
    outcome.exchanges = exchanges
    return outcome


class _Stop(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def _result(exchange: Exchange) -> dict[str, Any]:
    """The result of *exchange*, or :class:`_Stop` with the outcome that replaces the case's."""
    if exchange.error is not None:
        raise _Stop(Outcome("error", [exchange.error]))
    answer = exchange.answer or {}
    for kind in ("unsupported", "skipped"):
        if answer.get(kind) is not None:
            reason = answer[kind].get("reason", "")
            raise _Stop(Outcome(kind, [f"the adapter answered {kind}: {reason}"]))
    if answer.get("errored") is not None:
        message = answer["errored"].get("message", "")
        raise _Stop(Outcome("error", [f"the adapter reported an error: {message}"]))
    result: dict[str, Any] = answer["result"]
    return result


def _catching(run: Callable[[], Outcome]) -> Outcome:
    try:
        return run()
    except _Stop as stop:
        return stop.outcome


def _verdict(details: list[str]) -> Outcome:
    return Outcome("fail" if details else "pass", details)


def _reference_errors(document: dict[str, Any], what: str) -> list[str]:
    from envspec.validate import validate_environment

    return [
        f"{what} is not valid: {d.code} at {d.pointer or '/'} ({d.message})"
        for d in validate_environment(document)
        if d.severity == "error"
    ]


# ------------------------------------------------------------------------------ validator


def _validate(case: ValidatorCase, send: Send) -> Outcome:
    def run() -> Outcome:
        text, data = case.input.contents()
        file: dict[str, Any] = {"name": case.input.file}
        if text is not None:
            file["text"] = text
        else:
            file["base64"] = base64.b64encode(data).decode("ascii")
        request: dict[str, Any] = {"op": "validate", "file": file}
        if case.input.require:
            request["require"] = True
        result = _result(send(request))
        details: list[str] = []
        valid = result["valid"]
        reported = result["diagnostics"]
        if valid != case.expect.valid:
            details.append(
                f"expected the file to be {'valid' if case.expect.valid else 'invalid'}, "
                f"the adapter said {'valid' if valid else 'invalid'}"
            )
        errors = [d for d in reported if d.get("severity") == "error"]
        if valid and errors:
            details.append("'valid' is true, yet the adapter reported errors")
        if not valid and not errors:
            details.append("'valid' is false, yet the adapter reported no error")
        details += match_diagnostics(
            case.expect.diagnostics, reported, allow_extra=case.expect.allow_extra
        )
        return _verdict(details)

    return _catching(run)


# ------------------------------------------------------------------------------- migrator


def _migrate(case: MigratorCase, send: Send) -> Outcome:
    def run() -> Outcome:
        source = case.input.document
        target = case.input.to
        request: dict[str, Any] = {"op": "migrate", "document": source, "to": target}
        if case.input.lossy:
            request["lossy"] = True
        result = _result(send(request))
        document = result["document"]
        expect = case.expect
        details = match_diagnostics(
            expect.diagnostics, result["diagnostics"], allow_extra=expect.document is None
        )
        if expect.document is None:
            if document is not None:
                details.insert(0, "expected the migration to be refused, it returned a document")
            return _verdict(details)
        if document is None:
            codes = ", ".join(d.get("code", "?") for d in result["diagnostics"]) or "no reason"
            return Outcome("fail", [f"the migration was refused ({codes})"])
        details += match_value(expect.document, document, allow_extra=expect.allow_extra)
        if document.get("env_ver") != target:
            details.append(
                f"env_ver of the result is {document.get('env_ver')!r}, not the target {target!r}"
            )
        details += _reference_errors(document, "the migrated document")
        again = _result(send({"op": "migrate", "document": document, "to": target}))
        if again["document"] != document:
            details.append("migrating the result again to the same version changed it")
        if expect.round_trip:
            back = _result(send({"op": "migrate", "document": document, "to": source["env_ver"]}))
            if back["document"] is None:
                details.append(f"migrating back to {source['env_ver']!r} was refused")
            else:
                details += [f"round trip: {p}" for p in match_value(source, back["document"])]
        return _verdict(details)

    return _catching(run)


# --------------------------------------------------------------------------------- packer


def _git(folder: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "envspec conformance",
        "GIT_AUTHOR_EMAIL": "conformance@example.invalid",
        "GIT_COMMITTER_NAME": "envspec conformance",
        "GIT_COMMITTER_EMAIL": "conformance@example.invalid",
        "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    }
    out = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


def _plant(folder: Path, case: PackerCase) -> None:
    """Create the case's files, folders and links in *folder*."""
    for name in case.input.folders:
        (folder / name).mkdir(parents=True, exist_ok=True)
    for name, text in case.input.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    for name, target in case.input.symlinks.items():
        os.symlink(target, folder / name)


def _substitute(value: object, commit: str) -> object:
    if value == GIT_COMMIT:
        return commit
    if isinstance(value, dict):
        return {k: _substitute(v, commit) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, commit) for v in value]
    return value


def _pack(case: PackerCase, send: Send, version: str, workdir: Path) -> Outcome:
    def run() -> Outcome:
        root = workdir / "repository"
        fixture = case.input.git
        folder = root / fixture.subdir if fixture and fixture.subdir else root
        folder.mkdir(parents=True)
        _plant(folder, case)
        notebook = {
            "cells": [],
            "metadata": case.input.notebook,
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (folder / NOTEBOOK_NAME).write_text(json.dumps(notebook, indent=1) + "\n", "utf-8")
        commit = ""
        if fixture is not None:
            (root / "README.md").write_text("A repository made by the conformance runner.\n")
            _git(root, "init", "-q")
            _git(root, "remote", "add", "origin", fixture.url)
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "conformance case")
            commit = _git(root, "rev-parse", "HEAD")
            if fixture.dirty:
                (root / "README.md").write_text("An uncommitted change.\n")
        request = {
            "op": "pack",
            "folder": str(folder),
            "notebook": NOTEBOOK_NAME,
            "version": version,
        }
        before = _snapshot_without_git(root)
        result = _result(send(request))
        expect = case.expect
        environment = result["environment"]
        details = match_diagnostics(
            expect.diagnostics, result["diagnostics"], allow_extra=expect.allow_extra
        )
        # The adapter MUST NOT change the folder (conformance.md#protocol-operations).
        details += _changes(before, _snapshot_without_git(root))
        if expect.environment is None:
            if environment is not None:
                details.insert(0, "expected packing to fail, it returned an environment")
            return _verdict(details)
        if environment is None:
            codes = ", ".join(d.get("code", "?") for d in result["diagnostics"]) or "no reason"
            return Outcome("fail", [f"packing failed ({codes})", *details])
        wanted = _substitute(expect.environment, commit)
        details += match_value(wanted, environment, allow_extra=expect.allow_extra)
        details += _reference_errors(environment, "the packed environment")
        return _verdict(details)

    return _catching(run)


def _snapshot_without_git(folder: Path) -> dict[str, bytes | str]:
    """:func:`_snapshot` without the repository's ``.git`` folder (git may refresh it)."""
    return {
        name: data
        for name, data in _snapshot(folder).items()
        if name != ".git" and not name.startswith(".git/")
    }


def _changes(before: dict[str, bytes | str], after: dict[str, bytes | str]) -> list[str]:
    """What packing changed in the folder, which it must not."""
    found = [f"{name}: removed from the folder by pack" for name in before if name not in after]
    found += [f"{name}: written into the folder by pack" for name in after if name not in before]
    found += [
        f"{name}: changed in the folder by pack"
        for name in before
        if name in after and before[name] != after[name]
    ]
    return found


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below *folder*: bytes for files, ``"-> target"`` for links."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[name] = path.read_bytes()
    return found


def _describe_difference(name: str, want: bytes, got: bytes | str) -> str:
    if isinstance(got, str):
        return f"{name}: is a symbolic link ({got}), not a file"
    if got.replace(b"\r\n", b"\n") == want.replace(b"\r\n", b"\n"):
        return f"{name}: line endings were changed"
    if got.startswith(b"\xef\xbb\xbf") and got[3:] == want:
        return f"{name}: a byte order mark was added"
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b:
            return f"{name}: contents differ from byte {i}"
    return f"{name}: {len(got)} bytes written, {len(want)} expected"


def _unpack(case: PackerCase, send: Send, workdir: Path) -> Outcome:
    def run() -> Outcome:
        folder = workdir / "target"
        folder.mkdir()
        outside = workdir / _SENTINEL
        outside.parent.mkdir()
        outside.write_bytes(b"outside the folder: must not change\n")
        _plant(folder, case)
        request: dict[str, Any] = {
            "op": "unpack",
            "environment": case.input.environment,
            "folder": str(folder),
        }
        if case.input.force:
            request["force"] = True
        result = _result(send(request))
        expect = case.expect
        details = match_diagnostics(
            expect.diagnostics, result["diagnostics"], allow_extra=expect.allow_extra
        )
        found = _snapshot(folder)
        wanted = {k: v.encode("utf-8") for k, v in (expect.files or {}).items()}
        for name, data in wanted.items():
            if name not in found:
                details.append(f"{name}: missing from the folder")
            elif found[name] != data:
                details.append(_describe_difference(name, data, found[name]))
        details += [f"{name}: not expected in the folder" for name in found if name not in wanted]
        for name in expect.executable:
            path = folder / name
            mode = path.lstat().st_mode if path.is_file() else 0
            if mode and not mode & stat.S_IXUSR:
                details.append(f"{name}: not executable")
        if outside.read_bytes() != b"outside the folder: must not change\n":
            details.append("a file outside the target folder was changed")
        details += [
            f"{p.relative_to(workdir).as_posix()}: written outside the target folder"
            for p in sorted(workdir.rglob("*"))
            if p.is_file() and not p.is_relative_to(folder) and p != outside
        ]
        return _verdict(details)

    return _catching(run)
