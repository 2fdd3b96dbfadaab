"""Talking to adapters: a child process over NDJSON, or a Python object in-process.

Both transports do the same three things: say hello (again after a restart),
send one request and wait for its answer with a timeout, and turn everything
that can go wrong (a crash, a hang, a line that is not JSON, a wrong ``seq``)
into an :class:`Exchange` with an ``error``, never into an exception.  A broken
adapter is restarted before the next request.
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

__all__ = ["AdapterError", "Exchange", "PythonTransport", "StdioTransport", "Transport", "connect"]

#: Longest answer line accepted (a document with large embedded files fits easily).
MAX_LINE = 64 * 1024 * 1024
#: After this many failed starts in a row the adapter is given up.
MAX_FAILED_STARTS = 3


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


class Transport:
    """What the runner needs from an adapter connection."""

    #: The ``hello`` result of the current (or last) adapter process.
    hello: dict[str, Any] | None = None
    restarts: int = 0

    def __init__(self, *, check_messages: bool = False, startup_timeout: float = 30.0) -> None:
        self.check_messages = check_messages
        self.startup_timeout = startup_timeout
        self._seq = 0
        self._failed_starts = 0
        self.describe = ""

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # The two primitives a transport implements.
    def _start(self) -> None:
        raise NotImplementedError

    def _exchange(self, message: dict[str, Any], timeout: float) -> Exchange:
        raise NotImplementedError

    def _stop(self, *, kill: bool) -> None:
        raise NotImplementedError

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def start(self) -> dict[str, Any]:
        """Start the adapter and say hello; returns the hello result."""
        if self._failed_starts >= MAX_FAILED_STARTS:
            raise AdapterError(
                f"the adapter failed to start {self._failed_starts} times in a row; given up"
            )
        try:
            self._start()
            hello = {"op": "hello", "seq": self.next_seq(), "protocol": PROTOCOL}
            from envspec.conformance.cases import suite_version

            hello["suite"] = suite_version()
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

    def request(self, message: dict[str, Any], timeout: float) -> Exchange:
        """Send *message* (its ``seq`` is set here) and wait for the answer."""
        message = {**message, "seq": self.next_seq()}
        if not self.alive:
            try:
                self.start()
            except AdapterError as exc:
                return Exchange(message, error=f"adapter restart failed: {exc}")
        exchange = self._exchange(message, timeout)
        if exchange.error is not None:
            self._stop(kill=True)
        return exchange

    def unrequested(self) -> list[str]:
        """Lines the adapter wrote that answer no request (a duplicate answer, stray output).
        When there are any, the adapter is stopped: its answers can no longer be matched to
        requests, and it is restarted before the next one."""
        return []

    def close(self) -> None:
        """Say bye and stop the adapter."""
        if self.alive:
            self._exchange({"op": "bye", "seq": self.next_seq()}, 2.0)
        self._stop(kill=False)


def _tail(exchange: Exchange) -> str:
    return f"\n--- adapter stderr (last lines) ---\n{exchange.stderr}" if exchange.stderr else ""


def _decode_answer(exchange: Exchange, line: bytes, check: bool) -> Exchange:
    from envspec.conformance.messages import answer_problems, request_problems

    message = exchange.request
    try:
        answer = json.loads(line)
    except (ValueError, RecursionError):
        shown = line[:200].decode("utf-8", "backslashreplace").rstrip()
        exchange.error = f"the adapter printed a line that is not JSON: {shown!r}"
        return exchange
    if not isinstance(answer, dict):
        exchange.error = "the answer is not a JSON object"
        return exchange
    if answer.get("seq") != message["seq"]:
        exchange.error = (
            f"the answer's seq is {answer.get('seq')!r}, the request's was {message['seq']}"
        )
        return exchange
    exchange.answer = answer
    problems = answer_problems(message["op"], answer, strict=check)
    if check:
        problems = [f"request: {p}" for p in request_problems(message)] + problems
    if problems:
        exchange.protocol_problems = problems
        exchange.error = "protocol violation: " + "; ".join(problems)
    return exchange


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

    def _exchange(self, message: dict[str, Any], timeout: float) -> Exchange:
        exchange = Exchange(message)
        proc = self._proc
        start = time.monotonic()
        if proc is None or proc.stdin is None:
            exchange.error = "the adapter is not running"
            return exchange
        try:
            proc.stdin.write(json.dumps(message, ensure_ascii=False).encode("utf-8") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            exchange.error = self._death_note(proc, "stopped reading its input")
            exchange.stderr = self._last_stderr(proc)
            return exchange
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            exchange.error = f"no answer within {timeout:g} s (the adapter hangs)"
            exchange.stderr = "\n".join(self._stderr)
            exchange.seconds = time.monotonic() - start
            return exchange
        exchange.seconds = time.monotonic() - start
        if line is None:
            exchange.error = self._death_note(proc, "exited")
            exchange.stderr = self._last_stderr(proc)
            return exchange
        _decode_answer(exchange, line, self.check_messages)
        if exchange.error is not None:
            time.sleep(0.01)  # let the stderr reader catch up with a traceback
            exchange.stderr = "\n".join(self._stderr)
        return exchange

    def unrequested(self) -> list[str]:
        if self._proc is None:
            return []  # stopped after a failure: what is left in the pipe is moot
        lines: list[str] = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is None:  # the adapter exited: the next request restarts it
                self._lines.put(None)
                break
            lines.append(line[:200].decode("utf-8", "backslashreplace").rstrip())
        if lines:
            self._stop(kill=True)
        return lines

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
                proc.wait(timeout=2)
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

    def _exchange(self, message: dict[str, Any], timeout: float) -> Exchange:
        exchange = Exchange(message)
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
        return _decode_answer(exchange, payload.encode("utf-8"), self.check_messages)

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
