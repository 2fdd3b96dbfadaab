"""Zoo fault: an env_ver with an unknown major ("2.0", "7.3") is read as if it were 1.0.

No ``env-version-unsupported`` error for unknown majors: the document is checked
against the 1.0 rules instead.  Flagged by: the validator cases that expect
``env-version-unsupported`` for an unknown major (``validator.versions.unknown-major``).
"""

from typing import Any

import envspec.checks
from envspec.conformance import reference
from envspec.versions import EnvVersion, VersionStatus, classify


def lenient_classify(version: EnvVersion) -> tuple[VersionStatus, str | None]:
    status, reader = classify(version)
    if status == "unknown-major":
        return "known", "1.0"  # the fault
    return status, reader


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        envspec.checks.classify = lenient_classify  # what the rule engine consults
        try:
            return super()._validate(message)
        finally:
            envspec.checks.classify = classify


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
