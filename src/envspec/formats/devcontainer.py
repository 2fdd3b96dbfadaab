"""``devcontainer``: a ``.devcontainer/`` folder (``devcontainer.json`` and what it uses).

Export: with an image (pinned by digest when the environment has one), ``image`` plus a
``postCreateCommand`` that installs the inputs copied beside ``devcontainer.json`` (apt.txt,
the conda file with micromamba, mamba or conda, whichever the image has, requirements.txt,
postBuild last); without one, a ``build`` of a generated Dockerfile that installs them
(see :mod:`envspec.formats.dockerfile`).  ``containerEnv`` holds the environment variables;
the ones supplied at launch come from the host through ``remoteEnv``.  What the environment
is made of is recorded under ``customizations.envspec`` (the extension point the
devcontainer specification gives tools), so an import gives it back.

Import reads JSONC (comments, trailing commas): ``image``, the Dockerfile of ``build`` (when
the folder holds it), ``containerEnv``/``remoteEnv`` and ``customizations.envspec``; lifecycle
commands, features and everything else are reported as not carried.  Nothing is run.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic, escape_pointer
from envspec.formats._base import BUILD_INPUTS, Converted, Document, Format, Options, Source

__all__ = ["DevcontainerFormat", "post_create_command"]

CONFIG = "devcontainer.json"
#: Where the exported files go, relative to the workspace the commands run in.
FOLDER = ".devcontainer"
_LIFECYCLE = (
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
)
_LOCAL_ENV = re.compile(r"^\$\{localEnv:([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}$")


def post_create_command(installed: list[str], python: str | None) -> str | None:
    """The command that installs *installed* (names in ``.devcontainer/``) in an image."""
    from envspec.formats import _container as c

    commands: list[str] = []
    for name in installed:
        path = f"{FOLDER}/{name}"
        if name == "apt.txt":
            commands.append(c.apt_command(path, sudo=True))
        elif name in {"environment.yml", "environment.yaml"}:
            commands.append(f"{{ {c.conda_command(path, python)}; }}")
        elif name == "requirements.txt":
            commands.append(c.pip_command(path))
        elif name == "postBuild":
            commands.append(f"./{path}")
    return " && ".join(commands) or None


class DevcontainerFormat(Format):
    """A dev container configuration."""

    name: ClassVar[str] = "devcontainer"
    summary: ClassVar[str] = ".devcontainer/devcontainer.json (JSONC) and the files it uses"
    inputs: ClassVar[tuple[str, ...]] = (
        ".devcontainer/*",
        ".devcontainer.json",
        "devcontainer.json",
        *BUILD_INPUTS,
        "*runtime.txt",
    )
    default_output: ClassVar[str] = ".devcontainer/"

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats import _container as c
        from envspec.formats.dockerfile import dockerfile_text

        environment = document.environment
        plan = c.plan(environment, start=False)
        title = posixpath.basename(document.path.replace("\\", "/"))
        stem = re.sub(r"(\.envspec)?\.(ipynb|ya?ml|json)$", "", title)
        config: dict[str, Any] = {"name": stem or "envspec"}
        out: dict[str, bytes] = {}
        if plan.image is not None:
            config["image"] = plan.image
            command = post_create_command(list(plan.installed), plan.python)
            if command:
                config["postCreateCommand"] = command
        else:
            text, _ = dockerfile_text(environment, title or "the notebook", start=False)
            out["Dockerfile"] = text.encode("utf-8")
            config["build"] = {"dockerfile": "Dockerfile", "context": "."}
        out |= {n: t.encode("utf-8") for n, t in plan.installed.items()}
        if plan.env:
            config["containerEnv"] = dict(plan.env)
        if plan.env_at_launch:
            config["remoteEnv"] = {n: f"${{localEnv:{n}}}" for n in plan.env_at_launch}
        lost: list[tuple[str, str]] = []
        hardware = environment.get("hardware")
        if isinstance(hardware, Mapping) and hardware:
            from envspec.formats._hostreq import to_host

            host, notes = to_host(hardware)
            if host:
                config["hostRequirements"] = host
            lost += [("hardware", note) for note in notes]
        record: dict[str, Any] = {}
        if plan.python:
            record["python"] = plan.python
        if plan.installed:
            record["files"] = list(plan.installed)
        if record:
            config["customizations"] = {"envspec": record}
        out = {CONFIG: (json.dumps(config, indent=2, ensure_ascii=False) + "\n").encode()} | out
        files = environment.get("files") or {}
        diagnostics = tuple(
            diagnostic(
                "devcontainer-not-carried",
                f"{name!r} is not carried: {reason}",
                document.path,
                f"/files/{escape_pointer(name)}" if name in files else f"/{name}",
            )
            for name, reason in plan.dropped
            if name != "hardware"
        ) + tuple(
            diagnostic("devcontainer-not-carried", message, document.path, "/hardware")
            for _, message in lost
        )
        return Converted(files=out, diagnostics=diagnostics)

    def read(self, source: Source, options: Options) -> Converted:
        if not source.is_folder:
            name = next(iter(source.files))
            folder = ""
        else:
            name = next(
                (n for n in (f"{FOLDER}/{CONFIG}", f"{FOLDER}.json", CONFIG) if n in source.files),
                "",
            )
            folder = FOLDER if name.startswith(f"{FOLDER}/") else ""
            if not name:
                why = f"the folder has no {FOLDER}/{CONFIG}, {FOLDER}.json or {CONFIG}"
                found = diagnostic("format-source-invalid", why, source.path)
                return Converted(diagnostics=(found,))
        return _read(source, name, folder)


def _read(source: Source, name: str, folder: str) -> Converted:
    from envspec.formats import _container as c
    from envspec.formats._jsonc import JsoncError, loads
    from envspec.vocabulary import FILES, MEMBERS

    where = source.file(name)
    data = source.files[name]
    try:
        config = loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        why = f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8"
        return Converted(diagnostics=(diagnostic("not-utf8", why, where),))
    except JsoncError as exc:
        found = diagnostic(
            "devcontainer-jsonc-invalid", exc.reason, where, line=exc.line, column=exc.column
        )
        return Converted(diagnostics=(found,))
    if not isinstance(config, dict):
        why = "the file is not a JSON object"
        return Converted(diagnostics=(diagnostic("devcontainer-jsonc-invalid", why, where),))
    notes: list[Diagnostic] = []

    def note(code: Any, message: str, pointer: str) -> None:
        notes.append(diagnostic(code, message, where, pointer))

    environment: dict[str, Any] = {"env_ver": "1.0"}
    files: dict[str, str] = {}
    variables: dict[str, str | None] = {}
    python: str | None = None
    image = config.get("image")
    if isinstance(image, str):
        parsed = c.split_image(image)
        if parsed is None:
            note("devcontainer-not-carried", f"image {image!r} is not carried", "/image")
        else:
            environment["image"] = parsed
    customizations = config.get("customizations")
    record = customizations.get("envspec") if isinstance(customizations, dict) else None
    record = record if isinstance(record, dict) else {}
    if isinstance(record.get("python"), str):
        python = record["python"]
    listed: list[Any] = record["files"] if isinstance(record.get("files"), list) else []
    for entry in listed:
        path = posixpath.join(folder, entry) if isinstance(entry, str) else ""
        if not isinstance(entry, str) or entry not in FILES or path not in source.files:
            note(
                "devcontainer-not-carried",
                f"customizations.envspec names {entry!r}, which the source does not hold",
                "/customizations/envspec/files",
            )
            continue
        try:
            files[entry] = source.files[path].decode("utf-8")
        except UnicodeDecodeError:
            note("devcontainer-not-carried", f"{entry!r} is not UTF-8", "/customizations")
    build = config.get("build")
    if isinstance(build, dict):
        from envspec.formats.dockerfile import read_dockerfile

        dockerfile = build.get("dockerfile")
        context = build.get("context", ".")
        path = posixpath.normpath(posixpath.join(folder, str(dockerfile)))
        if isinstance(dockerfile, str) and source.is_folder and path in source.files:
            prefix = posixpath.normpath(posixpath.join(folder, str(context)))
            built = read_dockerfile(source, path, "" if prefix == "." else prefix)
            notes.extend(built.diagnostics)
            inner = built.environment or {}
            if "image" in inner:
                environment.setdefault("image", inner["image"])
            python = python or inner.get("python")
            for key, text in (inner.get("files") or {}).items():
                files.setdefault(key, text)
            variables.update(inner.get("env") or {})
        else:
            note(
                "devcontainer-not-carried",
                f"build.dockerfile {dockerfile!r} is not read: import the folder that holds it",
                "/build/dockerfile",
            )
        for key in build:
            if key not in {"dockerfile", "context"}:
                note("devcontainer-not-carried", f"build.{key} is not carried", f"/build/{key}")
    for key, value in _object(config.get("containerEnv")).items():
        if isinstance(value, str):
            variables[key] = value
    for key, value in _object(config.get("remoteEnv")).items():
        match = _LOCAL_ENV.match(value) if isinstance(value, str) else None
        if match and match.group(1) == key:
            variables[key] = None  # supplied from the host at launch
        elif isinstance(value, str):
            variables[key] = value
    for feature in _object(config.get("features")):
        note(
            "devcontainer-feature-not-carried",
            f"the feature {feature!r} is not carried",
            f"/features/{escape_pointer(feature)}",
        )
    expected = post_create_command([n for n in c.INSTALLED if n in files and n in listed], python)
    for key in _LIFECYCLE:
        if key not in config:
            continue
        if key == "postCreateCommand" and record and config[key] == expected:
            continue  # the command this format writes: it installs the files carried
        note("devcontainer-command-not-carried", f"{key} is not carried (it is not run)", f"/{key}")
    host = config.get("hostRequirements")
    if isinstance(host, dict):
        from envspec.formats._hostreq import from_host

        hardware, lost = from_host(host)
        if hardware:
            environment["hardware"] = hardware
        for item in lost:
            note("devcontainer-not-carried", item, "/hostRequirements")
    known = {"name", "$schema", "image", "build", "containerEnv", "remoteEnv", "features"}
    known.add("hostRequirements")
    for key in config:
        if key in known or key in _LIFECYCLE:
            continue
        if key == "customizations" and isinstance(config[key], dict):
            for tool in config[key]:
                if tool != "envspec":
                    note(
                        "devcontainer-not-carried",
                        f"customizations.{tool} is not carried",
                        f"/customizations/{escape_pointer(tool)}",
                    )
            continue
        note("devcontainer-not-carried", f"{key} is not carried", f"/{escape_pointer(key)}")
    if files:
        environment["files"] = {n: files[n] for n in FILES if n in files}
    if python:
        environment["python"] = python
    if variables:
        environment["env"] = variables
    ordered: dict[str, Any] = {k: environment[k] for k in MEMBERS if k in environment}
    return Converted(environment=ordered, diagnostics=tuple(notes))


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def config_of(files: Mapping[str, bytes]) -> Any:
    """The ``devcontainer.json`` of an export, as data (for tests and tools)."""
    return json.loads(files[CONFIG])
