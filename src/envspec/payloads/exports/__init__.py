"""Spawner configuration generated from payloads: one module per target, one small interface.

Each target (``kubespawner``, ``nublado``) is a module with a function
``export(documents, menus) -> (value, findings)``: *documents* are the payloads to offer,
in menu order, with the name of the default one; *menus* are the image choices built from
a tag list (or ``None`` when no tag list is given).  The value is plain JSON data; what
the target cannot express is never dropped silently but reported as a finding with a
code (``export-lossy``, ``export-approximate``, ``export-unsupported``,
``export-size-name``).  Targets are registered by name in :data:`TARGETS` and imported
only when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable, Mapping, Sequence

    from envspec.diagnostics import Diagnostic, Finding
    from envspec.payloads.models import Payload

__all__ = [
    "FORMATS",
    "TARGETS",
    "ExportResult",
    "ImageChoice",
    "ImageMenu",
    "Offer",
    "Target",
    "export",
    "load",
    "render",
    "with_tags",
]

Format = Literal["yaml", "json", "python"]


@dataclass(frozen=True, slots=True)
class ImageChoice:
    """One image of a payload's menu: its tag, the name shown, the reference to launch."""

    tag: str
    display: str
    #: ``registry/repository:tag`` and, when known, ``@sha256:...``.
    reference: str
    default: bool = False


@dataclass(frozen=True, slots=True)
class ImageMenu:
    """The images a payload's menu lists, in order (from a tag list)."""

    choices: tuple[ImageChoice, ...]
    #: The dropdown's other images, in menu order (those not in *choices*).
    dropdown: tuple[ImageChoice, ...] = ()
    #: Each name bots ask for (``latest-weekly``...) -> the image it gets.
    bots: Mapping[str, ImageChoice] = field(default_factory=dict)
    #: Any tag of the list as a choice (display name, reference by digest), else None.
    lookup: Callable[[str], ImageChoice | None] | None = None


@dataclass(frozen=True, slots=True)
class Offer:
    """What is exported: the payloads, in menu order, and the default one."""

    payloads: tuple[Payload, ...]
    default: str | None = None
    #: The menu of each payload (by name) when a tag list was given.
    menus: Mapping[str, ImageMenu] = field(default_factory=dict)
    #: JSON pointer of each payload in its file (``""`` for a payload file, ``/payloads/0``...).
    pointers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The exported value (plain JSON data) and what could not be mapped."""

    target: str
    value: Any
    #: Findings whose paths are relative to the payload they concern (see ``payload_of``).
    findings: tuple[tuple[str, Finding], ...] = ()

    def ok(self) -> bool:
        from envspec._codes import CODES

        return all(CODES[f.code].severity != "error" for _, f in self.findings)


class Target(Protocol):
    """What a target module provides."""

    #: Formats this target writes; the first is the default.
    FORMATS: tuple[Format, ...]

    def export(self, offer: Offer) -> ExportResult: ...

    def render(self, value: Any, fmt: Format) -> str: ...


#: Targets by name: the module that implements each, and one line saying what it writes.
TARGETS: Final[Mapping[str, tuple[str, str]]] = {
    "kubespawner": (
        "envspec.payloads.exports.kubespawner",
        "the value of c.KubeSpawner.profile_list (one profile per payload)",
    ),
    "nublado": (
        "envspec.payloads.exports.nublado",
        "a controller.config.images + dropdownMenu + lab fragment of Nublado's Helm values",
    ),
}

FORMATS: Final = ("yaml", "json", "python")


def _target(name: str) -> Target:
    module: Any = importlib.import_module(TARGETS[name][0])
    return module  # type: ignore[no-any-return]


def load(path: str, *, payload: str | None = None) -> tuple[Offer | None, list[Diagnostic]]:
    """The payloads of a payload or deployment file, checked as ``envspec payload validate``
    checks them (``None`` and the diagnostics when it has errors).  *payload* keeps the
    payload of that name."""
    from envspec.payloads.exports._load import load_offer

    return load_offer(path, only=payload)


def with_tags(
    offer: Offer, text: str, file: str = "<tags>", *, today: datetime.date | None = None
) -> tuple[Offer, list[Diagnostic]]:
    """*offer* with the image menu of each payload built from a tag list (``TAG [DIGEST]`` a
    line); *today* is the date age filters count from."""
    from envspec.payloads.exports._load import menus_from_tags

    menus, diagnostics = menus_from_tags(offer, text, file, today=today)
    return Offer(offer.payloads, offer.default, menus, offer.pointers), diagnostics


def export(offer: Offer, target: str) -> ExportResult:
    """Export *offer* to *target* (a key of :data:`TARGETS`)."""
    return _target(target).export(offer)


def formats(target: str) -> tuple[Format, ...]:
    """The output formats *target* writes, the default first."""
    return _target(target).FORMATS


def render(result: ExportResult, fmt: Format) -> str:
    """The text of *result* in *fmt*: deterministic, so a second export is byte-identical."""
    return _target(result.target).render(result.value, fmt)


def dump_yaml(value: Any) -> str:
    """Block-style YAML (ruamel.yaml), keys in the order given, ``---``-free."""
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    stream = io.StringIO()
    yaml.dump(value, stream)
    return stream.getvalue()


def dump_json(value: Any) -> str:
    """Indented JSON, keys in the order given, one final newline."""
    import json

    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def sorted_names(names: Sequence[str]) -> list[str]:
    """*names* sorted (for deterministic output of mappings built from sets)."""
    return sorted(names)
