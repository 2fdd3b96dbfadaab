"""The zoo of the cloud role: faulty deploy services, and proof that the suite catches each.

The baseline is the small in-memory service of ``tests/conformance_zoo/_cloud_service.py``
(conformant); each zoo adapter runs it with exactly one fault.  As for the other
roles, a fault must fail the run, flag the cases that target it, and leave every
other case passing.  The service runs on 127.0.0.1 inside the adapter's process.
"""

from __future__ import annotations

import fnmatch
import json
import shlex
import sys
from pathlib import Path

import pytest

from envspec.conformance.cases import Selection, load_cases
from envspec.conformance.runner import Run, RunOptions, run
from envspec.conformance.transport import connect

ZOO = Path(__file__).resolve().parent / "conformance_zoo"
CLOUD = Selection(roles=("cloud",)).apply(load_cases())


def run_service(name: str) -> Run:
    command = shlex.join([sys.executable, str(ZOO / f"{name}.py")])
    return run(CLOUD, connect(command, check_messages=True), RunOptions(timeout=10.0))


def statuses(result: Run) -> dict[str, str]:
    return {r.case.id: r.status for r in result.results}


def test_the_cloud_cases_cover_every_operation_and_feature():
    assert {c.operation for c in CLOUD} == {
        "deploy",
        "isolation",
        "reject",
        "secrecy",
        "versions",
        "push",
    }
    assert {f for c in CLOUD for f in c.features} == {
        "deploy",
        "isolation",
        "problems",
        "git",
        "secrecy",
    }


def test_a_correct_service_is_conformant():
    result = run_service("_cloud_service")
    assert result.verdict("cloud") == "conformant", [
        (r.case.id, r.details) for r in result.results if r.status != "pass"
    ]
    assert result.exit_code == 0
    assert result.protocol_verdict() == "conformant"


FAULTS = [
    ("cloud_leaks_deployment", ("cloud.isolation.another-users-deployment",)),
    ("cloud_accepts_file_url", ("cloud.problems.file-url",)),
    (
        "cloud_500_on_bad_json",
        ("cloud.problems.malformed-json", "cloud.problems.push-malformed-json"),
    ),
    ("cloud_never_ready", ("cloud.deploy.*", "cloud.git.*", "cloud.secrecy.*")),
    ("cloud_logs_token", ("cloud.secrecy.tokens-not-logged",)),
    ("cloud_versions_lie", ("cloud.deploy.api-version",)),
    ("cloud_runs_postbuild", ("cloud.deploy.untrusted-postbuild",)),
    ("cloud_runs_repository_postbuild", ("cloud.git.untrusted-postbuild",)),
    ("cloud_push_anywhere", ("cloud.git.push-origin-only",)),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "targets"), FAULTS, ids=[f[0] for f in FAULTS])
def test_a_faulty_service_fails_the_run_and_is_pinpointed(name, targets):
    result = run_service(name)
    assert result.exit_code == 1
    assert result.verdict("cloud") == "failing"
    assert result.protocol_verdict() == "conformant"  # a service fault is no protocol fault
    found = statuses(result)
    bad = {case for case, status in found.items() if status in ("fail", "error")}
    for pattern in targets:
        assert fnmatch.filter(bad, pattern), f"no case matching {pattern!r} flags {name}"
    # Pinpointed: every case outside the fault's target still passes.
    others = {c for c in found if not any(fnmatch.fnmatchcase(c, p) for p in targets)}
    assert not others & bad, sorted(others & bad)


def test_tokens_never_appear_in_the_reports_of_a_run_that_catches_a_leak(tmp_path):
    from envspec.conformance.reports import write_reports
    from envspec.conformance.transport import PythonTransport

    sys.path.insert(0, str(ZOO))
    try:
        from _cloud_service import adapter_class
    finally:
        sys.path.remove(str(ZOO))
    adapter = adapter_class("logs-token")
    result = run(CLOUD, PythonTransport(adapter), RunOptions(timeout=10.0))
    assert adapter.state is not None
    tokens = list(adapter.state.tokens)
    assert statuses(result)["cloud.secrecy.tokens-not-logged"] == "fail"
    details = json.dumps([r.details for r in result.results])
    assert "the service's log contains the token of user a" in details
    write_reports(result, tmp_path)
    text = "".join(p.read_text("utf-8") for p in tmp_path.iterdir() if p.is_file())
    assert "cloud.secrecy.tokens-not-logged" in text
    assert not [t for t in tokens if t in text]


def _zoo_adapter_class(fault: str | None) -> type:
    sys.path.insert(0, str(ZOO))
    try:
        from _cloud_service import adapter_class
    finally:
        sys.path.remove(str(ZOO))
    return adapter_class(fault)


def test_a_repository_made_for_a_case_is_asked_for_with_its_files_and_trust():
    from envspec.conformance.transport import PythonTransport

    base = _zoo_adapter_class(None)
    asked: list[dict[str, object]] = []

    class Recording(base):
        def handle(self, message):
            if message.get("op") == "repository":
                asked.append(message)
            return super().handle(message)

    cases = [c for c in CLOUD if c.input.repository is not None]
    result = run(cases, PythonTransport(Recording), RunOptions(timeout=10.0))
    assert statuses(result) == {
        "cloud.git.untrusted-postbuild": "pass",
        "cloud.git.trusted-postbuild": "pass",
    }
    assert sorted(bool(m["trusted"]) for m in asked) == [False, True]
    for message in asked:
        files = message["files"]
        assert isinstance(files, dict)
        # the runner's canary URL is in the postBuild, never the placeholder
        script = files.get("postBuild") or files["binder/postBuild"]
        assert "http://127.0.0.1:" in script
        assert "${canary}" not in script


def test_a_service_that_cannot_trust_a_repository_is_still_conformant():
    from envspec.conformance.transport import PythonTransport

    base = _zoo_adapter_class(None)

    class NoTrust(base):
        def handle(self, message):
            if message.get("op") == "repository" and message.get("trusted"):
                reason = "this service trusts no repository"
                return {"seq": message.get("seq"), "unsupported": {"reason": reason}}
            return super().handle(message)

    cases = [c for c in CLOUD if c.id.startswith("cloud.git.")]
    result = run(cases, PythonTransport(NoTrust), RunOptions(timeout=10.0))
    found = statuses(result)
    assert found["cloud.git.trusted-postbuild"] == "unsupported"
    assert found["cloud.git.untrusted-postbuild"] == "pass"
    assert result.verdict("cloud") == "conformant"
