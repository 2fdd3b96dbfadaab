"""Zoo fault: the notebook's kernelspec is preselected over the environment's ``kernel``
(a stale kernel of the author's machine bypasses the environment).

Flagged by: ``launcher.kernel.environment-wins``.
"""

from typing import Any

from envspec.conformance import reference


class Adapter(reference.Adapter):
    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._plan(message)
        kernelspec = message.get("kernelspec") or {}
        if isinstance(kernelspec.get("name"), str):
            return {**result, "kernel": {"name": kernelspec["name"]}}
        return result


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
