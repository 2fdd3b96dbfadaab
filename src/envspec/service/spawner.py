"""JupyterHub spawners that open a notebook in its environment.

:class:`EnvspecSpawnerMixin` goes in front of any JupyterHub spawner that runs
``jupyterhub-singleuser`` from this installation.  When a server is started with
``user_options`` naming an envspec deployment (``{"envspec_deployment": ID}``, what the
envspec service asks for) or a notebook under the operator's ``notebook_root``
(``{"envspec_notebook": "course/week1.ipynb"}``), it

1. creates the notebook's environment, or finds it in the cache (the same cache and
   the same content key as ``envspec launch`` and the service: a commit that changes
   only cells builds nothing), with :func:`envspec.launch.run.prepare`;
2. copies the notebook's folder into the user's work folder (once: a restarted server
   finds the user's edits; the shared checkout in the cache is never written to);
3. registers the environment's kernel for this server only, under the name the
   notebook expects, and starts the server with the notebook open and that kernel
   preselected.

Without those options the spawner starts a plain server, as its base class does.
Trust follows the launch rules: a ``postBuild`` or ``start`` script runs only when
the operator trusts the source (``trusted`` here for ``notebook_root``; the service's
decision for a deployment).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner
from traitlets import Any as AnyTrait
from traitlets import Bool, Float, List, Unicode, default
from traitlets.config import Configurable

__all__ = [
    "DeploymentResolver",
    "EnvspecLocalProcessSpawner",
    "EnvspecSimpleLocalProcessSpawner",
    "EnvspecSpawnerMixin",
    "Launchable",
    "SpawnError",
]

_OPTIONS = ("envspec_deployment", "envspec_notebook")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


class SpawnError(Exception):
    """The server cannot start: a message for the person (shown on the hub's spawn page)."""


@dataclass(frozen=True, slots=True)
class Launchable:
    """What a server opens: a target :func:`envspec.launch.run.prepare` understands."""

    #: A folder, a notebook file or a git URL (a git URL is fetched into the clone cache).
    target: str
    #: The notebook, relative to the target's folder (``None``: the target chooses).
    notebook: str | None = None
    ref: str | None = None
    #: Whether the operator trusts the source's setup scripts (``postBuild``, ``start``).
    trusted: bool = False
    #: A name for the user's work folder (the deployment's id, or the notebook's path).
    key: str = "notebook"
    #: Set when the environment's kernel is registered already (by the envspec service,
    #: in *kernels_dir*): then the target folder is served as it is (the service's
    #: checkout, which it pushes back), and nothing is built.
    kernel: str | None = None
    kernels_dir: str | None = None


#: ``resolver(spawner, deployment_id)``: the deployment of ``spawner.user`` (``None`` when
#: that user has no such deployment); may be a coroutine function.
DeploymentResolver = Callable[[Any, str], "Launchable | Awaitable[Launchable | None] | None"]


@dataclass(slots=True)
class _Opened:
    folder: Path
    notebook: str
    kernel: str
    data_dir: Path
    #: Whether the kernelspec folder is this spawner's (removed when the server stops).
    owned: bool = True


def _index(find_links: list[str], index_url: str, no_index: bool) -> Any:
    if not (find_links or index_url or no_index):
        return None
    from envspec.environments import IndexOptions

    return IndexOptions(
        index_url=index_url or None, find_links=tuple(find_links), no_index=no_index
    )


def _relative_notebook(value: object) -> str:
    """A ``/``-separated notebook path inside a folder, or :class:`SpawnError`."""
    if not isinstance(value, str) or not value:
        raise SpawnError("envspec_notebook must be a notebook path such as 'week1/intro.ipynb'")
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value or "\0" in value:
        raise SpawnError(f"envspec_notebook {value!r} must be a relative path without '..'")
    if path.suffix != ".ipynb":
        raise SpawnError(f"envspec_notebook {value!r} is not a notebook (*.ipynb)")
    return str(path)


class EnvspecSpawnerMixin(Configurable):
    """Builds or reuses a notebook's environment and opens the notebook with its kernel.

    Put it first: ``class MySpawner(EnvspecSpawnerMixin, SomeSpawner)``.
    """

    user: Any  # the spawner's (JupyterHub's User)
    log: Any  # the spawner's logger (JupyterHub's)

    notebook_root = Unicode(
        "",
        config=True,
        help="A folder of notebooks users may open by path with user_options "
        "{'envspec_notebook': 'relative/path.ipynb'} (empty: none).",
    )
    trusted = Bool(
        False,
        config=True,
        help="Whether the notebooks of notebook_root may run their setup scripts "
        "(postBuild, start). Deployments carry the service's own decision.",
    )
    deployment_resolver = AnyTrait(
        None,
        allow_none=True,
        config=True,
        help="A callable (spawner, deployment_id) -> Launchable | None (or a coroutine) "
        "that finds a deployment of spawner.user; the envspec service's store by default.",
    )
    database_url = Unicode(
        "",
        config=True,
        help="The envspec service's database URL (the default deployment_resolver reads "
        "deployments from it).",
    )
    cache_dir = Unicode(
        "",
        config=True,
        help="envspec's cache (environments and clones); empty: $ENVSPEC_CACHE_DIR or the "
        "user's cache folder, as for envspec launch.",
    )
    work_root = Unicode(
        "",
        config=True,
        help="Where each user's copies of opened notebooks live: "
        "<work_root>/<username>/<deployment or notebook>. Empty: <home>/envspec.",
    )
    find_links = List(Unicode(), config=True, help="uv --find-links for building environments.")
    index_url = Unicode("", config=True, help="uv --index-url for building environments.")
    no_index = Bool(False, config=True, help="Build from find_links only (uv --no-index).")
    ready_poll_interval = Float(
        0.05,
        config=True,
        help="Seconds between two checks that a new server answers, before the spawner "
        "gives it to the hub (whose own check backs off up to 5 s); 0: the hub's check only.",
    )

    @default("start_timeout")
    def _default_start_timeout(self) -> int:
        return 1800  # the first start of a notebook builds its environment

    @default("apply_user_options")
    def _default_apply_user_options(self) -> Any:
        def apply(spawner: Any, options: dict[str, Any]) -> None:
            # ours are read when the server starts; others are the operator's to handle
            other = sorted(k for k in options if k not in _OPTIONS)
            if other:
                spawner.log.warning("unhandled user_options: %s", ", ".join(other))

        return apply

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        # the server of this installation (PATH may not name the hub's virtual environment):
        # jupyterhub-singleuser, without an import that costs a second of its start
        return [sys.executable, "-m", "envspec.service.singleuser"]

    # --- what the server opens ---------------------------------------------------------

    def options_from_query(self, query_data: dict[str, list[bytes]]) -> dict[str, str]:
        """``/hub/spawn?envspec_deployment=ID`` (or ``envspec_notebook=PATH``)."""
        options = {}
        for key in _OPTIONS:
            if query_data.get(key):
                options[key] = query_data[key][0].decode("utf-8", "replace")
        return options

    async def envspec_launchable(self) -> Launchable | None:
        """What ``user_options`` ask this server to open (``None``: a plain server)."""
        options: dict[str, Any] = dict(getattr(self, "user_options", None) or {})
        deployment = options.get("envspec_deployment")
        notebook = options.get("envspec_notebook")
        if deployment is not None and notebook is not None:
            raise SpawnError("give envspec_deployment or envspec_notebook, not both")
        if deployment is not None:
            if not isinstance(deployment, str) or not _ID.fullmatch(deployment):
                raise SpawnError("envspec_deployment must be a deployment id")
            resolver = self.deployment_resolver or _store_resolver
            found = resolver(self, deployment)
            if asyncio.iscoroutine(found) or isinstance(found, Awaitable):
                found = await found
            if found is None:
                raise SpawnError(f"no deployment {deployment} of {self.user.name}")
            if not isinstance(found, Launchable):
                raise SpawnError("the deployment resolver returned no Launchable")
            return found
        if notebook is not None:
            path = _relative_notebook(notebook)
            if not self.notebook_root:
                raise SpawnError("this hub offers no notebooks by path (notebook_root is empty)")
            root = Path(self.notebook_root).resolve()
            full = (root / path).resolve()
            if not full.is_relative_to(root) or not full.is_file():
                raise SpawnError(f"no notebook {path} on this hub")
            return Launchable(str(full), None, None, self.trusted, path.removesuffix(".ipynb"))
        return None

    # --- the start ---------------------------------------------------------------------

    _envspec_opened: _Opened | None = None
    _envspec_messages: list[str]

    async def start(self) -> Any:
        self._envspec_opened = None
        self._envspec_messages = []
        try:
            launchable = await self.envspec_launchable()
        except SpawnError as exc:
            raise web_error(str(exc)) from None
        name = getattr(self, "name", "") or "(default)"
        if launchable is not None:
            self.log.info("envspec: starting server %s", name)
            try:
                await asyncio.to_thread(self.envspec_open, launchable)
            except SpawnError as exc:
                raise web_error(str(exc)) from None
        started = await super().start()  # type: ignore[misc]
        if launchable is not None:
            self.log.info("envspec: server %s process started", name)
            if await self._envspec_wait_up(started):
                self.log.info("envspec: server %s answers", name)
        return started

    async def stop(self, now: bool = False) -> Any:
        try:
            return await super().stop(now=now)  # type: ignore[misc]
        finally:
            opened, self._envspec_opened = self._envspec_opened, None
            if opened is not None and opened.owned:
                shutil.rmtree(opened.data_dir, ignore_errors=True)

    def _cache(self) -> Path:
        from envspec.launch.run import default_cache_dir

        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def envspec_work_folder(self, key: str) -> Path:
        """The user's copy of what *key* opens."""
        root = Path(self.work_root) if self.work_root else self._home() / "envspec"
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip(".-") or "notebook"
        return root / str(self.user.name) / safe

    def _home(self) -> Path:
        home = getattr(self, "home_dir", "")
        if home:
            return Path(home)
        import pwd

        try:
            return Path(str(pwd.getpwnam(self.user.name).pw_dir))
        except KeyError:
            return Path.home()

    def envspec_open(self, launchable: Launchable) -> _Opened:
        """Prepare the environment, copy the folder, write the kernelspecs (blocking: the
        start runs it in a thread); what the server's options are made from."""
        from envspec.launch import kernelspecs

        if launchable.kernel is not None and launchable.kernels_dir is not None:
            folder = Path(launchable.target)
            if not (folder / (launchable.notebook or "")).is_file():
                raise SpawnError("the deployment's notebook is gone: deploy it again")
            # the service's folder, as it is: the kernel may be registered there after the
            # server started (it starts while the environment is built)
            data_dir = Path(launchable.kernels_dir)
            opened = _Opened(folder, launchable.notebook or "", launchable.kernel, data_dir, False)
            self.envspec_give(opened)
            self._envspec_opened = opened
            return opened
        from envspec.launch.run import LaunchError, RunOptions, prepare, server_command

        options = RunOptions(
            open_browser=False,
            notebook=launchable.notebook,
            ref=launchable.ref,
            trusted=launchable.trusted,
            index=_index(list(self.find_links), self.index_url, self.no_index),
            cache_dir=self._cache(),
        )
        try:
            prepared = prepare(launchable.target, options, progress=self._progress_line)
        except LaunchError as exc:
            raise SpawnError(str(exc)) from None
        if prepared.plan.backend != "local":
            raise SpawnError(
                f"this hub starts local environments; the notebook needs {prepared.plan.backend}"
            )
        work = self.envspec_work_folder(launchable.key)
        if not work.exists():
            work.parent.mkdir(parents=True, exist_ok=True)
            tmp = work.parent / f".{work.name}.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(prepared.target.folder, tmp, symlinks=True)
            os.replace(tmp, work)
        data_dir = kernelspecs.private_data_dir()
        try:
            spec = server_command(prepared, options, 0, "", data_dir)
        except LaunchError as exc:
            shutil.rmtree(data_dir, ignore_errors=True)
            raise SpawnError(str(exc)) from None
        opened = _Opened(work, prepared.target.notebook, spec.kernel, data_dir)
        self.envspec_give(opened)
        self._envspec_opened = opened
        return opened

    def envspec_give(self, opened: _Opened) -> None:
        """Make the work folder and the kernelspecs the server's user's (a hook for
        spawners that switch users)."""

    def _progress_line(self, event: Any) -> None:
        from envspec.checks.secrets import redact
        from envspec.service.job import progress_line

        line = progress_line(event)  # the service's log lines, for the same events
        if line:
            self._envspec_messages.append(redact(line)[:300])

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        """The environment's build steps on the hub's spawn page."""
        seen = 0
        while self._spawn_pending:  # type: ignore[attr-defined]
            messages = getattr(self, "_envspec_messages", [])
            for message in messages[seen:]:
                yield {"progress": 30, "message": message}
            seen = len(messages)
            await asyncio.sleep(0.5)

    async def _envspec_wait_up(self, started: Any) -> bool:
        """Wait until the new server answers, asking every ``ready_poll_interval``
        seconds: JupyterHub's own check backs off exponentially (up to 5 s between two
        tries), so a server up in 2 s is seen late; after this its first try succeeds.
        Whether it answers (``False``: the hub's check decides)."""
        interval = float(self.ready_poll_interval)
        server = getattr(self, "server", None)
        if interval <= 0 or server is None or getattr(self, "internal_ssl", False):
            return False
        if isinstance(started, tuple) and len(started) == 2:
            host = f"http://{started[0] or '127.0.0.1'}:{int(started[1])}"
        elif isinstance(started, str) and started.startswith("http"):
            host = started.rstrip("/")
        else:
            return False
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError

        url = host + str(server.base_url).rstrip("/") + "/api"
        client = AsyncHTTPClient()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(getattr(self, "http_timeout", 30) or 30)
        while loop.time() < deadline:
            try:
                await client.fetch(url, request_timeout=5, follow_redirects=False)
                return True
            except HTTPClientError as exc:
                if exc.code < 500 and exc.code != 599:
                    return True  # any answer but a server error: it is up
            except OSError:
                pass  # not listening yet
            if await self.poll() is not None:  # type: ignore[attr-defined]
                return False  # it exited: the hub reports why
            await asyncio.sleep(interval)
        return False

    # --- the server's options ----------------------------------------------------------

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()  # type: ignore[misc]
        opened = self._envspec_opened
        if opened is not None:
            env["JUPYTERHUB_ROOT_DIR"] = str(opened.folder)
            env["JUPYTERHUB_DEFAULT_URL"] = f"/lab/tree/{quote(opened.notebook)}"
            rest = env.get("JUPYTER_PATH") or os.environ.get("JUPYTER_PATH")
            env["JUPYTER_PATH"] = os.pathsep.join([str(opened.data_dir), *([rest] if rest else [])])
        return env

    def get_args(self) -> list[str]:
        args: list[str] = list(super().get_args())  # type: ignore[misc]
        opened = self._envspec_opened
        if opened is not None:
            args.append(f"--MultiKernelManager.default_kernel_name={opened.kernel}")
        return args


class _RootArgs:
    """A local server of a hub that runs as root (a container's) needs --allow-root, as
    ``envspec launch`` gives it."""

    def get_args(self) -> list[str]:
        args: list[str] = list(super().get_args())  # type: ignore[misc]
        if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in args:
            args.append("--allow-root")
        return args


def web_error(message: str) -> Exception:
    """An error the hub shows as it is (``HTTPError.log_message``)."""
    from tornado import web

    return web.HTTPError(400, message)


def _store_resolver(spawner: Any, deployment: str) -> Launchable | None:
    """The default resolver: the envspec service's store (``database_url``)."""
    from envspec.service import hub

    return hub.resolve_deployment(spawner, deployment)


class EnvspecLocalProcessSpawner(_RootArgs, EnvspecSpawnerMixin, LocalProcessSpawner):  # type: ignore[misc]
    """Local processes, each user's server as their system account (the hub runs as root)."""

    def envspec_give(self, opened: _Opened) -> None:
        import pwd

        if os.geteuid() != 0:
            return
        entry = pwd.getpwnam(self.user.name)
        for folder in (opened.folder, opened.data_dir):
            for path in (folder, *folder.rglob("*")):
                os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


class EnvspecSimpleLocalProcessSpawner(
    _RootArgs,
    EnvspecSpawnerMixin,
    SimpleLocalProcessSpawner,  # type: ignore[misc]
):
    """Local processes of the hub's own account, one home per user: ``envspec serve``'s
    spawner for one person or a trusted group (users are not isolated from each other)."""
