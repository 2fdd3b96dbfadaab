"""Zoo fault: a request with a member the adapter does not know is refused.

A strict request parser: right for a validator of messages, wrong for an adapter,
which must ignore members added by later minor versions of the protocol.  The
requests the runner sends for cases have no such member.  Flagged by: the
``protocol.unknown-member`` check only.
"""

from typing import Any

from envspec.conformance import reference

KNOWN = {
    "hello": {"op", "seq", "protocol", "suite"},
    "validate": {"op", "seq", "file", "require"},
    "migrate": {"op", "seq", "document", "to", "lossy"},
    "pack": {"op", "seq", "folder", "notebook", "version"},
    "unpack": {"op", "seq", "environment", "folder", "force"},
    "bye": {"op", "seq"},
}


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(message) - KNOWN.get(message.get("op"), set(message)))
        if unknown:  # the fault
            failure = {"message": f"unknown members: {', '.join(unknown)}"}
            return {"seq": message.get("seq"), "errored": failure}
        return super().handle(message)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
