"""Zoo fault: migrating back to 0.1 writes ``env_name``/``cloud_ver`` even where the
original spelled them ``Env_name``/``Cloud_ver``: the round trip is not exact.

The mutation run found the suite blind to the restoring half of the migration
(what ``extensions`` records is used on the way back) until
``migrator.preservation.round-trip-restores-spellings-and-kept-members``.
Flagged by: that case.
"""

from typing import Any

from envspec.conformance import reference

_SPELLINGS = {"Env_name": "env_name", "Cloud_ver": "cloud_ver"}


class Adapter(reference.Adapter):
    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._migrate(message)
        document = result["document"]
        if message.get("to") == "0.1" and isinstance(document, dict):
            cloud = document.get("cloud")
            if isinstance(cloud, dict):  # the fault: the lower-case spelling, always
                document["cloud"] = {_SPELLINGS.get(k, k): v for k, v in cloud.items()}
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
