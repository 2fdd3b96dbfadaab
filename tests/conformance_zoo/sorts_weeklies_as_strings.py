"""Zoo fault: weeklies are ordered by their text, so w_2024_9 comes before w_2024_10.

Flagged by: ``spawner.order.weeklies-as-numbers``.
"""

from typing import Any

from _spawner_faults import faulty_menu

from envspec.conformance import reference
from envspec.payloads.tags import ParsedTag


class Adapter(reference.Adapter):
    def _menu(self, message: dict[str, Any]) -> dict[str, Any]:
        def change(p: ParsedTag) -> ParsedTag:
            return p._replace(key="0" + p.tag) if p.category == "weekly" else p

        return faulty_menu(message, change)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
