"""Zoo fault: migrated documents lose their ``git`` member (the source of the notebook).

Flagged by: the migrator cases whose expected document has ``git``, or that
round-trip a document with ``git`` (``migrator.upgrade.git-block-kept``,
``migrator.downgrade.fits``).
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._migrate(message)
        if result["document"] is not None:
            result["document"].pop("git", None)
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
