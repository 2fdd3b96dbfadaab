"""Running one case: build its requests, prepare its folder, and judge the answers.

Every function here gets a ``send`` callable (one request in, one
:class:`~envspec.conformance.transport.Exchange` out) and returns an
:class:`Outcome`.  Output documents are also checked by behaviour with the
reference validator: what a migrator or packer writes must be valid under the
rules of the version it claims.

Besides each case's expectation, every case of a role is held to what the spec
requires of every answer of that role (``spec/conformance.md#expectations``):

- every reported diagnostic has a code of the registry, with the registry's
  severity (:func:`severity_problems`);
- a migrated document is compared by value, types included, when it is migrated
  again to the same version and back; the values a case leaves open (``$any``)
  are still in the result, by value (:func:`open_values_problems`);
- pack leaves the folder as it was: names, bytes, modes and links
  (:func:`tree_snapshot`); only ``metadata.environment`` of the notebook may change;
- unpack gives the execute permission exactly to the executable names, makes no
  file writable by group or others beyond what the umask allows, and changes
  nothing outside the target folder.
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

from envspec.conformance.cases import (
    AnyCase,
    CloudCase,
    LauncherCase,
    MigratorCase,
    PackerCase,
    PackerExpect,
    SpawnerCase,
    ValidatorCase,
)
from envspec.conformance.matching import is_any, match_diagnostics, match_value
from envspec.conformance.transport import Exchange

__all__ = [
    "NOTEBOOK_NAME",
    "Outcome",
    "Send",
    "Status",
    "open_values_problems",
    "run_case",
    "severity_problems",
    "tree_snapshot",
]

Status = Literal["pass", "fail", "error", "skipped", "unsupported"]
Send = Callable[[dict[str, Any]], Exchange]

#: The name of the notebook the runner writes into a pack case's folder.
NOTEBOOK_NAME = "analysis.ipynb"
#: The placeholder for the commit the runner makes in a pack case with a git fixture.
GIT_COMMIT = "${git.commit}"
_SENTINEL = "outside/victim.txt"
#: Codes whose severity the version documents leave open: 1.0.md#consistency says a
#: validator MAY report a language mismatch or two Python versions as an error.
_EITHER_SEVERITY = frozenset({"kernel-language-mismatch", "python-mismatch"})
#: The names unpacking makes executable (1.0.md#file-names), and only those.
_EXECUTABLE = frozenset({"postBuild", "start"})
#: 0.1 says nothing about permissions: its setup.sh may be executable or not.
_EXECUTABLE_EITHER_0_1 = frozenset({"setup.sh"})


@dataclass(slots=True)
class Outcome:
    """The verdict on one case."""

    status: Status
    details: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)


def run_case(
    case: AnyCase,
    send: Send,
    version: str,
    workdir: Path,
    *,
    support: dict[str, Any] | None = None,
    timeout: float = 10.0,
) -> Outcome:
    """Run *case* (whose env_ver is *version*) in the empty folder *workdir*; *support* is
    the role object of the adapter's hello (a cloud case needs its ``url``), *timeout* the
    longest wait for one answer of a service."""
    exchanges: list[Exchange] = []

    def tracked(message: dict[str, Any]) -> Exchange:
        exchange = send(message)
        exchanges.append(exchange)
        return exchange

    if isinstance(case, ValidatorCase):
        outcome = _validate(case, tracked)
    elif isinstance(case, MigratorCase):
        outcome = _migrate(case, tracked)
    elif isinstance(case, LauncherCase):
        from envspec.conformance.launcher import run_plan

        outcome = run_plan(case, tracked)
    elif isinstance(case, SpawnerCase):
        from envspec.conformance.spawner import run_spawner

        outcome = run_spawner(case, tracked)
    elif isinstance(case, CloudCase):
        from envspec.conformance.cloud import run_cloud

        outcome = run_cloud(case, support or {}, tracked, timeout)
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


def severity_problems(reported: list[dict[str, Any]], *, refusal: bool = False) -> list[str]:
    """Reported diagnostics whose code is not in the registry, or whose severity is not the
    registry's.  In a refusal (*refusal*: a migration that returned no document) the reasons
    may also be reported as errors."""
    from envspec._codes import CODES

    registry: dict[str, Any] = {str(k): v for k, v in CODES.items()}
    problems: list[str] = []
    for item in reported:
        code, severity = item.get("code"), item.get("severity")
        where = f"{code!r} at {item.get('pointer')!r}"
        info = registry.get(code) if isinstance(code, str) else None
        if info is None:
            problems.append(f"{where}: not a code of the diagnostics registry")
        elif severity != info.severity and code not in _EITHER_SEVERITY:
            if refusal and severity == "error":
                continue
            problems.append(
                f"{where}: reported as {severity!r}, the registry's severity is {info.severity!r}"
            )
    return problems


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
        details += severity_problems(reported)
        return _verdict(details)

    return _catching(run)


# ------------------------------------------------------------------------------- migrator


def _leaf_key(value: object) -> tuple[str, object]:
    """A scalar's identity by value: ``1`` and ``1.0`` are one number, ``true`` is not ``1``,
    ``"1"`` is not ``1``."""
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("string", value)


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def _open_parts(expected: object, actual: object) -> tuple[list[object], list[object]]:
    """``(leaves of the expectation, values of *actual* where the expectation says $any)``."""
    if is_any(expected):
        return [], [actual]
    if isinstance(expected, dict):
        fixed: list[object] = []
        opened: list[object] = []
        for key, value in expected.items():
            inner = actual.get(key) if isinstance(actual, dict) else None
            f, o = _open_parts(value, inner)
            fixed += f
            opened += o
        return fixed, opened
    if isinstance(expected, list):
        fixed, opened = [], []
        for i, value in enumerate(expected):
            inner = actual[i] if isinstance(actual, list) and i < len(actual) else None
            f, o = _open_parts(value, inner)
            fixed += f
            opened += o
        return fixed, opened
    return [expected], []


def open_values_problems(expected: object, source: object, actual: object) -> list[str]:
    """Values of *source* that a case leaves open must still be in *actual*, by value.

    Where an expectation says ``{"$any": true}`` (say ``extensions``, whose layout is the
    implementation's choice), every value of the source that the expectation does not
    place elsewhere (as itself, or as its JSON text: a 0.1 ``cloud_ver`` of ``0.3`` becomes
    ``"0.3"``) must be found below the members the wildcards stand for, with its type:
    kept, not dropped and not rewritten (``2020`` is not ``"2020"``)."""
    fixed, opened = _open_parts(expected, actual)
    if not opened:
        return []
    placed = {_leaf_key(v) for v in fixed}
    found = {_leaf_key(v) for part in opened for v in _leaves(part)}
    return [
        f"the value {_show(value)} of the input is not kept (by value) where the case leaves "
        "the layout open"
        for value in _leaves(source)
        if _leaf_key(value) not in found
        and _leaf_key(value) not in placed
        and ("string", _show(value)) not in placed  # mapped to its JSON text (0.3 -> "0.3")
    ]


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


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
        details += severity_problems(result["diagnostics"], refusal=document is None)
        if expect.document is None:
            if document is not None:
                details.insert(0, "expected the migration to be refused, it returned a document")
            return _verdict(details)
        if document is None:
            codes = ", ".join(d.get("code", "?") for d in result["diagnostics"]) or "no reason"
            return Outcome("fail", [f"the migration was refused ({codes})"])
        details += match_value(expect.document, document, allow_extra=expect.allow_extra)
        if not case.input.lossy:
            details += open_values_problems(expect.document, source, document)
        if document.get("env_ver") != target:
            details.append(
                f"env_ver of the result is {document.get('env_ver')!r}, not the target {target!r}"
            )
        details += _reference_errors(document, "the migrated document")
        again = _result(send({"op": "migrate", "document": document, "to": target}))
        if again["document"] is None:
            details.append("migrating the result again to the same version was refused")
        else:
            details += [
                f"migrating the result again to the same version changed it: {p}"
                for p in match_value(document, again["document"])
            ]
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
        before = tree_snapshot(workdir)
        result = _result(send(request))
        expect = case.expect
        environment = result["environment"]
        details = match_diagnostics(
            expect.diagnostics, result["diagnostics"], allow_extra=expect.allow_extra
        )
        details += severity_problems(result["diagnostics"])
        notebook_name = (folder / NOTEBOOK_NAME).relative_to(workdir).as_posix()
        details += _pack_changes(before, tree_snapshot(workdir), notebook_name, environment)
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


#: One entry of a folder: its kind, its permission bits, and its bytes (a file) or target
#: (a link).
Entry = tuple[Literal["file", "link", "folder", "other"], int, bytes | str | None]


def tree_snapshot(root: Path) -> dict[str, Entry]:
    """Every entry below *root* (links not followed), by relative name; a ``.git`` folder
    is left out (git may refresh its own index while reading the repository)."""
    found: dict[str, Entry] = {}
    for top, folders, names in os.walk(root):
        folders[:] = sorted(d for d in folders if d != ".git")
        here = Path(top)
        for name in sorted([*folders, *names]):
            path = here / name
            key = path.relative_to(root).as_posix()
            info = path.lstat()
            mode = stat.S_IMODE(info.st_mode)
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[key] = ("folder", mode, None)
            elif stat.S_ISREG(info.st_mode):
                found[key] = ("file", mode, path.read_bytes())
            else:
                found[key] = ("other", mode, None)
    return found


def _changes(before: dict[str, Entry], after: dict[str, Entry]) -> dict[str, str]:
    """What happened to each entry that differs: name -> a short description."""
    changes: dict[str, str] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            changes[name] = f"created ({new[0] if new else '?'})"
        elif new is None:
            changes[name] = f"removed ({old[0]})"
        elif old[0] != new[0]:
            changes[name] = f"a {old[0]} was replaced by a {new[0]}"
        elif old[2] != new[2]:
            changes[name] = "link target changed" if old[0] == "link" else "contents changed"
        else:
            changes[name] = f"mode changed from {old[1]:04o} to {new[1]:04o}"
    return changes


def _without_environment(data: bytes | str | None) -> object:
    if not isinstance(data, bytes):
        return None
    try:
        notebook = json.loads(data)
    except ValueError:
        return None
    if isinstance(notebook, dict) and isinstance(notebook.get("metadata"), dict):
        return {**notebook, "metadata": {**notebook["metadata"], "environment": None}}
    return notebook


def _pack_changes(
    before: dict[str, Entry], after: dict[str, Entry], notebook: str, environment: object
) -> list[str]:
    """The folder must be as it was; the notebook may only get its environment written."""
    changes = _changes(before, after)
    problems: list[str] = []
    change = changes.pop(notebook, None)
    if change == "contents changed":
        old, new = before[notebook][2], after[notebook][2]
        if _without_environment(old) != _without_environment(new):
            problems.append(
                f"{notebook}: changed beyond metadata.environment (pack must not change the folder)"
            )
        else:
            written = json.loads(new or b"{}")["metadata"].get("environment")
            if environment is not None and match_value(environment, written):
                problems.append(f"{notebook}: an environment other than the answer was written")
    elif change is not None:
        problems.append(f"{notebook}: {change} (pack must not change the folder)")
    problems += [
        f"{name}: {what} (pack must not change the folder)" for name, what in changes.items()
    ]
    return problems


def _umask() -> int:
    """The umask of this process (which a child adapter inherits), read without changing it
    where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_problems(
    case: PackerCase, before: dict[str, Entry], after: dict[str, Entry]
) -> list[str]:
    """Permissions of what unpack wrote: execute bits exactly on the executable names,
    nothing writable by group or others beyond the umask, no special bits; files that are
    not the environment's keep their modes."""
    environment = case.input.environment or {}
    legacy = environment.get("env_ver") == "0.1"
    files = environment.get("files")
    embedded = (
        set(environment) - {"env_ver"}
        if legacy
        else set(files)
        if isinstance(files, dict)
        else set()
    )
    umask = _umask()
    problems: list[str] = []
    for name, what in _changes(before, after).items():
        entry = after.get(name)
        if entry is None or entry[0] != "file":
            continue
        mode = entry[1]
        if name not in embedded:
            if what.startswith("mode changed"):
                problems.append(f"{name}: {what}, but it is not a file of the environment")
            continue
        if mode & 0o7000:
            problems.append(f"{name}: written with special bits (mode {mode:04o})")
        if not legacy and name in _EXECUTABLE:
            if not mode & stat.S_IXUSR:
                problems.append(f"{name}: not executable (mode {mode:04o})")
        elif not (legacy and name in _EXECUTABLE_EITHER_0_1) and mode & 0o111:
            problems.append(
                f"{name}: executable (mode {mode:04o}), but only postBuild and start may be"
            )
        if mode & 0o022 & umask:
            problems.append(
                f"{name}: writable by group or others (mode {mode:04o}) beyond what the umask "
                f"{umask:04o} allows"
            )
    return problems


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


def _unpack_expectation(
    expect: PackerExpect, found: dict[str, bytes | str], folder: Path, reported: list[Any]
) -> list[str]:
    """How the folder and the diagnostics differ from *expect* (or from its alternative,
    when that one is met)."""
    details = match_diagnostics(expect.diagnostics, reported, allow_extra=expect.allow_extra)
    wanted = {k: v.encode("utf-8") for k, v in (expect.files or {}).items()}
    for name, data in wanted.items():
        if name not in found:
            details.append(f"{name}: missing from the folder")
        elif found[name] != data:
            details.append(_describe_difference(name, data, found[name]))
    for name, target in expect.symlinks.items():
        if found.get(name) != f"-> {target}":
            details.append(f"{name}: expected to stay a symbolic link to {target!r}")
    details += [
        f"{name}: not expected in the folder"
        for name in found
        if name not in wanted and name not in expect.symlinks
    ]
    for name in expect.executable:
        path = folder / name
        mode = path.lstat().st_mode if path.is_file() else 0
        if mode and not mode & stat.S_IXUSR:
            details.append(f"{name}: not executable")
    if details and expect.alternative is not None:
        other = _unpack_expectation(expect.alternative, found, folder, reported)
        if not other:
            return []
        details += [f"(nor the other allowed outcome: {d})" for d in other]
    return details


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
        before = tree_snapshot(workdir)
        result = _result(send(request))
        after = tree_snapshot(workdir)
        expect = case.expect
        found = _snapshot(folder)
        details = _unpack_expectation(expect, found, folder, result["diagnostics"])
        details += severity_problems(result["diagnostics"])
        inside = f"{folder.name}/"
        details += _mode_problems(
            case,
            {k[len(inside) :]: v for k, v in before.items() if k.startswith(inside)},
            {k[len(inside) :]: v for k, v in after.items() if k.startswith(inside)},
        )
        outside_changes = _changes(
            {k: v for k, v in before.items() if k != folder.name and not k.startswith(inside)},
            {k: v for k, v in after.items() if k != folder.name and not k.startswith(inside)},
        )
        details += [
            f"{name}: {what} outside the target folder" for name, what in outside_changes.items()
        ]
        return _verdict(details)

    return _catching(run)
