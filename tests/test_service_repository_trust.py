"""A repository's own ``postBuild`` (in its ``binder/`` folder, as repo2docker reads a
repository) runs only when the operator trusts the repository: the real deploy
service, a real https git server on 127.0.0.1, and a script that would leave a mark."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from envspec.conformance._gitserver import GitServer
from service_helpers import Service, kill_leftovers, start_service

pytestmark = pytest.mark.slow

NOTEBOOK = {
    "cells": [],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.stop(signal.SIGTERM)
    for service in started:
        kill_leftovers(service.folder)


def deploy(service: Service, url: str) -> dict[str, object]:
    created = service.request(
        "POST",
        "api/v1/deployments",
        {"source": {"type": "git", "url": url, "ref": "main", "path": "analysis.ipynb"}},
    )
    assert created.status == 201, created.body
    return dict(service.wait_status(created.json()["id"], {"ready", "failed"}, timeout=240))


@pytest.mark.parametrize("given_by", ["config file", "command line"])
def test_a_repository_postbuild_runs_only_when_the_operator_trusts_the_repository(
    tmp_path: Path, services: list[Service], given_by: str
) -> None:
    with GitServer() as forge:
        # GIVEN two repositories whose binder/postBuild (a script with a shebang, committed
        # without the executable bit) would leave a mark
        marks = {name: tmp_path / f"{name}-ran" for name in ("stranger", "trusted-lab")}
        urls = {
            name: forge.create(
                name,
                {
                    "analysis.ipynb": json.dumps(NOTEBOOK),
                    "binder/requirements.txt": "# no packages\n",
                    "binder/postBuild": f"#!/bin/sh\ntouch '{mark}'\n",
                },
            )
            for name, mark in marks.items()
        }
        # AND a service whose operator trusts only the repositories named trusted-*
        # (in the config file, or with --trust-repository)
        pattern = forge.base + "trusted-*"
        trust = ["--trust-repository", pattern]
        if given_by == "config file":
            config = tmp_path / "service.toml"
            config.write_text(f"[service]\ntrusted_repositories = [{json.dumps(pattern)}]\n")
            trust = ["--config", str(config)]
        service = start_service(tmp_path / "svc", *trust, "--git-ca-bundle", str(forge.ca_file))
        services.append(service)

        # WHEN the repository nobody trusts is deployed
        done = deploy(service, urls["stranger"])
        # THEN it fails as untrusted, names the script, and the script never ran
        assert done["status"] == "failed", done
        error = done["error"]
        assert isinstance(error, dict)
        assert error["code"] == "untrusted"
        assert "postBuild" in error["detail"]
        assert not marks["stranger"].exists()

        # WHEN the trusted repository is deployed
        done = deploy(service, urls["trusted-lab"])
        # THEN its postBuild ran, and the notebook is ready
        assert done["status"] == "ready", done
        assert marks["trusted-lab"].exists()
        assert not marks["stranger"].exists()
