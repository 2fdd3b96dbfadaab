"""Probing the protocol: the checks every run makes besides the cases.

The cases test what an implementation answers; these checks test how its
adapter speaks the protocol, with requests no case sends (``spec/conformance.md``,
section "Protocol checks").  They cost a few requests and one short-lived second
adapter process, which says hello for a protocol version that does not exist yet:

* ``protocol.declared-versions``: the hello declares only env_ver versions the suite
  knows;
* ``protocol.unknown-op``: a request with an unknown ``op`` is answered ``unsupported``;
* ``protocol.unknown-member``: a request of a declared role with members the adapter
  cannot know gets the answer it gets without them;
* ``protocol.pipelined``: requests sent together are all answered, in order;
* ``protocol.other-protocol``: a hello for another protocol version is answered
  ``unsupported``, and the adapter exits at the end of its input;
* ``protocol.stray-output``: nothing but answers on standard output, all run long;
* ``protocol.bye``: ``bye`` is answered, and the adapter exits by itself, silently.

A check fails only on what it proved; the cases already report a crash or a hang of
an operation, so a probe that cannot conclude (the request without unknown members
already errs) passes and says so in its details.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from envspec.conformance.protocol import PROTOCOL, PROTOCOL_CHECKS
from envspec.conformance.transport import Exchange, Transport

__all__ = ["UNKNOWN_MEMBER", "UNKNOWN_OP", "CheckResult", "Prober"]

CheckStatus = Literal["pass", "fail", "not-applicable"]

#: The ``op`` of the unknown-operation probe.
UNKNOWN_OP = "x-unknown-op"
#: The member added to a request by the unknown-member probe (at its top level, and in
#: ``file`` for ``validate``).
UNKNOWN_MEMBER = "x-unknown-member"
_NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
_OUTCOMES = ("result", "unsupported", "skipped", "errored")


@dataclass(slots=True)
class CheckResult:
    """The outcome of one protocol check."""

    id: str
    status: CheckStatus
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def description(self) -> str:
        return PROTOCOL_CHECKS[self.id]


def _outcome(exchange: Exchange) -> str:
    if exchange.error is not None:
        return f"no usable answer ({exchange.error})"
    answer = exchange.answer or {}
    kind = next((k for k in _OUTCOMES if answer.get(k) is not None), "nothing")
    if kind in ("unsupported", "skipped"):
        return f"{kind} ({answer[kind].get('reason', '')})"
    if kind == "errored":
        return f"errored ({answer[kind].get('message', '')})"
    return kind


def _comparable(exchange: Exchange) -> object:
    """What must not change when unknown members are added: the outcome, and a result
    without the free-text messages of its diagnostics."""
    answer = exchange.answer or {}
    result = answer.get("result")
    if not isinstance(result, dict):
        return next((k for k in _OUTCOMES if answer.get(k) is not None), None)
    items = result.get("diagnostics")
    if isinstance(items, list):
        items = [
            {k: v for k, v in d.items() if k != "message"} if isinstance(d, dict) else d
            for d in items
        ]
        result = {**result, "diagnostics": items}
    return result


class Prober:
    """Runs the protocol checks of one run: :meth:`before_cases` right after hello,
    :meth:`after_cases` at the end (it says bye)."""

    def __init__(
        self, transport: Transport, hello: dict[str, Any], scratch: Path, timeout: float
    ) -> None:
        self.transport = transport
        self.hello = hello
        self.scratch = scratch
        self.timeout = timeout
        self.results: dict[str, CheckResult] = {}
        self._folders = 0
        self._other: threading.Thread | None = None

    # ------------------------------------------------------------------- the checks

    def before_cases(self) -> None:
        self._check("protocol.declared-versions", self._declared_versions)
        if self.transport.in_process:
            # In-process, a second adapter object shares this thread of work: one at a time.
            self._check("protocol.other-protocol", self._other_protocol)
        else:
            # A second adapter process, with a connection of its own: in parallel.
            self._other = threading.Thread(
                target=self._check,
                args=("protocol.other-protocol", self._other_protocol, False),
            )
            self._other.start()
        self._check("protocol.unknown-op", self._unknown_op)
        self._check("protocol.unknown-member", self._unknown_member)
        self._check("protocol.pipelined", self._pipelined)

    def after_cases(self) -> list[CheckResult]:
        """Say bye, and return every check's result, in the order of the spec."""
        self._check("protocol.bye", self._bye)
        self._check("protocol.stray-output", self._stray_output)
        if self._other is not None:
            self._other.join()
        return [self.results[i] for i in PROTOCOL_CHECKS if i in self.results]

    def _check(self, check: str, probe: Callable[[], CheckResult], label: bool = True) -> None:
        start = time.monotonic()
        before = self.transport.label
        if label:
            self.transport.label = check
        try:
            result = probe()
        finally:
            if label:
                self.transport.label = before
        result.seconds = time.monotonic() - start
        self.results[check] = result

    def _declared_versions(self) -> CheckResult:
        from envspec.conformance.features import ROLES
        from envspec.versions import SUPPORTED

        details = []
        for role, support in self.hello.get("roles", {}).items():
            if role not in ROLES:
                continue  # roles the runner does not know are ignored
            for version in support.get("versions", []):
                if version not in SUPPORTED:
                    details.append(
                        f"the {role} role declares env_ver {version}, which this suite does not "
                        f"know (it knows {', '.join(SUPPORTED)}): declare only versions the "
                        "suite can test, or run a suite that knows it"
                    )
        check = "protocol.declared-versions"
        return CheckResult(check, "fail", details) if details else CheckResult(check, "pass")

    def _unknown_op(self) -> CheckResult:
        (exchange,) = self.transport.pipeline(
            [{"op": UNKNOWN_OP}], self.timeout, check_requests=False
        )
        answer = exchange.answer or {}
        check = "protocol.unknown-op"
        if exchange.error is None and isinstance(answer.get("unsupported"), dict):
            return CheckResult(check, "pass")
        return CheckResult(
            check,
            "fail",
            [
                f"a request with the unknown op {UNKNOWN_OP!r} got {_outcome(exchange)}: an "
                "adapter answers an op it does not know with unsupported (and its seq)"
            ],
        )

    def _role_request(self) -> dict[str, Any] | None:
        """A cheap request of the first declared role the suite knows, or ``None``."""
        from envspec.conformance.features import ROLES
        from envspec.versions import SUPPORTED

        roles = self.hello.get("roles", {})
        for role in ROLES:
            support = roles.get(role)
            known = [v for v in (support or {}).get("versions", []) if v in SUPPORTED]
            if not known:
                continue
            version = max(known, key=lambda v: tuple(int(p) for p in v.split(".")))
            if role == "validator":
                return {"op": "validate", "file": {"name": "probe.ipynb", "text": _NOTEBOOK}}
            if role == "migrator":
                return {"op": "migrate", "document": {"env_ver": version}, "to": version}
            if role == "launcher":
                return {"op": "plan", "environment": {"env_ver": version}}
            if role == "spawner":
                payload = {
                    "payload_ver": version,
                    "name": "probe",
                    "image": {"type": "docker", "registry": "docker.io", "repository": "a/b"},
                    "tags": {"policy": "semver"},
                }
                return {"op": "menu", "payload": payload, "tags": "1.0.0\n"}
            if role == "cloud":
                return {"op": "tokens"}
            self._folders += 1
            folder = self.scratch / f"probe-{self._folders}"
            folder.mkdir(parents=True)
            environment: dict[str, Any] = {"env_ver": version}
            if version != "0.1":
                environment["files"] = {}
            return {"op": "unpack", "environment": environment, "folder": str(folder)}
        return None

    def _unknown_member(self) -> CheckResult:
        check = "protocol.unknown-member"
        plain = self._role_request()
        extended = self._role_request()
        if plain is None or extended is None:
            return CheckResult(check, "not-applicable", ["no role the suite knows is declared"])
        extended[UNKNOWN_MEMBER] = {"from": "a later minor version of the protocol"}
        if isinstance(extended.get("file"), dict):
            extended["file"] = {**extended["file"], UNKNOWN_MEMBER: True}
        (without,) = self.transport.pipeline([plain], self.timeout)
        (with_,) = self.transport.pipeline([extended], self.timeout, check_requests=False)
        op = plain["op"]
        if without.error is not None:
            return CheckResult(
                check,
                "pass",
                [f"inconclusive: the {op} request without unknown members got {_outcome(without)}"],
            )
        if with_.error is None and _comparable(with_) == _comparable(without):
            return CheckResult(check, "pass")
        if with_.error is None and _outcome(with_) == _outcome(without) == "result":
            got = f"another result: {json.dumps(with_.answer, ensure_ascii=False)[:300]}"
        else:
            got = _outcome(with_)
        return CheckResult(
            check,
            "fail",
            [
                f"the {op} request with the unknown member {UNKNOWN_MEMBER!r} got {got}; "
                f"without it: {_outcome(without)}: an adapter ignores request members it does "
                "not know"
            ],
        )

    def _pipelined(self) -> CheckResult:
        check = "protocol.pipelined"
        requests = [self._role_request() for _ in range(3)]
        if any(r is None for r in requests):
            return CheckResult(check, "not-applicable", ["no role the suite knows is declared"])
        exchanges = self.transport.pipeline([r for r in requests if r is not None], self.timeout)
        broken = [e for e in exchanges if e.error is not None]
        if not broken:
            return CheckResult(check, "pass")
        first = broken[0]
        return CheckResult(
            check,
            "fail",
            [
                f"{len(requests)} requests (seq {exchanges[0].request['seq']} to "
                f"{exchanges[-1].request['seq']}) sent together, before any answer: "
                f"seq {first.request['seq']}: {first.error}",
            ],
        )

    def _other_protocol(self) -> CheckResult:
        check = "protocol.other-protocol"
        problems = self.transport.probe_protocol(PROTOCOL + 1, self.timeout)
        if problems:
            return CheckResult(check, "fail", problems)
        return CheckResult(check, "pass")

    def _stray_output(self) -> CheckResult:
        check = "protocol.stray-output"
        transport = self.transport
        if transport.in_process:
            return CheckResult(
                check, "not-applicable", ["an in-process adapter has no output of its own"]
            )
        if not transport.stray:
            return CheckResult(check, "pass")

        def where(seq: int) -> str:
            label = transport.labels.get(seq)
            return f"seq {seq} ({label})" if label else f"seq {seq}"

        details = [
            f"{len(transport.stray)} line(s) of standard output answer no request (logs belong "
            "on standard error)"
        ]
        for stray in transport.stray[:5]:
            if stray.after is None:
                after = "before any answer"
            else:
                after = f"after the answer to {where(stray.after)}"
            if stray.awaited is not None:
                after += f", while waiting for {where(stray.awaited)}"
            details.append(f"{stray.text!r}: {after}")
        return CheckResult(check, "fail", details)

    def _bye(self) -> CheckResult:
        problems = self.transport.bye(self.timeout)
        if problems:
            return CheckResult("protocol.bye", "fail", problems)
        return CheckResult("protocol.bye", "pass")
