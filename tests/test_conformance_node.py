"""The Node.js adapter (``conformance/adapters/node/``): the suite's worked example in
another language passes every case it declares, with every message checked (-V).

Skipped when ``node`` is not on PATH.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envspec.conformance.cases import load_cases
from envspec.conformance.protocol import PROTOCOL_CHECKS
from envspec.conformance.runner import Run, run
from envspec.conformance.transport import connect

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH")

REPO = Path(__file__).resolve().parents[1]
ADAPTER = REPO / "conformance" / "adapters" / "node" / "envspec-adapter.js"
#: What the adapter declares in its hello answer.
DECLARED = {"validator": {"notebook"}, "packer": {"unpack", "unpack-safety"}}
#: At least this many cases pass in each declared feature (the suite grows; never shrinks).
AT_LEAST = {("validator", "notebook"): 5, ("packer", "unpack"): 8, ("packer", "unpack-safety"): 8}


@pytest.fixture(scope="module")
def node_run() -> Run:
    assert NODE is not None
    transport = connect(shlex.join([NODE, str(ADAPTER)]), check_messages=True)
    return run(load_cases(), transport)


def test_the_adapter_declares_what_it_implements(node_run):
    assert node_run.startup_error is None
    assert node_run.hello is not None
    roles = node_run.hello["roles"]
    assert {role: set(support["features"]) for role, support in roles.items()} == DECLARED
    assert {role: support["versions"] for role, support in roles.items()} == {
        "validator": ["1.0"],
        "packer": ["1.0"],
    }
    assert node_run.hello["implementation"]["language"] == "javascript"


def test_no_case_fails_or_errs(node_run):
    broken = [
        f"{r.case.id}: {r.status}\n  " + "\n  ".join(r.details)
        for r in node_run.results
        if r.status in ("fail", "error")
    ]
    assert broken == [], "\n".join(broken)


def test_every_case_of_the_declared_features_is_answered_and_passes(node_run):
    # A declared feature must not hide behind 'unsupported' answers.
    for r in node_run.results:
        declared = DECLARED.get(r.case.role, set())
        if r.status != "not-applicable" and set(r.case.features) <= declared:
            assert r.status == "pass", (r.case.id, r.status, r.details)


def test_enough_cases_pass_in_each_declared_feature(node_run):
    for (role, feature), least in AT_LEAST.items():
        passed = [
            r.case.id
            for r in node_run.results
            if r.case.role == role and feature in r.case.features and r.status == "pass"
        ]
        assert len(passed) >= least, (role, feature, passed)


def test_the_verdict_is_partial_because_core_features_are_not_declared(node_run):
    # No failure and no error, but core cases of undeclared features (pack,
    # structure, pip...) are unsupported: each declared role is partial.
    assert node_run.roles() == ["validator", "packer"]  # no migrator: not declared
    for role in ("validator", "packer"):
        core = [r for r in node_run.results if r.case.role == role and r.case.level == "core"]
        assert any(r.status == "unsupported" for r in core)
        assert node_run.verdict(role) == "partial"
    assert node_run.verdict() == "partial"
    assert node_run.exit_code == 3  # partial: not success
    assert node_run.restarts == 0
    assert {c.id: c.status for c in node_run.protocol} == dict.fromkeys(PROTOCOL_CHECKS, "pass")


def test_the_documented_command_line(run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    code, out, _ = run_cli(
        "conformance", "run", "--adapter", "node conformance/adapters/node/envspec-adapter.js",
        "-V", "-q", "--role", "packer", "--out", tmp_path,
    )  # fmt: skip
    assert code == 3, out  # partial
    assert "FAIL" not in out
    assert "ERROR" not in out
    assert "packer: partial" in out
    assert "envspec-node-example: partial" in out
    lines = [json.loads(line) for line in (tmp_path / "results.ndjson").read_text().splitlines()]
    statuses = {line["status"] for line in lines if line["type"] == "case"}
    assert statuses == {"pass", "unsupported"}


def _talk(*requests: Any) -> tuple[list[dict[str, Any]], str]:
    """Send raw lines (str) or requests (dict) to a fresh adapter; its answers and what it
    wrote on standard error."""
    assert NODE is not None
    lines = [r if isinstance(r, str) else json.dumps(r) for r in requests]
    done = subprocess.run(
        [NODE, str(ADAPTER)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def test_other_protocols_and_unknown_operations_are_unsupported_exceptions_errored(tmp_path):
    answers, stderr = _talk(
        {"op": "hello", "seq": 0, "protocol": 2, "suite": "1.0.0"},
        {"op": "pack", "seq": 1, "folder": str(tmp_path), "notebook": "a.ipynb", "version": "1.0"},
        {"op": "transmogrify", "seq": 2},
        {"op": "unpack", "seq": 3, "environment": {"env_ver": "1.0", "files": []}, "folder": "x"},
        {"op": "validate", "seq": 4, "file": {"name": "environment.envspec.yaml", "text": "a: 1"}},
        "this is not JSON",
        "[6]",
        {"op": "bye", "seq": 5},
    )
    # Lines that are not JSON objects are not answered: said on standard error, as the
    # spec asks (there is no seq to echo, and stdout carries answers only).
    assert [a.get("seq") for a in answers] == [0, 1, 2, 3, 4, 5]
    assert "ignored a line that is not a JSON object: this is not JSON" in stderr
    assert "ignored a line that is not a JSON object: [6]" in stderr
    assert answers.pop(0)["unsupported"]["reason"] == "protocol 1 only, not 2"  # no result
    assert set(answers[0]) == {"seq", "unsupported"}
    assert set(answers[1]) == {"seq", "unsupported"}
    assert answers[2]["errored"]["message"] == "'files' is not an object"
    assert "at unpack" in answers[2]["errored"]["traceback"]
    assert "YAML" in answers[3]["unsupported"]["reason"]
    assert answers[4] == {"seq": 5, "result": {}}


def test_the_adapter_exits_after_bye_without_waiting_for_the_end_of_input():
    assert NODE is not None
    with subprocess.Popen(
        [NODE, str(ADAPTER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(b'{"op": "bye", "seq": 7}\n')
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline()) == {"seq": 7, "result": {}}
        assert proc.wait(timeout=10) == 0  # standard input is still open
        proc.stdin.close()


# ------------------------------------------------------------------- the guide's copy


def test_every_piece_of_javascript_in_the_guide_is_a_verbatim_excerpt_of_the_example():
    # The guide shows the key parts inline (readable on a forge, where a snippet include
    # is a bare line); each one must stay what the file says.
    guide = (REPO / "docs" / "conformance.md").read_text("utf-8")
    source = ADAPTER.read_text("utf-8")
    blocks = re.findall(r"^```js\n(.*?)^```$", guide, re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 3  # the loop, answer(), the hello and the operations
    for block in blocks:
        assert block in source, block.splitlines()[0]
    assert not re.search(r"^\s*--8<--", guide, re.MULTILINE)
