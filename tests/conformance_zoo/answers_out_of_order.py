"""Zoo fault: requests that arrive together are answered last first.

It reads what is in the pipe and answers the newest request first, as an
asynchronous adapter that writes each answer when it is ready might.  One request
at a time (what the cases send) is answered correctly.  Flagged by: the
``protocol.pipelined`` check only.
"""

import json
import os
import sys

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    pending = b""
    while True:
        chunk = os.read(sys.stdin.fileno(), 1 << 20)
        if not chunk:
            return 0
        pending += chunk
        *lines, pending = pending.split(b"\n")
        messages = [json.loads(line) for line in lines if line.strip()]
        for message in reversed(messages):  # the fault
            answer = json.dumps(adapter.handle(message)).encode() + b"\n"
            sys.stdout.buffer.write(answer)
            sys.stdout.buffer.flush()
        if any(m.get("op") == "bye" for m in messages):
            return 0


if __name__ == "__main__":
    raise SystemExit(main())
