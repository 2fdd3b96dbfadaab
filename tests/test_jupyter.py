"""Pack on save in a real Jupyter server, through its REST contents API.

A ``jupyter_server`` process is started on 127.0.0.1 with a random token,
once with envspec enabled as a server extension and once with only the
``ContentsManager.pre_save_hook`` setting; notebooks are saved with
``PUT /api/contents/<path>`` as JupyterLab does, and the file on disk is
checked.  Every wait is bounded, and the server is always stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytest.importorskip("jupyter_server", reason="the jupyter extra is not installed")

HOST = "127.0.0.1"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 15.0
ROUTES = {
    "extension": [
        "--ServerApp.jpserver_extensions="
        "{'envspec.jupyter': True, 'jupyter_server_terminals': False, "
        "'jupyterlab_jupytext': False}",
    ],
    "pre_save_hook": [
        "--ServerApp.jpserver_extensions="
        "{'jupyter_server_terminals': False, 'jupyterlab_jupytext': False}",
        "--ContentsManager.pre_save_hook=envspec.jupyter.pre_save_hook",
    ],
}


@dataclass
class Server:
    route: str
    root: Path
    url: str
    token: str
    log: Path

    def put_notebook(self, path: str, notebook: dict[str, Any], *, token: str | None = "") -> int:
        """Save *notebook* at *path*; *token* ``""`` is the right one, ``None`` none at all."""
        return self.save(path, notebook, token=token)[0]

    def save(
        self, path: str, notebook: dict[str, Any], *, token: str | None = ""
    ) -> tuple[int, dict[str, Any]]:
        """Save *notebook* at *path*: the status and the answer (the saved file's model)."""
        body = json.dumps({"type": "notebook", "format": "json", "content": notebook}).encode()
        request = urllib.request.Request(  # noqa: S310 - a fixed http:// URL on 127.0.0.1
            f"{self.url}/api/contents/{path}", data=body, method="PUT"
        )
        request.add_header("Content-Type", "application/json")
        given = self.token if token == "" else token
        if given is not None:
            request.add_header("Authorization", f"token {given}")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310
                return int(response.status), json.loads(response.read())
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code), {}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_up(process: subprocess.Popen[bytes], url: str, token: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    for _ in range(600):  # bounded in count as well as in time
        if process.poll() is not None:
            pytest.fail(f"jupyter_server exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            break
        request = urllib.request.Request(f"{url}/api/status")  # noqa: S310
        request.add_header("Authorization", f"token {token}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(request, timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"jupyter_server did not answer within {START_TIMEOUT}s:\n{log.read_text()}")


@contextlib.contextmanager
def running_server(root: Path, home: Path, route: str) -> Iterator[Server]:
    port, token = free_port(), secrets.token_hex(16)
    url = f"http://{HOST}:{port}"
    log = home / "server.log"
    env = {
        **os.environ,
        # Keep the server's own files (runtime, config, data) out of the user's home.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={root}",
        "--allow-root",
        *ROUTES[route],
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_up(process, url, token, log)
            yield Server(route, root, url, token, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)


@pytest.fixture(scope="module", params=sorted(ROUTES))
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("root")
    home = tmp_path_factory.mktemp("home")
    with running_server(root, home, request.param) as running:
        yield running


def new_notebook() -> dict[str, Any]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("print(1)", id="c1")]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    return json.loads(nbformat.writes(notebook))  # plain JSON, as a browser sends it


def folder(server: Server, name: str, files: dict[str, str]) -> Path:
    path = server.root / name
    for file, text in files.items():
        (path / file).parent.mkdir(parents=True, exist_ok=True)
        (path / file).write_bytes(text.encode("utf-8"))
    return path


def test_a_save_embeds_the_environment_file(server):
    requirements = "numpy==2.1.2\r\npandas>=2.2  # ünïcode \U0001d518"
    where = folder(server, "project", {"requirements.txt": requirements})

    status = server.put_notebook("project/analysis.ipynb", new_notebook())

    assert status == 201, server.log.read_text()
    on_disk = json.loads((where / "analysis.ipynb").read_bytes())
    env = on_disk["metadata"]["environment"]
    assert env["files"] == {"requirements.txt": requirements}
    assert env["kernel"] == {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3 (ipykernel)",
    }
    assert on_disk["cells"] == new_notebook()["cells"]


def test_a_second_save_follows_the_folder(server):
    where = folder(server, "again", {"requirements.txt": "numpy\n"})
    assert server.put_notebook("again/nb.ipynb", new_notebook()) == 201
    (where / "requirements.txt").write_text("numpy\npandas\n")
    (where / "apt.txt").write_text("git\n")

    assert server.put_notebook("again/nb.ipynb", new_notebook()) == 200

    env = json.loads((where / "nb.ipynb").read_bytes())["metadata"]["environment"]
    assert env["files"] == {"requirements.txt": "numpy\npandas\n", "apt.txt": "git\n"}


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["no-token", "bad-token"])
def test_a_save_without_the_token_is_refused(server, token):
    folder(server, "locked", {"requirements.txt": "numpy\n"})
    name = f"locked/{'none' if token is None else 'bad'}.ipynb"

    status = server.put_notebook(name, new_notebook(), token=token)

    assert status == 403
    assert not (server.root / name).exists()


def test_the_hook_never_fails_a_save(server):
    where = folder(
        server, "conflict", {"binder/requirements.txt": "a\n", ".binder/requirements.txt": "b\n"}
    )
    notebook = new_notebook()

    status, answer = server.save("conflict/nb.ipynb", notebook)

    assert status == 201, server.log.read_text()
    saved = json.loads((where / "nb.ipynb").read_bytes())
    note = saved["metadata"].pop("envspec_note")
    assert saved == notebook  # saved with no environment, and nothing else changed
    assert "both 'binder/' and '.binder/' exist" in note
    assert answer["message"] == note  # what the front end is told
    assert "was saved without refreshing its environment" in server.log.read_text()


def test_the_extension_announces_itself(server):
    loaded = "notebooks' environments are packed on save" in server.log.read_text()
    # Only the extension route loads the extension; the other relies on the setting alone.
    assert loaded == (server.route == "extension")


# ------------------------------------------------------------------ the secret gate on save

PASSWORD = "S3cr3tPassw0rd"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_REQUIREMENTS = (
    f"--index-url https://alice:{PASSWORD}@pypi.corp.example/simple\nnumpy\n# {AWS_KEY}\n"
)


def test_a_save_never_copies_a_secret_into_the_notebook(server):
    where = folder(server, "secret", {"requirements.txt": "numpy\n"})
    assert server.put_notebook("secret/nb.ipynb", new_notebook()) == 201
    clean = json.loads((where / "nb.ipynb").read_bytes())["metadata"]["environment"]
    (where / "requirements.txt").write_text(SECRET_REQUIREMENTS)
    notebook = new_notebook()
    notebook["metadata"]["environment"] = clean  # as the front end holds it

    status, answer = server.save("secret/nb.ipynb", notebook)

    assert status == 200, server.log.read_text()
    raw = (where / "nb.ipynb").read_bytes()
    for secret in (PASSWORD, AWS_KEY, "S3c", "AKIAIOS"):
        assert secret.encode() not in raw
        assert secret not in server.log.read_text()
        assert secret not in json.dumps(answer)
    saved = json.loads(raw)
    assert saved["metadata"]["environment"] == clean  # the environment it had
    # The user is told, in the save's answer (the front end's status) and in the notebook.
    note = saved["metadata"]["envspec_note"]
    assert answer["message"] == note
    assert "requirements.txt line 1: url-credentials" in note
    assert "requirements.txt line 3: secret" in note
    log = server.log.read_text()
    assert "envspec: secret/nb.ipynb was saved without refreshing its environment" in log
    assert "url-credentials" in log

    # Fixed: the next save refreshes the environment and the note goes.
    (where / "requirements.txt").write_text("--index-url https://pypi.corp.example/simple\n")
    status, answer = server.save("secret/nb.ipynb", notebook)
    assert status == 200
    saved = json.loads((where / "nb.ipynb").read_bytes())
    assert "envspec_note" not in saved["metadata"]
    assert "message" not in answer or not answer["message"]
    assert saved["metadata"]["environment"]["files"] == {
        "requirements.txt": "--index-url https://pypi.corp.example/simple\n"
    }


def test_a_refused_save_is_idempotent(server):
    where = folder(server, "refused", {"requirements.txt": SECRET_REQUIREMENTS})
    notebook = new_notebook()
    assert server.put_notebook("refused/nb.ipynb", notebook) == 201
    first = (where / "nb.ipynb").read_bytes()

    assert server.put_notebook("refused/nb.ipynb", notebook) == 200

    assert (where / "nb.ipynb").read_bytes() == first
    assert "environment" not in json.loads(first)["metadata"]


# ------------------------------------------------------- files the notebook brought with it


def test_a_received_notebook_keeps_the_files_the_folder_lacks(server):
    received = {"environment.yml": "dependencies:\n  - numpy\n", "postBuild": "echo hi\n"}
    where = folder(server, "received", {"requirements.txt": "pandas\n"})
    notebook = new_notebook()
    notebook["metadata"]["environment"] = {"env_ver": "1.0", "files": dict(received)}

    assert server.put_notebook("received/nb.ipynb", notebook) == 201
    first = (where / "nb.ipynb").read_bytes()
    assert server.put_notebook("received/nb.ipynb", notebook) == 200

    env = json.loads(first)["metadata"]["environment"]
    assert env["files"] == {**received, "requirements.txt": "pandas\n"}
    assert (where / "nb.ipynb").read_bytes() == first  # a second save changes no byte


def test_a_received_0_1_notebook_keeps_its_files(server):
    where = folder(server, "legacy", {"requirements.txt": "pandas\n"})
    notebook = new_notebook()
    notebook["metadata"]["environment"] = {
        "env_ver": "0.1",
        "environment.yaml": "dependencies:\n  - numpy\n",
        "setup.sh": "echo legacy\n",
    }

    assert server.put_notebook("legacy/nb.ipynb", notebook) == 201

    env = json.loads((where / "nb.ipynb").read_bytes())["metadata"]["environment"]
    assert env["env_ver"] == "1.0"
    assert env["files"] == {
        "requirements.txt": "pandas\n",
        "environment.yaml": "dependencies:\n  - numpy\n",
        "postBuild": "echo legacy\n",  # 0.1's setup.sh, in its 1.0 place
    }


def test_a_save_removes_only_a_file_it_packed_from_this_folder(server):
    where = folder(server, "own", {"requirements.txt": "numpy\n", "apt.txt": "git\n"})
    notebook = new_notebook()
    notebook["metadata"]["environment"] = {"env_ver": "1.0", "files": {"runtime.txt": "r-4.4\n"}}
    assert server.put_notebook("own/nb.ipynb", notebook) == 201
    packed = json.loads((where / "nb.ipynb").read_bytes())
    assert set(packed["metadata"]["environment"]["files"]) == {
        "requirements.txt",
        "apt.txt",
        "runtime.txt",
    }

    # The notebook travels to another folder that has no apt.txt: nothing is removed there.
    elsewhere = folder(server, "copy", {"requirements.txt": "numpy\n"})
    assert server.put_notebook("copy/nb.ipynb", packed) == 201
    copied = json.loads((elsewhere / "nb.ipynb").read_bytes())["metadata"]["environment"]
    assert set(copied["files"]) == {"requirements.txt", "apt.txt", "runtime.txt"}

    # Back home, apt.txt is deleted from the folder: the hook packed it from here, so it
    # goes; runtime.txt came with the notebook, so it stays.
    (where / "apt.txt").unlink()
    assert server.put_notebook("own/nb.ipynb", packed) == 200
    env = json.loads((where / "nb.ipynb").read_bytes())["metadata"]["environment"]
    assert env["files"] == {"requirements.txt": "numpy\n", "runtime.txt": "r-4.4\n"}
    assert (
        "envspec: own/nb.ipynb: embedded files removed (no longer in the folder): apt.txt"
        in server.log.read_text()
    )


# ------------------------------------------------- the same, through the contents manager


def test_the_contents_manager_in_process_refuses_the_secret_and_says_why(tmp_path, caplog):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    from envspec.jupyter import pre_save_hook

    (tmp_path / "requirements.txt").write_text(SECRET_REQUIREMENTS)
    manager = FileContentsManager(root_dir=str(tmp_path))
    manager.register_pre_save_hook(pre_save_hook)

    with caplog.at_level("WARNING"):
        answer = manager.save({"type": "notebook", "content": new_notebook()}, "nb.ipynb")

    raw = (tmp_path / "nb.ipynb").read_text("utf-8")
    assert PASSWORD not in raw
    assert AWS_KEY not in raw
    assert "environment" not in json.loads(raw)["metadata"]
    assert "url-credentials" in answer["message"]
    assert "nb.ipynb was saved without refreshing its environment" in caplog.text
    # The guide shows this very note.
    guide = (Path(__file__).resolve().parents[1] / "docs" / "jupyter.md").read_text("utf-8")
    shown = guide.split("```text\n    envspec did not refresh", 1)[1].split("```", 1)[0]
    assert " ".join(answer["message"].split()) == " ".join(
        f"envspec did not refresh{shown}".split()
    )
    assert PASSWORD not in caplog.text
    assert AWS_KEY not in caplog.text
