"""Whether a payload document is certainly valid, without pydantic.

``envspec payload validate`` must start as fast as ``envspec validate``, and importing
the pydantic models costs more than checking a file.  Most files checked (on every
commit) are valid, so this module answers one question: does the document conform to
the committed schema (``payload-1.0.schema.json``), and does it pass each check the
models make beyond the schema (the same rules, written on plain data)?  When it does,
the models would report nothing, and they are not imported.  When anything is off, or
the document uses a keyword this walker does not know, the answer is "not certain" and
the models give the diagnostics: the diagnostics are the same either way, because they
always come from one place.

Every model validator has its counterpart in :data:`_SEMANTIC` (a test compares the
list with the models' own).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Final

__all__ = ["certainly_valid"]

#: Keywords that say nothing about validity.
_ANNOTATIONS: Final = frozenset(
    {"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"}
)
#: The same patterns as the models (a test compares them).
ENV_VAR_NAME: Final = r"^[A-Za-z_][A-Za-z0-9_]*$"
BUILTIN_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "rsp": ("alias", "release", "weekly", "daily", "candidate", "experimental", "unknown"),
    "semver": ("alias", "release", "prerelease", "unknown"),
    "calver": ("alias", "release", "prerelease", "unknown"),
}


def certainly_valid(document: dict[str, Any]) -> bool:
    """Whether the models would accept *document* (a payload_ver 1.0 document) with no
    error.  False means only "not certain"."""
    from envspec.schema import load

    root = load("payload:1.0")
    name = "Deployment" if "payloads" in document else "Payload"
    try:
        return _ok(document, {"$ref": f"#/$defs/{name}"}, root)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError):
        return False


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _type_ok(value: object, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "boolean":
        return isinstance(value, bool)
    return False  # null: the models never take it (an optional field is omitted)


def _ok(data: object, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    for key, value in schema.items():
        if key in _ANNOTATIONS:
            continue
        if key == "$ref":
            name = value.rsplit("/", 1)[1]
            if not _ok(data, root["$defs"][name], root):
                return False
            check = _SEMANTIC.get(name)
            if check is not None and not check(data):
                return False
        elif key == "type":
            names = value if isinstance(value, list) else [value]
            if not any(_type_ok(data, n) for n in names):
                return False
        elif key == "enum":
            if not any(data == v and type(data) is type(v) for v in value):
                return False
        elif key == "const":
            if not (data == value and type(data) is type(value)):
                return False
        elif key in ("anyOf", "oneOf"):
            if schema.get("discriminator"):
                if not _discriminated(data, schema, root):
                    return False
            else:
                matches = sum(1 for branch in value if _ok(data, branch, root))
                if matches == 0 or (key == "oneOf" and matches > 1):
                    return False
        elif key in ("discriminator", "mapping", "propertyName"):
            continue  # read with oneOf
        elif isinstance(data, dict) and key in _OBJECT:
            if not _object(data, schema, root):
                return False
        elif isinstance(data, list) and key in ("items", "minItems"):
            if key == "minItems" and len(data) < value:
                return False
            if key == "items" and not all(_ok(item, value, root) for item in data):
                return False
        elif isinstance(data, str) and key in ("pattern", "minLength", "maxLength"):
            if not _string_ok(data, key, value):
                return False
        elif key in ("minimum",) and not isinstance(data, bool):
            if isinstance(data, (int, float)) and data < value:
                return False
        elif key in _OBJECT or key in ("items", "minItems", "pattern", "minLength", "maxLength"):
            continue  # the keyword applies to another type only
        else:
            return False  # a keyword this walker does not know: not certain
    return True


def _string_ok(data: str, key: str, value: Any) -> bool:
    if key == "pattern":
        # The models' regex engine has no '$' before a final line break.
        return "\n" not in data and _regex(value).search(data) is not None
    if key == "minLength":
        return bool(len(data) >= value)
    return bool(len(data) <= value)


_OBJECT: Final = frozenset(
    {"properties", "required", "additionalProperties", "patternProperties", "propertyNames"}
)


def _object(data: dict[str, Any], schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if any(not isinstance(k, str) or v is None for k, v in data.items()):
        return False
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    names = schema.get("propertyNames")
    extra = schema.get("additionalProperties", True)
    if any(k not in data for k in schema.get("required", ())):
        return False
    for key, value in data.items():
        if names is not None and not _ok(key, names, root):
            return False
        matched = False
        if key in properties:
            matched = True
            if not _ok(value, properties[key], root):
                return False
        for pattern, sub in patterns.items():
            if _regex(pattern).search(key):
                matched = True
                if not _ok(value, sub, root):
                    return False
        if not matched:
            if extra is False:
                return False
            if isinstance(extra, dict) and not _ok(value, extra, root):
                return False
    return True


def _discriminated(data: object, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    spec = schema["discriminator"]
    if not isinstance(data, dict) or spec.get("propertyName") not in data:
        return False
    target = spec.get("mapping", {}).get(data[spec["propertyName"]])
    return isinstance(target, str) and _ok(data, {"$ref": target}, root)


# --------------------------------------------------------------- the models' own checks


def _escapes(path: object) -> bool:
    from envspec.payloads._paths import escape_reason

    return not isinstance(path, str) or bool(escape_reason(path))


def _unique(items: Iterable[Any], key: str) -> bool:
    names = [item if isinstance(item, str) else item.get(key) for item in items]
    names = [n for n in names if n is not None]
    return len(names) == len(set(names))


def _secret_in(value: str) -> bool:
    from envspec.checks.secrets import may_find, scan_text, url_credentials

    if not may_find(value) and "://" not in value:
        return False
    return any(True for _ in scan_text(value, (), positions=False)) or bool(url_credentials(value))


def _install_script(data: dict[str, Any]) -> bool:
    return not _escapes(data["folder"]) and not _escapes(data["run"])


def _build(data: dict[str, Any]) -> bool:
    from envspec.vocabulary import FILES

    files = data.get("files") or {}
    paths = data.get("file_paths") or {}
    if not (files or paths or "script" in data or "base" in data):
        return False
    if set(files) & set(paths) or any(name not in FILES for name in (*files, *paths)):
        return False
    return not any(_escapes(p) for p in paths.values())


def _kernel(data: dict[str, Any]) -> bool:
    method = data["method"]
    if method == "wrapper" and not data.get("wrapper"):
        return False
    return not (method == "ipykernel" and data.get("wrapper"))


def _env_var(data: dict[str, Any]) -> bool:
    return not ("secret" in data and "value" in data)


def _lab_file(data: dict[str, Any]) -> bool:
    if ("content" in data) == ("secret" in data):
        return False
    return "content" not in data or not _secret_in(data["content"])


def _quantity(text: str) -> float:
    from envspec.payloads._units import quantity_value

    return quantity_value(text)


def _range(data: dict[str, Any]) -> bool:
    request, limit = data.get("request"), data.get("limit")
    return not (request and limit and _quantity(limit) < _quantity(request))


def _volume(data: dict[str, Any]) -> bool:
    needs = {"nfs": ("server", "path"), "pvc": ("claim",), "host-path": ("path",)}
    return all(field in data for field in needs.get(data["source"], ()))


def _lab(data: dict[str, Any]) -> bool:
    from envspec.checks.secrets import SECRET_NAME

    for name, var in (data.get("env") or {}).items():
        if not re.search(ENV_VAR_NAME, name):
            return False
        value = var.get("value")
        if value is None:
            continue
        if _secret_in(value) or (SECRET_NAME.search(name) and value.strip()):
            return False
    sizes = data.get("sizes") or []
    volumes = data.get("volumes") or []
    if not (
        _unique(sizes, "name")
        and _unique(volumes, "name")
        and _unique([v["mount_path"] for v in volumes], "")
        and _unique(data.get("files") or [], "path")
    ):
        return False
    default = data.get("default_size")
    return not default or default in {s["name"] for s in sizes}


def _tag_rule(data: dict[str, Any]) -> bool:
    from envspec.payloads import _regex as rx

    pattern = data["pattern"]
    if rx.compile_error(pattern) or rx.backtracking_hazard(pattern):
        return False
    groups = set(rx.group_names(pattern))
    used = [key["group"] for key in data.get("sort") or ()]
    display = data.get("display")
    if display:
        used += [f for _, f, _, _ in string.Formatter().parse(display) if f]
    return all(group in groups for group in used)


def _rules_policy(data: dict[str, Any]) -> bool:
    return _unique(data["rules"], "name") and _unique(data.get("categories") or [], "")


def _bot_name(data: dict[str, Any]) -> bool:
    return ("latest" in data) != ("tag" in data)


def _menu(data: dict[str, Any]) -> bool:
    return _unique(data.get("pins") or [], "tag") and _unique(data.get("aliases") or [], "")


def _compatibility(data: dict[str, Any]) -> bool:
    images = data.get("images") or []
    return _unique(images, "tag") and not any(i.get("rebuilds") == i["tag"] for i in images)


def _payload(data: dict[str, Any]) -> bool:
    tags = data["tags"]
    if tags["policy"] in BUILTIN_CATEGORIES:
        known = set(BUILTIN_CATEGORIES[tags["policy"]])
    else:
        known = set(tags.get("categories") or [rule["category"] for rule in tags["rules"]])
    known |= {"alias", "unknown"}
    menu = data.get("menu") or {}
    named = [*(menu.get("prepull") or {}), *(menu.get("dropdown") or {})]
    named += [b["latest"] for b in (menu.get("bot_names") or {}).values() if b.get("latest")]
    return all(category in known for category in named)


def _payload_ref(data: dict[str, Any]) -> bool:
    return not _escapes(data["path"])


def _deployment(data: dict[str, Any]) -> bool:
    items = data["payloads"]
    payloads = [p for p in items if "path" not in p]
    names = [p["name"] for p in payloads]
    refs = len(payloads) < len(items)
    default = data.get("default")
    if default and not refs and default not in names:
        return False
    return _unique(payloads, "name") and _unique([p for p in items if "path" in p], "path")


#: Each model with checks beyond the schema, by its name in the schema's ``$defs``.
_SEMANTIC: Final[dict[str, Callable[[Any], bool]]] = {
    "InstallScript": _install_script,
    "Build": _build,
    "KernelProvision": _kernel,
    "EnvVar": _env_var,
    "LabFile": _lab_file,
    "Range": _range,
    "Volume": _volume,
    "Lab": _lab,
    "TagRule": _tag_rule,
    "RulesPolicy": _rules_policy,
    "BotName": _bot_name,
    "Menu": _menu,
    "Compatibility": _compatibility,
    "Payload": _payload,
    "PayloadRef": _payload_ref,
    "Deployment": _deployment,
}
