"""The plain reading of a schema, keyword by keyword, as it walks the instance.

This is what :func:`envspec._jsonschema.iter_errors` must do, stated as
directly as possible; the validator compiles the same rules into closures, and
the tests check that both give the same errors in the same order.  Nothing
imports this module at run time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from envspec._jsonschema import (
    _SUPPORTED,
    SchemaError,
    UnsupportedSchema,
    _branch_type,
    _regex,
    _resolve,
    _short,
    _type_ok,
    describe_type,
)

__all__ = ["reference_errors"]


def reference_errors(instance: object, schema: dict[str, Any]) -> Iterator[SchemaError]:
    """Every violation of *schema* by *instance*, reading the schema as it goes (the
    reference for :func:`iter_errors`)."""
    yield from _check(instance, schema, schema, ())


def _check(
    value: object, schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]
) -> Iterator[SchemaError]:
    unknown = schema.keys() - _SUPPORTED
    if unknown:
        raise UnsupportedSchema(f"unsupported keywords {sorted(unknown)}")
    if "$ref" in schema:
        yield from _check(value, _resolve(schema["$ref"], root), root, path)
    if "anyOf" in schema:
        branches = schema["anyOf"]
        if not any(not any(True for _ in _check(value, b, root, path)) for b in branches):
            # Report the branch whose type matches, if one does: its message is precise.
            typed = [b for b in branches if _branch_type_matches(value, b, root)]
            if len(typed) == 1:
                yield from _check(value, typed[0], root, path)
            else:
                names = [_branch_type(b, root) for b in branches]
                wanted = " or ".join(describe_type(n) for n in names if n)
                yield SchemaError(path, "type", f"{_short(value)} is not {wanted}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            wanted = " or ".join(describe_type(t) for t in types)
            yield SchemaError(path, "type", f"{_short(value)} is not {wanted}")
            return
    if "const" in schema and value != schema["const"]:
        yield SchemaError(path, "const", f"{_short(value)} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        yield SchemaError(path, "enum", f"{_short(value)} is not one of {schema['enum']!r}")
    if isinstance(value, str):
        yield from _check_string(value, schema, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield from _check_number(value, schema, path)
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            yield SchemaError(path, "minItems", f"needs at least {schema['minItems']} item(s)")
        if "items" in schema:
            for index, item in enumerate(value):
                yield from _check(item, schema["items"], root, (*path, index))
    elif isinstance(value, dict):
        yield from _check_object(value, schema, root, path)


def _check_string(
    value: str, schema: dict[str, Any], path: tuple[str | int, ...]
) -> Iterator[SchemaError]:
    if "minLength" in schema and len(value) < schema["minLength"]:
        yield SchemaError(
            path,
            "minLength",
            "must not be empty"
            if schema["minLength"] == 1
            else f"{_short(value)} is shorter than {schema['minLength']}",
        )
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        yield SchemaError(path, "maxLength", f"is longer than {schema['maxLength']} characters")
    if "pattern" in schema and not _regex(schema["pattern"]).search(value):
        yield SchemaError(path, "pattern", f"{_short(value)} does not match {schema['pattern']!r}")


def _check_number(
    value: float, schema: dict[str, Any], path: tuple[str | int, ...]
) -> Iterator[SchemaError]:
    if "minimum" in schema and value < schema["minimum"]:
        yield SchemaError(path, "minimum", f"{value!r} is less than {schema['minimum']!r}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        yield SchemaError(
            path,
            "exclusiveMinimum",
            f"{value!r} must be greater than {schema['exclusiveMinimum']!r}",
        )
    if "maximum" in schema and value > schema["maximum"]:
        yield SchemaError(path, "maximum", f"{value!r} is greater than {schema['maximum']!r}")


def _check_object(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]
) -> Iterator[SchemaError]:
    for name in schema.get("required", ()):
        if name not in value:
            yield SchemaError(path, "required", f"{name!r} is a required field", key=name)
    properties: dict[str, Any] = schema.get("properties", {})
    additional = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for key, item in value.items():
        if names is not None:
            for err in _check(key, names, root, (*path, key)):
                yield SchemaError(err.path, "propertyNames", err.message, key=key)
        if key in properties:
            yield from _check(item, properties[key], root, (*path, key))
        elif additional is False:
            yield SchemaError(
                (*path, key), "additionalProperties", f"{key!r} is not a known field", key=key
            )
        elif isinstance(additional, dict):
            yield from _check(item, additional, root, (*path, key))


def _branch_type_matches(value: object, branch: dict[str, Any], root: dict[str, Any]) -> bool:
    t = _branch_type(branch, root)
    return t is not None and _type_ok(value, t)
