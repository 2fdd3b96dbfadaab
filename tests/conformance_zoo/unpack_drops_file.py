"""Zoo fault: unpack leaves out the last embedded file that has a valid 1.0 (or 0.1) name.

Flagged by: the unpack cases whose expected folder holds that file
(``packer.unpack.exact-bytes``).
"""

import copy
from typing import Any

from envspec.conformance import reference
from envspec.vocabulary import FILES, FILES_0_1


class Adapter(reference.Adapter):
    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        environment = copy.deepcopy(message["environment"])
        legacy = environment.get("env_ver") == "0.1"
        files = environment if legacy else environment.get("files")
        if isinstance(files, dict):
            names = [n for n in files if n in (FILES_0_1 if legacy else FILES)]
            if names:
                del files[names[-1]]  # the fault
        return super()._unpack({**message, "environment": environment})


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
