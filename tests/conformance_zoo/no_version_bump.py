"""Zoo fault: a migration rewrites the members but leaves ``env_ver`` as it was.

Flagged by: every migrator case that expects a document in another version than
its input (``migrator.upgrade.version-bump`` and most of ``migrator.upgrade.*``
and ``migrator.downgrade.*``).  Refusals and same-version migrations pass.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._migrate(message)
        document = result["document"]
        if document is not None and "env_ver" in message["document"]:
            document["env_ver"] = message["document"]["env_ver"]
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
