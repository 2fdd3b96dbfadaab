"""The conformance suite itself: case files, matching, runner rules, reports, CLI, schemas.

The faulty adapters that prove the suite catches broken implementations are in
``test_conformance_zoo.py``; the Node.js adapter is in ``test_conformance_node.py``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from ruamel.yaml import YAML

from envspec._codes import CODES, TOOL_CODES
from envspec.conformance.cases import (
    CloudCase,
    LauncherCase,
    MigratorCase,
    PackerCase,
    Selection,
    SpawnerCase,
    ValidatorCase,
    VersionRange,
    cases_root,
    load_cases,
    suite_version,
)
from envspec.conformance.features import FEATURES, ROLES
from envspec.conformance.lint import lint, published_ids
from envspec.conformance.matching import match_diagnostics, match_value
from envspec.conformance.probes import UNKNOWN_MEMBER, UNKNOWN_OP
from envspec.conformance.protocol import PROTOCOL_CHECKS
from envspec.conformance.reference import Adapter
from envspec.conformance.reports import badge, junit_xml, markdown, ndjson_lines, summary
from envspec.conformance.runner import Run, RunOptions, SkipEntry, run
from envspec.conformance.transport import PythonTransport, connect
from envspec.schema import PROTOCOL_MESSAGES, load

REPO = Path(__file__).resolve().parents[1]
#: The roles the reference adapter declares by default: the cloud role needs a running
#: service (``python -m envspec.conformance.reference --cloud``; tests/test_service_*.py).
LOCAL_ROLES = tuple(r for r in ROLES if r != "cloud")
CASES = load_cases()
REFERENCE = "python:envspec.conformance.reference:Adapter"
CHILD = f"{shlex.quote(sys.executable)} -m envspec.conformance.reference"


# ------------------------------------------------------------------------ the case files


def test_the_case_files_lint_clean():
    problems = lint()
    assert problems == [], "\n".join(str(p) for p in problems)


def test_the_repository_folder_is_the_package_data():
    assert (REPO / "conformance" / "cases").resolve() == cases_root().resolve()
    assert re.fullmatch(r"\d+\.\d+\.\d+", suite_version())


def test_every_diagnostic_code_of_the_standard_has_a_case():
    covered = {d.code for case in CASES for d in getattr(case.expect, "diagnostics", [])}
    missing = sorted(set(CODES) - TOOL_CODES - covered)
    assert missing == [], f"codes without a conformance case: {missing}"
    assert set(CODES) >= TOOL_CODES


def test_every_feature_has_cases_and_every_case_feature_is_known():
    for role in ROLES:
        used = {f for c in CASES if c.role == role for f in c.features}
        assert used == set(FEATURES[role]), role


def _negative(case: Any) -> bool:
    if isinstance(case, ValidatorCase):
        return not case.expect.valid
    if isinstance(case, MigratorCase):
        return case.expect.document is None or bool(case.expect.diagnostics)
    if isinstance(case, LauncherCase):
        return not case.expect.ok or bool(case.expect.diagnostics)
    if isinstance(case, SpawnerCase):
        return case.operation == "launch" and case.expect.launch is None
    if isinstance(case, CloudCase):
        return case.operation == "reject" or case.expect.status == "failed"
    assert isinstance(case, PackerCase)
    return bool(case.expect.diagnostics) or (
        case.operation == "pack" and case.expect.environment is None
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_feature_has_valid_and_invalid_cases(role):
    for feature in FEATURES[role]:
        cases = [c for c in CASES if c.role == role and c.features[0] == feature]
        # Every problems case is a refusal: its positive counterparts are the deploy cases.
        if (role, feature) != ("cloud", "problems"):
            assert any(not _negative(c) for c in cases), f"{role}/{feature}: no positive case"
        # Unpacking's refusals are the unpack-safety feature; a kernelspec cannot be wrong
        # for a packer, and preservation is about what is kept.
        no_negative = {("packer", "kernel"), ("packer", "unpack"), ("migrator", "preservation")}
        # A menu is never refused: its cases are all positive (launches are refused).
        no_negative |= {("spawner", f) for f in FEATURES["spawner"] if f != "compatibility"}
        # The refusals of a cloud are its problems cases (and a notebook missing from a
        # repository, in git).
        no_negative |= {("cloud", "deploy"), ("cloud", "isolation"), ("cloud", "secrecy")}
        if (role, feature) not in no_negative:
            assert any(_negative(c) for c in cases), f"{role}/{feature}: no negative case"


def test_ids_are_unique_and_published():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(published_ids())


def test_the_case_files_match_the_published_case_schema():
    schema = load("conformance-case")
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted(cases_root().rglob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text("utf-8"))
        errors = list(validator.iter_errors(data))
        assert errors == [], f"{path.name}: {errors[0].message}"


def test_the_spec_lists_exactly_the_features_of_the_code():
    text = (REPO / "spec" / "conformance.md").read_text("utf-8")
    text = text.split("The features of each role", 1)[1].split("## Levels", 1)[0]
    rows = set(
        re.findall(
            r"^\| `(validator|migrator|packer|launcher|spawner|cloud)` \| `([a-z0-9-]+)` \|",
            text,
            re.M,
        )
    )
    assert rows == {(role, f) for role in ROLES for f in FEATURES[role]}


# ------------------------------------------------------------- our own implementation


def test_the_reference_adapter_passes_every_case_in_process():
    result = run(CASES, connect(REFERENCE, check_messages=True))
    local = [r for r in result.results if r.case.role != "cloud"]
    failures = [(r.case.id, r.status, r.details) for r in local if r.status != "pass"]
    assert failures == []
    cloud = {r.status for r in result.results if r.case.role == "cloud"}
    assert cloud == {"not-applicable"}  # not declared without --cloud
    assert result.verdict() == "conformant"
    assert result.exit_code == 0
    assert {role: result.verdict(role) for role in LOCAL_ROLES} == dict.fromkeys(
        LOCAL_ROLES, "conformant"
    )
    checks = {c.id: c.status for c in result.protocol}
    assert checks == dict.fromkeys(PROTOCOL_CHECKS, "pass") | {
        "protocol.stray-output": "not-applicable"  # no output channel of its own
    }
    assert result.claim is False


def test_the_reference_adapter_passes_every_case_as_a_child_process(run_cli, tmp_path):
    adapter = f"{sys.executable} -m envspec.conformance.reference"
    code, out, err = run_cli("conformance", "run", "--adapter", adapter, "-V", "--out", tmp_path)
    assert code == 0, out
    assert out.splitlines()[-2].startswith("envspec: conformant in ")
    assert out.splitlines()[-3] == "protocol: conformant (7/7 checks passed)"
    assert "in-process" not in out
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["verdict"] == "conformant"
    assert data["claim"] is True
    assert data["protocol"] == {
        "verdict": "conformant",
        "checks": {c: {"status": "pass", "details": []} for c in PROTOCOL_CHECKS},
    }
    for role in LOCAL_ROLES:
        counts = data["roles"][role]["core"]
        assert counts["pass"] == counts["total"] > 0
    total = len(CASES)
    assert f"[{total}/{total}]" in err


# --------------------------------------------------------------------------- matching


def test_objects_match_by_meaning_not_order():
    assert match_value({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1.0}) == []
    assert match_value({"a": 1}, {"a": 1, "b": 2}) == ["/b: unexpected member (2)"]
    assert match_value({"a": 1}, {"a": 1, "b": 2}, allow_extra=True) == []
    assert match_value({"a": 1, "b": 2}, {"a": 1}) == ["/b: missing (expected 2)"]


def test_arrays_match_in_order_and_length():
    assert match_value([1, 2], [2, 1]) == ["/0: expected 1, got 2", "/1: expected 2, got 1"]
    assert match_value([1], [1, 1]) == ["/: expected 1 items, got 2: [1, 1]"]


def test_booleans_are_not_numbers_and_strings_are_exact():
    assert match_value(True, 1) != []
    assert match_value(1, True) != []
    assert match_value("1.0", 1.0) != []
    assert match_value("a\r\n", "a\n") != []


def test_the_any_wildcard_needs_a_value_to_be_present():
    assert match_value({"x": {"$any": True}}, {"x": None}) == []
    assert match_value({"x": {"$any": True}}, {}) == ['/x: missing (expected {"$any": true})']
    # Only the exact form is a wildcard.
    assert match_value({"$any": True, "y": 1}, {"y": 1}) != []


def test_pointers_in_differences_are_escaped():
    found = match_value({"a/b": {"c~d": 1}}, {"a/b": {"c~d": 2}})
    assert found == ["/a~1b/c~0d: expected 1, got 2"]


def test_diagnostics_match_on_code_and_pointer_and_unlisted_warnings_pass():
    from envspec.conformance.cases import ExpectedDiagnostic

    want = [ExpectedDiagnostic(code="secret", pointer="/env/TOKEN")]
    got = [
        {"code": "secret", "pointer": "/env/TOKEN", "severity": "error", "message": "x"},
        {"code": "image-unpinned", "pointer": "/image", "severity": "warning"},
    ]
    assert match_diagnostics(want, got, allow_extra=False) == []
    wrong_place = [{"code": "secret", "pointer": "/env", "severity": "error"}]
    assert match_diagnostics(want, wrong_place, allow_extra=False) == [
        "missing diagnostic 'secret' at '/env/TOKEN'",
        "unexpected error 'secret' at '/env'",
    ]
    anywhere = [ExpectedDiagnostic(code="secret", pointer={"$any": True})]
    assert match_diagnostics(anywhere, wrong_place, allow_extra=False) == []
    extra = [*got, {"code": "wrong-type", "pointer": "/x", "severity": "error"}]
    assert match_diagnostics(want, extra, allow_extra=True) == []
    assert len(match_diagnostics(want, extra, allow_extra=False)) == 1


# ------------------------------------------------------------------ versions, selection


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        (">=1.0", ["1.0", "1.3", "2.0"], ["0.1", "0.9"]),
        (">=1.0,<2.0", ["1.0", "1.12"], ["2.0", "0.1"]),
        ("==0.1", ["0.1"], ["1.0", "0.2"]),
        ("> 1.0 , <= 1.2", ["1.1", "1.2"], ["1.0", "1.3"]),
    ],
)
def test_version_ranges(text, inside, outside):
    assert all(v in VersionRange(text) for v in inside)
    assert not any(v in VersionRange(text) for v in outside)
    assert "1.x" not in VersionRange(text)
    assert 1.0 not in VersionRange(text)


def test_selection_by_role_feature_level_and_id_globs():
    secrets = Selection(features=("secrets",)).apply(CASES)
    assert secrets
    assert all("secrets" in c.features for c in secrets)
    ids = Selection(ids=("packer.unpack*",), levels=("core",)).apply(CASES)
    assert ids
    assert all(c.id.startswith("packer.unpack") and c.level == "core" for c in ids)
    rest = Selection(roles=("migrator",), exclude_ids=("*.upgrade.*",)).apply(CASES)
    assert rest
    assert all(c.role == "migrator" and ".upgrade." not in c.id for c in rest)


# ------------------------------------------------------------ adapters written in tests


class _AllValid(Adapter):
    """A validator that never finds anything wrong."""

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"valid": True, "diagnostics": []}


class _ExtraMember(Adapter):
    """Adds a member the protocol does not define to every validate result."""

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        return {**super()._validate(message), "verdict": "ok"}


def _validator_cases(*features: str) -> list[Any]:
    return Selection(roles=("validator",), features=features).apply(CASES)


def test_a_core_skip_makes_the_result_partial_never_conformant():
    cases = _validator_cases("secrets")
    core = next(c for c in cases if c.level == "core")
    skip = SkipEntry(core.id, "not implemented yet")
    result = run(cases, connect(REFERENCE), RunOptions(skips=(skip,)))
    statuses = {r.case.id: r.status for r in result.results}
    assert statuses[core.id] == "skipped"
    assert set(statuses.values()) == {"pass", "skipped"}
    assert result.verdict() == "partial"
    assert result.exit_code == 3  # partial is not success...
    accepted = run(cases, connect(REFERENCE), RunOptions(skips=(skip,), accept_partial=True))
    assert accepted.verdict() == "partial"
    assert accepted.exit_code == 0  # ...unless the user accepts it


def test_strict_skips_fail_when_a_skipped_case_passes():
    cases = _validator_cases("secrets")
    skip = SkipEntry("validator.secrets.*", "flaky")
    strict = run(cases, connect(REFERENCE), RunOptions(skips=(skip,), strict_skips=True))
    assert {r.status for r in strict.results} == {"fail"}
    assert "remove it from the list" in strict.results[0].details[0]
    assert strict.exit_code == 1
    # A skipped case that still fails stays skipped in strict mode.
    broken = run(cases, PythonTransport(_AllValid), RunOptions(skips=(skip,), strict_skips=True))
    invalid = [r for r in broken.results if not r.case.expect.valid]
    assert invalid
    assert {r.status for r in invalid} == {"skipped"}


def test_undeclared_features_are_unsupported_and_other_versions_not_applicable():
    class OnlySecrets(Adapter):
        def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
            hello = super()._hello(message)
            hello["roles"] = {"validator": {"versions": ["1.0"], "features": ["secrets"]}}
            return hello

    cases = [*_validator_cases("secrets", "pip"), *Selection(roles=("packer",)).apply(CASES)]
    result = run(cases, PythonTransport(OnlySecrets))
    by_status: dict[str, set[str]] = {}
    for r in result.results:
        by_status.setdefault(r.status, set()).add(r.case.id)
    assert {c.id for c in cases if c.role == "packer"} == by_status["not-applicable"]
    features = {c.id: set(c.features) for c in cases}
    assert by_status["unsupported"]
    assert all(features[i] - {"secrets"} for i in by_status["unsupported"])
    assert all(features[i] <= {"secrets"} for i in by_status["pass"])
    assert result.roles() == ["validator"]
    assert result.verdict() == "partial"


def test_message_checking_turns_protocol_violations_into_errors():
    cases = _validator_cases("secrets")[:2]
    lenient = run(cases, PythonTransport(_ExtraMember))
    assert {r.status for r in lenient.results} == {"pass"}
    strict = run(cases, PythonTransport(_ExtraMember, check_messages=True))
    assert {r.status for r in strict.results} == {"error"}
    assert "/result/verdict" in strict.results[0].details[0]
    assert strict.exit_code == 1


# ------------------------------------------------------------------- the wire schemas


class _Recorder(Adapter):
    seen: ClassVar[list[tuple[str, dict[str, Any], dict[str, Any]]]] = []

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = super().handle(message)
        self.seen.append((message["op"], message, answer))
        return answer


def test_every_message_on_the_wire_matches_its_published_schema():
    _Recorder.seen = []
    one_per_feature = {}
    for case in CASES:
        one_per_feature.setdefault((case.role, case.features[0]), case)
    run(list(one_per_feature.values()), PythonTransport(_Recorder))
    ops = {op for op, _, _ in _Recorder.seen}
    assert ops == {
        "hello", "validate", "migrate", "pack", "unpack", "plan", "menu", "launch", "bye",
        UNKNOWN_OP,
    }  # fmt: skip
    answer_schema = jsonschema.Draft202012Validator(load("protocol:answer"))
    # The protocol checks break the request schemas on purpose (an unknown op, an unknown
    # member, a hello for protocol 2): the rest is what the cases send.
    probes = [
        (op, request, answer)
        for op, request, answer in _Recorder.seen
        if op == UNKNOWN_OP or UNKNOWN_MEMBER in request or request.get("protocol", 1) != 1
    ]
    assert len(probes) == 3  # an unknown op, an unknown member, a hello for protocol 2
    for op, request, answer in _Recorder.seen:
        answer_schema.validate(answer)
        if (op, request, answer) in probes:
            continue
        jsonschema.validate(request, load(f"protocol:{op}-request"))
        answer_schema.validate(answer)
        jsonschema.validate(answer["result"], load(f"protocol:{op}-result"))
    assert len(PROTOCOL_MESSAGES) == 25


# --------------------------------------------------------------------------- reports


@pytest.fixture(scope="module")
def failing_run() -> Run:
    cases = _validator_cases("secrets", "versions")
    skip = SkipEntry("validator.versions.*", "later", "https://example.org/issues/1")
    return run(cases, PythonTransport(_AllValid), RunOptions(skips=(skip,)))


def test_ndjson_has_a_header_a_line_per_case_and_a_footer(failing_run):
    lines = [json.loads(line) for line in ndjson_lines(failing_run)]
    cases, checks = len(failing_run.results), len(PROTOCOL_CHECKS)
    assert [x["type"] for x in lines] == (
        ["header"] + ["case"] * cases + ["protocol"] * checks + ["footer"]
    )
    assert lines[0]["suite"] == suite_version()
    assert lines[0]["implementation"]["name"] == "envspec"
    assert lines[0]["claim"] is False  # in-process
    assert [x["id"] for x in lines if x["type"] == "protocol"] == list(PROTOCOL_CHECKS)
    assert lines[-1]["verdict"] == "failing"
    assert lines[-1]["protocol"] == "conformant"
    assert lines[-1]["exit_code"] == 1
    skipped = [x for x in lines[1:-1] if x.get("status") == "skipped"]
    assert skipped
    assert skipped[0]["skip"]["issue_url"] == "https://example.org/issues/1"


def test_summary_counts_per_role_and_level(failing_run):
    data = summary(failing_run)
    validator = data["roles"]["validator"]
    assert validator["verdict"] == "failing"
    statuses = [r.status for r in failing_run.results]
    assert validator["core"]["fail"] + validator["extended"]["fail"] == statuses.count("fail")
    assert validator["core"]["total"] + validator["extended"]["total"] == len(statuses)
    assert set(validator["failed"]) == {
        r.case.id for r in failing_run.results if r.status == "fail"
    }
    assert validator["features"]["secrets"]["total"] >= validator["features"]["secrets"]["pass"]


def test_junit_xml_is_well_formed_and_counts_match(failing_run):
    root = ET.fromstring(junit_xml(failing_run))  # noqa: S314 (our own output)
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == int(suite.get("tests", "-1")) == len(failing_run.results)
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == int(suite.get("failures", "-1")) > 0
    assert "rerun: envspec conformance run" in (failures[0].find("failure").text or "")
    assert all(c.get("classname", "").startswith("validator.") for c in cases)
    # The protocol checks are a test suite of their own.
    protocol = root.find("testsuite[@name='envspec conformance: protocol']")
    assert protocol is not None
    assert [c.get("name") for c in protocol.findall("testcase")] == list(PROTOCOL_CHECKS)
    assert protocol.get("skipped") == "1"  # stray output: not applicable in-process
    # In-process: every suite says that the run is no conformance claim.
    for each in root.findall("testsuite"):
        claim = each.find("properties/property[@name='claim']")
        assert claim is not None
        assert claim.get("value") == "false"


def test_markdown_has_a_rerun_command_per_failure(failing_run):
    text = markdown(failing_run)
    failed = [r.case.id for r in failing_run.results if r.status == "fail"]
    assert text.count("```sh") == len(failed)
    for case_id in failed:
        assert f"--id {case_id} -V" in text
    assert "## Skipped and unsupported" in text
    assert "**In-process run: for development only, not a conformance claim" in text
    assert "Protocol checks: **conformant**." in text
    assert "| `protocol.unknown-op` | pass |" in text


def test_the_rerun_command_keeps_the_options_that_change_what_runs(failing_run):
    from envspec.conformance.reports import rerun_command

    failing_run.rerun_args = ("--cases", "my cases", "--timeout", "30")
    try:
        assert rerun_command(failing_run, "validator.x.y") == (
            f"envspec conformance run --adapter {shlex.quote(failing_run.adapter)} "
            "--cases 'my cases' --timeout 30 --id validator.x.y -V"
        )
    finally:
        failing_run.rerun_args = ()


def test_badges_follow_the_shields_endpoint_format(failing_run):
    data = badge(failing_run)
    assert data["schemaVersion"] == 1
    # In-process: no claim, whatever the verdict.
    assert data["color"] == "lightgrey"
    assert re.fullmatch(r"\d+/\d+ passing \(in-process: no claim\)", data["message"])
    good = run(_validator_cases("secrets"), connect(CHILD))
    assert badge(good, "validator") == {
        "schemaVersion": 1,
        "label": "envspec validator",
        "message": "conformant",
        "color": "brightgreen",
    }


# ------------------------------------------------------------------------------- CLI


def test_cli_list_and_json(run_cli):
    code, out, _ = run_cli("conformance", "list", "--role", "packer", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert {c["id"] for c in listed} == {c.id for c in CASES if c.role == "packer"}
    code, out, _ = run_cli("conformance", "list", "--id", "validator.secrets.*")
    assert code == 0
    assert out.splitlines()[-1] == f"{len(_validator_cases('secrets'))} cases"


def test_cli_export_one_version(run_cli, tmp_path):
    code, out, _ = run_cli("conformance", "export", "--version", "1.0", str(tmp_path))
    assert code == 0, out
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["suite"] == suite_version()
    assert manifest["env_ver"] == "1.0"
    exported = [
        case
        for name in manifest["files"]
        for case in json.loads((tmp_path / name).read_text("utf-8"))
    ]
    assert [c["id"] for c in exported] == manifest["ids"]
    assert set(manifest["ids"]) == {c.id for c in CASES if "1.0" in VersionRange(c.versions)}
    assert not any("0.0" in VersionRange(c.versions) for c in CASES)
    code, _, err = run_cli("conformance", "export", "--version", "0.0", str(tmp_path / "x"))
    assert code == 2
    assert "no case applies to env_ver '0.0'" in err


def test_cli_run_usage_errors(run_cli, tmp_path):
    code, _, err = run_cli("conformance", "run", "--adapter", REFERENCE, "--id", "nothing.*")
    assert code == 2
    assert "no case matches" in err
    skips = tmp_path / "skips.yaml"
    skips.write_text("skips:\n  - id: validator.*\n")
    code, _, err = run_cli("conformance", "run", "--adapter", REFERENCE, "--skip-file", skips)
    assert code == 2
    assert "needs a 'reason'" in err
    code, _, err = run_cli("conformance", "run", "--adapter", REFERENCE, "--timeout", "0")
    assert code == 2
    code, out, _ = run_cli("conformance")
    assert code == 2
    assert "run" in out


def test_cli_run_with_a_skip_file(run_cli, tmp_path):
    skips = tmp_path / "skips.yaml"
    skips.write_text("skips:\n  - id: validator.secrets.*\n    reason: not yet\n")
    args = ["conformance", "run", "--adapter", REFERENCE, "--role", "validator"]
    code, out, err = run_cli(*args, "--feature", "secrets", "--skip-file", skips)
    assert code == 3  # partial
    assert "validator: partial" in out
    assert out.splitlines()[-1].startswith("in-process run: for development only, not a ")
    assert set(err.split(" [")[0]) == {"s"}
    code, out, _ = run_cli(*args, "--feature", "secrets", "--skip-file", skips, "--accept-partial")
    assert code == 0
    assert "validator: partial" in out
    code, out, _ = run_cli(*args, "--feature", "secrets", "--skip-file", skips, "--strict-skips")
    assert code == 1
    assert "remove it from the list" in out


def test_the_adapter_that_does_not_exist(run_cli):
    code, out, _ = run_cli("conformance", "run", "--adapter", "no-such-program-here", "-q")
    assert code == 1
    assert "the adapter did not start" in out
    assert "cannot run 'no-such-program-here'" in out


# ------------------------------------------------------------------------------ lint


def _write_cases(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


_GOOD = """\
- id: validator.secrets.example
  description: A token in env is an error for this example
  role: validator
  features: [secrets]
  level: core
  versions: ">=1.0"
  spec: 1.0.md#security-secrets
  input: {file: x.envspec.yaml, text: "env_ver: '1.0'\\n"}
  expect: {valid: true}
"""


def test_lint_reports_each_kind_of_problem(run_cli, tmp_path):
    root = tmp_path / "cases"
    _write_cases(root, "validator/secrets.yaml", _GOOD)
    (root / "ids.txt").write_text("validator.secrets.example\nvalidator.secrets.gone\n")
    (root / "RETIRED").write_text("validator.pip.old  # replaced\n")
    _write_cases(
        root,
        "validator/pip.yaml",
        _GOOD.replace("secrets.example", "pip.old").replace("[secrets]", "[pip, nosuch]")
        + _GOOD.replace("secrets.example", "pip.dup")
        + _GOOD.replace("secrets.example", "pip.dup").replace("{valid: true}", "{valid: false}")
        + _GOOD.replace("secrets.example", "pip.bad-code")
        .replace("[secrets]", "[pip]")
        .replace("{valid: true}", "{valid: true, diagnostics: [{code: nope, pointer: ''}]}"),
    )
    _write_cases(root, "packer/pack.yaml", "- id: x\n")
    code, out, _ = run_cli("conformance", "lint", str(root))
    assert code == 1
    for expected in [
        "unknown validator features ['nosuch']",
        "this id is retired",
        "duplicate id",
        "an invalid file must expect at least one error code",
        "'nope' is not a code of the diagnostics registry",
        "validator.secrets.gone: a published case has disappeared",
        "not in ids.txt",
        "packer/pack.yaml: /0: Unable to extract tag using discriminator 'role'",
        "its first feature 'secrets' is not the file's 'pip'",
    ]:
        assert expected in out, expected
    code, out, _ = run_cli("conformance", "lint", str(root), "--fix")
    assert "added to ids.txt: validator.pip.dup" in out


def test_lint_checks_spec_anchors_when_the_spec_is_beside_the_cases(run_cli, tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "index.md").write_text("# x {#x}\n")
    (tmp_path / "spec" / "1.0.md").write_text("## Other {#other}\n")
    root = tmp_path / "suite" / "cases"
    _write_cases(root, "validator/secrets.yaml", _GOOD)
    (root / "ids.txt").write_text("validator.secrets.example\n")
    code, out, _ = run_cli("conformance", "lint", str(root))
    assert code == 1
    assert "spec link '1.0.md#security-secrets': no such anchor" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- [unclosed\n", "line"),
        ("- id: 12\n", "/0"),
        ("{}\n", "list"),
    ],
)
def test_lint_survives_malformed_case_files(run_cli, tmp_path, text, message):
    root = tmp_path / "cases"
    _write_cases(root, "validator/secrets.yaml", text)
    # Published ids of the file that does not load are not also reported as disappeared
    # (one mistake, one message); those of other files are.
    (root / "ids.txt").write_text("validator.secrets.example\nvalidator.pip.gone\n")
    code, out, _ = run_cli("conformance", "lint", str(root))
    assert code == 1
    assert "validator/secrets.yaml" in out
    assert message in out
    assert "validator.secrets.example" not in out
    assert "validator.pip.gone: a published case has disappeared" in out


# ------------------------------------------------------------------------ pytest plugin


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "envspec.conformance.pytest_plugin", "-q", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


#: The plugin's protocol checks: in-process, all pass but stray-output (not applicable).
CHECKS_PASSED = len(PROTOCOL_CHECKS) - 1


@pytest.mark.slow
def test_the_pytest_plugin_runs_one_test_per_case(tmp_path):
    done = _pytest(tmp_path, "--envspec-adapter", REFERENCE, "--envspec-role", "packer")
    packer = [c for c in CASES if c.role == "packer"]
    assert done.returncode == 0, done.stdout
    assert f"{len(packer) + CHECKS_PASSED} passed, 1 skipped" in done.stdout
    selected = _pytest(
        tmp_path, "--envspec-adapter", REFERENCE, "--envspec-role", "packer", "-k", "unpack"
    )
    assert f"{sum('unpack' in c.id for c in packer)} passed" in selected.stdout


@pytest.mark.slow
def test_the_pytest_plugin_shows_failures_with_a_rerun_command(tmp_path):
    (tmp_path / "faulty.py").write_text(
        "from envspec.conformance.reference import Adapter\n"
        "class AllValid(Adapter):\n"
        "    def _validate(self, message):\n"
        "        return {'valid': True, 'diagnostics': []}\n"
    )
    done = _pytest(
        tmp_path,
        "--envspec-adapter",
        "python:faulty:AllValid",
        "--envspec-id",
        "validator.secrets.*",
        "-p",
        "no:cacheprovider",
    )
    assert done.returncode == 1
    assert "expected the file to be invalid, the adapter said valid" in done.stdout
    assert "rerun: envspec conformance run --adapter python:faulty:AllValid --id" in done.stdout


@pytest.mark.slow
def test_without_the_option_the_plugin_adds_nothing(tmp_path):
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    done = _pytest(tmp_path)
    assert done.returncode == 0
    assert "1 passed" in done.stdout


@pytest.mark.slow
def test_the_pytest_plugin_selects_by_feature_level_and_exclusion(tmp_path):
    wanted = [
        c for c in CASES if "secrets" in c.features and c.level == "core" and "url" not in c.id
    ]
    done = _pytest(
        tmp_path,
        "--envspec-adapter",
        REFERENCE,
        "--envspec-feature",
        "secrets",
        "--envspec-level",
        "core",
        "--envspec-exclude-id",
        "*url*",
    )
    assert done.returncode == 0, done.stdout
    assert wanted
    assert f"{len(wanted) + CHECKS_PASSED} passed" in done.stdout


def _skip_file(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "skips.yaml"
    path.write_text(f"skips:\n  - id: '{pattern}'\n    reason: waiting for the new parser\n")
    return path


@pytest.mark.slow
def test_the_pytest_plugin_honours_a_skip_file(tmp_path):
    secrets = [c for c in CASES if c.id.startswith("validator.secrets.")]
    skips = _skip_file(tmp_path, "validator.secrets.*")
    args = ["--envspec-adapter", REFERENCE, "--envspec-role", "validator", "-rs"]
    done = _pytest(
        tmp_path, *args, "--envspec-id", "validator.secrets.*", "--envspec-skip-file", str(skips)
    )
    assert done.returncode == 0, done.stdout
    assert f"{len(secrets) + 1} skipped" in done.stdout  # and protocol.stray-output
    assert "skipped: waiting for the new parser" in done.stdout
    # Strict: the skipped cases run, and since the reference passes them, each one fails.
    strict = _pytest(
        tmp_path,
        *args,
        "--envspec-id",
        "validator.secrets.*",
        "--envspec-skip-file",
        str(skips),
        "--envspec-strict-skips",
    )
    assert strict.returncode == 1
    assert f"{len(secrets)} failed" in strict.stdout
    assert "but passes: remove it from the list" in strict.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("skips:\n  - id: x\n", "needs a 'reason'"),
        ("skips: [unclosed\n", "skips.yaml:"),
        ("- just a list\n", "expected a mapping with a 'skips' list"),
    ],
    ids=["no-reason", "bad-yaml", "not-a-mapping"],
)
@pytest.mark.slow
def test_the_pytest_plugin_refuses_a_bad_skip_file(tmp_path, content, message):
    (tmp_path / "skips.yaml").write_text(content)
    done = _pytest(tmp_path, "--envspec-adapter", REFERENCE, "--envspec-skip-file", "skips.yaml")
    assert done.returncode == 4  # pytest's usage error
    assert "--envspec-skip-file" in done.stderr
    assert message in done.stderr


@pytest.mark.slow
def test_the_pytest_plugin_checks_messages_on_request(tmp_path):
    (tmp_path / "extra.py").write_text(
        "from envspec.conformance.reference import Adapter\n"
        "class Extra(Adapter):\n"
        "    def _validate(self, message):\n"
        "        return {**super()._validate(message), 'elapsed': 0.001}\n"
    )
    args = ["--envspec-adapter", "python:extra:Extra", "--envspec-id", "validator.secrets.*"]
    lenient = _pytest(tmp_path, *args, "-p", "no:cacheprovider")
    assert lenient.returncode == 0, lenient.stdout
    checked = _pytest(tmp_path, *args, "--envspec-check-messages", "-p", "no:cacheprovider")
    assert checked.returncode == 1
    assert "protocol violation: /result/elapsed: Extra inputs are not permitted" in checked.stdout


@pytest.mark.slow
def test_the_pytest_plugin_reports_an_adapter_that_does_not_start(tmp_path):
    done = _pytest(
        tmp_path,
        "--envspec-adapter",
        f"{sys.executable} -c pass",
        "--envspec-id",
        "validator.secrets.*",
        "--envspec-startup-timeout",
        "5",
    )
    secrets = [c for c in CASES if c.id.startswith("validator.secrets.")]
    assert done.returncode == 1
    assert f"{len(secrets) + len(PROTOCOL_CHECKS)} failed" in done.stdout
    assert done.stdout.count("the adapter did not start") >= 1


@pytest.mark.slow
def test_the_pytest_plugin_runs_the_protocol_checks(tmp_path):
    zoo = Path(__file__).resolve().parent / "conformance_zoo" / "unknown_op_errored.py"
    done = _pytest(
        tmp_path,
        "--envspec-adapter",
        shlex.join([sys.executable, str(zoo)]),
        "--envspec-id",
        "validator.secrets.*",
        "-p",
        "no:cacheprovider",
    )
    assert done.returncode == 1
    assert "1 failed" in done.stdout
    assert "FAILED ::protocol.unknown-op" in done.stdout
    assert "got errored (KeyError: 'x-unknown-op')" in done.stdout


def test_the_spec_and_the_guide_list_exactly_the_protocol_checks_of_the_code():
    ids = set(PROTOCOL_CHECKS)
    spec = (REPO / "spec" / "conformance.md").read_text("utf-8")
    section = spec.split("### Protocol checks", 1)[1].split("\n### ", 1)[0]
    assert set(re.findall(r"^\| `(protocol\.[a-z-]+)` \|", section, re.MULTILINE)) == ids
    guide = (REPO / "docs" / "conformance.md").read_text("utf-8")
    section = guide.split("### Protocol checks", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"^\| `(protocol\.[a-z-]+)` \|", section, re.MULTILINE)) == ids
