"""JSON Schemas of every ``env_ver``, generated from the models and shipped as package data.

The committed files (``schemas/`` at the repository root, the same files as
``envspec/schemas/`` in the package) are what validators use: this module
loads them without importing pydantic, and :func:`generate` rebuilds them from
the models (a test fails when the two differ).
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, Final

from envspec.versions import SUPPORTED

#: The ``payload_ver`` versions with a schema (``envspec.payloads.models.PAYLOAD_VERSIONS``,
#: repeated here so that loading a schema imports no model).
PAYLOAD_VERSIONS: Final = ("1.0",)

__all__ = ["PROTOCOL_MESSAGES", "SCHEMA_IDS", "generate", "generate_all", "load", "schema_filename"]

_BASE: Final = "https://envspec.dev/schemas/"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

#: The adapter protocol's messages (``spec/conformance.md``), each with its own schema.
PROTOCOL_MESSAGES: Final = (
    *(
        f"{op}-{part}"
        for op in (
            *("hello", "validate", "migrate", "pack", "unpack", "plan"),
            *("menu", "launch", "bye"),
            *("tokens", "service-log"),
            "repository",
        )
        for part in ("request", "result")
    ),
    "answer",
)

#: The stable ``$id`` of each schema.
SCHEMA_IDS: Final = (
    {v: f"{_BASE}environment-{v}.schema.json" for v in SUPPORTED}
    | {"diagnostics": f"{_BASE}diagnostics-1.schema.json"}
    | {"conformance-case": f"{_BASE}conformance-case-1.schema.json"}
    | {f"protocol:{m}": f"{_BASE}protocol-1.{m}.schema.json" for m in PROTOCOL_MESSAGES}
    | {f"payload:{v}": f"{_BASE}payload-{v}.schema.json" for v in PAYLOAD_VERSIONS}
)


def schema_filename(name: str) -> str:
    """File name of the schema of an ``env_ver`` (or ``"diagnostics"``, ``"payload:1.0"``)."""
    return SCHEMA_IDS[name].rsplit("/", 1)[1]


@cache
def load(name: str) -> dict[str, Any]:
    """The committed schema of *name* (an ``env_ver`` or ``"diagnostics"``)."""
    try:
        # Beside this module (importlib.resources costs more to import than this takes).
        path = os.path.join(os.path.dirname(__file__), "schemas", schema_filename(name))
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:  # a package that is not a folder of files (a zip)
        from importlib.resources import files

        text = files("envspec").joinpath("schemas", schema_filename(name)).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def generate(name: str) -> dict[str, Any]:
    """Build the schema of *name* from the models (imports pydantic)."""
    if name == "diagnostics":
        from pydantic import TypeAdapter

        from envspec.diagnostics import Diagnostic

        body = TypeAdapter(list[Diagnostic]).json_schema(mode="serialization")
        title = "envspec validate --format json"
        description = "The output of `envspec validate --format json`: every diagnostic, in order."
    elif name == "conformance-case":
        from pydantic import TypeAdapter

        from envspec.conformance.cases import Case

        body = TypeAdapter(list[Case]).json_schema(mode="validation")
        title = "envspec conformance case file"
        description = (
            "A file of conformance cases: a list of cases, each with its role, features, "
            "level, versions, spec section, input and expectation."
        )
    elif name.startswith("protocol:"):
        from envspec.conformance.protocol import MESSAGES, Envelope

        message = name.removeprefix("protocol:")
        op, _, part = message.rpartition("-")
        model = Envelope if message == "answer" else MESSAGES[op][part == "result"]
        body = model.model_json_schema(mode="validation")
        title = f"envspec adapter protocol 1: {message.replace('-', ' ')}"
        description = body.pop("description", "")
        body.pop("title", None)
    elif name.startswith("payload:"):
        from envspec.payloads.schema import payload_schema

        body = payload_schema(name.removeprefix("payload:"))
        title = f"envspec payload, payload_ver {name.removeprefix('payload:')}"
        description = body.pop("description", "")
    else:
        from envspec.models import MODELS

        body = MODELS[name].model_json_schema(mode="validation")
        title = f"envspec environment, env_ver {name}"
        description = body.pop("description", "")
        body.pop("title", None)
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_IDS[name],
        "title": title,
        "description": description,
        **body,
    }


def generate_all() -> dict[str, str]:
    """Every schema file's name and exact text."""
    return {
        schema_filename(name): json.dumps(generate(name), indent=2, ensure_ascii=False) + "\n"
        for name in SCHEMA_IDS
    }
