"""Zoo fault: migration writes the numbers and booleans it keeps under ``extensions`` as
strings (``2020`` becomes ``"2020"``, ``true`` becomes ``"true"``).

Flagged by: the migrator cases that keep such values, by value
(``migrator.preservation.unknown-values-by-value``,
``migrator.preservation.same-version-every-member``).
"""

import json
from typing import Any

from envspec.conformance import reference


def _stringify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    if isinstance(value, bool | int | float):
        return json.dumps(value)  # the fault
    return value


class Adapter(reference.Adapter):
    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._migrate(message)
        document = result["document"]
        if document is not None and "extensions" in document:
            document["extensions"] = _stringify(document["extensions"])
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
