"""Zoo fault: of the requests that arrive together, only the first is answered.

It reads a chunk of its input and takes the first line of it, dropping the rest:
fine while the runner waits for each answer, a deadlock as soon as requests are
pipelined (the runner must time out, not hang).  Flagged by: the
``protocol.pipelined`` check only.
"""

import json
import os
import sys

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    while True:
        chunk = os.read(sys.stdin.fileno(), 1 << 20)
        if not chunk:
            return 0
        line = chunk.split(b"\n")[0]  # the fault: the other lines of the chunk are lost
        message = json.loads(line)
        sys.stdout.buffer.write(json.dumps(adapter.handle(message)).encode() + b"\n")
        sys.stdout.buffer.flush()
        if message.get("op") == "bye":
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
