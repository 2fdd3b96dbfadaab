"""Payload models: compatibility, documents."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    Discriminator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import Tag as PydanticTag
from pydantic_core import PydanticCustomError

from envspec.models._base import Model
from envspec.models.v1_0 import (
    EXTENSION_NAME,
)
from envspec.payloads.models._build import Build, ImageSource
from envspec.payloads.models._common import (
    BUILTIN_CATEGORIES,
    VERSION,
    Name,
    NonEmpty,
    Relative,
    Tag,
    _unique,
)
from envspec.payloads.models._lab import Lab
from envspec.payloads.models._tags import BuiltinPolicy, Menu, TagPolicy

# --------------------------------------------------------------------- compatibility

Version = Annotated[str, StringConstraints(pattern=VERSION)]


class ImageCompat(Model):
    """Compatibility facts of one image tag, overriding the payload's."""

    tag: Tag
    """The tag."""
    interface: Version | None = None
    """The lab interface version this image implements."""
    rebuilds: Tag | None = None
    """The tag this image is a maintenance rebuild of: same software, a newer base and
    interface; a spawner that cannot launch that tag launches this one."""
    base: NonEmpty | None = None
    """The base this image is built on (``ubuntu:24.04``)."""


class Compatibility(Model):
    """Which spawners launch the payload's images, and how old images stay launchable."""

    interface: Version
    """The lab interface version (``MAJOR.MINOR``) the images implement: what the spawner
    may rely on (start command, mounts, environment variables)."""
    spawner: NonEmpty | None = None
    """The range of spawner interface versions this payload is tested with, as a version
    specifier (``>=1.0,<3``)."""
    oldest_base: NonEmpty | None = None
    """The oldest base image the payload's images are still built on (``ubuntu:20.04``)."""
    images: list[ImageCompat] | None = None
    """Per-tag facts: older interfaces and maintenance rebuilds."""

    @field_validator("images")
    @classmethod
    def _images(cls, value: list[ImageCompat] | None) -> list[ImageCompat] | None:
        _unique(value or [], "tag", "image tag")
        for item in value or []:
            if item.rebuilds == item.tag:
                raise ValueError(f"{item.tag!r} cannot rebuild itself")
        return value


# --------------------------------------------------------------------- documents

PayloadVer = Annotated[
    str,
    StringConstraints(pattern=r"^1\.(0|[1-9][0-9]*)$"),
    Field(json_schema_extra={"const": "1.0"}),
]


def unknown_fields(model: Model, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of every member of *model* (at any depth) that its version does not define."""
    found: list[tuple[str | int, ...]] = [(*path, name) for name in model.__pydantic_extra__ or {}]
    for name, info in type(model).model_fields.items():
        if name == "extensions":
            continue
        value = getattr(model, name)
        key = info.alias or name
        if isinstance(value, Model):
            found += unknown_fields(value, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Model):
                    found += unknown_fields(item, (*path, key, index))
        elif isinstance(value, dict):
            for item_key, item in value.items():
                if isinstance(item, Model):
                    found += unknown_fields(item, (*path, key, item_key))
    return found


class _Document(Model):
    @model_validator(mode="after")
    def _exactly_known(self, info: ValidationInfo) -> Self:
        # A document of a minor this library knows may not carry unknown members (a
        # reader of a newer minor keeps them instead).  A validator that reports every
        # unknown member itself passes the context ``{"unknown_fields": "keep"}``.
        context = info.context if isinstance(info.context, dict) else {}
        if context.get("unknown_fields") == "keep":
            return self
        if getattr(self, "payload_ver", None) == "1.0":
            extra = unknown_fields(self)
            if extra:
                where = ".".join(str(p) for p in extra[0])
                raise PydanticCustomError(
                    "unknown-field", f"{where!r} is not a field of payload_ver 1.0"
                )
        return self


class Payload(_Document):
    """A payload a spawner offers (``payload_ver`` 1.0)."""

    payload_ver: PayloadVer
    """Format version, ``MAJOR.MINOR``. This model reads any 1.x."""
    name: Name
    """Identifier: lower case, digits and ``.-_`` separators; unique in a deployment."""
    title: NonEmpty | None = None
    """Name shown to users."""
    description: NonEmpty | None = None
    """One paragraph for the menu."""
    build: Build | None = None
    """How the images are built; omitted: the payload is image only."""
    image: ImageSource
    """Where the images are published."""
    tags: TagPolicy
    """How tags are categorised, sorted and displayed."""
    menu: Menu | None = None
    """What the spawner's menu shows and prepulls."""
    lab: Lab | None = None
    """How the lab runs."""
    compatibility: Compatibility | None = None
    """Which spawners can launch the images."""
    extensions: (
        Annotated[
            dict[str, Any],
            Field(json_schema_extra={"propertyNames": {"pattern": EXTENSION_NAME}}),
        ]
        | None
    ) = None
    """Tool-specific data, keyed by tool name. Validators keep it and do not check it."""

    def categories(self) -> tuple[str, ...]:
        """The categories of this payload's tag policy, in menu order."""
        policy = self.tags
        if isinstance(policy, BuiltinPolicy):
            return BUILTIN_CATEGORIES[policy.policy]
        if policy.categories:
            return tuple(policy.categories)
        return tuple(dict.fromkeys(rule.category for rule in policy.rules))

    @model_validator(mode="after")
    def _categories_known(self) -> Self:
        known = set(self.categories()) | {"alias", "unknown"}
        menu = self.menu
        if menu is not None:
            named = [*(menu.prepull or {}), *(menu.dropdown or {})]
            named += [b.latest for b in (menu.bot_names or {}).values() if b.latest]
            for category in named:
                if category not in known:
                    raise ValueError(
                        f"{category!r} is not a category of this tag policy "
                        f"(one of {', '.join(sorted(known))})"
                    )
        return self


class PayloadRef(Model):
    """A payload kept in its own file."""

    path: Relative
    """Path of the payload file, relative to the deployment file."""


def _payload_or_ref(value: Any) -> str:
    # An item with ``path`` is a reference, anything else a payload (which gives the
    # payload's own errors instead of a union's pair of them).
    if isinstance(value, dict):
        return "ref" if "path" in value else "payload"
    return "ref" if isinstance(value, PayloadRef) else "payload"


class Deployment(_Document):
    """Several payloads offered together by one spawner (``payload_ver`` 1.0)."""

    payload_ver: PayloadVer
    """Format version, ``MAJOR.MINOR``."""
    name: Name
    """Identifier of the deployment."""
    title: NonEmpty | None = None
    """Name shown to users."""
    payloads: Annotated[
        list[
            Annotated[
                Annotated[Payload, PydanticTag("payload")]
                | Annotated[PayloadRef, PydanticTag("ref")],
                Discriminator(_payload_or_ref),
            ]
        ],
        Field(min_length=1),
    ]
    """The payloads, in menu order: each inline or a reference to its file."""
    default: Name | None = None
    """The payload selected by default (default the first)."""

    @model_validator(mode="after")
    def _default(self) -> Self:
        names = [p.name for p in self.payloads if isinstance(p, Payload)]
        refs = any(isinstance(p, PayloadRef) for p in self.payloads)
        if self.default and not refs and self.default not in names:
            raise ValueError(f"default {self.default!r} is not the name of one of payloads")
        return self

    @field_validator("payloads")
    @classmethod
    def _names(cls, value: list[Payload | PayloadRef]) -> list[Payload | PayloadRef]:
        _unique(value, "name", "payload")
        _unique(value, "path", "payload file")
        return value
