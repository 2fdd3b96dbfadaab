"""The deploy service's API against the real service process on 127.0.0.1: authentication,
isolation between users, problem details for every bad input, the log stream, and no
token in its log."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from service_helpers import TOKENS, Service, start_service

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("service"))
    yield running
    running.stop(signal.SIGTERM)


def notebook(environment: dict[str, object] | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {}
    if environment is not None:
        metadata["environment"] = environment
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": []}


def upload(
    name: str = "a.ipynb", environment: dict[str, object] | None = None
) -> dict[str, object]:
    return {"source": {"type": "notebook", "name": name, "notebook": notebook(environment)}}


def assert_problem(response, status: int, code: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert response.status == status, response.body
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "about:blank"
    assert body["title"]
    assert body["detail"]
    return dict(body)


def test_health_and_versions_need_no_token(service: Service) -> None:
    health = service.request("GET", "health", user=None)
    assert health.status == 200
    assert health.json()["ok"] is True
    versions = service.request("GET", "versions", user=None).json()
    assert versions["api"] == "1.0"
    assert versions["envspec"]


def test_missing_or_wrong_token_is_401(service: Service) -> None:
    problem = assert_problem(
        service.request("GET", "api/v1/deployments", user=None), 401, "unauthenticated"
    )
    assert "Bearer" in str(problem["detail"])
    wrong = service.request(
        "GET", "api/v1/deployments", user=None, headers={"Authorization": "Bearer not-a-token"}
    )
    assert_problem(wrong, 401, "unauthenticated")
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    # the token scheme of Jupyter works as well
    ok = service.request(
        "GET", "api/v1/deployments", user=None, headers={"Authorization": f"token {TOKENS['bob']}"}
    )
    assert ok.status == 200


def test_malformed_json_is_400(service: Service) -> None:
    assert_problem(
        service.request("POST", "api/v1/deployments", raw=b'{"source": '), 400, "invalid-json"
    )
    assert_problem(
        service.request("POST", "api/v1/deployments", raw=b"\xff\xfe"), 400, "invalid-json"
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"source": {"type": "svn", "url": "https://example.org/x"}},
        {"source": {"type": "git"}},
        {"source": {"type": "git", "url": "https://example.org/x.git", "extra": 1}},
        {"source": {"type": "notebook", "name": "a.ipynb", "notebook": {"cells": "no"}}},
        {"source": {"type": "git", "url": "https://example.org/x.git", "ref": "a..b"}},
        [],
    ],
)
def test_invalid_requests_are_400(service: Service, body: object) -> None:
    assert_problem(service.request("POST", "api/v1/deployments", body), 400, "invalid-request")


def test_oversized_body_is_413(service: Service) -> None:
    big = upload()
    big["source"]["notebook"]["cells"] = [
        {"cell_type": "raw", "source": "x" * (6 * 1024 * 1024), "metadata": {}}
    ]  # type: ignore[index]
    problem = assert_problem(service.request("POST", "api/v1/deployments", big), 413, "too-large")
    assert "5242880" in str(problem["detail"])
    # a body far past the limit is refused from its declared length alone
    huge = service.request(
        "POST", "api/v1/deployments", raw=b"{}", headers={"Content-Length": str(200 * 1024 * 1024)}
    )
    assert huge.status == 413


@pytest.mark.parametrize(
    "url",
    [
        "file:///srv/git/analysis",
        "/srv/git/analysis",
        "ext::sh -c touch% /tmp/pwned",
        "https://alice:secret-password@example.org/x.git",
        "https://ghp_0123456789abcdefghijklmnopqrstuvwxyz@github.com/a/b.git",
        "ssh://git@example.org/x.git",
        "git@github.com:a/b.git",
        "http://example.org/x.git",
        "git://example.org/x.git",
        "--upload-pack=touch /tmp/x",
    ],
)
def test_forbidden_urls_are_422(service: Service, url: str) -> None:
    response = service.request(
        "POST", "api/v1/deployments", {"source": {"type": "git", "url": url}}
    )
    problem = assert_problem(response, 422, "forbidden-url")
    assert "secret-password" not in response.body.decode()
    assert "ghp_0123456789" not in response.body.decode()
    assert problem["detail"]


@pytest.mark.parametrize(
    "path",
    ["../a.ipynb", "notebooks/../../a.ipynb", "/etc/a.ipynb", "a.py", "a\\b.ipynb", "./a.ipynb"],
)
def test_bad_paths_are_422(service: Service, path: str) -> None:
    body = {"source": {"type": "git", "url": "https://example.org/x.git", "path": path}}
    assert_problem(service.request("POST", "api/v1/deployments", body), 422, "invalid-path")


@pytest.mark.parametrize("name", ["../a.ipynb", "a.txt", "dir/a.ipynb"])
def test_bad_upload_names_are_422(service: Service, name: str) -> None:
    assert_problem(service.request("POST", "api/v1/deployments", upload(name)), 422, "invalid-path")


def test_unknown_routes_and_methods(service: Service) -> None:
    assert_problem(service.request("GET", "api/v2/nothing"), 404, "not-found")
    assert_problem(service.request("PUT", "api/v1/deployments", {}), 405, "method-not-allowed")


@pytest.mark.slow
def test_deployment_lifecycle_and_isolation(service: Service) -> None:
    # GIVEN alice uploads a notebook that declares no environment
    created = service.request("POST", "api/v1/deployments", upload("plain.ipynb"))
    assert created.status == 201, created.body
    deployment = created.json()
    ident = deployment["id"]
    assert created.headers["location"] == f"/api/v1/deployments/{ident}"
    assert deployment["owner"] == "alice"
    assert deployment["status"] in ("queued", "fetching", "building", "failed")
    assert deployment["source"]["name"] == "plain.ipynb"
    assert deployment["url"] is None

    # THEN it is in her list, not in bob's, and bob cannot see, read, delete or push it
    assert ident in [d["id"] for d in service.request("GET", "api/v1/deployments").json()["items"]]
    assert service.request("GET", "api/v1/deployments", user="bob").json()["items"] == []
    for method, path in [("GET", ""), ("DELETE", ""), ("GET", "/log"), ("POST", "/push")]:
        response = service.request(method, f"api/v1/deployments/{ident}{path}", user="bob")
        assert_problem(response, 404, "not-found")
    assert_problem(service.request("GET", "api/v1/deployments/0123456789abcdef"), 404, "not-found")

    # WHEN its build runs, THEN it fails, saying why, and the log stream ends with that status
    events = list(service.events(ident))
    kinds = [e for e, _, _ in events]
    assert kinds[-1] == "status"
    final = events[-1][1]
    assert final["status"] == "failed"
    assert final["error"]["code"] == "build-failed"
    logs = [(data, ident_) for e, data, ident_ in events if e == "log"]
    assert logs[0][0] == {"phase": "queued", "line": "queued"}
    assert [int(i) for _, i in logs] == list(range(1, len(logs) + 1))
    assert any("plain.ipynb" in d["line"] for d, _ in logs)
    # ?after=N resumes after line N
    again = [d for e, d, _ in service.events(ident, after=2) if e == "log"]
    assert again == [d for d, _ in logs[2:]]

    # WHEN alice deletes it, THEN it is stopped (and a failed one stays failed)
    assert service.request("DELETE", f"api/v1/deployments/{ident}").status == 204
    assert service.request("GET", f"api/v1/deployments/{ident}").json()["status"] == "failed"


def test_push_of_an_upload_is_a_conflict(service: Service) -> None:
    ident = service.request("POST", "api/v1/deployments", upload()).json()["id"]
    assert_problem(service.request("POST", f"api/v1/deployments/{ident}/push", {}), 409, "conflict")
    assert_problem(
        service.request("POST", f"api/v1/deployments/{ident}/push", {"branch": "a b"}),
        400,
        "invalid-request",
    )


def test_tokens_never_in_the_log(service: Service) -> None:
    # a client putting its token in the query string is not logged either
    service.request("GET", f"api/v1/deployments?token={TOKENS['alice']}")
    service.request(
        "GET",
        "api/v1/deployments",
        user=None,
        headers={"Authorization": "Bearer wrong-secret-token-value"},
    )
    service.request(
        "POST",
        "api/v1/deployments",
        {"source": {"type": "git", "url": "https://u:pw-secret-1234@example.org/x.git"}},
    )
    log = service.stderr
    assert "GET /api/v1/deployments" in log  # the access log is there
    for secret in [*TOKENS.values(), "wrong-secret-token-value", "pw-secret-1234"]:
        assert secret not in log
    assert json.dumps(TOKENS["alice"]) not in log
    assert Path(service.folder / "tokens.txt").read_text().count("alice") == 1
