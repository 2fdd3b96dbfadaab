"""Zoo fault: a payload that gives a secret as a value is accepted.

The validator reads payload files but drops ``payload-secret-value`` (a password in
``lab.env``, a token in a lab file's content) and recomputes ``valid`` from what is
left, so the answer is consistent; it just lets the secret through.  Flagged by:
``validator.payload.secret-value-by-name``, ``validator.payload.secret-token-value``
and ``validator.payload.secret-file-content``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        kept = [d for d in result["diagnostics"] if d["code"] != "payload-secret-value"]
        return {"valid": not any(d["severity"] == "error" for d in kept), "diagnostics": kept}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
