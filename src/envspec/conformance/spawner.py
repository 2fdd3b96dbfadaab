"""Running a spawner case: one ``menu`` or ``launch`` request, and the answer judged.

``menu``: compared where the case gives them: the order of every tag, the
category and display name of the tags named, the default, the radio list and
the dropdown (in order), the prepull set (in any order), the bot names and the
alias targets named.  ``launch``: the tag launched (or a refusal, which must be
an error with the expected code) and whether it is a rebuild.
"""

from __future__ import annotations

from typing import Any

from envspec.conformance.cases import SpawnerCase
from envspec.conformance.matching import match_diagnostics

__all__ = ["run_spawner"]


def _request(case: SpawnerCase) -> dict[str, Any]:
    data = case.input
    if case.operation == "launch":
        return {"op": "launch", "payload": data.payload, "tag": data.tag,
                "interface": data.interface}  # fmt: skip
    request: dict[str, Any] = {"op": "menu", "payload": data.payload}
    request["tags"] = "".join(line + "\n" for line in data.tags)
    if data.today is not None:
        request["today"] = data.today
    return request


def _same(what: str, expected: object, actual: object) -> list[str]:
    return [] if expected == actual else [f"{what}: expected {expected!r}, got {actual!r}"]


def _named(what: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    return [
        f"{what} of {key!r}: expected {value!r}, got {actual.get(key, '(missing)')!r}"
        for key, value in expected.items()
        if actual.get(key, "(missing)") != value
    ]


def _menu(case: SpawnerCase, result: dict[str, Any]) -> list[str]:
    expect = case.expect
    details: list[str] = []
    rows = [t for t in result.get("tags") or [] if isinstance(t, dict)]
    if expect.order is not None:
        details += _same("order", expect.order, [t.get("tag") for t in rows])
    if expect.categories is not None:
        categories = {str(t.get("tag")): t.get("category") for t in rows}
        details += _named("category", expect.categories, categories)
    if expect.display is not None:
        names = {str(t.get("tag")): t.get("display_name") for t in rows}
        details += _named("display name", expect.display, names)
    if expect.default is not None:
        details += _same("default", expect.default, result.get("default"))
    if expect.menu is not None:
        details += _same("menu", expect.menu, result.get("menu"))
    if expect.prepull is not None:
        prepull = result.get("prepull")
        if not isinstance(prepull, list) or sorted(map(str, prepull)) != sorted(expect.prepull):
            details.append(f"prepull: expected {sorted(expect.prepull)}, got {prepull!r}")
    if expect.dropdown is not None:
        details += _same("dropdown", expect.dropdown, result.get("dropdown"))
    if expect.bots is not None:
        details += _same("bots", expect.bots, result.get("bots"))
    if expect.aliases is not None:
        details += _named("alias target", expect.aliases, result.get("aliases") or {})
    return details


def _launch(case: SpawnerCase, result: dict[str, Any]) -> list[str]:
    from envspec.conformance.evaluate import severity_problems

    expect = case.expect
    reported = result.get("diagnostics", [])
    details = _same("launch", expect.launch, result.get("launch"))
    if expect.rebuild is not None:
        details += _same("rebuild", expect.rebuild, result.get("rebuild"))
    errors = [d for d in reported if d.get("severity") == "error"]
    if result.get("launch") is None and not errors:
        details.append("the launch is refused, yet the adapter reported no error")
    if result.get("launch") is not None and errors:
        details.append("an image launches, yet the adapter reported errors")
    details += match_diagnostics(expect.diagnostics, reported, allow_extra=False)
    details += severity_problems(reported)
    return details


def run_spawner(case: SpawnerCase, send: Any) -> Any:
    """The outcome of *case* (an :class:`~envspec.conformance.evaluate.Outcome`)."""
    from envspec.conformance.evaluate import _catching, _result, _verdict

    def run() -> Any:
        result = _result(send(_request(case)))
        if case.operation == "launch":
            return _verdict(_launch(case, result))
        return _verdict(_menu(case, result))

    return _catching(run)
