"""Zoo fault: the process exits (status 3) on a migrate request for a document with ``cloud``.

It says why on standard error first, as a crashing program would.  Flagged by:
every migrator case that sends such a document, as ``error``; the runner starts
the adapter again for the next case.
"""

import os
import sys
from typing import Any

from envspec.conformance import reference


def affected(message: dict[str, Any]) -> bool:
    return message.get("op") == "migrate" and "cloud" in message["document"]


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if affected(message):
            sys.stderr.write("zoo crash: cannot migrate cloud targets\n")
            sys.stderr.flush()
            os._exit(3)  # the fault
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
