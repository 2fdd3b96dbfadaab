"""Reading a payload (or a deployment of several) for the tag, menu and compatibility
commands: the file is validated first (``envspec payload validate``'s diagnostics); a
valid one becomes the plain inputs of :mod:`envspec.payloads.menu` and
:mod:`envspec.payloads.compatibility`."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

from envspec.diagnostics import Diagnostic
from envspec.payloads.compatibility import ImageCompat
from envspec.payloads.menu import CategoryFilter, MenuConfig, MenuPayload
from envspec.payloads.policies.rules import SortSpec, TagRule
from envspec.payloads.tags import PolicyConfig

__all__ = [
    "LoadedPayloads",
    "compat_images",
    "load_payloads",
    "menu_payload",
    "policy_config",
]

#: How many images of each category are prepulled when a payload does not say.
DEFAULT_PREPULL: dict[str, dict[str, int]] = {
    "rsp": {"release": 1, "weekly": 2, "daily": 3},
    "semver": {"release": 1},
    "calver": {"release": 1},
}


@dataclass(slots=True)
class LoadedPayloads:
    """The payloads of one file (one, or a deployment's), or the diagnostics that stop it."""

    file: str
    payloads: list[Any] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    default: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the file could be used (warnings allowed)."""
        return bool(self.payloads) and not any(d.severity == "error" for d in self.diagnostics)


def _read_model(path: str) -> tuple[Any, list[Diagnostic]]:
    from envspec._readfile import read_regular
    from envspec.notebook import read_document
    from envspec.payloads.models import Deployment, Payload
    from envspec.payloads.validate import (
        PAYLOAD_SUFFIXES,
        document_kind,
        validate_payload_bytes,
        validate_payload_paths,
    )

    if not os.path.isfile(path):
        result = validate_payload_paths([path])
        return None, [d for r in result.reports for d in r.diagnostics]
    data = read_regular(path)
    report = validate_payload_bytes(data, path)
    diagnostics = list(report.diagnostics)
    if report.errors:
        return None, diagnostics
    kind = next(k for s, k in PAYLOAD_SUFFIXES.items() if path.lower().endswith(s))
    document = read_document(data, kind).document
    if not isinstance(document, dict):  # pragma: no cover - validated above
        return None, diagnostics
    model_type = Deployment if document_kind(document) == "deployment" else Payload
    return model_type.model_validate(document, context={"unknown_fields": "keep"}), diagnostics


def load_payloads(path: str) -> LoadedPayloads:
    """The payloads of *path*: a payload file, or a deployment (references followed).

    :raises OSError: the file cannot be read.
    """
    from envspec.payloads.models import Deployment, Payload

    loaded = LoadedPayloads(path)
    model, loaded.diagnostics = _read_model(path)
    if model is None:
        return loaded
    if isinstance(model, Deployment):
        loaded.default = model.default
        folder = os.path.dirname(path) or "."
        for item in model.payloads:
            if isinstance(item, Payload):
                loaded.payloads.append(item)
                continue
            sub, diagnostics = _read_model(os.path.join(folder, item.path))
            loaded.diagnostics += diagnostics
            if isinstance(sub, Payload):
                loaded.payloads.append(sub)
        if any(d.severity == "error" for d in loaded.diagnostics):
            loaded.payloads = []
        elif loaded.default is None and loaded.payloads:
            loaded.default = loaded.payloads[0].name
    else:
        loaded.payloads = [model]
        loaded.default = model.name
    return loaded


def policy_config(payload: Any) -> PolicyConfig:
    """The tag policy of a payload model."""
    tags = payload.tags
    if tags.policy != "rules":
        return PolicyConfig(tags.policy, prefix=tags.prefix)
    rules = tuple(
        TagRule(
            r.pattern,
            r.category,
            tuple(SortSpec(k.group, k.type, k.order) for k in r.sort or ()),
            r.display,
        )
        for r in tags.rules
    )
    return PolicyConfig("rules", rules, categories=tuple(tags.categories or ()))


def menu_payload(payload: Any) -> MenuPayload:
    """What the menu needs of a payload model."""
    menu = payload.menu
    policy = policy_config(payload)
    prepull = DEFAULT_PREPULL.get(policy.name, {})
    config = MenuConfig(recommended=None, prepull=prepull)
    if menu is not None:
        config = MenuConfig(
            recommended=menu.recommended,
            aliases=tuple(menu.aliases or ()),
            prepull=prepull if menu.prepull is None else dict(menu.prepull),
            pins=tuple(p.tag for p in menu.pins or ()),
            cycle=menu.cycle,
            dropdown={
                name: CategoryFilter(
                    number=f.number,
                    age=f.age,
                    cutoff_version=f.cutoff_version,
                    cutoff_date=datetime.date.fromisoformat(f.cutoff_date)
                    if f.cutoff_date
                    else None,
                )
                for name, f in (menu.dropdown or {}).items()
            },
            bot_names=None
            if menu.bot_names is None
            else {
                name: ("latest", b.latest) if b.latest else ("tag", b.tag)
                for name, b in menu.bot_names.items()
            },
            hide_architectures=menu.hide_architectures is not False,
        )
    return MenuPayload(payload.name, policy, config, image=image_name(payload), title=payload.title)


def image_name(payload: Any) -> str:
    """``registry/repository`` of the payload's images."""
    source = payload.image
    if source.type == "google":
        return (
            f"{source.location}-docker.pkg.dev/{source.project_id}/"
            f"{source.repository}/{source.image}"
        )
    return f"{source.registry}/{source.repository}"


def compat_images(payload: Any) -> tuple[dict[str, ImageCompat], str | None]:
    """Each image's declared interface and rebuild link, and the payload's interface."""
    compat = payload.compatibility
    if compat is None:
        return {}, None
    images = {i.tag: ImageCompat(i.tag, i.interface, i.rebuilds) for i in compat.images or ()}
    return images, compat.interface
