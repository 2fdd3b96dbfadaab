"""The deploy service's reliability with real processes: kill -9 in the middle of a build
(the deployment resumes and becomes ready), kill -9 with a ready deployment (its server is
kept), a stuck build times out (nothing of it left running), and the concurrent build
limit (the second deployment waits, queued)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from envspec.launch.server import descendants
from launch_helpers import PROBE, alive, build_wheel, cmdline, make_repo, notebook_bytes
from service_helpers import Service, kill_leftovers, start_service

pytestmark = pytest.mark.slow


def slow_env(seconds: float, marker: str = "") -> dict[str, object]:
    """The probe wheel, then a postBuild that sleeps (a build that takes a while)."""
    return {
        "env_ver": "1.0",
        "files": {
            "requirements.txt": f"{PROBE}\n",
            "postBuild": f"#!/bin/sh\n# {marker}\nsleep {seconds}\n",
        },
    }


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


def config(folder: Path, wheels: Path, **extra: object) -> Path:
    """A config file trusting file:// repositories (their postBuild runs)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[service]",
        "allow_local_repositories = true",
        'trusted_repositories = ["file://*"]',
        f"find_links = [{str(wheels)!r}]",
        *(
            f"{k} = {v!r}" if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
            for k, v in extra.items()
        ),
    ]
    path = folder / "service.toml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def repo(tmp_path: Path, name: str, environment: dict[str, object]) -> str:
    folder = tmp_path / name
    make_repo(folder, {"index.ipynb": notebook_bytes(environment, kernel="probe-env")})
    return folder.as_uri()


def deploy(service: Service, url: str) -> str:
    created = service.request("POST", "api/v1/deployments", {"source": {"type": "git", "url": url}})
    assert created.status == 201, created.body
    return str(created.json()["id"])


def wait_log(service: Service, ident: str, text: str, timeout: float = 120) -> None:
    for event, data, _ in service.events(ident, timeout=timeout):
        if event == "log" and text in data["line"]:
            return
    raise AssertionError(f"{text!r} never logged")


def test_kill_9_mid_build_then_resumed_and_ready_kept(
    tmp_path: Path, wheels: Path, services: list[Service]
) -> None:
    folder = tmp_path / "svc"
    conf = config(folder, wheels)
    url = repo(tmp_path, "repo", slow_env(3, "restart"))
    first = start_service(folder, "--config", str(conf))
    services.append(first)
    ident = deploy(first, url)

    # WHEN the service is killed (kill -9) while postBuild runs
    wait_log(first, ident, "step post-build")
    before = descendants(first.process.pid)
    job = [p for p in before if "envspec.service.job" in cmdline(p)]
    assert job, "the build runs in a child process"
    os.kill(first.process.pid, signal.SIGKILL)
    first.stop()
    # THEN the build and what it started end too (nobody is waiting for them); the
    # server started early for it is found and replaced by the next start
    early = {p: s for p, s in before.items() if "jupyterlab" in cmdline(p)}
    build = {p: s for p, s in before.items() if p not in early}
    deadline = time.monotonic() + 10
    while alive(build) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(build) == []

    # WHEN the service starts again on the same database
    second = start_service(folder, "--config", str(conf))
    services.append(second)
    # THEN the deployment is resumed (never stuck) and becomes ready
    done = second.wait_status(ident, {"ready", "failed"}, timeout=300)
    assert done["status"] == "ready", done
    lines = [d["line"] for e, d, _ in second.events(ident) if e == "log"]
    assert "the service restarted: resuming" in lines
    assert lines[-1] == "the notebook is ready"
    assert alive(early) == []

    # WHEN it is killed again with the deployment ready
    os.kill(second.process.pid, signal.SIGKILL)
    second.stop()
    third = start_service(folder, "--config", str(conf))
    services.append(third)
    # THEN the deployment is still ready, its server answering at the same URL
    kept = third.request("GET", f"api/v1/deployments/{ident}").json()
    assert kept["status"] == "ready"
    assert kept["url"] == done["url"]
    from test_service_build import answers

    assert answers(kept["url"].split("/lab/")[0] + "/api/status")
    # and a graceful stop stops that server
    third.stop(signal.SIGTERM)
    assert not answers(kept["url"].split("/lab/")[0] + "/api/status")
    # and nothing of the service is left running (warm servers included)
    assert kill_leftovers(folder) == []


def test_stuck_build_times_out_and_the_limit_queues(
    tmp_path: Path, wheels: Path, services: list[Service]
) -> None:
    folder = tmp_path / "svc"
    conf = config(folder, wheels, build_timeout=6.0, max_concurrent_builds=1)
    service = start_service(folder, "--config", str(conf))
    services.append(service)
    stuck = deploy(service, repo(tmp_path, "stuck", slow_env(600, "stuck")))
    wait_log(service, stuck, "step post-build")
    # one build at a time: the next deployment waits
    waiting = deploy(service, repo(tmp_path, "next", slow_env(0, "next")))
    time.sleep(1.0)
    assert service.request("GET", f"api/v1/deployments/{waiting}").json()["status"] == "queued"
    assert service.request("GET", "health", user=None).json()["builds"] == 1
    sleepers = {p: s for p, s in descendants(service.process.pid).items() if "sleep" in cmdline(p)}
    assert sleepers

    # THEN the stuck build fails with build-timeout, and nothing of it is left running
    failed = service.wait_status(stuck, {"failed", "ready"}, timeout=60)
    assert failed["error"]["code"] == "build-timeout"
    assert "6 s" in failed["error"]["detail"]
    assert alive(sleepers) == []
    # and the waiting one goes on
    assert service.wait_status(waiting, {"ready", "failed"}, timeout=300)["status"] == "ready"


def test_delete_during_a_build_stops_it(
    tmp_path: Path, wheels: Path, services: list[Service]
) -> None:
    folder = tmp_path / "svc"
    service = start_service(folder, "--config", str(config(folder, wheels)))
    services.append(service)
    ident = deploy(service, repo(tmp_path, "repo", slow_env(600, "deleted")))
    wait_log(service, ident, "step post-build")
    running = {
        p: s
        for p, s in descendants(service.process.pid).items()
        if "sleep" in cmdline(p) or "envspec.service.job" in cmdline(p)
    }
    assert running

    # WHEN its owner deletes it in the middle of the build
    assert service.request("DELETE", f"api/v1/deployments/{ident}").status == 204

    # THEN it is stopped (not failed), its log stream ends there, and the build is gone
    stopped = service.request("GET", f"api/v1/deployments/{ident}").json()
    assert stopped["status"] == "stopped"
    assert stopped["error"] is None
    events = list(service.events(ident, timeout=30))
    assert events[-1][0] == "status"
    assert events[-1][1]["status"] == "stopped"
    deadline = time.monotonic() + 10
    while alive(running) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(running) == []
    assert not (folder / "data" / "deployments" / ident).exists()
    # and a second delete is as good as the first
    assert service.request("DELETE", f"api/v1/deployments/{ident}").status == 204


def test_resumed_under_a_stricter_policy_fails_with_its_code(
    tmp_path: Path, wheels: Path, services: list[Service]
) -> None:
    folder = tmp_path / "svc"
    first = start_service(folder, "--config", str(config(folder, wheels)))
    services.append(first)
    ident = deploy(first, repo(tmp_path, "repo", slow_env(600, "policy")))
    wait_log(first, ident, "step post-build")
    os.kill(first.process.pid, signal.SIGKILL)
    first.stop()
    # WHEN the service comes back without local repositories allowed
    second = start_service(folder)
    services.append(second)
    # THEN the deployment it resumes fails, saying why, instead of fetching
    failed = second.wait_status(ident, {"failed", "ready"}, timeout=60)
    assert failed["error"]["code"] == "forbidden-url"
    assert "file://" in failed["error"]["detail"]
    # and the server started early for it by the first run is gone too
    second.stop()
    assert kill_leftovers(folder) == []
