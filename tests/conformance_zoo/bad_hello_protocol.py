"""Zoo fault: hello is answered with protocol version 2, which the runner does not speak.

The runner must not start the run: every case is ``error``, exit status 1.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        return {**super()._hello(message), "protocol": 2}  # the fault


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
