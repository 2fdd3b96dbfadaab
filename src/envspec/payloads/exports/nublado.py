"""Nublado: a ``controller.config`` fragment of its Helm values (``images``, ``dropdownMenu``,
``lab``), checked against ``nublado-controller.schema.json`` (written from Nublado's
administrator documentation).

Nublado offers one image repository whose tags follow Rubin's conventions, so the payload
must use the ``rsp`` tag policy, and a deployment of several payloads is exported one
payload at a time.  Sizes must carry one of Nublado's fixed size names.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import Finding
from envspec.payloads.exports import ExportResult, dump_json, dump_yaml
from envspec.payloads.exports._common import cores_of, k8s_secret, lossy

if TYPE_CHECKING:
    from envspec.payloads.exports import Format, Offer
    from envspec.payloads.models import Lab, Menu, Payload

__all__ = ["FORMATS", "SIZE_NAMES", "export", "render", "schema"]

FORMATS: tuple[Format, ...] = ("yaml", "json")

#: The lab sizes Nublado knows, smallest first.
SIZE_NAMES = (
    "fine",
    "diminutive",
    "tiny",
    "small",
    "medium",
    "large",
    "huge",
    "gargantuan",
    "colossal",
)

_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

#: The payload's category -> Nublado's key, for prepull counts and dropdown filters.
_PREPULL = {"release": "numReleases", "weekly": "numWeeklies", "daily": "numDailies"}
_DROPDOWN = {
    "release": "release",
    "weekly": "weekly",
    "daily": "daily",
    "candidate": "releaseCandidate",
    "experimental": "experimental",
}
_DEFAULT_BOTS = {
    "recommended": ("tag", "recommended"),
    "latest-release": ("latest", "release"),
    "latest-weekly": ("latest", "weekly"),
    "latest-daily": ("latest", "daily"),
}


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the fragment."""
    from importlib.resources import files

    text = files(__package__ or "").joinpath("nublado-controller.schema.json").read_text("utf-8")
    value: dict[str, Any] = json.loads(text)
    return value


def export(offer: Offer) -> ExportResult:
    """The fragment for the one payload of *offer*."""
    if len(offer.payloads) != 1:
        names = ", ".join(p.name for p in offer.payloads)
        finding = Finding(
            "export-unsupported",
            f"Nublado offers one image repository; this deployment has {len(offer.payloads)} "
            f"payloads ({names})",
            (),
            hint="Export one payload with --payload NAME (one Nublado instance per payload).",
        )
        return ExportResult("nublado", None, (("", finding),))
    payload = offer.payloads[0]
    found: list[Finding] = []
    if payload.tags.policy != "rsp":
        found.append(
            Finding(
                "export-unsupported",
                f"Nublado reads only Rubin-style tags; this payload's tag policy is "
                f"{payload.tags.policy!r}",
                ("tags", "policy"),
                hint="Use the rsp tag policy, or export to kubespawner.",
            )
        )
    config: dict[str, Any] = {"images": _images(payload, found)}
    if payload.menu is not None and payload.menu.dropdown:
        config["dropdownMenu"] = _dropdown(payload.menu, found)
    if payload.lab is not None:
        lab = _lab(payload.lab, found)
        if lab:
            config["lab"] = lab
    if payload.compatibility is not None:
        found.append(
            lossy(
                ("compatibility",),
                "Nublado has no per-image compatibility: its start command is per deployment",
                "Keep lab.start working for every image the menu offers.",
            )
        )
    if offer.menus.get(payload.name) is not None:
        found.append(
            lossy(
                (),
                "Nublado reads the tags from the registry itself: the tag list is not used",
            )
        )
    value = {"controller": {"config": config}}
    _check(value)
    return ExportResult("nublado", value, tuple((payload.name, f) for f in found))


def _check(value: Any) -> None:
    from envspec._jsonschema import iter_errors

    errors = list(iter_errors(value, schema()))
    if errors:  # pragma: no cover - a bug of this module, not of the payload
        raise AssertionError(f"the Nublado fragment does not match its schema: {errors[0]}")


def _images(payload: Payload, found: list[Finding]) -> dict[str, Any]:
    source = payload.image
    images: dict[str, Any] = {}
    if source.type == "docker":
        images["source"] = {
            "type": "docker",
            "registry": source.registry,
            "repository": source.repository,
        }
    else:
        images["source"] = {
            "type": "google",
            "location": source.location,
            "projectId": source.project_id,
            "repository": source.repository,
            "image": source.image,
        }
    menu = payload.menu
    if menu is None:
        return images
    if menu.recommended:
        images["recommendedTag"] = menu.recommended
    if menu.prepull is not None:
        for category, key in _PREPULL.items():
            images[key] = menu.prepull.get(category, 0)
        for category in sorted(set(menu.prepull) - set(_PREPULL)):
            found.append(
                lossy(
                    ("menu", "prepull", category),
                    f"Nublado prepulls only releases, weeklies and dailies by number: "
                    f"{category!r} is not prepulled",
                    "Pin the tags of this category you want prepulled (menu.pins).",
                )
            )
    if menu.pins:
        images["pin"] = [pin.tag for pin in menu.pins]
        for index, pin in enumerate(menu.pins):
            if pin.digest:
                found.append(
                    lossy(
                        ("menu", "pins", index, "digest"),
                        f"Nublado pins tags, not digests: {pin.tag} is pinned by tag only",
                    )
                )
    if menu.aliases:
        images["aliasTags"] = list(menu.aliases)
    if menu.cycle is not None:
        images["cycle"] = menu.cycle
    for name, bot in sorted((menu.bot_names or {}).items()):
        target = ("tag", bot.tag) if bot.tag else ("latest", bot.latest)
        expected = _DEFAULT_BOTS.get(name)
        if name == "recommended":
            expected = ("tag", menu.recommended or "recommended")
        if expected != target:
            found.append(
                lossy(
                    ("menu", "bot_names", name),
                    f"Nublado's image classes are fixed ({', '.join(_DEFAULT_BOTS)}): "
                    f"{name!r} is not exported",
                )
            )
    if menu.hide_architectures is False:
        found.append(
            lossy(
                ("menu", "hide_architectures"),
                "Nublado always leaves architecture-specific tags out of the prepulled menu",
            )
        )
    return images


def _dropdown(menu: Menu, found: list[Finding]) -> dict[str, Any]:
    dropdown: dict[str, Any] = {}
    for category, rule in (menu.dropdown or {}).items():
        key = _DROPDOWN.get(category)
        if key is None:
            found.append(
                lossy(
                    ("menu", "dropdown", category),
                    f"Nublado filters only releases, candidates, weeklies, dailies and "
                    f"experimentals: the {category!r} filter is not exported",
                )
            )
            continue
        entry: dict[str, Any] = {}
        if rule.number is not None:
            entry["number"] = rule.number
        if rule.age is not None:
            entry["age"] = rule.age
        if rule.cutoff_version is not None:
            version = rule.cutoff_version
            parts = version.split(".")
            if category in {"release", "candidate"} and all(p.isdigit() for p in parts):
                entry["cutoffVersion"] = ".".join(([*parts, "0", "0"])[:3])
            else:
                found.append(
                    lossy(
                        ("menu", "dropdown", category, "cutoff_version"),
                        f"Nublado compares versions of releases and candidates only (as "
                        f"MAJOR.MINOR.PATCH): cutoff_version {version!r} is not exported",
                    )
                )
        if rule.cutoff_date is not None:
            entry["cutoffDate"] = rule.cutoff_date
        dropdown[key] = entry
    return dropdown


def _lab(lab: Lab, found: list[Finding]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env: dict[str, str] = {}
    secrets: list[dict[str, Any]] = []
    for name, var in sorted((lab.env or {}).items()):
        path: tuple[str | int, ...] = ("lab", "env", name)
        if var.secret is not None:
            secret = k8s_secret(var.secret)
            if secret is None:
                found.append(_secret_store(path, name, var.secret.store))
                continue
            secrets.append({"secretName": secret[0], "secretKey": secret[1], "env": name})
        elif var.value is not None:
            env[name] = var.value
        elif var.required:
            found.append(
                lossy(
                    path,
                    f"{name} is required and has no value: Nublado cannot require a variable",
                    "Give it a value in controller.config.lab.env.",
                )
            )
    files: dict[str, str] = {}
    for index, file in enumerate(lab.files or ()):
        path = ("lab", "files", index)
        if file.secret is not None:
            secret = k8s_secret(file.secret)
            if secret is None:
                found.append(_secret_store(path, file.path, file.secret.store))
                continue
            secrets.append({"secretName": secret[0], "secretKey": secret[1], "path": file.path})
        else:
            files[file.path] = file.content or ""
        if file.mode is not None:
            found.append(
                lossy((*path, "mode"), f"Nublado sets no file modes: {file.path}'s is not kept")
            )
    if env:
        out["env"] = env
    if files:
        out["files"] = dict(sorted(files.items()))
    if secrets:
        out["secrets"] = secrets
    sizes = _sizes(lab, found)
    if sizes:
        out["sizes"] = sizes
        names = [s["size"] for s in sizes]
        if lab.default_size and lab.default_size in names:
            out["defaultSize"] = lab.default_size
    volumes, mounts = _volumes(lab, found)
    if volumes:
        out["volumes"] = volumes
        out["volumeMounts"] = mounts
    if lab.start:
        out["labStartCommand"] = list(lab.start)
    return out


def _secret_store(path: tuple[str | int, ...], what: str, store: str) -> Finding:
    return lossy(
        (*path, "secret"),
        f"{what} is read from secret store {store!r}: Nublado reads only Kubernetes secrets "
        "of its own namespace",
        "Use store 'kubernetes' with key 'SECRET-NAME/KEY' (nublado-lab-secret/KEY).",
    )


def _sizes(lab: Lab, found: list[Finding]) -> list[dict[str, Any]]:
    sizes: list[dict[str, Any]] = []
    for index, size in enumerate(lab.sizes or ()):
        path: tuple[str | int, ...] = ("lab", "sizes", index)
        if size.name not in SIZE_NAMES:
            found.append(
                Finding(
                    "export-size-name",
                    f"size {size.name!r} is not one of Nublado's size names "
                    f"({', '.join(SIZE_NAMES)})",
                    (*path, "name"),
                )
            )
            continue
        limits, requests = size.cpu.limit, size.cpu.request
        memory_limit, memory_request = size.memory.limit, size.memory.request
        if not (limits or requests) or not (memory_limit or memory_request):
            found.append(
                Finding(
                    "export-unsupported",
                    f"size {size.name!r} needs a CPU and a memory amount for Nublado",
                    path,
                    hint="Give cpu and memory a request or a limit.",
                )
            )
            continue
        cpu_limit = cores_of(limits or requests or "0")
        cpu_request = cores_of(requests or limits or "0")
        sizes.append(
            {
                "size": size.name,
                "resources": {
                    "limits": {"cpu": cpu_limit, "memory": memory_limit or memory_request},
                    "requests": {"cpu": cpu_request, "memory": memory_request or memory_limit},
                },
            }
        )
        if not (size.cpu.limit and size.cpu.request and memory_limit and memory_request):
            found.append(
                lossy(
                    path,
                    f"Nublado needs both limits and requests: size {size.name!r} uses the one "
                    "given for both",
                )
            )
        if size.gpu is not None:
            found.append(
                lossy(
                    (*path, "gpu"),
                    "Nublado sizes have no GPU: the GPU is not exported",
                    "Select GPU nodes with controller.config.lab.nodeSelector and tolerations.",
                )
            )
        if size.title is not None:
            found.append(
                lossy(
                    (*path, "title"),
                    f"Nublado labels sizes itself (name, CPU and memory): the title of "
                    f"{size.name!r} is not exported",
                )
            )
    return sizes


def _volumes(lab: Lab, found: list[Finding]) -> tuple[list[Any], list[Any]]:
    volumes: list[Any] = []
    mounts: list[Any] = []
    for index, volume in enumerate(lab.volumes or ()):
        path: tuple[str | int, ...] = ("lab", "volumes", index)
        source: dict[str, Any]
        if not _K8S_NAME.fullmatch(volume.name):
            found.append(
                Finding(
                    "export-unsupported",
                    f"volume name {volume.name!r} is not a Kubernetes name (lower case, "
                    "digits and '-')",
                    (*path, "name"),
                    hint="Rename the volume.",
                )
            )
            continue
        if volume.source == "nfs":
            source = {"type": "nfs", "server": volume.server, "serverPath": volume.path}
            if volume.read_only:
                source["readOnly"] = True
        elif volume.source == "host-path":
            source = {"type": "hostPath", "path": volume.path}
        else:
            what = {
                "pvc": "mounts no existing claim (it makes one per lab from a storage class)",
                "empty-dir": "mounts no emptyDir volume but /tmp",
            }[volume.source]
            found.append(
                lossy(
                    (*path, "source"),
                    f"Nublado {what}: volume {volume.name!r} is not exported",
                    "Add it to controller.config.lab.volumes by hand.",
                )
            )
            continue
        volumes.append({"name": volume.name, "source": source})
        mount: dict[str, Any] = {"containerPath": volume.mount_path, "volumeName": volume.name}
        if volume.read_only:
            mount["readOnly"] = True
        mounts.append(mount)
    return volumes, mounts


def render(value: Any, fmt: Format) -> str:
    """YAML (ruamel.yaml) or JSON of the fragment."""
    if fmt == "json":
        return dump_json(value)
    return dump_yaml(value)
