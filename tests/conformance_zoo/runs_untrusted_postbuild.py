"""Zoo fault: an untrusted ``postBuild`` is run (no ``launch-untrusted`` refusal for it).

The refusal is dropped and ``ok`` recomputed, so the plan is consistent: it simply
runs the author's script without asking.  Flagged by:
``launcher.trust.postbuild-untrusted-refused``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._plan(message)
        kept = [
            d
            for d in result["diagnostics"]
            if not (d["code"] == "launch-untrusted" and d["pointer"] == "/files/postBuild")
        ]
        ok = not any(d["severity"] == "error" for d in kept)
        return {**result, "diagnostics": kept, "ok": ok}


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
