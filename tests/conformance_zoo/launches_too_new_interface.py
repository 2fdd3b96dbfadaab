"""Zoo fault: an image whose lab interface is newer than the spawner supports launches.

Only the lower end of the spawner's range is honoured.  Flagged by:
``spawner.compatibility.too-new-refused``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _launch(self, message: dict[str, Any]) -> dict[str, Any]:
        low = str(message["interface"]).partition("..")[0]
        return super()._launch({**message, "interface": f"{low}..9999"})


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
