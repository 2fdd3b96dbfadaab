"""The JSON Schema of a payload file: a payload or a deployment of several payloads."""

from __future__ import annotations

from typing import Any

__all__ = ["payload_schema"]


def payload_schema(version: str) -> dict[str, Any]:
    """The schema body of *version* (``$defs`` of every model, and one of the two documents)."""
    from pydantic import TypeAdapter

    from envspec.payloads.models import PAYLOAD_VERSIONS, Deployment, Payload

    if version not in PAYLOAD_VERSIONS:
        raise KeyError(version)
    body = TypeAdapter(Payload | Deployment).json_schema(mode="validation")
    body["description"] = (
        "A payload a spawner offers (payload_ver 1.0), or a deployment offering several "
        "(a document with `payloads`). Normative text: spec/payload-1.0.md."
    )
    return body
