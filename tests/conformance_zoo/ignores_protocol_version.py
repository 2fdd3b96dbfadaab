"""Zoo fault: a hello for any protocol version is answered with a result.

The adapter never looks at the ``protocol`` of the hello, so a runner speaking a
later protocol would believe it is understood.  Flagged by: the
``protocol.other-protocol`` check only.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") == "hello":
            return {"seq": message.get("seq"), "result": self._hello(message)}  # the fault
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
