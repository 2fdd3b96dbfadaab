"""BinderHub's client contract through a real JupyterHub: ``envspec serve`` runs the hub with
configurable-http-proxy on 127.0.0.1; the build event stream is read through the proxy as
the binderhub JavaScript client reads it (an EventSource: the token in the query, or the
hub's cookie), the ``ready`` event's ``url`` opens the notebook through the proxy, and a
``/v2/...`` launch link leads a person who is not signed in to the notebook after signing
in."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hub_helpers import Browser, Serve, cleanup, start_serve
from launch_helpers import make_repo
from launch_helpers import notebook_bytes as make_notebook

pytestmark = pytest.mark.slow

PREFIX = "/services/envspec"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    running = start_serve(tmp_path / "state", "--allow-local-repositories", "--idle-timeout", "0")
    try:
        running.wait_ready()
        yield running
    finally:
        cleanup(running)


def event_source(session: requests.Session, url: str) -> Iterator[dict[str, Any]]:
    """The messages of an event stream as an EventSource gives them to ``onmessage``."""
    with session.get(
        url, headers={"Accept": "text/event-stream"}, stream=True, timeout=300
    ) as response:
        assert response.status_code == 200, response.text[:500]
        assert response.headers["Content-Type"].startswith("text/event-stream")
        data: list[str] = []
        name = "message"
        for line in response.iter_lines(decode_unicode=True):
            if not line:
                if data and name == "message":
                    yield json.loads("\n".join(data))
                data, name = [], "message"
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))


def test_binder_client_through_the_hub(tmp_path: Path, serve: Serve) -> None:
    # GIVEN a repository with a notebook, and a person signed in to the hub with a token
    repo = tmp_path / "repo"
    make_repo(repo, {"index.ipynb": make_notebook({"env_ver": "1.0"}, kernel=None)})
    spec = urllib.parse.quote(str(repo), safe="") + "/main"
    browser = Browser(serve.url)
    assert browser.sign_in("admin", serve.password).status_code == 302
    token = browser.new_token("admin")

    # WHEN a binder client reads the build stream through the proxy, the token in the query
    plain = requests.Session()
    plain.trust_env = False
    build = f"{serve.url.rstrip('/')}{PREFIX}/build/git/{spec}"
    messages = list(event_source(plain, f"{build}?token={token}"))
    # THEN the phases come in order and the last one is ready, with the server's url
    phases = [m["phase"] for m in messages]
    assert phases[-1] == "ready", messages
    assert phases.count("ready") == 1
    order = ["waiting", "fetching", "building", "launching", "ready"]
    assert [p for p in order if p in phases] == list(dict.fromkeys(phases))
    ready = messages[-1]
    assert ready["url"].startswith(f"{serve.url}user/admin/envspec-")
    assert ready["url"].endswith("/")
    assert token not in json.dumps(messages)  # the client's token is never echoed

    # WHEN the client opens url + urlpath (the hub signs the browser in to the server)
    opened = browser.get(ready["url"] + "lab/tree/index.ipynb")
    # THEN JupyterLab answers through the proxy, and the notebook is there
    assert opened.status_code == 200, opened.text[:500]
    assert opened.url.startswith(ready["url"] + "lab")
    assert "jupyter-config-data" in opened.text
    notebook = browser.get(ready["url"] + "api/contents/index.ipynb")
    assert notebook.status_code == 200
    assert notebook.json()["type"] == "notebook"

    # WHEN the same repository is asked for again with the hub's cookie (no token)
    page = browser.get(f"{PREFIX}/login?next={PREFIX}/api/v1/deployments")
    assert page.status_code == 200
    again = list(event_source(browser.session, build))
    # THEN the running deployment is reused: ready at once, the same server
    assert again[-1]["phase"] == "ready"
    assert again[-1]["url"] == ready["url"]

    # WHEN someone who is not signed in follows a launch link
    visitor = Browser(serve.url)
    link = f"{PREFIX}/v2/git/{spec}?labpath=index.ipynb"
    login = visitor.get(link)
    # THEN they are asked to sign in to the hub
    assert login.status_code == 200
    assert urllib.parse.urlsplit(login.url).path == "/hub/login"
    xsrf = visitor.session.cookies.get("_xsrf", path="/hub/")
    # WHEN they sign in
    signed = visitor.session.post(
        login.url,
        data={"username": "admin", "password": serve.password, "_xsrf": xsrf},
        timeout=60,
    )
    # THEN they land on the notebook in JupyterLab (the deployment runs already)
    assert signed.status_code == 200, signed.text[:500]
    assert signed.url == ready["url"] + "lab/tree/index.ipynb", signed.url
    assert "jupyter-config-data" in signed.text
