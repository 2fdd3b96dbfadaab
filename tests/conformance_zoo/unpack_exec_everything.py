"""Zoo fault: unpack gives every file it writes the executable permission, not only
``postBuild`` and ``start``.

Flagged by: the unpack cases that write another file (``packer.unpack.exact-bytes``
writes requirements.txt); the detail says "executable ..., but only postBuild and start may be".
"""

import os
from pathlib import Path
from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        folder = Path(message["folder"])
        before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}
        result = super()._unpack(message)
        for path in folder.iterdir():
            written = path.name not in before or before[path.name] != path.stat().st_mtime_ns
            if path.is_file() and not path.is_symlink() and written:
                os.chmod(path, 0o755)  # noqa: S103 (the fault)
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
