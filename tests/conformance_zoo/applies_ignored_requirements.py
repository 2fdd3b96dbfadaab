"""Zoo fault: ``requirements.txt`` is installed beside the ``environment.yml`` that Binder
selects (a pip step after the conda step, where Binder ignores the file).

Flagged by: ``launcher.precedence.conda-over-requirements``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._plan(message)
        files = message["environment"].get("files") or {}
        steps = result["steps"]
        kinds = [s["kind"] for s in steps]
        if "requirements.txt" in files and "conda" in kinds and "pip" not in kinds:
            at = kinds.index("conda") + 1
            steps = [*steps[:at], {"kind": "pip", "file": "requirements.txt"}, *steps[at:]]
            kept = [d for d in result["diagnostics"] if d["pointer"] != "/files/requirements.txt"]
            return {**result, "steps": steps, "diagnostics": kept}
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
