"""The zoo: deliberately broken adapters, and proof that the suite catches each one.

Every adapter in ``tests/conformance_zoo/`` is the reference adapter with exactly
one fault.  For each, the suite must

* fail the run (exit status 1, verdict ``failing``);
* flag the cases that target the fault (named ids and globs below);
* pinpoint it: every case the fault does not touch, and that the reference
  adapter passes, still passes.  (The reference is the baseline, not "every
  case passes": cases being written may not pass yet, and that is not the zoo's
  business.)

Protocol faults (crash, hang, a line that is not JSON, a wrong ``seq``) must make
exactly the affected cases ``error``, never ``pass``; the adapter is restarted and
the other cases give what the reference gives.  Each run is restricted to the
role (or features) the fault lives in, so the whole module stays fast.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from envspec.conformance.cases import AnyCase, Selection, load_cases
from envspec.conformance.reference import Adapter
from envspec.conformance.runner import Run, RunOptions, run
from envspec.conformance.transport import PythonTransport, connect

ZOO = Path(__file__).resolve().parent / "conformance_zoo"
CASES = load_cases()

VALIDATOR = Selection(roles=("validator",))
MIGRATOR = Selection(roles=("migrator",))
UNPACK = Selection(roles=("packer",), features=("unpack", "unpack-safety"))
#: Everything the zoo runs (pack cases build git repositories: slow, and no fault is there).
EVERYTHING = [c for c in CASES if VALIDATOR(c) or MIGRATOR(c) or UNPACK(c)]


def zoo_adapter(name: str) -> str:
    """The command line of a zoo adapter, run with this interpreter."""
    path = ZOO / f"{name}.py"
    assert path.is_file(), path
    return shlex.join([sys.executable, str(path)])


def run_zoo(name: str, selection: Selection, *, timeout: float = 10.0, **kwargs: Any) -> Run:
    cases = selection.apply(CASES)
    assert cases, f"no case selected for {name}"
    transport = connect(zoo_adapter(name), check_messages=True, **kwargs)
    return run(cases, transport, RunOptions(timeout=timeout))


def statuses(result: Run) -> dict[str, str]:
    return {r.case.id: r.status for r in result.results}


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    """What the reference adapter gives for every case the zoo runs: the baseline."""
    result = run(EVERYTHING, connect("python:envspec.conformance.reference:Adapter"))
    assert result.startup_error is None
    return statuses(result)


def assert_flagged(result: Run, baseline: dict[str, str], patterns: tuple[str, ...]) -> set[str]:
    """Each id (or glob) in *patterns* names a case the reference passes and the run
    fails or errs; returns the ids of every failed or errored case."""
    bad = {r.case.id for r in result.results if r.status in ("fail", "error")}
    for pattern in patterns:
        chosen = fnmatch.filter(baseline, pattern)
        assert chosen, f"no case matches {pattern!r}: renamed?"
        flagged = [i for i in chosen if i in bad and baseline[i] == "pass"]
        assert flagged, f"no case matching {pattern!r} flags the fault"
    return bad


def unrelated_changes(
    result: Run, baseline: dict[str, str], targets: Callable[[AnyCase], bool]
) -> list[str]:
    """Cases outside the fault's target that the reference passes but this run does not."""
    return [
        f"{r.case.id}: {r.status} {r.details}"
        for r in result.results
        if not targets(r.case) and baseline[r.case.id] == "pass" and r.status != "pass"
    ]


# ------------------------------------------------------------------ behaviour faults


def _expects(case: AnyCase, *codes: str) -> bool:
    return any(d.code in codes for d in case.expect.diagnostics)


def _files(case: AnyCase) -> dict[str, Any]:
    """The embedded files of an unpack case's environment (0.1: its text members)."""
    environment = getattr(case.input, "environment", None) or {}
    if environment.get("env_ver") == "0.1":
        return {k: v for k, v in environment.items() if k != "env_ver"}
    files = environment.get("files")
    return files if isinstance(files, dict) else {}


def _source(case: AnyCase) -> str:
    """A validator case's input as text (the file's text, or its document as JSON)."""
    text = getattr(case.input, "text", None)
    return text if text is not None else json.dumps(getattr(case.input, "document", None))


@dataclass(frozen=True)
class Fault:
    name: str
    selection: Selection
    #: Ids or globs of cases that must fail on this fault.
    flagged: tuple[str, ...]
    #: The cases the fault may touch; every other case behaves as with the reference.
    targets: Callable[[AnyCase], bool]
    #: The targeted cases that the reference passes all fail (the target is exact).
    exact: bool = False


BEHAVIOUR_FAULTS = [
    Fault(
        "says_all_valid",
        VALIDATOR,
        (
            "validator.versions.unknown-major",
            "validator.secrets.github-token-in-requirements",
            "validator.versions.*",
            "validator.notebook.*",
            "validator.pip.*",
        ),
        lambda c: not c.expect.valid or bool(c.expect.diagnostics),
        exact=True,
    ),
    Fault(
        "accepts_unknown_major",
        VALIDATOR,
        ("validator.versions.unknown-major",),
        lambda c: _expects(c, "env-version-unsupported"),
    ),
    Fault(
        "ignores_secrets",
        VALIDATOR,
        ("validator.secrets.github-token-in-requirements", "validator.secrets.*"),
        lambda c: "secrets" in c.features or _expects(c, "secret", "secret-env-value"),
    ),
    Fault(
        "drops_git_on_migration",
        MIGRATOR,
        ("migrator.upgrade.git-block-kept",),
        lambda c: "git" in c.input.document,
    ),
    Fault(
        "no_version_bump",
        MIGRATOR,
        ("migrator.upgrade.git-block-kept", "migrator.upgrade.*", "migrator.downgrade.*"),
        lambda c: c.expect.document is not None and c.input.document.get("env_ver") != c.input.to,
        exact=True,
    ),
    Fault(
        "unpack_drops_file",
        UNPACK,
        ("packer.unpack.exact-bytes",),
        lambda c: bool(_files(c)),
    ),
    Fault(
        "unpack_crlf",
        UNPACK,
        ("packer.unpack.exact-bytes",),
        lambda c: any(isinstance(t, str) and "\r\n" in t for t in _files(c).values()),
    ),
    # Kinds of faults that the mutation run (benchmarks/mutation.py) found the suite missed.
    Fault(
        "scheme_datum_comment_as_line_comment",
        VALIDATOR,
        ("validator.guix.datum-comment-spans-lines",),
        lambda c: "#;" in _source(c),
    ),
    Fault(
        "image_ref_off_by_one",
        VALIDATOR,
        ("validator.image.ref-255-characters",),
        lambda c: re.search(r"(ref|container): \S{250}", _source(c)) is not None,
    ),
    Fault(
        "handler_url_accepts_scp",
        VALIDATOR,
        ("validator.urls.handler-url-not-absolute-forms", "validator.versions.legacy-field-rules"),
        lambda c: "handler_url" in _source(c),
    ),
    Fault(
        "round_trip_loses_spelling",
        MIGRATOR,
        ("migrator.preservation.round-trip-restores-spellings-and-kept-members",),
        lambda c: (
            "Env_name" in json.dumps(c.model_dump()) or "Cloud_ver" in json.dumps(c.model_dump())
        ),
    ),
]


@pytest.mark.parametrize("fault", BEHAVIOUR_FAULTS, ids=lambda f: f.name)
def test_a_behaviour_fault_fails_the_run_and_is_pinpointed(fault, reference):
    result = run_zoo(fault.name, fault.selection)
    assert result.startup_error is None
    assert result.exit_code == 1
    assert result.verdict() == "failing"
    bad = assert_flagged(result, reference, fault.flagged)
    # The answers are still well-formed protocol messages: the cases fail, none errs.
    assert {r.status for r in result.results if r.case.id in bad} == {"fail"}
    assert unrelated_changes(result, reference, fault.targets) == []
    if fault.exact:
        missed = [
            r.case.id
            for r in result.results
            if fault.targets(r.case) and reference[r.case.id] == "pass" and r.status == "pass"
        ]
        assert missed == []


def test_what_the_runner_says_about_each_behaviour_fault(reference):
    # The details name the fault, so an implementer knows what to fix.
    def details(name: str, selection: Selection, case_id: str) -> str:
        result = run_zoo(name, Selection(selection.roles, selection.features, ids=(case_id,)))
        (only,) = result.results
        assert only.status == "fail"
        return "\n".join(only.details)

    text = details("unpack_crlf", UNPACK, "packer.unpack.exact-bytes")
    assert "requirements.txt: line endings were changed" in text
    text = details("unpack_drops_file", UNPACK, "packer.unpack.exact-bytes")
    assert "postBuild: missing from the folder" in text
    text = details("no_version_bump", MIGRATOR, "migrator.upgrade.version-bump")
    assert "env_ver of the result is '0.1', not the target '1.0'" in text
    text = details("drops_git_on_migration", MIGRATOR, "migrator.upgrade.git-block-kept")
    assert "/git: missing" in text
    text = details("accepts_unknown_major", VALIDATOR, "validator.versions.unknown-major")
    assert "missing diagnostic 'env-version-unsupported' at '/env_ver'" in text
    text = details("ignores_secrets", VALIDATOR, "validator.secrets.github-token-in-requirements")
    assert "missing diagnostic 'secret' at '/files/requirements.txt'" in text


# ------------------------------------------------------------------ protocol faults


def _notebook(case: AnyCase) -> bool:
    return case.role == "validator" and case.input.file.endswith(".ipynb")


def _lossy(case: AnyCase) -> bool:
    return case.role == "migrator" and case.input.lossy


def _cloud(case: AnyCase) -> bool:
    return case.role == "migrator" and "cloud" in case.input.document


def _post_build(case: AnyCase) -> bool:
    return getattr(case, "operation", None) == "unpack" and "postBuild" in _files(case)


@dataclass(frozen=True)
class ProtocolFault:
    name: str
    selection: Selection
    #: The cases whose first request meets the fault (all of them must be errors).
    affected: Callable[[AnyCase], bool]
    flagged: tuple[str, ...]
    #: What the runner says about each affected case.
    detail: str
    timeout: float = 10.0


PROTOCOL_FAULTS = [
    ProtocolFault(
        "wrong_seq",
        Selection(roles=("validator",), features=("versions", "notebook", "secrets")),
        _notebook,
        ("validator.versions.minimal-notebook", "validator.notebook.*"),
        "the answer's seq is",
    ),
    ProtocolFault(
        "duplicate_answer",
        Selection(roles=("validator",), features=("versions", "notebook", "secrets")),
        _notebook,
        ("validator.versions.minimal-notebook", "validator.notebook.*"),
        "the adapter wrote 1 line(s) that answer no request",
    ),
    ProtocolFault(
        "non_json",
        MIGRATOR,
        _lossy,
        ("migrator.downgrade.*-lossy-accepted",),
        "the adapter printed a line that is not JSON: 'migrating with losses allowed...'",
    ),
    ProtocolFault(
        "crash",
        MIGRATOR,
        _cloud,
        ("migrator.downgrade.cloud-target", "migrator.upgrade.cloud-*"),
        "the adapter exited (exit status 3) before answering",
    ),
    ProtocolFault(
        "hang",
        UNPACK,
        _post_build,
        ("packer.unpack.exact-bytes", "packer.unpack-safety.*"),
        "no answer within 1 s (the adapter hangs)",
        timeout=1.0,
    ),
]


@pytest.mark.parametrize("fault", PROTOCOL_FAULTS, ids=lambda f: f.name)
def test_a_protocol_fault_errs_exactly_the_affected_cases(fault, reference):
    result = run_zoo(fault.name, fault.selection, timeout=fault.timeout)
    assert result.startup_error is None
    assert result.exit_code == 1
    assert result.verdict() == "failing"
    affected = {c.id for c in fault.selection.apply(CASES) if fault.affected(c)}
    assert affected
    errors = {r.case.id for r in result.results if r.status == "error"}
    assert errors == affected  # never pass, never a mere fail
    assert_flagged(result, reference, fault.flagged)
    for r in result.results:
        if r.case.id in affected:
            assert fault.detail in r.details[0], r.details
        else:
            assert r.status == reference[r.case.id], (r.case.id, r.details)
    # The adapter is started again after each affected case (but the last, if it is last).
    assert len(affected) - 1 <= result.restarts <= len(affected)
    assert result.restarts > 0
    first = next(i for i, r in enumerate(result.results) if r.case.id in affected)
    assert any(r.status == "pass" for r in result.results[first + 1 :]), "nothing passes later"


def test_a_crashing_adapter_leaves_its_last_words_in_the_report():
    result = run_zoo("crash", Selection(ids=("migrator.downgrade.cloud-target",)))
    (crashed,) = result.results
    assert crashed.status == "error"
    assert "zoo crash: cannot migrate cloud targets" in crashed.stderr


# ------------------------------------------------------------------- start-up faults


@pytest.mark.parametrize("check", [False, True], ids=["plain", "checked"])
def test_an_unknown_protocol_version_means_the_adapter_did_not_start(check):
    selection = Selection(ids=("validator.versions.*",))
    cases = selection.apply(CASES)
    transport = connect(zoo_adapter("bad_hello_protocol"), check_messages=check)
    result = run(cases, transport)
    assert result.startup_error is not None
    assert result.startup_error.startswith("bad answer to hello: ")
    assert "/result/protocol: Input should be 1" in result.startup_error
    assert result.exit_code == 1
    assert result.verdict() == "failing"
    assert result.hello is None
    assert len(result.results) == len(cases)
    assert {r.status for r in result.results} == {"error"}
    assert all("the adapter did not start" in r.details[0] for r in result.results)


def test_an_adapter_that_never_says_hello_is_given_up_after_the_startup_timeout():
    result = run_zoo("no_hello", Selection(ids=("validator.versions.*",)), startup_timeout=0.5)
    assert result.startup_error is not None
    assert "no answer to hello: no answer within 0.5 s" in result.startup_error
    assert result.exit_code == 1
    assert {r.status for r in result.results} == {"error"}
    assert result.hello is None


def test_the_reference_adapter_gives_no_result_to_another_protocol_version():
    answer = Adapter().handle({"op": "hello", "seq": 1, "protocol": 2, "suite": "1.0.0"})
    assert set(answer) == {"seq", "unsupported"}
    assert "protocol 1" in answer["unsupported"]["reason"]


# ----------------------------------------------------------------------------- the CLI


def test_the_cli_names_each_failure_and_exits_1(run_cli):
    code, out, err = run_cli(
        "conformance", "run", "--adapter", zoo_adapter("says_all_valid"),
        "--id", "validator.versions.*", "-V",
    )  # fmt: skip
    assert code == 1
    assert "FAIL validator.versions.unknown-major (core)" in out
    assert "    expected the file to be invalid, the adapter said valid" in out
    assert "--id validator.versions.unknown-major -V" in out  # the rerun command
    assert "validator: failing" in out
    assert "F" in err  # progress
    assert "FAIL validator.versions.minimal-notebook" not in out


def test_the_cli_times_out_a_hung_adapter_restarts_it_and_reports_it(run_cli, tmp_path):
    code, out, _ = run_cli(
        "conformance", "run", "--adapter", zoo_adapter("hang"),
        "--id", "packer.unpack.exact-bytes", "--id", "packer.unpack.no-final-newline",
        "--id", "packer.unpack-safety.parent-path",
        "--timeout", "1", "-q", "--out", tmp_path / "report",
    )  # fmt: skip
    assert code == 1
    assert "ERROR packer.unpack.exact-bytes (core)" in out
    assert "no answer within 1 s (the adapter hangs)" in out
    text = (tmp_path / "report" / "results.ndjson").read_text("utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    cases = {line["id"]: line["status"] for line in lines if line["type"] == "case"}
    assert cases["packer.unpack.exact-bytes"] == "error"
    assert cases["packer.unpack-safety.parent-path"] == "pass"
    footer = lines[-1]
    assert footer["type"] == "footer"
    assert footer["exit_code"] == 1
    assert footer["restarts"] > 0


def test_the_cli_reports_an_adapter_that_did_not_start(run_cli):
    code, out, _ = run_cli(
        "conformance", "run", "--adapter", zoo_adapter("bad_hello_protocol"),
        "--id", "validator.versions.*", "-q",
    )  # fmt: skip
    assert code == 1
    assert "the adapter did not start: bad answer to hello" in out
    assert ": failing in" in out


# ------------------------------------------------------------- in-process transport


class _RaisesOnNotebooks(Adapter):
    """``handle`` itself raises (the reference turns exceptions into ``errored``;
    this one lets them out, as a careless in-process adapter would)."""

    made: ClassVar[int] = 0

    def __init__(self) -> None:
        type(self).made += 1

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") == "validate" and message["file"]["name"].endswith(".ipynb"):
            raise RuntimeError("zoo: notebooks are not implemented")
        return super().handle(message)


def test_an_in_process_adapter_that_raises_errs_and_is_made_again(reference):
    _RaisesOnNotebooks.made = 0
    cases = Selection(roles=("validator",), features=("versions", "notebook")).apply(CASES)
    result = run(cases, PythonTransport(_RaisesOnNotebooks))
    affected = {c.id for c in cases if _notebook(c)}
    assert affected
    errors = {r.case.id for r in result.results if r.status == "error"}
    assert errors == affected
    raised = next(r for r in result.results if r.case.id in affected)
    assert raised.details == ["the adapter raised an exception"]
    assert "RuntimeError: zoo: notebooks are not implemented" in raised.stderr
    assert "Traceback" in raised.stderr
    for r in result.results:
        if r.case.id not in affected:
            assert r.status == reference[r.case.id], r.case.id
    assert result.restarts > 0
    assert _RaisesOnNotebooks.made == result.restarts + 1  # a fresh object per start
    assert result.exit_code == 1


class _HangsOnPostBuild(Adapter):
    """Blocks on unpack requests with a postBuild until the test lets it go."""

    release: ClassVar[threading.Event] = threading.Event()

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        environment = message.get("environment") or {}
        if message.get("op") == "unpack" and "postBuild" in (environment.get("files") or {}):
            self.release.wait(60)
            # Too late: the runner has moved on.  Touch nothing.
            return {"seq": message["seq"], "errored": {"message": "released"}}
        return super().handle(message)


def test_an_in_process_adapter_that_hangs_times_out(reference):
    _HangsOnPostBuild.release = threading.Event()
    cases = Selection(ids=("packer.unpack.*",), exclude_ids=("*executable",)).apply(CASES)
    try:
        result = run(cases, PythonTransport(_HangsOnPostBuild), RunOptions(timeout=1.0))
    finally:
        _HangsOnPostBuild.release.set()
    affected = {c.id for c in cases if _post_build(c)}
    assert affected
    assert {r.case.id for r in result.results if r.status == "error"} == affected
    hung = next(r for r in result.results if r.case.id in affected)
    assert hung.details == ["no answer within 1 s (the adapter hangs)"]
    for r in result.results:
        if r.case.id not in affected:
            assert r.status == reference[r.case.id], r.case.id
    assert result.restarts > 0
    assert result.verdict() == "failing"


# --------------------------------------------------------------- message checking (-V)

MESSAGE_CASES = Selection(roles=("validator",), features=("versions", "notebook"))


class _ExtraResultMember(Adapter):
    """Adds ``elapsed`` to every validate result: ValidateResult is closed."""

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        return {**super()._validate(message), "elapsed": 0.001}


class _FatalSeverity(Adapter):
    """Reports errors with severity "fatal", which the protocol does not have."""

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        for item in result["diagnostics"]:
            if item["severity"] == "error":
                item["severity"] = "fatal"
        return result


class _Extensions(Adapter):
    """Uses the protocol's extension points: extra members in diagnostics, in the
    implementation and in the hello result (all open objects)."""

    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        hello = super()._hello(message)
        hello["implementation"]["build"] = "2024-05-27"
        hello["capabilities"] = {"streaming": False}
        return hello

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        for item in result["diagnostics"]:
            item["line"] = 1
        return result


def _by_status(result: Run) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    for r in result.results:
        grouped.setdefault(r.status, set()).add(r.case.id)
    return grouped


def test_an_unknown_result_member_is_an_error_only_when_messages_are_checked(reference):
    cases = MESSAGE_CASES.apply(CASES)
    lenient = run(cases, PythonTransport(_ExtraResultMember))
    assert statuses(lenient) == {c.id: reference[c.id] for c in cases}
    checked = run(cases, PythonTransport(_ExtraResultMember, check_messages=True))
    assert set(_by_status(checked)) == {"error"}
    detail = checked.results[0].details[0]
    assert detail.startswith("protocol violation: /result/elapsed: Extra inputs are not permitted")
    assert checked.exit_code == 1


def test_a_fatal_severity_is_an_error_with_or_without_message_checking(reference):
    cases = MESSAGE_CASES.apply(CASES)
    with_errors = {c.id for c in cases if not c.expect.valid}
    assert with_errors
    for check in (False, True):
        result = run(cases, PythonTransport(_FatalSeverity, check_messages=check))
        grouped = _by_status(result)
        assert grouped["error"] == with_errors, check
        for r in result.results:
            if r.case.id not in with_errors:
                assert r.status == reference[r.case.id], r.case.id
        detail = next(r.details[0] for r in result.results if r.status == "error")
        if check:
            assert re.search(r"/result/diagnostics/\d+/severity: Input should be 'error'", detail)
        else:
            assert re.search(r"result.diagnostics/\d+ needs string 'code' and 'pointer'", detail)


def test_extension_points_are_accepted_even_when_messages_are_checked(reference):
    cases = MESSAGE_CASES.apply(CASES)
    result = run(cases, PythonTransport(_Extensions, check_messages=True))
    assert statuses(result) == {c.id: reference[c.id] for c in cases}
    assert result.hello is not None
    assert result.hello["capabilities"] == {"streaming": False}
