"""The rules of :func:`envspec.launch.plan.plan_launch` (spec: 1.0.md#realizing).

Pure: every function here is a function of its arguments.  The order of the
checks fixes the order of the refusals, so that a plan is the same every time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import escape_pointer
from envspec.launch.plan import (
    DEFAULT_KERNEL,
    Backend,
    Interpreter,
    KernelChoice,
    LaunchOptions,
    LaunchPlan,
    Note,
    Refusal,
    Skipped,
    Step,
)

if TYPE_CHECKING:
    from envspec.models.v1_0 import Environment

__all__ = ["UNSUPPORTED_LOCALLY", "plan", "python_meets", "quantity_bytes"]

_CONDA = ("environment.yml", "environment.yaml")
_GUIX = ("manifest.scm", "channels.scm")
#: Files the local backend cannot apply, and what would.
UNSUPPORTED_LOCALLY: Mapping[str, str] = {
    "Project.toml": "a Julia environment",
    "Manifest.toml": "a Julia environment",
    "install.R": "an R environment",
    "default.nix": "Nix",
    "Pipfile": "pipenv",
    "Pipfile.lock": "pipenv",
}
#: The container engines the docker backend can drive.
CONTAINER_TOOLS = ("docker", "podman")
_SUFFIX = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


class _Plan:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.skipped: list[Skipped] = []
        self.refusals: list[Refusal] = []
        self.notes: list[Note] = []

    def step(self, kind: Any, file: str | None = None, **detail: str) -> None:
        self.steps.append(Step(kind=kind, file=file, detail=detail))

    def skip(self, file: str, code: str, message: str) -> None:
        self.skipped.append(Skipped(file=file, code=code, message=message))

    def refuse(self, code: str, message: str, pointer: str = "", hint: str = "") -> None:
        self.refusals.append(Refusal(code=code, message=message, pointer=pointer, hint=hint))


def _file(name: str) -> str:
    return "/files/" + escape_pointer(name)


def plan(environment: Environment, kernelspec: Any, options: LaunchOptions) -> LaunchPlan:
    """See :func:`envspec.launch.plan.plan_launch`."""
    files = dict(environment.files or {})
    out = _Plan()
    kernel = choose_kernel(environment, kernelspec)
    backend = _backend(environment, files, options, out)
    if not out.refusals:
        if backend == "docker":
            _docker(environment, files, options, out)
        elif backend == "guix":
            _guix(files, options, out)
        else:
            _local(environment, files, options, out)
        # The local backend installs ipykernel; an image or a Guix manifest brings its own.
        if backend == "local" and (kernel.language or "python").lower() != "python":
            out.refuse(
                "launch-kernel-unsupported",
                f"the kernel {kernel.name!r} is a {kernel.language} kernel; the local "
                "backend provides Python kernels only (ipykernel)",
                "/kernel/language" if kernel.source == "environment" else "",
                "Run it with a backend that provides that language (an image with --backend "
                "docker, or a Guix manifest with --backend guix).",
            )
    required, variables = _variables(environment, options, out)
    _hardware(environment, options, out)
    return LaunchPlan(
        backend=backend,
        steps=tuple(out.steps),
        kernel=kernel,
        required=required,
        variables=variables,
        skipped=tuple(out.skipped),
        refusals=tuple(out.refusals),
        notes=tuple(out.notes),
    )


# ---------------------------------------------------------------------------------- kernel


def choose_kernel(environment: Environment, kernelspec: Any) -> KernelChoice:
    """The environment's ``kernel``, else the notebook's kernelspec, else ``python3``."""
    if environment.kernel is not None:
        k = environment.kernel
        return KernelChoice(
            name=k.name, language=k.language, display_name=k.display_name, source="environment"
        )
    if isinstance(kernelspec, Mapping) and isinstance(kernelspec.get("name"), str):
        name = kernelspec["name"]
        if name and re.fullmatch(r"[A-Za-z0-9._-]+", name):
            language = kernelspec.get("language")
            display = kernelspec.get("display_name")
            return KernelChoice(
                name=name,
                language=language.lower() if isinstance(language, str) and language else None,
                display_name=display if isinstance(display, str) and display else None,
                source="notebook",
            )
    return KernelChoice(
        name=DEFAULT_KERNEL,
        language="python",
        display_name="Python 3 (ipykernel)",
        source="default",
    )


# --------------------------------------------------------------------------------- backend


def _backend(
    environment: Environment, files: dict[str, str], options: LaunchOptions, out: _Plan
) -> Backend:
    image_only = environment.image is not None and not files
    guix_only = "manifest.scm" in files and set(files) <= set(_GUIX) and environment.image is None
    asked = options.backend
    if asked is None:
        if "Dockerfile" in files or image_only:
            return "docker"
        return "guix" if guix_only else "local"
    why = ""
    if asked == "docker" and "Dockerfile" not in files and environment.image is None:
        why = "it needs a Dockerfile or an image, and the environment has neither"
    elif asked == "guix" and "manifest.scm" not in files:
        why = "it needs a manifest.scm, and the environment has none"
    elif asked == "local" and "Dockerfile" in files:
        why = "the Dockerfile replaces every other input, and only a container engine builds it"
    elif asked == "local" and image_only:
        why = "the environment is a container image"
    elif asked == "local" and guix_only:
        why = "the environment is a Guix manifest"
    if why:
        hint = {
            "docker": "Use --backend local, or add an image or a Dockerfile.",
            "guix": "Use --backend local, or add a manifest.scm.",
            "local": "Use --backend docker or --backend guix.",
        }[asked]
        if asked == "local" and guix_only:
            hint = "Use --backend guix."
        out.refuse(
            "launch-backend-unsupported",
            f"the {asked} backend cannot realize this environment: {why}",
            hint=hint,
        )
    return asked


def _need_tool(tools: tuple[str, ...], options: LaunchOptions, out: _Plan) -> str | None:
    for tool in tools:
        if tool in options.tools:
            return tool
    out.refuse(
        "launch-tool-missing",
        f"{' or '.join(repr(t) for t in tools)} is needed and was not found on this machine",
        hint=f"Install {tools[0]}, or choose another backend with --backend.",
    )
    return None


def _trust(name: str, options: LaunchOptions, out: _Plan) -> None:
    if not options.trusted:
        out.refuse(
            "launch-untrusted",
            f"{name!r} is code from the notebook's author and runs only when you trust it",
            _file(name),
            "Read it, then launch again with --trust (or sign the notebook with `jupyter trust`).",
        )


def _docker(
    environment: Environment, files: dict[str, str], options: LaunchOptions, out: _Plan
) -> None:
    tool = _need_tool(CONTAINER_TOOLS, options, out)
    image = environment.image
    if image is not None:
        reference = f"{image.ref}@{image.digest}" if image.digest else image.ref
        detail = {"ref": image.ref, "reference": reference}
        if image.digest:
            detail["digest"] = image.digest
        if tool:
            detail["engine"] = tool
        out.step("image", None, **detail)
        if not image.digest:
            out.notes.append(
                Note(
                    code="image-unpinned",
                    message=f"the image {image.ref!r} has no digest: it is run by its tag, "
                    "which can be moved to another image",
                    pointer="/image",
                    hint="Add image.digest to run exactly the image the author used.",
                )
            )
        for name in files:
            out.skip(name, "launch-file-not-applied", "the image is run as it is (a build of it)")
        return
    _trust("Dockerfile", options, out)
    out.step("dockerfile", "Dockerfile", **({"engine": tool} if tool else {}))
    from envspec.vocabulary import FILES

    for name in files:
        if name == "Dockerfile":
            continue
        if name in FILES and FILES[name].binder:
            out.skip(name, "ignored-by-binder", f"Binder ignores {name!r}: the Dockerfile wins")
        else:
            out.skip(name, "launch-file-not-applied", "the Dockerfile builds the environment")


def _guix(files: dict[str, str], options: LaunchOptions, out: _Plan) -> None:
    _need_tool(("guix",), options, out)
    for name in _GUIX:
        if name in files:
            _trust(name, options, out)
    detail = {"channels": "channels.scm"} if "channels.scm" in files else {}
    out.step("guix", "manifest.scm", **detail)
    for name in files:
        if name not in _GUIX:
            out.skip(name, "launch-file-not-applied", "the Guix manifest builds the environment")
    out.step("kernel")


# ----------------------------------------------------------------------------------- local


def _local(
    environment: Environment, files: dict[str, str], options: LaunchOptions, out: _Plan
) -> None:
    from envspec.checks.consistency import binder_ignored, binder_message
    from envspec.checks.textfiles import runtime_parts

    ignored = binder_ignored(files)
    for name, winner in ignored.items():
        out.skip(name, "ignored-by-binder", binder_message(name, winner))
    active = [n for n in files if n not in ignored]
    for name in active:
        if name in UNSUPPORTED_LOCALLY:
            out.refuse(
                "launch-file-unsupported",
                f"{name!r} describes {UNSUPPORTED_LOCALLY[name]}, which the local backend "
                "cannot build, and launching without it would not be this environment",
                _file(name),
                "Run it where that tool is available (an image with --backend docker), "
                "or describe the environment with requirements.txt or environment.yml.",
            )
        elif name in _GUIX:
            out.skip(name, "launch-file-not-applied", "the guix backend applies it")
    runtime = files.get("runtime.txt") if "runtime.txt" in active else None
    runtime_pin: str | None = None
    if runtime is not None:
        parts = runtime_parts(runtime)
        if parts is not None and parts[0] == "python" and parts[1]:
            runtime_pin = parts[1]
        else:
            out.refuse(
                "launch-file-unsupported",
                f"runtime.txt selects {runtime.strip()!r}, which the local backend cannot "
                "provide (it provides Python, as 'python-X.Y')",
                _file("runtime.txt"),
                "Run it with a backend that provides that runtime, or remove runtime.txt.",
            )
    conda = next((c for c in _CONDA if c in active), None)
    pin = environment.python
    pointer = "/python"
    if runtime_pin is not None:
        if pin is not None and not (
            python_meets(runtime_pin, pin) or python_meets(pin, runtime_pin)
        ):
            out.refuse(
                "python-mismatch",
                f"runtime.txt selects python {runtime_pin}, the pin is {pin!r}",
                _file("runtime.txt"),
                "Make every pin name the same Python.",
            )
        elif pin is None:
            pin, pointer = runtime_pin, _file("runtime.txt")
    _interpreter(pin, pointer, conda, "runtime.txt" if runtime_pin else None, options, out)
    if conda:
        out.step("conda", conda)
    if "pylock.toml" in files:
        out.step("pylock", "pylock.toml")
        if "requirements.txt" in active:
            out.skip(
                "requirements.txt",
                "launch-file-superseded",
                "pylock.toml is the exact form of the requirements: it is installed instead",
            )
    elif "requirements.txt" in active:
        out.step("pip", "requirements.txt")
    if "apt.txt" in active:
        out.step("apt-check", "apt.txt")
    if "postBuild" in active:
        _trust("postBuild", options, out)
        out.step("post-build", "postBuild")
    out.step("kernel")
    if "start" in active:
        _trust("start", options, out)
        out.step("start", "start")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def python_meets(version: str, pin: str) -> bool:
    """Whether Python *version* meets *pin*: ``MAJOR.MINOR`` matches any patch release,
    ``MAJOR.MINOR.PATCH`` only itself."""
    want = _version(pin)
    return bool(want) and _version(version)[: len(want)] == want


def _interpreter(
    pin: str | None,
    pointer: str,
    conda: str | None,
    runtime: str | None,
    options: LaunchOptions,
    out: _Plan,
) -> None:
    if conda:
        # The conda solve provides Python (from the channel): the pin is one more spec.
        out.step("interpreter", runtime, source="conda", **({"python": pin} if pin else {}))
        return
    found: list[Interpreter] = list(options.interpreters)
    if pin is not None:
        found = sorted(
            (i for i in found if python_meets(i.version, pin)),
            key=lambda i: _version(i.version),
            reverse=True,
        )
    if found:
        chosen = found[0]
        detail = {"version": chosen.version, "path": chosen.path}
        out.step("interpreter", runtime, **({"python": pin} if pin else {}), **detail)
        return
    seen = ", ".join(sorted({i.version for i in options.interpreters}, key=_version)) or "none"
    if pin is None:
        message = "no Python interpreter was found on this machine"
    else:
        where = "runtime.txt" if pointer != "/python" else "`python`"
        message = f"Python {pin} is pinned (by {where}) and no interpreter meets it; found: {seen}"
    out.refuse(
        "launch-python-unavailable",
        message,
        pointer if pin else "",
        f"Install Python {pin or '3'} (for example `uv python install {pin or '3'}`), "
        "then launch again.",
    )
    out.step("interpreter", runtime, **({"python": pin} if pin else {}))


# ------------------------------------------------------------------------ variables, machine


def _variables(
    environment: Environment, options: LaunchOptions, out: _Plan
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    declared = environment.env or {}
    supplied = set(options.variables)
    required = sorted(n for n, v in declared.items() if v is None and n not in supplied)
    if not options.allow_missing_variables:
        for name in required:
            out.refuse(
                "launch-variable-missing",
                f"the variable {name} is required and was not supplied",
                "/env/" + escape_pointer(name),
                f"Supply it: --env {name}=VALUE (or go on without it with --allow-missing-env).",
            )
    variables = sorted({n for n, v in declared.items() if v is not None} | supplied)
    return tuple(required), tuple(variables)


def quantity_bytes(text: str) -> int:
    """The number of bytes of a quantity such as ``16Gi`` (the ``hardware`` format)."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?", text)
    if match is None:
        raise ValueError(f"not a quantity: {text!r}")
    from decimal import Decimal

    return int(Decimal(match[1]) * _SUFFIX[match[2] or ""])


def _gib(count: int) -> str:
    return f"{count / 2**30:.1f} GiB"


def _hardware(environment: Environment, options: LaunchOptions, out: _Plan) -> None:
    hardware, machine = environment.hardware, options.machine
    if hardware is None or machine is None or options.accept_smaller_machine:
        return
    short: list[tuple[str, str]] = []
    if hardware.cpu is not None and machine.cpu is not None and hardware.cpu > machine.cpu:
        short.append(("/hardware/cpu", f"{hardware.cpu:g} CPUs (this machine has {machine.cpu:g})"))
    if hardware.memory is not None and machine.memory is not None:
        need = quantity_bytes(hardware.memory)
        if need > machine.memory:
            short.append(
                (
                    "/hardware/memory",
                    f"{hardware.memory} of memory (this machine has {_gib(machine.memory)})",
                )
            )
    if hardware.gpu is not None and hardware.gpu.count > machine.gpu:
        short.append(
            ("/hardware/gpu/count", f"{hardware.gpu.count} GPUs (this machine has {machine.gpu})")
        )
    for pointer, what in short:
        out.refuse(
            "launch-machine-too-small",
            f"the notebook needs {what}",
            pointer,
            "Launch it on a larger machine, or go on anyway with --accept-smaller-machine.",
        )
