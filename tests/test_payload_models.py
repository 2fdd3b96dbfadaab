"""The payload models (payload_ver 1.0): what they accept, what they refuse with which
error type (the diagnostic code), and the committed JSON Schema generated from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from envspec.payloads._regex import backtracking_hazard
from envspec.payloads.migrations import PAYLOAD_REGISTRY, migrate_payload
from envspec.payloads.models import (
    BUILTIN_CATEGORIES,
    BuiltinPolicy,
    Deployment,
    DockerSource,
    GoogleSource,
    Payload,
    PayloadRef,
    RulesPolicy,
    quantity_value,
)
from envspec.schema import generate, load

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "payloads"

BASE: dict[str, Any] = {
    "payload_ver": "1.0",
    "name": "science",
    "image": {"type": "docker", "registry": "ghcr.io", "repository": "example/science"},
    "tags": {"policy": "semver"},
}


def payload(**members: Any) -> dict[str, Any]:
    return {**BASE, **members}


def error_types(data: dict[str, Any], model: Any = Payload) -> list[tuple[str, tuple[Any, ...]]]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [(e["type"], tuple(e["loc"])) for e in info.value.errors()]


def load_example(name: str) -> Any:
    return YAML(typ="safe").load((EXAMPLES / name).read_text("utf-8"))


# ------------------------------------------------------------------------------ accepted


def test_the_smallest_payload_is_an_image_with_a_tag_policy():
    model = Payload.model_validate(BASE)
    assert isinstance(model.image, DockerSource)
    assert isinstance(model.tags, BuiltinPolicy)
    assert model.build is None  # image only
    assert model.to_data() == BASE  # omitted stays omitted: nothing is added


@pytest.mark.parametrize("name", ["rsp-pipelines", "scientific-python", "ml-gpu"], ids=lambda n: n)
def test_every_example_payload_reads_and_round_trips(name):
    data = load_example(f"{name}.payload.yaml")
    model = Payload.model_validate(data)
    assert model.to_data() == data
    assert Payload.model_validate(model.to_data()) == model


def test_the_deployment_example_mixes_references_and_inline_payloads():
    model = Deployment.model_validate(load_example("platform.payload.yaml"))
    kinds = [type(p) for p in model.payloads]
    assert kinds == [PayloadRef, PayloadRef, PayloadRef, Payload]
    assert model.default == "rsp-pipelines"


def test_the_rsp_example_has_a_maintenance_rebuild_and_digest_pins():
    model = Payload.model_validate(load_example("rsp-pipelines.payload.yaml"))
    assert model.compatibility is not None
    assert model.compatibility.images
    rebuild = next(i for i in model.compatibility.images if i.rebuilds)
    assert (rebuild.tag, rebuild.rebuilds) == ("r23_0_2_rsp1", "r23_0_2")
    assert model.menu is not None
    assert model.menu.pins
    assert model.menu.pins[0].digest is not None
    assert model.categories() == BUILTIN_CATEGORIES["rsp"]


def test_user_defined_rules_give_their_categories_in_order():
    model = Payload.model_validate(load_example("ml-gpu.payload.yaml"))
    assert isinstance(model.tags, RulesPolicy)
    assert isinstance(model.image, GoogleSource)
    assert model.categories() == ("release", "nightly")
    assert model.lab is not None
    assert model.lab.sizes
    assert model.lab.sizes[1].gpu is not None
    assert model.lab.sizes[1].gpu.count == 1


def test_quantities_compare_by_value():
    assert quantity_value("1Gi") == 2**30
    assert quantity_value("1G") < quantity_value("1Gi")
    assert quantity_value("0.5") == 0.5
    Payload.model_validate(
        payload(
            lab={"sizes": [{"name": "s", "cpu": {}, "memory": {"request": "1G", "limit": "1Gi"}}]}
        )
    )


# ------------------------------------------------------------------------------ refused


def test_unknown_members_are_refused_in_1_0_at_any_depth():
    found = error_types(payload(menu={"dropdown": {"release": {"numbr": 3}}}))
    assert found == [("unknown-field", ())]


def test_unknown_members_are_kept_for_a_newer_minor():
    data = payload(payload_ver="1.4", future={"x": 1})
    assert Payload.model_validate(data).to_data()["future"] == {"x": 1}


def test_null_is_not_an_omitted_member():
    assert error_types(payload(title=None))[0][0] == "value_error"


@pytest.mark.parametrize(
    ("rules", "code", "where"),
    [
        ([{"pattern": "v(?P<x>[0-9]+", "category": "r"}], "payload-regex-invalid", "pattern"),
        ([{"pattern": "(a+)+", "category": "r"}], "payload-regex-backtracking", "pattern"),
        ([{"pattern": "v(?P<x>[0-9]+)"}], "missing", "category"),
        (
            [{"pattern": "v(?P<x>[0-9]+)", "category": "r", "sort": [{"group": "y"}]}],
            "payload-rule-group",
            None,
        ),
        (
            [
                {"name": "a", "pattern": "a", "category": "r"},
                {"name": "a", "pattern": "b", "category": "r"},
            ],
            "payload-duplicate-name",
            None,
        ),
    ],
)
def test_bad_rules_are_refused_with_their_code(rules, code, where):
    found = error_types(payload(tags={"policy": "rules", "rules": rules}))
    assert found[0][0] == code
    if where:
        assert found[0][1][-1] == where


@pytest.mark.parametrize(
    ("pattern", "hazard"),
    [
        (r"(a+)+", True),
        (r"(\w*-)*", True),
        (r"(?:x|y+){2,}", True),
        (r"(a|)*", True),
        (r"(?P<tag>.*?)_c(?P<cycle>\d+)", False),
        (r"r(?P<major>\d+)_(?P<minor>\d+)_(?P<patch>\d+)", False),
        (r"(?:_c(?P<cycle>\d+)\.(?P<build>\d+))?", False),
        (r"(?:[0-9]++\.)*", False),  # possessive: no backtracking
        (r"(?>a+)+", False),  # atomic
        (r"(ab)+", False),
    ],
)
def test_the_backtracking_rule(pattern, hazard):
    assert backtracking_hazard(pattern) is hazard


def test_limits_below_requests_are_refused_per_resource():
    size = {
        "name": "s",
        "cpu": {"request": "2", "limit": "1"},
        "memory": {"request": "4Gi", "limit": "2Gi"},
    }
    found = error_types(payload(lab={"sizes": [size]}))
    assert found == [
        ("payload-limit-below-request", ("lab", "sizes", 0, "cpu")),
        ("payload-limit-below-request", ("lab", "sizes", 0, "memory")),
    ]


@pytest.mark.parametrize(
    "env",
    [
        {"API_TOKEN": {"value": "hunter2-but-longer"}},
        {"GITHUB": {"value": "ghp_" + "a" * 36}},
        {"DB_URL": {"value": "postgres://user:pa55word@db.example.org/x"}},
    ],
)
def test_a_secret_given_as_a_value_is_refused(env):
    assert error_types(payload(lab={"env": env}))[0][0] == "payload-secret-value"


def test_secrets_by_reference_and_plain_values_are_fine():
    env = {
        "API_TOKEN": {"secret": {"store": "vault", "key": "lab/token"}},
        "HOME_URL": {"value": "https://example.org/home"},
        "REQUIRED_ONE": {"required": True},
    }
    Payload.model_validate(payload(lab={"env": env}))


@pytest.mark.parametrize(
    ("script", "where"),
    [
        ({"folder": "build", "run": "../install.sh"}, "run"),
        ({"folder": "../elsewhere", "run": "install.sh"}, "folder"),
        ({"folder": "/etc", "run": "install.sh"}, "folder"),
        ({"folder": "build", "run": "a/../../x.sh"}, "run"),
        ({"folder": "build", "run": "sub\\x.sh"}, "run"),
    ],
)
def test_an_install_script_may_not_leave_its_folder(script, where):
    found = error_types(payload(build={"script": script}))
    assert found == [("payload-path-escapes", ("build", "script", where))]


def test_a_script_inside_its_folder_is_fine():
    Payload.model_validate(payload(build={"script": {"folder": "build", "run": "sub/./x.sh"}}))


def test_an_empty_build_is_refused():
    assert error_types(payload(build={"python": "3.12"}))[0][0] == "payload-build-empty"


def test_menu_categories_must_belong_to_the_policy():
    found = error_types(payload(menu={"prepull": {"weekly": 2}}))  # semver has no weekly
    assert found[0][0] == "value_error"


def test_duplicate_payload_names_in_a_deployment():
    data = {"payload_ver": "1.0", "name": "d", "payloads": [BASE, BASE]}
    assert error_types(data, Deployment)[0][0] == "payload-duplicate-name"


# ------------------------------------------------------------------------------ schema


def test_the_committed_schema_is_generated_from_the_models():
    committed = json.loads((REPO / "schemas" / "payload-1.0.schema.json").read_text("utf-8"))
    assert committed == generate("payload:1.0") == load("payload:1.0")
    jsonschema.Draft202012Validator.check_schema(committed)


def test_field_docstrings_are_schema_descriptions():
    schema = load("payload:1.0")
    rule = schema["$defs"]["TagRule"]["properties"]
    assert "named groups" in rule["pattern"]["description"]
    assert schema["$defs"]["TagRule"]["required"] == ["pattern", "category"]
    assert schema["$defs"]["Payload"]["additionalProperties"] is False


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.payload.yaml")))
def test_the_schema_accepts_every_example(name):
    validator = jsonschema.Draft202012Validator(load("payload:1.0"))
    assert list(validator.iter_errors(load_example(name))) == []


def test_the_schema_refuses_an_unknown_member_and_a_missing_policy():
    validator = jsonschema.Draft202012Validator(load("payload:1.0"))
    assert list(validator.iter_errors(payload(colour="blue")))
    assert list(validator.iter_errors({**BASE, "tags": {}}))


# ------------------------------------------------------------------------------ migrations


def test_the_migration_registry_knows_1_0():
    assert PAYLOAD_REGISTRY.versions == ["1.0"]
    result = migrate_payload(BASE)
    assert result.document == BASE
    assert not result.changed
    assert result.document is not BASE


def test_migrating_an_unknown_version_is_refused():
    from envspec.migrations import MigrationError

    with pytest.raises(MigrationError) as info:
        migrate_payload({**BASE, "payload_ver": "2.0"})
    assert info.value.code == "payload-version-unknown"
