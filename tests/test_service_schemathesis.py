"""schemathesis against the deploy service's OpenAPI description: examples generated from
the description for every operation, sent to the real service on 127.0.0.1 (as a user
with a token), bounded in number.  No answer may be a server error, and every answer
must match the description: its status is one the operation lists, its content type is
the listed one, and its body matches the schema."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service_helpers import TOKENS, Service, start_service

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DESCRIPTION = REPO / "schemas" / "deploy-api-1.0.openapi.json"
#: Examples per operation (bounded: the suite runs on a shared machine).
EXAMPLES = int(os.environ.get("ENVSPEC_SCHEMATHESIS_EXAMPLES", "30"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    # One build at a time, few deployments per user: a generated notebook that happens to
    # be valid is built, and must not swamp the machine.
    folder = tmp_path_factory.mktemp("schemathesis")
    config = folder / "service.toml"
    config.write_text(
        "[service]\nmax_concurrent_builds = 1\nmax_deployments_per_user = 3\n", "utf-8"
    )
    running = start_service(folder / "svc", "--config", str(config))
    yield running
    running.stop(signal.SIGTERM)


def _operations() -> list[Any]:
    import schemathesis

    schema = schemathesis.openapi.from_dict(json.loads(DESCRIPTION.read_text("utf-8")))
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        # The log is a stream that lasts while a deployment builds: its answers are
        # checked by the API tests and the conformance suite instead.
        if operation.path.endswith("/log"):
            continue
        operations.append(operation)
    return operations


def test_the_description_covers_the_api():
    paths = {(op.method.upper(), op.path) for op in _operations()}
    assert {
        ("GET", "/api/v1/deployments"),
        ("POST", "/api/v1/deployments"),
        ("GET", "/api/v1/deployments/{deployment_id}"),
        ("DELETE", "/api/v1/deployments/{deployment_id}"),
        ("POST", "/api/v1/deployments/{deployment_id}/push"),
    } <= {(m, p.replace("{id}", "{deployment_id}")) for m, p in paths}


def _inputs(operation: Any) -> bool:
    """Whether the operation takes anything a negative example can get wrong."""
    return any(len(part) for part in (operation.body, operation.path_parameters, operation.query))


CASES = [
    pytest.param(op, mode, id=f"{op.method} {op.path} {mode}")
    for op in _operations()
    for mode in ("positive", "negative")
    if mode == "positive" or _inputs(op)
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
def test_generated_requests_get_no_server_error_and_answers_match_the_description(
    operation, mode, service
):
    """Positive: requests the description allows; negative: requests it does not (their
    answers are problem details the description lists, never a server error)."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    headers = {"Authorization": f"Bearer {TOKENS['alice']}"}
    base = service.url.rstrip("/")
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    def check(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        statuses.append(response.status_code)
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    check()
    assert statuses, "no request was sent"
    assert "Traceback" not in service.stderr
    assert TOKENS["alice"] not in service.stderr
