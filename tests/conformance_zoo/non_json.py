"""Zoo fault: a debugging line on standard output before the answer to a lossy migration.

The classic mistake of an adapter that prints progress with ``print``: standard
output is the protocol channel.  The runner reads on, and the answer that follows
is the case's: flagged by the ``protocol.stray-output`` check only, every case
gives what the reference gives.
"""

import sys
from typing import Any

from envspec.conformance import reference


def affected(message: dict[str, Any]) -> bool:
    return message.get("op") == "migrate" and message.get("lossy") is True


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if affected(message):
            sys.stdout.buffer.write(b"migrating with losses allowed...\n")  # the fault
            sys.stdout.buffer.flush()
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
