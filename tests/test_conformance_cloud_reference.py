"""The cloud role against envspec's own deploy service: the reference adapter with the
cloud role (``python -m envspec.conformance.reference_cloud``) starts the real service
on 127.0.0.1, and the suite finds it conformant, git feature included: the adapter
serves a repository over https on 127.0.0.1 with a self-signed certificate the
service trusts (``--git-ca-bundle``)."""

from __future__ import annotations

import json
import sys

import pytest

pytestmark = pytest.mark.slow


def test_the_deploy_service_is_a_conformant_cloud(run_cli, tmp_path):
    adapter = f"{sys.executable} -m envspec.conformance.reference_cloud"
    code, out, _ = run_cli(
        "conformance", "run", "--adapter", adapter, "--role", "cloud", "-V",
        "--timeout", "60", "--out", tmp_path,
    )  # fmt: skip
    assert code == 0, out
    data = json.loads((tmp_path / "summary.json").read_text())
    cloud = data["roles"]["cloud"]
    assert cloud["verdict"] == "conformant"
    assert cloud["core"]["pass"] == cloud["core"]["total"] >= 26
    assert not cloud["unsupported"]
    # A repository the operator does not trust: its postBuild did not run; one it
    # trusts (trusted_repositories of the service's configuration): it ran.
    results = {
        r["id"]: r["status"]
        for r in map(json.loads, (tmp_path / "results.ndjson").read_text().splitlines())
        if r.get("type") == "case"
    }
    assert results["cloud.git.untrusted-postbuild"] == "pass"
    assert results["cloud.git.trusted-postbuild"] == "pass"
