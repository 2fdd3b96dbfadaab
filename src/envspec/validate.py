"""The validation API behind ``envspec validate``: files in, diagnostics out.

>>> from envspec.validate import validate_paths
>>> result = validate_paths(["examples/"])          # doctest: +SKIP
>>> result.ok(strict=False)                         # doctest: +SKIP
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envspec._cache import VerdictCache, default_cache_dir, open_cache, stat_key
from envspec.diagnostics import Diagnostic, Finding, diagnostic, join_pointer
from envspec.notebook import DocumentKind, kind_of, read_document

__all__ = [
    "FileReport",
    "ValidationResult",
    "default_cache_dir",
    "validate_bytes",
    "validate_environment",
    "validate_paths",
]

#: Batches larger than this (in bytes) use the skipping decoder (its import pays off).
FAST_DECODE_THRESHOLD = 8 * 1024 * 1024
#: Batches of at least this many files (and above the threshold) use several processes.
PARALLEL_MIN_FILES = 64
#: What checking one file costs beyond reading and decoding it, in bytes of notebook.
PER_FILE_COST = 100_000
_ENV_POINTER = "/metadata/environment"


@dataclass(frozen=True, slots=True)
class FileReport:
    """The verdict on one file."""

    path: str
    diagnostics: tuple[Diagnostic, ...]
    #: Whether the file carries an environment (``None`` when it could not be read).
    has_environment: bool | None = None

    @property
    def errors(self) -> int:
        """Number of error diagnostics."""
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        """Number of warning diagnostics."""
        return sum(d.severity == "warning" for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The verdicts on every file, in the order they were checked."""

    reports: tuple[FileReport, ...] = field(default_factory=tuple)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic of every file."""
        return [d for report in self.reports for d in report.diagnostics]

    def ok(self, *, strict: bool = False) -> bool:
        """No errors (and, when *strict*, no warnings)."""
        return not any(
            d.severity == "error" or (strict and d.severity == "warning") for d in self.diagnostics
        )


def _diagnostic(finding: Finding, file: str, base: str, text_base: bool) -> Diagnostic:
    pointer = join_pointer(base, finding.path) if (finding.path or text_base) else ""
    return diagnostic(
        finding.code,
        finding.message,
        file,
        pointer,
        line=finding.line,
        column=finding.column,
        hint=finding.hint,
    )


def validate_environment(
    environment: object,
    *,
    kernelspec: object = None,
    file: str = "<environment>",
    pointer: str = "",
) -> list[Diagnostic]:
    """Diagnostics for one decoded environment object (what tools holding a dict call)."""
    from envspec.checks import check_environment

    return [
        _diagnostic(f, file, pointer, True)
        for f in check_environment(environment, kernelspec=kernelspec)
    ]


class _EnvCache:
    """Findings of environments already checked, by their content: the hash of their JSON
    text in the verdict cache (*persistent*), the text itself within one run."""

    def __init__(self, store: dict[str, Any] | None, *, persistent: bool = True) -> None:
        self.store = store
        self.persistent = persistent

    def findings(self, env: object, kernelspec: object) -> list[Finding]:
        from envspec.checks import check_environment

        if self.store is None:
            return check_environment(env, kernelspec=kernelspec)
        key = _json_text([env, kernelspec if isinstance(env, dict) and "kernel" in env else None])
        if self.persistent:
            key = _sha256(key)
        try:
            return [Finding(c, m, tuple(p), ln, col, h) for c, m, p, ln, col, h in self.store[key]]
        except (KeyError, TypeError, ValueError):
            pass  # not cached, or a damaged entry: check again
        findings = check_environment(env, kernelspec=kernelspec)
        self.store[key] = [
            [f.code, f.message, list(f.path), f.line, f.column, f.hint] for f in findings
        ]
        return findings


def _json_text(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def validate_bytes(
    data: bytes,
    name: str,
    *,
    kind: DocumentKind | None = None,
    require: bool = False,
    fast: bool = False,
    _envs: _EnvCache | None = None,
) -> FileReport:
    """The verdict on the contents of one file; *name* is used in locations (and for the kind)."""
    kind = kind or kind_of(name)
    if kind is None:
        return FileReport(
            name,
            (
                _diagnostic(
                    Finding(
                        "unknown-file-type",
                        f"{Path(name).name!r} is not a notebook or envspec file",
                    ),
                    name,
                    "",
                    False,
                ),
            ),
            None,
        )
    read = read_document(data, kind, fast=fast)
    diagnostics = [_diagnostic(f, name, "", False) for f in read.findings]
    if read.document is None:
        return FileReport(name, tuple(diagnostics), None)
    envs = _envs or _EnvCache(None)
    has_env: bool
    if kind == "notebook":
        metadata = read.document["metadata"]
        has_env = "environment" in metadata
        if has_env:
            findings = envs.findings(metadata["environment"], metadata.get("kernelspec"))
            diagnostics += [_diagnostic(f, name, _ENV_POINTER, True) for f in findings]
        elif isinstance(metadata.get("env"), dict):
            diagnostics.append(
                _diagnostic(
                    Finding(
                        "legacy-env-key",
                        "the environment is stored under 'metadata.env'",
                        ("metadata", "env"),
                    ),
                    name,
                    "",
                    False,
                )
            )
            has_env = True
        if not has_env and require:
            diagnostics.append(
                _diagnostic(
                    Finding(
                        "environment-missing",
                        "the notebook has no 'metadata.environment'",
                        ("metadata",),
                    ),
                    name,
                    "",
                    False,
                )
            )
    else:
        has_env = True
        findings = envs.findings(read.document, None)
        diagnostics += [_diagnostic(f, name, "", True) for f in findings]
    return FileReport(name, tuple(diagnostics), has_env)


def validate_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    require: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> ValidationResult:
    """Validate files and folders (walked for ``*.ipynb`` and ``*.envspec.{yaml,yml,json}``).

    With *cache_dir*, verdicts are cached there: a file whose size and times
    are unchanged is not read again, and an environment already checked (by
    the hash of its content) is not checked again.  Large batches of files to
    read are shared among *jobs* processes (default: one per usable core, on
    Linux), which take the files as they go, the biggest first.

    :raises envspec._discover.MissingPath: a path does not exist.
    """
    from envspec._discover import discover
    from envspec._parallel import available_jobs, fork_pull

    unreadable: list[tuple[str, str]] = []
    files = discover(paths, unreadable=unreadable)
    cache = open_cache(cache_dir) if cache_dir is not None else None
    envs = _EnvCache(cache.envs if cache is not None else {}, persistent=cache is not None)
    reports: list[FileReport | None] = [None] * len(files)
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(files))

    # One stat per file gives its size and its verdict-cache key; cached verdicts are
    # taken here, and only the other files are read (in workers when they are many).
    sizes: dict[int, int] = {}
    keys: dict[int, str | None] = {}
    for index, (path, _) in enumerate(files):
        st = _stat(path)
        sizes[index] = st.st_size if st is not None else 0
        key = keys[index] = stat_key(st) if cache is not None and st is not None else None
        if cache is not None and key is not None and kind_of(path) is not None:
            hit = cache.lookup(path, key)
            if hit is not None:
                reports[index] = FileReport(path, *hit)
                cache.fresh.add(os.path.abspath(path))
                advance()
    todo = [i for i, report in enumerate(reports) if report is None]
    fast = sum(sizes[i] for i in todo) > FAST_DECODE_THRESHOLD
    workers = available_jobs(jobs) if fast and len(todo) >= PARALLEL_MIN_FILES else 1

    def work(indices: Iterable[int]) -> list[Any]:
        known_envs = set(cache.envs) if cache is not None else set()
        out: list[Any] = []
        for index in indices:
            path, explicit = files[index]
            report = _validate_one(
                path, explicit, key=keys[index], fast=fast, cache=cache, envs=envs
            )
            out.append(
                [
                    index,
                    _encode_report(report),
                    cache.files.get(os.path.abspath(path)) if cache is not None else None,
                ]
            )
            if workers == 1:
                advance()
        # Environments checked here, for the verdict cache (within one run, each process
        # keeps its own).
        new_envs = (
            {} if cache is None else {k: v for k, v in cache.envs.items() if k not in known_envs}
        )
        return [out, new_envs]

    def collect(results: Iterable[list[Any]]) -> None:
        for out, new_envs in results:
            for index, encoded, record in out:
                reports[index] = _decode_report(encoded)
                if cache is not None and record is not None:
                    where = os.path.abspath(files[index][0])
                    cache.fresh.add(where)
                    if cache.files.get(where) != record:  # a verdict a worker added
                        cache.files[where] = record
                        cache.dirty = True
            if cache is not None and new_envs:
                cache.envs.update(new_envs)
                cache.dirty = True

    if workers == 1:
        collect([work(todo)])
    else:
        _prepare(fast, hashing=cache is not None)
        collect(fork_pull(_parts({i: sizes[i] for i in todo}), workers, work))
        missing = [i for i, report in enumerate(reports) if report is None]
        if missing:  # a worker failed: its files are checked here
            collect([work(missing)])
        if progress is not None:
            progress(len(files), len(files))
    if cache is not None:
        cache.save()
    folders = [_unreadable(folder, f"cannot read the folder: {why}") for folder, why in unreadable]
    return ValidationResult(
        (*folders, *(_apply_require(r, require) for r in reports if r is not None))
    )


def _prepare(fast: bool, *, hashing: bool = False) -> None:
    # What every worker needs, done once before forking rather than once in each.
    from envspec.checks import prepare
    from envspec.notebook import _fast_decoder

    prepare()
    if fast:
        _fast_decoder()
    if hashing:
        import hashlib  # noqa: F401 - the keys of the verdict cache


def _parts(sizes: dict[int, int]) -> list[list[int]]:
    """The files' indices in parts of about equal cost, the costliest files first, so that
    processes taking parts as they go finish together."""
    from envspec._parallel import MAX_PARTS

    costs = {index: size + PER_FILE_COST for index, size in sizes.items()}
    order = sorted(costs, key=lambda i: -costs[i])
    least = sum(costs.values()) / (MAX_PARTS - 2)  # so that there are fewer than MAX_PARTS
    parts: list[list[int]] = []
    part: list[int] = []
    cost = 0
    for index in order:
        part.append(index)
        cost += costs[index]
        if cost >= least:
            parts.append(part)
            part, cost = [], 0
    if part:
        parts.append(part)
    return parts


def _encode_report(report: FileReport) -> list[Any]:
    return [
        report.path,
        report.has_environment,
        [
            [d.code, d.severity, d.message, d.file, d.pointer, d.line, d.column, d.hint]
            for d in report.diagnostics
        ],
    ]


def _decode_report(data: list[Any]) -> FileReport:
    path, has_env, diagnostics = data
    return FileReport(path, tuple(Diagnostic(*d) for d in diagnostics), has_env)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _validate_one(
    path: str,
    explicit: bool,
    *,
    key: str | None,
    fast: bool,
    cache: VerdictCache | None,
    envs: _EnvCache,
) -> FileReport:
    """The verdict on a file not found in the cache (recorded there under *key*)."""
    kind = kind_of(path)
    if kind is None:
        return validate_bytes(b"", path)
    from envspec._readfile import UNEXPECTED_HINT, read_regular, reason

    try:
        data = read_regular(path)
    except OSError as exc:
        return _unreadable(path, f"cannot read the file: {reason(exc)}")
    try:
        report = validate_bytes(data, path, kind=kind, require=False, fast=fast, _envs=envs)
    except Exception as exc:  # noqa: BLE001 - one file the reader or a rule cannot handle
        # never stops the others: it is reported, and the run goes on.
        return _unreadable(path, f"cannot check the file: {reason(exc)}", UNEXPECTED_HINT)
    if cache is not None and key is not None:
        cache.record(path, key, report.diagnostics, report.has_environment)
    return report


def _unreadable(path: str, message: str, hint: str | None = None) -> FileReport:
    finding = Finding("file-unreadable", message, hint=hint)
    return FileReport(path, (_diagnostic(finding, path, "", False),), None)


def _apply_require(report: FileReport, require: bool) -> FileReport:
    if require and report.has_environment is False:
        missing = _diagnostic(
            Finding(
                "environment-missing", "the notebook has no 'metadata.environment'", ("metadata",)
            ),
            report.path,
            "",
            False,
        )
        return FileReport(report.path, (*report.diagnostics, missing), False)
    return report
