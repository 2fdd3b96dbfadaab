"""Checking protocol messages.

Every answer gets the checks the runner needs to read it (an object, the
right ``seq``, exactly one outcome, a result of the right shape).  In
checking mode (``envspec conformance run -V``) every request and answer is
also validated against the protocol models, member by member, so adapter
authors see each mistake before it turns into a confusing failure.
"""

from __future__ import annotations

from typing import Any

__all__ = ["answer_problems", "hello_problems", "request_problems"]

_OUTCOMES = ("result", "unsupported", "skipped", "errored")


def _model_problems(model: Any, data: object, prefix: str) -> list[str]:
    from pydantic import ValidationError

    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [
            f"{prefix}/{'/'.join(str(p) for p in err['loc'])}: {err['msg']}".replace("//", "/")
            for err in exc.errors(include_url=False)
        ]
    return []


def request_problems(message: dict[str, Any]) -> list[str]:
    """Problems of a request against its model (a runner bug if any)."""
    from envspec.conformance.protocol import MESSAGES

    models = MESSAGES.get(str(message.get("op")))
    if models is None:
        return [f"unknown op {message.get('op')!r}"]
    return _model_problems(models[0], message, "")


def _diagnostics_problems(result: dict[str, Any]) -> list[str]:
    items = result.get("diagnostics")
    if not isinstance(items, list):
        return ["result.diagnostics must be an array"]
    problems = []
    for i, item in enumerate(items):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("code"), str)
            and isinstance(item.get("pointer"), str)
            and item.get("severity") in ("error", "warning")
        ):
            problems.append(
                f"result.diagnostics/{i} needs string 'code' and 'pointer', and 'severity' "
                "'error' or 'warning'"
            )
    return problems


_RESULT_SHAPE: dict[str, tuple[tuple[str, type | tuple[type, ...]], ...]] = {
    "validate": (("valid", bool),),
    "migrate": (("document", (dict, type(None))),),
    "pack": (("environment", (dict, type(None))),),
    "unpack": (),
    "menu": (("tags", list), ("menu", list), ("prepull", list), ("dropdown", list)),
    "launch": (("launch", (str, type(None))), ("rebuild", bool)),
    "hello": (("implementation", dict), ("roles", dict)),
    "tokens": (("tokens", list),),
    "service-log": (("text", str),),
    "repository": (("url", str), ("ref", str)),
    "bye": (),
}
#: Results without diagnostics.
_NO_DIAGNOSTICS = frozenset({"hello", "bye", "tokens", "service-log", "repository"})


def answer_problems(op: str, answer: dict[str, Any], *, strict: bool = False) -> list[str]:
    """Why *answer* cannot be read as the answer to an *op* request (``[]``: it can)."""
    present = [k for k in _OUTCOMES if answer.get(k) is not None]
    if len(present) != 1:
        return [
            "an answer has exactly one of 'result', 'unsupported', 'skipped' and 'errored'"
            f" (got {present or 'none'})"
        ]
    problems: list[str] = []
    if strict:
        from envspec.conformance.protocol import MESSAGES, Envelope

        problems += _model_problems(Envelope, answer, "")
        if present[0] == "result" and op in MESSAGES:
            problems += _model_problems(MESSAGES[op][1], answer["result"], "/result")
        return problems
    outcome = answer[present[0]]
    if present[0] != "result":
        if not isinstance(outcome, dict):
            return [f"'{present[0]}' must be an object"]
        return []
    if not isinstance(outcome, dict):
        return ["'result' must be an object"]
    for key, kind in _RESULT_SHAPE.get(op, ()):
        if not isinstance(outcome.get(key), kind):
            problems.append(f"result.{key} is missing or has the wrong type")
    if op not in _NO_DIAGNOSTICS:
        problems += _diagnostics_problems(outcome)
    return problems


def hello_problems(answer: dict[str, Any]) -> list[str]:
    """Problems of a hello answer (always checked against the models: the runner relies
    on the declared roles, versions and features)."""
    if answer.get("result") is None:
        outcome = next((k for k in _OUTCOMES if answer.get(k) is not None), None)
        return [f"hello must be answered with a result (got {outcome or 'nothing'})"]
    from envspec.conformance.protocol import HelloResult

    return _model_problems(HelloResult, answer["result"], "/result")
