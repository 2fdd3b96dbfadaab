"""Run the conformance suite as pytest tests: one test per case.

Load it explicitly (it is not registered automatically, so it never changes
anybody else's test runs)::

    pytest -p envspec.conformance.pytest_plugin --envspec-adapter "node adapter.js"
    pytest -p envspec.conformance.pytest_plugin \\
        --envspec-adapter python:mypkg.envspec_adapter:Adapter --envspec-role validator

Each case becomes a test named after its id (so ``-k`` selects cases); cases
that are skipped, unsupported or not applicable are reported as skipped; a
failure shows the case's details and the command that reruns it.  Each protocol
check (``protocol.unknown-op``, ...) is a test too, after the cases: the first one
runs them all, and says bye to the adapter. The options
mirror ``envspec conformance run``: selection (role, feature, level, ids), a
skip file (strict or not), message checking (``-V``), timeouts, a cases folder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from envspec.conformance.cases import AnyCase, CaseFileError, Selection, load_cases
from envspec.conformance.probes import CheckResult, Prober
from envspec.conformance.protocol import PROTOCOL_CHECKS
from envspec.conformance.runner import (
    CaseResult,
    RunOptions,
    SkipEntry,
    load_skip_file,
    rerun_options,
    run_one,
)
from envspec.conformance.transport import AdapterError, Transport, connect

__all__ = ["CaseItem", "ProtocolItem"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("envspec-conformance", "envspec conformance suite")
    group.addoption(
        "--envspec-adapter",
        metavar="CMD",
        help="run the conformance cases against this adapter (a command line, or "
        "python:module:attr)",
    )
    group.addoption("--envspec-role", action="append", help="only the cases of this role")
    group.addoption(
        "--envspec-feature", action="append", metavar="FEATURE", help="only cases of this feature"
    )
    group.addoption(
        "--envspec-level", action="append", choices=("core", "extended"), help="only this level"
    )
    group.addoption("--envspec-id", action="append", metavar="GLOB", help="only these cases")
    group.addoption(
        "--envspec-exclude-id", action="append", metavar="GLOB", help="leave these cases out"
    )
    group.addoption(
        "--envspec-skip-file",
        metavar="FILE",
        help="cases not to run, each with a reason (YAML or JSON: skips: [{id, reason}])",
    )
    group.addoption(
        "--envspec-strict-skips",
        action="store_true",
        help="run the cases of the skip file too: one that passes fails",
    )
    group.addoption(
        "--envspec-check-messages",
        action="store_true",
        help="check every message both ways against the protocol schemas (like -V)",
    )
    group.addoption("--envspec-cases", metavar="DIR", help="a cases folder (default: the bundled)")
    group.addoption(
        "--envspec-timeout", type=float, default=10.0, help="seconds per answer (default: 10)"
    )
    group.addoption(
        "--envspec-startup-timeout",
        type=float,
        default=30.0,
        help="seconds for the adapter to say hello (default: 30)",
    )


class _Connection:
    """One adapter shared by every case of the session, started on first use."""

    def __init__(
        self, adapter: str, options: RunOptions, *, check_messages: bool, startup_timeout: float
    ) -> None:
        self.adapter = adapter
        self.options = options
        self.check_messages = check_messages
        self.startup_timeout = startup_timeout
        self.transport: Transport | None = None
        self.hello: dict[str, Any] | None = None
        self.error: str | None = None
        self.scratch = Path(tempfile.mkdtemp(prefix="envspec-conformance-"))
        self.count = 0
        self.rerun_args: tuple[str, ...] = ()
        self.started = False
        self.checks: dict[str, CheckResult] | None = None

    def _start(self) -> None:
        if not self.started:
            self.started = True  # one attempt: a failed start is every case's error
            try:
                self.transport = connect(
                    self.adapter,
                    check_messages=self.check_messages,
                    startup_timeout=self.startup_timeout,
                )
                self.hello = self.transport.start()
            except AdapterError as exc:
                self.error = str(exc)

    def check(self, check: str) -> CheckResult:
        """The result of one protocol check (the first call makes them all, and says bye)."""
        self._start()
        if self.error is not None or self.hello is None or self.transport is None:
            return CheckResult(check, "fail", [f"the adapter did not start: {self.error}"])
        if self.checks is None:
            prober = Prober(
                self.transport, self.hello, self.scratch / "protocol", self.options.timeout
            )
            prober.before_cases()
            self.checks = {c.id: c for c in prober.after_cases()}
        return self.checks[check]

    def run(self, case: AnyCase) -> CaseResult:
        self._start()
        if self.error is not None or self.hello is None or self.transport is None:
            return CaseResult(case, "error", [f"the adapter did not start: {self.error}"])
        self.count += 1
        result = run_one(
            case, self.hello, self.transport, self.options, self.scratch / f"{self.count:05d}"
        )
        if self.transport.hello is not None:
            self.hello = self.transport.hello
        return result

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class CaseFailed(Exception):
    """A case that failed or erred (the item shows its details)."""


class CaseItem(pytest.Item):
    """One conformance case as a pytest test."""

    def __init__(self, *, case: AnyCase, connection: _Connection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.connection = connection
        self.add_marker(pytest.mark.envspec_conformance)

    def runtest(self) -> None:
        result = self.connection.run(self.case)
        if result.status == "pass":
            return
        if result.status in ("skipped", "unsupported", "not-applicable"):
            pytest.skip(f"{result.status}: {'; '.join(result.details)}")
        from envspec.conformance.reports import rerun_command
        from envspec.conformance.runner import Run

        run = Run(self.connection.adapter, self.connection.hello, [result], 0.0, "")
        run.rerun_args = self.connection.rerun_args
        lines = [f"{result.status}: {self.case.description} ({self.case.level}, {self.case.spec})"]
        lines += [f"  {d}" for d in result.details]
        if result.stderr:
            lines.append(f"adapter stderr:\n{result.stderr}")
        lines.append(f"rerun: {rerun_command(run, self.case.id)}")
        raise CaseFailed("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return f"envspec-conformance/{self.case.role}", None, self.case.id


class ProtocolItem(pytest.Item):
    """One protocol check as a pytest test."""

    def __init__(self, *, check: str, connection: _Connection, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.connection = connection
        self.add_marker(pytest.mark.envspec_conformance)

    def runtest(self) -> None:
        result = self.connection.check(self.check)
        if result.status == "pass":
            return
        if result.status == "not-applicable":
            pytest.skip(f"not-applicable: {'; '.join(result.details)}")
        lines = [f"fail: {result.description} (spec/conformance.md#protocol-checks)"]
        lines += [f"  {d}" for d in result.details]
        raise CaseFailed("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "envspec-conformance/protocol", None, self.check


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "envspec_conformance: a case of the envspec suite")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    adapter = config.getoption("envspec_adapter")
    if not adapter:
        return
    timeout = config.getoption("envspec_timeout")
    startup_timeout = config.getoption("envspec_startup_timeout")
    if timeout <= 0 or startup_timeout <= 0:
        raise pytest.UsageError("--envspec-timeout and --envspec-startup-timeout must be positive")
    skips: tuple[SkipEntry, ...] = ()
    skip_file = config.getoption("envspec_skip_file")
    if skip_file:
        try:
            skips = load_skip_file(skip_file)
        except (OSError, ValueError) as exc:
            raise pytest.UsageError(f"--envspec-skip-file: {exc}") from None
    cases_dir = config.getoption("envspec_cases")
    try:
        cases = load_cases(Path(cases_dir) if cases_dir else None)
    except CaseFileError as exc:
        raise pytest.UsageError(f"--envspec-cases: {exc}") from None
    options = RunOptions(
        timeout=timeout, skips=skips, strict_skips=config.getoption("envspec_strict_skips")
    )
    connection = _Connection(
        adapter,
        options,
        check_messages=config.getoption("envspec_check_messages"),
        startup_timeout=startup_timeout,
    )
    connection.rerun_args = rerun_options(cases_dir, timeout)
    config.add_cleanup(connection.close)
    selection = Selection(
        roles=tuple(config.getoption("envspec_role") or ()),
        features=tuple(config.getoption("envspec_feature") or ()),
        levels=tuple(config.getoption("envspec_level") or ()),
        ids=tuple(config.getoption("envspec_id") or ()),
        exclude_ids=tuple(config.getoption("envspec_exclude_id") or ()),
    )
    for case in selection.apply(cases):
        items.append(CaseItem.from_parent(session, name=case.id, case=case, connection=connection))
    for check in PROTOCOL_CHECKS:
        items.append(
            ProtocolItem.from_parent(session, name=check, check=check, connection=connection)
        )
