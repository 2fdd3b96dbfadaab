"""``dockerfile``: a Dockerfile that builds the environment, and the environment a Dockerfile
describes.

Export writes a folder: the ``Dockerfile`` and the inputs it copies.  Its base is the
environment's image, pinned by digest when the environment has one, else ``python:X.Y-slim``
of the Python pin (``mambaorg/micromamba`` when there is a conda file); then one step per input
in repo2docker's order: ``apt.txt``, the conda file, ``requirements.txt``, ``postBuild`` last;
``start`` becomes the entrypoint.  Import reads the final stage's ``FROM`` (image and digest,
or the Python version of a ``python:X.Y`` base), ``ENV``, the inputs it copies (from the
folder, byte for byte) and inline ``pip install`` / ``apt-get install`` package lists; every
other step is reported.  Nothing in a Dockerfile is ever run.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.formats._base import BUILD_INPUTS, Converted, Document, Format, Options, Source

__all__ = ["DockerfileFormat", "dockerfile_text"]

_PYTHON_TAG = re.compile(r"^(\d+\.\d+(?:\.\d+)?)(?:[-.].*)?$")
#: Instructions about how the image is built or run, not what is in it: read silently.
_QUIET = frozenset({"ARG", "USER", "WORKDIR", "SHELL"})
_PIP_VALUE_OPTIONS = frozenset(
    {"-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links",
     "-t", "--target", "--prefix", "--root", "--python", "--platform", "--cache-dir"}
)  # fmt: skip
_RUNTIME_HINT = (
    "Ports, commands, labels and other settings of how the image runs are not part of an "
    "environment; set them where the notebook is launched."
)
_PIP_COMMANDS = (
    ["pip", "install"],
    ["pip3", "install"],
    ["uv", "pip", "install"],
    ["python", "-m", "pip", "install"],
    ["python3", "-m", "pip", "install"],
)
_HOUSEKEEPING = re.compile(
    r"^(apt-get (update|clean)|apt update|rm -rf /var/lib/apt/lists/?\*?|"
    r"(micromamba|conda|mamba) clean.*|pip cache purge|true)$"
)


def _title(document: Document) -> str:
    return posixpath.basename(document.path.replace("\\", "/")) or "the notebook"


def dockerfile_text(
    environment: Mapping[str, Any], title: str, *, start: bool = True
) -> tuple[str, dict[str, str]]:
    """The Dockerfile for *environment* and the inputs it copies (name -> text); *start*:
    whether ``start`` becomes the entrypoint."""
    from envspec.formats import _container as c

    plan = c.plan(environment, start=start)
    conda = c.conda_name(plan.installed)
    micromamba = plan.image is None and conda is not None
    if plan.image is not None:
        base = plan.image
    elif micromamba:
        base = c.MICROMAMBA_IMAGE
    else:
        base = f"python:{plan.python}-slim" if plan.python else "python:3-slim"
    lines = [
        "# syntax=docker/dockerfile:1",
        f"# The environment of {title}, written by `envspec export --to dockerfile`.",
        "# Build it in this folder, beside the files it copies: docker build -t NAME .",
        f"FROM {base}",
    ]
    if plan.python:
        lines.append(f"LABEL {c.PYTHON_LABEL}={json.dumps(plan.python)}")
    for name, value in plan.env.items():
        quoted = json.dumps(value).replace("$", "\\$")  # Docker would expand it
        lines.append(f"ENV {name}={quoted}")
    if plan.env_at_launch:
        names = " ".join(plan.env_at_launch)
        lines.append(f"# Supplied at run time (docker run -e NAME): {names}")
        lines.append(f"LABEL {c.LAUNCH_ENV_LABEL}={json.dumps(names)}")
    staged = c.STAGING
    if "apt.txt" in plan.installed:
        if micromamba:
            lines.append("USER root")
        lines += [
            f"COPY apt.txt {staged}/apt.txt",
            f"RUN {c.apt_command(f'{staged}/apt.txt')}",
        ]
        if micromamba:
            lines.append("USER $MAMBA_USER")
    if conda is not None:
        chown = " --chown=$MAMBA_USER:$MAMBA_USER" if micromamba else ""
        if micromamba:
            lines.append("ARG MAMBA_DOCKERFILE_ACTIVATE=1")
        lines += [
            f"COPY{chown} {conda} {staged}/{conda}",
            f"RUN {c.conda_command(f'{staged}/{conda}', plan.python if micromamba else None)}",
        ]
    if "requirements.txt" in plan.installed:
        lines += [
            f"COPY requirements.txt {staged}/requirements.txt",
            f"RUN {c.pip_command(f'{staged}/requirements.txt')}",
        ]
    for name in ("install.R", "Project.toml"):
        if name in (environment.get("files") or {}):
            lines.append(f"# {name} is not installed: {c.NOT_INSTALLED[name]}")
    if "postBuild" in plan.installed:
        lines += [
            f"COPY --chmod=755 postBuild {staged}/postBuild",
            f"RUN {staged}/postBuild",
        ]
    if "start" in plan.installed:
        lines.append("COPY --chmod=755 start /usr/local/bin/envspec-start")
        entry = ["/usr/local/bin/envspec-start"]
        if micromamba:
            entry.insert(0, "/usr/local/bin/_entrypoint.sh")
        lines.append(f"ENTRYPOINT {json.dumps(entry)}")
    return "\n".join(lines) + "\n", plan.installed


class DockerfileFormat(Format):
    """A Dockerfile (with the inputs it copies beside it)."""

    name: ClassVar[str] = "dockerfile"
    summary: ClassVar[str] = "a Dockerfile (and the files it copies) that builds the environment"
    inputs: ClassVar[tuple[str, ...]] = (
        *BUILD_INPUTS,
        "*start",
        "*runtime.txt",
        "*install.R",
        "*Project.toml",
        "*Manifest.toml",
        "*pylock.toml",
        "*Pipfile",
        "*Pipfile.lock",
    )
    default_output: ClassVar[str] = "docker/"

    def write(self, document: Document, options: Options) -> Converted:
        from envspec.formats import _container as c

        environment = document.environment
        files = environment.get("files") or {}
        if isinstance(files.get("Dockerfile"), str):
            # The environment has its own Dockerfile: it is what repo2docker builds.
            out = {n: t.encode("utf-8") for n, t in files.items() if isinstance(t, str)}
            why = "the environment's own Dockerfile is written as it is"
            diagnostics = [
                diagnostic(
                    "dockerfile-not-carried",
                    f"{member!r} is not applied: {why}",
                    document.path,
                    f"/{member}",
                )
                for member in ("image", "python", "env")
                if environment.get(member)
            ]
            return Converted(files=out, diagnostics=tuple(diagnostics))
        text, installed = dockerfile_text(environment, _title(document))
        out = {"Dockerfile": text.encode("utf-8")}
        out |= {n: t.encode("utf-8") for n, t in installed.items()}
        plan = c.plan(environment)
        diagnostics = [
            diagnostic(
                "dockerfile-not-carried",
                f"{name!r} is not carried: {reason}",
                document.path,
                f"/files/{name}" if name in files else f"/{name}",
            )
            for name, reason in plan.dropped
        ]
        return Converted(files=out, diagnostics=tuple(diagnostics))

    def read(self, source: Source, options: Options) -> Converted:
        if source.is_folder:
            name = "Dockerfile" if "Dockerfile" in source.files else None
        else:
            name = next(iter(source.files), None)
        if name is None:
            why = "the folder has no Dockerfile"
            return Converted(diagnostics=(diagnostic("format-source-invalid", why, source.path),))
        return read_dockerfile(source, name)


def _not_utf8(where: str, data: bytes, exc: UnicodeDecodeError) -> Diagnostic:
    return diagnostic(
        "not-utf8", f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8", where
    )


def read_dockerfile(source: Source, name: str, prefix: str = "") -> Converted:
    """The environment of the Dockerfile *name* of *source*; the files it copies are looked up
    relative to *prefix* (the build context) in the source's files."""
    from envspec.formats import _container as c
    from envspec.formats._dockerfile_text import arguments, instructions, pairs, substitute
    from envspec.vocabulary import FILES

    where = source.file(name)
    data = source.files[name]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Converted(diagnostics=(_not_utf8(where, data, exc),))
    steps = instructions(text)
    notes: list[Diagnostic] = []

    def note(line: int, message: str, hint: str | None = None) -> None:
        notes.append(diagnostic("dockerfile-not-carried", message, where, line=line, hint=hint))

    stages = [i for i, s in enumerate(steps) if s.keyword == "FROM"]
    if not stages:
        first = next((s for s in steps if s.keyword != "ARG"), None)
        why = (
            f"the first instruction is {first.keyword!r}, not 'FROM'"
            if first is not None
            else "the Dockerfile has no 'FROM' instruction"
        )
        line = first.line if first is not None else None
        return Converted(diagnostics=(diagnostic("dockerfile-no-from", why, where, line=line),))
    global_args: dict[str, str] = {}
    for step in steps[: stages[0]]:
        key, _, default = step.value.partition("=")
        if key.strip() and default:
            global_args[key.strip()] = default.strip().strip("\"'")
    aliases: dict[str, str] = {}
    for index in stages:
        words = [w for w in steps[index].value.split() if not w.startswith("--")]
        stage_base, _ = substitute(words[0] if words else "", global_args)
        if len(words) >= 3 and words[1].lower() == "as":
            aliases[words[2].lower()] = aliases.get(stage_base.lower(), stage_base)
    final = steps[stages[-1]]
    words = [w for w in final.value.split() if not w.startswith("--")]
    base, missing = substitute(words[0] if words else "", global_args)
    base = aliases.get(base.lower(), base)
    for index in stages[:-1]:
        note(steps[index].line, "an earlier build stage is not carried (only the final one is)")
    environment: dict[str, Any] = {"env_ver": "1.0"}
    files: dict[str, str] = {}
    python: str | None = None
    if missing:
        note(final.line, f"the base image {base!r} names unset build arguments: not carried")
    else:
        python, image = _base(base)
        if image is None and python is None and base not in {"scratch", c.MICROMAMBA_IMAGE}:
            note(final.line, f"the base image {base!r} names no Python version: not carried")
        if image is not None:
            environment["image"] = image
    variables: dict[str, str | None] = {}
    copied: dict[str, str] = {}  # path inside the image -> input name
    inline: dict[str, list[str]] = {"requirements.txt": [], "apt.txt": []}
    for step in steps[stages[-1] + 1 :]:
        keyword, value = step.keyword, step.value
        if keyword in _QUIET:
            continue
        if keyword == "ENV":
            variables.update(pairs(value))
        elif keyword == "LABEL":
            labels = pairs(value)
            pin = labels.pop(c.PYTHON_LABEL, None)
            if pin:
                python = pin
            for variable in labels.pop(c.LAUNCH_ENV_LABEL, "").split():
                variables.setdefault(variable, None)
            if labels:
                note(step.line, f"LABEL {' '.join(labels)} is not carried", _RUNTIME_HINT)
        elif keyword in {"COPY", "ADD"}:
            words = [w for w in arguments(value) if not w.startswith("--")]
            if any(w.startswith("--from") for w in arguments(value)):
                note(step.line, f"{keyword} from another stage or image is not carried")
                continue
            if len(words) < 2:
                note(step.line, f"{keyword} {value!r} is not carried")
                continue
            *sources, target = words
            for item in sources:
                entry = posixpath.basename(item.rstrip("/"))
                if entry not in FILES or entry == "Dockerfile":
                    note(step.line, f"{keyword} {item} is not carried (not an environment input)")
                    continue
                path = posixpath.normpath(posixpath.join(prefix, item)).lstrip("/")
                content = source.files.get(path) if source.is_folder else None
                if content is None:
                    note(
                        step.line,
                        f"{keyword} {item}: the file is not in the source; import the folder "
                        "holding the Dockerfile to carry it",
                    )
                    continue
                try:
                    files[entry] = content.decode("utf-8")
                except UnicodeDecodeError as exc:
                    notes.append(_not_utf8(source.file(path), content, exc))
                    continue
                inside = target + entry if target.endswith("/") else target
                copied[inside] = entry
        elif keyword == "RUN":
            _run(step.line, value, copied, inline, note)
        elif keyword == "ENTRYPOINT" and any(copied.get(w) == "start" for w in arguments(value)):
            continue
        else:
            note(step.line, f"{keyword} is not carried", _RUNTIME_HINT)
    for input_name, lines in inline.items():
        if not lines:
            continue
        if input_name in files:
            note(final.line, f"packages installed inline are not carried ({input_name} is copied)")
        else:
            files[input_name] = "".join(f"{line}\n" for line in lines)
    if files:
        environment["files"] = {n: files[n] for n in FILES if n in files}
    if python:
        environment["python"] = python
    if variables:
        environment["env"] = variables
    from envspec.vocabulary import MEMBERS

    ordered: dict[str, Any] = {k: environment[k] for k in MEMBERS if k in environment}
    return Converted(environment=ordered, diagnostics=tuple(notes))


def _base(reference: str) -> tuple[str | None, dict[str, str] | None]:
    """The Python pin and the image of a ``FROM`` reference: ``python:X.Y[-variant]`` gives
    the pin (and the image only when pinned by digest); the micromamba base an export writes
    gives neither; anything else is the image."""
    from envspec.formats import _container as c

    image = c.split_image(reference)
    if image is None or image["ref"] == "scratch":
        return None, None
    ref = image["ref"]
    repository, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    repository = repository.removeprefix("docker.io/").removeprefix("library/")
    match = _PYTHON_TAG.match(tag)
    if repository == "python" and match:
        return match.group(1), image if "digest" in image else None
    if repository == "python" and "digest" not in image:
        return None, None  # python:3-slim, python:latest: no pin to carry
    if ref == c.MICROMAMBA_IMAGE and "digest" not in image:
        return None, None
    return None, image


def _run(
    line: int,
    value: str,
    copied: Mapping[str, str],
    inline: dict[str, list[str]],
    note: Any,
) -> None:
    """Read a ``RUN`` step: one that uses a copied input installs it; ``pip install`` and
    ``apt-get install`` package lists are carried; anything else is reported."""
    if any(path in value for path in copied):
        return
    try:
        lexer = shlex.shlex(value, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        note(line, "RUN is not carried (its shell text cannot be read)")
        return
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token in {"&&", "||", ";", "|", "&", ";;"}:
            segments.append([])
        else:
            segments[-1].append(token)
    others: list[str] = []
    for words in (s for s in segments if s):
        if _HOUSEKEEPING.match(" ".join(words)):
            continue
        packages = _installs(words)
        if packages is None:
            others.append(" ".join(words))
            continue
        name, found = packages
        inline[name].extend(found)
    if others:
        shown = others[0] if len(others[0]) <= 60 else others[0][:57] + "..."
        note(line, f"RUN {shown!r} is not carried (it is not an install envspec reads)")


def _installs(words: list[str]) -> tuple[str, list[str]] | None:
    """``(input name, packages)`` of a ``pip install`` / ``apt-get install`` command whose
    arguments are all package names, else ``None``."""
    if words[:2] in (["apt-get", "install"], ["apt", "install"]):
        rest, name = words[2:], "apt.txt"
    else:
        for command in _PIP_COMMANDS:
            if words[: len(command)] == command:
                rest, name = words[len(command) :], "requirements.txt"
                break
        else:
            return None
    packages: list[str] = []
    skip = False
    for word in rest:
        if skip:
            skip = False
        elif word in _PIP_VALUE_OPTIONS and name == "requirements.txt":
            skip = True
        elif word in {"-r", "--requirement", "-e", "--editable"} or "/" in word or word == ".":
            return None
        elif not word.startswith("-"):
            packages.append(word)
    return (name, packages) if packages else None
