"""Zoo fault: unpacking an environment that embeds ``postBuild`` never returns.

Flagged by: every unpack case with a ``postBuild`` file, as ``error`` after the
runner's timeout (the runner kills the adapter and starts a new one).
"""

import time
from typing import Any

from envspec.conformance import reference


def affected(message: dict[str, Any]) -> bool:
    environment = message.get("environment")
    if message.get("op") != "unpack" or not isinstance(environment, dict):
        return False
    files = environment.get("files")
    return isinstance(files, dict) and "postBuild" in files


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        while affected(message):  # the fault
            time.sleep(3600)
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
