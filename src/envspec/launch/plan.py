"""The launch plan: what realizing an environment will do, as data.

A plan is computed by a pure function (:func:`plan_launch`) from the
environment, the notebook's kernelspec and the launch options.  Nothing here
touches files, processes or the network: creating an environment
(:mod:`envspec.environments`) and launching a server (:mod:`envspec.launch`)
execute a plan, and ``envspec launch --dry-run`` prints it.

The normative part of a plan (what the ``launcher`` role of the conformance
suite compares) is: the backend, the steps by kind and file in order, the
kernel to preselect, the variables still required, and the refusals by code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from envspec.models.v1_0 import Environment

__all__ = [
    "DEFAULT_KERNEL",
    "Backend",
    "Interpreter",
    "KernelChoice",
    "LaunchOptions",
    "LaunchPlan",
    "Machine",
    "Note",
    "Refusal",
    "Skipped",
    "Step",
    "StepKind",
    "plan_launch",
]

#: The kernel a launcher opens when neither the environment nor the notebook names one.
DEFAULT_KERNEL = "python3"

#: Where the environment is realized: a virtual environment or conda prefix on
#: this machine, a ``guix shell``, or a container image.
Backend = Literal["local", "guix", "docker"]

#: What one step does.  Each step applies at most one embedded file.
StepKind = Literal[
    "image",  # run image ref (by digest when given)          docker
    "dockerfile",  # build the Dockerfile, then run it         docker (trusted only)
    "guix",  # guix [time-machine -C channels.scm --] shell -m manifest.scm
    "interpreter",  # provide the pinned Python (venv/conda base)  local
    "conda",  # solve and install environment.yml (rattler)   local
    "pylock",  # install pylock.toml exactly (uv)             local
    "pip",  # install requirements.txt (uv)                  local
    "apt-check",  # check that apt.txt packages are installed  local (never installs)
    "post-build",  # run postBuild once (trusted only)
    "kernel",  # install ipykernel and register the kernel
    "start",  # wrap every kernel start with ``start`` (trusted only)
]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Interpreter(_Data):
    """A Python interpreter found on this machine."""

    version: str
    """Its full version, ``MAJOR.MINOR.PATCH``."""
    path: str
    """Absolute path of the executable."""


class Machine(_Data):
    """What this machine has, for the ``hardware`` check."""

    cpu: float | None = None
    """CPU cores available."""
    memory: int | None = None
    """Memory in bytes."""
    gpu: int = 0
    """Number of GPUs."""


class LaunchOptions(_Data):
    """What the person launching decides, and what the machine offers."""

    trusted: bool = False
    """Code files (``postBuild``, ``start``, ``Dockerfile``, Guix files) may run."""
    variables: frozenset[str] = frozenset()
    """Names of the variables supplied at launch (values never enter a plan)."""
    allow_missing_variables: bool = False
    """The person launching agrees to go on without some required variables."""
    backend: Backend | None = None
    """The backend asked for; ``None`` chooses from the environment."""
    interpreters: tuple[Interpreter, ...] = ()
    """The interpreters found (and, for conda, what a channel can provide is solved later)."""
    tools: frozenset[str] = frozenset()
    """Executables found on this machine: ``guix``, ``docker``, ``podman``, ``dpkg-query``..."""
    machine: Machine | None = None
    """This machine, when known; ``None`` skips the hardware check."""
    accept_smaller_machine: bool = False
    """The person launching agrees to go on on a machine smaller than ``hardware``."""


class Step(_Data):
    """One ordered step of realizing the environment."""

    kind: StepKind
    file: str | None = None
    """The embedded file this step applies, if any."""
    detail: Mapping[str, str] = Field(default_factory=dict)
    """Non-normative detail (the interpreter chosen, the image reference...)."""


class Skipped(_Data):
    """An embedded file that no step applies, and why."""

    file: str
    code: str
    """A diagnostic code of the registry."""
    message: str


class Refusal(_Data):
    """A reason the launch cannot go on (each one a diagnostic code of the registry)."""

    code: str
    message: str
    pointer: str = ""
    """JSON Pointer into the environment object."""
    hint: str = ""
    """What to do about it (``--trust``, ``--env NAME=VALUE``...)."""


class Note(_Data):
    """Something the person launching should know, that does not stop the launch."""

    code: str
    """A diagnostic code of the registry (severity ``warning``)."""
    message: str
    pointer: str = ""
    hint: str = ""


class KernelChoice(_Data):
    """The kernel the notebook opens with."""

    name: str
    language: str | None = None
    display_name: str | None = None
    source: Literal["environment", "notebook", "default"]
    """Where the name comes from: the environment's ``kernel``, the notebook's
    ``metadata.kernelspec``, or the launcher's default (``python3``)."""


class LaunchPlan(_Data):
    """The plan of one launch."""

    backend: Backend
    steps: tuple[Step, ...]
    kernel: KernelChoice
    required: tuple[str, ...] = ()
    """Variables declared ``null`` and not supplied, sorted."""
    variables: tuple[str, ...] = ()
    """Names of every variable set for the kernel (declared values and supplied ones), sorted."""
    skipped: tuple[Skipped, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[Note, ...] = ()
    """Warnings that do not stop the launch (an image run by a tag...)."""

    @property
    def ok(self) -> bool:
        """Whether the plan can be executed."""
        return not self.refusals


def plan_launch(
    environment: Environment,
    *,
    kernelspec: Mapping[str, Any] | None = None,
    options: LaunchOptions | None = None,
) -> LaunchPlan:
    """The plan of realizing *environment* and opening its notebook.

    Pure: a function of its arguments only (no files, processes, network or
    clock).  *kernelspec* is the notebook's ``metadata.kernelspec`` (``None``
    for a standalone environment).  The rules are those of the standard's
    "Realizing an environment" section; see :mod:`envspec.launch._rules`.
    """
    from envspec.launch._rules import plan

    return plan(environment, kernelspec, options or LaunchOptions())
