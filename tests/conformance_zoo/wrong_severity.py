"""Zoo fault: only the first error of a file is reported as an error; the others are
reported as warnings (the verdict ``valid`` stays right).

Flagged by: the validator cases whose file has more than one error
(``validator.structure.kernel-missing-language`` ...); the detail says
"reported as 'warning', the registry's severity is 'error'".
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        errors = [d for d in result["diagnostics"] if d["severity"] == "error"]
        for item in errors[1:]:
            item["severity"] = "warning"  # the fault
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
