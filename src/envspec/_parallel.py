"""Running a batch in forked workers (Linux) that take its parts as they go, results as JSON.

Validation of a large batch is CPU-bound Python: a worker per core divides the
wall time.  ``fork`` shares the already-imported modules and the decoded cache
with the workers at no cost.  The parts of the batch wait in a pipe, one
4-byte record each: every process (this one included) reads the next record as
soon as it is free, so a process slowed by a big file, a late import or a busy
core simply takes fewer parts.  Each worker sends its JSON-encoded result
through a pipe of its own.  A worker that fails (crash, bad output) costs only
time: its result is missing, and the caller redoes the items it lacks.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["MAX_PARTS", "available_jobs", "fork_pull"]

T = TypeVar("T")

#: At most this many parts: their records (4 bytes each) fill no more than one page,
#: which a pipe always holds, so writing them all before any worker starts never blocks.
MAX_PARTS = 1024
_RECORD = 4


def available_jobs(requested: int | None) -> int:
    """How many processes to use: *requested*, or one per usable core (at most 8) on Linux."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return 1
    if requested is not None:
        return max(1, requested)
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may run on
    except OSError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def fork_pull(
    parts: Sequence[Sequence[T]], workers: int, work: Callable[[Iterator[T]], Any]
) -> list[Any]:
    """``work(items)`` in *workers* processes (this one and forked ones) that share the
    items of *parts*, a part at a time, each taking the next part when it needs one.

    Returns the results of this process and of the workers that succeeded (which
    must be JSON-serialisable), in no particular order: the items of a failed
    worker are in none of them.
    """
    if len(parts) > MAX_PARTS:
        raise ValueError(f"at most {MAX_PARTS} parts")
    if workers <= 1 or len(parts) <= 1:
        return [work(item for part in parts for item in part)]
    queue, feed = os.pipe()
    os.write(feed, b"".join(n.to_bytes(_RECORD, "little") for n in range(len(parts))))
    os.close(feed)  # the queue ends when it is empty

    def items() -> Iterator[T]:
        while record := os.read(queue, _RECORD):
            yield from parts[int.from_bytes(record, "little")]

    children: list[tuple[int, int]] = []
    for _ in range(min(workers, len(parts)) - 1):
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: compute, send, leave without running any exit handler
            os.close(read_end)
            code = 1
            try:
                data = json.dumps(work(items()), separators=(",", ":")).encode(
                    "utf-8", "surrogatepass"
                )
                view = memoryview(data)
                while view:
                    view = view[os.write(write_end, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        children.append((pid, read_end))
    try:
        results: list[Any] = [work(items())]
    finally:
        os.close(queue)
    for pid, read_end in children:
        chunks: list[bytes] = []
        with os.fdopen(read_end, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        try:
            if os.waitstatus_to_exitcode(status) != 0:
                raise ValueError("the worker failed")
            results.append(json.loads(b"".join(chunks).decode("utf-8", "surrogatepass")))
        except ValueError:
            continue  # its items are missing from every result: the caller redoes them
    return results
