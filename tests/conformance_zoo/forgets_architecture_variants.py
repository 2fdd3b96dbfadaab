"""Zoo fault: architecture variants (`-amd64`) are taken for images of their own.

They are counted, prepulled and listed.  Flagged by: ``spawner.prepull.arch-variants``.
"""

from typing import Any

from _spawner_faults import faulty_menu

from envspec.conformance import reference
from envspec.payloads.tags import ParsedTag


class Adapter(reference.Adapter):
    def _menu(self, message: dict[str, Any]) -> dict[str, Any]:
        def change(p: ParsedTag) -> ParsedTag:
            return p._replace(arch=None)

        return faulty_menu(message, change)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
