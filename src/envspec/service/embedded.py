"""``envspec serve``: binder-lite on one machine, a JupyterHub envspec configures and runs.

:func:`write_config` writes ``jupyterhub_config.py`` into the state folder: SQLite,
local processes (:class:`~envspec.service.spawner.EnvspecSimpleLocalProcessSpawner`),
configurable-http-proxy, everything on 127.0.0.1, a first admin account with a
generated password, the operator's own ``jupyterhub_config.py`` when one is given,
and then :func:`add_envspec`: the envspec service as a managed hub service (OAuth
sign-in through the hub) and jupyterhub-idle-culler.  :func:`add_envspec` is also
what an operator calls from the configuration of any other hub.

Nothing here prints: :func:`run` gives the URL and the credential to ``on_ready``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "ADMIN",
    "HOST",
    "Ready",
    "ServeError",
    "ServeOptions",
    "add_envspec",
    "admin_password",
    "default_state_dir",
    "find_proxy",
    "hub_config",
    "run",
    "start",
    "write_config",
]

HOST = "127.0.0.1"
ADMIN = "admin"
SERVICE = "envspec"
CULLER = "idle-culler"
#: What the envspec service may do through the hub's REST API: start and stop users'
#: servers, read who they are, and read a user's forge token (for pushing back).
SERVICE_SCOPES = ["servers", "read:users", "admin:auth_state"]
#: What jupyterhub-idle-culler needs.
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


#: What the service's builds need of the hub's environment (a hub gives its services
#: only a few variables): the home and caches (uv's too), the package index, CA files.
_PASSED = frozenset({
    "HOME", "ENVSPEC_CACHE_DIR", "XDG_CACHE_HOME", "UV_CACHE_DIR", "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_PYTHON_INSTALL_DIR", "PIP_INDEX_URL",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy",
    "NO_PROXY", "no_proxy",
})  # fmt: skip


class ServeError(Exception):
    """The hub cannot be started: ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What the operator decides (command-line options)."""

    state_dir: Path
    port: int = 8000
    #: An existing ``jupyterhub_config.py`` loaded before envspec's part.
    config: Path | None = None
    #: The deployments' database (default: SQLite in the state folder).
    database_url: str | None = None
    #: Accept local paths and file:// repositories (tests, a machine's own repositories).
    allow_local_repositories: bool = False
    find_links: tuple[str, ...] = ()
    index_url: str | None = None
    no_index: bool = False
    #: Seconds a server may be idle before jupyterhub-idle-culler stops it (0: never).
    idle_timeout: int = 3600
    #: Extra settings of the envspec service (its configuration file's keys).
    service_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Ready:
    """The hub answers."""

    url: str
    user: str
    password: str
    password_file: Path
    config_file: Path
    seconds: float


def default_state_dir() -> Path:
    """``$XDG_STATE_HOME/envspec/serve`` (``~/.local/state/envspec/serve``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "envspec" / "serve"


def find_proxy() -> str:
    """The configurable-http-proxy program, or a :class:`ServeError` saying how to install it."""
    found = shutil.which("configurable-http-proxy")
    if found is None:
        raise ServeError(
            "configurable-http-proxy is not installed (JupyterHub's proxy, from the npm registry)",
            "install it with 'npm install -g configurable-http-proxy' (Node.js 18 or later)",
        )
    return found


def _free_port() -> int:
    from envspec.launch.server import free_port

    return free_port()


def admin_password(state_dir: Path) -> tuple[str, Path]:
    """The first admin's password (made once, readable by its owner only) and its file."""
    from envspec._atomic import write_atomic

    path = state_dir / "admin-password"
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        password = ""
    if len(password) < 32:
        password = secrets.token_urlsafe(32)
        write_atomic(path, (password + "\n").encode(), mode=0o600)
    return password, path


def add_envspec(
    c: Any,
    *,
    service_config: str | os.PathLike[str],
    database_url: str,
    service_port: int | None = None,
    idle_timeout: int = 3600,
    public_url: str = "",
    url: str | None = None,
    bind: str = HOST,
    python: str = sys.executable,
) -> None:
    """Add envspec to a JupyterHub configuration *c*: the envspec service (managed by the
    hub, signing users in with the hub's OAuth), the roles it needs, named servers, the
    spawner's database, and jupyterhub-idle-culler (unless *idle_timeout* is 0).

    *url* is where the hub's proxy reaches the service (``http://127.0.0.1:PORT`` by
    default); *bind* the address it listens on (on Kubernetes, where the proxy runs in
    another pod: ``url="http://hub:8585"``, ``bind="0.0.0.0"``).

    In a ``jupyterhub_config.py``::

        from envspec.service.embedded import add_envspec
        c.JupyterHub.spawner_class = "envspec.service.spawner.EnvspecLocalProcessSpawner"
        add_envspec(c, service_config="/etc/envspec/service.toml",
                    database_url="sqlite:////var/lib/envspec/deployments.sqlite")
    """
    port = service_port or _free_port()
    c.JupyterHub.services.append(
        {
            "name": SERVICE,
            "url": url or f"http://{HOST}:{port}",
            "command": [python, "-m", "envspec.service.hub"],
            "environment": {
                "ENVSPEC_SERVICE_CONFIG": os.fspath(service_config),
                "ENVSPEC_DATABASE_URL": database_url,
                "ENVSPEC_PUBLIC_URL": public_url,
                "ENVSPEC_BIND": f"{bind}:{port}",
                # how often ready deployments are checked (their servers may be culled)
                "ENVSPEC_WATCH_SECONDS": str(
                    max(1, min(idle_timeout // 2, 30)) if idle_timeout else 30
                ),
                **{k: v for k, v in os.environ.items() if k in _PASSED},
            },
            "oauth_no_confirm": True,
            "display": True,
        }
    )
    c.JupyterHub.load_roles.append(
        {"name": "envspec-service", "services": [SERVICE], "scopes": list(SERVICE_SCOPES)}
    )
    _let_users_in(c)
    c.JupyterHub.allow_named_servers = True
    c.EnvspecSpawnerMixin.database_url = database_url
    if idle_timeout > 0:
        c.JupyterHub.services.append(
            {
                "name": CULLER,
                "command": [
                    python,
                    "-m",
                    "jupyterhub_idle_culler",
                    f"--timeout={idle_timeout}",
                    f"--cull-every={max(1, min(idle_timeout // 2, 300))}",
                ],
            }
        )
        c.JupyterHub.load_roles.append(
            {"name": "envspec-idle-culler", "services": [CULLER], "scopes": list(CULLER_SCOPES)}
        )


def _let_users_in(c: Any) -> None:
    """Every user may use the service: its access scope joins the ``user`` role (the
    operator's ``user`` role when the configuration has one, else JupyterHub's default)."""
    access = f"access:services!service={SERVICE}"
    roles = c.JupyterHub.load_roles
    existing = [r for r in roles if r.get("name") == "user"] if isinstance(roles, list) else []
    if existing:
        for role in existing:
            scopes = role.setdefault("scopes", ["self"])
            if access not in scopes:
                scopes.append(access)
        return
    c.JupyterHub.load_roles.append({"name": "user", "scopes": ["self", access]})


def _service_settings(options: ServeOptions) -> str:
    """The service's configuration file (TOML, its ``[service]`` table)."""
    from envspec.launch.run import default_cache_dir

    settings: dict[str, Any] = {
        "data_dir": "service",
        "cache_dir": str(default_cache_dir()),
        "allow_local_repositories": options.allow_local_repositories,
        "find_links": list(options.find_links),
        "no_index": options.no_index,
    }
    if options.index_url:
        settings["index_url"] = options.index_url
    settings.update(options.service_settings)
    lines = ["# Written by `envspec serve` at each start.", "[service]"]
    # JSON strings, numbers, booleans and lists of strings are TOML as they are
    lines += [f"{key} = {json.dumps(value)}" for key, value in sorted(settings.items())]
    return "\n".join(lines) + "\n"


def hub_config(
    options: ServeOptions, *, hub_port: int, proxy_api_port: int, service_port: int
) -> str:
    """The text of ``jupyterhub_config.py`` for *options*."""
    from envspec.launch.run import default_cache_dir

    state = options.state_dir.resolve()
    database_url = options.database_url or f"sqlite:///{state / 'deployments.sqlite'}"
    lines = [
        "# Written by `envspec serve` at each start: edits here are lost. Put your own",
        "# settings in a jupyterhub_config.py given with `envspec serve --config FILE`.",
        "from pathlib import Path",
        "",
        "from envspec.service.embedded import add_envspec",
        "",
        "c = get_config()  # noqa: F821 - JupyterHub's configuration loader provides it",
        f"STATE = Path({str(state)!r})",
        "",
        "# one machine, loopback only",
        f"c.JupyterHub.ip = {HOST!r}",
        f"c.JupyterHub.port = {options.port}",
        f"c.JupyterHub.hub_ip = {HOST!r}",
        f"c.JupyterHub.hub_port = {hub_port}",
        f"c.ConfigurableHTTPProxy.api_url = 'http://{HOST}:{proxy_api_port}'",
        "c.ConfigurableHTTPProxy.pid_file = str(STATE / 'jupyterhub-proxy.pid')",
        "c.JupyterHub.db_url = 'sqlite:///' + str(STATE / 'jupyterhub.sqlite')",
        "c.JupyterHub.cookie_secret_file = str(STATE / 'jupyterhub_cookie_secret')",
        "# after signing in: the deploy page (not a server of one's own)",
        f"c.JupyterHub.default_url = '/services/{SERVICE}/'",
        "",
        "# the first admin (the password is in STATE/admin-password, readable by its owner)",
        "c.JupyterHub.authenticator_class = 'shared-password'",
        f"c.SharedPasswordAuthenticator.admin_users = {{{ADMIN!r}}}",
        f"c.SharedPasswordAuthenticator.allowed_users = {{{ADMIN!r}}}",
        "c.SharedPasswordAuthenticator.admin_password = (",
        "    (STATE / 'admin-password').read_text(encoding='utf-8').strip()",
        ")",
        "",
        "# local processes of this account, one home per user",
        "c.JupyterHub.spawner_class = 'envspec.service.spawner.EnvspecSimpleLocalProcessSpawner'",
        "c.EnvspecSimpleLocalProcessSpawner.home_dir_template = (",
        "    str(STATE / 'users') + '/{username}'",
        ")",
        "c.EnvspecSpawnerMixin.work_root = str(STATE / 'work')",
        f"c.EnvspecSpawnerMixin.cache_dir = {str(default_cache_dir())!r}",
        f"c.EnvspecSpawnerMixin.find_links = {list(options.find_links)!r}",
        f"c.EnvspecSpawnerMixin.index_url = {options.index_url or ''!r}",
        f"c.EnvspecSpawnerMixin.no_index = {options.no_index!r}",
        "c.Spawner.http_timeout = 120",
    ]
    if options.config is not None:
        lines += [
            "",
            "# the operator's configuration",
            f"load_subconfig({str(options.config.resolve())!r})  # noqa: F821",
        ]
    lines += [
        "",
        "# envspec: the deploy service and the idle culler",
        "add_envspec(",
        "    c,",
        "    service_config=str(STATE / 'service.toml'),",
        f"    database_url={database_url!r},",
        f"    service_port={service_port},",
        f"    idle_timeout={options.idle_timeout},",
        f"    public_url='http://{HOST}:{options.port}',",
        ")",
        "",
    ]
    return "\n".join(lines)


def write_config(
    options: ServeOptions,
    *,
    hub_port: int | None = None,
    proxy_api_port: int | None = None,
    service_port: int | None = None,
) -> Path:
    """Write the state folder: the hub's configuration, the service's settings and the
    admin password (kept from an earlier run).  The configuration file's path."""
    from envspec._atomic import write_atomic

    state = options.state_dir
    if options.config is not None and not options.config.is_file():
        raise ServeError(
            f"--config {options.config}: no such file",
            "give an existing jupyterhub_config.py, or leave --config out",
        )
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    admin_password(state)
    _write_if_changed(state / "service.toml", _service_settings(options).encode(), write_atomic)
    ports = _ports(state, {"hub": hub_port, "proxy_api": proxy_api_port, "service": service_port})
    text = hub_config(
        options,
        hub_port=ports["hub"],
        proxy_api_port=ports["proxy_api"],
        service_port=ports["service"],
    )
    path = state / "jupyterhub_config.py"
    _write_if_changed(path, text.encode(), write_atomic)
    return path


def _ports(state: Path, wanted: dict[str, int | None]) -> dict[str, int]:
    """The internal ports (the hub's API, the proxy's API, the service): those of the last
    run while they are free (a second start writes the same configuration), else new ones."""
    from envspec._atomic import write_atomic

    path = state / "ports.json"
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    ports: dict[str, int] = {}
    for name, given in wanted.items():
        old = known.get(name) if isinstance(known, dict) else None
        if given is not None:
            ports[name] = given
        elif isinstance(old, int) and _is_free(old):
            ports[name] = old
        else:
            ports[name] = _free_port()
    _write_if_changed(path, (json.dumps(ports, sort_keys=True) + "\n").encode(), write_atomic)
    return ports


def _is_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as the proxy and the hub listen: connections of a previous run waiting to
        # close (TIME_WAIT) do not make the port busy
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
            sock.listen()
        except OSError:
            return False
    return True


def _write_if_changed(path: Path, data: bytes, write: Callable[..., None]) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.read_bytes() == data:
            return
    write(path, data, mode=0o600)


@dataclass
class RunningHub:
    """A JupyterHub process started by :func:`start`."""

    process: subprocess.Popen[bytes]
    url: str
    config_file: Path

    def answers(self) -> bool:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url + "hub/api/", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.process.poll() is not None:
                raise ServeError(
                    f"JupyterHub exited with status {self.process.returncode} before it was ready",
                    "its messages are above",
                )
            if time.monotonic() > deadline:
                raise ServeError(f"JupyterHub did not answer within {timeout:.0f} s")
            time.sleep(0.2)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (the hub stops the proxy, its services and, with its default
        cleanup_servers, the users' servers), then SIGKILL of the group after *timeout*."""
        from envspec.launch.server import _kill_all, descendants

        left = descendants(self.process.pid)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # a hub that failed leaves its proxy and services: nothing of it outlives envspec
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGTERM)
        _kill_all(left, grace=5.0)
        return self.process.returncode


def start(
    options: ServeOptions,
    *,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    output: IO[bytes] | None = None,
) -> RunningHub:
    """Write the configuration and start JupyterHub (in its own process group); its
    messages go to *output* (default: this process's standard streams)."""
    find_proxy()
    if not _is_free(options.port):
        raise ServeError(
            f"port {options.port} of {HOST} is already in use",
            "stop what uses it, or give another port with --port",
        )
    config = write_config(options)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(config), *extra_args]
    process = subprocess.Popen(
        command,
        cwd=options.state_dir,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    return RunningHub(process, f"http://{HOST}:{options.port}/", config)


def run(
    options: ServeOptions,
    *,
    on_ready: Callable[[Ready], None] | None = None,
    ready_timeout: float = 120.0,
) -> int:
    """Run the hub until SIGINT or SIGTERM (then stop it in order); its exit status."""
    started = time.monotonic()
    hub = start(options)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        hub.wait_ready(ready_timeout)
        password, path = admin_password(options.state_dir)
        if on_ready is not None:
            on_ready(
                Ready(hub.url, ADMIN, password, path, hub.config_file, time.monotonic() - started)
            )
        return hub.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for s in previous:
            signal.signal(s, signal.SIG_IGN)
        hub.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
