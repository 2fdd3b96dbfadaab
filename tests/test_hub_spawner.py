"""The spawner on its own, in a real hub: an operator offers a folder of course notebooks
(``notebook_root``); a person starts a server naming one, the spawner builds its
environment and opens it with its kernel, in a copy of the person's that survives a
restart; paths outside the folder are refused with a message."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub_helpers import Browser, Serve, cleanup, start_serve
from launch_helpers import PROBE, PROBE_VALUE, Client, build_wheel
from launch_helpers import notebook_bytes as make_notebook

pytestmark = pytest.mark.slow

ENV = {"env_ver": "1.0", "files": {"requirements.txt": f"{PROBE}\n"}}


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        cleanup(serve)


def wait_server(browser: Browser, name: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers = browser.request("GET", "/hub/api/users/admin").json()["servers"]
        if name in servers and servers[name]["ready"]:
            return dict(servers[name])
        if name not in servers:
            raise AssertionError(f"the server {name} stopped")
        time.sleep(0.2)
    raise AssertionError(f"the server {name} is not ready")


def test_a_course_notebook_opens_in_its_environment_in_a_copy_of_ones_own(
    tmp_path: Path, serves: list[Serve]
) -> None:
    # GIVEN an operator's folder of notebooks, offered by path
    wheels = build_wheel(tmp_path / "wheels").parent
    course = tmp_path / "course"
    (course / "week1").mkdir(parents=True)
    original = make_notebook(ENV, kernel="probe-env")
    (course / "week1" / "intro.ipynb").write_bytes(original)
    (tmp_path / "secret.ipynb").write_bytes(original)
    mine = tmp_path / "mine.py"
    mine.write_text(
        f"c = get_config()  # noqa: F821\nc.EnvspecSpawnerMixin.notebook_root = {str(course)!r}\n"
    )
    serve = start_serve(
        tmp_path / "state", "--config", str(mine), "--find-links", str(wheels),
        "--idle-timeout", "0",
    )  # fmt: skip
    serves.append(serve)
    serve.wait_ready()
    browser = Browser(serve.url)
    assert browser.sign_in("admin", serve.password).status_code == 302
    token = browser.new_token("admin")

    # WHEN a server is started for one of its notebooks
    started = browser.request(
        "POST", "/hub/api/users/admin/servers/course",
        json={"envspec_notebook": "week1/intro.ipynb"},
    )  # fmt: skip
    assert started.status_code in (201, 202), started.text
    server = wait_server(browser, "course")

    # THEN it opens that notebook, with its environment's kernel preselected
    client = Client(f"{serve.url.rstrip('/')}/user/admin/course", token)
    assert client.request("GET", "/api/kernelspecs")["default"] == "probe-env"
    page = browser.get(server["url"])
    assert page.url.endswith("/user/admin/course/lab/tree/intro.ipynb")
    session = client.request(
        "POST",
        "/api/sessions",
        {"path": "intro.ipynb", "type": "notebook", "name": "", "kernel": {"name": "probe-env"}},
    )
    output = client.run_cell(session["kernel"]["id"], f"import {PROBE}\nprint({PROBE}.VALUE)")
    assert output.strip() == PROBE_VALUE

    # WHEN the person edits it, and the server is stopped and started again
    model = client.request("GET", "/api/contents/intro.ipynb")
    model["content"]["cells"].append(
        {"cell_type": "markdown", "id": "mine", "metadata": {}, "source": "my notes"}
    )
    client.request(
        "PUT", "/api/contents/intro.ipynb", {"type": "notebook", "content": model["content"]}
    )
    assert browser.request("DELETE", "/hub/api/users/admin/servers/course").status_code in (
        202,
        204,
    )
    deadline = time.monotonic() + 60
    while "course" in browser.request("GET", "/hub/api/users/admin").json()["servers"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    again = browser.request(
        "POST", "/hub/api/users/admin/servers/course",
        json={"envspec_notebook": "week1/intro.ipynb"},
    )  # fmt: skip
    assert again.status_code in (201, 202), again.text
    wait_server(browser, "course", timeout=120)

    # THEN the edits are there (the person's copy), and the operator's file is untouched
    text = str(client.request("GET", "/api/contents/intro.ipynb")["content"])
    assert "my notes" in text
    assert (course / "week1" / "intro.ipynb").read_bytes() == original
    assert (serve.state_dir / "work" / "admin" / "week1-intro" / "intro.ipynb").is_file()

    # WHEN a path outside the folder, or a missing notebook, is asked for
    for name, notebook, message in (
        ("escape", "../secret.ipynb", "must be a relative path without '..'"),
        ("missing", "week9/none.ipynb", "no notebook week9/none.ipynb on this hub"),
    ):
        refused = browser.request(
            "POST", f"/hub/api/users/admin/servers/{name}", json={"envspec_notebook": notebook}
        )
        # THEN the hub refuses to start it, saying why
        assert refused.status_code == 400, refused.text
        assert message in refused.json()["message"]


def test_the_spawners_single_user_command_is_jupyterhub_singleuser() -> None:
    # The spawners' default command runs JupyterHub's single-user server from this
    # installation (its options work), without jsonschema's IRI grammar (slow import).
    import subprocess
    import sys

    from envspec.service.spawner import EnvspecSimpleLocalProcessSpawner

    cmd = EnvspecSimpleLocalProcessSpawner().cmd
    assert cmd == [sys.executable, "-m", "envspec.service.singleuser"]
    probe = (
        "import sys, runpy; sys.argv = ['jupyterhub-singleuser', '--version']\n"
        "try:\n    runpy.run_module('envspec.service.singleuser', run_name='__main__')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "import jupyter_server.serverapp\n"
        "print('loaded' if sys.modules.get('rfc3987_syntax') else 'skipped')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    import jupyterhub

    assert done.stdout.startswith(jupyterhub.__version__)  # jupyterhub-singleuser's answer
    assert done.stdout.strip().endswith("skipped")
