"""Zoo fault: every file is valid, with no diagnostics (a validator that checks nothing).

Flagged by: every validator case that expects the file to be invalid or expects a
diagnostic (a warning too).  Cases that expect a valid file and nothing else pass.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"valid": True, "diagnostics": []}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
