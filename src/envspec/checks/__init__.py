"""The rule engine: structure from the version's JSON Schema, then every semantic rule.

:func:`check_environment` takes a decoded ``metadata.environment`` object and
returns every :class:`~envspec.diagnostics.Finding`, never stopping at the
first.  Locations in findings are relative to the environment object; the
caller (:mod:`envspec.validate`) attaches the file and the pointer prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from envspec._jsonschema import SchemaError, compiled, iter_errors
from envspec.diagnostics import Finding
from envspec.versions import NEWEST, SUPPORTED, classify, parse_env_ver

__all__ = ["check_environment", "first_surrogate", "prepare"]

FileRule = Callable[[str, tuple[str | int, ...]], Iterator[Finding]]

# What a pattern means, for messages: path (with "*" for any key) -> the expected form.
_FORMS: dict[tuple[str, ...], str] = {
    ("python",): "a Python version such as '3.12' or '3.12.4'",
    ("hardware", "memory"): "a quantity such as '8Gi' or '512M'",
    ("hardware", "gpu", "memory"): "a quantity such as '16Gi'",
    ("kernel", "name"): "a kernel name of letters, digits, '.', '_' and '-'",
    ("env", "*"): "an environment variable name (letters, digits, '_', not starting with a digit)",
    ("extensions", "*"): "a lower-case tool name such as 'juv' or 'org.example.tool'",
    ("provenance", "migrated_from"): "an env_ver such as '0.1'",
}
# Pattern violations that a dedicated rule reports with a better code and message.
_HANDLED_BY_RULES = {("git", "commit"), ("image", "digest")}


def _file_rules() -> dict[str, FileRule]:
    from envspec.checks import conda, requirements, scheme, textfiles, tomlfiles

    return {
        "pip": requirements.check_requirements,
        "conda": conda.check_conda,
        "apt": textfiles.check_apt,
        "runtime": textfiles.check_runtime,
        "start": textfiles.check_start,
        "script": textfiles.check_script,
        "dockerfile": textfiles.check_dockerfile,
        "pylock": tomlfiles.check_pylock,
        "guix": scheme.check_scheme,
        "pipfile": tomlfiles.check_toml,
        "pipfile-lock": tomlfiles.check_pipfile_lock,
        "julia": tomlfiles.check_toml,
        "pixi-lock": conda.check_pixi_lock,
    }


def prepare() -> None:
    """Import the rules and compile the schemas now, not on first use.

    Called before forking workers: they share what the parent prepared
    instead of each doing it again.
    """
    import envspec._codes  # noqa: F401 - the registry behind every diagnostic
    from envspec.checks import consistency, fields, secrets  # noqa: F401
    from envspec.schema import load

    _file_rules()
    for version in SUPPORTED:
        compiled(load(version))


def check_environment(env: object, *, kernelspec: object = None) -> list[Finding]:
    """Every finding for one environment object (any supported ``env_ver``).

    *kernelspec* is the notebook's ``metadata.kernelspec`` (``None`` for a
    standalone file), used by the consistency rules.
    """
    if not isinstance(env, dict):
        return [
            Finding("environment-not-object", f"the environment is {_kind(env)}, not an object")
        ]
    if "env_ver" not in env:
        return [Finding("env-version-missing", "'env_ver' is missing")]
    raw = env["env_ver"]
    version = parse_env_ver(raw)
    if version is None:
        hint = None
        # A YAML or JSON number: 1.0 -> "1.0", and 1 -> "1.0" (a bare major is no version).
        if isinstance(raw, float):
            hint = f'Write "env_ver": "{raw}"'
        elif isinstance(raw, int) and not isinstance(raw, bool):
            hint = f'Write "env_ver": "{raw}.0"'
        return [
            Finding(
                "env-version-invalid",
                f"{raw!r} is not a 'MAJOR.MINOR' string",
                ("env_ver",),
                hint=hint,
            )
        ]
    status, reader = classify(version)
    if reader is None:
        return [
            Finding(
                "env-version-unsupported",
                f"env_ver {raw!r} is not supported (this tool reads 0.1 and 1.x up to {NEWEST})",
                ("env_ver",),
            )
        ]
    findings: list[Finding] = []
    if status == "legacy":
        findings.append(
            Finding("env-version-legacy", f"env_ver {raw!r} is the legacy format", ("env_ver",))
        )
    findings.extend(_structure(env, reader, newer=status == "newer-minor"))
    if reader == "0.1":
        findings.extend(_legacy_rules(env))
    else:
        findings.extend(_rules(env, kernelspec, reader))
    return _redacted(_unique(findings))


def _redacted(findings: list[Finding]) -> list[Finding]:
    """The findings with any secret their messages quote masked (a message that quotes an
    invalid URL or requirement line must not show its password)."""
    from dataclasses import replace

    from envspec.checks.secrets import redact

    out = []
    for finding in findings:
        message = redact(finding.message)
        hint = redact(finding.hint) if finding.hint else finding.hint
        changed = message != finding.message or hint != finding.hint
        out.append(replace(finding, message=message, hint=hint) if changed else finding)
    return out


def _structure(env: dict[str, Any], reader: str, *, newer: bool) -> Iterator[Finding]:
    from envspec.schema import load

    unknown: list[str] = []
    for error in iter_errors(env, load(reader)):
        if error.path == ("env_ver",):
            continue  # checked above
        if (
            newer
            and error.keyword in {"additionalProperties", "propertyNames"}
            and _is_extension_point(error)
        ):
            unknown.append("/".join(str(p) for p in error.path))
            continue
        finding = _finding_for(error)
        if finding is not None:
            yield finding
    if newer:
        fields = f"; not checked: {', '.join(unknown)}" if unknown else ""
        yield Finding(
            "env-version-newer",
            f"env_ver {env['env_ver']!r} is newer than this tool ({NEWEST}){fields}",
            ("env_ver",),
        )


def _is_extension_point(error: SchemaError) -> bool:
    # A newer minor may add fields anywhere, and file names; not env or extension names.
    return error.keyword == "additionalProperties" or error.path[:1] == ("files",)


def _generic(path: tuple[str | int, ...]) -> tuple[str, ...]:
    out = tuple("*" if isinstance(p, int) else str(p) for p in path)
    if out[:1] in {("env",), ("extensions",)} and len(out) == 2:
        return (out[0], "*")
    return out


def _finding_for(error: SchemaError) -> Finding | None:
    path = error.path
    match error.keyword:
        case "type":
            return Finding("wrong-type", error.message, path)
        case "required":
            return Finding("missing-field", error.message, path)
        case "additionalProperties":
            return Finding("unknown-field", error.message, path)
        case "propertyNames" if path[:1] == ("files",):
            return Finding(
                "unknown-file-name", f"{error.key!r} is not an embeddable file name", path
            )
        case "pattern" | "propertyNames":
            generic = _generic(path)
            if generic in _HANDLED_BY_RULES:
                return None
            form = _FORMS.get(generic)
            value = (
                repr(error.key)
                if error.keyword == "propertyNames"
                else error.message.split(" does not")[0]
            )
            message = f"{value} is not {form}" if form else error.message
            return Finding("invalid-value", message, path)
    return Finding("invalid-value", error.message, path)


def _rules(env: dict[str, Any], kernelspec: object, reader: str) -> Iterator[Finding]:
    from envspec.checks import consistency, fields
    from envspec.vocabulary import files_for

    files = env.get("files")
    files = files if isinstance(files, dict) else {}
    rules = _file_rules()
    for name, text in files.items():
        spec = files_for(reader).get(name)
        if not isinstance(text, str) or spec is None:
            continue
        yield from _file(text, ("files", name), rules.get(spec.kind))
    if "environment.yml" in files and "environment.yaml" in files:
        yield Finding(
            "duplicate-conda-file",
            "both 'environment.yml' and 'environment.yaml' are embedded",
            ("files",),
        )
    for name, winner in sorted(consistency.binder_ignored(files).items()):
        yield Finding(
            "ignored-by-binder",
            consistency.binder_message(name, winner),
            ("files", name),
        )
    yield from fields.rules_for_fields(env)
    yield from _secrets(env, ())
    yield from consistency.check_kernel(env, kernelspec)
    yield from consistency.check_python(env, files)


def _legacy_rules(env: dict[str, Any]) -> Iterator[Finding]:
    from envspec.checks import fields
    from envspec.vocabulary import FILES_0_1

    rules = _file_rules()
    for name, spec in FILES_0_1.items():
        text = env.get(name)
        if isinstance(text, str):
            yield from _file(text, (name,), rules.get(spec.kind))
    container = env.get("container")
    if isinstance(container, str) and container:
        yield from fields.check_image_ref(
            container, ("container",), digest_allowed=True, has_digest="@" in container
        )
    git = env.get("git")
    if isinstance(git, dict) and isinstance(git.get("commit id"), str):
        yield from fields.check_commit(git["commit id"], ("git", "commit id"))
    cloud = env.get("cloud")
    if isinstance(cloud, dict) and isinstance(cloud.get("handler_url"), str):
        yield from fields.check_url(cloud["handler_url"], ("cloud", "handler_url"), ssh_ok=False)
    yield from _secrets(env, ())


def _file(text: str, path: tuple[str | int, ...], rule: FileRule | None) -> Iterator[Finding]:
    if "\x00" in text:
        from envspec.checks._text import line_col

        line, col = line_col(text, text.index("\x00"))
        yield Finding("binary-content", "the text contains a NUL character", path, line, col)
        return
    if not text.isascii():
        surrogate = first_surrogate(text)
        if surrogate is not None:
            from envspec.checks._text import line_col

            line, col = line_col(text, surrogate)
            yield Finding(
                "lone-surrogate",
                f"the text contains a lone surrogate ({text[surrogate]!r}, half of a "
                "character): it cannot be written as UTF-8",
                path,
                line,
                col,
            )
            return  # the text is not Unicode: what the rules would say of it is moot
    if rule is not None:
        yield from rule(text, path)


def first_surrogate(text: str) -> int | None:
    """Offset of the first lone surrogate in *text* (only JSON escapes make them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _secrets(value: object, path: tuple[str | int, ...]) -> Iterator[Finding]:
    from envspec.checks.secrets import may_find, scan_text

    texts: list[str] = []
    values = [value]
    while values:
        item = values.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, dict):
            values.extend(item.values())
        elif isinstance(item, list):
            values.extend(item)
    if not may_find("\x00".join(texts)):
        return  # the common case: no text can hold a secret or a URL with credentials
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            embedded = (len(where) == 2 and where[0] == "files") or (
                len(where) == 1
                and where[0]
                in {"requirements.txt", "environment.yaml", "environment.yml", "setup.sh"}
            )
            yield from scan_text(item, where, positions=embedded)
        elif isinstance(item, dict):
            stack.extend((v, (*where, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*where, i)) for i, v in enumerate(item))


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    out: list[Finding] = []
    for finding in findings:
        key = (finding.code, finding.path, finding.line, finding.column, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _kind(value: object) -> str:
    from envspec._jsonschema import describe_type, json_type

    return describe_type(json_type(value))
