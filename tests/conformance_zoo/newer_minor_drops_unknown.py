"""Zoo fault: packing a newer minor's environment (``1.3``) drops what this version does
not know: unknown members and unknown embedded file names.

Flagged by: ``packer.pack.newer-minor-unknown-kept``.
"""

from typing import Any

from envspec.conformance import reference
from envspec.vocabulary import FILES, MEMBERS


class Adapter(reference.Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._pack(message)
        environment = result["environment"]
        if environment is not None and environment.get("env_ver") != "1.0":
            for name in [k for k in environment if k not in MEMBERS]:
                del environment[name]  # the fault
            files = environment.get("files")
            if isinstance(files, dict):
                environment["files"] = {k: v for k, v in files.items() if k in FILES}
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
