"""Zoo fault: a size whose limit is below its request is accepted.

The validator checks each quantity's form but never compares a size's limit with its
request (it drops ``payload-limit-below-request``), so a lab asks the cluster for more
memory than it may use.  ``valid`` is recomputed from what is left.  Flagged by:
``validator.payload.limit-below-request``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        kept = [d for d in result["diagnostics"] if d["code"] != "payload-limit-below-request"]
        return {"valid": not any(d["severity"] == "error" for d in kept), "diagnostics": kept}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
