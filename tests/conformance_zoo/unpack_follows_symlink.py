"""Zoo fault: unpack opens each file by its path, so a symbolic link planted under an
embedded name is followed: with ``force`` the link's target is overwritten, and without
it a dangling link (which does not "exist") is written through.

Flagged by: ``packer.unpack-safety.symlink-replaced-not-followed``,
``packer.unpack-safety.dangling-symlink-no-force-not-followed`` and the other
symlink cases.
"""

import os
from pathlib import Path
from typing import Any

from envspec.conformance import reference
from envspec.unpack import plan_files


class Adapter(reference.Adapter):
    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        folder = Path(message["folder"])
        plan, problems = plan_files(message["environment"])
        existing = [name for name, _, _ in plan if os.path.exists(folder / name)]
        if problems or (existing and not message.get("force")):
            return super()._unpack(message)
        for name, data, mode in plan:
            try:
                with open(folder / name, "wb") as handle:  # the fault: follows links
                    handle.write(data)
                os.chmod(folder / name, mode)
            except OSError:
                continue
        return {"diagnostics": []}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
