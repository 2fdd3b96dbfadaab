"""The deploy-handler API's OpenAPI description: generated from the models (drift-tested
like the schemas), every reference resolves, and the real service's answers match it."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from envspec.service.openapi import FILENAME, generate, generate_text
from service_helpers import Service, start_service

COMMITTED = Path(__file__).resolve().parents[1] / "schemas" / FILENAME
REGENERATE = (
    f"regenerate it with: python -m envspec.service.openapi > src/envspec/schemas/{FILENAME}"
)


def test_committed_description_matches_the_models() -> None:
    assert COMMITTED.read_text("utf-8") == generate_text(), (
        f"schemas/{FILENAME} is out of date; {REGENERATE}"
    )


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves_and_every_operation_is_described() -> None:
    document = generate()
    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.removeprefix("#/components/schemas/") in schemas
    operations = [
        op for path in document["paths"].values() for m, op in path.items() if m != "parameters"
    ]
    assert len({op["operationId"] for op in operations}) == len(operations) == 8
    for op in operations:
        assert op["summary"]
        assert op["responses"]
    # every error status an operation answers is a problem
    for op in operations:
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert "application/problem+json" in response["content"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("service"))
    yield running
    running.stop(signal.SIGTERM)


def validate(name: str, instance: Any) -> None:
    document = generate()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_answers_match_the_description(service: Service) -> None:
    validate("Health", service.request("GET", "health", user=None).json())
    validate("Versions", service.request("GET", "versions", user=None).json())
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    created = service.request(
        "POST",
        "api/v1/deployments",
        {"source": {"type": "notebook", "name": "a.ipynb", "notebook": notebook}},
    )
    assert created.status == 201
    validate("Deployment", created.json())
    validate("DeploymentList", service.request("GET", "api/v1/deployments").json())
    for response in (
        service.request("GET", "api/v1/deployments", user=None),
        service.request("POST", "api/v1/deployments", raw=b"{"),
        service.request("GET", "api/v1/deployments/nope"),
        service.request(
            "POST", "api/v1/deployments", {"source": {"type": "git", "url": "file:///x"}}
        ),
    ):
        assert response.status >= 400
        validate("Problem", response.json())
    bad = json.loads(json.dumps(created.json()))
    bad["status"] = "exploded"
    with pytest.raises(jsonschema.ValidationError):
        validate("Deployment", bad)


def test_the_reference_page_documents_every_member_and_code() -> None:
    import re

    from envspec.service.models import Deployment

    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "service-api.md").read_text("utf-8")
    spec = (root / "spec" / "deploy-api-1.0.md").read_text("utf-8")
    for name in Deployment.model_fields:
        assert f"`{name}`" in page, name
        assert f"`{name}`" in spec, name
    sources = "".join(
        (root / "src" / "envspec" / "service" / f).read_text("utf-8")
        for f in ("worker.py", "job.py", "gitpolicy.py", "handlers.py", "app.py", "pushback.py")
    )
    patterns = (
        r'(?:FetchError|PolicyError)\(\s*"([a-z-]+)"',
        r'_fail\(\s*[\w.]+,\s*"([a-z-]+)"',
        r'ProblemError\(\s*\d+,\s*"([a-z-]+)"',
        r'"code": "([a-z-]+)"',
    )
    codes = {code for pattern in patterns for code in re.findall(pattern, sources)}
    codes.discard("cancelled")  # a deployment stopped by its owner is stopped, not failed
    assert codes
    missing = sorted(c for c in codes if f"`{c}`" not in page)
    assert missing == []
