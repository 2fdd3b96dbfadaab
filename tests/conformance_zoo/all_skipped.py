"""Zoo fault: every request of a case is answered ``skipped``.

The protocol is spoken correctly (hello, unknown ops, bye), but nothing is ever
checked.  The verdict must be partial, and the exit status the one of partial (3),
never 0; with strict skips every such case fails.  Flagged by: no protocol check.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("op") in ("validate", "migrate", "pack", "unpack"):
            reason = {"reason": "not now"}
            return {"seq": message.get("seq"), "skipped": reason}  # the fault
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
