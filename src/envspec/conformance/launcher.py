"""Running a launcher case: one ``plan`` request, and the normative part of the answer judged.

Compared, where the case gives them: the backend, the steps in order (by kind
and file, and the image reference of an image step), the kernel name, the
required variables and the variables set (in any order).  Always: ``ok`` is
true exactly when no diagnostic is an error, every expected diagnostic is
reported, unlisted errors fail the case, codes and severities are the
registry's, and the value of a supplied variable appears nowhere in the answer
(a launcher never writes a supplied value into what it records).
"""

from __future__ import annotations

import json
from typing import Any

from envspec.conformance.cases import LauncherCase
from envspec.conformance.matching import match_diagnostics

__all__ = ["run_plan"]


def _request(case: LauncherCase) -> dict[str, Any]:
    request: dict[str, Any] = {"op": "plan", "environment": case.input.environment}
    if case.input.kernelspec is not None:
        request["kernelspec"] = case.input.kernelspec
    options = case.input.options.model_dump(exclude_defaults=True)
    if options:
        request["options"] = options
    return request


def _show(items: list[tuple[Any, Any]]) -> str:
    return ", ".join(f"{k}({f})" if f else str(k) for k, f in items) or "none"


def _steps(expected: list[Any], actual: object) -> list[str]:
    if not isinstance(actual, list):
        return [f"steps: expected an array, got {actual!r}"]
    want = [(s.kind, s.file) for s in expected]
    got = [(s.get("kind"), s.get("file")) for s in actual if isinstance(s, dict)]
    problems = []
    if want != got:
        problems.append(f"steps: expected {_show(want)}; got {_show(got)}")
        return problems
    for index, step in enumerate(expected):
        if step.image is not None and actual[index].get("image") != step.image:
            problems.append(
                f"steps/{index}: expected the image {step.image!r}, "
                f"got {actual[index].get('image')!r}"
            )
    return problems


def _names(what: str, expected: list[str], actual: object) -> list[str]:
    if not isinstance(actual, list) or sorted(map(str, actual)) != sorted(expected):
        return [f"{what}: expected {sorted(expected)}, got {actual!r}"]
    return []


def _leaked(case: LauncherCase, result: dict[str, Any]) -> list[str]:
    text = json.dumps(result, ensure_ascii=False)
    return [
        f"the value supplied for {name} appears in the answer: a launcher never records a "
        "supplied value"
        for name, value in case.input.options.variables.items()
        if len(value) >= 4 and value in text
    ]


def run_plan(case: LauncherCase, send: Any) -> Any:
    """The outcome of *case* (an :class:`~envspec.conformance.evaluate.Outcome`)."""
    from envspec.conformance.evaluate import _catching, _result, _verdict, severity_problems

    def run() -> Any:
        result = _result(send(_request(case)))
        expect = case.expect
        details: list[str] = []
        reported = result.get("diagnostics", [])
        errors = [d for d in reported if d.get("severity") == "error"]
        ok = result.get("ok")
        if ok != expect.ok:
            codes = ", ".join(d.get("code", "?") for d in errors) or "no error"
            details.append(
                f"expected the launch to be {'accepted' if expect.ok else 'refused'}, "
                f"the adapter said ok={ok!r} ({codes})"
            )
        if ok and errors:
            details.append("'ok' is true, yet the adapter reported errors")
        if ok is False and not errors:
            details.append("'ok' is false, yet the adapter reported no error")
        if expect.backend is not None and result.get("backend") != expect.backend:
            details.append(f"backend: expected {expect.backend!r}, got {result.get('backend')!r}")
        if expect.steps is not None:
            details += _steps(expect.steps, result.get("steps"))
        if expect.kernel is not None:
            kernel = result.get("kernel")
            name = kernel.get("name") if isinstance(kernel, dict) else None
            if name != expect.kernel:
                details.append(f"kernel: expected {expect.kernel!r}, got {name!r}")
        if expect.required is not None:
            details += _names("required", expect.required, result.get("required"))
        if expect.variables is not None:
            details += _names("variables", expect.variables, result.get("variables"))
        details += match_diagnostics(expect.diagnostics, reported, allow_extra=expect.allow_extra)
        details += severity_problems(reported)
        details += _leaked(case, result)
        return _verdict(details)

    return _catching(run)
