"""binder-lite on a real JupyterHub: ``envspec serve`` runs the hub with
configurable-http-proxy on 127.0.0.1, a person signs in, deploys a notebook from a git
repository, opens it through the proxy with its environment's kernel, and pushes the
changes back; then everything stops and nothing is left running."""

from __future__ import annotations

import importlib.util
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envspec.service.hub import server_name
from hub_helpers import Browser, Serve, api, cleanup, start_serve
from launch_helpers import PROBE, PROBE_VALUE, Client, alive, build_wheel, git, make_repo
from launch_helpers import notebook_bytes as make_notebook

pytestmark = pytest.mark.slow

ENV = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}
PREFIX = "/services/envspec"


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        cleanup(serve)


def wait_status(base: str, token: str, deployment: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = api(base, token, "GET", f"{PREFIX}/api/v1/deployments/{deployment}").json()
        if model["status"] in ("ready", "failed", "stopped"):
            return dict(model)
        time.sleep(0.1)
    raise AssertionError(f"deployment {deployment} is still {model['status']}")


def test_serve_deploy_open_run_and_push_back(
    tmp_path: Path, serves: list[Serve], record_property: pytest.RecordProperty
) -> None:
    # GIVEN a notebook whose environment is a wheel only this test has, in a git
    # repository whose origin is a bare repository on this machine
    wheels = build_wheel(tmp_path / "wheels").parent
    work = tmp_path / "work"
    make_repo(work, {"index.ipynb": make_notebook(ENV, kernel="probe-env"), "README.md": "x\n"})
    origin = tmp_path / "origin.git"
    git("clone", "-q", "--bare", str(work), str(origin), cwd=tmp_path)
    assert importlib.util.find_spec(PROBE) is None  # only the deployed environment has it

    # WHEN binder-lite runs on this machine (local repositories allowed for the test)
    serve = start_serve(
        tmp_path / "state",
        "--allow-local-repositories", "--find-links", str(wheels), "--idle-timeout", "600",
    )  # fmt: skip
    serves.append(serve)
    serve.wait_ready()
    record_property("hub_start_seconds", round(serve.seconds, 2))

    # THEN it prints the URL on 127.0.0.1 and the first admin's password, kept private
    assert serve.url.startswith("http://127.0.0.1:")
    password_file = serve.state_dir / "admin-password"
    assert password_file.read_text().strip() == serve.password
    assert password_file.stat().st_mode & 0o077 == 0
    assert len(serve.password) >= 32

    # WHEN the admin signs in and makes a token for the API
    browser = Browser(serve.url)
    assert browser.sign_in("admin", "not-the-password").status_code == 403
    signed = browser.sign_in("admin", serve.password)
    # THEN the hub sends them to the deploy page (not to a server of their own)
    assert signed.status_code == 302, signed.text[:500]
    assert signed.headers["Location"].endswith(f"{PREFIX}/")
    token = browser.new_token("admin")

    # THEN the service answers through the proxy, and refuses requests without a token
    assert api(serve.url, token, "GET", f"{PREFIX}/health").json()["ok"] is True
    anonymous = api(serve.url, "not-a-token", "GET", f"{PREFIX}/api/v1/deployments")
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"].startswith("application/problem+json")

    # WHEN the admin's browser signs in to the service (the hub's OAuth, no question asked)
    page = browser.get(f"{PREFIX}/login?next={PREFIX}/api/v1/deployments")
    # THEN it lands on the API, identified by the service's cookie
    assert page.status_code == 200, page.text[:500]
    assert page.json() == {"items": []}

    # WHEN a notebook of the repository is deployed
    source = {"type": "git", "url": f"file://{origin}", "ref": "main", "path": "index.ipynb"}
    submitted = time.monotonic()
    created = api(serve.url, token, "POST", f"{PREFIX}/api/v1/deployments", json={"source": source})
    assert created.status_code == 201, created.text
    deployment = created.json()["id"]
    ready = wait_status(serve.url, token, deployment)
    cold = time.monotonic() - submitted
    record_property("submit_to_ready_cold_seconds", round(cold, 2))

    # THEN it is ready, with a URL of the notebook behind the hub's proxy
    assert ready["status"] == "ready", json.dumps(ready) + serve.log()[-3000:]
    name = server_name(deployment)
    assert ready["url"] == f"{serve.url}user/admin/{name}/lab/tree/index.ipynb"
    hub_user = browser.request("GET", "/hub/api/users/admin").json()
    assert hub_user["servers"][name]["ready"] is True

    # WHEN the person opens the URL (the server's own OAuth with the hub, followed)
    opened = browser.get(ready["url"])
    # THEN JupyterLab answers through the proxy
    assert opened.status_code == 200
    assert opened.url.startswith(f"{serve.url}user/admin/{name}/lab")
    assert "JupyterLab" in opened.text or "jupyter-config-data" in opened.text

    # AND the notebook's kernel is preselected, and its cells run in the environment
    server = Client(f"{serve.url.rstrip('/')}/user/admin/{name}", token)
    specs = server.request("GET", "/api/kernelspecs")
    assert specs["default"] == "probe-env"
    session = server.request(
        "POST",
        "/api/sessions",
        {"path": "index.ipynb", "type": "notebook", "name": "", "kernel": {"name": "probe-env"}},
    )
    output = server.run_cell(session["kernel"]["id"], f"import {PROBE}\nprint({PROBE}.VALUE)")
    assert output.strip() == PROBE_VALUE

    # WHEN the person edits the notebook and pushes it back to a new branch
    model = server.request("GET", "/api/contents/index.ipynb")
    model["content"]["cells"].append(
        {"cell_type": "markdown", "id": "added", "metadata": {}, "source": "Edited on the hub"}
    )
    server.request(
        "PUT", "/api/contents/index.ipynb", {"type": "notebook", "content": model["content"]}
    )
    pushed = api(
        serve.url, token, "POST", f"{PREFIX}/api/v1/deployments/{deployment}/push",
        json={"branch": "from-the-hub", "message": "Edited on the hub"},
    )  # fmt: skip
    # THEN the origin has the branch with the edited notebook
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["branch"] == "from-the-hub"
    head = git("--git-dir", str(origin), "rev-parse", "refs/heads/from-the-hub", cwd=tmp_path)
    assert head == pushed.json()["commit"]
    text = git("--git-dir", str(origin), "show", "from-the-hub:index.ipynb", cwd=tmp_path)
    assert "Edited on the hub" in text

    # WHEN the same notebook is deployed again (its environment is in the cache)
    submitted = time.monotonic()
    again = api(serve.url, token, "POST", f"{PREFIX}/api/v1/deployments", json={"source": source})
    second = wait_status(serve.url, token, again.json()["id"], timeout=120)
    warm = time.monotonic() - submitted
    record_property("submit_to_ready_cached_seconds", round(warm, 2))
    # THEN it is ready without building: its log says the environment was reused
    assert second["status"] == "ready"
    assert second["environment_key"] == ready["environment_key"]
    stream = api(serve.url, token, "GET", f"{PREFIX}/api/v1/deployments/{second['id']}/log")
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert "is in the cache: reused" in stream.text

    # WHEN the first deployment is deleted
    deleted = api(serve.url, token, "DELETE", f"{PREFIX}/api/v1/deployments/{deployment}")
    # THEN its server is gone from the hub
    assert deleted.status_code == 204
    hub_user = browser.request("GET", "/hub/api/users/admin").json()
    assert name not in hub_user["servers"]

    # WHEN envspec serve is stopped (Ctrl-C)
    code = serve.stop(signal.SIGINT)
    # THEN it ends cleanly and nothing it started is left: hub, proxy, service, servers
    assert code == 0, serve.log()[-3000:]
    assert alive(serve.processes) == []
    # no token or password in what was logged
    assert token not in serve.log()
    assert serve.password not in serve.log()
    print(
        f"hub start {serve.seconds:.1f} s; submit-to-ready cold {cold:.1f} s, cached {warm:.1f} s"
    )
