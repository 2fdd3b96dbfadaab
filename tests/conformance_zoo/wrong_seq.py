"""Zoo fault: validate requests for notebooks (``*.ipynb``) are answered with ``seq + 1``.

Every other request is answered correctly.  Flagged by: every validator case whose
file is a notebook, as ``error`` (the runner cannot pair the answer with its
request, so it stops the adapter and starts a new one for the next case).
"""

from typing import Any

from envspec.conformance import reference


def affected(message: dict[str, Any]) -> bool:
    return message.get("op") == "validate" and message["file"]["name"].endswith(".ipynb")


class Adapter(reference.Adapter):
    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        answer = super().handle(message)
        if affected(message):
            answer["seq"] = message["seq"] + 1  # the fault
        return answer


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
