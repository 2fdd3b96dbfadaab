"""Zoo fault: the Python pin is ignored (any interpreter will do).

The plan is made as if the environment pinned nothing: the first interpreter found
is used.  Flagged by: ``launcher.python.pin-not-met-refused`` and the other pin cases.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        environment = {k: v for k, v in message["environment"].items() if k != "python"}
        files = dict(environment.get("files") or {})
        if files.get("runtime.txt", "").strip().startswith("python-"):
            del files["runtime.txt"]
            environment["files"] = files
        return super()._plan({**message, "environment": environment})


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
