"""The deploy service's Tornado application: ``make_app(config) -> tornado.web.Application``.

Routes (under ``config.base_url``; ``/`` standalone, ``/services/envspec/`` behind a hub):

==========================================  ======================================
``GET  health``                             :class:`~envspec.service.models.Health`
``GET  versions``                           :class:`~envspec.service.models.Versions`
``GET|POST api/v1/deployments``             list mine / create (201 + ``Location``)
``GET|DELETE api/v1/deployments/{id}``      one of mine / stop it (204)
``GET  api/v1/deployments/{id}/log``        server-sent events (``?after=N``)
``POST api/v1/deployments/{id}/push``       commit to a new branch of the origin
==========================================  ======================================

Everything else answers 404 as problem details.  ``make_app(config, handlers=[...])``
adds routes (the web page, the BinderHub routes) *before* these, relative to
``base_url``; their handlers may subclass
:class:`envspec.service.handlers.BaseHandler` and reach the shared
:class:`ServiceState` as ``self.state`` (``app.settings["envspec"]``): the store, the
worker, the authenticator, the launcher, :meth:`ServiceState.create_deployment`.

The application's worker runs on the event loop: ``await state.start()`` once the
loop runs (:func:`envspec.service.server.run` does), ``await state.close()`` at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tornado.web

from envspec.service.config import ServiceConfig
from envspec.service.problems import ProblemError

if TYPE_CHECKING:
    from envspec.service.auth import Authenticator
    from envspec.service.handlers import BaseHandler
    from envspec.service.launchers import Launcher
    from envspec.service.models import CreateDeployment, PushRequest, PushResult
    from envspec.service.store import Record, Store
    from envspec.service.worker import Worker

__all__ = ["ServiceState", "make_app"]

log = logging.getLogger("envspec.service")


class ServiceState:
    """What the handlers share: configuration, database, worker, authenticator, launcher."""

    def __init__(self, config: ServiceConfig) -> None:
        from envspec.service.auth import TokenTable
        from envspec.service.launchers import LocalLauncher
        from envspec.service.store import Store

        self.config = config
        # A tokens file that cannot be used stops the service before it makes anything.
        authenticator = config.authenticator
        if authenticator is None:
            if config.tokens_file is not None:
                authenticator = TokenTable.load(config.tokens_file)
            else:
                authenticator = TokenTable({})
        self.authenticator: Authenticator = authenticator
        self.data_dir = config.data_dir.resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store: Store = Store(config.db_url)
        self.launcher: Launcher = config.launcher or LocalLauncher(
            self.data_dir / "servers",
            ready_timeout=config.launch_timeout,
            warm=config.warm_servers,
        )
        self._worker: Worker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: dict[str, asyncio.Event] = {}
        self._warm: asyncio.Task[None] | None = None

    @property
    def worker(self) -> Worker:
        if self._worker is None:
            from envspec.service.worker import Worker

            self._worker = Worker(self)
        return self._worker

    async def start(self) -> None:
        """Start the worker (on the running loop) and resume what a previous run left."""
        self._loop = asyncio.get_running_loop()
        await self.worker.recover()
        warm_up = getattr(self.launcher, "warm_up", None)
        if warm_up is not None:
            self._warm = asyncio.get_running_loop().create_task(warm_up())

    async def close(self) -> None:
        if self._worker is not None:
            await self._worker.close()
        if self._warm is not None:
            with contextlib.suppress(Exception):
                await self._warm
        close = getattr(self.launcher, "close", None)
        if close is not None:
            await close()
        self.store.close()

    def checkout_dir(self, deployment_id: str) -> Path:
        return self.data_dir / "deployments" / deployment_id

    def log(self, deployment_id: str, phase: str, line: str) -> None:
        """Append a line to the deployment's log (thread-safe)."""
        from envspec.checks.secrets import redact

        self.store.append_log(deployment_id, phase, redact(line))
        self.notify(deployment_id)

    def notify(self, deployment_id: str) -> None:
        """Wake the log streams of the deployment (thread-safe)."""
        loop = self._loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake(deployment_id)
        else:
            loop.call_soon_threadsafe(self._wake, deployment_id)

    def _wake(self, deployment_id: str) -> None:
        event = self._changed.pop(deployment_id, None)
        if event is not None:
            event.set()

    def watch(self, deployment_id: str) -> asyncio.Event:
        """An event set at the deployment's next change: take it *before* reading the
        store, so that a change while the reader works is not missed."""
        return self._changed.setdefault(deployment_id, asyncio.Event())

    async def wait_for_change(
        self, deployment_id: str, timeout: float, event: asyncio.Event | None = None
    ) -> None:
        """Wait for a change of the deployment (since *event* was taken by
        :meth:`watch`), at most *timeout* seconds."""
        event = event or self.watch(deployment_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    def create_deployment(self, owner: str, request: CreateDeployment) -> Record:
        """Check *request* against the policy and the user's limit, store it, queue it.
        Raises :class:`~envspec.service.problems.ProblemError`."""
        from envspec.service import gitpolicy
        from envspec.service.models import GitSource

        config = self.config
        source = request.source
        try:
            if isinstance(source, GitSource):
                gitpolicy.check_url(
                    source.url,
                    allow_local=config.allow_local_repositories,
                    allow_ssh=config.allow_ssh,
                )
                if source.ref is not None:
                    gitpolicy.check_ref(source.ref)
                if source.path is not None:
                    gitpolicy.check_path(source.path)
            else:
                if "/" in source.name:
                    raise gitpolicy.PolicyError("invalid-path", "the name must have no '/'")
                gitpolicy.check_path(source.name)
                _check_notebook(source.notebook)
        except gitpolicy.PolicyError as exc:
            status = 400 if exc.code == "invalid-request" else 422
            raise ProblemError(status, exc.code, exc.detail) from None
        if self.store.count_active(owner) >= config.max_deployments_per_user:
            raise ProblemError(
                429,
                "too-many-deployments",
                f"you have {config.max_deployments_per_user} deployments running or "
                "being built: delete one first",
            )
        record = self.store.create(owner, source.model_dump(mode="json", exclude_none=True))
        self.log(record.id, "queued", "queued")
        log.info("deployment %s created by %s", record.id, owner)
        if self._loop is not None:
            self.worker.submit(record.id)
        return record

    async def stop_deployment(self, deployment_id: str) -> None:
        """Stop its build or its server; its status becomes ``stopped``."""
        record = self.store.get(deployment_id)
        if record is None:
            return
        if not record.terminal or record.status == "ready":
            self.store.update(deployment_id, status="stopped", url=None)
        if self._worker is not None:
            await self._worker.cancel(deployment_id)
        await self.launcher.stop(record)
        if record.status != "stopped":
            self.log(deployment_id, "stopped", "stopped")
        shutil.rmtree(self.checkout_dir(deployment_id), ignore_errors=True)
        self.notify(deployment_id)

    async def push(self, record: Record, request: PushRequest, handler: BaseHandler) -> PushResult:
        from envspec.service.pushback import push

        return await push(self, record, request, handler)


def _check_notebook(notebook: dict[str, Any]) -> None:
    from envspec.service.gitpolicy import PolicyError

    if notebook.get("nbformat") != 4 or not isinstance(notebook.get("cells"), list):
        raise PolicyError("invalid-request", "notebook: not an nbformat 4 document")
    if not isinstance(notebook.get("metadata", {}), dict):
        raise PolicyError("invalid-request", "notebook.metadata must be an object")


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """The access log: method, path (never the query: a client may put a token there),
    status and time."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    took = 1000.0 * handler.request.request_time()
    logging.getLogger("envspec.service.access").log(
        level, "%d %s %s %.1fms", status, handler.request.method, handler.request.path, took
    )


def make_app(
    config: ServiceConfig,
    *,
    handlers: Sequence[tuple[Any, ...]] = (),
    **settings: Any,
) -> tornado.web.Application:
    """The service's application.  *handlers* are extra ``(pattern, handler[, kwargs])``
    routes relative to ``config.base_url``; *settings* go to Tornado."""
    from envspec.service import handlers as h

    base = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
    if not base.startswith("/"):
        base = "/" + base
    config = config.replace(base_url=base)
    state = ServiceState(config)
    routes: list[Any] = [(base + route[0].lstrip("/"), *route[1:]) for route in handlers]
    deployment = r"api/v1/deployments/([0-9A-Za-z_-]{1,64})"
    routes += [
        (base + "health", h.HealthHandler),
        (base + "versions", h.VersionsHandler),
        (base + "api/v1/deployments/?", h.DeploymentsHandler),
        (base + deployment + "/?", h.DeploymentHandler),
        (base + deployment + "/log", h.LogHandler),
        (base + deployment + "/push", h.PushHandler),
    ]
    return tornado.web.Application(
        routes,
        envspec=state,
        default_handler_class=h.NotFoundHandler,
        log_function=_log_request,
        **settings,
    )
