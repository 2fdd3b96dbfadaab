"""Zoo fault: unpack makes the files it writes writable by everyone (``chmod a+w``).

Flagged by: every unpack case that writes a file (``packer.unpack.exact-bytes``);
the detail says "writable by group or others".
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
                os.chmod(path, path.stat().st_mode | 0o666)  # noqa: S103 (the fault)
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
