"""The deploy service behind JupyterHub: who is calling, and whose server starts where.

- :class:`HubAuthenticator` (an :class:`~envspec.service.auth.Authenticator`) names the
  user of a request with JupyterHub's OAuth for services
  (:class:`jupyterhub.services.auth.HubOAuth`): a hub token in ``Authorization``, or the
  service's cookie set by the OAuth callback route (``<prefix>oauth_callback``).  So any
  hub authenticator signs users in to the service: OAuthenticator (GitHub, GitLab, any
  OpenID Connect provider), NativeAuthenticator, PAM.  A cookie-authenticated request
  that changes something (POST, DELETE) must come from the service's own pages (its
  ``Origin`` is the service's): another site cannot act with a user's cookie.  The
  user's forge token (OAuthenticator's ``auth_state``) is given for pushing back.
- :class:`HubLauncher` (a :class:`~envspec.service.launchers.Launcher`) starts the
  deployment as a named server of its owner through the hub's REST API
  (``user_options={"envspec_deployment": ID}``): the hub's spawner
  (:class:`~envspec.service.spawner.EnvspecSpawnerMixin`) opens the notebook with the
  kernel the service registered, through the hub's proxy and the idle culler.
- :func:`resolve_deployment` is the spawner's side: the deployment of the spawning user,
  read from the service's database.
- ``python -m envspec.service.hub`` runs the service as a managed hub service (what
  :func:`envspec.service.embedded.add_envspec` configures).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlparse

if TYPE_CHECKING:
    from tornado.web import RequestHandler

    from envspec.launch.run import Prepared
    from envspec.service.app import ServiceState
    from envspec.service.spawner import Launchable
    from envspec.service.store import Record, Store

__all__ = ["HubAuthenticator", "HubLauncher", "main", "resolve_deployment", "server_name"]

_SAFE = {"GET", "HEAD", "OPTIONS"}


class HubAuthenticator:
    """The user of a request, from the hub (token or the service's OAuth cookie)."""

    def __init__(self, hub_auth: Any = None) -> None:
        if hub_auth is None:
            from jupyterhub.services.auth import HubOAuth

            hub_auth = HubOAuth(cache_max_age=60)
        self.hub_auth = hub_auth

    async def identify(self, handler: RequestHandler) -> str | None:
        auth = self.hub_auth
        has_token = bool(auth.get_token(handler, in_cookie=False))
        if not has_token and handler.request.method not in _SAFE and not _same_origin(handler):
            return None  # a cookie sent by another site's form or script
        model = await auth.get_user(handler, sync=False)
        if not model or model.get("kind", "user") != "user":
            return None
        required = auth.access_scopes
        if required and not auth.check_scopes(required, model):
            return None
        name: str = model["name"]
        return name

    def login_url(self, handler: RequestHandler) -> str:
        """Where a browser without the service's cookie signs in (sets the OAuth state
        cookie); back to the current page afterwards."""
        from tornado.httputil import url_concat

        auth = self.hub_auth
        params: dict[str, str] = {}
        verifier = None
        if getattr(auth, "pkce_enabled", False):
            verifier, challenge, method = auth.generate_pkce_code_challenge()
            params["code_challenge"] = challenge
            params["code_challenge_method"] = method
        params["state"] = auth.set_state_cookie(
            handler, next_url=handler.request.uri, code_verifier=verifier
        )
        return str(url_concat(auth.login_url, params))

    async def forge_token(self, handler: RequestHandler, user: str) -> str | None:
        """The user's access token at the forge they signed in with (OAuthenticator's
        ``auth_state``; the hub needs ``enable_auth_state``), else ``None``."""
        model = await _hub_api(self.hub_auth.api_url, self.hub_auth.api_token, "GET",
                               f"users/{quote(user, safe='')}", ok404=True)  # fmt: skip
        state = (model or {}).get("auth_state") or {}
        token = state.get("access_token") if isinstance(state, dict) else None
        return token if isinstance(token, str) and token else None

    def routes(self) -> list[tuple[Any, ...]]:
        """The OAuth callback route, and ``login?next=PATH`` (signs in through the hub,
        then goes to PATH of this service), relative to the service's prefix."""
        return [
            ("oauth_callback", _callback_class(), {"hub_auth": self.hub_auth}),
            ("login", _login_class(), {"authenticator": self}),
        ]


def _same_origin(handler: RequestHandler) -> bool:
    origin = handler.request.headers.get("Origin")
    if not origin:
        return False
    parts = urlparse(origin)
    return parts.netloc == handler.request.host and parts.scheme in ("http", "https")


def _callback_class() -> Any:
    from jupyterhub.services.auth import HubOAuthCallbackHandler

    class Callback(HubOAuthCallbackHandler):  # type: ignore[misc]
        def initialize(self, hub_auth: Any) -> None:
            self.hub_auth = hub_auth

    return Callback


def _login_class() -> Any:
    from tornado import web

    class Login(web.RequestHandler):
        def initialize(self, authenticator: HubAuthenticator) -> None:
            self.authenticator = authenticator

        def get(self) -> None:
            prefix = self.authenticator.hub_auth.base_url
            wanted = self.get_argument("next", prefix)
            # only a page of this service: never a redirect to another site
            if not wanted.startswith(prefix) or "//" in wanted or "\\" in wanted:
                wanted = prefix
            self.request.uri = wanted  # where the OAuth callback comes back to
            self.redirect(self.authenticator.login_url(self))

    return Login


async def _hub_api(
    api_url: str, token: str, method: str, path: str, body: Any = None, *, ok404: bool = False
) -> Any:
    """A request to the hub's REST API with the service's token; the JSON answer."""
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError

    url = api_url.rstrip("/") + "/" + path
    data = json.dumps(body) if body is not None else (None if method in ("GET",) else "")
    try:
        response = await AsyncHTTPClient().fetch(
            url,
            method=method,
            body=data,
            headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
            allow_nonstandard_methods=True,
            request_timeout=60,
        )
    except HTTPClientError as exc:
        if ok404 and exc.code == 404:
            return None
        detail = ""
        if exc.response is not None and exc.response.body:
            try:
                detail = json.loads(exc.response.body).get("message", "")
            except (ValueError, AttributeError):
                detail = ""
        raise HubError(exc.code, detail or str(exc)) from None
    return json.loads(response.body) if response.body else None


class HubError(Exception):
    """The hub refused a request (``code`` is the HTTP status)."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"the hub answered {code}: {message}")


def server_name(deployment_id: str) -> str:
    """The hub's name of a deployment's server (a hub wants a lowercase slug that starts
    with a letter, at most 30 characters): ``envspec-<id>``."""
    import hashlib

    name = f"envspec-{deployment_id}"
    if re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", name) and len(name) <= 30:
        return name
    return "envspec-" + hashlib.sha256(deployment_id.encode()).hexdigest()[:20]


class HubLauncher:
    """Each deployment is a named server of its owner (named after the deployment)."""

    def __init__(
        self,
        *,
        api_url: str | None = None,
        api_token: str | None = None,
        public_url: str | None = None,
        kernels_dir: Path | None = None,
        ready_timeout: float = 300.0,
    ) -> None:
        self.api_url = api_url or os.environ.get("JUPYTERHUB_API_URL", "")
        self.api_token = api_token or os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.public_url = (public_url or os.environ.get("ENVSPEC_PUBLIC_URL", "")).rstrip("/")
        self.kernels_dir = kernels_dir
        self.ready_timeout = ready_timeout
        self._store: Store | None = None
        self._state: ServiceState | None = None
        self._prestarted: set[str] = set()

    def attach(self, state: ServiceState) -> None:
        """Use the service's database (the spawner reads what the launcher writes there)."""
        self._store = state.store
        self._state = state
        if self.kernels_dir is None:
            self.kernels_dir = state.data_dir / "kernels"

    def _log(self, deployment: Record, line: str) -> None:
        """A line of the deployment's log (its time says when each phase began)."""
        if self._state is not None:
            self._state.log(deployment.id, "launching", line)

    async def _request_server(self, deployment: Record) -> None:
        self._log(deployment, f"asking the hub to start server {server_name(deployment.id)}")
        await self._api("POST", self._server_path(deployment), _options(deployment))

    def _api(self, method: str, path: str, body: Any = None, *, ok404: bool = False) -> Any:
        return _hub_api(self.api_url, self.api_token, method, path, body, ok404=ok404)

    @staticmethod
    def _server_path(deployment: Record) -> str:
        return f"users/{quote(deployment.owner, safe='')}/servers/{server_name(deployment.id)}"

    def _record(self, deployment: Record, folder: Path, notebook: str, kernel: str) -> Path:
        """What the spawner reads: the folder, the notebook, the kernel and its folder."""
        from envspec.service.launchers import LaunchFailed

        if self._store is None or self.kernels_dir is None:
            raise LaunchFailed("the hub launcher is not attached to the service")
        kernels = self.kernels_dir / deployment.id
        hub_state = {
            "folder": str(folder),
            "notebook": notebook,
            "kernel": kernel,
            "kernels": str(kernels),
        }
        self._store.update(deployment.id, state={"hub": hub_state})
        return kernels

    async def prestart(self, deployment: Record, folder: Path, notebook: str) -> None:
        """Start the server as soon as the checkout is there, while the environment is
        built: the server's start (seconds) and the build overlap.  Its kernel is
        registered later, under the name the notebook expects (Jupyter reads kernelspecs
        when asked), as ``envspec launch`` does."""
        kernels = self._record(deployment, folder, notebook, _expected_kernel(folder / notebook))
        kernels.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            await self._stop_server(deployment)  # a server of an earlier attempt
            await self._request_server(deployment)
        except HubError:
            return  # start() tries again, and says why if it fails
        self._prestarted.add(deployment.id)

    async def start(self, deployment: Record, prepared: Prepared) -> str:
        from envspec.service.launchers import LaunchFailed

        folder, notebook = prepared.target.folder, prepared.target.notebook
        kernels = self._record(deployment, folder, notebook, _expected_kernel(folder / notebook))
        kernel = await asyncio.to_thread(_write_kernels, prepared, kernels)
        self._record(deployment, folder, notebook, kernel)
        try:
            if deployment.id not in self._prestarted or not await self._exists(deployment):
                await self._stop_server(deployment)
                await self._request_server(deployment)
            server = await self._wait_ready(deployment)
            self._log(deployment, "the server is up behind the hub's proxy")
        except HubError as exc:
            raise LaunchFailed(f"the hub did not start the server: {exc}") from None
        finally:
            self._prestarted.discard(deployment.id)
        base = str(server.get("url") or f"/user/{deployment.owner}/{server_name(deployment.id)}/")
        if not base.endswith("/"):
            base += "/"
        return f"{self.public_url}{base}lab/tree/{quote(notebook)}"

    async def _exists(self, deployment: Record) -> bool:
        user = await self._api("GET", f"users/{quote(deployment.owner, safe='')}", ok404=True)
        return server_name(deployment.id) in (user or {}).get("servers", {})

    async def _wait_ready(self, deployment: Record) -> dict[str, Any]:
        from envspec.service.launchers import LaunchFailed

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_timeout
        delay = 0.05
        while True:
            user = await self._api("GET", f"users/{quote(deployment.owner, safe='')}")
            server = (user or {}).get("servers", {}).get(server_name(deployment.id))
            if server is None:
                raise LaunchFailed("the server stopped while starting (the hub's log says why)")
            if server.get("ready"):
                return dict(server)
            if loop.time() > deadline:
                raise LaunchFailed(f"the server was not ready within {self.ready_timeout:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)  # one cheap request a tenth of a second

    async def _stop_server(self, deployment: Record) -> None:
        path = self._server_path(deployment)
        await self._api("DELETE", path, {"remove": True}, ok404=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while loop.time() < deadline:
            user = await self._api("GET", f"users/{quote(deployment.owner, safe='')}", ok404=True)
            if server_name(deployment.id) not in (user or {}).get("servers", {}):
                return
            await asyncio.sleep(0.2)
            await self._api("DELETE", path, {"remove": True}, ok404=True)

    async def stop(self, deployment: Record) -> None:
        with contextlib.suppress(HubError):  # the hub is gone: its servers went with it
            await self._stop_server(deployment)
        if self.kernels_dir is not None:
            shutil.rmtree(self.kernels_dir / deployment.id, ignore_errors=True)

    async def is_running(self, deployment: Record) -> bool:
        try:
            user = await self._api("GET", f"users/{quote(deployment.owner, safe='')}", ok404=True)
        except HubError:
            return False
        server = (user or {}).get("servers", {}).get(server_name(deployment.id))
        return bool(server and server.get("ready"))


def _options(deployment: Record) -> dict[str, str]:
    return {"envspec_deployment": deployment.id}


def _expected_kernel(notebook: Path) -> str:
    """The kernel the notebook opens with: its ``metadata.kernelspec.name``, else Jupyter's
    ``python3`` (both are registered for the environment)."""
    try:
        spec = json.loads(notebook.read_bytes())["metadata"]["kernelspec"]
    except (OSError, ValueError, KeyError, TypeError):
        return "python3"
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9._-]+", name) else "python3"


def _write_kernels(prepared: Prepared, kernels: Path) -> str:
    """Register the environment's kernel in *kernels* (as ``envspec launch`` does); its name.
    The folder stays (a server started early reads it)."""
    from envspec.launch.run import RunOptions, server_command

    kernels.mkdir(parents=True, exist_ok=True, mode=0o700)
    spec = server_command(prepared, RunOptions(open_browser=False), 0, "", kernels)
    return spec.kernel


# --- the spawner's side ------------------------------------------------------------------

_STORES: dict[str, Store] = {}
#: A deployment's server starts while it is built (``prestart``), or when it is launched.
_STARTING = frozenset({"fetching", "building", "launching", "ready"})


def resolve_deployment(spawner: Any, deployment_id: str) -> Launchable | None:
    """The deployment *deployment_id* of ``spawner.user``, as the service launched it
    (``None`` when that user has none by that id, or it is not being launched)."""
    from envspec.service.spawner import Launchable
    from envspec.service.store import Store

    url = spawner.database_url or os.environ.get("ENVSPEC_DATABASE_URL", "")
    if not url:
        return None
    store = _STORES.get(url)
    if store is None:
        store = _STORES[url] = Store(url)
    record = store.get(deployment_id)
    if record is None or record.owner != spawner.user.name:
        return None
    hub_state = record.state.get("hub")
    if record.status not in _STARTING or not isinstance(hub_state, dict):
        return None
    return Launchable(
        target=hub_state["folder"],
        notebook=hub_state["notebook"],
        key=record.id,
        kernel=hub_state["kernel"],
        kernels_dir=hub_state["kernels"],
    )


# --- the managed service -----------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the service as a JupyterHub service (the hub gives its URL, prefix and token)."""
    from envspec.service.config import ServiceConfig, load_config
    from envspec.service.server import setup_logging

    # where to listen: ENVSPEC_BIND (add_envspec sets it), else the URL the hub gives
    bind = os.environ.get("ENVSPEC_BIND") or ""
    parts = urlparse("http://" + bind if bind else os.environ.get("JUPYTERHUB_SERVICE_URL", ""))
    overrides: dict[str, Any] = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 8585,
        "base_url": os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/envspec/"),
        "db_url": os.environ.get("ENVSPEC_DATABASE_URL") or None,
    }
    path = os.environ.get("ENVSPEC_SERVICE_CONFIG")
    config = load_config(Path(path), **overrides) if path else ServiceConfig(**overrides)
    launcher = HubLauncher(ready_timeout=config.launch_timeout)
    authenticator = HubAuthenticator()
    config = config.replace(authenticator=authenticator, launcher=launcher)
    setup_logging(config.log_level)
    return asyncio.run(_serve(config, authenticator, launcher))


async def _serve(config: Any, authenticator: HubAuthenticator, launcher: HubLauncher) -> int:
    from tornado.httpserver import HTTPServer

    from envspec.service.app import make_app

    data_dir = config.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    app = make_app(
        config,
        handlers=[*authenticator.routes(), *_page_routes()],
        cookie_secret=_cookie_secret(data_dir),
    )
    state: ServiceState = app.settings["envspec"]
    launcher.attach(state)
    server = HTTPServer(app, max_body_size=16 * config.max_body_bytes + 1)
    server.listen(config.port, address=config.host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher: asyncio.Task[None] | None = None
    try:
        await state.start()
        watcher = asyncio.get_running_loop().create_task(_watch(state, launcher))
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        server.stop()
        await state.close()  # users' servers stay: they belong to the hub
    return 0


async def _watch(state: ServiceState, launcher: HubLauncher) -> None:
    """A ready deployment whose server the hub stopped (the idle culler, an admin, the
    person from the hub's page) becomes ``stopped``: its URL leads nowhere any more."""
    interval = float(os.environ.get("ENVSPEC_WATCH_SECONDS", "30"))
    while True:
        await asyncio.sleep(interval)
        for record in state.store.list_deployments(statuses={"ready"}):
            if await launcher.is_running(record):
                continue
            current = state.store.get(record.id)
            if current is None or current.status != "ready":
                continue  # changed meanwhile
            state.store.update(record.id, status="stopped", url=None)
            state.log(record.id, "stopped", "the hub stopped the server (idle, or stopped there)")
            state.notify(record.id)
            await launcher.stop(record)


def _page_routes() -> list[Any]:
    """The deploy page's routes (``envspec.service.web``), as the standalone service has."""
    try:
        from envspec.service.web import page_routes  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # an installation without the page: the API alone
        return []
    return list(page_routes())


def _cookie_secret(data_dir: Path) -> bytes:
    """The service's cookie secret, made once (a restart keeps users signed in)."""
    from envspec._atomic import write_atomic

    path = data_dir / "cookie_secret"
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        secret = b""
    if len(secret) < 32:
        secret = secrets.token_hex(32).encode()
        write_atomic(path, secret, mode=0o600)
    return secret


if __name__ == "__main__":
    sys.exit(main())
