"""Idle servers are culled (jupyterhub-idle-culler, run by ``envspec serve``), and the
deployment whose server the hub stopped says so instead of offering a dead URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envspec.service.hub import server_name
from hub_helpers import Browser, Serve, api, cleanup, start_serve
from launch_helpers import PROBE, build_wheel, git, make_repo
from launch_helpers import notebook_bytes as make_notebook

pytestmark = pytest.mark.slow

PREFIX = "/services/envspec"
ENV = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        cleanup(serve)


def test_an_idle_deployment_is_culled_and_shown_stopped(
    tmp_path: Path, serves: list[Serve]
) -> None:
    # GIVEN binder-lite whose servers are culled after 30 idle seconds, and a ready deployment
    wheels = build_wheel(tmp_path / "wheels").parent
    make_repo(tmp_path / "work", {"index.ipynb": make_notebook(ENV)})
    origin = tmp_path / "origin.git"
    git("clone", "-q", "--bare", str(tmp_path / "work"), str(origin), cwd=tmp_path)
    serve = start_serve(
        tmp_path / "state", "--allow-local-repositories", "--find-links", str(wheels),
        "--idle-timeout", "30",
    )  # fmt: skip
    serves.append(serve)
    serve.wait_ready()
    browser = Browser(serve.url)
    assert browser.sign_in("admin", serve.password).status_code == 302
    token = browser.new_token("admin")
    source = {"type": "git", "url": f"file://{origin}", "path": "index.ipynb"}
    created = api(serve.url, token, "POST", f"{PREFIX}/api/v1/deployments", json={"source": source})
    deployment = created.json()["id"]
    deadline = time.monotonic() + 600
    model = created.json()
    while model["status"] not in ("ready", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        model = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()
    assert model["status"] == "ready", model

    # WHEN nobody uses it
    deadline = time.monotonic() + 180
    while model["status"] == "ready" and time.monotonic() < deadline:
        time.sleep(1)
        model = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()

    # THEN the culler stops its server, and the deployment is stopped, without a URL
    assert model["status"] == "stopped", model
    assert model["url"] is None
    servers = browser.request("GET", "/hub/api/users/admin").json()["servers"]
    assert server_name(deployment) not in servers
    log = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}/log").text
    assert "the hub stopped the server" in log
