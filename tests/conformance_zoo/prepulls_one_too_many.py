"""Zoo fault: each category that prepulls N images prepulls N + 1.

Flagged by: ``spawner.prepull.exact-counts``.
"""

from dataclasses import replace
from typing import Any

from _spawner_faults import faulty_menu

from envspec.conformance import reference
from envspec.payloads.menu import MenuPayload


class Adapter(reference.Adapter):
    def _menu(self, message: dict[str, Any]) -> dict[str, Any]:
        def configure(payload: MenuPayload) -> MenuPayload:
            counts = {k: v + 1 if v else v for k, v in payload.menu.prepull.items()}
            return replace(payload, menu=replace(payload.menu, prepull=counts))

        return faulty_menu(message, configure=configure)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
