"""The zoo: deliberately broken adapters, and proof that the suite catches each one.

Every adapter in ``tests/conformance_zoo/`` is the reference adapter with exactly
one fault.  For each, the suite must

* fail the run (exit status 1, verdict ``failing``);
* flag the cases that target the fault (named ids and globs below);
* pinpoint it: every case the fault does not touch, and that the reference
  adapter passes, still passes.  (The reference is the baseline, not "every
  case passes": cases being written may not pass yet, and that is not the zoo's
  business.)

Protocol faults of an operation (a crash, a hang, a wrong ``seq``) must make
exactly the affected cases ``error``, never ``pass``; the adapter is restarted and
the other cases give what the reference gives.  Faults of the protocol itself (an
unknown op answered wrongly, unknown members refused, pipelined requests answered
out of order or not at all, ``bye`` not honoured, output that answers no request,
unknown versions declared, another protocol version accepted) must fail exactly
the protocol checks named, and no case: output that answers no request is the
adapter's fault, never the running case's.  Behaviour and operation faults fail
no protocol check.  Each run is restricted to the role (or features) the fault
lives in, so the whole module stays fast.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from envspec.conformance.cases import AnyCase, Selection, load_cases
from envspec.conformance.reference import Adapter
from envspec.conformance.runner import EXIT_PARTIAL, Run, RunOptions, run
from envspec.conformance.transport import PythonTransport, connect

ZOO = Path(__file__).resolve().parent / "conformance_zoo"
CASES = load_cases()

VALIDATOR = Selection(roles=("validator",))
MIGRATOR = Selection(roles=("migrator",))
UNPACK = Selection(roles=("packer",), features=("unpack", "unpack-safety"))
#: Pack cases without a git repository (those are slow to build, and no fault is there).
PACK = Selection(
    roles=("packer",),
    features=("pack",),
    exclude_ids=("packer.git-source.*", "packer.pack.git-*"),
)
LAUNCHER = Selection(roles=("launcher",))
SPAWNER = Selection(roles=("spawner",))
#: Everything the zoo runs.
EVERYTHING = [
    c
    for c in CASES
    if VALIDATOR(c) or MIGRATOR(c) or UNPACK(c) or PACK(c) or LAUNCHER(c) or SPAWNER(c)
]


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


def failed_checks(result: Run) -> set[str]:
    return {c.id for c in result.protocol if c.status == "fail"}


@pytest.fixture(scope="module", autouse=True)
def known_umask() -> Iterator[None]:
    """Adapters inherit the runner's umask; 022 makes "writable by group or others beyond
    the umask" mean something whatever the machine's own setting."""
    old = os.umask(0o022)
    yield
    os.umask(old)


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


def _embeds(case: AnyCase) -> bool:
    """A pack case whose notebook already embeds files (1.0 ``files``, or 0.1 text members)."""
    if getattr(case, "operation", None) != "pack":
        return False
    environment = case.input.notebook.get("environment") or {}
    return bool(environment.get("files")) or environment.get("env_ver") == "0.1"


def _expects(case: AnyCase, *codes: str) -> bool:
    return any(d.code in codes for d in case.expect.diagnostics)


def _scalars(value: object) -> list[object]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _scalars(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _scalars(item)]
    return [value]


def _keeps_numbers(case: AnyCase) -> bool:
    """A migrator case with a number or a boolean in its input or expected document."""
    leaves = _scalars(case.input.document) + _scalars(case.expect.document)
    return any(isinstance(v, bool | int | float) for v in leaves)


def _newer_minor_pack(case: AnyCase) -> bool:
    environment = case.input.notebook.get("environment") or {}
    return environment.get("env_ver") not in (None, "0.1", "1.0")


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


def _launch_files(case: AnyCase) -> dict[str, Any]:
    if case.role != "launcher":
        return {}
    files = case.input.environment.get("files")
    return files if isinstance(files, dict) else {}


def _pinned(case: AnyCase) -> bool:
    runtime = str(_launch_files(case).get("runtime.txt", ""))
    return "python" in case.input.environment or runtime.startswith("python-")


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
        "pack_drops_embedded",
        PACK,
        ("packer.pack.embedded-files-kept", "packer.pack.legacy-files-kept"),
        _embeds,
    ),
    Fault(
        "pack_ignores_kept_secrets",
        PACK,
        ("packer.pack.kept-secret-stops",),
        lambda c: _embeds(c) and _expects(c, "secret", "url-credentials"),
        exact=True,
    ),
    Fault(
        "unpack_crlf",
        UNPACK,
        ("packer.unpack.exact-bytes",),
        lambda c: any(isinstance(t, str) and "\r\n" in t for t in _files(c).values()),
    ),
    # What the spec requires of every answer, whatever the case expects.
    Fault(
        "wrong_severity",
        VALIDATOR,
        ("validator.structure.every-must-report-reported",),
        lambda c: not c.expect.valid,
    ),
    Fault(
        "unregistered_code",
        VALIDATOR,
        ("validator.versions.*", "validator.pip.*", "validator.structure.*"),
        lambda c: True,
        exact=True,
    ),
    Fault(
        "migrate_stringifies",
        MIGRATOR,
        (
            "migrator.preservation.unknown-values-by-value",
            "migrator.preservation.same-version-every-member",
        ),
        _keeps_numbers,
    ),
    Fault(
        "pack_touches_folder",
        PACK,
        ("packer.pack.requirements", "packer.pack.secret-stops", "packer.binder-folders.*"),
        lambda c: True,
        exact=True,
    ),
    Fault(
        "newer_minor_drops_unknown",
        PACK,
        ("packer.pack.newer-minor-unknown-kept",),
        _newer_minor_pack,
        exact=True,
    ),
    Fault(
        "unpack_world_writable",
        UNPACK,
        ("packer.unpack.exact-bytes", "packer.unpack.legacy-files", "packer.unpack-safety.*"),
        lambda c: bool(_files(c)),
    ),
    Fault(
        "unpack_exec_everything",
        UNPACK,
        ("packer.unpack.exact-bytes", "packer.unpack.postbuild-and-start-executable"),
        lambda c: bool(_files(c)),
    ),
    Fault(
        "unpack_follows_symlink",
        UNPACK,
        (
            "packer.unpack-safety.symlink-replaced-not-followed",
            "packer.unpack-safety.dangling-symlink-no-force-not-followed",
            "packer.unpack-safety.symlink-inside-replaced",
            "packer.unpack-safety.symlink-to-folder-replaced",
        ),
        lambda c: bool(getattr(c.input, "symlinks", None)),
    ),
    # Launchers (the list: each one a way to launch something other than declared).
    Fault(
        "runs_untrusted_postbuild",
        LAUNCHER,
        ("launcher.trust.postbuild-untrusted-refused",),
        lambda c: "postBuild" in _launch_files(c) and not c.input.options.trusted,
        exact=True,
    ),
    Fault(
        "ignores_python_pin",
        LAUNCHER,
        (
            "launcher.python.pin-not-met-refused",
            "launcher.python.patch-pin-exact",
            "launcher.python.runtime-txt-pins",
            "launcher.python.pin-conflict",
        ),
        _pinned,
    ),
    Fault(
        "starts_without_required_variable",
        LAUNCHER,
        ("launcher.variables.null-not-supplied-refused",),
        lambda c: _expects(c, "launch-variable-missing"),
        exact=True,
    ),
    Fault(
        "applies_ignored_requirements",
        LAUNCHER,
        ("launcher.precedence.conda-over-requirements",),
        lambda c: (
            "requirements.txt" in _launch_files(c)
            and "Dockerfile" not in _launch_files(c)
            and bool({"environment.yml", "environment.yaml"} & set(_launch_files(c)))
        ),
        exact=True,
    ),
    Fault(
        "preselects_stale_kernel",
        LAUNCHER,
        ("launcher.kernel.environment-wins",),
        lambda c: (
            c.role == "launcher"
            and c.input.kernelspec is not None
            and "kernel" in c.input.environment
            and c.input.kernelspec.get("name") != c.input.environment["kernel"]["name"]
        ),
        exact=True,
    ),
    # Payload files: the checks a spawner's configuration relies on.
    Fault(
        "accepts_secret_payload_value",
        VALIDATOR,
        (
            "validator.payload.secret-value-by-name",
            "validator.payload.secret-token-value",
            "validator.payload.secret-file-content",
        ),
        lambda c: _expects(c, "payload-secret-value"),
        exact=True,
    ),
    Fault(
        "accepts_limit_below_request",
        VALIDATOR,
        ("validator.payload.limit-below-request",),
        lambda c: _expects(c, "payload-limit-below-request"),
        exact=True,
    ),
    # Spawners (the list: each one a way to offer or launch the wrong image).
    Fault(
        "sorts_weeklies_as_strings",
        SPAWNER,
        ("spawner.order.weeklies-as-numbers",),
        lambda c: c.role == "spawner" and any(t.startswith("w_") for t in c.input.tags),
    ),
    Fault(
        "treats_candidate_as_release",
        SPAWNER,
        ("spawner.categories.candidate-not-release",),
        lambda c: c.role == "spawner" and any("_rc" in t for t in c.input.tags),
    ),
    Fault(
        "forgets_architecture_variants",
        SPAWNER,
        ("spawner.prepull.arch-variants",),
        lambda c: (
            c.role == "spawner" and any(re.search(r"-[a-z0-9]+( |$)", t) for t in c.input.tags)
        ),
    ),
    Fault(
        "prepulls_one_too_many",
        SPAWNER,
        ("spawner.prepull.exact-counts", "spawner.prepull.*"),
        lambda c: c.role == "spawner" and c.operation == "menu",
    ),
    Fault(
        "launches_too_new_interface",
        SPAWNER,
        ("spawner.compatibility.too-new-refused",),
        lambda c: c.role == "spawner" and c.operation == "launch",
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
        lambda c: re.search(r'(ref|container)"?: "?\S{250}', _source(c)) is not None,
    ),
    Fault(
        "handler_url_accepts_scp",
        VALIDATOR,
        ("validator.urls.handler-url-not-absolute-forms", "validator.versions.legacy-field-rules"),
        lambda c: "handler_url" in _source(c),
    ),
    Fault(
        "pip_expands_lower_case",
        VALIDATOR,
        ("validator.pip.lower-case-variable-not-expanded",),
        lambda c: "${" in _source(c),
    ),
    Fault(
        "downgrade_restores_stale_version",
        MIGRATOR,
        ("migrator.downgrade.changed-cloud-version-wins",),
        lambda c: "cloud_ver" in json.dumps(c.model_dump()),
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
    assert failed_checks(result) == set()
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
    text = details("pack_drops_embedded", PACK, "packer.pack.embedded-files-kept")
    assert "/files/environment.yml: missing" in text
    text = details("no_version_bump", MIGRATOR, "migrator.upgrade.version-bump")
    assert "env_ver of the result is '0.1', not the target '1.0'" in text
    text = details("drops_git_on_migration", MIGRATOR, "migrator.upgrade.git-block-kept")
    assert "/git: missing" in text
    text = details("accepts_unknown_major", VALIDATOR, "validator.versions.unknown-major")
    assert "missing diagnostic 'env-version-unsupported' at '/env_ver'" in text
    text = details("ignores_secrets", VALIDATOR, "validator.secrets.github-token-in-requirements")
    assert "missing diagnostic 'secret' at '/files/requirements.txt'" in text
    text = details("wrong_severity", VALIDATOR, "validator.structure.every-must-report-reported")
    assert (
        "'invalid-value' at '/env/MY VAR': reported as 'warning', "
        "the registry's severity is 'error'" in text
    )
    text = details("unregistered_code", VALIDATOR, "validator.versions.minimal-notebook")
    assert "'acme-style' at '': not a code of the diagnostics registry" in text
    text = details("migrate_stringifies", MIGRATOR, "migrator.preservation.unknown-values-by-value")
    assert "the value 2020 of the input is not kept (by value)" in text
    text = details("pack_touches_folder", PACK, "packer.pack.requirements")
    assert "repository/.envspec-pack.lock: created (file) (pack must not change the folder)" in text
    text = details("newer_minor_drops_unknown", PACK, "packer.pack.newer-minor-unknown-kept")
    assert "/gpu_profile: missing" in text
    assert "/files/renv.lock: missing" in text
    text = details("unpack_world_writable", UNPACK, "packer.unpack.exact-bytes")
    assert "requirements.txt: writable by group or others (mode 0666)" in text
    text = details("unpack_exec_everything", UNPACK, "packer.unpack.exact-bytes")
    assert "requirements.txt: executable (mode 0755), but only postBuild and start may be" in text
    text = details(
        "unpack_follows_symlink",
        UNPACK,
        "packer.unpack-safety.dangling-symlink-no-force-not-followed",
    )
    assert "outside/planted.sh: created (file) outside the target folder" in text


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
    #: The protocol checks that fail too (when a probe meets the fault).
    checks: frozenset[str] = frozenset()


PROTOCOL_FAULTS = [
    ProtocolFault(
        "wrong_seq",
        Selection(roles=("validator",), features=("versions", "notebook", "secrets")),
        _notebook,
        ("validator.versions.minimal-notebook", "validator.notebook.*"),
        "the answer's seq is",
        # The probes validate a notebook too: the pipelined one meets the fault (the
        # unknown-member one cannot conclude, the request without the member fails too).
        checks=frozenset({"protocol.pipelined"}),
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
    assert failed_checks(result) == fault.checks
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
    # The adapter is started again after each affected case (but the last, if it is last),
    # and after each probe request that meets the fault (at most the three sendings of the
    # unknown-member and pipelined probes).
    probes = 3 if fault.checks else 0
    assert len(affected) - 1 <= result.restarts <= len(affected) + probes
    assert result.restarts > 0
    first = next(i for i, r in enumerate(result.results) if r.case.id in affected)
    assert any(r.status == "pass" for r in result.results[first + 1 :]), "nothing passes later"


def test_a_crashing_adapter_leaves_its_last_words_in_the_report():
    result = run_zoo("crash", Selection(ids=("migrator.downgrade.cloud-target",)))
    (crashed,) = result.results
    assert crashed.status == "error"
    assert "zoo crash: cannot migrate cloud targets" in crashed.stderr


# ------------------------------------------------------- faults of the protocol itself

VERSIONS = Selection(roles=("validator",), features=("versions",))


@dataclass(frozen=True)
class CheckFault:
    name: str
    selection: Selection
    #: The protocol checks that fail, and a phrase of the details of each.
    checks: dict[str, str]
    timeout: float = 10.0


CHECK_FAULTS = [
    CheckFault(
        "unknown_op_errored",
        VERSIONS,
        {"protocol.unknown-op": "got errored (KeyError: 'x-unknown-op')"},
    ),
    CheckFault(
        "rejects_unknown_members",
        VERSIONS,
        {"protocol.unknown-member": "got errored (unknown members: x-unknown-member)"},
    ),
    CheckFault(
        "answers_out_of_order",
        VERSIONS,
        {"protocol.pipelined": "answers must come in the order of the requests"},
    ),
    CheckFault(
        "one_at_a_time",
        VERSIONS,
        {"protocol.pipelined": "no answer within 1 s (the adapter hangs); 1 of 3 pipelined"},
        timeout=1.0,
    ),
    CheckFault(
        "prints_after_bye",
        VERSIONS,
        {"protocol.bye": "it wrote after answering bye: 'envspec adapter: goodbye'"},
    ),
    CheckFault(
        "ignores_bye",
        VERSIONS,
        {"protocol.bye": "it did not exit within 2 s of answering bye"},
    ),
    CheckFault(
        "non_json",
        MIGRATOR,
        {"protocol.stray-output": "'migrating with losses allowed...': after the answer to seq"},
    ),
    CheckFault(
        "duplicate_answer",
        Selection(roles=("validator",), features=("notebook",)),
        {"protocol.stray-output": "while waiting for seq"},
    ),
    CheckFault(
        "json_log_line",
        UNPACK,
        {"protocol.stray-output": '\'{"level": "info", "msg": "unpacked"'},
    ),
    CheckFault(
        "unknown_version",
        VERSIONS,
        {"protocol.declared-versions": "the validator role declares env_ver 1.7"},
    ),
    CheckFault(
        "ignores_protocol_version",
        VERSIONS,
        {"protocol.other-protocol": "a hello for protocol 2 was answered with result"},
    ),
]


@pytest.mark.parametrize("fault", CHECK_FAULTS, ids=lambda f: f.name)
def test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case(fault, reference):
    result = run_zoo(fault.name, fault.selection, timeout=fault.timeout)
    assert result.startup_error is None
    assert failed_checks(result) == set(fault.checks)
    for check in result.protocol:
        if check.id in fault.checks:
            assert fault.checks[check.id] in "\n".join(check.details), check.details
    # No case takes the blame: every one gives what the reference gives.
    assert statuses(result) == {c: reference[c] for c in statuses(result)}
    assert result.verdict() == "failing"
    assert result.exit_code == 1
    for role in result.roles():
        assert result.verdict(role) == "conformant"


def test_a_stray_line_is_reported_with_where_it_came_not_on_the_running_case(run_cli):
    code, out, _ = run_cli(
        "conformance", "run", "--adapter", zoo_adapter("json_log_line"),
        "--id", "packer.unpack.*", "-q",
    )  # fmt: skip
    assert code == 1
    assert "FAIL protocol.stray-output (protocol: nothing but answers on standard output)" in out
    # The log record after one case's answer, read while waiting for the next case's.
    assert re.search(
        r"'\{\"level\": \"info\", \"msg\": \"unpacked\", .*': after the answer to seq \d+ "
        r"\(packer\.unpack\.[a-z-]+\), while waiting for seq \d+ \(packer\.unpack\.[a-z-]+\)",
        out,
    )
    assert "ERROR packer" not in out
    assert "packer: conformant" in out
    assert "protocol: failing (6/7 checks passed; failed: protocol.stray-output)" in out


def test_an_adapter_that_answers_everything_skipped_is_partial_never_success(reference):
    result = run_zoo("all_skipped", VERSIONS)
    assert {r.status for r in result.results} == {"skipped"}
    assert failed_checks(result) == set()
    assert result.verdict() == "partial"
    assert result.exit_code == EXIT_PARTIAL == 3
    strict = run(
        VERSIONS.apply(CASES),
        connect(zoo_adapter("all_skipped")),
        RunOptions(strict_skips=True),
    )
    assert {r.status for r in strict.results} == {"fail"}  # extended cases too
    assert (
        "with strict skips, a request the adapter answers skipped fails"
        in (strict.results[0].details[-1])
    )
    assert strict.verdict() == "failing"
    assert strict.exit_code == 1


def test_the_cli_exit_status_of_an_adapter_that_skips_everything(run_cli):
    args = ["conformance", "run", "--adapter", zoo_adapter("all_skipped"), "--role", "validator"]
    code, out, _ = run_cli(*args, "-q")
    assert (code, "validator: partial") == (3, out.splitlines()[0].split(" (")[0])
    code, _, _ = run_cli(*args, "-q", "--accept-partial")
    assert code == 0
    code, out, _ = run_cli(*args, "-q", "--strict-skips")
    assert code == 1
    assert "validator: failing" in out


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
    # A fresh object per start, and one for the protocol.other-protocol check.
    assert _RaisesOnNotebooks.made == result.restarts + 2
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


# ------------------------------------------------------- pack: the folder stays as it was


class _WritesTheNotebook(Adapter):
    """Writes the packed environment into the notebook too, as ``envspec pack`` does: the
    one change to the folder that pack may make."""

    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._pack(message)
        if result["environment"] is not None:
            path = Path(message["folder"]) / message["notebook"]
            notebook = json.loads(path.read_text("utf-8"))
            notebook["metadata"]["environment"] = self.written(result["environment"])
            self.change(notebook)
            path.write_text(json.dumps(notebook, indent=2) + "\n", "utf-8")
        return result

    def written(self, environment: dict[str, Any]) -> dict[str, Any]:
        return environment

    def change(self, notebook: dict[str, Any]) -> None:
        pass


class _AddsACell(_WritesTheNotebook):
    def change(self, notebook: dict[str, Any]) -> None:
        notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "packed"})


class _WritesAnotherEnvironment(_WritesTheNotebook):
    def written(self, environment: dict[str, Any]) -> dict[str, Any]:
        return {**environment, "python": "3.11"}


@pytest.mark.parametrize(
    ("adapter", "detail"),
    [
        (_WritesTheNotebook, None),
        (_AddsACell, "analysis.ipynb: changed beyond metadata.environment"),
        (_WritesAnotherEnvironment, "analysis.ipynb: an environment other than the answer"),
    ],
    ids=["environment-only", "adds-a-cell", "another-environment"],
)
def test_pack_may_write_the_environment_into_the_notebook_and_nothing_else(
    adapter, detail, reference
):
    cases = PACK.apply(CASES)
    result = run(cases, PythonTransport(adapter))
    for r in result.results:
        packs = r.case.expect.environment is not None
        if detail is None or not packs:
            assert r.status == reference[r.case.id], (r.case.id, r.details)
        else:
            assert r.status == "fail", r.case.id
            assert any(detail in d for d in r.details), r.details


# ------------------------------------------------- migrations are compared by value, again


class _RetypesOnRewrite(Adapter):
    """A same-version rewrite turns the booleans kept under extensions into 0 and 1 (which
    Python's ``==`` would not notice: ``True == 1``)."""

    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._migrate(message)
        document = result["document"]
        if document is not None and message["document"].get("env_ver") == message["to"]:
            extensions = json.dumps(document.get("extensions", {}))
            extensions = extensions.replace("true", "1").replace("false", "0")
            document["extensions"] = json.loads(extensions)
        return result


def test_a_rewrite_to_the_same_version_is_compared_by_value(reference):
    case_id = "migrator.preservation.unknown-values-by-value"
    result = run(Selection(ids=(case_id,)).apply(CASES), PythonTransport(_RetypesOnRewrite))
    (only,) = result.results
    assert reference[case_id] == "pass"
    assert only.status == "fail"
    assert any(
        d.startswith("migrating the result again to the same version changed it: ")
        and "expected false, got 0" in d
        for d in only.details
    ), only.details
