"""``launch()``: open a notebook in its environment, from a notebook, a folder or a git URL.

The steps are: resolve the target (:mod:`envspec.launch.targets`), read the
environment (the notebook's ``metadata.environment``, else the folder's
files), plan (:func:`envspec.launch.plan.plan_launch`), create the environment
(:func:`envspec.environments.create_environment`), register its kernel for
this server only (:mod:`envspec.launch.kernelspecs`) and run the server
(:mod:`envspec.launch.server`) until SIGINT or SIGTERM.  Nothing here prints:
problems raise :class:`LaunchError`, the URL goes to ``on_ready``, the steps
of creating the environment to ``progress``.  The plan and create functions
are parameters, so that other front ends (a service) can reuse the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from envspec.launch.targets import LaunchError, Target

if TYPE_CHECKING:
    from envspec.launch.plan import Backend, LaunchOptions, LaunchPlan
    from envspec.models.v1_0 import Environment

__all__ = [
    "CreatedLike",
    "LaunchError",
    "Prepared",
    "Ready",
    "RunOptions",
    "default_cache_dir",
    "launch",
    "load_target_environment",
    "plan_for",
    "prepare",
]


class CreatedLike(Protocol):
    """What launching needs of a created environment (``CreatedEnvironment``)."""

    @property
    def prefix(self) -> Path: ...
    @property
    def python(self) -> Path: ...


CreateFunction = Callable[..., CreatedLike]
PlanFunction = Callable[..., "LaunchPlan"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the person launching decides (from the command line, never from the notebook)."""

    port: int | None = None
    """The port of 127.0.0.1; ``None`` picks a free one."""
    open_browser: bool = True
    notebook: str | None = None
    """The notebook of a folder or repository to open."""
    ref: str | None = None
    """The branch, tag or commit of a git target."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Variables supplied for the kernel (values never enter a plan, a log or the notebook)."""
    backend: Backend | None = None
    trusted: bool = False
    index: Any = None
    """``envspec.environments.IndexOptions`` (``None``: uv's defaults and configuration)."""
    cache_dir: Path | None = None
    offline: bool = False
    stop_timeout: float = 10.0
    """Seconds the server has to stop its kernels before what is left is killed."""
    ready_timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class Ready:
    """The server answers: what the person launching is told."""

    url: str
    port: int
    target: Target
    kernel: str
    """The preselected kernel's name (the one the notebook opens with)."""
    python: Path | None
    """The environment's Python (``None`` when a Guix or container backend provides it)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A target with its environment planned (and, for the local backend, created)."""

    target: Target
    environment: Environment
    kernelspec: Mapping[str, Any] | None
    plan: LaunchPlan
    created: CreatedLike | None


def default_cache_dir() -> Path:
    """``$ENVSPEC_CACHE_DIR``, else the user's cache folder (``$XDG_CACHE_HOME/envspec``)."""
    if os.environ.get("ENVSPEC_CACHE_DIR"):
        return Path(os.environ["ENVSPEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "envspec"


def _kernelspec(data: bytes) -> Mapping[str, Any] | None:
    try:
        metadata = json.loads(data).get("metadata")
    except (ValueError, AttributeError):
        return None
    spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    return spec if isinstance(spec, dict) else None


def load_target_environment(target: Target) -> tuple[Environment, Mapping[str, Any] | None]:
    """The environment of the target's notebook (embedded, else from the folder's files)
    and the notebook's kernelspec."""
    from envspec.loader import LoadError, load_environment

    path = target.notebook_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LaunchError(f"cannot read {target.notebook}: {exc.strerror or exc}") from exc
    kernelspec = _kernelspec(data)
    try:
        return load_environment(data).environment, kernelspec
    except LoadError as exc:
        if {d.code for d in exc.diagnostics} != {"environment-missing"}:
            first = exc.diagnostics[0]
            raise LaunchError(
                f"{target.notebook}: {first.code}: {first.message}",
                f"'envspec validate {target.notebook}' lists every problem",
            ) from None
    return _environment_from_folder(target), kernelspec


def _environment_from_folder(target: Target) -> Environment:
    from envspec.loader import LoadError, load_environment
    from envspec.pack import collect

    collected = collect(target.notebook_path.parent)
    problems = [d for d in collected.diagnostics if d.severity == "error"]
    if problems:
        raise LaunchError(f"{target.notebook}: {problems[0].code}: {problems[0].message}")
    if not collected.files:
        raise LaunchError(
            f"{target.notebook} has no environment: no metadata.environment, "
            f"and no environment files (requirements.txt, environment.yml, ...) beside it",
            f"add one, or embed it with 'envspec pack {target.notebook}'",
        )
    try:
        return load_environment({"env_ver": "1.0", "files": collected.files}).environment
    except LoadError as exc:
        first = exc.diagnostics[0]
        raise LaunchError(f"{target.notebook}: {first.code}: {first.message}") from None


def _tools() -> frozenset[str]:
    return frozenset(t for t in ("guix", "docker", "podman", "dpkg-query") if shutil.which(t))


def plan_for(
    environment: Environment,
    kernelspec: Mapping[str, Any] | None,
    options: RunOptions,
    planner: PlanFunction | None = None,
) -> LaunchPlan:
    """The plan of launching *environment* with *options* (refusals included)."""
    from envspec.launch.plan import LaunchOptions

    if planner is None:
        from envspec.launch import plan as plan_module

        planner = getattr(plan_module, "plan_launch", None)
        if planner is None:  # pragma: no cover - until the planner is part of this build
            raise LaunchError("this envspec cannot plan a launch yet")
    launch_options: LaunchOptions = LaunchOptions(
        trusted=options.trusted,
        variables=frozenset(options.env),
        backend=options.backend,
        tools=_tools(),
    )
    plan: LaunchPlan = planner(environment, kernelspec=kernelspec, options=launch_options)
    return plan


def _plan(
    environment: Environment,
    kernelspec: Mapping[str, Any] | None,
    options: RunOptions,
    planner: PlanFunction | None,
) -> LaunchPlan:
    plan = plan_for(environment, kernelspec, options, planner)
    if not plan.ok:
        lines = [
            f"{r.code}: {r.message}" + (f" ({r.hint})" if r.hint else "") for r in plan.refusals
        ]
        raise LaunchError("the launch is refused:\n  " + "\n  ".join(lines))
    return plan


def prepare(
    target: str,
    options: RunOptions,
    *,
    progress: Callable[[Any], None] | None = None,
    create: CreateFunction | None = None,
    planner: PlanFunction | None = None,
) -> Prepared:
    """Resolve *target*, read and plan its environment, and create it (local backend)."""
    from envspec.launch.targets import resolve_target

    cache_dir = options.cache_dir or default_cache_dir()
    resolved = resolve_target(
        target,
        notebook=options.notebook,
        ref=options.ref,
        cache_dir=cache_dir,
        offline=options.offline,
    )
    environment, kernelspec = load_target_environment(resolved)
    plan = _plan(environment, kernelspec, options, planner)
    created = None
    if plan.backend == "local":
        if create is None:
            create = _default_create()
        kwargs: dict[str, Any] = {"cache_dir": cache_dir, "progress": progress}
        if options.index is not None:
            kwargs["index"] = options.index
        created = create(plan, dict(environment.files or {}), **kwargs)
    return Prepared(resolved, environment, kernelspec, plan, created)


def _default_create() -> CreateFunction:
    import importlib

    try:
        module = importlib.import_module("envspec.environments")
    except ImportError:  # pragma: no cover - until environments are part of this build
        raise LaunchError("this envspec cannot create environments yet") from None
    function: CreateFunction = module.create_environment
    return function


def _kernel_names(prepared: Prepared) -> list[str]:
    """The notebook's kernelspec name first (what JupyterLab opens it with), then the plan's."""
    names = []
    if prepared.kernelspec and isinstance(prepared.kernelspec.get("name"), str):
        names.append(prepared.kernelspec["name"])
    names.append(prepared.plan.kernel.name)
    return names


def _kernel_env(prepared: Prepared, options: RunOptions) -> dict[str, str]:
    declared = {k: v for k, v in (prepared.environment.env or {}).items() if v is not None}
    return {**declared, **options.env}


class _Stop(Exception):
    """SIGINT or SIGTERM arrived: stop the server."""


def _raise_stop(signum: int, frame: types.FrameType | None) -> None:
    raise _Stop(signum)


def launch(
    target: str,
    options: RunOptions | None = None,
    *,
    on_ready: Callable[[Ready], None] | None = None,
    progress: Callable[[Any], None] | None = None,
    create: CreateFunction | None = None,
    planner: PlanFunction | None = None,
) -> int:
    """Launch *target* and serve it until SIGINT or SIGTERM; the exit status (0 when stopped
    by a signal, 1 when the server ended on its own with an error)."""
    options = options or RunOptions()
    # The port first: a port in use is found before minutes of building.
    from envspec.launch.server import check_port, free_port

    port = check_port(options.port) if options.port is not None else free_port()
    prepared = prepare(target, options, progress=progress, create=create, planner=planner)
    return serve(prepared, options, port=port, on_ready=on_ready)


def serve(
    prepared: Prepared,
    options: RunOptions,
    *,
    port: int,
    on_ready: Callable[[Ready], None] | None = None,
) -> int:
    """Run the server of a prepared launch until SIGINT or SIGTERM."""
    from envspec.launch import kernelspecs
    from envspec.launch.server import new_token, notebook_url, start_server

    token = new_token()
    data_dir = kernelspecs.private_data_dir()
    try:
        command, env, python, kernel = _command(prepared, options, port, token, data_dir)
        url = notebook_url(port, prepared.target.notebook, token)
        server = start_server(command, port=port, token=token, env=env, cwd=prepared.target.folder)
        previous = _install_handlers()
        try:
            server.wait_ready(options.ready_timeout)
            if on_ready is not None:
                on_ready(Ready(url, port, prepared.target, kernel, python))
            if options.open_browser:
                _open_browser(url)
            code = server.process.wait()
        except _Stop:
            code = 0
        else:
            if code != 0:
                raise LaunchError(f"the Jupyter server stopped with status {code}")
        finally:
            _ignore_signals()
            try:
                server.stop(options.stop_timeout)
            finally:
                _restore_handlers(previous)
        return code
    finally:
        kernelspecs.remove_data_dir(data_dir)


def _command(
    prepared: Prepared, options: RunOptions, port: int, token: str, data_dir: Path
) -> tuple[list[str], dict[str, str], Path | None, str]:
    """The server command, its environment, the environment's Python and the kernel name."""
    from envspec.launch import backends, kernelspecs
    from envspec.launch.server import lab_command, server_environment

    plan, target = prepared.plan, prepared.target
    files = prepared.environment.files or {}
    names = _kernel_names(prepared)
    kernel_env = _kernel_env(prepared, options)
    display = plan.kernel.display_name or f"Python ({target.notebook})"
    if plan.backend == "docker":
        engine = backends.find_container_engine()
        image = prepared.environment.image
        if image is None:  # the plan chooses docker only for an image
            raise LaunchError("the docker backend needs the environment's 'image'")
        name = f"envspec-{token[:12]}"
        commands = backends.container_commands(
            engine, image.ref, image.digest, target.folder, port, name=name, variables=kernel_env
        )
        _pull(commands.pull)
        env = {**os.environ, **kernel_env, "JUPYTER_TOKEN": token}
        return commands.run, env, None, names[0]
    start = None
    if any(step.kind == "start" for step in plan.steps) and "start" in files:
        start = data_dir / "start"
        start.write_text(files["start"], encoding="utf-8")
        start.chmod(0o700)
    if plan.backend == "guix":
        guix = backends.require_guix()
        manifest = data_dir / "manifest.scm"
        manifest.write_text(files.get("manifest.scm", ""), encoding="utf-8")
        channels = None
        if "channels.scm" in files:
            channels = data_dir / "channels.scm"
            channels.write_text(files["channels.scm"], encoding="utf-8")
        kernelspecs.write_kernelspecs(
            data_dir, names, kernelspecs.kernel_argv("python3", start),
            display_name=display, language=plan.kernel.language or "python", env=kernel_env,
        )  # fmt: skip
        command = backends.guix_command(
            manifest, channels, backends.guix_lab_arguments(target.folder, port), guix=guix
        )
        return command, server_environment(token, data_dir, os.environ), None, names[0]
    created = prepared.created
    if created is None:
        raise LaunchError("the environment was not created")
    kernelspecs.write_kernelspecs(
        data_dir, names, kernelspecs.kernel_argv(created.python, start),
        display_name=display, language=plan.kernel.language or "python", env=kernel_env,
    )  # fmt: skip
    command = lab_command(target.folder, port, default_kernel=names[0])
    return command, server_environment(token, data_dir, os.environ), created.python, names[0]


def _pull(command: list[str]) -> None:
    import subprocess

    done = subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise LaunchError(f"'{' '.join(command)}' failed with status {done.returncode}")


def _open_browser(url: str) -> None:
    import webbrowser

    # Some browsers (BROWSER=lynx) take the terminal until they end: never wait for one.
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _install_handlers() -> dict[signal.Signals, Any] | None:
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = {s: signal.getsignal(s) for s in _SIGNALS}
    for s in _SIGNALS:
        signal.signal(s, _raise_stop)
    return previous


def _ignore_signals() -> None:
    # Stopping is bounded (the stop timeout): a second Ctrl-C must not cut it short.
    if threading.current_thread() is threading.main_thread():
        for s in _SIGNALS:
            signal.signal(s, signal.SIG_IGN)


def _restore_handlers(previous: dict[signal.Signals, Any] | None) -> None:
    if previous is None:
        return
    for s, handler in previous.items():
        signal.signal(s, handler)
