"""The runner: which cases apply to an adapter, running them, and the verdict.

- A case is sent only when the adapter declared its role, every one of its
  features, and a version in the case's range.  A case whose feature is not
  declared is ``unsupported``; a case for versions the adapter does not
  implement is left out (``not-applicable``), as is a role it does not declare.
- A skip file lists cases (id globs) with a reason.  Skipped cases are not
  run, unless skips are strict: then they run, and one that passes fails the
  run ("remove it from the skip file"); a request the adapter answers
  ``skipped`` fails too.
- Per role: ``failing`` when a core case fails or errs, ``partial`` when a core
  case was skipped or unsupported, ``conformant`` otherwise.
- Besides the cases, every run checks the protocol itself (``probes``): a failed
  protocol check makes the run ``failing``.
- Exit status: 0 conformant, 1 failing (or the adapter did not start), 3 partial
  (0 with ``accept_partial``).
"""

from __future__ import annotations

import fnmatch
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from envspec.conformance.cases import AnyCase, VersionRange
from envspec.conformance.evaluate import Outcome, run_case
from envspec.conformance.probes import CheckResult, Prober
from envspec.conformance.transport import AdapterError, Transport

__all__ = [
    "EXIT_FAILING",
    "EXIT_PARTIAL",
    "CaseResult",
    "Run",
    "RunOptions",
    "SkipEntry",
    "load_skip_file",
    "rerun_options",
    "run",
    "run_one",
]

Status = Literal["pass", "fail", "error", "skipped", "unsupported", "not-applicable"]
Verdict = Literal["conformant", "partial", "failing"]

#: Exit status of a failing run (and of an adapter that did not start).
EXIT_FAILING = 1
#: Exit status of a partial run (unless partial is accepted): distinct from 0 and 1, so
#: that a CI job notices that something was skipped or unsupported.
EXIT_PARTIAL = 3


@dataclass(frozen=True, slots=True)
class SkipEntry:
    """One line of a skip file: cases matching *id* (a glob) and why they are skipped."""

    id: str
    reason: str
    issue_url: str | None = None


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run: timeout per request (seconds), the skip list, strict skips (a skip
    that passes, and a request answered ``skipped``, fail), and whether a partial verdict
    exits with 0."""

    timeout: float = 10.0
    skips: tuple[SkipEntry, ...] = ()
    strict_skips: bool = False
    accept_partial: bool = False


@dataclass(slots=True)
class CaseResult:
    """What happened to one case."""

    case: AnyCase
    status: Status
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0
    version: str | None = None
    skip: SkipEntry | None = None
    stderr: str = ""
    #: Failed because of strict skips (whatever its level, it fails the run).
    strict: bool = False

    @property
    def counts(self) -> bool:
        """Whether the case belongs to the verdict (not-applicable cases do not)."""
        return self.status != "not-applicable"


@dataclass(slots=True)
class Run:
    """A whole run: the adapter's hello, every case result, and timing."""

    adapter: str
    hello: dict[str, Any] | None
    results: list[CaseResult]
    seconds: float
    started: str
    restarts: int = 0
    startup_error: str | None = None
    options: RunOptions = field(default_factory=RunOptions)
    #: Options a rerun command needs besides the adapter and the case (``--cases DIR``).
    rerun_args: tuple[str, ...] = ()
    #: The protocol checks, in the order of the spec (none when the adapter did not start).
    protocol: list[CheckResult] = field(default_factory=list)
    #: The adapter ran in the runner's interpreter: development only, no conformance claim.
    in_process: bool = False

    @property
    def claim(self) -> bool:
        """Whether the verdict may be published as a conformance claim: only a run of the
        adapter as a child process is (an in-process adapter can change the judge)."""
        return not self.in_process

    def protocol_verdict(self) -> Verdict:
        """``failing`` when a protocol check failed, else ``conformant``."""
        return "failing" if any(c.status == "fail" for c in self.protocol) else "conformant"

    def roles(self) -> list[str]:
        """The roles with at least one applicable case, in suite order."""
        from envspec.conformance.features import ROLES

        present = {r.case.role for r in self.results if r.counts}
        return [role for role in ROLES if role in present]

    def verdict(self, role: str | None = None) -> Verdict:
        """The verdict for *role*, or for the whole run (every role and the protocol)."""
        if role is None and (self.startup_error or self.protocol_verdict() == "failing"):
            return "failing"
        results = [r for r in self.results if r.counts and (role is None or r.case.role == role)]
        core = [r for r in results if r.case.level == "core"]
        if any(r.status == "error" for r in results) or any(r.status == "fail" for r in core):
            return "failing"
        if any(r.status == "fail" and r.strict for r in results):
            return "failing"  # strict skips: a skipped case passes, or the adapter skipped
        if not core or any(r.status in ("skipped", "unsupported") for r in core):
            return "partial"
        return "conformant"

    @property
    def exit_code(self) -> int:
        """0 conformant; 1 failing (or the adapter did not start); 3 partial, unless
        partial is accepted (then 0)."""
        verdict = self.verdict()
        if verdict == "failing":
            return EXIT_FAILING
        if verdict == "partial" and not self.options.accept_partial:
            return EXIT_PARTIAL
        return 0


def rerun_options(cases_dir: str | None, timeout: float) -> tuple[str, ...]:
    """What a rerun command repeats of a run's options: the cases folder, and a timeout
    other than the default (``Run.rerun_args``)."""
    options: list[str] = []
    if cases_dir:
        options += ["--cases", cases_dir]
    if timeout != RunOptions().timeout:
        options += ["--timeout", f"{timeout:g}"]
    return tuple(options)


def load_skip_file(path: str | Path) -> tuple[SkipEntry, ...]:
    """Read a skip file (YAML or JSON): ``skips: [{id, reason, issue_url?}]``."""
    from envspec._yaml import load_yaml

    text = Path(path).read_text("utf-8")
    data, problem = load_yaml(text)
    if problem is not None:
        raise ValueError(f"{path}:{problem.line}: {problem.message}")
    if not isinstance(data, dict) or not isinstance(data.get("skips"), list):
        raise ValueError(f"{path}: expected a mapping with a 'skips' list")
    entries = []
    for i, item in enumerate(data["skips"]):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValueError(f"{path}: skips[{i}] needs an 'id' (a case id or glob)")
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{path}: skips[{i}] ({item['id']}) needs a 'reason'")
        unknown = set(item) - {"id", "reason", "issue_url"}
        if unknown:
            raise ValueError(f"{path}: skips[{i}] has unknown keys {sorted(unknown)}")
        url = item.get("issue_url")
        entries.append(SkipEntry(item["id"], reason.strip(), url if isinstance(url, str) else None))
    return tuple(entries)


def _applicable(case: AnyCase, hello: dict[str, Any]) -> tuple[Status | None, str | None, str]:
    """``(status, version, why)``: a status when the case is not sent, else the version."""
    support = hello.get("roles", {}).get(case.role)
    if support is None:
        return "not-applicable", None, f"the adapter does not declare the {case.role} role"
    from envspec.versions import SUPPORTED

    # A version the suite does not know is never tested (protocol.declared-versions fails).
    declared = [v for v in support.get("versions", []) if v in SUPPORTED]
    versions = [v for v in declared if v in VersionRange(case.versions)]
    if not versions:
        return "not-applicable", None, f"no declared version is in {case.versions}"
    version = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    missing = sorted(set(case.features) - set(support.get("features", [])))
    if missing:
        return "unsupported", version, f"features not declared: {', '.join(missing)}"
    return None, version, ""


def run(
    cases: Sequence[AnyCase],
    transport: Transport,
    options: RunOptions | None = None,
    *,
    progress: Callable[[CaseResult, int, int], None] | None = None,
) -> Run:
    """Run *cases* against the adapter behind *transport*."""
    options = options or RunOptions()
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    clock = time.monotonic()
    results: list[CaseResult] = []
    try:
        hello = transport.start()
    except AdapterError as exc:
        results = [CaseResult(c, "error", [f"the adapter did not start: {exc}"]) for c in cases]
        for i, result in enumerate(results):
            if progress:
                progress(result, i + 1, len(results))
        return Run(
            transport.describe,
            None,
            results,
            time.monotonic() - clock,
            started,
            startup_error=str(exc),
            options=options,
            in_process=transport.in_process,
        )
    scratch = Path(tempfile.mkdtemp(prefix="envspec-conformance-"))
    prober = Prober(transport, hello, scratch / "protocol", options.timeout)
    try:
        prober.before_cases()
        for index, case in enumerate(cases):
            transport.label = case.id
            result = run_one(case, hello, transport, options, scratch / f"{index:05d}")
            if transport.hello is not None:
                hello = transport.hello
            results.append(result)
            if progress:
                progress(result, index + 1, len(cases))
        transport.label = ""
        checks = prober.after_cases()
    finally:
        transport.close()  # only if bye was not said (an exception)
        shutil.rmtree(scratch, ignore_errors=True)
    return Run(
        transport.describe,
        hello,
        results,
        time.monotonic() - clock,
        started,
        restarts=transport.restarts,
        options=options,
        protocol=checks,
        in_process=transport.in_process,
    )


def run_one(
    case: AnyCase, hello: dict[str, Any], transport: Transport, options: RunOptions, work: Path
) -> CaseResult:
    """Run one case against a started adapter (*hello* is its hello result); *work* is a
    folder that does not exist yet, for the case's files."""
    status, version, why = _applicable(case, hello)
    if status is not None:
        return CaseResult(case, status, [why], version=version)
    assert version is not None  # noqa: S101 (no status means applicable)
    skip = next((s for s in options.skips if fnmatch.fnmatchcase(case.id, s.id)), None)
    if skip is not None and not options.strict_skips:
        return CaseResult(case, "skipped", [skip.reason], version=version, skip=skip)
    work.mkdir(parents=True)
    start = time.monotonic()
    outcome: Outcome = run_case(
        case,
        lambda m: transport.request(m, options.timeout),
        version,
        work,
        support=hello.get("roles", {}).get(case.role),
        timeout=options.timeout,
    )
    seconds = time.monotonic() - start
    # Output that answers no request is the adapter's fault, not this case's: the transport
    # keeps it for the protocol.stray-output check.
    stderr = next((e.stderr for e in outcome.exchanges if e.stderr), "")
    result = CaseResult(case, outcome.status, outcome.details, seconds, version, skip, stderr)
    if skip is not None:
        if outcome.status == "pass":
            result.status = "fail"
            result.strict = True
            result.details = [
                f"listed in the skip file ({skip.reason}) but passes: remove it from the list"
            ]
        elif outcome.status != "error":
            result.status = "skipped"
            result.details = [skip.reason, *outcome.details]
    elif outcome.status == "skipped" and options.strict_skips:
        result.status = "fail"
        result.strict = True
        result.details = [
            *outcome.details,
            "with strict skips, a request the adapter answers skipped fails: fix the case, or "
            "list it in the skip file with the reason",
        ]
    return result
