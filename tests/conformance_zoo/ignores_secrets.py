"""Zoo fault: secret values are not reported (no ``secret`` or ``secret-env-value``).

The diagnostics are dropped and ``valid`` is recomputed from what is left, so the
answer is consistent; it just misses the secrets.  Flagged by: the cases that
expect a secret diagnostic (``validator.secrets.*``).
"""

from typing import Any

from envspec.conformance import reference

SECRET_CODES = {"secret", "secret-env-value"}


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        kept = [d for d in result["diagnostics"] if d["code"] not in SECRET_CODES]
        return {"valid": not any(d["severity"] == "error" for d in kept), "diagnostics": kept}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
