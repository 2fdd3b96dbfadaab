"""Zoo fault: a release candidate (`r23_0_0_rc1`) is read as a release.

It is counted, prepulled and shown as one.
Flagged by: ``spawner.categories.candidate-not-release``.
"""

from typing import Any

from _spawner_faults import faulty_menu

from envspec.conformance import reference
from envspec.payloads.tags import ParsedTag


class Adapter(reference.Adapter):
    def _menu(self, message: dict[str, Any]) -> dict[str, Any]:
        def change(p: ParsedTag) -> ParsedTag:
            return p._replace(category="release") if p.category == "candidate" else p

        return faulty_menu(message, change)


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
