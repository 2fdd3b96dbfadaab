"""More operations of the cloud role: ``versions``, ``push``, and the canary of trust cases.

- ``versions``: ``GET versions`` (no token) answers 200 with ``{"envspec": str, "api":
  str}`` and the expected ``api``;
- ``push``: user *a* deploys the declared repository to ready, sends a push body the
  service must refuse (one that names another remote: 400 ``invalid-request``), then
  pushes a branch of its own (``envspec-conformance-<hex>``), whose answer must name
  the deployment's own repository, that branch and a commit;
- the canary: a case whose source holds ``${canary}`` (a URL on 127.0.0.1 the runner
  listens on, with a secret path) fails when anything requests that URL, so a service
  that runs a source's ``postBuild`` while it must not is caught even if it then
  reports the deployment failed;
- a new repository: a ``deploy`` case with ``input.repository`` asks the adapter to make
  a repository of those files (``repository``, after the canary is in them), trusted by
  the service's operator or not, and deploys it (``${new-repository.url}``).  The
  canary must stay silent for an untrusted repository, and be requested for a trusted
  one (its ``postBuild`` ran).
"""

from __future__ import annotations

import http.server
import json
import re
import secrets
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envspec.conformance.cases import CloudCase
    from envspec.conformance.cloud import Service

__all__ = ["Canary", "deploy_new_repository", "run_push", "run_versions"]


class _Quiet(http.server.BaseHTTPRequestHandler):
    server: _CanaryServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if self.path.startswith(self.server.secret_path):
            self.server.hits += 1
        self.send_response(204)
        self.end_headers()

    do_POST = do_GET


class _CanaryServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    secret_path = ""
    hits = 0


class Canary:
    """A URL on 127.0.0.1 that counts its requests (see the module's text)."""

    def __init__(self) -> None:
        server = _CanaryServer(("127.0.0.1", 0), _Quiet)
        server.secret_path = "/canary-" + secrets.token_hex(8)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}{server.secret_path}"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def hits(self) -> int:
        return self._server.hits

    def substitute(self, value: object) -> object:
        if isinstance(value, str):
            return value.replace("${canary}", self.url)
        if isinstance(value, dict):
            return {k: self.substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute(v) for v in value]
        return value

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Canary:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def needs_canary(value: object) -> bool:
    return "${canary}" in json.dumps(value)


def run_versions(case: CloudCase, service: Service) -> None:
    response = service.call("GET", "versions", "none", what="versions")
    data = response.json()
    if response.status != 200 or not isinstance(data, dict):
        service.problem(f"versions: expected 200 with a JSON object, got {response.show()}")
        return
    if data.get("api") != case.expect.api:
        service.problem(f"versions: 'api' is {data.get('api')!r}, expected {case.expect.api!r}")
    if not isinstance(data.get("envspec"), str) or not data["envspec"]:
        service.problem(f"versions: 'envspec' is {data.get('envspec')!r}, not a version string")


def run_push(case: CloudCase, service: Service) -> None:
    from envspec.conformance.cloud import _DEPLOYMENTS, _delete, _Fail, _quote, _substitute

    source = _substitute(case.input.source, service.repository)
    assert isinstance(source, dict)  # noqa: S101 (the case model says so)
    ident = service.create(source)["id"]
    path = f"{_DEPLOYMENTS}/{_quote(ident)}/push"
    try:
        final = service.poll(ident)
        if final["status"] != "ready":
            error = final.get("error") or {}
            raise _Fail(
                f"the deployment to push from ended {final['status']} "
                f"({error.get('code', 'no error')}: {error.get('detail', '')})"
            )
        assert case.input.push is not None  # noqa: S101 (the case model says so)
        assert case.expect.http  # noqa: S101
        assert case.expect.code  # noqa: S101
        response = service.send_json("POST", path, case.input.push, what="a push naming a remote")
        service.expect_problem(
            response, case.expect.http, case.expect.code, "a push naming another remote"
        )
        branch = "envspec-conformance-" + secrets.token_hex(4)
        response = service.send_json("POST", path, {"branch": branch}, what="push")
        data = response.json()
        if response.status != 200 or not isinstance(data, dict):
            raise _Fail(f"push: expected 200 with the pushed branch, got {response.show()}")
        if data.get("remote") != source.get("url"):
            service.problem(
                f"push: the remote is {data.get('remote')!r}, not the deployment's own "
                f"repository {source.get('url')!r}"
            )
        if data.get("branch") != branch:
            service.problem(f"push: the branch is {data.get('branch')!r}, asked for {branch!r}")
        if not isinstance(data.get("commit"), str) or not re.fullmatch(
            r"[0-9a-f]{40}([0-9a-f]{24})?", data["commit"]
        ):
            service.problem(f"push: the commit {data.get('commit')!r} is not a commit id")
    finally:
        _delete(service, ident, check=False)


def deploy_new_repository(
    case: CloudCase, service: Service, result: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Deploy a repository the adapter makes for *case* (see the module's text)."""
    from envspec.conformance.cloud import _deploy_source, _Fail, _substitute

    wanted = case.input.repository
    assert wanted is not None  # noqa: S101 (the caller checked)
    watched = needs_canary(wanted.files)
    trust = "trusts" if wanted.trusted else "does not trust"
    with Canary() as canary:
        try:
            files = canary.substitute(dict(wanted.files))
            made = result({"op": "repository", "files": files, "trusted": wanted.trusted})
            url, ref = made.get("url"), made.get("ref")
            if not isinstance(url, str) or not url.startswith("https://") or not ref:
                raise _Fail(
                    f"repository: expected an https 'url' and a 'ref', got {json.dumps(made)[:200]}"
                )
            made = {"url": url, "ref": ref}
            source = _substitute(case.input.source, made, "${new-repository.")
            _deploy_source(case, service, canary.substitute(source))
        finally:
            ran = canary.hits > 0
            if watched and ran and not wanted.trusted:
                service.problem(
                    "the service ran the repository's postBuild (it requested the runner's "
                    "canary URL), though the operator does not trust the repository"
                )
        if watched and not ran and wanted.trusted:
            service.problem(
                "the repository's postBuild did not run (the runner's canary URL got no "
                f"request), though the operator {trust} the repository"
            )
