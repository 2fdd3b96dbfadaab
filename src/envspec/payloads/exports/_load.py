"""Reading what is exported: a payload or deployment file, and a tag list for the menus."""

from __future__ import annotations

import datetime
import os
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from envspec.payloads.exports import ImageMenu, Offer
    from envspec.payloads.models import Payload

__all__ = ["load_offer", "menu_payload", "menus_from_tags"]


def _read(path: str) -> tuple[Any, list[Diagnostic]]:
    """The document of a payload file, checked as ``envspec payload validate`` checks it."""
    from envspec._readfile import read_regular
    from envspec.notebook import read_document
    from envspec.payloads.validate import PAYLOAD_SUFFIXES, validate_payload_bytes

    try:
        data = read_regular(path)
    except OSError as exc:
        return None, [diagnostic("file-unreadable", exc.strerror or str(exc), path)]
    report = validate_payload_bytes(data, path)
    problems = list(report.diagnostics)
    if any(d.severity == "error" for d in problems):
        return None, problems
    kind = next(k for suffix, k in PAYLOAD_SUFFIXES.items() if path.lower().endswith(suffix))
    return read_document(data, kind).document, problems


def load_offer(path: str, *, only: str | None = None) -> tuple[Offer | None, list[Diagnostic]]:
    """The payloads of *path* (a payload or a deployment, whose referenced payload files are
    read too), or ``None`` and why not.  *only* keeps the payload of that name."""
    from pydantic import ValidationError

    from envspec.payloads.exports import Offer
    from envspec.payloads.models import Deployment, Payload

    data, warnings = _read(path)
    if data is None:
        return None, warnings
    payloads: list[Payload] = []
    pointers: dict[str, str] = {}
    default = None
    try:
        if isinstance(data, dict) and "payloads" in data:
            deployment = Deployment.model_validate(data)
            default = deployment.default
            for index, item in enumerate(deployment.payloads):
                if isinstance(item, Payload):
                    payloads.append(item)
                    pointers[item.name] = f"/payloads/{index}"
                    continue
                ref = os.path.join(os.path.dirname(path), item.path)
                sub, found = _read(ref)
                warnings += found
                if sub is None:
                    return None, warnings
                payload = Payload.model_validate(sub)
                payloads.append(payload)
                pointers[payload.name] = f"/payloads/{index}"
        else:
            payload = Payload.model_validate(data)
            payloads.append(payload)
            pointers[payload.name] = ""
    except ValidationError as exc:  # pragma: no cover - validate_payload_bytes found nothing
        raise AssertionError(f"{path}: a payload that passes validation fails its model") from exc
    if only is not None:
        chosen = [p for p in payloads if p.name == only]
        if not chosen:
            names = ", ".join(p.name for p in payloads)
            return None, [
                diagnostic(
                    "export-unsupported",
                    f"no payload named {only!r} (the file has: {names})",
                    path,
                    hint="Give --payload one of the names listed.",
                )
            ]
        payloads, default = chosen, only
    return Offer(tuple(payloads), default, {}, pointers), warnings


def menus_from_tags(
    offer: Offer, text: str, file: str, *, today: datetime.date | None = None
) -> tuple[dict[str, ImageMenu], list[Diagnostic]]:
    """The image menu of each payload of *offer* from one tag list (``TAG [DIGEST]`` a line)."""
    from envspec.payloads.exports import ImageChoice, ImageMenu
    from envspec.payloads.exports._common import repository_reference
    from envspec.payloads.menu import build_menu
    from envspec.payloads.tags import read_tag_list

    tag_list = read_tag_list(text, file)
    diagnostics = list(tag_list.diagnostics)
    listed = set(tag_list.tags)
    menus: dict[str, ImageMenu] = {}
    for payload in offer.payloads:
        built = build_menu(
            menu_payload(payload, repository_reference(payload)),
            tag_list,
            today=today or datetime.date.today(),
            file=file,
        )
        diagnostics += built.diagnostics

        def lookup(tag: str, built: Any = built) -> ImageChoice | None:
            if tag not in listed:
                return None
            try:
                entry = built.entry(tag)
            except KeyError:  # left out by a cycle restriction
                return None
            return ImageChoice(entry.tag, entry.display, entry.reference or entry.tag)

        shown = {e.tag for e in built.menu}
        choices = [
            ImageChoice(e.tag, e.display, e.reference or e.tag, e.tag == built.default)
            for e in built.menu
        ]
        dropdown = [c for t in built.dropdown if t not in shown and (c := lookup(t))]
        bots = {name: c for name, tag in built.bots.items() if (c := lookup(tag))}
        menus[payload.name] = ImageMenu(tuple(choices), tuple(dropdown), bots, lookup)
    return menus, diagnostics


def menu_payload(payload: Payload, image: str) -> Any:
    """What :func:`envspec.payloads.menu.build_menu` needs of *payload* (its images at
    *image*)."""
    import dataclasses

    from envspec.payloads.load import menu_payload as of_model

    return dataclasses.replace(of_model(payload), image=image)
