"""Zoo fault: every validation adds a warning with a code of its own (``acme-style``),
which is not a code of the diagnostics registry.

Flagged by: every validator case; the detail says "not a code of the diagnostics registry".
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        result["diagnostics"].append(
            {"code": "acme-style", "pointer": "", "severity": "warning", "message": "style"}
        )  # the fault
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
