"""The BinderHub-compatible routes: specs of the gh, gl and git providers, the build event
stream read as the binderhub JavaScript client and thebe read it (an ``EventSource``:
unnamed events, ``data:`` lines of JSON with a ``phase``; the token in the query, since
an EventSource sends no header), the ready event's ``url`` and ``token`` opening the
server, the launch page with ``urlpath`` / ``labpath`` / ``filepath``, and
``/api/repoproviders``."""

from __future__ import annotations

import json
import signal
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envspec.service.binderhub import notebook_of, parse_spec, ready_fields, urlpath_of
from envspec.service.problems import ProblemError
from launch_helpers import make_repo, notebook_bytes
from service_helpers import TOKENS, Service, start_service

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ------------------------------------------------------------------------------ specs


@pytest.mark.parametrize(
    ("provider", "raw", "url", "ref"),
    [
        ("gh", "my-lab/analysis/main", "https://github.com/my-lab/analysis", "main"),
        ("gh", "my-lab/analysis.git/v1.0", "https://github.com/my-lab/analysis", "v1.0"),
        ("gh", "my-lab/analysis/feature%2Fnew", "https://github.com/my-lab/analysis",
         "feature/new"),
        ("gh", "my-lab/analysis/HEAD", "https://github.com/my-lab/analysis", None),
        ("gl", "group%2Fsub%2Fproject/main", "https://gitlab.com/group/sub/project", "main"),
        ("git", "https%3A%2F%2Fgit.example.org%2Frepo.git/0123abc",
         "https://git.example.org/repo.git", "0123abc"),
    ],
)  # fmt: skip
def test_provider_specs_become_git_sources(provider, raw, url, ref):
    spec = parse_spec(provider, raw)
    assert (spec.url, spec.ref) == (url, ref)


@pytest.mark.parametrize(
    ("provider", "raw", "status"),
    [("gh", "only-owner", 400), ("gl", "a/b/c", 400), ("git", "no-ref", 400), ("svn", "x/y", 404)],
)
def test_bad_specs_are_problems(provider, raw, status):
    with pytest.raises(ProblemError) as caught:
        parse_spec(provider, raw)
    assert caught.value.status == status


def test_the_ready_event_splits_the_notebook_url_into_server_url_and_token():
    fields = ready_fields("http://127.0.0.1:9999/lab/tree/notebooks/a.ipynb?token=abc")
    assert fields == {"url": "http://127.0.0.1:9999/", "token": "abc"}
    behind_hub = ready_fields("https://hub.example.org/user/ada/envspec-1/lab/tree/a.ipynb")
    assert behind_hub == {"url": "https://hub.example.org/user/ada/envspec-1/", "token": ""}


def test_urlpath_and_the_legacy_labpath_and_filepath():
    assert urlpath_of({"urlpath": "/lab/tree/a.ipynb"}) == "lab/tree/a.ipynb"
    assert urlpath_of({"labpath": "a.ipynb"}) == "lab/tree/a.ipynb"
    assert urlpath_of({"filepath": "a.ipynb"}) == "tree/a.ipynb"
    assert urlpath_of({}) == ""
    assert notebook_of({"labpath": "n/a.ipynb"}) == "n/a.ipynb"
    assert notebook_of({"urlpath": "lab/tree/n/a.ipynb"}) == "n/a.ipynb"
    assert notebook_of({"urlpath": "lab"}) is None


# ------------------------------------------------------------------------- the service


def event_source(url: str, timeout: float = 300) -> Iterator[dict[str, Any]]:
    """The messages of an event stream, read as a browser's EventSource delivers them to
    ``onmessage`` (no ``event:`` name; ``data:`` lines joined; comments ignored)."""
    request = urllib.request.Request(url, headers={"Accept": "text/event-stream"})  # noqa: S310
    with OPENER.open(request, timeout=timeout) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        data: list[str] = []
        name = "message"
        for raw in response:
            line = raw.decode("utf-8").rstrip("\r\n")
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


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    running = start_service(tmp_path / "svc", "--allow-local-repositories")
    yield running
    running.stop(signal.SIGTERM)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    make_repo(folder, {"index.ipynb": notebook_bytes({"env_ver": "1.0"}, kernel=None)})
    return folder


def _spec(repository: Path, ref: str = "main") -> str:
    return urllib.parse.quote(str(repository), safe="") + "/" + ref


@pytest.mark.slow
def test_a_binder_client_builds_and_opens_the_server(service: Service, repository: Path):
    token = TOKENS["alice"]
    build = f"{service.url}build/git/{_spec(repository)}?token={token}"
    started = time.monotonic()
    messages = list(event_source(build))
    phases = [m["phase"] for m in messages]
    assert phases[-1] == "ready", messages
    order = ["waiting", "fetching", "building", "launching", "ready"]
    assert [p for p in order if p in phases] == [p for p in order if p in dict.fromkeys(phases)]
    assert set(phases) <= set(order)
    assert all(isinstance(m["message"], str) for m in messages)
    # Only the last message is ready (clients act on the first one they see).
    assert phases.count("ready") == 1
    ready = messages[-1]
    assert ready["url"].startswith("http://127.0.0.1:")
    assert ready["url"].endswith("/")
    # The client opens url + urlpath with the token: the server answers.
    with OPENER.open(f"{ready['url']}api/status?token={ready['token']}", timeout=30) as answer:
        assert answer.status == 200
    with OPENER.open(f"{ready['url']}lab/tree/index.ipynb?token={ready['token']}") as answer:
        assert answer.status == 200
    first = time.monotonic() - started

    # A second launch of the same repository reuses the deployment: ready at once.
    started = time.monotonic()
    again = list(event_source(build))
    assert again[-1]["phase"] == "ready"
    assert again[-1]["url"] == ready["url"]
    assert time.monotonic() - started < max(2.0, first / 2)
    assert len(service.request("GET", "api/v1/deployments").json()["items"]) == 1
    # The token given in the query never reaches the log.
    assert token not in service.stderr


@pytest.mark.slow
def test_the_launch_page_providers_and_refusals(service: Service, repository: Path):
    # The launch link: a page that follows the build, with the notebook to open.
    link = f"{service.url}v2/git/{_spec(repository)}?labpath=index.ipynb"
    with OPENER.open(link, timeout=30) as answer:
        page = answer.read().decode()
    assert answer.status == 200
    assert 'data-urlpath="lab/tree/index.ipynb"' in page
    assert "path=index.ipynb" in page
    # The providers.
    providers = service.request("GET", "api/repoproviders", user=None).json()
    assert [p["id"] for p in providers] == ["gh", "gl", "git"]
    # No token: 401 as problem details; an unknown provider: 404.
    refused = service.request("GET", f"build/git/{_spec(repository)}", user=None)
    assert refused.status == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert service.request("GET", "build/svn/x/y").status == 404
    # A ref that does not exist: the stream ends with failed.
    failing = f"{service.url}build/git/{_spec(repository, 'no-such-ref')}?token={TOKENS['bob']}"
    messages = list(event_source(failing, timeout=120))
    assert messages[-1]["phase"] == "failed", messages
    assert [m["phase"] for m in messages].count("failed") == 1
    # A forbidden URL is refused before any build.
    forbidden = service.request("GET", "build/git/ext%3A%3Ash%20-c%20true/main")
    assert forbidden.status == 422
    assert forbidden.json()["code"] == "forbidden-url"
