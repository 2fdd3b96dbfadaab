"""Zoo fault: after each answer to ``unpack``, a JSON log record on standard output.

A structured logger pointed at the wrong stream: the record is JSON, but not an
answer.  It is read while the runner waits for the next answer, the one of
another case, which must not take the blame.  Flagged by: the
``protocol.stray-output`` check only; every case gives what the reference gives.
"""

import json
import sys
from typing import Any

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    for line in sys.stdin.buffer:
        message: dict[str, Any] = json.loads(line)
        answer = adapter.handle(message)
        sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n")
        if message.get("op") == "unpack":
            record = {"level": "info", "msg": "unpacked", "folder": message.get("folder")}
            sys.stdout.buffer.write(json.dumps(record).encode() + b"\n")  # the fault
        sys.stdout.buffer.flush()
        if message.get("op") == "bye":
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
