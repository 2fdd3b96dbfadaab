"""A small JSON Schema (2020-12) validator for envspec's own generated schemas.

``envspec validate`` runs on every commit, and importing a general validator
(or pydantic) costs more than checking a thousand environments.  The schemas
envspec generates use a small subset of the vocabulary; this module
implements exactly that subset and refuses any other keyword, so it can never
silently skip a rule.  The test suite checks that it agrees with the reference
``jsonschema`` implementation.

:func:`iter_errors` compiles each schema once into closures.
:func:`envspec._jsonschema_reference.reference_errors` reads the schema as it
walks the instance instead: it is the plain statement of what each keyword
does, and tests check that both give the same errors.  A schema must not
change once it has been used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["SchemaError", "UnsupportedSchema", "compiled", "iter_errors"]

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}
)
_SUPPORTED = _ANNOTATIONS | {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "propertyNames",
    "items",
    "minItems",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "anyOf",
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword this validator does not implement."""


@dataclass(frozen=True, slots=True)
class SchemaError:
    """One violation: where in the instance, which keyword, and a bare message."""

    path: tuple[str | int, ...]
    keyword: str
    message: str
    #: For ``additionalProperties``/``propertyNames``/``required``: the key concerned.
    key: str | None = None


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    # Patterns are ECMA-262 regular expressions, where "$" matches only at the end
    # of the string; Python's "$" also matches before a final newline ("3.12\n").
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _type_ok(value: object, name: str) -> bool:
    match name:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "integer":
            # JSON has one number type: 1.0 is an integer (JSON Schema 2020-12, 6.1.1).
            return (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, float) and value.is_integer()
            )
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "boolean":
            return isinstance(value, bool)
        case "null":
            return value is None
    raise UnsupportedSchema(f"unknown type {name!r}")


_ARTICLE = {"object": "an object", "array": "an array", "integer": "an integer"}


def describe_type(name: str) -> str:
    """``'a string'``, ``'an object'``..."""
    return _ARTICLE.get(name, f"a {name}")


def json_type(value: object) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/$defs/"):
        raise UnsupportedSchema(f"only local '#/$defs/' references are supported, not {ref!r}")
    target: dict[str, Any] = root["$defs"][ref.removeprefix("#/$defs/")]
    return target


def _branch_type(branch: dict[str, Any], root: dict[str, Any]) -> str | None:
    if "$ref" in branch:
        return _branch_type(_resolve(branch["$ref"], root), root)
    t = branch.get("type")
    return t if isinstance(t, str) else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ the compiled validator
#
# Each subschema is read once into a closure that appends to a list: no keyword
# lookups, generators or set operations per value.  The reference reading
# (_jsonschema_reference.py) says what the closures must do; tests check that
# both give the same errors, in the same order, on many documents.

_Path = tuple[str | int, ...]
_Check = Callable[[Any, _Path, list[SchemaError]], None]
_COMPILED: dict[int, tuple[dict[str, Any], _Check]] = {}


def iter_errors(instance: object, schema: dict[str, Any]) -> Iterator[SchemaError]:
    """Every violation of *schema* (a root schema with local ``$defs``) by *instance*."""
    check = compiled(schema)
    errors: list[SchemaError] = []
    check(instance, (), errors)
    yield from errors


def compiled(schema: dict[str, Any]) -> _Check:
    """*schema* compiled (once: later calls with the same object return the same check)."""
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_COMPILED) >= 16:
            _COMPILED.clear()
        entry = _COMPILED[id(schema)] = (schema, _Compiler(schema).compile(schema))
    return entry[1]


def _type_test(name: str) -> Callable[[Any], bool]:
    _type_ok(None, name)  # raises for an unknown type
    match name:
        case "object":
            return lambda value: isinstance(value, dict)
        case "array":
            return lambda value: isinstance(value, list)
        case "string":
            return lambda value: isinstance(value, str)
        case "null":
            return lambda value: value is None
    return lambda value: _type_ok(value, name)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, _Check] = {}

    def compile(self, schema: dict[str, Any]) -> _Check:
        unknown = schema.keys() - _SUPPORTED
        if unknown:
            raise UnsupportedSchema(f"unsupported keywords {sorted(unknown)}")
        before: list[_Check] = []
        if "$ref" in schema:
            before.append(self._ref(schema["$ref"]))
        if "anyOf" in schema:
            before.append(self._any_of(schema["anyOf"]))
        after = [
            step
            for step in (
                _const(schema),
                _enum(schema),
                _string(schema),
                _number(schema),
                self._array(schema),
                self._object(schema),
            )
            if step is not None
        ]
        if "type" not in schema:
            return _sequence([*before, *after])
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        tests = [_type_test(t) for t in types]
        wanted = " or ".join(describe_type(t) for t in types)

        def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
            for step in before:
                step(value, path, errors)
            for test in tests:
                if test(value):
                    break
            else:
                errors.append(SchemaError(path, "type", f"{_short(value)} is not {wanted}"))
                return
            for step in after:
                step(value, path, errors)

        return check

    def _ref(self, ref: str) -> _Check:
        name = ref.removeprefix("#/$defs/")
        target = _resolve(ref, self.root)
        if name in self.refs:
            return self.refs[name]
        compiled: list[_Check] = []

        def later(value: Any, path: _Path, errors: list[SchemaError]) -> None:
            compiled[0](value, path, errors)  # a reference met while compiling its target

        self.refs[name] = later
        compiled.append(self.compile(target))
        self.refs[name] = compiled[0]
        return compiled[0]

    def _any_of(self, branches: list[dict[str, Any]]) -> _Check:
        checks = [self.compile(b) for b in branches]
        names = [_branch_type(b, self.root) for b in branches]
        typed = [(check, _type_test(n)) for check, n in zip(checks, names, strict=True) if n]
        wanted = " or ".join(describe_type(n) for n in names if n)

        def any_of(value: Any, path: _Path, errors: list[SchemaError]) -> None:
            for check in checks:
                trial: list[SchemaError] = []
                check(value, path, trial)
                if not trial:
                    return
            # Report the branch whose type matches, if one does: its message is precise.
            matching = [check for check, test in typed if test(value)]
            if len(matching) == 1:
                matching[0](value, path, errors)
            else:
                errors.append(SchemaError(path, "type", f"{_short(value)} is not {wanted}"))

        return any_of

    def _array(self, schema: dict[str, Any]) -> _Check | None:
        if "minItems" not in schema and "items" not in schema:
            return None
        least = schema.get("minItems")
        items = self.compile(schema["items"]) if "items" in schema else None

        def array(value: Any, path: _Path, errors: list[SchemaError]) -> None:
            if not isinstance(value, list):
                return
            if least is not None and len(value) < least:
                errors.append(SchemaError(path, "minItems", f"needs at least {least} item(s)"))
            if items is not None:
                for index, item in enumerate(value):
                    items(item, (*path, index), errors)

        return array

    def _object(self, schema: dict[str, Any]) -> _Check | None:
        keywords = ("required", "properties", "additionalProperties", "propertyNames")
        if not any(k in schema for k in keywords):
            return None
        required = list(schema.get("required", ()))
        properties = {k: self.compile(v) for k, v in schema.get("properties", {}).items()}
        additional = schema.get("additionalProperties", True)
        closed = additional is False
        others = self.compile(additional) if isinstance(additional, dict) else None
        names = self.compile(schema["propertyNames"]) if "propertyNames" in schema else None

        def obj(value: Any, path: _Path, errors: list[SchemaError]) -> None:
            if not isinstance(value, dict):
                return
            for name in required:
                if name not in value:
                    message = f"{name!r} is a required field"
                    errors.append(SchemaError(path, "required", message, key=name))
            for key, item in value.items():
                if names is not None:
                    wrong: list[SchemaError] = []
                    names(key, (*path, key), wrong)
                    for err in wrong:
                        errors.append(SchemaError(err.path, "propertyNames", err.message, key=key))
                check = properties.get(key)
                if check is not None:
                    check(item, (*path, key), errors)
                elif closed:
                    message = f"{key!r} is not a known field"
                    errors.append(
                        SchemaError((*path, key), "additionalProperties", message, key=key)
                    )
                elif others is not None:
                    others(item, (*path, key), errors)

        return obj


def _sequence(steps: list[_Check]) -> _Check:
    if len(steps) == 1:
        return steps[0]

    def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
        for step in steps:
            step(value, path, errors)

    return check


def _const(schema: dict[str, Any]) -> _Check | None:
    if "const" not in schema:
        return None
    const = schema["const"]

    def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
        if value != const:
            errors.append(SchemaError(path, "const", f"{_short(value)} is not {const!r}"))

    return check


def _enum(schema: dict[str, Any]) -> _Check | None:
    if "enum" not in schema:
        return None
    enum = schema["enum"]

    def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
        if value not in enum:
            errors.append(SchemaError(path, "enum", f"{_short(value)} is not one of {enum!r}"))

    return check


def _string(schema: dict[str, Any]) -> _Check | None:
    if not {"minLength", "maxLength", "pattern"} & schema.keys():
        return None
    least, most = schema.get("minLength"), schema.get("maxLength")
    pattern = schema.get("pattern")
    search = _regex(pattern).search if pattern is not None else None

    def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
        if not isinstance(value, str):
            return
        if least is not None and len(value) < least:
            message = (
                "must not be empty" if least == 1 else f"{_short(value)} is shorter than {least}"
            )
            errors.append(SchemaError(path, "minLength", message))
        if most is not None and len(value) > most:
            errors.append(SchemaError(path, "maxLength", f"is longer than {most} characters"))
        if search is not None and not search(value):
            message = f"{_short(value)} does not match {pattern!r}"
            errors.append(SchemaError(path, "pattern", message))

    return check


def _number(schema: dict[str, Any]) -> _Check | None:
    if not {"minimum", "exclusiveMinimum", "maximum"} & schema.keys():
        return None
    least, above, most = (schema.get(k) for k in ("minimum", "exclusiveMinimum", "maximum"))

    def check(value: Any, path: _Path, errors: list[SchemaError]) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return
        if least is not None and value < least:
            errors.append(SchemaError(path, "minimum", f"{value!r} is less than {least!r}"))
        if above is not None and value <= above:
            message = f"{value!r} must be greater than {above!r}"
            errors.append(SchemaError(path, "exclusiveMinimum", message))
        if most is not None and value > most:
            errors.append(SchemaError(path, "maximum", f"{value!r} is greater than {most!r}"))

    return check
