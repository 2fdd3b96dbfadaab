"""The deploy service building for real: a notebook in a local git repository (local
repositories allowed) becomes a ready Jupyter server whose kernel imports a package only
that environment has; a commit that changes only cells reuses the environment; the
session's changes are pushed back to a new branch of a bare repository; deleting stops
the server."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from launch_helpers import (
    PROBE,
    PROBE_VALUE,
    Client,
    build_wheel,
    commit_files,
    git,
    make_repo,
    notebook_bytes,
)
from service_helpers import TOKENS, Service, kill_leftovers, start_service

pytestmark = pytest.mark.slow

ENV = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheels")).parent


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.stop(signal.SIGTERM)
    for service in started:
        kill_leftovers(service.folder)


def bare_origin(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Path, Path, str]:
    """A working repository and a bare clone of it (the origin the service fetches and
    pushes to); the commit."""
    work = tmp_path / "work"
    commit = make_repo(work, files)
    origin = tmp_path / "origin.git"
    git("clone", "-q", "--bare", str(work), str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=work)
    return work, origin, commit


def answers(url: str) -> bool:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_git_deployment_ready_cached_pushed_and_stopped(
    tmp_path: Path, wheels: Path, services: list[Service], run_cli, monkeypatch
) -> None:
    # GIVEN a notebook in a repository whose environment is the probe wheel
    original = notebook_bytes(ENV, kernel="probe-env")
    work, origin, commit = bare_origin(
        tmp_path, {"notebooks/a.ipynb": original, "README.md": "x\n"}
    )
    service = start_service(
        tmp_path / "svc", "--allow-local-repositories", "--find-links", str(wheels)
    )
    services.append(service)

    # WHEN alice deploys it
    body = {
        "source": {
            "type": "git",
            "url": origin.as_uri(),
            "ref": "main",
            "path": "notebooks/a.ipynb",
        }
    }
    created = service.request("POST", "api/v1/deployments", body)
    assert created.status == 201, created.body
    ident = created.json()["id"]

    # THEN the log streams every phase and ends when it is ready
    events = list(service.events(ident))
    phases = [d["phase"] for e, d, _ in events if e == "log"]
    statuses = [d["status"] for e, d, _ in events if e == "status"]
    assert statuses[-1] == "ready", [d for e, d, _ in events]
    for phase in ("queued", "fetching", "building", "launching", "ready"):
        assert phase in phases
    lines = [d["line"] for e, d, _ in events if e == "log"]
    assert any(line.startswith("checked out ") for line in lines)
    deployment = service.request("GET", f"api/v1/deployments/{ident}").json()
    assert deployment["status"] == "ready"
    assert deployment["commit"] == commit
    assert len(deployment["environment_key"]) >= 16
    url = deployment["url"]
    assert url.startswith("http://127.0.0.1:")
    assert "/lab/tree/notebooks/a.ipynb?token=" in url

    # AND the notebook's kernel runs in the environment built for it
    client = Client.from_url(url)
    session = client.request(
        "POST",
        "/api/sessions",
        {
            "path": "notebooks/a.ipynb",
            "type": "notebook",
            "name": "",
            "kernel": {"name": "probe-env"},
        },
    )
    assert (
        client.run_cell(session["kernel"]["id"], f"import {PROBE}; print({PROBE}.VALUE)").strip()
        == PROBE_VALUE
    )

    # WHEN the session changes the notebook and alice pushes back
    model = client.request("GET", "/api/contents/notebooks/a.ipynb")
    model["content"]["cells"][0]["source"] = "print('changed in the session')"
    client.request(
        "PUT",
        "/api/contents/notebooks/a.ipynb",
        {"type": "notebook", "format": "json", "content": model["content"]},
    )
    pushed = service.request(
        "POST",
        f"api/v1/deployments/{ident}/push",
        {"branch": "session/alice", "message": "From the session"},
    )
    assert pushed.status == 200, pushed.body
    result = pushed.json()
    assert result == {
        "remote": origin.as_uri(),
        "branch": "session/alice",
        "commit": result["commit"],
    }

    # THEN the origin has the branch, with the change, on top of the deployed commit
    assert git("rev-parse", "refs/heads/session/alice", cwd=origin) == result["commit"]
    assert git("rev-parse", f"{result['commit']}^", cwd=origin) == commit
    shown = json.loads(git("show", f"{result['commit']}:notebooks/a.ipynb", cwd=origin))
    assert "".join(shown["cells"][0]["source"]) == "print('changed in the session')"
    assert git("log", "-1", "--format=%s", result["commit"], cwd=origin) == "From the session"
    files = git("show", "--name-only", "--format=", result["commit"], cwd=origin).split()
    assert files == ["notebooks/a.ipynb"]  # no checkpoints pushed
    assert git("rev-parse", "refs/heads/main", cwd=origin) == commit  # main untouched

    # WHEN a commit changes only cells and is deployed
    changed = notebook_bytes(ENV, kernel="probe-env", code="print('other cells')")
    second = commit_files(work, {"notebooks/a.ipynb": changed}, "cells only")
    git("push", "-q", "origin", "main", cwd=work)
    started = time.monotonic()
    again = service.request("POST", "api/v1/deployments", body).json()
    ready = service.wait_status(again["id"], {"ready", "failed"})
    took = time.monotonic() - started
    # THEN the environment is reused, not rebuilt
    assert ready["status"] == "ready", ready
    assert ready["commit"] == second
    assert ready["environment_key"] == deployment["environment_key"]
    log = [d["line"] for e, d, _ in service.events(again["id"]) if e == "log"]
    assert any("in the cache: reused" in line for line in log)
    print(f"submit-to-ready, cached environment: {took:.2f} s")

    # WHEN alice deploys a notebook file to the cloud target it names
    cloud = {**ENV, "cloud": [{"name": "here", "handler_url": service.url}]}
    notebook = tmp_path / "b.ipynb"
    notebook.write_bytes(notebook_bytes(cloud, kernel="probe-env"))
    monkeypatch.setenv("MY_DEPLOY_TOKEN", TOKENS["alice"])
    result = run_cli("deploy", notebook, "--target", "here", "--token-env", "MY_DEPLOY_TOKEN")
    # THEN it prints the URL of the ready notebook, the log on stderr, and never the token
    assert result.code == 0, result.err
    assert result.out.startswith("http://127.0.0.1:")
    assert "/lab/tree/b.ipynb?token=" in result.out
    assert "[ready] the notebook is ready" in result.err
    assert TOKENS["alice"] not in result.out + result.err
    assert answers(result.out.split("/lab/")[0] + "/api/status")

    # WHEN alice deletes the first deployment, THEN its server stops
    assert service.request("DELETE", f"api/v1/deployments/{ident}").status == 204
    assert service.request("GET", f"api/v1/deployments/{ident}").json()["status"] == "stopped"
    assert not answers(url.split("/lab/")[0] + "/api/status")
    # and nothing of the tokens reached the service's log
    for secret in [*TOKENS.values(), client.token]:
        assert secret not in service.stderr


def test_failures_say_why_and_untrusted_code_never_runs(
    tmp_path: Path, wheels: Path, services: list[Service]
) -> None:
    # GIVEN a repository whose environment has a postBuild that would leave a mark
    mark = tmp_path / "postbuild-ran"
    env = {
        "env_ver": "1.0",
        "files": {"requirements.txt": f"{PROBE}\n", "postBuild": f"#!/bin/sh\ntouch {mark}\n"},
    }
    _, origin, _ = bare_origin(tmp_path, {"index.ipynb": notebook_bytes(env, kernel="probe-env")})
    service = start_service(
        tmp_path / "svc", "--allow-local-repositories", "--find-links", str(wheels)
    )
    services.append(service)

    def fails(source: dict[str, str]) -> dict[str, str]:
        created = service.request(
            "POST", "api/v1/deployments", {"source": {"type": "git", **source}}
        )
        assert created.status == 201, created.body
        done = service.wait_status(created.json()["id"], {"ready", "failed"}, timeout=120)
        assert done["status"] == "failed", done
        assert done["url"] is None
        return dict(done["error"])

    url = origin.as_uri()
    # a path that is not in the repository
    error = fails({"url": url, "path": "missing/nb.ipynb"})
    assert error["code"] == "notebook-not-found"
    assert "missing/nb.ipynb" in error["detail"]
    # a ref that does not exist
    assert fails({"url": url, "ref": "no-such-branch"})["code"] == "ref-not-found"
    # a repository that does not exist
    assert fails({"url": (tmp_path / "nowhere.git").as_uri()})["code"] == "fetch-failed"
    # code from a repository the operator does not trust: refused, never run
    error = fails({"url": url})
    assert error["code"] == "untrusted"
    assert "launch-untrusted" in error["detail"]
    assert not mark.exists()
