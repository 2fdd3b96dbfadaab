"""The OpenAPI 3.1 description of the deploy-handler API, generated from
:mod:`envspec.service.models`.

``schemas/deploy-api-1.0.openapi.json`` is :func:`generate_text` (a test keeps them equal;
regenerate with ``python -m envspec.service.openapi >
src/envspec/schemas/deploy-api-1.0.openapi.json``).
The paths are written here; every schema comes from a model.
"""

from __future__ import annotations

import json
import sys
from typing import Any

__all__ = ["FILENAME", "generate", "generate_text"]

FILENAME = "deploy-api-1.0.openapi.json"

_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _problems(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "invalid-json or invalid-request",
        401: "unauthenticated: no token, or not a valid one",
        404: "not-found: no such deployment of the caller's (another user's is not found either)",
        409: "conflict: the deployment cannot do that now",
        413: "too-large: the body is larger than the service's limit",
        415: "unsupported-media-type: the body is not application/json",
        422: "forbidden-url or invalid-path; secret: a pushed notebook's environment holds one",
        429: "too-many-deployments: the caller's limit is reached",
        502: "push-failed: the forge refused the push",
    }
    return {str(s): {"description": texts[s], "content": _PROBLEM} for s in statuses}


_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9A-Za-z_-]{1,64}$"},
}


def _paths() -> dict[str, Any]:
    auth: list[dict[str, list[str]]] = [{"bearer": []}]
    return {
        "/health": {
            "get": {
                "operationId": "health",
                "summary": "Whether the service runs",
                "security": [],
                "responses": {"200": {"description": "It runs", "content": _json("Health")}},
            }
        },
        "/versions": {
            "get": {
                "operationId": "versions",
                "summary": "The versions of envspec and of this API",
                "security": [],
                "responses": {"200": {"description": "Versions", "content": _json("Versions")}},
            }
        },
        "/api/v1/deployments": {
            "get": {
                "operationId": "listDeployments",
                "summary": "The caller's deployments, newest first",
                "security": auth,
                "responses": {
                    "200": {"description": "The list", "content": _json("DeploymentList")},
                    **_problems(401),
                },
            },
            "post": {
                "operationId": "createDeployment",
                "summary": "Deploy a notebook: uploaded, or from a git repository",
                "security": auth,
                "requestBody": {"required": True, "content": _json("CreateDeployment")},
                "responses": {
                    "201": {
                        "description": "Created (queued); Location names it",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": _json("Deployment"),
                    },
                    **_problems(400, 401, 413, 415, 422, 429),
                },
            },
        },
        "/api/v1/deployments/{id}": {
            "parameters": [_ID],
            "get": {
                "operationId": "getDeployment",
                "summary": "One of the caller's deployments",
                "security": auth,
                "responses": {
                    "200": {"description": "The deployment", "content": _json("Deployment")},
                    **_problems(401, 404),
                },
            },
            "delete": {
                "operationId": "deleteDeployment",
                "summary": "Stop it (its build or its server); its status becomes stopped",
                "security": auth,
                "responses": {"204": {"description": "Stopped"}, **_problems(401, 404)},
            },
        },
        "/api/v1/deployments/{id}/log": {
            "parameters": [
                _ID,
                {
                    "name": "after",
                    "in": "query",
                    "required": False,
                    "description": "Resume after this line number (as Last-Event-ID)",
                    "schema": {"type": "integer", "minimum": 0},
                },
            ],
            "get": {
                "operationId": "deploymentLog",
                "summary": "The build log as server-sent events",
                "description": (
                    "`event: log` with `id: N` and `data:` a LogLine; `event: status` with "
                    "`data:` a Deployment. The stream ends after a terminal status "
                    "(ready, failed, stopped)."
                ),
                "security": auth,
                "responses": {
                    "200": {
                        "description": "The event stream",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_problems(400, 401, 404),
                },
            },
        },
        "/api/v1/deployments/{id}/push": {
            "parameters": [_ID],
            "post": {
                "operationId": "pushDeployment",
                "summary": "Commit the session's changes to a new branch of the origin",
                "security": auth,
                "requestBody": {"required": False, "content": _json("PushRequest")},
                "responses": {
                    "200": {"description": "Pushed", "content": _json("PushResult")},
                    **_problems(400, 401, 404, 409, 413, 422, 502),
                },
            },
        },
    }


def generate() -> dict[str, Any]:
    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode, models_json_schema

    from envspec.service import models
    from envspec.service.models import API_VERSION

    named: list[type[BaseModel]] = [
        models.CreateDeployment,
        models.Deployment,
        models.DeploymentList,
        models.LogLine,
        models.PushRequest,
        models.PushResult,
        models.Problem,
        models.Health,
        models.Versions,
    ]
    modes: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (m, "validation" if m is models.CreateDeployment else "serialization") for m in named
    ]
    _, schema = models_json_schema(
        modes,
        ref_template="#/components/schemas/{model}",
    )
    components = dict(sorted(schema.get("$defs", {}).items()))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "envspec deploy-handler API",
            "version": API_VERSION,
            "description": (
                "What any envspec cloud implements (spec/deploy-api-1.0.md): deploy a "
                "notebook, follow its build, open it, push its changes back."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/", "description": "The service's prefix"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Also accepted as 'Authorization: token TOKEN'",
                }
            },
        },
    }


def generate_text() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(generate_text())
