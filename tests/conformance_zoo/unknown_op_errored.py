"""Zoo fault: a request with an unknown ``op`` is answered ``errored``, not ``unsupported``.

The classic dispatch table that raises on a missing key, caught by the catch-all.
Every operation of the protocol is answered as by the reference.  Flagged by: the
``protocol.unknown-op`` check only.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if not hasattr(self, f"_{message.get('op')}"):
            failure = {"message": f"KeyError: {message.get('op')!r}"}  # the fault
            return {"seq": message.get("seq"), "errored": failure}
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
