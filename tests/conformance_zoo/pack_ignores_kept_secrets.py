"""Zoo fault: pack checks only the files it reads from the folder for secrets, and writes
a secret that the notebook already embeds (the writer rules forbid it).

Flagged by: ``packer.pack.kept-secret-stops``.
"""

from pathlib import Path
from typing import Any

from envspec.conformance import reference
from envspec.notebook import read_document
from envspec.pack import build_environment, collect


class Adapter(reference.Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = super()._pack(message)
        if answer["environment"] is not None:
            return answer
        folder = Path(message["folder"])
        present = collect(folder).files
        errors = [d for d in answer["diagnostics"] if d["severity"] == "error"]
        in_kept_files = [
            d
            for d in errors
            if d["pointer"].startswith("/files/") and d["pointer"][7:] not in present
        ]
        if not errors or in_kept_files != errors:
            return answer
        # The fault: the secret is in a file the notebook brought, so it is written anyway.
        read = read_document((folder / message["notebook"]).read_bytes(), "notebook")
        metadata = read.document["metadata"] if read.document else {}
        environment = build_environment(
            metadata.get("environment"), metadata, collect(folder), None
        )
        return {"environment": environment, "diagnostics": []}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
