"""What the targets share: image references, quantities, secrets, and the findings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from envspec.diagnostics import Finding

if TYPE_CHECKING:
    from envspec.payloads.exports import ImageChoice
    from envspec.payloads.models import Payload, SecretRef

__all__ = [
    "GPU_RESOURCES",
    "approximate",
    "bytes_of",
    "cores_of",
    "k8s_secret",
    "lossy",
    "repository_reference",
    "static_choices",
]

#: The Kubernetes extended resource of each GPU vendor's device plugin.
GPU_RESOURCES = {
    "nvidia": "nvidia.com/gpu",
    "amd": "amd.com/gpu",
    "intel": "gpu.intel.com/i915",
}

_SUFFIX = {
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}
_SECRET_NAME = re.compile(r"[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?")
_SECRET_KEY = re.compile(r"[-._A-Za-z0-9]+")
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)")


def _decimal(text: str) -> Decimal:
    match = _QUANTITY.fullmatch(text)
    if match is None or match[2] not in _SUFFIX:
        raise ValueError(f"{text!r} is not a quantity")
    return Decimal(match[1]) * _SUFFIX[match[2]]


def bytes_of(text: str) -> int:
    """A memory quantity as a whole number of bytes (``4Gi`` -> 4294967296, ``1.5G`` ->
    1500000000).  JupyterHub reads ``4G`` as 4 GiB where Kubernetes reads 4 * 10**9 bytes,
    so the spawner gets bytes, never a suffix."""
    return int(_decimal(text))


def cores_of(text: str) -> float:
    """A CPU quantity as a number of cores."""
    return float(_decimal(text))


def repository_reference(payload: Payload) -> str:
    """``registry/repository`` (Docker) or ``LOCATION-docker.pkg.dev/PROJECT/REPO/IMAGE``."""
    source = payload.image
    if source.type == "docker":
        return f"{source.registry}/{source.repository}"
    return (
        f"{source.location}-docker.pkg.dev/{source.project_id}/{source.repository}/{source.image}"
    )


def static_choices(payload: Payload) -> list[ImageChoice]:
    """The images a payload's menu names without a tag list: the recommended tag, then the
    pins (by digest when pinned)."""
    from envspec.payloads.exports import ImageChoice
    from envspec.payloads.exports._load import menu_payload
    from envspec.payloads.tags import make_policy

    base = repository_reference(payload)
    policy = make_policy(menu_payload(payload, base).policy)
    menu = payload.menu
    choices: list[ImageChoice] = []
    if menu is not None and menu.recommended:
        tag = menu.recommended
        display = policy.alias(tag).display
        choices.append(ImageChoice(tag, display, f"{base}:{tag}", True))
    for pin in (menu.pins if menu is not None else None) or ():
        if any(c.tag == pin.tag for c in choices):
            continue
        reference = f"{base}:{pin.tag}" + (f"@{pin.digest}" if pin.digest else "")
        choices.append(ImageChoice(pin.tag, policy.parse(pin.tag).display, reference))
    return choices


def k8s_secret(ref: SecretRef) -> tuple[str, str] | None:
    """``(secret name, key)`` of a reference to the ``kubernetes`` store (key ``NAME/KEY``);
    ``None`` for other stores, which a Kubernetes spawner cannot read."""
    if ref.store not in {"kubernetes", "k8s"}:
        return None
    name, _, key = ref.key.partition("/")
    if _SECRET_NAME.fullmatch(name) and _SECRET_KEY.fullmatch(key):
        return name, key
    return None


def lossy(path: tuple[str | int, ...], message: str, hint: str | None = None) -> Finding:
    """A part of the payload the target cannot express: left out of the output."""
    return Finding("export-lossy", message, path, hint=hint)


def approximate(path: tuple[str | int, ...], message: str, hint: str | None = None) -> Finding:
    """A part of the payload mapped to the nearest thing the target has."""
    return Finding("export-approximate", message, path, hint=hint)
