"""Running shares of a batch in forked workers (Linux), results back as JSON.

Validation of a large batch is CPU-bound Python: a worker per core divides the
wall time.  ``fork`` shares the already-imported modules and the decoded cache
with the workers at no cost; each worker sends its JSON-encoded result through
a pipe.  A worker that fails (crash, bad output) costs only time: its share is
done again in this process.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["available_jobs", "fork_map"]

T = TypeVar("T")


def available_jobs(requested: int | None) -> int:
    """How many processes to use: *requested*, or one per core (at most 8) on Linux."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return 1
    if requested is not None:
        return max(1, requested)
    return max(1, min(os.cpu_count() or 1, 8))


def fork_map(shares: Sequence[T], work: Callable[[T], Any]) -> list[Any]:
    """``[work(share) for share in shares]``, the first share here and the others in
    forked workers; results must be JSON-serialisable."""
    if len(shares) <= 1:
        return [work(share) for share in shares]
    children: list[tuple[int, int]] = []
    for share in shares[1:]:
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker: compute, send, leave without running any exit handler
            os.close(read_end)
            code = 1
            try:
                data = json.dumps(work(share), separators=(",", ":")).encode(
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
    results: list[Any] = [work(shares[0])]
    for (pid, read_end), share in zip(children, shares[1:], strict=True):
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
            results.append(work(share))  # redo the share here
    return results
