"""From a kernel start to the Python that runs it: which notebook, which environment.

Everything here runs in the Jupyter server's process (in a worker thread: a
build may take minutes) and raises :class:`KernelProblem` for anything that
keeps the notebook from running in its own environment.  Nothing here falls
back to another environment.

How the notebook is found: jupyter_server's session manager starts a kernel
with ``JPY_SESSION_NAME`` in its environment (the notebook's path: absolute,
or relative to the server's root) and with the notebook's folder as the
working directory.  A kernel started without a notebook (a console) uses the
environment files of its working directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from envspec.launch.plan import LaunchPlan

__all__ = [
    "BuildRequest",
    "Builder",
    "Built",
    "IndexConfig",
    "KernelProblem",
    "Ready",
    "Source",
    "find_notebook",
    "read_source",
    "realize",
]


class KernelProblem(Exception):
    """Why a notebook cannot run in its environment: what the kernel shows in the notebook."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        details: str = "",
        notebook: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint
        #: More text (a build log's tail, every refusal): shown below the message.
        self.details = details
        self.notebook = notebook

    def to_json(self) -> str:
        """What the report kernel receives (``ENVSPEC_KERNEL_REPORT``)."""
        return json.dumps(
            {
                "message": self.message,
                "code": self.code,
                "hint": self.hint,
                "details": self.details[-_DETAILS_LIMIT:],
                "notebook": self.notebook,
            }
        )

    def text(self) -> str:
        """The report as lines of text (the server log, the report kernel's banner)."""
        head = f"{self.code}: {self.message}" if self.code else self.message
        lines = [head]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        if self.details:
            lines += ["", self.details.rstrip()]
        return "\n".join(lines)


_DETAILS_LIMIT = 8000


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """Package index options, from the kernelspec or the server's configuration (never from
    the notebook).  uv's own settings (``UV_INDEX_URL``, ``UV_FIND_LINKS``, ``uv.toml``...)
    apply as well: the build inherits the server's environment."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    offline: bool = False


@dataclass(frozen=True, slots=True)
class Source:
    """Where the environment of a kernel start comes from."""

    #: The notebook (``None``: a kernel started without one, such as a console).
    notebook: Path | None
    #: The folder the kernel runs in.
    folder: Path
    #: The environment object (latest version, as JSON data).
    environment: Mapping[str, Any]
    #: The notebook's ``metadata.kernelspec``.
    kernelspec: Mapping[str, Any] | None
    #: Where the environment was read: ``"notebook"`` or ``"folder"``.
    origin: str
    #: The notebook is signed by Jupyter's trust mechanism (nbformat's notary).
    trusted: bool = False

    @property
    def files(self) -> dict[str, str]:
        files = self.environment.get("files") or {}
        return dict(files)


@dataclass(frozen=True, slots=True)
class BuildRequest:
    """What a builder is given."""

    source: Source
    #: The launch plan (``envspec.launch.plan.LaunchPlan``), without refusals.
    plan: LaunchPlan
    #: Names of the ``null`` variables the server's environment supplies.
    variables: frozenset[str]
    index: IndexConfig
    cache_dir: Path | None
    progress: Callable[[object], None] | None = None


@dataclass(frozen=True, slots=True)
class Built:
    """What a builder returns: the environment that runs the kernel."""

    python: Path
    prefix: Path
    key: str = ""
    reused: bool = False


class Builder(Protocol):
    def __call__(self, request: BuildRequest, /) -> Built: ...


@dataclass(frozen=True, slots=True)
class Ready:
    """The environment a kernel starts in."""

    source: Source
    built: Built
    #: Variables to set for the kernel (the environment's values; ``null`` ones come from
    #: the server's environment, which the kernel inherits).
    env: Mapping[str, str] = field(default_factory=dict)
    #: The text of ``start``, when the plan wraps the kernel with it (trusted only).
    start: str | None = None


# ----------------------------------------------------------------------------- the notebook


def find_notebook(session_name: str | None, cwd: str | os.PathLike[str] | None) -> Path | None:
    """The notebook of a kernel start, from ``JPY_SESSION_NAME`` and the kernel's folder.

    jupyter_server sets ``JPY_SESSION_NAME`` to the notebook's absolute path when the
    session has a name (JupyterLab, Notebook 7), else to the session's API path, relative to
    the server's root; the kernel's folder is then that path's folder.  ``None`` when the
    kernel has no notebook (a console); a notebook that is named but not found (moved or
    renamed since) raises :class:`KernelProblem`: its folder might hold another environment.
    """
    if not session_name or not session_name.endswith(".ipynb"):
        return None
    path = Path(session_name)
    found: Path | None = None
    if path.is_absolute():
        found = path if path.is_file() else None
    elif cwd is not None:
        folder = Path(cwd)
        parent = path.parent.parts
        candidate = folder / path.name
        if (not parent or folder.parts[-len(parent) :] == parent) and candidate.is_file():
            found = candidate
    if found is None:
        raise KernelProblem(
            f"the notebook {session_name} is not where Jupyter said it is (moved or renamed "
            "since the kernel started?)",
            hint="close the notebook and open it again (or choose the kernel again) to start "
            "a kernel for it where it is now",
            notebook=session_name,
        )
    return found


def _trusted(notebook: Path) -> bool:
    """Whether Jupyter's notary has signed the notebook (the user saved it in Jupyter, or
    ran ``jupyter trust`` on it)."""
    from envspec.environments.trust import is_trusted

    return is_trusted(notebook)


def read_source(notebook: Path | None, folder: Path) -> Source:
    """The environment of *notebook*: its ``metadata.environment``, else the environment
    files of its folder (the pack rules: a ``binder/`` folder first)."""
    from envspec.loader import LoadError, load_environment

    name = str(notebook) if notebook else None
    kernelspec: Mapping[str, Any] | None = None
    if notebook is not None:
        try:
            loaded = load_environment(notebook)
        except LoadError as exc:
            if [d.code for d in exc.diagnostics] != ["environment-missing"]:
                raise _from_diagnostics(exc, name) from exc
        except OSError as exc:
            raise KernelProblem(
                f"cannot read {notebook}: {exc.strerror or exc}",
                code="file-unreadable",
                hint="check the file's permissions",
                notebook=name,
            ) from exc
        else:
            kernelspec = _kernelspec_of(notebook)
            return Source(
                notebook,
                folder,
                loaded.environment.model_dump(mode="json", exclude_none=True),
                kernelspec,
                "notebook",
                _trusted(notebook),
            )
        kernelspec = _kernelspec_of(notebook)
    return _from_folder(notebook, folder, kernelspec)


def _kernelspec_of(notebook: Path) -> Mapping[str, Any] | None:
    try:
        document = json.loads(notebook.read_bytes())
        spec = document["metadata"].get("kernelspec")
    except (OSError, ValueError, KeyError, AttributeError, TypeError):
        return None
    return spec if isinstance(spec, dict) else None


def _from_folder(
    notebook: Path | None, folder: Path, kernelspec: Mapping[str, Any] | None
) -> Source:
    from envspec.loader import LoadError, load_environment
    from envspec.pack import collect

    name = str(notebook) if notebook else None
    collected = collect(folder)
    errors = [d for d in collected.diagnostics if d.severity == "error"]
    if errors:
        first = errors[0]
        raise KernelProblem(
            f"{first.location()}: {first.message}", code=first.code, hint=first.hint, notebook=name
        )
    if not collected.files:
        what = f"{notebook.name} has no metadata.environment, and its" if notebook else "The"
        raise KernelProblem(
            f"{what} folder {folder} has no environment files (requirements.txt, "
            "environment.yml, pylock.toml, ...)",
            code="environment-missing",
            hint=(
                "declare the environment: put a requirements.txt (or environment.yml) beside "
                "the notebook, or embed one with 'envspec pack NOTEBOOK'; then restart the "
                "kernel.  To run without an environment, choose another kernel"
            ),
            notebook=name,
        )
    try:
        loaded = load_environment({"env_ver": "1.0", "files": collected.files})
    except LoadError as exc:
        raise _from_diagnostics(exc, name) from exc
    return Source(
        notebook,
        folder,
        loaded.environment.model_dump(mode="json", exclude_none=True),
        kernelspec,
        "folder",
        _trusted(notebook) if notebook else False,
    )


def _from_diagnostics(exc: Any, notebook: str | None) -> KernelProblem:
    first = exc.diagnostics[0]
    others = "\n".join(f"{d.location()}: {d.code}: {d.message}" for d in exc.diagnostics[1:])
    return KernelProblem(
        f"{first.location()}: {first.message}",
        code=first.code,
        hint=first.hint,
        details=others,
        notebook=notebook,
    )


# ------------------------------------------------------------------------------ realizing


def required_variables(environment: Mapping[str, Any], server_env: Mapping[str, str]) -> list[str]:
    """The ``null`` variables of *environment* that the server's environment lacks, sorted."""
    declared = environment.get("env") or {}
    return sorted(k for k, v in declared.items() if v is None and k not in server_env)


def realize(
    session_name: str | None,
    cwd: str | os.PathLike[str] | None,
    server_env: Mapping[str, str],
    *,
    builder: Builder,
    index: IndexConfig = IndexConfig(),
    cache_dir: Path | None = None,
    progress: Callable[[object], None] | None = None,
) -> Ready:
    """Find the notebook, read its environment, create or reuse it: the kernel's Python and
    variables, or :class:`KernelProblem`."""
    folder = Path(cwd) if cwd is not None else Path.cwd()
    notebook = find_notebook(session_name, folder)
    source = read_source(notebook, notebook.parent if notebook else folder)
    name = str(notebook) if notebook else None
    missing = required_variables(source.environment, server_env)
    if missing:
        raise KernelProblem(
            "the environment requires variables that the Jupyter server's environment does "
            f"not set: {', '.join(missing)}",
            code="launch-variable-missing",
            hint=(
                "set them in the environment of the Jupyter server (for example "
                f"'{missing[0]}=... jupyter lab', or the spawner's environment in JupyterHub), "
                "then restart the kernel"
            ),
            notebook=name,
        )
    declared = source.environment.get("env") or {}
    supplied = frozenset(k for k, v in declared.items() if v is None)
    plan = plan_for(source, supplied, server_env)
    request = BuildRequest(source, plan, supplied, index, cache_dir, progress)
    try:
        built = builder(request)
    except KernelProblem as exc:
        exc.notebook = exc.notebook or name
        raise
    except Exception as exc:  # every failure is shown in the notebook
        raise _build_failure(exc, name) from exc
    if not built.python.is_file():
        raise KernelProblem(
            f"the environment {built.prefix} has no Python at {built.python}",
            hint="remove it ('envspec env remove') and restart the kernel to build it again",
            notebook=name,
        )
    if not _has_ipykernel(built.prefix):
        raise KernelProblem(
            f"the environment {built.prefix} has no ipykernel, so it cannot run a kernel",
            hint="remove it ('envspec env remove') and restart the kernel to build it again",
            notebook=name,
        )
    values = {k: v for k, v in declared.items() if v is not None}
    start = next((s.file for s in plan.steps if s.kind == "start"), None)
    return Ready(source, built, values, source.files.get(start) if start else None)


#: Hints for the kernel where the plan's hints speak of the command line.
_KERNEL_HINTS = {
    "launch-untrusted": "read the file; if you trust it, sign the notebook with 'jupyter trust "
    "NOTEBOOK' (or open and save it in Jupyter), then restart the kernel",
    "launch-python-unavailable": "install that Python (for example 'uv python install 3.12') "
    "where the Jupyter server runs, then restart the kernel",
}


def plan_for(
    source: Source, variables: frozenset[str], server_env: Mapping[str, str]
) -> LaunchPlan:
    """The launch plan of *source* on this machine (local backend); its refusals raise."""
    from envspec.launch.interpreters import discover_interpreters
    from envspec.launch.machine import discover_machine, discover_tools
    from envspec.launch.plan import LaunchOptions, plan_launch
    from envspec.models.v1_0 import Environment

    name = str(source.notebook) if source.notebook else None
    options = LaunchOptions(
        trusted=source.trusted,
        variables=variables,
        backend="local",
        interpreters=discover_interpreters(server_env),
        tools=discover_tools(path=server_env.get("PATH")),
        machine=discover_machine(),
    )
    environment = Environment.model_validate(dict(source.environment))
    plan = plan_launch(environment, kernelspec=source.kernelspec, options=options)
    if plan.refusals:
        first, *others = plan.refusals
        raise KernelProblem(
            first.message,
            code=first.code,
            hint=_KERNEL_HINTS.get(first.code) or first.hint or None,
            details="\n".join(f"{r.code}: {r.message}" for r in others),
            notebook=name,
        )
    return plan


def _has_ipykernel(prefix: Path) -> bool:
    return any(prefix.glob("lib/python*/site-packages/ipykernel/__init__.py")) or any(
        prefix.glob("Lib/site-packages/ipykernel/__init__.py")
    )


def _build_failure(exc: BaseException, notebook: str | None) -> KernelProblem:
    """A build's exception as a report: its code, hint and log tail when it has them."""
    code = getattr(exc, "code", None)
    hint = getattr(exc, "hint", None)
    details = getattr(exc, "log_tail", None) or ""
    diagnostics = getattr(exc, "diagnostics", None)
    message = str(exc) or type(exc).__name__
    if code is None and not isinstance(exc, (RuntimeError, ValueError, OSError)):
        message = f"{type(exc).__name__}: {message}"  # an unexpected error: say which
    if diagnostics and not code:
        first = diagnostics[0]
        code, hint = getattr(first, "code", None), hint or getattr(first, "hint", None)
    return KernelProblem(
        f"the environment could not be built: {message}",
        code=code if isinstance(code, str) else None,
        hint=hint if isinstance(hint, str) else "fix the environment, then restart the kernel",
        details=details if isinstance(details, str) else "",
        notebook=notebook,
    )
