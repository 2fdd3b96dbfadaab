"""Zoo fault: the hello declares env_ver 1.7 for the validator, which the suite does not know.

An implementation ahead of the standard, or a typo.  The runner tests the versions
it knows, as with the reference.  Flagged by: the ``protocol.declared-versions``
check only.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        hello = super()._hello(message)
        hello["roles"]["validator"]["versions"].append("1.7")  # the fault
        return hello


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
