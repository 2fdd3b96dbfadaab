"""``envspec lock``: the exact packages of an environment, embedded beside its inputs.

- pip: ``requirements.txt`` is resolved by uv into a PEP 751 ``pylock.toml``
  (:mod:`envspec.lock.pip`);
- conda: ``environment.yml`` is solved by rattler into a ``pixi.lock``
  (:mod:`envspec.lock.conda`), a file name of ``env_ver`` 1.1.

Both are embedded in ``metadata.environment.files``, and what each was resolved from is
recorded in ``extensions["envspec.lock"]``, so that :func:`check_lock` can tell, without
network, whether a lock still matches its inputs.  Only ``metadata.environment`` changes,
atomically, and every write goes through the secret gate of :mod:`envspec.writers`.
Index options and channels come from the caller (the command line), never from the
notebook.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.lock.pip import Difference, IndexOptions

__all__ = [
    "EXTENSION",
    "Difference",
    "IndexOptions",
    "LockOptions",
    "LockOutcome",
    "check_lock",
    "lock_bytes",
    "lock_environment",
    "lock_path",
]

#: The extension key that records what each lock was resolved from.
EXTENSION = "envspec.lock"
_BASE = "/metadata/environment"
_CONDA_NAMES = ("environment.yml", "environment.yaml")


@dataclass(frozen=True, slots=True)
class LockOptions:
    """How to lock: from the command line, never from the notebook."""

    index: IndexOptions = field(default_factory=IndexOptions)
    #: The Python version to resolve for (default: the environment's ``python``).
    python: str | None = None
    #: Conda channels, replacing those of ``environment.yml``.
    channels: tuple[str, ...] | None = None
    #: Conda platforms to solve for (default: this machine's).
    platforms: tuple[str, ...] = ()
    #: Resolve again even when the embedded lock is current.
    upgrade: bool = False


@dataclass(frozen=True, slots=True)
class LockOutcome:
    """What locking (or checking) one notebook did."""

    path: str
    status: Literal["locked", "unchanged", "outdated", "failed"]
    before: bytes = b""
    after: bytes | None = None
    environment: dict[str, Any] | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    #: One line per lock: what was locked, or that it was current.
    notes: tuple[str, ...] = ()
    written: bool = False


def _records(env: Mapping[str, Any]) -> dict[str, Any]:
    extensions = env.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get(EXTENSION), dict):
        return dict(extensions[EXTENSION])
    return {}


def _python(env: Mapping[str, Any], options: LockOptions) -> str | None:
    value = options.python or env.get("python")
    return value if isinstance(value, str) else None


def check_lock(env: Mapping[str, Any], options: LockOptions | None = None) -> list[Difference]:
    """How the embedded locks of *env* differ from their inputs (empty: current).  Pure,
    no network."""
    from envspec.lock import conda, pip

    options = options or LockOptions()
    files = env.get("files")
    files = files if isinstance(files, dict) else {}
    records = _records(env)
    out = pip.check(files, records.get("pylock.toml"), _python(env, options))
    conda_name = next((n for n in _CONDA_NAMES if n in files), None)
    if conda_name is not None:
        out += conda.check(
            files[conda_name], files.get(conda.LOCK_NAME), records.get(conda.LOCK_NAME), options
        )
    return out


class LockError(ValueError):
    """An environment cannot be locked; ``code`` is a diagnostic code."""

    def __init__(self, code: Any, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def lock_environment(
    env: Mapping[str, Any], options: LockOptions | None = None
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The environment with its locks embedded and recorded, and one note per lock.

    Locks that are current are kept as they are (no resolution, no network) unless
    ``options.upgrade``.

    :raises LockError: nothing to lock, or a resolver failed (``lock-failed``).
    """
    from envspec.lock import conda, pip

    options = options or LockOptions()
    files = env.get("files")
    files = dict(files) if isinstance(files, dict) else {}
    conda_name = next((n for n in _CONDA_NAMES if n in files), None)
    if "requirements.txt" not in files and conda_name is None:
        raise LockError(
            "lock-no-inputs",
            "nothing to lock: the environment embeds neither requirements.txt nor environment.yml",
            "Embed the inputs first (`envspec pack`), then lock.",
        )
    records = _records(env)
    notes: list[str] = []
    new = dict(env)
    python = _python(env, options)
    if "requirements.txt" in files:
        current = pip.check(files, records.get("pylock.toml"), python)
        if current or options.upgrade or "pylock.toml" not in files:
            _refuse_invalid_requirements(files["requirements.txt"])
            inputs = pip.inputs_of(files["requirements.txt"], python)
            try:
                text = pip.compile_pylock(inputs, options.index)
            except pip.ResolveError as exc:
                raise LockError(
                    "lock-failed",
                    f"requirements.txt cannot be locked: {exc}",
                    "Change the requirement that cannot be met, or give the index that has "
                    "it (--index-url, --find-links).",
                ) from None
            files["pylock.toml"] = text
            records["pylock.toml"] = pip.record_of(inputs, text)
            count = len(pip.locked_versions(text))
            notes.append(f"pylock.toml: {count} package{'s' * (count != 1)} locked")
            notes += [f"requirements.txt: ignored option {o}" for o in inputs.ignored]
        else:
            notes.append("pylock.toml: up to date")
    if conda_name is not None:
        current_conda = conda.check(
            files[conda_name], files.get(conda.LOCK_NAME), records.get(conda.LOCK_NAME), options
        )
        if current_conda or options.upgrade or conda.LOCK_NAME not in files:
            try:
                text, record, count = conda.solve_lock(files[conda_name], options)
            except conda.SolveError as exc:
                raise LockError(
                    "lock-failed",
                    f"{conda_name} cannot be locked: {exc}",
                    "Change the spec that cannot be met, or give the channel that has it "
                    "(--channel).",
                ) from None
            files[conda.LOCK_NAME] = text
            records[conda.LOCK_NAME] = record
            notes.append(f"{conda.LOCK_NAME}: {count} package{'s' * (count != 1)} locked")
            if conda.inputs_of(files[conda_name], (), ("noarch",)).has_pip:
                notes.append(f"{conda_name}: the pip: part is not in {conda.LOCK_NAME}")
            new["env_ver"] = _with_lock_version(str(env.get("env_ver", "1.0")), files)
        else:
            notes.append(f"{conda.LOCK_NAME}: up to date")
    new["files"] = files
    extensions = dict(env.get("extensions") or {})
    extensions[EXTENSION] = records
    new["extensions"] = extensions
    return _ordered(new), tuple(notes)


def _refuse_invalid_requirements(text: str) -> None:
    """A requirements.txt the validator rejects is not resolved: a local path in it would
    have the resolver read (and build) whatever is at that path on this machine."""
    from envspec._codes import CODES
    from envspec.checks.requirements import check_requirements

    for finding in check_requirements(text, ("files", "requirements.txt")):
        if CODES[finding.code].severity == "error":
            where = f" (line {finding.line})" if finding.line else ""
            raise LockError(
                "lock-failed",
                f"requirements.txt cannot be locked: {finding.message}{where}",
                "Fix the file first: `envspec validate` shows every problem.",
            )


def _with_lock_version(env_ver: str, files: Mapping[str, Any]) -> str:
    """The version of a document that gains *files*: ``pixi.lock`` is a file name of 1.1, so
    a 1.0 document becomes 1.1 (the earliest minor that holds it); a later minor keeps its
    version (spec/1.1.md#writers)."""
    from envspec.versions import parse_env_ver
    from envspec.vocabulary import version_needed

    version, needed = parse_env_ver(env_ver), parse_env_ver(version_needed(dict(files)))
    if version is not None and needed is not None and version < needed:
        return str(needed)
    return env_ver


def _ordered(env: Mapping[str, Any]) -> dict[str, Any]:
    from envspec.vocabulary import MEMBERS

    known = [m for m in MEMBERS if m in env]
    return {**{m: env[m] for m in known}, **{k: v for k, v in env.items() if k not in known}}


def lock_bytes(
    data: bytes, name: str, options: LockOptions | None = None, *, check: bool = False
) -> LockOutcome:
    """Lock (or, with *check*, check) the notebook contents *data*.  Nothing is written."""
    from envspec.nbedit import edit_metadata
    from envspec.notebook import read_document
    from envspec.versions import parse_env_ver
    from envspec.writers import gate

    options = options or LockOptions()
    read = read_document(data, "notebook")
    if read.document is None:
        first = read.findings[0]
        return LockOutcome(
            name, "failed", data, diagnostics=(diagnostic(first.code, first.message, name),)
        )
    metadata = read.document["metadata"]
    env = metadata.get("environment")
    if not isinstance(env, dict):
        found = diagnostic(
            "lock-no-inputs",
            "the notebook has no environment to lock",
            name,
            "/metadata",
            hint="Embed the environment files first (`envspec pack`), then lock.",
        )
        return LockOutcome(name, "failed", data, diagnostics=(found,))
    version = parse_env_ver(env.get("env_ver"))
    if version is None or version.major != 1:
        found = diagnostic(
            "env-version-unsupported",
            f"lock writes 1.x documents, and this one is env_ver {env.get('env_ver')!r}",
            name,
            f"{_BASE}/env_ver",
            hint="Run `envspec migrate` on the notebook first, then lock.",
        )
        return LockOutcome(name, "failed", data, diagnostics=(found,))
    if check:
        differences = check_lock(env, options)
        if not differences and not _has_inputs(env):
            differences = [Difference("(none)", "nothing to lock")]
        found_all = tuple(
            diagnostic(
                "lock-outdated",
                f"{d.file}: {d.what}",
                name,
                f"{_BASE}/files/{d.file}" if d.file != "(none)" else f"{_BASE}/files",
            )
            for d in differences
        )
        status: Literal["unchanged", "outdated"] = "outdated" if found_all else "unchanged"
        return LockOutcome(name, status, data, None, env, found_all)
    try:
        new, notes = lock_environment(env, options)
    except LockError as exc:
        found = diagnostic(exc.code, exc.message, name, f"{_BASE}/files", hint=exc.hint)
        return LockOutcome(name, "failed", data, diagnostics=(found,))
    verdict = gate(new, kernelspec=metadata.get("kernelspec"), file=name, pointer=_BASE)
    if verdict.refused:
        return LockOutcome(name, "failed", data, None, new, verdict.stops, notes)
    if new == env:
        return LockOutcome(name, "unchanged", data, None, env, (), notes)
    bom = data.startswith(b"\xef\xbb\xbf")
    text = edit_metadata(data[3 if bom else 0 :].decode("utf-8"), {"environment": new})
    after = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    return LockOutcome(name, "locked", data, after, new, (), notes)


def _has_inputs(env: Mapping[str, Any]) -> bool:
    files = env.get("files")
    return isinstance(files, dict) and any(n in files for n in ("requirements.txt", *_CONDA_NAMES))


def lock_path(
    path: str | os.PathLike[str],
    options: LockOptions | None = None,
    *,
    check: bool = False,
    write: bool = True,
) -> LockOutcome:
    """Lock the notebook at *path* (written atomically unless *write* is false or *check*)."""
    from envspec._atomic import write_atomic
    from envspec._readfile import read_regular, reason

    name = os.fspath(path)
    try:
        data = read_regular(name)
    except OSError as exc:
        found = diagnostic("file-unreadable", f"cannot read the file: {reason(exc)}", name)
        return LockOutcome(name, "failed", diagnostics=(found,))
    outcome = lock_bytes(data, name, options, check=check)
    if write and not check and outcome.status == "locked" and outcome.after is not None:
        try:
            write_atomic(name, outcome.after)
        except OSError as exc:
            why = f"cannot write the file: {exc.strerror or type(exc).__name__}"
            return LockOutcome(
                name, "failed", data, diagnostics=(diagnostic("write-failed", why, name),)
            )
        outcome = replace(outcome, written=True)
    return outcome
