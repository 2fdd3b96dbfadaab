"""KubeSpawner: the value of ``c.KubeSpawner.profile_list``.

One profile per payload (slug = the payload's name, the default payload's profile is the
default); ``profile_options.image`` lists the payload's images (the menu built from a tag
list, else the recommended tag and the pins), the recommended one selected, with an
``Other...`` free-text entry for any other tag of the repository (the dropdown);
``profile_options.size`` lists the sizes, each overriding ``cpu_guarantee``,
``cpu_limit``, ``mem_guarantee``, ``mem_limit`` (in bytes) and, for a GPU,
``extra_resource_limits``.  The lab's start command, plain environment variables,
Kubernetes secrets and volumes go into the profile's ``kubespawner_override``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from envspec.payloads.exports import ExportResult, ImageChoice, dump_json, dump_yaml
from envspec.payloads.exports._common import (
    GPU_RESOURCES,
    approximate,
    bytes_of,
    cores_of,
    k8s_secret,
    lossy,
    repository_reference,
    static_choices,
)

if TYPE_CHECKING:
    from envspec.diagnostics import Finding
    from envspec.payloads.exports import Format, Offer
    from envspec.payloads.models import Lab, Payload, Size

__all__ = ["FORMATS", "export", "render"]

FORMATS: tuple[Format, ...] = ("yaml", "json", "python")

_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"


def export(offer: Offer) -> ExportResult:
    """The profile list of *offer*'s payloads, in order."""
    findings: list[tuple[str, Finding]] = []
    profiles = []
    default = offer.default or (offer.payloads[0].name if offer.payloads else None)
    for payload in offer.payloads:
        found: list[Finding] = []
        menu = offer.menus.get(payload.name)
        profiles.append(_profile(payload, menu.choices if menu else None, found))
        if payload.name == default:
            profiles[-1]["default"] = True
        findings += [(payload.name, f) for f in found]
    return ExportResult("kubespawner", profiles, tuple(findings))


def _profile(payload: Payload, menu: tuple[ImageChoice, ...] | None, found: list[Finding]) -> Any:
    profile: dict[str, Any] = {
        "display_name": payload.title or payload.name,
        "slug": payload.name,
    }
    if payload.description:
        profile["description"] = payload.description
    override: dict[str, Any] = {}
    options: dict[str, Any] = {}
    choices = list(menu) if menu is not None else static_choices(payload)
    repository = repository_reference(payload)
    image: dict[str, Any] = {"display_name": "Image"}
    if choices:
        if not any(c.default for c in choices):
            choices[0] = ImageChoice(
                choices[0].tag, choices[0].display, choices[0].reference, default=True
            )
        image["choices"] = {
            c.tag: {
                "display_name": c.display,
                **({"default": True} if c.default else {}),
                "kubespawner_override": {"image": c.reference},
            }
            for c in choices
        }
    image["unlisted_choice"] = {
        "enabled": True,
        "display_name": f"Other image of {repository} (slower start)",
        "display_name_in_choices": "Other image...",
        "validation_regex": f"^{re.escape(repository)}:{_TAG}$",
        "validation_message": f"An image of {repository}: {repository}:TAG",
        "kubespawner_override": {"image": "{value}"},
    }
    options["image"] = image
    _menu_losses(payload, menu is not None, found)
    lab = payload.lab
    if lab is not None:
        if lab.sizes:
            options["size"] = _sizes(lab, found)
        _lab(lab, override, found)
    if payload.compatibility is not None:
        found.append(
            lossy(
                ("compatibility",),
                "KubeSpawner has no notion of a lab interface version or of rebuilds: "
                "compatibility is not exported",
                "Give only images this deployment can launch in the menu (pins, tag list).",
            )
        )
    if override:
        profile["kubespawner_override"] = override
    profile["profile_options"] = options
    return profile


def _menu_losses(payload: Payload, listed: bool, found: list[Finding]) -> None:
    menu = payload.menu
    if menu is None:
        return
    if not listed and menu.prepull:
        found.append(
            lossy(
                ("menu", "prepull"),
                "without a tag list the newest tags of each category are unknown: the image "
                "choice lists only the recommended tag and the pins",
                "Pass the registry's tags with --tags FILE.",
            )
        )
    if menu.dropdown:
        found.append(
            approximate(
                ("menu", "dropdown"),
                "KubeSpawner has no filtered dropdown: any tag of the repository can be typed "
                "in the 'Other image...' field",
                "Narrow unlisted_choice.validation_regex by hand to the tags the filters allow.",
            )
        )
    if menu.cycle is not None and not listed:
        found.append(
            lossy(
                ("menu", "cycle"),
                "the cycle restriction needs a tag list: the 'Other image...' field accepts "
                "any cycle",
                "Pass the registry's tags with --tags FILE.",
            )
        )
    if menu.bot_names:
        found.append(
            lossy(
                ("menu", "bot_names"),
                "KubeSpawner has no names for bots: a client asks for a choice by its tag",
            )
        )


def _sizes(lab: Lab, found: list[Finding]) -> dict[str, Any]:
    sizes = lab.sizes or []
    default = lab.default_size or sizes[0].name
    choices: dict[str, Any] = {}
    for index, size in enumerate(sizes):
        choice: dict[str, Any] = {"display_name": size.title or _size_title(size)}
        if size.name == default:
            choice["default"] = True
        choice["kubespawner_override"] = _resources(size, ("lab", "sizes", index), found)
        choices[size.name] = choice
    return {"display_name": "Size", "choices": choices}


def _size_title(size: Size) -> str:
    cpu = size.cpu.limit or size.cpu.request
    memory = size.memory.limit or size.memory.request
    parts = [f"{cpu} CPU" if cpu else "", f"{memory} RAM" if memory else ""]
    if size.gpu is not None:
        parts.append(f"{size.gpu.count} GPU")
    detail = ", ".join(p for p in parts if p)
    return f"{size.name.title()} ({detail})" if detail else size.name.title()


def _resources(size: Size, path: tuple[str | int, ...], found: list[Finding]) -> dict[str, Any]:
    override: dict[str, Any] = {}
    if size.cpu.request:
        override["cpu_guarantee"] = cores_of(size.cpu.request)
    if size.cpu.limit:
        override["cpu_limit"] = cores_of(size.cpu.limit)
    if size.memory.request:
        override["mem_guarantee"] = bytes_of(size.memory.request)
    if size.memory.limit:
        override["mem_limit"] = bytes_of(size.memory.limit)
    gpu = size.gpu
    if gpu is not None:
        vendor = (gpu.vendor or "nvidia").lower()
        resource = GPU_RESOURCES.get(vendor)
        if resource is None:
            found.append(
                lossy(
                    (*path, "gpu", "vendor"),
                    f"no known Kubernetes resource for GPUs of vendor {gpu.vendor!r} "
                    f"(known: {', '.join(sorted(GPU_RESOURCES))}): the GPU is not exported",
                    "Add extra_resource_limits to the profile by hand.",
                )
            )
        else:
            if gpu.vendor is None:
                found.append(
                    approximate(
                        (*path, "gpu"),
                        "the GPU has no vendor: exported as nvidia.com/gpu",
                        "Give gpu.vendor (nvidia, amd, intel).",
                    )
                )
            override["extra_resource_limits"] = {resource: str(gpu.count)}
        if gpu.memory:
            found.append(
                lossy(
                    (*path, "gpu", "memory"),
                    "Kubernetes cannot request GPU memory: gpu.memory is not exported",
                    "Select nodes with enough GPU memory (node_selector) by hand.",
                )
            )
    return override


def _lab(lab: Lab, override: dict[str, Any], found: list[Finding]) -> None:
    if lab.start:
        override["cmd"] = list(lab.start)
    environment: dict[str, Any] = {}
    for name, var in sorted((lab.env or {}).items()):
        path: tuple[str | int, ...] = ("lab", "env", name)
        if var.secret is not None:
            secret = k8s_secret(var.secret)
            if secret is None:
                found.append(
                    lossy(
                        (*path, "secret"),
                        f"{name} is read from secret store {var.secret.store!r}: KubeSpawner "
                        "reads only Kubernetes secrets",
                        "Use store 'kubernetes' with key 'SECRET-NAME/KEY', or set it by hand.",
                    )
                )
                continue
            environment[name] = {
                "name": name,
                "valueFrom": {"secretKeyRef": {"name": secret[0], "key": secret[1]}},
            }
        elif var.value is not None:
            environment[name] = var.value
        elif var.required:
            found.append(
                lossy(
                    path,
                    f"{name} is required and has no value: KubeSpawner cannot require a variable",
                    "Set it in c.KubeSpawner.environment.",
                )
            )
    if environment:
        override["environment"] = environment
    if lab.files:
        found.append(
            lossy(
                ("lab", "files"),
                "KubeSpawner writes no files into the lab: lab.files are not exported",
                "Put the files in a ConfigMap mounted with volumes and volume_mounts.",
            )
        )
    volumes: dict[str, Any] = {}
    mounts: dict[str, Any] = {}
    for index, volume in enumerate(lab.volumes or ()):
        spec: dict[str, Any] = {"name": volume.name}
        if volume.source == "nfs":
            spec["nfs"] = {"server": volume.server, "path": volume.path}
        elif volume.source == "pvc":
            spec["persistentVolumeClaim"] = {"claimName": volume.claim}
        elif volume.source == "host-path":
            spec["hostPath"] = {"path": volume.path}
        else:
            spec["emptyDir"] = {}
        volumes[volume.name] = spec
        mount: dict[str, Any] = {"name": volume.name, "mountPath": volume.mount_path}
        if volume.read_only:
            mount["readOnly"] = True
        mounts[volume.name] = mount
        del index
    if volumes:
        override["volumes"] = volumes
        override["volume_mounts"] = mounts


def render(value: Any, fmt: Format) -> str:
    """YAML or JSON of the list, or a Python snippet setting ``c.KubeSpawner.profile_list``."""
    if fmt == "yaml":
        return dump_yaml(value)
    if fmt == "json":
        return dump_json(value)
    import pprint

    body = pprint.pformat(value, indent=1, width=96, sort_dicts=False)
    return (
        "# Generated by `envspec payload export --to kubespawner --format python`.\n"
        f"c.KubeSpawner.profile_list = {body}\n"
    )
