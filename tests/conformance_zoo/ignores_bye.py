"""Zoo fault: ``bye`` is answered, but the adapter waits for the end of its input to exit.

Flagged by: the ``protocol.bye`` check only (the runner then closes the adapter's
input, and it exits).
"""

import json
import sys

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    for line in sys.stdin.buffer:  # the fault: no break after bye
        answer = adapter.handle(json.loads(line))
        sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n")
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
