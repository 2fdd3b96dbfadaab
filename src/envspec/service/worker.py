"""The queue: queued -> fetching -> building -> launching -> ready | failed.

:meth:`Worker.submit` queues a deployment; at most ``max_concurrent_builds`` fetch and
build at once (the others stay ``queued``).  Fetching and building run in a child
process (:mod:`envspec.service.job`) whose lines become the deployment's log; a
child that takes longer than ``build_timeout`` is killed and the deployment fails
with ``build-timeout``.  Then the launcher starts the server (``launch_timeout``).

On start-up (:meth:`Worker.recover`) no deployment is left stuck: every unfinished
one (queued, fetching, building, launching: the service stopped, even by kill -9,
in the middle) is resumed from the start (the environment cache and a build that
went on keep that cheap), or fails with ``interrupted`` after ``max_attempts``
starts; a ready one whose server no longer runs is launched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from envspec.service.gitpolicy import PolicyError

if TYPE_CHECKING:
    from envspec.service.app import ServiceState
    from envspec.service.store import Record

__all__ = ["Worker"]

log = logging.getLogger("envspec.service")

UNFINISHED = {"queued", "fetching", "building", "launching"}


class Worker:
    """Runs deployments on the event loop of the service."""

    def __init__(self, state: ServiceState) -> None:
        self.state = state
        self.running = 0
        self._builds = asyncio.Semaphore(state.config.max_concurrent_builds)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._children: dict[str, asyncio.subprocess.Process] = {}
        self._prestarts: dict[str, asyncio.Task[None]] = {}

    def submit(self, deployment_id: str) -> None:
        if deployment_id in self._tasks:
            return
        task = asyncio.get_running_loop().create_task(self._run(deployment_id))
        self._tasks[deployment_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(deployment_id, None))

    async def recover(self) -> None:
        """Resume or fail what a previous run of the service left unfinished."""
        store, config = self.state.store, self.state.config
        for record in reversed(store.list_deployments(statuses=UNFINISHED)):
            if record.attempts >= config.max_attempts:
                self._fail(
                    record.id,
                    "interrupted",
                    f"the service restarted {record.attempts} times during this deployment",
                )
                continue
            await self.state.launcher.stop(record)  # a server started early for it
            self.state.log(record.id, record.status, "the service restarted: resuming")
            store.update(record.id, status="queued")
            self.state.notify(record.id)
            self.submit(record.id)
        launcher = self.state.launcher
        for record in store.list_deployments(statuses={"ready"}):
            is_running = getattr(launcher, "is_running", None)
            if is_running is not None and await is_running(record):
                continue
            self.state.log(record.id, "launching", "the server is gone: starting it again")
            store.update(record.id, status="queued", url=None)
            self.submit(record.id)

    async def cancel(self, deployment_id: str) -> None:
        child = self._children.get(deployment_id)
        if child is not None:
            _kill(child)
        task = self._tasks.get(deployment_id)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def close(self) -> None:
        for deployment_id in list(self._tasks):
            child = self._children.get(deployment_id)
            if child is not None:
                _kill(child)
            self._tasks[deployment_id].cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _fail(self, deployment_id: str, code: str, detail: str) -> None:
        from envspec.checks.secrets import redact

        detail = redact(detail)
        current = self.state.store.get(deployment_id)
        if current is None or current.status == "stopped":
            return  # stopped by its owner: that is not a failure
        self.state.store.update(
            deployment_id, status="failed", error_code=code, error_detail=detail, url=None
        )
        self.state.log(deployment_id, "failed", f"failed ({code}): {detail}")
        self.state.notify(deployment_id)

    async def _run(self, deployment_id: str) -> None:
        try:
            async with self._builds:
                record = self.state.store.get(deployment_id)
                if record is None or record.status != "queued":
                    return
                self.running += 1
                try:
                    outcome = await self._build(record)
                finally:
                    self.running -= 1
                    early = self._prestarts.pop(deployment_id, None)
                    if early is not None:
                        with contextlib.suppress(Exception):
                            await early
            if outcome is None:
                await self.state.launcher.stop(record)  # a server started early
            else:
                await self._launch(deployment_id, outcome)
        except asyncio.CancelledError:
            raise
        except PolicyError as exc:  # the operator's policy changed since it was created
            self._fail(deployment_id, exc.code, exc.detail)
        except Exception as exc:
            log.exception("deployment %s failed", deployment_id)
            self._fail(
                deployment_id, "internal-error", f"{type(exc).__name__} (see the service's log)"
            )

    def _request(self, record: Record) -> dict[str, Any]:
        from envspec.service import gitpolicy

        config = self.state.config
        source = record.source
        request: dict[str, Any] = {
            "source": source,
            "folder": str(self.state.checkout_dir(record.id)),
            "cache_dir": str(config.cache_dir) if config.cache_dir else None,
            "index_url": config.index_url,
            "find_links": list(config.find_links),
            "no_index": config.no_index,
            "depth": config.git_depth,
            "git_timeout": config.git_timeout,
            "max_bytes": config.max_repository_bytes,
            "trusted": False,
            "git_env": gitpolicy.git_env(config.git_ca_bundle),
        }
        if source["type"] == "git":
            request["git_url"] = gitpolicy.check_url(
                source["url"],
                allow_local=config.allow_local_repositories,
                allow_ssh=config.allow_ssh,
            )
            protocols = ["https"]
            if config.allow_ssh:
                protocols.append("ssh")
            if config.allow_local_repositories:
                protocols.append("file")
            request["protocols"] = ":".join(protocols)
            request["trusted"] = any(
                fnmatch.fnmatchcase(source["url"], pattern)
                for pattern in config.trusted_repositories
            )
        return request

    async def _build(self, record: Record) -> dict[str, Any] | None:
        """Fetch and build in a child process; its result, or ``None`` when it failed."""
        store, config = self.state.store, self.state.config
        store.update(
            record.id,
            status="fetching",
            attempts=record.attempts + 1,
            error_code=None,
            error_detail=None,
        )
        self.state.notify(record.id)
        request = self._request(record)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "envspec.service.job",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
            limit=1 << 20,
        )
        self._children[record.id] = child
        outcome: dict[str, Any] | None = None
        try:
            if child.stdin is None or child.stdout is None:  # pragma: no cover - PIPE given
                raise RuntimeError("no pipes to the build process")
            child.stdin.write(json.dumps(request).encode())
            await child.stdin.drain()
            child.stdin.close()
            async with asyncio.timeout(config.build_timeout):
                async for raw in child.stdout:
                    outcome = self._handle(record.id, raw) or outcome
                await child.wait()
        except TimeoutError:
            _kill(child)
            self._fail(
                record.id,
                "build-timeout",
                f"fetching and building took longer than {config.build_timeout:.0f} s",
            )
            return None
        finally:
            self._children.pop(record.id, None)
            if child.returncode is None:
                _kill(child)
                with contextlib.suppress(ProcessLookupError):
                    await child.wait()
        if outcome is None:
            self._fail(record.id, "build-failed", f"the build stopped (status {child.returncode})")
            return None
        if "error" in outcome:
            self._fail(record.id, outcome["error"]["code"], outcome["error"]["detail"])
            return None
        result: dict[str, Any] = outcome["result"]
        return result

    def _handle(self, deployment_id: str, raw: bytes) -> dict[str, Any] | None:
        try:
            item = json.loads(raw)
        except ValueError:
            return None
        store = self.state.store
        if "line" in item:
            self.state.log(deployment_id, item.get("phase", "building"), item["line"])
        elif "status" in item:
            store.update(deployment_id, status=item["status"])
            self.state.notify(deployment_id)
        elif "commit" in item:
            store.update(deployment_id, commit=item["commit"])
        elif "key" in item:
            store.update(deployment_id, environment_key=item["key"])
        elif "notebook" in item:
            self._prestart(deployment_id, str(item["notebook"]))
        elif "result" in item or "error" in item:
            return dict(item)
        return None

    def _prestart(self, deployment_id: str, notebook: str) -> None:
        """Let the launcher start the server now, while the environment is built."""
        prestart = getattr(self.state.launcher, "prestart", None)
        record = self.state.store.get(deployment_id)
        if prestart is None or record is None:
            return
        folder = self.state.checkout_dir(deployment_id)
        task = asyncio.get_running_loop().create_task(prestart(record, folder, notebook))
        self._prestarts[deployment_id] = task
        task.add_done_callback(lambda _: None)

    async def _launch(self, deployment_id: str, result: dict[str, Any]) -> None:
        from envspec.launch.targets import LaunchError, Target
        from envspec.service.launchers import LaunchFailed

        store = self.state.store
        record = store.update(deployment_id, status="launching", environment_key=result.get("key"))
        self.state.log(deployment_id, "launching", "starting the notebook's server")
        self.state.notify(deployment_id)
        folder = self.state.checkout_dir(deployment_id)
        target = Target(
            folder,
            result["notebook"],
            record.source.get("url") or result["notebook"],
            result.get("commit"),
        )
        try:
            prepared = await asyncio.to_thread(self._prepare, target, record)
            async with asyncio.timeout(self.state.config.launch_timeout):
                url = await self.state.launcher.start(record, prepared)
        except (LaunchError, LaunchFailed) as exc:
            self._fail(deployment_id, "launch-failed", str(exc))
            return
        except TimeoutError:
            await self.state.launcher.stop(record)
            self._fail(
                deployment_id, "launch-timeout", "the notebook's server did not start in time"
            )
            return
        current = store.get(deployment_id)
        if current is None or current.status != "launching":  # stopped meanwhile
            await self.state.launcher.stop(record)
            return
        store.update(deployment_id, status="ready", url=url)
        self.state.log(deployment_id, "ready", "the notebook is ready")
        self.state.notify(deployment_id)

    def _prepare(self, target: Any, record: Record) -> Any:
        """The prepared launch (the environment is in the cache now: a quick reuse)."""
        from envspec.environments import IndexOptions
        from envspec.launch.run import RunOptions, prepare

        config = self.state.config
        request = self._request(record)
        options = RunOptions(
            open_browser=False,
            trusted=bool(request["trusted"]),
            cache_dir=config.cache_dir,
            index=IndexOptions(
                index_url=config.index_url, find_links=config.find_links, no_index=config.no_index
            ),
        )
        return prepare(target, options)


def _kill(child: asyncio.subprocess.Process) -> None:
    """Kill the build and everything it started (postBuild runs in a session of its own)."""
    from envspec.launch.server import descendants

    for pid in descendants(child.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
