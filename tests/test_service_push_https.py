"""Push back over https with the user's forge token: a real git smart-HTTP server on
127.0.0.1 (TLS with a certificate the service trusts through ``git_ca_bundle``) that
takes pushes only with HTTP basic auth carrying the forge token, and the real deploy
service, whose authenticator knows each user's forge token.  The token reaches the
forge, and never the service's log, a deployment's log or an answer."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from envspec.conformance._gitserver import GitServer
from envspec.service.auth import TokenTable
from envspec.service.config import ServiceConfig

pytestmark = pytest.mark.slow

BEARER = {user: f"{user}-bearer-{secrets.token_hex(12)}" for user in ("alice", "bob")}
NOTEBOOK = {
    "cells": [{"cell_type": "code", "metadata": {}, "source": "1 + 1", "outputs": [],
               "execution_count": None}],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "environment": {"env_ver": "1.0"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}  # fmt: skip


class ForgeAuthenticator:
    """Bearer tokens of the service, and each user's token at the forge (as the hub's
    OAuth authenticator has them)."""

    def __init__(self, forge: dict[str, str]) -> None:
        self.table = TokenTable.from_tokens({t: u for u, t in BEARER.items()})
        self.forge = forge

    async def identify(self, handler: Any) -> str | None:
        return await self.table.identify(handler)

    async def forge_token(self, handler: Any, user: str) -> str | None:
        return self.forge.get(user)


@dataclass
class Running:
    url: str = ""
    log: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, user: str, body: Any = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {BEARER[user]}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - 127.0.0.1
            self.url + path, data=data, method=method, headers=headers
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def ready(self, user: str, source: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
        status, body = self.call("POST", "api/v1/deployments", user, {"source": source})
        assert status == 201, body
        ident = json.loads(body)["id"]
        deadline = time.monotonic() + timeout
        while True:
            deployment = json.loads(self.call("GET", f"api/v1/deployments/{ident}", user)[1])
            if deployment["status"] in ("ready", "failed"):
                assert deployment["status"] == "ready", deployment
                return dict(deployment)
            assert time.monotonic() < deadline, deployment
            time.sleep(0.3)


class _Collect(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def service_with(tmp_path: Path) -> Iterator[Any]:
    """Start the service in a thread with a config; yields a starter."""
    threads: list[tuple[threading.Thread, asyncio.AbstractEventLoop, asyncio.Event]] = []
    loggers = [logging.getLogger(n) for n in ("envspec.service", "tornado")]
    saved = [(lg, lg.level, lg.propagate) for lg in loggers]

    def start(config: ServiceConfig) -> Running:
        running = Running()
        handler = _Collect(running.log)
        for logger in loggers:
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        started = threading.Event()
        holder: dict[str, Any] = {}

        async def main() -> None:
            from tornado.httpserver import HTTPServer
            from tornado.netutil import bind_sockets

            from envspec.service.app import make_app

            app = make_app(config)
            state = app.settings["envspec"]
            server = HTTPServer(app)
            sockets = bind_sockets(0, address="127.0.0.1")
            server.add_sockets(sockets)
            stop = asyncio.Event()
            holder.update(loop=asyncio.get_running_loop(), stop=stop)
            await state.start()
            running.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/"
            started.set()
            try:
                await stop.wait()
            finally:
                server.stop()
                for record in state.store.list_deployments(statuses={"ready"}):
                    await state.launcher.stop(record)
                await state.close()

        thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        thread.start()
        assert started.wait(60), "the service did not start"
        threads.append((thread, holder["loop"], holder["stop"]))
        return running

    yield start
    for thread, loop, stop in threads:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
    for logger, level, propagate in saved:
        logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, _Collect)]
        logger.setLevel(level)
        logger.propagate = propagate


def test_push_back_over_https_with_the_forge_token_which_is_never_shown(
    tmp_path: Path, service_with: Any
) -> None:
    forge_tokens = {user: f"forge-{secrets.token_hex(20)}" for user in ("alice", "bob")}
    # GIVEN a forge that takes alice's token for pushes (public for fetching)
    with GitServer(token=forge_tokens["alice"]) as forge:
        url = forge.create("project", {"nb/a.ipynb": json.dumps(NOTEBOOK, indent=1) + "\n"})
        assert url.startswith("https://127.0.0.1:")
        service = service_with(
            ServiceConfig(
                db_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                data_dir=tmp_path / "data",
                authenticator=ForgeAuthenticator(forge_tokens),
                git_ca_bundle=forge.ca_file,
                warm_servers=0,
            )
        )
        source = {"type": "git", "url": url, "ref": "main", "path": "nb/a.ipynb"}

        # WHEN alice deploys the repository over https and pushes back
        alice = service.ready("alice", source)
        assert alice["commit"] == forge.branches("project")["main"]
        status, body = service.call(
            "POST", f"api/v1/deployments/{alice['id']}/push", "alice", {"branch": "from-alice"}
        )

        # THEN the commit is on the new branch of the forge, pushed with her token
        assert status == 200, body
        pushed = json.loads(body)
        assert pushed == {"remote": url, "branch": "from-alice", "commit": pushed["commit"]}
        assert forge.branches("project")["from-alice"] == pushed["commit"]
        assert "POST /project.git/git-receive-pack" in forge.requests

        # WHEN bob, whose forge token the forge refuses, pushes
        bob = service.ready("bob", source)
        status, refused = service.call(
            "POST", f"api/v1/deployments/{bob['id']}/push", "bob", {"branch": "from-bob"}
        )
        # THEN it is a problem that names the forge's refusal, and nothing is pushed
        assert status == 502, refused
        problem = json.loads(refused)
        assert problem["code"] == "push-failed"
        assert "from-bob" not in forge.branches("project")

        # AND a push naming another remote is refused before git runs
        status, other = service.call(
            "POST",
            f"api/v1/deployments/{alice['id']}/push",
            "alice",
            {"branch": "x", "remote": "https://evil.example.org/x.git"},
        )
        assert status == 400
        assert json.loads(other)["code"] == "invalid-request"

        # AND no token (forge or bearer) is in the service's log, a deployment's log,
        # or an answer
        logs = []
        for user, deployment in (("alice", alice), ("bob", bob)):
            path = f"api/v1/deployments/{deployment['id']}/log?after=0"
            logs.append(service.call("GET", path, user)[1])
        assert any("POST /api/v1/deployments" in line for line in service.log)
        text = "\n".join(service.log) + b"".join([body, refused, other, *logs]).decode()
        assert "pushed" in text
        for token in [*forge_tokens.values(), *BEARER.values()]:
            assert token not in text


def test_without_the_ca_bundle_the_self_signed_forge_is_refused(
    tmp_path: Path, service_with: Any
) -> None:
    from envspec.service.config import load_config

    with GitServer() as forge:
        url = forge.create("project", {"a.ipynb": json.dumps(NOTEBOOK)})
        # GIVEN a service that does not trust the forge's certificate
        service = service_with(
            ServiceConfig(
                db_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                data_dir=tmp_path / "data",
                authenticator=ForgeAuthenticator({}),
                warm_servers=0,
            )
        )
        status, body = service.call(
            "POST", "api/v1/deployments", "alice", {"source": {"type": "git", "url": url}}
        )
        assert status == 201, body
        ident = json.loads(body)["id"]
        deadline = time.monotonic() + 60
        while (got := json.loads(service.call("GET", f"api/v1/deployments/{ident}", "alice")[1]))[
            "status"
        ] not in ("ready", "failed"):
            assert time.monotonic() < deadline, got
            time.sleep(0.2)
        # THEN fetching fails, and says why
        assert got["status"] == "failed"
        assert got["error"]["code"] == "fetch-failed"
        assert "certificate" in got["error"]["detail"].lower()

    # AND a configuration file names the bundle relative to itself
    (tmp_path / "service.toml").write_text('[service]\ngit_ca_bundle = "ca.pem"\n', "utf-8")
    assert load_config(tmp_path / "service.toml").git_ca_bundle == tmp_path / "ca.pem"
