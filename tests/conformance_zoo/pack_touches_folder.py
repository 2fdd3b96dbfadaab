"""Zoo fault: pack leaves a stray file in the folder it packs (a lock it forgot to remove).

Flagged by: every pack case, since pack must leave the folder as it was
(``packer.pack.requirements`` and the others); the detail names the file.
"""

from pathlib import Path
from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._pack(message)
        (Path(message["folder"]) / ".envspec-pack.lock").write_text("1\n")  # the fault
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
