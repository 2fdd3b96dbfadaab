"""Checking payload files: bytes in, diagnostics out (what ``envspec payload validate`` runs).

>>> from envspec.payloads.validate import validate_payload_paths
>>> validate_payload_paths(["examples/payloads/"]).ok()      # doctest: +SKIP
True

A payload file is named ``*.payload.yaml``, ``*.payload.yml`` or ``*.payload.json``;
folders are searched for those names.  ``envspec validate`` does not read them (its folder
walk takes notebooks and ``*.envspec.*`` files only), so one repository holds both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from envspec.diagnostics import Code, Finding
from envspec.validate import FileReport, ValidationResult, _diagnostic, _unreadable

__all__ = [
    "PAYLOAD_SUFFIXES",
    "check_payload",
    "document_kind",
    "is_payload_file",
    "validate_payload_bytes",
    "validate_payload_paths",
]

#: The file names ``envspec payload validate`` reads, and how.
PAYLOAD_SUFFIXES: dict[str, Literal["envfile-yaml", "envfile-json"]] = {
    ".payload.yaml": "envfile-yaml",
    ".payload.yml": "envfile-yaml",
    ".payload.json": "envfile-json",
}
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "dist-packages"}
_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "an array",
}


def is_payload_file(name: str) -> bool:
    """Whether *name* is a payload file's name."""
    return name.lower().endswith(tuple(PAYLOAD_SUFFIXES))


def document_kind(document: dict[str, Any]) -> Literal["payload", "deployment"]:
    """A document with ``payloads`` is a deployment; any other is one payload."""
    return "deployment" if "payloads" in document else "payload"


# ------------------------------------------------------------------------- the rules


def check_payload(document: object, *, folder: str | None = None) -> list[Finding]:
    """Every finding for one decoded payload or deployment document.

    *folder* is where the file is: a deployment's references to payload files are
    looked up there (``None``: not checked).
    """
    from envspec.checks.secrets import redact

    findings = list(_check(document, folder))
    return [
        Finding(f.code, redact(f.message), f.path, f.line, f.column, f.hint)
        if redact(f.message) != f.message
        else f
        for f in findings
    ]


def _check(document: object, folder: str | None) -> Iterator[Finding]:
    if not isinstance(document, dict):
        yield Finding("payload-not-object", f"the document is {_kind(document)}, not an object")
        return
    raw = document.get("payload_ver")
    if raw is None:
        yield Finding(
            "payload-version-unknown",
            "'payload_ver' is missing" if "payload_ver" not in document else "payload_ver is null",
            ("payload_ver",) if "payload_ver" in document else (),
            hint='Start the file with payload_ver: "1.0".',
        )
        return
    from envspec.payloads.migrations import PAYLOAD_REGISTRY, parse_payload_ver

    version = parse_payload_ver(raw)
    if version is None or version[0] != 1:
        known = ", ".join(PAYLOAD_REGISTRY.versions)
        hint = f'Write payload_ver: "{raw}"' if isinstance(raw, float) else None
        what = f"{raw!r} is not a 'MAJOR.MINOR' string" if version is None else None
        yield Finding(
            "payload-version-unknown",
            what or f"payload_ver {raw!r} is not supported (this tool reads {known})",
            ("payload_ver",),
            hint=hint,
        )
        return
    newer = f"{version[0]}.{version[1]}" not in PAYLOAD_REGISTRY.versions
    if newer:
        yield Finding(
            "payload-version-newer",
            f"payload_ver {raw!r} is newer than this tool ({PAYLOAD_REGISTRY.versions[-1]}); "
            "fields it does not know are not checked",
            ("payload_ver",),
        )
    yield from _validate_model(document, newer=newer)
    yield from _build_inputs(document)
    if folder is not None and document_kind(document) == "deployment":
        yield from _references(document, folder)
    elif folder is not None:
        yield from _build_files(document, folder)


#: Whether a document the schema walk finds certainly valid skips the models (tests turn
#: it off to compare both ways).
FAST_PATH = True


def _validate_model(document: dict[str, Any], *, newer: bool) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    if not newer:
        # Unknown members come from the schema, so that they are reported together with
        # every other problem (the model reports them only once all else is valid).
        from envspec.schema import load

        schema = load("payload:1.0")
        for path in _unknown_members(document, schema, schema, ()):
            seen.add(("unknown-field", "/".join(map(str, path))))
            yield Finding("unknown-field", f"{path[-1]!r} is not a field of payload_ver 1.0", path)
        if not seen and FAST_PATH:
            from envspec.payloads._fastcheck import certainly_valid

            if certainly_valid(document):
                return  # the models would say nothing: they are not imported
    from pydantic import ValidationError

    from envspec.payloads.models import Deployment, Payload

    model = Deployment if document_kind(document) == "deployment" else Payload
    try:
        model.model_validate(document, context={"unknown_fields": "keep"})
    except ValidationError as exc:
        for error in exc.errors():
            finding = _finding(error, document)
            key = (finding.code, "/".join(map(str, finding.path)))
            if key not in seen:
                seen.add(key)
                yield finding


def _build_inputs(document: dict[str, Any]) -> Iterator[Finding]:
    """The environment's rules for each inline build file (syntax, secrets, Binder rules), at
    ``/build/files/NAME``: the same file is checked the same way in both documents."""
    from envspec.checks import check_environment
    from envspec.vocabulary import FILES

    build = document.get("build")
    files = build.get("files") if isinstance(build, dict) else None
    if not isinstance(files, dict) or not files:
        return
    known = {k: v for k, v in files.items() if k in FILES and isinstance(v, str)}
    if not known:
        return
    for finding in check_environment({"env_ver": "1.0", "files": known}):
        if finding.path[:1] != ("files",) or len(finding.path) < 2:
            continue  # rules about the whole environment (consistency) do not apply
        if finding.code == "ignored-by-binder":
            continue  # a payload build is not Binder's: which files it reads is its own
        yield Finding(
            finding.code,
            finding.message,
            ("build", *finding.path),
            finding.line,
            finding.column,
            finding.hint,
        )


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _branch(data: dict[str, Any], branches: list[Any], root: dict[str, Any]) -> dict[str, Any]:
    """The branch of a union that *data* is meant for: the one whose tag member (a
    ``const`` or ``enum``) it matches, else the one with most of its members."""
    resolved = [_resolve(b, root) for b in branches]
    matched = [b for b in resolved if _tagged(data, b)]
    pool = matched or resolved
    return max(pool, key=lambda b: len(set(b.get("properties", {})) & set(data)))


def _tagged(data: dict[str, Any], branch: dict[str, Any]) -> bool:
    for key in branch.get("required", ()):
        prop = branch.get("properties", {}).get(key, {})
        allowed = [prop["const"]] if "const" in prop else prop.get("enum")
        if allowed and key in data and data[key] in allowed:
            return True
    return False


def _unknown_members(
    data: object, schema: dict[str, Any], root: dict[str, Any], path: tuple[str | int, ...]
) -> Iterator[tuple[str | int, ...]]:
    schema = _resolve(schema, root)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches and isinstance(data, dict):
        objects = [b for b in branches if _resolve(b, root).get("type") in ("object", None)]
        if objects:
            schema = _branch(data, objects, root)
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        patterns = schema.get("patternProperties", {})
        extra = schema.get("additionalProperties")
        for key, value in data.items():
            if key in properties:
                yield from _unknown_members(value, properties[key], root, (*path, key))
            elif patterns:
                for sub in patterns.values():
                    yield from _unknown_members(value, sub, root, (*path, key))
            elif isinstance(extra, dict):
                yield from _unknown_members(value, extra, root, (*path, key))
            elif extra is False and properties:
                yield (*path, key)
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(data):
            yield from _unknown_members(item, schema["items"], root, (*path, index))


def _references(document: dict[str, Any], folder: str) -> Iterator[Finding]:
    items = document.get("payloads")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            continue
        from envspec.payloads._paths import escape_reason

        if escape_reason(item["path"]):
            continue  # reported by the model
        target = os.path.join(folder, item["path"])
        if not os.path.isfile(target):
            yield Finding(
                "payload-ref-missing",
                f"{item['path']!r} is not a file beside the deployment",
                ("payloads", index, "path"),
            )
        elif not is_payload_file(target):
            yield Finding(
                "payload-ref-missing",
                f"{item['path']!r} is not named *.payload.yaml, *.payload.yml or *.payload.json",
                ("payloads", index, "path"),
            )


def _build_files(document: dict[str, Any], folder: str) -> Iterator[Finding]:
    from envspec.payloads._paths import escape_reason, inside

    build = document.get("build")
    if not isinstance(build, dict):
        return
    named: list[tuple[str, tuple[str | int, ...]]] = []
    paths = build.get("file_paths")
    if isinstance(paths, dict):
        named += [(p, ("build", "file_paths", k)) for k, p in paths.items() if isinstance(p, str)]
    script = build.get("script")
    if isinstance(script, dict):
        where, run = script.get("folder"), script.get("run")
        if isinstance(where, str) and isinstance(run, str) and not escape_reason(where):
            if escape_reason(run):
                return  # reported by the model
            named.append((inside(where, run), ("build", "script", "run")))
    for path, at in named:
        if escape_reason(path):
            continue  # reported by the model
        if not os.path.isfile(os.path.join(folder, path)):
            yield Finding(
                "payload-ref-missing", f"{path!r} is not a file beside the payload file", at
            )


def _pointer(loc: tuple[str | int, ...], document: object) -> tuple[str | int, ...]:
    """The path of pydantic's *loc* in the document: without the tags of unions (which
    pydantic inserts) and dict-key markers."""
    path: list[str | int] = []
    node = document
    for part in loc:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 - two different tests
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif part == "[key]" or part in _UNION_TAGS:
            continue
        else:
            node = None  # a missing member: the pointer still names it
        path.append(part)
    return tuple(path)


_UNION_TAGS = frozenset({"rsp", "semver", "calver", "rules", "docker", "google", "payload", "ref"})


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _finding(error: Any, document: object) -> Finding:
    loc = tuple(error["loc"])
    kind: str = error["type"]
    ctx = error.get("ctx") or {}
    path = _pointer(loc, document)
    if isinstance(ctx.get("at"), list):
        path = (*path, *ctx["at"])
    value = error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    code: Code
    if kind.startswith("payload-") or kind == "unknown-field":
        code = kind  # type: ignore[assignment]
        return Finding(code, message, path)
    if kind == "missing":
        if len(path) >= 2 and path[-1] == "category" and "rules" in path:
            return Finding("payload-rule-category", "the rule has no category", path[:-1])
        return Finding("missing-field", f"{str(path[-1])!r} is missing" if path else message, path)
    if kind in _TYPES:
        return Finding("wrong-type", f"{_short(value)} is not {_TYPES[kind]}", path)
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        tag = ctx.get("discriminator", "").strip("'")
        expected = ctx.get("expected_tags", "")
        if kind == "union_tag_not_found":
            return Finding("missing-field", f"{tag!r} is missing (one of {expected})", (*path, tag))
        return Finding(
            "invalid-value",
            f"{_short(ctx.get('tag'))} is not one of {expected}",
            (*path, tag) if tag else path,
        )
    if kind == "string_pattern_mismatch":
        message = f"{_short(value)} does not match {ctx.get('pattern')}"
    elif kind == "literal_error":
        message = f"{_short(value)} is not one of {ctx.get('expected')}"
    elif kind in {"too_short", "string_too_short"}:
        message = f"{_short(value)} is empty" if not value else message
    elif message:
        message = message[0].lower() + message[1:]
    return Finding("invalid-value", message, path)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number" if isinstance(value, (int, float)) else type(value).__name__


# ------------------------------------------------------------------------- files


def validate_payload_bytes(data: bytes, name: str, *, check_files: bool = True) -> FileReport:
    """The verdict on the contents of one payload file (*name* gives its kind and folder).

    With *check_files*, the files the payload names are looked for beside *name*.
    """
    from envspec.notebook import read_document

    lower = name.lower()
    kind = next((k for s, k in PAYLOAD_SUFFIXES.items() if lower.endswith(s)), None)
    if kind is None:
        finding = Finding(
            "unknown-file-type",
            f"{Path(name).name!r} is not a payload file (*.payload.yaml, *.payload.json)",
        )
        return FileReport(name, (_diagnostic(finding, name, "", False),), None)
    read = read_document(data, kind)
    diagnostics = [_diagnostic(f, name, "", False) for f in read.findings]
    if read.document is not None:
        folder = (os.path.dirname(name) or ".") if check_files else None
        findings = check_payload(read.document, folder=folder)
        diagnostics += [_diagnostic(f, name, "", True) for f in findings]
    return FileReport(name, tuple(diagnostics), read.document is not None)


def validate_payload_paths(paths: Iterable[str | os.PathLike[str]]) -> ValidationResult:
    """Validate payload files and folders (searched for ``*.payload.{yaml,yml,json}``).

    :raises envspec._discover.MissingPath: a path does not exist.
    """
    from envspec._discover import MissingPath, _exists, _is_venv
    from envspec._readfile import UNEXPECTED_HINT, read_regular, reason

    files: list[str] = []
    reports: list[FileReport] = []
    for raw in paths:
        path = os.fspath(raw)
        if os.path.isdir(path):
            for folder, subfolders, names in os.walk(path):
                subfolders[:] = sorted(
                    d
                    for d in subfolders
                    if not d.startswith(".")
                    and d not in _SKIP_DIRS
                    and not _is_venv(os.path.join(folder, d))
                )
                files += [os.path.join(folder, n) for n in sorted(names) if is_payload_file(n)]
        elif _exists(path):
            files.append(path)
        else:
            raise MissingPath(path)
    for path in dict.fromkeys(files):
        try:
            data = read_regular(path)
        except OSError as exc:
            reports.append(_unreadable(path, f"cannot read the file: {reason(exc)}"))
            continue
        try:
            reports.append(validate_payload_bytes(data, path))
        except Exception as exc:  # noqa: BLE001 - one file never stops the others
            reports.append(
                _unreadable(path, f"cannot check the file: {reason(exc)}", UNEXPECTED_HINT)
            )
    return ValidationResult(tuple(reports))
