"""Diagnostics are data: a closed registry of stable codes, and the record of one finding.

Rules emit bare :class:`Finding` objects (a code, a message, a location
relative to what the rule looked at); the engine turns them into
:class:`Diagnostic` objects by attaching the file and the absolute JSON
Pointer.  Every code is documented once, in :mod:`envspec._codes`, with an
example that a test runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Code",
    "CodeInfo",
    "Diagnostic",
    "Finding",
    "Severity",
    "diagnostic",
    "escape_pointer",
    "join_pointer",
]

Severity = Literal["error", "warning"]

Code = Literal[
    # reading files
    "file-unreadable",
    "not-utf8",
    "bom",
    "empty-file",
    "invalid-json",
    "duplicate-key",
    "integer-too-long",
    "too-deep",
    "not-a-notebook",
    "invalid-yaml",
    "yaml-alias",
    "unknown-file-type",
    # the environment object
    "environment-missing",
    "environment-not-object",
    "legacy-env-key",
    "env-version-missing",
    "env-version-invalid",
    "env-version-unsupported",
    "env-version-newer",
    "env-version-legacy",
    # structure (from the JSON Schema of the version)
    "wrong-type",
    "missing-field",
    "unknown-field",
    "unknown-file-name",
    "invalid-value",
    "duplicate-conda-file",
    # embedded files
    "binary-content",
    "lone-surrogate",
    "requirement-invalid",
    "requirement-include",
    "requirement-local",
    "requirement-editable",
    "conda-structure",
    "conda-spec-invalid",
    "conda-prefix",
    "conda-unknown-key",
    "invalid-toml",
    "pylock-structure",
    "pylock-version",
    "runtime-invalid",
    "apt-invalid",
    "dockerfile-no-from",
    "start-no-exec",
    "script-crlf-shebang",
    "script-crlf",
    "scheme-syntax",
    "pipfile-lock-invalid",
    # typed fields
    "image-invalid",
    "image-digest-invalid",
    "image-unpinned",
    "git-commit-invalid",
    "git-subdir-invalid",
    "url-invalid",
    "url-credentials",
    "url-insecure",
    "secret",
    "secret-env-value",
    # consistency
    "kernel-mismatch",
    "kernel-language-mismatch",
    "python-mismatch",
    "ignored-by-binder",
    # migrate
    "migration-conflict",
    "migration-lossy",
    "write-failed",
    # pack and unpack
    "binder-dir-conflict",
    "git-dirty",
    "file-exists",
    "unsafe-path",
    "embedded-file-kept",
    # realizing an environment (launch plans)
    "launch-backend-unsupported",
    "launch-tool-missing",
    "launch-file-unsupported",
    "launch-kernel-unsupported",
    "launch-python-unavailable",
    "launch-variable-missing",
    "launch-untrusted",
    "launch-machine-too-small",
    "launch-file-superseded",
    "launch-file-not-applied",
    # lock
    "pixi-lock-structure",
    "lock-no-inputs",
    "lock-failed",
    "lock-outdated",
    # payload files (envspec payload validate)
    "payload-not-object",
    "payload-version-unknown",
    "payload-version-newer",
    "payload-regex-invalid",
    "payload-regex-backtracking",
    "payload-rule-category",
    "payload-rule-group",
    "payload-duplicate-name",
    "payload-limit-below-request",
    "payload-secret-value",
    "payload-path-escapes",
    "payload-build-empty",
    "payload-ref-missing",
    # payload tags, menus, compatibility
    "tag-list-invalid",
    "tag-cycle-as-extra",
    "tag-arch-unknown",
    "tag-alias-by-configuration",
    "menu-tag-missing",
    "lab-interface-too-new",
    "lab-interface-too-old",
    # payload exports (spawner configuration)
    "export-lossy",
    "export-approximate",
    "export-unsupported",
    "export-size-name",
    # import and export of other formats (envspec import / export)
    "format-unknown",
    "format-source-invalid",
    "format-output-exists",
    # --- each format appends its own codes below, in registry order
    # binder
    "binder-no-inputs",
    "binder-not-carried",
    # devcontainer
    "devcontainer-jsonc-invalid",
    "devcontainer-command-not-carried",
    "devcontainer-feature-not-carried",
    "devcontainer-not-carried",
    # dockerfile
    "dockerfile-not-carried",
    # guix
    "guix-commit-invalid",
    "guix-option-invalid",
    "guix-not-a-manifest",
    "guix-version-dropped",
    "guix-python-pin-dropped",
    "guix-extras-dropped",
    "guix-marker-dropped",
    "guix-url-dropped",
    "guix-requirement-skipped",
    "guix-not-carried",
    "guix-manifest-kept",
    "guix-channels-replaced",
    "guix-expression-skipped",
    "guix-package-not-python",
    # script, marimo, juv (PEP 723)
    "pep723-missing",
    "pep723-unclosed",
    "pep723-two-blocks",
    "pep723-nested",
    "pep723-misplaced",
    "pep723-toml",
    "pep723-invalid",
    "pep723-python-range",
    "pep723-dropped",
    "pep723-not-carried",
    "juv-lock-invalid",
    "juv-lock-stale",
    # conda, pixi, pyproject, requirements (and the conda <-> pip mapping they share)
    "format-file-dropped",
    "python-range-pinned",
    "pip-to-conda-inexact",
    "conda-to-pip-inexact",
    "conda-variable-dropped",
    "conda-variable-at-launch",
    "conda-variables-replaced",
    "pip-line-dropped",
    "pixi-invalid",
    "pixi-nothing-mappable",
    "pixi-unknown-environment",
    "pixi-unknown-platform",
    "pixi-environment-not-selected",
    "pixi-task-dropped",
    "pixi-target-dropped",
    "pixi-table-dropped",
    "pixi-dependency-dropped",
    "pixi-variable-dropped",
    "pixi-variable-at-launch",
    "pixi-dependency-conflict",
    "pyproject-no-project",
    "pyproject-invalid",
    "pyproject-unknown-extra",
    "pyproject-unknown-group",
    "pyproject-group-cycle",
    "pyproject-dynamic",
    "pyproject-pixi-ignored",
    "requirements-python-dropped",
]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """The documentation of one code: what it means, an example, and the fix."""

    code: Code
    severity: Severity
    #: One line: what the code reports.
    title: str
    #: Why this matters to users.
    why: str
    #: The default hint shown with the diagnostic: how to fix it.
    fix: str
    #: Name of the example file (its suffix says how it is read).
    example_file: str
    #: Contents of a file that triggers the code (validated by the test suite).
    example: str
    #: How to run the example: ``require`` (validate with ``--require``), ``unreadable``
    #: (the path is a dangling symbolic link), ``migrate`` (run ``envspec migrate``;
    #: ``to=X`` gives the target), ``fsize-limit`` (writes fail as on a full disk), ``pack``
    #: (run ``envspec pack`` on the example; ``mkdir=D`` makes folder D beside it, ``git-dirty``
    #: puts it in a git repository with an uncommitted change), ``unpack`` (run ``envspec
    #: unpack`` into an empty folder; ``exists=F`` puts a file F there first), ``plan`` (run
    #: ``envspec launch --dry-run`` on the example; ``backend=B`` asks for backend B,
    #: ``no-tools`` finds no tool on the PATH).
    example_options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports: a code, a bare message, and a location relative to its input."""

    code: Code
    message: str
    #: Path below the object the rule was given.
    path: tuple[str | int, ...] = ()
    #: 1-based line (and column) inside the embedded text at *path*, where known.
    line: int | None = None
    column: int | None = None
    #: A hint more precise than the code's default fix.
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in one file, as printed by ``envspec validate`` and returned by the API."""

    code: Code
    severity: Severity
    message: str
    file: str
    #: JSON Pointer from the root of the file's document (``""`` for the whole file).
    pointer: str = ""
    #: 1-based line inside the embedded text at *pointer*, or inside the file itself
    #: when *pointer* is ``""``.
    line: int | None = None
    column: int | None = None
    hint: str | None = field(default=None)

    def location(self) -> str:
        """``file:line:col`` for file-level problems, ``file#/pointer:line:col`` otherwise."""
        where = self.file if not self.pointer else f"{self.file}#{self.pointer}"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def to_dict(self) -> dict[str, object]:
        """The stable JSON form (``schemas/diagnostics-1.schema.json``)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }


def diagnostic(
    code: Code,
    message: str,
    file: str,
    pointer: str = "",
    *,
    line: int | None = None,
    column: int | None = None,
    hint: str | None = None,
    severity: Severity | None = None,
) -> Diagnostic:
    """A diagnostic with the code's registered severity and fix (unless given)."""
    from envspec._codes import CODES

    info = CODES[code]
    return Diagnostic(
        code, severity or info.severity, message, file, pointer, line, column, hint or info.fix
    )


def escape_pointer(part: str | int) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return str(part).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, path: tuple[str | int, ...]) -> str:
    """*base* followed by *path*, as a JSON Pointer."""
    return base + "".join("/" + escape_pointer(p) for p in path)


def __getattr__(name: str) -> object:
    # The registry is data for docs and tools; load it only when asked.
    if name == "CODES":
        from envspec._codes import CODES

        return CODES
    raise AttributeError(name)
