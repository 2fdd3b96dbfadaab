"""Conformance cases: their model (the source of ``schemas/conformance-case-1.schema.json``),
loading from the case files, version ranges and selection.

A case file is a YAML list of cases; ``conformance/cases/<role>/<feature>.yaml``
by convention.  Each case names the role it tests, the features it exercises,
its level, the versions of the standard it applies to, the spec section it
checks, its input and what is expected.
"""

from __future__ import annotations

import base64
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ANY",
    "CASE_ID",
    "Case",
    "CaseFileError",
    "CloudCase",
    "ExpectedDiagnostic",
    "LauncherCase",
    "MigratorCase",
    "PackerCase",
    "Selection",
    "ValidatorCase",
    "VersionRange",
    "cases_root",
    "load_cases",
    "suite_version",
]

#: The "any value" wildcard of expectations: an object whose only member is ``$any: true``.
ANY: dict[str, Any] = {"$any": True}

CASE_ID = r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*){2,}$"
REQUIREMENT_ID = r"^[a-z0-9]+\.[a-z0-9]+(-[a-z0-9]+)*$"
_RANGE = re.compile(r"(>=|<=|==|>|<)\s*((?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*))")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Pointer = Annotated[
    str | dict[str, Any],
    Field(description='A JSON Pointer, or the wildcard {"$any": true}.'),
]


class ExpectedDiagnostic(_Model):
    """A diagnostic the implementation must report."""

    code: str = Field(min_length=1, description="A code of the diagnostics registry.")
    pointer: Pointer = Field(description='Where: a JSON Pointer, or {"$any": true}.')


class _Base(_Model):
    id: str = Field(
        pattern=CASE_ID,
        description="Immutable identifier: role.feature.name; never reused once published.",
    )
    description: str = Field(
        min_length=10, max_length=100, pattern=r"^[^\n]*$", description="One line."
    )
    features: list[str] = Field(min_length=1, description="Features the case exercises.")
    level: Literal["core", "extended"] = Field(
        description="core: a MUST of the spec; extended: a SHOULD, or an optional feature."
    )
    versions: str = Field(
        description="The env_ver versions whose implementations must pass, e.g. '>=1.0'.",
        pattern=r"^\s*(>=|<=|==|>|<)\s*\d+\.\d+(\s*,\s*(>=|<=|==|>|<)\s*\d+\.\d+)*\s*$",
    )
    spec: str = Field(
        pattern=r"^(index|0\.1|1\.0|1\.1|conformance|payload-1\.0|deploy-api-1\.0)\.md#[a-z0-9-]+$",
        description="The spec section the case checks: <page>.md#<anchor>.",
    )
    requires: list[Annotated[str, Field(pattern=REQUIREMENT_ID)]] = Field(
        default=[],
        description=(
            "The ids of the spec requirements the case tests ([req ...] markers of the spec); "
            "a core case names at least one MUST, an extended case only SHOULD-level ids."
        ),
    )
    comment: str | None = Field(default=None, description="Why the case exists (free text).")


# ------------------------------------------------------------------------------ validator


class ValidatorInput(_Model):
    file: str = Field(min_length=1, description="The file name (its suffix says how it is read).")
    document: Any = Field(default=None, description="The file's JSON document (serialised).")
    text: str | None = Field(default=None, description="The file's exact text.")
    base64: str | None = Field(default=None, description="The file's exact bytes, as base64.")
    require: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> ValidatorInput:
        given = [k for k in ("text", "base64") if getattr(self, k) is not None]
        if self.document is not None:
            given.append("document")
        if len(given) != 1:
            raise ValueError("give exactly one of 'document', 'text' and 'base64'")
        return self

    def contents(self) -> tuple[str | None, bytes]:
        """``(text, bytes)`` of the file; text is ``None`` when the bytes are not UTF-8."""
        if self.base64 is not None:
            data = base64.b64decode(self.base64, validate=True)
            try:
                return data.decode("utf-8"), data
            except UnicodeDecodeError:
                return None, data
        if self.text is not None:
            return self.text, self.text.encode("utf-8", "surrogatepass")
        import json

        text = json.dumps(self.document, indent=1, ensure_ascii=False) + "\n"
        return text, text.encode("utf-8")


class ValidatorExpect(_Model):
    valid: bool
    diagnostics: list[ExpectedDiagnostic] = Field(
        default=[], description="Must all be reported; unlisted errors fail the case."
    )
    allow_extra: bool = Field(default=False, description="Unlisted errors are allowed too.")


class ValidatorCase(_Base):
    role: Literal["validator"]
    input: ValidatorInput
    expect: ValidatorExpect


# ------------------------------------------------------------------------------- migrator


class MigratorInput(_Model):
    document: dict[str, Any]
    to: str = Field(pattern=r"^\d+\.\d+$")
    lossy: bool = False


class MigratorExpect(_Model):
    document: Any = Field(
        default=None,
        description="The migrated document, compared by meaning; null when refused.",
    )
    diagnostics: list[ExpectedDiagnostic] = []
    allow_extra: bool = Field(default=False, description="Unlisted members are allowed.")
    round_trip: bool = Field(
        default=False, description="Migrating back to the original version restores it."
    )


class MigratorCase(_Base):
    role: Literal["migrator"]
    input: MigratorInput
    expect: MigratorExpect


# --------------------------------------------------------------------------------- packer


class GitFixture(_Model):
    url: str = Field(description="The `origin` remote of a repository made for the case.")
    subdir: str | None = Field(default=None, description="Where the notebook is in it.")
    dirty: bool = Field(default=False, description="Leave an uncommitted change.")


class PackerInput(_Model):
    files: dict[str, str] = Field(
        default={}, description="Files of the folder: relative path -> exact text."
    )
    symlinks: dict[str, str] = Field(
        default={}, description="Symbolic links planted in the folder: name -> target."
    )
    folders: list[str] = Field(default=[], description="Empty folders to create.")
    notebook: dict[str, Any] = Field(
        default={}, description="pack: the notebook's metadata (a notebook is written)."
    )
    git: GitFixture | None = None
    environment: dict[str, Any] | None = Field(default=None, description="unpack: the input.")
    force: bool = False


class PackerExpect(_Model):
    environment: Any = Field(default=None, description="pack: the environment produced.")
    files: dict[str, str] | None = Field(
        default=None, description="unpack: every file of the folder afterwards, exact text."
    )
    executable: list[str] = Field(default=[], description="unpack: files that must be +x.")
    symlinks: dict[str, str] = Field(
        default={},
        description="unpack: symbolic links that must still be in the folder: name -> target.",
    )
    diagnostics: list[ExpectedDiagnostic] = []
    allow_extra: bool = False
    alternative: PackerExpect | None = Field(
        default=None,
        description="unpack: another outcome the spec also allows (files, symlinks, executable, "
        "diagnostics); the case passes when either one is met.",
    )


class PackerCase(_Base):
    role: Literal["packer"]
    operation: Literal["pack", "unpack"]
    input: PackerInput
    expect: PackerExpect

    @model_validator(mode="after")
    def _shape(self) -> PackerCase:
        if self.operation == "unpack" and self.input.environment is None:
            raise ValueError("an unpack case needs input.environment")
        if self.operation == "unpack" and self.expect.files is None:
            raise ValueError("an unpack case needs expect.files")
        return self


# ------------------------------------------------------------------------------- launcher


class LauncherMachine(_Model):
    cpu: int | float | None = None
    memory: int | None = Field(default=None, description="Bytes.")
    gpu: int = 0


class LauncherOptions(_Model):
    trusted: bool = False
    variables: dict[str, str] = Field(default={}, description="Supplied variables: name -> value.")
    allow_missing_variables: bool = False
    backend: Literal["local", "guix", "docker"] | None = None
    interpreters: list[str] = Field(default=[], description="Python versions on the machine.")
    tools: list[str] = Field(default=[], description="Executables on the machine.")
    machine: LauncherMachine | None = None
    accept_smaller_machine: bool = False


class LauncherInput(_Model):
    environment: dict[str, Any] = Field(description="The environment (valid for its version).")
    kernelspec: dict[str, Any] | None = Field(
        default=None, description="The notebook's metadata.kernelspec (none: no notebook)."
    )
    options: LauncherOptions = LauncherOptions()


class ExpectedStep(_Model):
    kind: str = Field(min_length=1)
    file: str | None = Field(default=None, description="The embedded file (null: none).")
    image: str | None = Field(
        default=None, description="An image step: the reference it runs (compared when given)."
    )


class LauncherExpect(_Model):
    ok: bool = Field(description="Whether the launch can go on (no refusal).")
    backend: str | None = Field(default=None, description="Compared when given.")
    steps: list[ExpectedStep] | None = Field(
        default=None, description="Every step, in order, by kind and file (compared when given)."
    )
    kernel: str | None = Field(default=None, description="The kernel name (compared when given).")
    required: list[str] | None = Field(
        default=None, description="The required variables, in any order (compared when given)."
    )
    variables: list[str] | None = Field(
        default=None, description="The variables set, in any order (compared when given)."
    )
    diagnostics: list[ExpectedDiagnostic] = Field(
        default=[],
        description="Refusals (errors) and files not applied (warnings) that must be reported; "
        "unlisted errors fail the case.",
    )
    allow_extra: bool = Field(default=False, description="Unlisted errors are allowed too.")


class LauncherCase(_Base):
    role: Literal["launcher"]
    operation: Literal["plan"] = "plan"
    input: LauncherInput
    expect: LauncherExpect


# -------------------------------------------------------------------------------- spawner


class SpawnerInput(_Model):
    payload: dict[str, Any] = Field(description="The payload (payload_ver 1.0, valid).")
    tags: list[str] = Field(
        default=[], description="The tag list, one line each: the tag, optionally its digest."
    )
    today: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="Age filters count from it."
    )
    tag: str | None = Field(default=None, description="launch: the tag asked for.")
    interface: str | None = Field(
        default=None, description="launch: the interface range the spawner supports (MIN..MAX)."
    )


class SpawnerExpect(_Model):
    order: list[str] | None = Field(
        default=None, description="menu: every tag, in menu order (compared when given)."
    )
    categories: dict[str, str] | None = Field(
        default=None, description="menu: tag -> category (the tags named are compared)."
    )
    display: dict[str, str] | None = Field(
        default=None, description="menu: tag -> display name (the tags named are compared)."
    )
    default: str | None = Field(default=None, description="menu: the default tag.")
    menu: list[str] | None = Field(default=None, description="menu: the radio list, in order.")
    prepull: list[str] | None = Field(
        default=None, description="menu: the prepull set, in any order."
    )
    dropdown: list[str] | None = Field(default=None, description="menu: the dropdown, in order.")
    bots: dict[str, str] | None = Field(default=None, description="menu: bot name -> tag.")
    aliases: dict[str, str | None] | None = Field(
        default=None, description="menu: alias -> target (the aliases named are compared)."
    )
    launch: str | None = Field(
        default=None, description="launch: the tag launched (null: refused, with an error)."
    )
    rebuild: bool | None = Field(default=None, description="launch: whether it is a rebuild.")
    diagnostics: list[ExpectedDiagnostic] = Field(
        default=[], description="launch: the refusal that must be reported."
    )


class SpawnerCase(_Base):
    role: Literal["spawner"]
    operation: Literal["menu", "launch"]
    input: SpawnerInput
    expect: SpawnerExpect

    @model_validator(mode="after")
    def _operation_inputs(self) -> SpawnerCase:
        if self.operation == "launch" and (self.input.tag is None or not self.input.interface):
            raise ValueError("a launch case needs input.tag and input.interface")
        return self


# ---------------------------------------------------------------------------------- cloud


class CloudRequest(_Model):
    """One HTTP request to the service, relative to its declared ``url``."""

    method: Literal["GET", "POST", "DELETE"] = "POST"
    path: str = Field(
        default="api/v1/deployments",
        pattern=r"^[a-z]",
        description="Relative to the service's url; ${id} is the id of a deployment the "
        "runner made first for the same user.",
    )
    body: Any = Field(default=None, description="A JSON body (serialised by the runner).")
    text: str | None = Field(default=None, description="The exact body, as text.")
    oversize: bool = Field(
        default=False,
        description="A JSON body one KiB larger than the service's declared body limit.",
    )
    user: Literal["a", "b", "none", "wrong"] = Field(
        default="a",
        description="Whose bearer token: a or b (the adapter's two users), none, or a token "
        "no user has.",
    )


class CloudRepository(_Model):
    """A repository the adapter makes for one case (the ``repository`` request)."""

    files: dict[str, str] = Field(
        min_length=1,
        description="Path in the repository -> text, on one commit; ${canary} is the "
        "runner's canary URL.",
    )
    trusted: bool = Field(
        default=False, description="Whether the service's operator trusts the repository."
    )


class CloudInput(_Model):
    source: dict[str, Any] | None = Field(
        default=None,
        description="deploy, isolation, secrecy: the source of the deployment; "
        "${repository.url}, ${repository.ref} and ${repository.path} are the declared "
        "repository's; ${new-repository.url} and ${new-repository.ref} are those of the "
        "repository made for the case (input.repository).",
    )
    repository: CloudRepository | None = Field(
        default=None,
        description="deploy (feature git): the runner asks the adapter for a new repository "
        "with these files (the repository request) before it deploys.",
    )
    request: CloudRequest | None = Field(default=None, description="reject: the request.")
    push: dict[str, Any] | None = Field(
        default=None,
        description="push: a push body the service must refuse (expect.http, expect.code); "
        "then the runner pushes a branch of its own, which must go to the source's url.",
    )


class CloudExpect(_Model):
    status: Literal["ready", "failed"] | None = Field(
        default=None, description="deploy: the terminal status."
    )
    error: str | None = Field(default=None, description="deploy: the error code when failed.")
    http: int | None = Field(default=None, ge=400, le=599, description="reject: the status.")
    code: str | None = Field(default=None, description="reject: the problem's code.")
    api: str | None = Field(default=None, description="versions: the API version answered.")


class CloudCase(_Base):
    role: Literal["cloud"]
    operation: Literal["deploy", "isolation", "reject", "secrecy", "versions", "push"]
    input: CloudInput
    expect: CloudExpect

    @model_validator(mode="after")
    def _operation_inputs(self) -> CloudCase:
        if self.operation == "reject":
            if self.input.request is None or self.expect.http is None or not self.expect.code:
                raise ValueError("a reject case needs input.request, expect.http and expect.code")
        elif self.operation == "versions":
            if not self.expect.api:
                raise ValueError("a versions case needs expect.api")
        elif self.input.source is None:
            raise ValueError(f"a {self.operation} case needs input.source")
        if self.operation == "push" and (
            self.input.push is None or self.expect.http is None or not self.expect.code
        ):
            raise ValueError("a push case needs input.push, expect.http and expect.code")
        if self.input.repository is not None and self.operation != "deploy":
            raise ValueError("input.repository is for deploy cases")
        if self.operation == "deploy" and self.expect.status is None:
            raise ValueError("a deploy case needs expect.status")
        return self


Case = Annotated[
    ValidatorCase | MigratorCase | PackerCase | LauncherCase | SpawnerCase | CloudCase,
    Field(discriminator="role"),
]


# ------------------------------------------------------------------------------ versions


@dataclass(frozen=True)
class VersionRange:
    """A set of ``env_ver`` versions written as ``>=1.0,<2.0``."""

    text: str

    @cached_property
    def _clauses(self) -> list[tuple[str, tuple[int, int]]]:
        out = []
        for part in self.text.split(","):
            match = _RANGE.fullmatch(part.strip())
            if match is None:
                raise ValueError(f"not a version range: {self.text!r}")
            major, minor = match[2].split(".")
            out.append((match[1], (int(major), int(minor))))
        return out

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+", version):
            return False
        major, minor = version.split(".")
        have = (int(major), int(minor))
        checks = {
            ">=": have.__ge__,
            "<=": have.__le__,
            ">": have.__gt__,
            "<": have.__lt__,
            "==": have.__eq__,
        }
        return all(checks[op](want) for op, want in self._clauses)


# -------------------------------------------------------------------------------- loading


class CaseFileError(ValueError):
    """A case file that cannot be read or does not match the case schema."""

    def __init__(self, file: str, problems: Sequence[str]) -> None:
        super().__init__(f"{file}: " + "; ".join(problems))
        self.file = file
        self.problems = tuple(problems)


AnyCase = ValidatorCase | MigratorCase | PackerCase | LauncherCase | SpawnerCase | CloudCase


def cases_root() -> Path:
    """The folder of the case files shipped with envspec."""
    return Path(str(files("envspec").joinpath("conformance", "cases")))


def suite_version() -> str:
    """The version of the conformance suite (``conformance/cases/VERSION``)."""
    return (cases_root() / "VERSION").read_text("utf-8").strip()


def read_case_file(path: Path) -> list[AnyCase]:
    """The cases of one file (raises :class:`CaseFileError`)."""
    from pydantic import TypeAdapter, ValidationError

    from envspec._yaml import load_yaml

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseFileError(str(path), [str(exc)]) from None
    data, problem = load_yaml(text)
    if problem is not None:
        raise CaseFileError(str(path), [f"line {problem.line}: {problem.message}"])
    try:
        return TypeAdapter(list[Case]).validate_python(data)
    except ValidationError as exc:
        raise CaseFileError(
            str(path),
            [
                "/" + "/".join(str(p) for p in err["loc"]) + ": " + err["msg"]
                for err in exc.errors(include_url=False)
            ],
        ) from None


def load_cases(root: Path | None = None) -> list[AnyCase]:
    """Every case under *root* (default: the shipped suite), in file then list order."""
    root = root or cases_root()
    cases: list[AnyCase] = []
    for path in sorted(root.rglob("*.yaml")):
        cases.extend(read_case_file(path))
    return cases


# ------------------------------------------------------------------------------ selection


@dataclass(frozen=True, slots=True)
class Selection:
    """Which cases to run: every criterion given must match."""

    roles: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    exclude_ids: tuple[str, ...] = ()

    def __call__(self, case: AnyCase) -> bool:
        if self.roles and case.role not in self.roles:
            return False
        if self.features and not set(case.features) & set(self.features):
            return False
        if self.levels and case.level not in self.levels:
            return False
        if self.ids and not any(fnmatch.fnmatchcase(case.id, g) for g in self.ids):
            return False
        return not any(fnmatch.fnmatchcase(case.id, g) for g in self.exclude_ids)

    def apply(self, cases: Iterable[AnyCase]) -> list[AnyCase]:
        """The selected cases, in order."""
        return [c for c in cases if self(c)]
