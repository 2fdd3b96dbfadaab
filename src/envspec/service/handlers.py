"""The API's request handlers (Tornado).  Routes: :func:`envspec.service.app.make_app`.

:class:`BaseHandler` is for any handler of the service (the web page and the
BinderHub routes too): errors are problem details, the body size is limited,
and :meth:`BaseHandler.current_owner` names the user or answers 401.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import tornado.web
from pydantic import ValidationError
from tornado.http1connection import HTTP1Connection
from tornado.iostream import StreamClosedError

from envspec.service.models import (
    CreateDeployment,
    DeploymentList,
    Health,
    PushRequest,
    Versions,
)
from envspec.service.problems import CONTENT_TYPE, ProblemError, problem_body

if TYPE_CHECKING:
    from envspec.service.app import ServiceState
    from envspec.service.store import Record

__all__ = ["APIHandler", "BaseHandler"]

log = logging.getLogger("envspec.service")

_STATUS_CODES = {
    400: "invalid-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    500: "internal-error",
}


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Problem details for every error; bodies up to ``max_body_bytes`` (413 beyond)."""

    _chunks: list[bytes]
    _received: int
    _too_large: bool

    @property
    def state(self) -> ServiceState:
        state: ServiceState = self.settings["envspec"]
        return state

    def prepare(self) -> None:
        self._chunks, self._received, self._too_large = [], 0, False
        limit = self.state.config.max_body_bytes
        declared = self.request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            self._too_large = True
            if int(declared) > 16 * limit:  # not worth reading: answer and close
                self._refuse_size()
            connection = self.request.connection
            if isinstance(connection, HTTP1Connection):
                connection.set_max_body_size(int(declared))

    def _refuse_size(self) -> None:
        limit = self.state.config.max_body_bytes
        raise ProblemError(413, "too-large", f"the request body is larger than {limit} bytes")

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self.state.config.max_body_bytes:
            self._too_large = True
            self._chunks = []
        if not self._too_large:
            self._chunks.append(chunk)

    def body(self) -> bytes:
        if self._too_large:
            self._refuse_size()
        return b"".join(self._chunks)

    def json_body(self) -> Any:
        data = self.body()
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProblemError(400, "invalid-json", f"the body is not JSON: {exc}") from None

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no XSRF cookie (a page's handlers may check it)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ProblemError):
            body = exc.body()
        else:
            code = _STATUS_CODES.get(status_code, "error")
            detail = "the service failed; the operator's log has the details"
            if isinstance(exc, tornado.web.HTTPError) and status_code < 500:
                detail = exc.log_message or self._reason
                detail = detail % exc.args if exc.args else detail
            body = problem_body(status_code, code, detail)
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="envspec"')
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(json.dumps(body))

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ProblemError):
            status_code = exc.status
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, ProblemError):
            return  # an answer, not a failure
        if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
            return
        log.error("%s %s failed", self.request.method, self.request.path, exc_info=(typ, value, tb))

    async def current_owner(self) -> str:
        """The user of the request; 401 when there is none."""
        user = await self.state.authenticator.identify(self)
        if not user:
            raise ProblemError(
                401, "unauthenticated", "send 'Authorization: Bearer TOKEN' with a valid token"
            )
        return user

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class APIHandler(BaseHandler):
    """A handler of ``/api/v1/...``: JSON, authenticated."""

    def own(self, record: Record | None, owner: str, deployment_id: str) -> Record:
        """*record* when it is *owner*'s; else 404 (whether it exists is not told)."""
        if record is None or record.owner != owner:
            raise ProblemError(404, "not-found", f"you have no deployment {deployment_id!r}")
        return record


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        super().prepare()
        raise ProblemError(404, "not-found", "no such route; the API is under /api/v1/")


class HealthHandler(BaseHandler):
    def get(self) -> None:
        state = self.state
        health = Health(
            ok=True, deployments=state.store.count_active(), builds=state.worker.running
        )
        self.write_json(health.model_dump(mode="json"))


class VersionsHandler(BaseHandler):
    def get(self) -> None:
        from envspec._version import __version__

        self.write_json(Versions(envspec=__version__).model_dump(mode="json"))


class DeploymentsHandler(APIHandler):
    async def get(self) -> None:
        owner = await self.current_owner()
        items = [r.to_model() for r in self.state.store.list_deployments(owner)]
        self.write_json(DeploymentList(items=items).model_dump(mode="json"))

    async def post(self) -> None:
        owner = await self.current_owner()
        content_type = self.request.headers.get("Content-Type", "application/json")
        if content_type.split(";")[0].strip().lower() not in ("application/json", ""):
            raise ProblemError(415, "unsupported-media-type", "send the body as application/json")
        data = self.json_body()
        try:
            request = CreateDeployment.model_validate(data)
        except ValidationError as exc:
            raise ProblemError(400, "invalid-request", _validation_detail(exc)) from None
        record = self.state.create_deployment(owner, request)
        self.set_header("Location", f"{self.state.config.base_url}api/v1/deployments/{record.id}")
        self.write_json(record.to_model().model_dump(mode="json"), status=201)


class DeploymentHandler(APIHandler):
    async def get(self, deployment_id: str) -> None:
        owner = await self.current_owner()
        record = self.own(self.state.store.get(deployment_id), owner, deployment_id)
        self.write_json(record.to_model().model_dump(mode="json"))

    async def delete(self, deployment_id: str) -> None:
        owner = await self.current_owner()
        self.own(self.state.store.get(deployment_id), owner, deployment_id)
        await self.state.stop_deployment(deployment_id)
        self.set_status(204)
        self.finish()


class PushHandler(APIHandler):
    async def post(self, deployment_id: str) -> None:
        owner = await self.current_owner()
        record = self.own(self.state.store.get(deployment_id), owner, deployment_id)
        data = self.json_body() if self.body().strip() else {}
        try:
            request = PushRequest.model_validate(data)
        except ValidationError as exc:
            raise ProblemError(400, "invalid-request", _validation_detail(exc)) from None
        result = await self.state.push(record, request, self)
        self.write_json(result.model_dump(mode="json"))


class LogHandler(APIHandler):
    """Server-sent events: ``log`` events (``id`` = line number) and ``status`` events;
    the stream ends after a terminal status.  ``?after=N`` or ``Last-Event-ID`` resumes."""

    async def get(self, deployment_id: str) -> None:
        owner = await self.current_owner()
        store = self.state.store
        self.own(store.get(deployment_id), owner, deployment_id)
        after = self._after()
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        sent_status: tuple[str, str] | None = None
        beat = time.monotonic()
        try:
            while True:
                changed = self.state.watch(deployment_id)
                lines = store.log_after(deployment_id, after)
                record = store.get(deployment_id)
                if record is not None and record.terminal:
                    # the lines written just after the terminal status come before it
                    last = lines[-1].seq if lines else after
                    lines += store.log_after(deployment_id, last)
                for item in lines:
                    data = json.dumps({"phase": item.phase, "line": item.line})
                    self.write(f"id: {item.seq}\nevent: log\ndata: {data}\n\n")
                    after = item.seq
                if record is None:
                    break
                key = (record.status, record.updated.isoformat())
                if key != sent_status:
                    body = record.to_model().model_dump_json()
                    self.write(f"event: status\ndata: {body}\n\n")
                    sent_status = key
                if lines or key == sent_status:
                    await self.flush()
                if record.terminal:
                    break  # no wait for a change that will not come
                if time.monotonic() - beat > 15:
                    self.write(": keep-alive\n\n")
                    await self.flush()
                    beat = time.monotonic()
                await self.state.wait_for_change(deployment_id, 1.0, changed)
        except StreamClosedError:
            return
        self.finish()

    def _after(self) -> int:
        raw = self.get_query_argument("after", None) or self.request.headers.get("Last-Event-ID")
        if raw is None:
            return 0
        if not raw.isdigit():
            raise ProblemError(400, "invalid-request", "'after' must be a line number (0, 1, ...)")
        return int(raw)


def _validation_detail(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
