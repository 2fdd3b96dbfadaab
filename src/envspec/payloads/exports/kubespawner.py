"""KubeSpawner: the value of ``c.KubeSpawner.profile_list``.

One profile per payload (slug = the payload's name, the default payload's profile is the
default).  ``profile_options.image`` lists the payload's images in menu order: with a
tag list, the menu's images (the recommended one selected), then the dropdown's other
images, then the names bots ask for (``latest-weekly``...) that are not tags, each
launching the image it names; without one, the recommended tag and the pins, and an
``Other...`` free-text entry for any other tag of the repository.  An image with a
maintenance rebuild launches the rebuild (the newest one whose lab interface is at most
the payload's).  ``profile_options.size`` lists the sizes, each overriding
``cpu_guarantee``, ``cpu_limit``, ``mem_guarantee``, ``mem_limit`` (in bytes) and, for a
GPU, ``extra_resource_limits``.  The lab's start command, plain environment variables,
Kubernetes secrets, volumes and files go into the profile's ``kubespawner_override``
(``cmd``, ``environment``, ``volumes``/``volume_mounts``; a file from a Kubernetes secret
is a secret volume mounted at its path, a file with content is written by a
``postStart`` hook).
"""

from __future__ import annotations

import re
import shlex
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
    from collections.abc import Callable

    from envspec.diagnostics import Finding
    from envspec.payloads.exports import Format, ImageMenu, Offer
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
        profiles.append(_profile(payload, offer.menus.get(payload.name), found))
        if payload.name == default:
            profiles[-1]["default"] = True
        findings += [(payload.name, f) for f in found]
    return ExportResult("kubespawner", profiles, tuple(findings))


def _profile(payload: Payload, menu: ImageMenu | None, found: list[Finding]) -> Any:
    profile: dict[str, Any] = {
        "display_name": payload.title or payload.name,
        "slug": payload.name,
    }
    if payload.description:
        profile["description"] = payload.description
    override: dict[str, Any] = {}
    options: dict[str, Any] = {}
    choices = list(menu.choices) if menu is not None else static_choices(payload)
    repository = repository_reference(payload)
    image: dict[str, Any] = {"display_name": "Image"}
    if choices and not any(c.default for c in choices):
        choices[0] = ImageChoice(
            choices[0].tag, choices[0].display, choices[0].reference, default=True
        )
    if menu is not None:
        choices += menu.dropdown
    # Each choice by its key: a tag, or a name bots ask for (the choice of its image).
    keyed = [(c.tag, c) for c in choices]
    keys = {c.tag for c in choices}
    for name, target in _bot_choices(payload, menu, repository, found).items():
        if name not in keys:
            keys.add(name)
            keyed.append(
                (name, ImageChoice(target.tag, f"{name}: {target.display}", target.reference))
            )
    launch = _launcher(payload, menu, repository)
    if keyed:
        image["choices"] = {
            key: {
                "display_name": c.display,
                **({"default": True} if c.default else {}),
                "kubespawner_override": {"image": launch(c)},
            }
            for key, c in keyed
        }
    if menu is None:
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
    compatibility = payload.compatibility
    if compatibility is not None and (compatibility.spawner or compatibility.oldest_base):
        found.append(
            lossy(
                ("compatibility", "spawner" if compatibility.spawner else "oldest_base"),
                "KubeSpawner checks no spawner interface range and no base image: "
                "compatibility.spawner and compatibility.oldest_base are a note only",
                "Give only images this deployment can launch in the menu (pins, tag list).",
            )
        )
    if override:
        profile["kubespawner_override"] = override
    profile["profile_options"] = options
    return profile


def _bot_choices(
    payload: Payload, menu: ImageMenu | None, repository: str, found: list[Finding]
) -> dict[str, ImageChoice]:
    """The names bots ask for, each with the image it gets (as a choice of that name)."""
    if menu is not None:
        return dict(menu.bots)
    names = payload.menu.bot_names if payload.menu is not None else None
    result: dict[str, ImageChoice] = {}
    for name, bot in (names or {}).items():
        if bot.tag is not None:
            result[name] = ImageChoice(bot.tag, bot.tag, f"{repository}:{bot.tag}")
        else:
            found.append(
                lossy(
                    ("menu", "bot_names", name),
                    f"{name!r} names the newest {bot.latest} image, which only a tag list "
                    "tells: it is not exported",
                    "Pass the registry's tags with --tags FILE.",
                )
            )
    return result


def _launcher(
    payload: Payload, menu: ImageMenu | None, repository: str
) -> Callable[[ImageChoice], str]:
    """The reference each choice launches: the newest rebuild of its image whose lab
    interface is at most the payload's (a rebuild is preferred whenever it can run)."""
    from envspec.payloads.compatibility import InterfaceRange, choose_image
    from envspec.payloads.load import compat_images, menu_payload
    from envspec.payloads.tags import make_policy, sort_tags

    images, interface = compat_images(payload)
    if not any(i.rebuild_of for i in images.values()) or interface is None:
        return lambda choice: choice.reference
    policy = make_policy(menu_payload(payload).policy)
    supported = InterfaceRange("0", interface)
    lookup = menu.lookup if menu is not None and menu.lookup is not None else None

    def newest_first(tags: list[str]) -> list[str]:
        return [p.tag for p in sort_tags(policy, [policy.parse(t) for t in tags])]

    def launch(choice: ImageChoice) -> str:
        decision = choose_image(
            choice.tag, images, supported, default_interface=interface, newest_first=newest_first
        )
        if decision.launch is None or decision.launch == choice.tag:
            return choice.reference
        rebuilt = lookup(decision.launch) if lookup is not None else None
        return rebuilt.reference if rebuilt is not None else f"{repository}:{decision.launch}"

    return launch


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
    if menu.dropdown and not listed:
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
    volumes: dict[str, Any] = {}
    mounts: dict[str, Any] = {}
    _files(lab, override, volumes, mounts, found)
    for volume in lab.volumes or ():
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
    if volumes:
        override["volumes"] = volumes
        override["volume_mounts"] = mounts


def _files(
    lab: Lab,
    override: dict[str, Any],
    volumes: dict[str, Any],
    mounts: dict[str, Any],
    found: list[Finding],
) -> None:
    """A file from a Kubernetes secret: a secret volume mounted at its path; a file with
    content: written by a ``postStart`` hook of the lab container."""
    script: list[str] = []
    for index, file in enumerate(lab.files or ()):
        path: tuple[str | int, ...] = ("lab", "files", index)
        mode = int(file.mode, 8) if file.mode else None
        if file.secret is not None:
            secret = k8s_secret(file.secret)
            if secret is None:
                found.append(
                    lossy(
                        (*path, "secret"),
                        f"{file.path} is read from secret store {file.secret.store!r}: "
                        "KubeSpawner mounts only Kubernetes secrets",
                        "Use store 'kubernetes' with key 'SECRET-NAME/KEY'.",
                    )
                )
                continue
            name = f"file-{index}"
            base = file.path.rstrip("/").rsplit("/", 1)[-1]
            source: dict[str, Any] = {
                "secretName": secret[0],
                "items": [{"key": secret[1], "path": base}],
            }
            if mode is not None:
                source["defaultMode"] = mode
            volumes[name] = {"name": name, "secret": source}
            mounts[name] = {"name": name, "mountPath": file.path, "subPath": base, "readOnly": True}
        elif file.content is not None:
            folder = file.path.rsplit("/", 1)[0] or "/"
            target = shlex.quote(file.path)
            script.append(
                f"mkdir -p {shlex.quote(folder)} && printf %s {shlex.quote(file.content)} "
                f"> {target}" + (f" && chmod {file.mode} {target}" if file.mode else "")
            )
    if script:
        override["lifecycle_hooks"] = {
            "postStart": {"exec": {"command": ["sh", "-c", " && ".join(script)]}}
        }
        found.append(
            approximate(
                ("lab", "files"),
                "KubeSpawner has no files: those with content are written by a postStart hook "
                "(sh, as the lab's user, after the container starts)",
                "Use a Kubernetes secret or a ConfigMap volume where the file must exist "
                "before the lab starts.",
            )
        )


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
