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

import contextlib
import hashlib
import os
import signal
import threading
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from envspec.launch.targets import LaunchError, Target

if TYPE_CHECKING:
    from envspec.launch.inputs import LaunchInput
    from envspec.launch.plan import Backend, LaunchPlan
    from envspec.launch.server import RunningServer
    from envspec.models.v1_0 import Environment

__all__ = [
    "CreatedLike",
    "LaunchError",
    "Prepared",
    "Ready",
    "RunOptions",
    "ServerCommand",
    "default_cache_dir",
    "launch",
    "load_target_environment",
    "plan_for",
    "prepare",
    "serve",
    "server_command",
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
    allow_missing_variables: bool = False
    accept_smaller_machine: bool = False
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
    """``$ENVSPEC_CACHE_DIR``, else the user's cache folder (``$XDG_CACHE_HOME/envspec``):
    environments in ``envs/``, clones in ``clones/``."""
    from envspec.environments import default_cache_dir as cache_dir

    return cache_dir()


def load_target_environment(target: Target) -> LaunchInput:
    """The environment of the target's notebook (embedded, else from its folder's files,
    with the pack rules) and the notebook's kernelspec."""
    from envspec.launch.inputs import read_target
    from envspec.loader import LoadError

    try:
        return read_target(target.notebook_path)
    except LoadError as exc:
        first = exc.diagnostics[0]
        raise LaunchError(
            f"{target.notebook}: {first.message}",
            first.hint or f"'envspec validate {target.notebook}' lists every problem",
            diagnostics=exc.diagnostics,
        ) from None


def plan_for(
    environment: Environment,
    kernelspec: Mapping[str, Any] | None,
    options: RunOptions,
    planner: PlanFunction | None = None,
    *,
    notebook: Path | None = None,
) -> LaunchPlan:
    """The plan of launching *environment* with *options* (refusals included).  A
    *notebook* this user's Jupyter signed (``jupyter trust``) is trusted."""
    from envspec.launch.interpreters import discover_interpreters
    from envspec.launch.machine import discover_machine, discover_tools
    from envspec.launch.plan import LaunchOptions, plan_launch

    launch_options = LaunchOptions(
        trusted=options.trusted,
        variables=frozenset(options.env),
        allow_missing_variables=options.allow_missing_variables,
        backend=options.backend,
        interpreters=discover_interpreters(),
        tools=discover_tools(),
        machine=discover_machine(),
        accept_smaller_machine=options.accept_smaller_machine,
    )
    planner = planner or plan_launch
    plan: LaunchPlan = planner(environment, kernelspec=kernelspec, options=launch_options)
    untrusted = any(r.code == "launch-untrusted" for r in plan.refusals)
    if untrusted and notebook is not None:
        # Checking Jupyter's signature costs seconds (nbformat): only when it matters.
        from envspec.launch.signature import is_signed

        if is_signed(notebook):
            trusted = launch_options.model_copy(update={"trusted": True})
            plan = planner(environment, kernelspec=kernelspec, options=trusted)
    return plan


def _plan(
    environment: Environment,
    kernelspec: Mapping[str, Any] | None,
    options: RunOptions,
    planner: PlanFunction | None,
    notebook: Path,
) -> LaunchPlan:
    plan = plan_for(environment, kernelspec, options, planner, notebook=notebook)
    if not plan.ok:
        count = len(plan.refusals)
        raise LaunchError(
            f"the launch is refused ({count} reason{'s' if count > 1 else ''})", plan=plan
        )
    return plan


def prepare(
    target: str | Target,
    options: RunOptions,
    *,
    progress: Callable[[Any], None] | None = None,
    create: CreateFunction | None = None,
    planner: PlanFunction | None = None,
) -> Prepared:
    """Resolve *target* (unless it is resolved), read and plan its environment, and create
    it (local backend)."""
    cache_dir = options.cache_dir or default_cache_dir()
    resolved = target if isinstance(target, Target) else _resolve(target, options, cache_dir)
    read = load_target_environment(resolved)
    environment, kernelspec = read.environment, read.kernelspec
    try:
        plan = _plan(environment, kernelspec, options, planner, resolved.notebook_path)
    except LaunchError as exc:
        exc.input = read
        raise
    created = None
    if plan.backend == "local":
        from envspec.environments import BuildError

        kwargs: dict[str, Any] = {"cache_dir": cache_dir, "progress": progress}
        if options.index is not None:
            kwargs["index"] = options.index
        try:
            created = (create or _default_create())(plan, dict(environment.files or {}), **kwargs)
        except BuildError as exc:
            raise LaunchError(str(exc)) from None
    return Prepared(resolved, environment, kernelspec, plan, created)


def _resolve(target: str, options: RunOptions, cache_dir: Path) -> Target:
    from envspec.launch.targets import resolve_target

    return resolve_target(
        target,
        notebook=options.notebook,
        ref=options.ref,
        cache_dir=cache_dir,
        offline=options.offline,
    )


def _default_create() -> CreateFunction:
    from envspec.environments import create_environment

    return create_environment


def _kernel_names(prepared: Prepared) -> list[str]:
    """The notebook's kernelspec name first (what JupyterLab opens it with), then the plan's."""
    names = []
    if prepared.kernelspec and isinstance(prepared.kernelspec.get("name"), str):
        names.append(prepared.kernelspec["name"])
    names.append(prepared.plan.kernel.name)
    if not names[:-1]:
        # A notebook without a kernelspec opens with the server's default kernel,
        # python3 unless told: in this server, that is the environment's kernel.
        names.append("python3")
    return names


def _kernel_env(prepared: Prepared, options: RunOptions) -> dict[str, str]:
    declared = {k: v for k, v in (prepared.environment.env or {}).items() if v is not None}
    return {**declared, **options.env}


class _Stop(BaseException):
    """SIGINT or SIGTERM arrived: stop the server.  Not an ``Exception``: code that
    catches errors (creating the environment) lets it through, as KeyboardInterrupt."""


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
    by a signal, 1 when the server ended on its own with an error).

    For the local backend, JupyterLab starts as soon as the folder is known, while the
    environment is read, planned and created (a warm launch is then ready about when a
    bare server is); its kernel is registered before the URL is given.  A launch that
    stops on the way stops that server too.
    """
    from envspec.launch import kernelspecs
    from envspec.launch.server import check_port, free_port, new_token

    options = options or RunOptions()
    # The port first: a port in use is found before minutes of building.
    port = check_port(options.port) if options.port is not None else free_port()
    resolved = _resolve(target, options, options.cache_dir or default_cache_dir())
    token = new_token()
    data_dir = kernelspecs.private_data_dir()
    # From here a server may run: SIGTERM, as Ctrl-C, stops it before envspec ends.
    early: RunningServer | None = None
    previous = _install_handlers(lambda: _stop_helpers(lambda: early))
    try:
        if options.backend in (None, "local"):
            early = _start_lab(resolved, port, token, data_dir)
        try:
            prepared = prepare(resolved, options, progress=progress, create=create, planner=planner)
        except BaseException:
            if early is not None:
                _ignore_signals()
                early.stop(options.stop_timeout)
            raise
        if early is not None and prepared.plan.backend != "local":
            early.stop(options.stop_timeout)  # the plan chose Guix or a container
            early = None
        return _serve(prepared, options, port, token, data_dir, on_ready, early)
    except _Stop:
        raise KeyboardInterrupt from None  # stopped before the server was ready
    finally:
        _restore_handlers(previous)
        kernelspecs.remove_data_dir(data_dir)


def _start_lab(target: Target, port: int, token: str, data_dir: Path) -> RunningServer:
    from envspec.launch.server import lab_command, server_environment, start_server

    env = server_environment(token, data_dir, os.environ)
    # The kernel new notebooks get: the one this notebook expects (registered under that
    # name later); without one, Jupyter's python3, which is then registered too.
    command = lab_command(target.folder, port, default_kernel=_expected_kernel(target))
    return start_server(command, port=port, token=token, env=env, cwd=target.folder)


def _expected_kernel(target: Target) -> str | None:
    """``metadata.kernelspec.name`` of the target's notebook, if it has a valid one."""
    import json

    try:
        with open(target.notebook_path, "rb") as handle:
            spec = json.load(handle)["metadata"]["kernelspec"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name else None


def serve(
    prepared: Prepared,
    options: RunOptions,
    *,
    port: int,
    on_ready: Callable[[Ready], None] | None = None,
) -> int:
    """Run the server of a prepared launch until SIGINT or SIGTERM."""
    from envspec.launch import kernelspecs
    from envspec.launch.server import new_token

    data_dir = kernelspecs.private_data_dir()
    try:
        return _serve(prepared, options, port, new_token(), data_dir, on_ready, None)
    finally:
        kernelspecs.remove_data_dir(data_dir)


def _serve(
    prepared: Prepared,
    options: RunOptions,
    port: int,
    token: str,
    data_dir: Path,
    on_ready: Callable[[Ready], None] | None,
    server: RunningServer | None,
) -> int:
    """Serve until SIGINT or SIGTERM: *server* when it runs already (its kernelspecs are
    written now, before anyone has the URL), else the backend's server."""
    from envspec.launch.server import notebook_url, start_server

    previous = _install_handlers()
    spec: ServerCommand | None = None
    try:
        spec = server_command(prepared, options, port, token, data_dir)
        if server is None:
            server = start_server(
                spec.command, port=port, token=token, env=spec.env, cwd=prepared.target.folder
            )
        url = notebook_url(port, prepared.target.notebook, token)
        server.wait_ready(options.ready_timeout)
        if on_ready is not None:
            on_ready(Ready(url, port, prepared.target, spec.kernel, spec.python))
        if options.open_browser:
            _open_browser(url)
        code = server.process.wait()
        if code != 0:
            raise LaunchError(f"the Jupyter server stopped with status {code}")
        return code
    except _Stop:
        return 0
    finally:
        _ignore_signals()
        try:
            if server is not None:
                server.stop(options.stop_timeout)
            if spec is not None and spec.cleanup:
                _cleanup(spec.cleanup)
        finally:
            _restore_handlers(previous)


@dataclass(frozen=True, slots=True)
class ServerCommand:
    """How the server of a launch is started, and stopped."""

    command: list[str]
    env: dict[str, str]
    #: The environment's Python (``None`` when a Guix shell or a container provides it).
    python: Path | None
    kernel: str
    #: Run after the server stopped (``docker stop NAME``), when the backend needs it.
    cleanup: list[str] | None = None


def server_command(
    prepared: Prepared, options: RunOptions, port: int, token: str, data_dir: Path
) -> ServerCommand:
    """The server of *prepared* for its backend; kernelspecs are written into *data_dir*.
    A container image is pulled (or built from the Dockerfile) here."""
    from envspec.launch import backends, kernelspecs
    from envspec.launch.server import lab_command, server_environment

    plan, target = prepared.plan, prepared.target
    files = prepared.environment.files or {}
    names = _kernel_names(prepared)
    kernel_env = _kernel_env(prepared, options)
    display = plan.kernel.display_name or f"Python ({target.notebook})"
    language = plan.kernel.language or "python"
    start = None
    if any(step.kind == "start" for step in plan.steps) and "start" in files:
        start = data_dir / "start"
        start.write_text(files["start"], encoding="utf-8")
        start.chmod(0o700)
    if plan.backend == "docker":
        engine = backends.find_container_engine()
        name = f"envspec-{token[:12]}"
        shared = data_dir / "container"
        kernelspecs.write_kernelspecs(
            shared, names, kernelspecs.kernel_argv("python3"),
            display_name=display, language=language, shared=True,
        )  # fmt: skip
        image = prepared.environment.image
        if any(step.kind == "dockerfile" for step in plan.steps):
            dockerfile = data_dir / "Dockerfile"
            dockerfile.write_text(files["Dockerfile"], encoding="utf-8")
            tag = f"envspec-{hashlib.sha256(files['Dockerfile'].encode()).hexdigest()[:16]}"
            _run_tool(backends.dockerfile_build(engine, dockerfile, target.folder, tag))
            ref, digest, pull = tag, None, False
        elif image is not None:
            ref, digest, pull = image.ref, image.digest, True
        else:  # the plan chooses docker only for an image or a Dockerfile
            raise LaunchError("the docker backend needs the environment's 'image' or a Dockerfile")
        commands = backends.container_commands(
            engine, ref, digest, target.folder, port, name=name, variables=kernel_env,
            kernels=shared, pull=pull,
        )  # fmt: skip
        if commands.pull:
            _run_tool(commands.pull)
        env = {**os.environ, **kernel_env, "JUPYTER_TOKEN": token}
        return ServerCommand(commands.run, env, None, names[0], [engine, "stop", name])
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
            display_name=display, language=language, env=kernel_env,
        )  # fmt: skip
        command = backends.guix_command(
            manifest, channels, backends.guix_lab_arguments(target.folder, port), guix=guix
        )
        return ServerCommand(
            command, server_environment(token, data_dir, os.environ), None, names[0]
        )
    created = prepared.created
    if created is None:
        raise LaunchError("the environment was not created")
    kernelspecs.write_kernelspecs(
        data_dir, names, kernelspecs.kernel_argv(created.python, start),
        display_name=display, language=language, env=kernel_env,
    )  # fmt: skip
    command = lab_command(target.folder, port, default_kernel=names[0])
    env = server_environment(token, data_dir, os.environ)
    return ServerCommand(command, env, created.python, names[0])


def _run_tool(command: list[str]) -> None:
    import subprocess

    try:
        done = subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise LaunchError(f"cannot run {command[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise LaunchError(f"'{' '.join(command[:3])} ...' failed with status {done.returncode}")


def _cleanup(command: list[str]) -> None:
    import contextlib
    import subprocess

    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(command, check=False, capture_output=True, timeout=30)


def _open_browser(url: str) -> None:
    import webbrowser

    # Some browsers (BROWSER=lynx) take the terminal until they end: never wait for one.
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _install_handlers(
    before: Callable[[], None] | None = None,
) -> dict[signal.Signals, Any] | None:
    """SIGINT and SIGTERM raise :class:`_Stop` (after *before*, when given)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = {s: signal.getsignal(s) for s in _SIGNALS}

    def handler(signum: int, frame: types.FrameType | None) -> None:
        if before is not None:
            before()
        raise _Stop(signum)

    for s in _SIGNALS:
        signal.signal(s, handler if before is not None else _raise_stop)
    return previous


def _stop_helpers(keep: Callable[[], RunningServer | None]) -> None:
    """Terminate the processes this launch started (uv, a postBuild script and what it
    started), except the server *keep* returns, which is stopped in order afterwards.

    A build step waits for its process to end, even when interrupted: ending them
    lets the interruption through at once (a terminal's Ctrl-C reaches them itself;
    SIGTERM sent to envspec alone does not)."""
    from envspec.launch.server import descendants

    server = keep()
    spared = set() if server is None else {server.process.pid, *descendants(server.process.pid)}
    for pid in descendants(os.getpid()):
        if pid not in spared:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)


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
