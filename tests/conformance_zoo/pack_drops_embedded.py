"""Zoo fault: pack makes the embedded files mirror the folder, dropping the files a
received notebook embeds and the folder lacks (what the writer rules forbid).

Flagged by: the pack cases whose notebook already embeds such files
(``packer.pack.embedded-files-kept``, ``packer.pack.legacy-files-kept``).
"""

from pathlib import Path
from typing import Any

from envspec.conformance import reference
from envspec.pack import collect


class Adapter(reference.Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = super()._pack(message)
        environment = answer.get("environment")
        if isinstance(environment, dict) and isinstance(environment.get("files"), dict):
            present = collect(Path(message["folder"])).files
            files = {n: t for n, t in environment["files"].items() if n in present}  # the fault
            if files:
                environment["files"] = files
            else:
                del environment["files"]
            answer["diagnostics"] = [
                d for d in answer["diagnostics"] if d["code"] != "embedded-file-kept"
            ]
        return answer


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
