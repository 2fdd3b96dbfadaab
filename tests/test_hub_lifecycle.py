"""A deployment's life behind the hub: idle servers are culled (jupyterhub-idle-culler,
run by ``envspec serve``) and the deployment says so instead of offering a dead URL;
``envspec serve`` stopped and started again brings ready deployments back."""

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


def deploy(serve: Serve, tmp_path: Path) -> tuple[Browser, str, str]:
    """Sign in, make a token, deploy the probe notebook; wait until it is ready."""
    origin = tmp_path / "origin.git"
    if not origin.exists():
        make_repo(tmp_path / "work", {"index.ipynb": make_notebook(ENV)})
        git("clone", "-q", "--bare", str(tmp_path / "work"), str(origin), cwd=tmp_path)
    browser = Browser(serve.url)
    assert browser.sign_in("admin", serve.password).status_code == 302
    token = browser.new_token("admin")
    source = {"type": "git", "url": f"file://{origin}", "path": "index.ipynb"}
    created = api(serve.url, token, "POST", f"{PREFIX}/api/v1/deployments", json={"source": source})
    deployment = created.json()["id"]
    model = wait(serve, token, deployment, ("ready", "failed"))
    assert model["status"] == "ready", model
    return browser, token, deployment


def wait(serve: Serve, token: str, deployment: str, statuses: tuple[str, ...]) -> dict:
    deadline = time.monotonic() + 600
    while True:
        model = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()
        if model["status"] in statuses or time.monotonic() > deadline:
            return dict(model)
        time.sleep(0.25)


def test_a_restart_brings_ready_deployments_back(tmp_path: Path, serves: list[Serve]) -> None:
    # GIVEN a ready deployment
    wheels = build_wheel(tmp_path / "wheels").parent
    args = ("--allow-local-repositories", "--find-links", str(wheels), "--idle-timeout", "0")
    serve = start_serve(tmp_path / "state", *args)
    serves.append(serve)
    serve.wait_ready()
    browser, token, deployment = deploy(serve, tmp_path)
    url = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()["url"]

    # WHEN envspec serve is stopped (the hub stops the servers with it) and started again
    assert serve.stop() == 0
    port = int(serve.url.rsplit(":", 1)[1].strip("/"))
    again = start_serve(tmp_path / "state", *args, port=port)
    serves.append(again)
    again.wait_ready()

    # THEN the same admin password works, the token too, and the deployment is ready again
    # at the same URL, its server running in the hub
    assert again.password == serve.password
    model = wait(again, token, deployment, ("ready", "failed", "stopped"))
    assert model["status"] == "ready", model
    assert model["url"] == url
    assert browser.sign_in("admin", again.password).status_code == 302
    servers = browser.request("GET", "/hub/api/users/admin").json()["servers"]
    assert servers[server_name(deployment)]["ready"] is True
    log = api(again.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}/log").text
    assert "is in the cache: reused" in log.split("restarted")[-1]


def test_an_idle_deployment_is_culled_and_shown_stopped(
    tmp_path: Path, serves: list[Serve]
) -> None:
    # GIVEN binder-lite whose servers are culled after 30 idle seconds, and a ready deployment
    wheels = build_wheel(tmp_path / "wheels").parent
    serve = start_serve(
        tmp_path / "state", "--allow-local-repositories", "--find-links", str(wheels),
        "--idle-timeout", "30",
    )  # fmt: skip
    serves.append(serve)
    serve.wait_ready()
    browser, token, deployment = deploy(serve, tmp_path)
    model = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()

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
