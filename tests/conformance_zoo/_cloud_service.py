"""A small deploy service for the zoo of the cloud role, and its adapter.

The service keeps deployments in memory and walks each one through fetching,
building and launching to ready in a fraction of a second; a "ready" deployment
is a page of this service.  It answers every bad request as the deploy-handler
API says (problem details, the right status and code).  Each zoo adapter of the
cloud role runs it with exactly one fault switched on (``FAULTS``); without a
fault the suite finds it conformant (the zoo's baseline for the cloud role).

The adapter runs the service on 127.0.0.1 in a thread of its own process, keeps
everything the service logs in memory and gives it back for ``service-log``.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import secrets
import sys
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from envspec.conformance import reference

FAULTS = frozenset(
    {
        "leaks",
        "accepts-file",
        "500-on-bad-json",
        "never-ready",
        "logs-token",
        "versions-lie",
        "runs-postbuild",
        "runs-repository-postbuild",
        "push-anywhere",
    }
)
MAX_BODY = 5 * 1024 * 1024
REPOSITORY = {"url": "https://git.example.org/demo/project.git", "ref": "main", "path": "a.ipynb"}
TERMINAL = {"ready", "failed", "stopped"}


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class State:
    def __init__(self, fault: str | None) -> None:
        self.fault = fault
        self.tokens = {secrets.token_hex(16): "alice", secrets.token_hex(16): "bob"}
        self.deployments: dict[str, dict[str, Any]] = {}
        self.logs: dict[str, list[dict[str, str]]] = {}
        self.log_lines: list[str] = []
        self.base = ""
        # Repositories made for cases (the repository request): URL -> files, and the
        # URLs the operator trusts.
        self.repositories: dict[str, dict[str, str]] = {}
        self.trusted: set[str] = set()


class _Memory(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Base(tornado.web.RequestHandler):
    state: State

    def initialize(self, state: State) -> None:
        self.state = state

    def log_line(self, text: str) -> None:
        self.state.log_lines.append(text)

    def problem(self, status: int, code: str, detail: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/problem+json")
        title = tornado.httputil.responses.get(status, "Error")
        self.finish(json.dumps({"type": "about:blank", "title": title, "status": status,
                                "detail": detail, "code": code}))  # fmt: skip

    def user(self) -> str | None:
        header = self.request.headers.get("Authorization", "")
        if self.state.fault == "logs-token":
            self.log_line(f"auth header: {header}")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token"):
            return None
        return self.state.tokens.get(token.strip())

    def authenticated(self) -> str | None:
        who = self.user()
        if who is None:
            self.problem(401, "unauthenticated", "a bearer token is needed")
        return who

    def mine(self, who: str, ident: str) -> dict[str, Any] | None:
        found = self.state.deployments.get(ident)
        if found is None or (found["owner"] != who and self.state.fault != "leaks"):
            self.problem(404, "not-found", "no such deployment")
            return None
        return found

    def body(self) -> dict[str, Any] | None:
        if len(self.request.body) > MAX_BODY:
            self.problem(413, "too-large", "the body is over 5 MiB")
            return None
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            if self.state.fault == "500-on-bad-json":
                raise
            self.problem(400, "invalid-json", "the body is not JSON")
            return None
        if not isinstance(data, dict):
            self.problem(400, "invalid-request", "the body is not an object")
            return None
        return data


def _path_ok(path: object) -> bool:
    return (
        isinstance(path, str)
        and path.endswith(".ipynb")
        and not path.startswith("/")
        and ".." not in path.split("/")
    )


def _url_ok(url: str, fault: str | None) -> bool:
    parts = urlsplit(url)
    if fault == "accepts-file" and parts.scheme == "file":
        return True
    return parts.scheme == "https" and bool(parts.hostname) and not parts.username


class Deployments(Base):
    def get(self) -> None:
        who = self.authenticated()
        if who is None:
            return
        items = [
            d
            for d in self.state.deployments.values()
            if d["owner"] == who or self.state.fault == "leaks"
        ]
        self.finish({"items": items})

    async def post(self) -> None:
        who = self.authenticated()
        if who is None:
            return
        data = self.body()
        if data is None:
            return
        source = data.get("source")
        if not isinstance(source, dict) or source.get("type") not in ("git", "notebook"):
            self.problem(400, "invalid-request", "source: a git or notebook source is needed")
            return
        if source["type"] == "git":
            url = source.get("url")
            if not isinstance(url, str) or not _url_ok(url, self.state.fault):
                self.problem(422, "forbidden-url", "only https URLs without credentials")
                return
            path = source.get("path")
        else:
            path = source.get("name")
            if not isinstance(source.get("notebook"), dict):
                self.problem(400, "invalid-request", "source.notebook: an object is needed")
                return
        if not _path_ok(path):
            self.problem(422, "invalid-path", "a relative path to an .ipynb file is needed")
            return
        ident = uuid.uuid4().hex
        deployment = {"id": ident, "owner": who, "status": "queued", "created": _now(),
                      "updated": _now(), "url": None, "error": None, "environment_key": None,
                      "commit": None, "source": {k: v for k, v in source.items()
                                                 if k != "notebook"}}  # fmt: skip
        self.state.deployments[ident] = deployment
        self.state.logs[ident] = []
        self.log_line(f"{who} created {ident}")
        asyncio.get_running_loop().create_task(self.walk(deployment, source))
        self.set_status(201)
        self.set_header("Location", f"{self.state.base}api/v1/deployments/{ident}")
        self.finish(deployment)

    async def walk(self, deployment: dict[str, Any], source: dict[str, Any]) -> None:
        log = self.state.logs[deployment["id"]]
        for phase in ("fetching", "building", "launching"):
            await asyncio.sleep(0.02)
            if deployment["status"] == "stopped":
                return
            deployment.update(status=phase, updated=_now())
            log.append({"phase": phase, "line": f"{phase} {deployment['source'].get('path', '')}"})
            if self.state.fault == "never-ready" and phase == "launching":
                return
        environment = (source.get("notebook") or {}).get("metadata", {}).get("environment")
        if isinstance(environment, dict) and environment.get("env_ver") not in (
            "0.1",
            "1.0",
            "1.1",
        ):
            error = {"code": "invalid-environment", "detail": "an env_ver no version reads"}
            deployment.update(status="failed", error=error, updated=_now())
            return
        files = environment.get("files") if isinstance(environment, dict) else None
        post_build = files.get("postBuild") if isinstance(files, dict) else None
        if isinstance(post_build, str):
            if self.state.fault != "runs-postbuild":
                error = {"code": "untrusted", "detail": "postBuild is not trusted: not run"}
                deployment.update(status="failed", error=error, updated=_now())
                return
            process = await asyncio.create_subprocess_exec(
                "sh", "-c", post_build, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            await process.wait()
        made = self.state.repositories.get(str(source.get("url")))
        if made is not None:
            await self.walk_repository(deployment, source, made)
            return
        if source["type"] == "git" and (
            source.get("url") != REPOSITORY["url"] or source.get("path") != REPOSITORY["path"]
        ):
            error = {"code": "notebook-not-found", "detail": "no such notebook"}
            deployment.update(status="failed", error=error, updated=_now())
            return
        url = f"{self.state.base}user/{deployment['owner']}/{deployment['id']}/lab"
        deployment.update(status="ready", url=url, updated=_now())

    async def walk_repository(
        self, deployment: dict[str, Any], source: dict[str, Any], files: dict[str, str]
    ) -> None:
        """The end of a deployment of a repository made for a case: its postBuild (the
        binder/ folder's when there is one, as repo2docker reads a repository) runs
        only when the operator trusts the repository."""
        if source.get("path") not in files:
            error = {"code": "notebook-not-found", "detail": "no such notebook"}
            deployment.update(status="failed", error=error, updated=_now())
            return
        binder = any(path.startswith("binder/") for path in files)
        post_build = files.get("binder/postBuild" if binder else "postBuild")
        if post_build is not None:
            trusted = source["url"] in self.state.trusted
            if not trusted and self.state.fault != "runs-repository-postbuild":
                error = {"code": "untrusted", "detail": "postBuild is not trusted: not run"}
                deployment.update(status="failed", error=error, updated=_now())
                return
            process = await asyncio.create_subprocess_exec(
                "sh", "-c", post_build, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            await process.wait()
        url = f"{self.state.base}user/{deployment['owner']}/{deployment['id']}/lab"
        deployment.update(status="ready", url=url, updated=_now())


class One(Base):
    def get(self, ident: str) -> None:
        who = self.authenticated()
        found = who and self.mine(who, ident)
        if found:
            self.finish(found)

    def delete(self, ident: str) -> None:
        who = self.authenticated()
        found = who and self.mine(who, ident)
        if found:
            found.update(status="stopped", url=None, updated=_now())
            self.set_status(204)
            self.finish()


class Log(Base):
    async def get(self, ident: str) -> None:
        who = self.authenticated()
        found = who and self.mine(who, ident)
        if not found:
            return
        self.set_header("Content-Type", "text/event-stream")
        sent = 0
        while True:
            lines = self.state.logs[ident]
            for line in lines[sent:]:
                self.write(f"event: log\ndata: {json.dumps(line)}\n\n")
            sent = len(lines)
            terminal = found["status"] in TERMINAL
            if terminal:
                self.write(f"event: status\ndata: {json.dumps(found)}\n\n")
            await self.flush()
            if terminal:
                break
            await asyncio.sleep(0.05)
        self.finish()


class Push(Base):
    def post(self, ident: str) -> None:
        who = self.authenticated()
        found = who and self.mine(who, ident)
        if not found:
            return
        data = self.body()
        if data is None:
            return
        unknown = set(data) - {"branch", "message"}
        if unknown and self.state.fault != "push-anywhere":
            self.problem(400, "invalid-request", f"unknown members: {sorted(unknown)}")
            return
        if found["source"].get("type") != "git" or found["status"] != "ready":
            self.problem(409, "conflict", "only a ready deployment of a repository is pushed")
            return
        remote = data.get("remote") or found["source"].get("url", "")
        branch = data.get("branch") or "envspec"
        self.finish({"remote": remote, "branch": branch, "commit": "0" * 40})


class Versions(Base):
    def get(self) -> None:
        api = "0.9" if self.state.fault == "versions-lie" else "1.0"
        self.finish({"envspec": "0.0.0", "api": api})


class Lab(tornado.web.RequestHandler):
    def get(self, owner: str, ident: str) -> None:
        self.finish("<!doctype html><title>lab</title>")


def make_app(state: State) -> tornado.web.Application:
    kwargs = {"state": state}
    return tornado.web.Application(
        [
            (r"/api/v1/deployments", Deployments, kwargs),
            (r"/api/v1/deployments/([^/]+)", One, kwargs),
            (r"/api/v1/deployments/([^/]+)/log", Log, kwargs),
            (r"/api/v1/deployments/([^/]+)/push", Push, kwargs),
            (r"/user/([^/]+)/([^/]+)/lab", Lab),
            (r"/versions", Versions, kwargs),
        ],
        log_function=lambda handler: state.log_lines.append(
            f"{handler.get_status()} {handler.request.method} {handler.request.path}"
        ),
    )


def start(state: State) -> str:
    """Run the service in a thread; returns its URL."""
    started = threading.Event()

    def serve() -> None:
        async def main() -> None:
            server = tornado.httpserver.HTTPServer(make_app(state), max_body_size=64 * 1024**2)
            sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
            server.add_sockets(sockets)
            state.base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/"
            started.set()
            await asyncio.Event().wait()

        asyncio.run(main())

    threading.Thread(target=serve, daemon=True).start()
    started.wait(10)
    handler = _Memory(state.log_lines)
    for name in ("tornado.access", "tornado.application", "tornado.general"):
        logging.getLogger(name).addHandler(handler)
    return state.base


def adapter_class(fault: str | None, ready_seconds: float = 2.0) -> type[reference.Adapter]:
    """An adapter that declares only the cloud role, for the service with *fault*."""
    assert fault is None or fault in FAULTS, fault

    class CloudAdapter(reference.Adapter):
        state: State | None = None

        def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
            from envspec.conformance.features import FEATURES

            if CloudAdapter.state is None:
                CloudAdapter.state = State(fault)
                start(CloudAdapter.state)
            hello = super()._hello(message)
            hello["roles"] = {
                "cloud": {
                    "versions": ["1.0"],
                    "features": list(FEATURES["cloud"]),
                    "url": CloudAdapter.state.base,
                    "ready_seconds": ready_seconds,
                    "repository": REPOSITORY,
                }
            }
            return hello

        def _tokens(self, message: dict[str, Any]) -> dict[str, Any]:
            assert CloudAdapter.state is not None
            return {"tokens": list(CloudAdapter.state.tokens)}

        def _service_log(self, message: dict[str, Any]) -> dict[str, Any]:
            assert CloudAdapter.state is not None
            return {"text": "\n".join(CloudAdapter.state.log_lines) + "\n"}

        def _repository(self, message: dict[str, Any]) -> dict[str, Any]:
            state = CloudAdapter.state
            assert state is not None
            folder = "trusted" if message.get("trusted") else "demo"
            url = f"https://git.example.org/{folder}/case-{len(state.repositories) + 1}.git"
            state.repositories[url] = dict(message["files"])
            if message.get("trusted"):
                state.trusted.add(url)
            return {"url": url, "ref": "main"}

    return CloudAdapter


def main(fault: str | None) -> int:
    reference.Adapter = adapter_class(fault)  # type: ignore[misc]  # main() serves it
    return reference.main()


if __name__ == "__main__":
    raise SystemExit(main(None))
