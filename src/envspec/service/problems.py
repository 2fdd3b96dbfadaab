"""Problem details (RFC 9457): every error the API answers.

Raise :class:`ProblemError` anywhere in a handler; the base handler of
:mod:`envspec.service.app` writes it as ``application/problem+json``::

    {"type": "about:blank", "title": "Not Found", "status": 404,
     "detail": "no deployment 'x' of yours", "code": "not-found"}

The codes of the API: ``invalid-json`` and ``invalid-request`` (400), ``unauthenticated``
(401), ``not-found`` (404), ``method-not-allowed`` (405), ``too-large`` (413),
``unsupported-media-type`` (415), ``forbidden-url`` and ``invalid-path`` (422), ``conflict``
(409), ``too-many-deployments`` (429), ``internal-error`` (500).  A detail never holds a
token or a credential (it goes through :func:`envspec.checks.secrets.redact`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

__all__ = ["CONTENT_TYPE", "ProblemError", "problem_body"]

CONTENT_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error answered as problem details."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        from envspec.checks.secrets import redact

        self.status = status
        self.code = code
        self.detail = redact(detail)
        self.extra = extra
        super().__init__(f"{status} {code}: {self.detail}")

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.detail, **self.extra)


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON object of a problem."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    return {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
