"""Zoo fault: the notebook starts although a required variable was not supplied.

The ``launch-variable-missing`` refusals are dropped (the variables are still listed
as required).  Flagged by: ``launcher.variables.null-not-supplied-refused``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._plan(message)
        kept = [d for d in result["diagnostics"] if d["code"] != "launch-variable-missing"]
        ok = not any(d["severity"] == "error" for d in kept)
        return {**result, "diagnostics": kept, "ok": ok}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
