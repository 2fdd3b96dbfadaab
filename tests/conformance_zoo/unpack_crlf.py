"""Zoo fault: unpack "normalises" line endings: CRLF (\\r\\n) is written as LF (\\n).

Flagged by: the unpack cases with a file that has CRLF line endings
(``packer.unpack.exact-bytes``); the runner's detail says "line endings were changed".
"""

import copy
from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        environment = copy.deepcopy(message["environment"])
        legacy = environment.get("env_ver") == "0.1"
        files = environment if legacy else environment.get("files")
        if isinstance(files, dict):
            for name, text in files.items():
                if name != "env_ver" and isinstance(text, str):
                    files[name] = text.replace("\r\n", "\n")  # the fault
        return super()._unpack({**message, "environment": environment})


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
