"""Running a cloud case: HTTP requests to the deploy service at the declared ``url``.

The adapter of a cloud declares the service in its role object (``url``, and
optionally ``ready_seconds``, ``max_body`` and ``repository``) and answers two
requests: ``tokens`` (the bearer tokens of two users, *a* and *b*) and, for the
``secrecy`` feature, ``service-log`` (what the service has logged).  Everything
else is the deploy-handler API itself (``spec/deploy-api-1.0.md``):

- ``deploy``: user *a* creates a deployment, polls it to a terminal status within
  ``ready_seconds``, reads its log (a server-sent event stream that ends after
  the terminal status), finds it in the list, deletes it;
- ``isolation``: user *b* cannot read, stream, push, delete or list *a*'s
  deployment (404 each time, never 403), and *a*'s deployment is still there;
- ``reject``: one bad request, answered as problem details (RFC 9457) with the
  expected status and code, and no deployment made;
- ``secrecy``: a deployment and a request with a wrong token, then no token is
  in the service's log;
- ``versions`` and ``push`` (:mod:`envspec.conformance.cloud_checks`): ``GET versions``
  answers the API version; a push naming another remote is refused and a push goes
  to the deployment's own repository.  A ``deploy`` case whose source holds
  ``${canary}`` also fails when the service runs the source's code; one with
  ``input.repository`` first asks the adapter for a new repository of those files
  (``repository``) and deploys it.

Every answer of every case is also held to: no token of either user (nor the wrong
one) appears in a body or a header.  Tokens never appear in the details either.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import secrets
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envspec.conformance.cases import CloudCase
from envspec.conformance.transport import Exchange

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_READY_SECONDS", "run_cloud"]

#: How long the runner waits for a deployment to end, unless the role object says.
DEFAULT_READY_SECONDS = 300.0
#: The longest wait a role object may ask for.
MAX_READY_SECONDS = 1800.0
#: The request body limit of the API, unless the role object declares another.
DEFAULT_MAX_BODY = 5 * 1024 * 1024
_TERMINAL = frozenset({"ready", "failed", "stopped"})
_STATUSES = frozenset({"queued", "fetching", "building", "launching", *_TERMINAL})
_DEPLOYMENTS = "api/v1/deployments"


class _Fail(Exception):
    """A problem that ends the case (the details so far are kept)."""


@dataclass(slots=True)
class Response:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def show(self) -> str:
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} {text!r}"


@dataclass(slots=True)
class Service:
    """The service under test, as the role object and the adapter describe it."""

    url: str
    tokens: dict[str, str]
    timeout: float
    ready_seconds: float = DEFAULT_READY_SECONDS
    max_body: int = DEFAULT_MAX_BODY
    repository: dict[str, Any] | None = None
    details: list[str] = field(default_factory=list)

    # ----------------------------------------------------------------------- plumbing

    def redact(self, text: str) -> str:
        for user, token in self.tokens.items():
            text = text.replace(token, f"<{_whose(user)}>")
        return text

    def problem(self, text: str) -> None:
        self.details.append(self.redact(text))

    def _connection(self, url: str) -> tuple[http.client.HTTPConnection, str]:
        parts = urllib.parse.urlsplit(url)
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname or "", parts.port, timeout=self.timeout)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return connection, target

    def _headers(self, user: str, body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if user in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def address(self, path: str) -> str:
        return urllib.parse.urljoin(self.url if self.url.endswith("/") else self.url + "/", path)

    def call(
        self, method: str, path: str, user: str = "a", body: bytes | None = None, what: str = ""
    ) -> Response:
        """One request; a connection problem ends the case."""
        url = self.address(path)
        connection, target = self._connection(url)
        try:
            # The service may answer before it has read an oversized body.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(
                    method, target, body=body, headers=self._headers(user, body is not None)
                )
            answer = connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            raise _Fail(
                f"{what or method + ' ' + path}: no answer ({type(exc).__name__}: {exc})"
            ) from None
        finally:
            connection.close()
        response = Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data)
        self.check_secrets(response, what or f"{method} {path}")
        return response

    def send_json(
        self, method: str, path: str, value: object, user: str = "a", what: str = ""
    ) -> Response:
        return self.call(method, path, user, json.dumps(value).encode("utf-8"), what)

    def check_secrets(self, response: Response, what: str) -> None:
        text = response.body.decode("utf-8", "replace") + json.dumps(response.headers)
        for user, token in self.tokens.items():
            if token in text:
                self.problem(f"{what}: the answer contains {_whose(user)}")

    # ----------------------------------------------------------------------- the API

    def create(self, source: dict[str, Any], user: str = "a") -> dict[str, Any]:
        response = self.send_json("POST", _DEPLOYMENTS, {"source": source}, user, "create")
        if response.status != 201:
            raise _Fail(f"create: expected 201, got {response.show()}")
        deployment = response.json()
        self.details.extend(self.redact(p) for p in deployment_problems(deployment, "create"))
        if not isinstance(deployment, dict) or not isinstance(deployment.get("id"), str):
            raise _Fail("create: the answer has no deployment id")
        if not response.headers.get("location"):
            self.problem("create: the 201 answer has no Location header")
        return deployment

    def get(self, ident: str, user: str = "a") -> Response:
        return self.call("GET", f"{_DEPLOYMENTS}/{_quote(ident)}", user)

    def listed(self, user: str = "a") -> list[str]:
        response = self.call("GET", _DEPLOYMENTS, user, what="list")
        data = response.json()
        if (
            response.status != 200
            or not isinstance(data, dict)
            or not isinstance(data.get("items"), list)
        ):
            raise _Fail(f"list: expected 200 with an items array, got {response.show()}")
        for item in data["items"]:
            self.details.extend(self.redact(p) for p in deployment_problems(item, "list"))
        return [str(i.get("id")) for i in data["items"] if isinstance(i, dict)]

    def poll(self, ident: str) -> dict[str, Any]:
        """Poll until a terminal status, within ``ready_seconds``."""
        deadline = time.monotonic() + self.ready_seconds
        delay = 0.1
        while True:
            response = self.get(ident)
            deployment = response.json()
            if response.status != 200 or not isinstance(deployment, dict):
                raise _Fail(f"status of the deployment: expected 200, got {response.show()}")
            problems = deployment_problems(deployment, "status")
            if problems:
                self.details.extend(self.redact(p) for p in problems)
                raise _Fail("status: not a deployment")
            if deployment["status"] in _TERMINAL:
                return deployment
            if time.monotonic() >= deadline:
                raise _Fail(
                    f"the deployment did not end within {self.ready_seconds:g} s: its status "
                    f"stayed {deployment['status']!r} (a service ends every deployment as ready "
                    "or failed)"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def log(self, ident: str) -> tuple[list[tuple[str, Any]], bool]:
        """The events of the deployment's log stream, and whether the stream ended."""
        url = self.address(f"{_DEPLOYMENTS}/{_quote(ident)}/log")
        connection, target = self._connection(url)
        headers = {**self._headers("a", False), "Accept": "text/event-stream"}
        events: list[tuple[str, Any]] = []
        deadline = time.monotonic() + self.timeout
        try:
            connection.request("GET", target, headers=headers)
            answer = connection.getresponse()
            if answer.status != 200:
                raise _Fail(f"log: expected 200, got {answer.status}")
            kind = answer.getheader("content-type", "")
            if not kind.startswith("text/event-stream"):
                self.problem(f"log: the content type is {kind!r}, not text/event-stream")
            name, data = "message", list[str]()
            while time.monotonic() < deadline:
                raw = answer.readline()
                if not raw:
                    return events, True
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.check_secrets(Response(200, {}, raw), "log")
                if line == "":
                    if data:
                        text = "\n".join(data)
                        try:
                            events.append((name, json.loads(text)))
                        except ValueError:
                            events.append((name, text))
                    name, data = "message", []
                elif line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            return events, False
        except TimeoutError:
            return events, False
        except (OSError, http.client.HTTPException) as exc:
            raise _Fail(f"log: no answer ({type(exc).__name__}: {exc})") from None
        finally:
            connection.close()

    def expect_problem(self, response: Response, status: int, code: str, what: str) -> None:
        for problem in problem_problems(response, status, code):
            self.problem(f"{what}: {problem}")


def _whose(user: str) -> str:
    return "the wrong token" if user == "wrong" else f"the token of user {user}"


def _quote(ident: str) -> str:
    return urllib.parse.quote(ident, safe="")


def deployment_problems(value: object, what: str) -> list[str]:
    """How *value* differs from a ``Deployment`` of the API."""
    if not isinstance(value, dict):
        return [f"{what}: expected a deployment object, got {json.dumps(value)[:200]}"]
    problems = []
    for name in ("id", "owner", "created", "updated"):
        if not isinstance(value.get(name), str) or not value.get(name):
            problems.append(f"{what}: the deployment's {name!r} is not a non-empty string")
    if value.get("status") not in _STATUSES:
        problems.append(f"{what}: {value.get('status')!r} is not a status of the API")
    if not isinstance(value.get("source"), dict):
        problems.append(f"{what}: the deployment has no 'source' object")
    if value.get("status") == "ready" and not isinstance(value.get("url"), str):
        problems.append(f"{what}: a ready deployment has no 'url'")
    error = value.get("error")
    if value.get("status") == "failed" and (
        not isinstance(error, dict) or not isinstance(error.get("code"), str)
    ):
        problems.append(f"{what}: a failed deployment has no error with a code")
    return problems


def problem_problems(response: Response, status: int, code: str) -> list[str]:
    """How *response* differs from problem details with *status* and *code*."""
    problems = []
    if response.status != status:
        return [f"expected the status {status} ({code}), got {response.show()}"]
    kind = response.headers.get("content-type", "")
    if not kind.startswith("application/problem+json"):
        problems.append(f"the content type is {kind!r}, not application/problem+json")
    body = response.json()
    if not isinstance(body, dict):
        return [*problems, "the body is not a JSON object (problem details)"]
    if body.get("status") != response.status:
        problems.append(f"the problem's status {body.get('status')!r} is not the HTTP status")
    if not isinstance(body.get("title"), str):
        problems.append("the problem has no 'title'")
    for name in ("type", "detail"):
        if name in body and not isinstance(body[name], str):
            problems.append(f"the problem's {name!r} is not a string")
    if response.status == status and body.get("code") != code:
        problems.append(f"the problem's code is {body.get('code')!r}, expected {code!r}")
    return problems


def _substitute(
    value: object, repository: dict[str, Any] | None, prefix: str = "${repository."
) -> object:
    if isinstance(value, str) and value.startswith(prefix) and value.endswith("}"):
        if repository is None:
            raise _Fail("the case needs the role object's 'repository', which is not declared")
        return repository.get(value[len(prefix) : -1])
    if isinstance(value, dict):
        return {k: _substitute(v, repository, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, repository, prefix) for v in value]
    return value


# ------------------------------------------------------------------------------ operations


def _deploy(
    case: CloudCase, service: Service, result: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    from envspec.conformance.cloud_checks import Canary, deploy_new_repository, needs_canary

    if case.input.repository is not None:
        deploy_new_repository(case, service, result)
        return
    source = _substitute(case.input.source, service.repository)
    if not needs_canary(source):
        _deploy_source(case, service, source)
        return
    with Canary() as canary:
        _deploy_source(case, service, canary.substitute(source))
        if canary.hits:
            service.problem(
                "the service ran code of the source (its postBuild requested the runner's "
                "canary URL), though the source is not trusted"
            )


def _deploy_source(case: CloudCase, service: Service, source: object) -> None:
    assert isinstance(source, dict)  # noqa: S101 (the case model says so)
    if "deploy.https-accepted" in case.requires and not str(source.get("url")).startswith(
        "https://"
    ):
        raise _Fail(f"the declared repository's url {source.get('url')!r} is not https")
    created = service.create(source)
    ident = created["id"]
    final: dict[str, Any] = {}
    try:
        final = service.poll(ident)
        expect = case.expect
        if final["status"] != expect.status:
            error = final.get("error") or {}
            service.problem(
                f"expected the deployment to end {expect.status}, it ended {final['status']} "
                f"({error.get('code', 'no error')}: {error.get('detail', '')})"
            )
        elif (
            expect.status == "failed"
            and expect.error
            and (final.get("error") or {}).get("code") != expect.error
        ):
            service.problem(f"expected the error code {expect.error!r}, got {final.get('error')!r}")
        if final["status"] == "ready":
            _check_url(service, final.get("url"))
        events, ended = service.log(ident)
        statuses = [d for e, d in events if e == "status"]
        if not statuses:
            service.problem("log: the stream has no status event")
        elif not isinstance(statuses[-1], dict) or statuses[-1].get("status") != final["status"]:
            service.problem(
                f"log: the last status event is not the terminal status {final['status']!r}"
            )
        for name, data in events:
            if name == "log" and (
                not isinstance(data, dict) or not isinstance(data.get("line"), str)
            ):
                service.problem(f"log: a log event is not {{'phase', 'line'}}: {str(data)[:200]}")
                break
        if not ended:
            service.problem(
                f"log: the stream did not end within {service.timeout:g} s of the request, "
                "though the deployment had ended"
            )
        if ident not in service.listed():
            service.problem("list: the deployment is not in its owner's list")
    finally:
        _delete(service, ident, check=True, failed=final.get("status") == "failed")


def _check_url(service: Service, url: object) -> None:
    parts = urllib.parse.urlsplit(url if isinstance(url, str) else "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        service.problem(f"the ready deployment's url {url!r} is not an absolute http(s) URL")
        return
    connection, target = service._connection(str(url))
    try:
        connection.request("GET", target)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        service.problem(f"the ready deployment's url does not answer ({type(exc).__name__})")
        return
    finally:
        connection.close()
    if status >= 500:
        service.problem(f"the ready deployment's url answers {status}")


def _delete(service: Service, ident: str, *, check: bool, failed: bool = False) -> None:
    response = service.call("DELETE", f"{_DEPLOYMENTS}/{_quote(ident)}", what="delete")
    if not check:
        return
    if response.status != 204:
        service.problem(f"delete: expected 204, got {response.show()}")
        return
    after = service.get(ident)
    data = after.json()
    # A deployment that had failed stays failed (deploy-api-1.0.md#read).
    allowed = {"stopped", "failed"} if failed else {"stopped"}
    if after.status == 200 and isinstance(data, dict) and data.get("status") in allowed:
        return
    if after.status != 404:
        service.problem(
            f"after delete: expected 404 or the status {' or '.join(sorted(allowed))}, "
            f"got {after.show()}"
        )


def _isolation(case: CloudCase, service: Service) -> None:
    source = _substitute(case.input.source, service.repository)
    assert isinstance(source, dict)  # noqa: S101 (the case model says so)
    ident = service.create(source)["id"]
    path = f"{_DEPLOYMENTS}/{_quote(ident)}"
    try:
        tries = [
            ("GET", path, None, "reading a's deployment"),
            ("GET", f"{path}/log", None, "streaming a's log"),
            ("POST", f"{path}/push", b"{}", "pushing a's deployment"),
            ("DELETE", path, None, "deleting a's deployment"),
        ]
        for method, where, body, what in tries:
            response = service.call(method, where, "b", body, what=f"user b {what}")
            service.expect_problem(response, 404, "not-found", f"user b {what}")
        if ident in service.listed("b"):
            service.problem("list: user b's list holds a's deployment")
        mine = service.get(ident)
        data = mine.json()
        if mine.status != 200 or not isinstance(data, dict) or data.get("status") == "stopped":
            service.problem(f"after b's attempts, a's deployment is gone or stopped: {mine.show()}")
    finally:
        _delete(service, ident, check=False)


def _oversized(service: Service) -> bytes:
    head = b'{"source": {"type": "notebook", "name": "big.ipynb", "notebook": {"cells": [], '
    tail = b'"metadata": {}, "nbformat": 4, "nbformat_minor": 5}}, "padding": "'
    size = service.max_body + 1024 - len(head) - len(tail) - 2
    return head + tail + b"x" * size + b'"}'


def _reject(case: CloudCase, service: Service) -> None:
    request = case.input.request
    assert request is not None  # noqa: S101 (the case model says so)
    assert case.expect.http  # noqa: S101
    assert case.expect.code  # noqa: S101
    before = set(service.listed())
    made: str | None = None
    path = request.path
    if "${id}" in path:
        made = service.create(_sample_source())["id"]
        path = path.replace("${id}", _quote(made))
    if request.oversize:
        body: bytes | None = _oversized(service)
    elif request.text is not None:
        body = request.text.encode("utf-8")
    elif request.body is not None:
        body = json.dumps(_substitute(request.body, service.repository)).encode("utf-8")
    else:
        body = None
    try:
        response = service.call(request.method, path, request.user, body, what="the request")
        service.expect_problem(response, case.expect.http, case.expect.code, "the request")
        after = set(service.listed()) - before - {made}
        if after:
            service.problem(f"the refused request made a deployment anyway ({len(after)})")
            for ident in after:
                _delete(service, ident, check=False)
    finally:
        if made is not None:
            _delete(service, made, check=False)


def _sample_source() -> dict[str, Any]:
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return {"type": "notebook", "name": "sample.ipynb", "notebook": notebook}


def _secrecy(case: CloudCase, service: Service, send: Callable[[dict[str, Any]], Any]) -> None:
    source = _substitute(case.input.source, service.repository)
    assert isinstance(source, dict)  # noqa: S101 (the case model says so)
    ident = service.create(source)["id"]
    try:
        service.poll(ident)
        service.log(ident)
        response = service.call("GET", _DEPLOYMENTS, "wrong", what="a wrong token")
        service.expect_problem(response, 401, "unauthenticated", "a wrong token")
    finally:
        _delete(service, ident, check=False)
    text = send({"op": "service-log"})["text"]
    if not text.strip():
        service.problem("service-log: the service's log is empty (is it the right log?)")
    for user, token in service.tokens.items():
        if token in text:
            service.problem(f"the service's log contains {_whose(user)}")


# ---------------------------------------------------------------------------------- entry


def run_cloud(
    case: CloudCase,
    support: dict[str, Any],
    send: Callable[[dict[str, Any]], Exchange],
    timeout: float,
) -> Any:
    """The outcome of *case* (an :class:`~envspec.conformance.evaluate.Outcome`) against the
    service that *support* (the hello's cloud role object) declares."""
    from envspec.conformance.cloud_checks import run_push, run_versions
    from envspec.conformance.evaluate import Outcome, _catching, _result, _verdict

    def result(message: dict[str, Any]) -> dict[str, Any]:
        return _result(send(message))

    def run() -> Outcome:
        url = support.get("url")
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            return Outcome("fail", [f"the cloud role declares no http(s) 'url' (got {url!r})"])
        tokens = result({"op": "tokens"}).get("tokens")
        if not isinstance(tokens, list) or len(tokens) != 2 or len(set(map(str, tokens))) != 2:
            return Outcome("fail", ["tokens: expected the tokens of two different users"])
        ready = support.get("ready_seconds", DEFAULT_READY_SECONDS)
        ready = (
            float(ready) if isinstance(ready, int | float) and ready > 0 else DEFAULT_READY_SECONDS
        )
        max_body = support.get("max_body", DEFAULT_MAX_BODY)
        repository = support.get("repository")
        service = Service(
            url,
            {
                "a": str(tokens[0]),
                "b": str(tokens[1]),
                "wrong": "not-a-token-" + secrets.token_hex(16),
            },
            timeout,
            min(ready, MAX_READY_SECONDS),
            max_body if isinstance(max_body, int) and max_body > 0 else DEFAULT_MAX_BODY,
            repository if isinstance(repository, dict) else None,
        )
        try:
            if case.operation == "deploy":
                _deploy(case, service, result)
            elif case.operation == "isolation":
                _isolation(case, service)
            elif case.operation == "reject":
                _reject(case, service)
            elif case.operation == "versions":
                run_versions(case, service)
            elif case.operation == "push":
                run_push(case, service)
            else:
                _secrecy(case, service, result)
        except _Fail as stop:
            service.problem(str(stop))
        return _verdict(list(dict.fromkeys(service.details)))

    return _catching(run)
