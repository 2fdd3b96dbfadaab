"""Zoo fault: validate requests for notebooks (``*.ipynb``) are answered twice.

Every other request is answered once.  The second copy is read while the runner
waits for the answer of the next case, which must not take the blame.  Flagged by:
the ``protocol.stray-output`` check only; every case gives what the reference gives.
"""

import json
import sys

from envspec.conformance import reference


def main() -> int:
    adapter = reference.Adapter()
    for line in sys.stdin.buffer:
        message = json.loads(line)
        answer = json.dumps(adapter.handle(message)).encode() + b"\n"
        twice = message.get("op") == "validate" and message["file"]["name"].endswith(".ipynb")
        sys.stdout.buffer.write(answer * 2 if twice else answer)  # the fault
        sys.stdout.buffer.flush()
        if message.get("op") == "bye":
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
