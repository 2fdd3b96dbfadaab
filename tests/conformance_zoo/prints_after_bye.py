"""Zoo fault: after answering ``bye``, the adapter says goodbye on standard output.

Flagged by: the ``protocol.bye`` check only.
"""

import json
import sys

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    for line in sys.stdin.buffer:
        message = json.loads(line)
        sys.stdout.buffer.write(json.dumps(adapter.handle(message)).encode() + b"\n")
        sys.stdout.buffer.flush()
        if message.get("op") == "bye":
            sys.stdout.buffer.write(b"envspec adapter: goodbye\n")  # the fault
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
