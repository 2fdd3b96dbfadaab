"""Zoo fault: a downgrade that restores the recorded 0.1 ``cloud_ver`` even after the 1.0
``version`` was changed, dropping the user's edit.

The recorded number may only come back while the version still reads as it does
(``0.3`` for ``"0.3"``).  A mutant of envspec's mapping that restored it always
survived until ``migrator.downgrade.changed-cloud-version-wins``, which flags this.
"""

from collections.abc import Mapping
from typing import Any

from envspec.conformance import reference
from envspec.migrations import v0_1_v1_0

_cloud_down = v0_1_v1_0._cloud_down


def stale_cloud_down(target: Mapping[str, Any], legacy: Mapping[str, Any]) -> dict[str, Any]:
    block = _cloud_down(target, legacy)
    if "version" in target and legacy.get("cloud_ver") is not None:
        spelling = legacy.get("cloud_spelling")
        key = spelling.get("version", "cloud_ver") if isinstance(spelling, dict) else "cloud_ver"
        block[key] = legacy["cloud_ver"]  # the fault: the recorded number, whatever the version
    return block


if __name__ == "__main__":
    v0_1_v1_0._cloud_down = stale_cloud_down  # what downgrade calls
    raise SystemExit(reference.main())
