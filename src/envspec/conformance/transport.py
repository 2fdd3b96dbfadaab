"""Talking to adapters: a child process over NDJSON, or a Python object in-process.

Both transports do the same things: say hello (again after a restart), send
requests (one, or several pipelined) and wait for their answers with a timeout,
say bye, and turn everything that can go wrong (a crash, a hang, an answer with
another ``seq``, answers out of order) into an :class:`Exchange` with an
``error``, never into an exception.  A broken adapter is restarted before the
next request.

A line of the adapter's standard output that is not an answer (not JSON, a JSON
value that is not an answer, an answer written twice) is *stray output*: it is
kept in :attr:`Transport.stray`, with where it came in the stream, and the
transport reads on.  It is a fault of the adapter, reported by the runner's
``protocol.stray-output`` check, never of the case that happened to be running.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from envspec.conformance.protocol import PROTOCOL

__all__ = [
    "AdapterError",
    "Exchange",
    "PythonTransport",
    "StdioTransport",
    "Stray",
    "Transport",
    "connect",
]

#: Longest answer line accepted (a document with large embedded files fits easily).
MAX_LINE = 64 * 1024 * 1024
#: After this many failed starts in a row the adapter is given up.
MAX_FAILED_STARTS = 3
#: How long an adapter has to exit after answering ``bye`` (or after the end of its input).
EXIT_GRACE = 2.0
_OUTCOMES = ("result", "unsupported", "skipped", "errored")


class AdapterError(RuntimeError):
    """The adapter could not be started or did not answer ``hello`` properly."""


@dataclass(slots=True)
class Exchange:
    """One request and what came back."""

    request: dict[str, Any]
    answer: dict[str, Any] | None = None
    #: Why there is no usable answer (timeout, crash, not JSON, wrong seq, protocol).
    error: str | None = None
    #: The adapter's last lines of standard error, when it failed.
    stderr: str = ""
    seconds: float = 0.0
    protocol_problems: list[str] = field(default_factory=list)
    #: Whether ``-V`` checks the request too (probes break the request models on purpose).
    check_request: bool = True


@dataclass(frozen=True, slots=True)
class Stray:
    """A line of the adapter's standard output that answers no request."""

    #: The line (at most 200 characters), decoded for people.
    text: str
    #: The ``seq`` of the last answer read before it (``None``: it came first).
    after: int | None
    #: The ``seq`` the runner was waiting for when it was read (``None``: none).
    awaited: int | None


class Transport:
    """What the runner needs from an adapter connection."""

    #: The ``hello`` result of the current (or last) adapter process.
    hello: dict[str, Any] | None = None
    restarts: int = 0
    #: Whether the adapter shares this interpreter (its answers are no conformance claim).
    in_process: bool = False

    def __init__(self, *, check_messages: bool = False, startup_timeout: float = 30.0) -> None:
        self.check_messages = check_messages
        self.startup_timeout = startup_timeout
        self._seq = 0
        self._failed_starts = 0
        self.describe = ""
        #: What the requests sent now are for (a case id, a check id); see :attr:`labels`.
        self.label = ""
        #: The label of every request sent, by ``seq``.
        self.labels: dict[int, str] = {}
        #: Every line of standard output that answered no request, in order.
        self.stray: list[Stray] = []
        self._answered: set[int] = set()
        self._last_answered: int | None = None

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # The primitives a transport implements.
    def _start(self) -> None:
        raise NotImplementedError

    def _exchange_many(
        self, messages: list[dict[str, Any]], timeout: float, *, check_requests: bool = True
    ) -> list[Exchange]:
        """Send *messages* without waiting in between, then read their answers in order."""
        raise NotImplementedError

    def _stop(self, *, kill: bool) -> None:
        raise NotImplementedError

    def _sibling(self) -> Transport:
        """A second, independent connection to the same adapter (for probes)."""
        raise NotImplementedError

    def _after_input(self, grace: float) -> list[str]:
        """End the adapter's input and wait for it to exit; what it did wrong meanwhile."""
        return []

    def _await_exit(self, grace: float) -> list[str]:
        """After ``bye`` was answered: wait for the adapter to exit on its own."""
        return []

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def _exchange(self, message: dict[str, Any], timeout: float) -> Exchange:
        return self._exchange_many([message], timeout)[0]

    def _send(self, message: dict[str, Any]) -> dict[str, Any]:
        message = {**message, "seq": self.next_seq()}
        self.labels[message["seq"]] = self.label
        return message

    def start(self) -> dict[str, Any]:
        """Start the adapter and say hello; returns the hello result."""
        if self._failed_starts >= MAX_FAILED_STARTS:
            raise AdapterError(
                f"the adapter failed to start {self._failed_starts} times in a row; given up"
            )
        try:
            self._start()
            from envspec.conformance.cases import suite_version

            label, self.label = self.label, "hello"
            hello = self._send({"op": "hello", "protocol": PROTOCOL, "suite": suite_version()})
            self.label = label
            exchange = self._exchange(hello, self.startup_timeout)
            if exchange.error is not None:
                # With message checking an answer can arrive and still break the protocol.
                what = "bad answer" if exchange.protocol_problems else "no answer"
                raise AdapterError(f"{what} to hello: {exchange.error}{_tail(exchange)}")
            assert exchange.answer is not None  # noqa: S101 (no error means an answer)
            result = exchange.answer.get("result")
            from envspec.conformance.messages import hello_problems

            problems = hello_problems(exchange.answer)
            if problems or not isinstance(result, dict):
                raise AdapterError("bad answer to hello: " + "; ".join(problems))
        except AdapterError:
            self._failed_starts += 1
            self._stop(kill=True)
            raise
        self._failed_starts = 0
        if self.hello is not None:
            self.restarts += 1
        self.hello = result
        return result

    def request(
        self, message: dict[str, Any], timeout: float, *, check_request: bool = True
    ) -> Exchange:
        """Send *message* (its ``seq`` is set here) and wait for the answer.  Probes send
        requests that break the request models on purpose (*check_request* false)."""
        return self.pipeline([message], timeout, check_requests=check_request)[0]

    def pipeline(
        self, messages: list[dict[str, Any]], timeout: float, *, check_requests: bool = True
    ) -> list[Exchange]:
        """Send every message at once, then wait for each answer (*timeout* for each);
        the answers must come in the order of the requests."""
        if not self.alive:
            try:
                self.start()
            except AdapterError as exc:
                sent = [self._send(m) for m in messages]
                return [Exchange(m, error=f"adapter restart failed: {exc}") for m in sent]
        sent = [self._send(m) for m in messages]
        exchanges = self._exchange_many(sent, timeout, check_requests=check_requests)
        if any(e.error is not None for e in exchanges):
            self._stop(kill=True)
        return exchanges

    def bye(self, timeout: float) -> list[str]:
        """Say bye (starting the adapter again if it is not running) and stop it: what the
        adapter did wrong (``[]``: it answered bye, wrote nothing after, and exited)."""
        label, self.label = self.label, "bye"
        try:
            if not self.alive:
                try:
                    self.start()
                except AdapterError as exc:
                    return [f"the adapter could not be started again to say bye: {exc}"]
            exchange = self._exchange(self._send({"op": "bye"}), timeout)
        finally:
            self.label = label
        problems: list[str] = []
        if exchange.error is not None:
            problems.append(f"bye: {exchange.error}")
            self._stop(kill=True)
            return problems
        answer = exchange.answer or {}
        if not isinstance(answer.get("result"), dict):
            kind = next((k for k in _OUTCOMES if answer.get(k) is not None), "nothing")
            problems.append(f"bye must be answered with a result ({{}}), not {kind}")
        problems += self._await_exit(EXIT_GRACE)
        self._stop(kill=False)
        return problems

    def probe_protocol(self, protocol: int, timeout: float) -> list[str]:
        """Say hello for *protocol* (a version the adapter cannot speak) on a connection of
        its own: what the adapter did wrong (``[]``: it answered ``unsupported`` and, once
        its input ended, exited without writing anything else)."""
        from envspec.conformance.cases import suite_version

        other = self._sibling()
        try:
            other._start()
        except AdapterError as exc:
            return [f"a second adapter could not be started: {exc}"]
        try:
            hello = {"op": "hello", "seq": 1, "protocol": protocol, "suite": suite_version()}
            exchange = other._exchange_many([hello], timeout, check_requests=False)[0]
            problems = [f"it wrote a line that is not an answer: {s.text!r}" for s in other.stray]
            if exchange.error is not None:
                return [f"hello for protocol {protocol}: {exchange.error}", *problems]
            answer = exchange.answer or {}
            kind = next((k for k in _OUTCOMES if answer.get(k) is not None), "nothing")
            if kind != "unsupported":
                problems.insert(
                    0,
                    f"a hello for protocol {protocol} was answered with {kind}, not unsupported",
                )
            return problems + other._after_input(EXIT_GRACE)
        finally:
            other._stop(kill=True)

    def close(self) -> None:
        """Say bye and stop the adapter, whatever it answers."""
        if self.alive:
            self._exchange(self._send({"op": "bye"}), EXIT_GRACE)
        self._stop(kill=False)

    # Reading answers ------------------------------------------------------------------

    def _is_stray(self, line: bytes) -> dict[str, Any] | None:
        """The answer on *line*, or ``None`` after keeping *line* as stray output: it is not
        JSON, not an answer (no outcome member), or an answer to a request already answered."""
        try:
            answer = json.loads(line)
        except (ValueError, RecursionError):
            answer = None
        seq = answer.get("seq") if isinstance(answer, dict) else None
        if (
            isinstance(answer, dict)
            and any(k in answer for k in _OUTCOMES)
            and not (isinstance(seq, int) and seq in self._answered)
        ):
            return answer
        return None

    def _keep_stray(self, line: bytes, awaited: int | None) -> None:
        text = line[:200].decode("utf-8", "backslashreplace").rstrip()
        self.stray.append(Stray(text, self._last_answered, awaited))

    def _take(self, exchanges: list[Exchange], answer: dict[str, Any]) -> bool:
        """Match *answer* with the first exchange still waiting; ``False`` when it breaks the
        protocol (then every waiting exchange has an error)."""
        waiting = [e for e in exchanges if e.answer is None and e.error is None]
        first = waiting[0]
        seq = answer.get("seq")
        if seq == first.request["seq"]:
            self._answered.add(seq)
            self._last_answered = seq
            _check_answer(first, answer, self.check_messages)
            return True
        later = [e.request["seq"] for e in waiting[1:]]
        if seq in later:
            first.error = (
                f"the answer to seq {seq} came before the answer to seq {first.request['seq']}: "
                "answers must come in the order of the requests"
            )
        else:
            first.error = f"the answer's seq is {seq!r}, the request's was {first.request['seq']}"
        for other in waiting[1:]:
            other.error = f"not read: the answer to seq {first.request['seq']} broke the protocol"
        return False


def _tail(exchange: Exchange) -> str:
    return f"\n--- adapter stderr (last lines) ---\n{exchange.stderr}" if exchange.stderr else ""


def _check_answer(exchange: Exchange, answer: dict[str, Any], check: bool) -> None:
    from envspec.conformance.messages import answer_problems, request_problems

    message = exchange.request
    exchange.answer = answer
    problems = answer_problems(str(message["op"]), answer, strict=check)
    if check and exchange.check_request:
        problems = [f"request: {p}" for p in request_problems(message)] + problems
    exchange.protocol_problems = problems
    if problems:
        exchange.error = "protocol violation: " + "; ".join(problems)


class StdioTransport(Transport):
    """An adapter run as a child process, one JSON message per line."""

    def __init__(
        self,
        command: str | list[str],
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        check_messages: bool = False,
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(check_messages=check_messages, startup_timeout=startup_timeout)
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise AdapterError("the adapter command is empty")
        self.describe = command if isinstance(command, str) else shlex.join(command)
        self.cwd = cwd
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=40)
        self._stderr_reader: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _sibling(self) -> Transport:
        return StdioTransport(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            check_messages=self.check_messages,
            startup_timeout=self.startup_timeout,
        )

    def _start(self) -> None:
        self._lines = queue.Queue()
        self._stderr = deque(maxlen=40)
        try:
            self._proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,  # so a hung adapter and its children can be killed
            )
        except OSError as exc:
            raise AdapterError(f"cannot run {self.argv[0]!r}: {exc.strerror or exc}") from None
        proc = self._proc
        threading.Thread(target=self._read_stdout, args=(proc, self._lines), daemon=True).start()
        self._stderr_reader = threading.Thread(
            target=self._read_stderr, args=(proc, self._stderr), daemon=True
        )
        self._stderr_reader.start()

    @staticmethod
    def _read_stdout(proc: subprocess.Popen[bytes], lines: queue.Queue[bytes | None]) -> None:
        assert proc.stdout is not None  # noqa: S101 (stdout=PIPE)
        try:
            while True:
                line = proc.stdout.readline(MAX_LINE)
                if not line:
                    break
                lines.put(line)
        except (OSError, ValueError):
            pass
        lines.put(None)

    @staticmethod
    def _read_stderr(proc: subprocess.Popen[bytes], tail: deque[str]) -> None:
        assert proc.stderr is not None  # noqa: S101 (stderr=PIPE)
        try:
            for raw in proc.stderr:
                tail.append(raw.decode("utf-8", "backslashreplace").rstrip("\n"))
        except (OSError, ValueError):
            pass

    def _exchange_many(
        self, messages: list[dict[str, Any]], timeout: float, *, check_requests: bool = True
    ) -> list[Exchange]:
        exchanges = [Exchange(m, check_request=check_requests) for m in messages]
        proc = self._proc
        start = time.monotonic()
        if proc is None or proc.stdin is None:
            for exchange in exchanges:
                exchange.error = "the adapter is not running"
            return exchanges
        payload = b"".join(
            json.dumps(m, ensure_ascii=False).encode("utf-8") + b"\n" for m in messages
        )
        try:
            proc.stdin.write(payload)  # one write: pipelined requests arrive together
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            note = self._death_note(proc, "stopped reading its input")
            for exchange in exchanges:
                exchange.error = note
                exchange.stderr = self._last_stderr(proc)
            return exchanges
        deadline = start + timeout
        while True:
            waiting = [e for e in exchanges if e.answer is None and e.error is None]
            if not waiting:
                break
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                first = waiting[0]
                first.error = f"no answer within {timeout:g} s (the adapter hangs)"
                if len(exchanges) > 1:
                    first.error += (
                        f"; {len(exchanges) - len(waiting)} of {len(exchanges)} pipelined "
                        "requests were answered"
                    )
                first.stderr = "\n".join(self._stderr)
                for other in waiting[1:]:
                    other.error = f"no answer within {timeout:g} s"
                break
            if line is None:
                note = self._death_note(proc, "exited")
                for exchange in waiting:
                    exchange.error = note
                    exchange.stderr = self._last_stderr(proc)
                break
            answer = self._is_stray(line)
            if answer is None:
                self._keep_stray(line, waiting[0].request["seq"])
                continue
            ok = self._take(exchanges, answer)
            deadline = time.monotonic() + timeout  # each answer gets the whole timeout
            if not ok:
                break
        seconds = time.monotonic() - start
        for exchange in exchanges:
            exchange.seconds = seconds
            if exchange.error is not None and not exchange.stderr:
                time.sleep(0.01)  # let the stderr reader catch up with a traceback
                exchange.stderr = "\n".join(self._stderr)
        return exchanges

    def _drain(self, grace: float) -> tuple[list[str], bool]:
        """Lines written until the end of the adapter's output, and whether it came within
        *grace* seconds (the process exited, or at least closed its output)."""
        lines: list[str] = []
        deadline = time.monotonic() + grace
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                # The adapter may have exited while a process it started holds its output.
                proc = self._proc
                return lines, proc is not None and proc.poll() is not None
            if line is None:
                proc = self._proc
                if proc is not None:
                    try:
                        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                    except subprocess.TimeoutExpired:
                        return lines, False
                return lines, True
            lines.append(line[:200].decode("utf-8", "backslashreplace").rstrip())

    def _await_exit(self, grace: float) -> list[str]:
        lines, exited = self._drain(grace)
        problems = [f"it wrote after answering bye: {line!r}" for line in lines]
        if not exited:
            problems.append(
                f"it did not exit within {grace:g} s of answering bye (an adapter exits after "
                "bye, without waiting for the end of its input)"
            )
        return problems

    def _after_input(self, grace: float) -> list[str]:
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        lines, exited = self._drain(grace)
        problems = [f"it wrote after its answer: {line!r}" for line in lines]
        if not exited:
            problems.append(f"it did not exit within {grace:g} s of the end of its input")
        return problems

    def _last_stderr(self, proc: subprocess.Popen[bytes]) -> str:
        # The process has (most likely) exited: let the reader drain what it wrote last,
        # usually the reason it died (the pipe closes at exit, unless a child holds it).
        reader = self._stderr_reader
        if reader is not None and proc.poll() is not None:
            reader.join(timeout=1.0)
        return "\n".join(self._stderr)

    @staticmethod
    def _death_note(proc: subprocess.Popen[bytes], what: str) -> str:
        try:
            code = proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return f"the adapter {what} (the process is still running)"
        return f"the adapter {what} (exit status {code}) before answering"

    def _stop(self, *, kill: bool) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if not kill:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=EXIT_GRACE)
            except (OSError, subprocess.TimeoutExpired):
                kill = True
        if kill and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


class PythonTransport(Transport):
    """An adapter object in this process: ``handle(message: dict) -> dict``.

    *spec* is ``module:attribute``; the attribute is an object with a ``handle``
    method, or a class or factory that makes one (a fresh one after each failure).
    """

    def __init__(
        self,
        spec: str | Callable[[], Any],
        *,
        check_messages: bool = False,
        startup_timeout: float = 30.0,
    ) -> None:
        super().__init__(check_messages=check_messages, startup_timeout=startup_timeout)
        self.spec = spec
        self.describe = spec if isinstance(spec, str) else repr(spec)
        self._adapter: Any = None

    in_process = True

    @property
    def alive(self) -> bool:
        return self._adapter is not None

    def _start(self) -> None:
        factory = self.spec
        if isinstance(factory, str):
            import importlib

            module, _, attribute = factory.partition(":")
            try:
                target: Any = importlib.import_module(module)
                for part in attribute.split(".") if attribute else []:
                    target = getattr(target, part)
            except (ImportError, AttributeError) as exc:
                raise AdapterError(f"cannot load {factory!r}: {exc}") from None
            factory = target
        if isinstance(factory, type) or (callable(factory) and not hasattr(factory, "handle")):
            try:
                adapter = factory()
            except Exception as exc:  # noqa: BLE001 (any failure to build it is reported)
                raise AdapterError(f"cannot create the adapter: {exc!r}") from None
        else:
            adapter = factory
        if not callable(getattr(adapter, "handle", None)):
            raise AdapterError(f"{self.describe!r} has no handle(message) method")
        self._adapter = adapter

    def _sibling(self) -> Transport:
        # A class or a factory makes a new object; an object given directly is reused.
        return PythonTransport(
            self.spec, check_messages=self.check_messages, startup_timeout=self.startup_timeout
        )

    def _exchange_many(
        self, messages: list[dict[str, Any]], timeout: float, *, check_requests: bool = True
    ) -> list[Exchange]:
        # In-process there is no stream: "pipelined" requests are handled one after another.
        exchanges = []
        for message in messages:
            exchange = self._call(Exchange(message, check_request=check_requests), timeout)
            exchanges.append(exchange)
            if exchange.error is not None:
                for later in messages[len(exchanges) :]:
                    exchanges.append(Exchange(later, error="not sent: an earlier request failed"))
                break
        return exchanges

    def _call(self, exchange: Exchange, timeout: float) -> Exchange:
        message = exchange.request
        adapter = self._adapter
        if adapter is None:
            exchange.error = "the adapter is not running"
            return exchange
        box: list[Any] = []
        # The message goes through JSON both ways, as it would over a pipe.
        wire = json.loads(json.dumps(message))

        def call() -> None:
            try:
                box.append(("ok", json.dumps(adapter.handle(wire))))
            except BaseException as exc:  # noqa: BLE001 (reported, whatever it is)
                import traceback

                box.append(("raised", "".join(traceback.format_exception(exc))))

        start = time.monotonic()
        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout)
        exchange.seconds = time.monotonic() - start
        if not box:
            exchange.error = f"no answer within {timeout:g} s (the adapter hangs)"
            return exchange
        kind, payload = box[0]
        if kind == "raised":
            exchange.error = "the adapter raised an exception"
            exchange.stderr = payload
            return exchange
        answer = json.loads(payload)
        if not isinstance(answer, dict):
            exchange.error = "the answer is not a JSON object"
        elif answer.get("seq") != message["seq"]:
            exchange.error = (
                f"the answer's seq is {answer.get('seq')!r}, the request's was {message['seq']}"
            )
        else:
            _check_answer(exchange, answer, self.check_messages)
        return exchange

    def _stop(self, *, kill: bool) -> None:
        self._adapter = None


def connect(
    adapter: str, *, check_messages: bool = False, startup_timeout: float = 30.0
) -> Transport:
    """A transport for *adapter*: ``python:module:attr`` runs in-process, anything else
    is a command line."""
    transport: Transport
    if adapter.startswith("python:"):
        transport = PythonTransport(
            adapter.removeprefix("python:"),
            check_messages=check_messages,
            startup_timeout=startup_timeout,
        )
    else:
        transport = StdioTransport(
            adapter, check_messages=check_messages, startup_timeout=startup_timeout
        )
    transport.describe = adapter
    return transport
