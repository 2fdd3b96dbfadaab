"""The adapter protocol, version 1: every message between the runner and an adapter.

An adapter is a small program that puts an implementation of the standard
behind newline-delimited JSON on stdin/stdout (or, for Python, an object the
runner calls in-process).  The runner sends one request per line and the
adapter answers each with one line that echoes the request's ``seq``.  The
models here are the single source of truth: the JSON Schemas in
``schemas/protocol-1.<message>.schema.json`` are generated from them, and ``envspec conformance
run -V`` checks every message in both directions against them.

The normative text is ``spec/conformance.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "MESSAGES",
    "PROTOCOL",
    "PROTOCOL_CHECKS",
    "AnswerDiagnostic",
    "Envelope",
    "HelloRequest",
    "HelloResult",
    "Implementation",
    "LaunchRequest",
    "LaunchResult",
    "MenuRequest",
    "MenuResult",
    "MigrateRequest",
    "MigrateResult",
    "PackRequest",
    "PackResult",
    "PlanRequest",
    "PlanResult",
    "RepositoryRequest",
    "RepositoryResult",
    "RoleSupport",
    "ServiceLogRequest",
    "ServiceLogResult",
    "TokensRequest",
    "TokensResult",
    "UnpackRequest",
    "UnpackResult",
    "ValidateRequest",
    "ValidateResult",
]

#: The protocol version the runner speaks.
PROTOCOL: Literal[1] = 1

EnvVer = Annotated[str, Field(pattern=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")]
Seq = Annotated[int, Field(ge=0, description="Chosen by the runner; the answer echoes it.")]
Name = Annotated[str, Field(min_length=1)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Open(BaseModel):
    # Objects that later protocol minors may extend: unknown members are ignored.
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


# ----------------------------------------------------------------------------- requests


class HelloRequest(_Message):
    """The first request on every connection (and after every restart)."""

    op: Literal["hello"]
    seq: Seq
    protocol: Literal[1] = Field(description="The protocol version the runner speaks.")
    suite: str = Field(description="The version of the conformance suite.")


class FileInput(_Message):
    """One file, as its name and its exact contents."""

    name: Name = Field(description="The file's name; its suffix says how it is read.")
    text: str | None = Field(default=None, description="The contents, when they are text.")
    base64: str | None = Field(
        default=None, description="The contents as base64, when they are not UTF-8 text."
    )


class ValidateRequest(_Message):
    """Validator role: check one file (a notebook or a standalone environment file)."""

    op: Literal["validate"]
    seq: Seq
    file: FileInput
    require: bool = Field(
        default=False,
        description="A notebook without an environment is an error (`environment-missing`).",
    )


class MigrateRequest(_Message):
    """Migrator role: rewrite one environment object as version *to*."""

    op: Literal["migrate"]
    seq: Seq
    document: dict[str, Any] = Field(description="The environment object, any version.")
    to: EnvVer
    lossy: bool = Field(
        default=False, description="The user accepts losing what the target cannot hold."
    )


class PackRequest(_Message):
    """Packer role: build the environment of a notebook from the files of its folder."""

    op: Literal["pack"]
    seq: Seq
    folder: Name = Field(description="Absolute path of the folder (the runner created it).")
    notebook: Name = Field(description="The notebook's file name, inside *folder*.")
    version: EnvVer = Field(description="The env_ver to write.")


class UnpackRequest(_Message):
    """Packer role: write the embedded files of an environment into a folder."""

    op: Literal["unpack"]
    seq: Seq
    environment: dict[str, Any]
    folder: Name = Field(description="Absolute path of the target folder (it exists).")
    force: bool = Field(default=False, description="Existing files may be replaced.")


class PlanMachine(_Message):
    """The machine a launch plan is made for (for the ``hardware`` rule)."""

    cpu: int | float | None = Field(default=None, description="CPU cores.")
    memory: int | None = Field(default=None, description="Memory, in bytes.")
    gpu: int = Field(default=0, description="Number of GPUs.")


class PlanOptions(_Message):
    """What the person launching decides, and what the machine offers."""

    trusted: bool = Field(
        default=False, description="The notebook is trusted: its code files may run."
    )
    variables: dict[str, str] = Field(
        default={}, description="Variables supplied at launch: name -> value."
    )
    allow_missing_variables: bool = Field(
        default=False, description="The person launching goes on without required variables."
    )
    backend: Literal["local", "guix", "docker"] | None = Field(
        default=None,
        description="The way of realizing asked for: a virtual environment or conda prefix "
        "(local), Guix, a container engine; null lets the launcher choose.",
    )
    interpreters: list[str] = Field(
        default=[], description="Versions (MAJOR.MINOR.PATCH) of the Pythons on the machine."
    )
    tools: list[str] = Field(
        default=[], description="Executables on the machine: guix, docker, podman, ..."
    )
    machine: PlanMachine | None = Field(
        default=None, description="The machine; null when it is not known."
    )
    accept_smaller_machine: bool = Field(
        default=False, description="The person launching goes on on a smaller machine."
    )


class PlanRequest(_Message):
    """Launcher role: the plan of realizing an environment and opening its notebook."""

    op: Literal["plan"]
    seq: Seq
    environment: dict[str, Any] = Field(description="The environment object (valid).")
    kernelspec: dict[str, Any] | None = Field(
        default=None, description="The notebook's metadata.kernelspec; null without a notebook."
    )
    options: PlanOptions = Field(default_factory=PlanOptions)


class TokensRequest(_Message):
    """Cloud role: the bearer tokens of two users of the service at the declared url."""

    op: Literal["tokens"]
    seq: Seq


class ServiceLogRequest(_Message):
    """Cloud role (feature ``secrecy``): what the service has written to its log so far."""

    op: Literal["service-log"]
    seq: Seq


class RepositoryRequest(_Message):
    """Cloud role (feature ``git``): make a new https repository the service may clone,
    whose one commit holds ``files``; the operator trusts it exactly when ``trusted``."""

    op: Literal["repository"]
    seq: Seq
    files: dict[str, str] = Field(
        min_length=1, description="Path in the repository -> text (UTF-8)."
    )
    trusted: bool = Field(
        default=False,
        description="The service's operator trusts the repository (its postBuild may run).",
    )


class ByeRequest(_Message):
    """The last request: the adapter exits (closing stdin means the same)."""

    op: Literal["bye"]
    seq: Seq


# ------------------------------------------------------------------------------ answers


class AnswerDiagnostic(_Open):
    """One problem, as an implementation reports it.  ``code`` and ``pointer`` are
    normative (the suite compares them); ``message`` is free text for people."""

    code: Name = Field(description="A code of the diagnostics registry.")
    pointer: str = Field(
        description="JSON Pointer into the document ('' for the whole file or request)."
    )
    severity: Literal["error", "warning"]
    message: str | None = None


class RoleSupport(_Open):
    """What the implementation offers for one role."""

    versions: list[EnvVer] = Field(min_length=1, description="The env_ver versions implemented.")
    features: list[Name] = Field(description="The features of the role implemented.")


class Implementation(_Open):
    """Who the implementation is, for reports."""

    name: Name
    version: Name
    language: Name
    homepage: str | None = None
    issues: str | None = None


class HelloResult(_Open):
    """The answer to ``hello``: the implementation and everything it supports."""

    protocol: Literal[1]
    implementation: Implementation
    roles: dict[str, RoleSupport] = Field(
        description="Roles by name (validator, migrator, packer, launcher, spawner, cloud; "
        "unknown roles are ignored). The cloud role's object also gives the service's `url`, "
        "and may give `ready_seconds`, `max_body` and `repository`."
    )


class ValidateResult(_Message):
    """The verdict on one file."""

    valid: bool = Field(description="True when no diagnostic is an error.")
    diagnostics: list[AnswerDiagnostic]


class MigrateResult(_Message):
    """The migrated document, or ``null`` and the reason in ``diagnostics``."""

    document: dict[str, Any] | None
    diagnostics: list[AnswerDiagnostic]


class PackResult(_Message):
    """The packed environment, or ``null`` and the reason in ``diagnostics``."""

    environment: dict[str, Any] | None
    diagnostics: list[AnswerDiagnostic]


class UnpackResult(_Message):
    """What stopped unpacking, if anything (the runner inspects the folder itself)."""

    diagnostics: list[AnswerDiagnostic]


class PlanStep(_Open):
    """One step of a plan, in order."""

    kind: Name = Field(
        description="interpreter, conda, pylock, pip, apt-check, post-build, kernel, start, "
        "image, dockerfile or guix."
    )
    file: str | None = Field(default=None, description="The embedded file the step applies.")
    image: str | None = Field(
        default=None, description="For an image step: the reference run (ref or ref@digest)."
    )


class PlanKernel(_Open):
    """The kernel the notebook opens with."""

    name: Name


class PlanResult(_Message):
    """The normative part of a launch plan."""

    ok: bool = Field(description="True when the launch can go on: no diagnostic is an error.")
    backend: Literal["local", "guix", "docker"]
    steps: list[PlanStep]
    kernel: PlanKernel
    required: list[str] = Field(description="Variables declared null and not supplied.")
    variables: list[str] = Field(description="Names of every variable set for the kernel.")
    diagnostics: list[AnswerDiagnostic] = Field(
        description="Refusals (errors), files not applied (warnings, pointing at the file) "
        "and notes (warnings)."
    )


class MenuRequest(_Message):
    """Spawner role: the menu of a payload for a tag list."""

    op: Literal["menu"]
    seq: Seq
    payload: dict[str, Any] = Field(description="The payload (payload_ver 1.0, valid).")
    tags: str = Field(
        description="The tag list: one image a line, its tag and optionally its digest."
    )
    today: str | None = Field(
        default=None, description="The date age filters count from (YYYY-MM-DD)."
    )


class MenuTag(_Open):
    """One tag as the payload's policy reads it."""

    tag: Name
    category: Name
    display_name: str


class MenuResult(_Message):
    """The menu of a payload."""

    tags: list[MenuTag] = Field(
        description="Every tag of the list (after the cycle restriction), in menu order."
    )
    default: str | None = Field(description="The tag selected by default.")
    menu: list[str] = Field(description="The radio list's tags, in order.")
    prepull: list[str] = Field(description="The tags to prepull.")
    dropdown: list[str] = Field(description="The dropdown's tags, in order.")
    bots: dict[str, str] = Field(description="Bot names -> the tag each one gets.")
    aliases: dict[str, str | None] = Field(
        description="Each alias -> the tag it points at (null: not known)."
    )
    diagnostics: list[AnswerDiagnostic] = Field(
        description="Warnings about the tag list and the menu configuration."
    )


class LaunchRequest(_Message):
    """Spawner role: which image launches for a requested tag."""

    op: Literal["launch"]
    seq: Seq
    payload: dict[str, Any] = Field(description="The payload (payload_ver 1.0, valid).")
    tag: Name = Field(description="The tag asked for.")
    interface: str = Field(
        description="The lab interface versions the spawner supports: MIN..MAX, both ends "
        "included; an end with fewer parts covers what it prefixes."
    )


class LaunchResult(_Message):
    """The image that launches, or null and the refusal in ``diagnostics``."""

    launch: str | None
    rebuild: bool = Field(description="True when the image launched is a rebuild of the tag.")
    diagnostics: list[AnswerDiagnostic]


class TokensResult(_Message):
    """Two bearer tokens, of two different users; the runner never writes them anywhere."""

    tokens: list[Name] = Field(
        min_length=2, max_length=2, description="The tokens of user a and of user b."
    )


class ServiceLogResult(_Message):
    """The service's log: every line it wrote (standard output, standard error, log files)
    since it started, as text."""

    text: str


class RepositoryResult(_Message):
    """The new repository: its https URL and the ref that holds the files."""

    url: Name = Field(description="An https URL the service may clone.")
    ref: Name = Field(description="The branch (or tag) whose commit holds the files.")


class ByeResult(_Message):
    """Nothing: the adapter is about to exit."""


class Reason(_Open):
    """Why a request was not carried out."""

    reason: Name
    issue_url: str | None = None


class Failure(_Open):
    """What went wrong inside the adapter."""

    message: Name
    traceback: str | None = None


class Envelope(_Message):
    """Every answer: the echoed ``seq`` and exactly one of the four outcomes."""

    seq: Seq
    result: dict[str, Any] | None = Field(
        default=None, description="The operation's result (see the *Result messages)."
    )
    unsupported: Reason | None = Field(
        default=None, description="The implementation does not support what was asked."
    )
    skipped: Reason | None = Field(
        default=None, description="The implementation chose not to run this request."
    )
    errored: Failure | None = Field(
        default=None, description="The implementation failed while handling the request."
    )


#: Request and result model of every operation.
MESSAGES: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "hello": (HelloRequest, HelloResult),
    "validate": (ValidateRequest, ValidateResult),
    "migrate": (MigrateRequest, MigrateResult),
    "pack": (PackRequest, PackResult),
    "unpack": (UnpackRequest, UnpackResult),
    "plan": (PlanRequest, PlanResult),
    "menu": (MenuRequest, MenuResult),
    "launch": (LaunchRequest, LaunchResult),
    "tokens": (TokensRequest, TokensResult),
    "service-log": (ServiceLogRequest, ServiceLogResult),
    "repository": (RepositoryRequest, RepositoryResult),
    "bye": (ByeRequest, ByeResult),
}


#: The checks of the protocol itself that the runner makes in every run, besides the
#: cases (``spec/conformance.md#protocol-checks``), with what each one requires.
PROTOCOL_CHECKS: dict[str, str] = {
    "protocol.declared-versions": "every env_ver declared in the hello result is a version "
    "the suite knows",
    "protocol.unknown-op": "a request with an unknown op is answered unsupported, with its seq",
    "protocol.unknown-member": "unknown members of a request are ignored: the answer is the "
    "one without them",
    "protocol.pipelined": "requests sent before the previous answers arrive are all answered, "
    "in the order of the requests",
    "protocol.other-protocol": "a hello for a protocol version the adapter does not speak is "
    "answered unsupported; at the end of its input the adapter exits, having written nothing "
    "else",
    "protocol.stray-output": "nothing but answers on standard output",
    "protocol.bye": "bye is answered with a result; then the adapter writes nothing more and "
    "exits without waiting for the end of its input",
}
