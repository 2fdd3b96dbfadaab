"""Payload models: tags, menu."""

from __future__ import annotations

import string
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from envspec.models._base import Model
from envspec.models.v1_0 import (
    DIGEST,
)
from envspec.payloads import _regex
from envspec.payloads.models._common import (
    DATE,
    DURATION,
    GROUP_NAME,
    NAME,
    Category,
    Count,
    Name,
    NonEmpty,
    Tag,
    _error,
    _unique,
)

# --------------------------------------------------------------------- tags


class SortKey(Model):
    """One key of a rule's sort order: a named group read as a type."""

    group: Annotated[str, StringConstraints(pattern=GROUP_NAME)]
    """The named group of ``pattern`` the key reads."""
    type: Literal["int", "str", "version", "date"] = "str"
    """How the text is compared: as an integer, as a string, as a dotted version, or as an
    ISO date (``YYYY-MM-DD``, ``YYYY_MM_DD``)."""
    order: Literal["desc", "asc"] = "desc"
    """``desc``: the largest first (newest first); ``asc``: the smallest first."""


class TagRule(Model):
    """A user-defined rule: the first rule whose pattern matches the whole tag decides."""

    name: Name | None = None
    """A name for messages; unique among the rules."""
    pattern: NonEmpty
    """A Python regular expression matched against the whole tag, with named groups
    ``(?P<name>...)``. It may not nest unbounded repeats (see the spec)."""
    category: Category
    """The category of the tags this rule matches (``release``, ``nightly``, ...)."""
    sort: list[SortKey] | None = None
    """The sort keys within the category, most significant first; tags that tie keep
    the registry's order reversed by the tag text."""
    display: NonEmpty | None = None
    """The name shown in menus, with ``{group}`` placeholders (``Nightly {date}``); without
    it the tag itself is shown."""

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        why = _regex.compile_error(value)
        if why:
            raise _error(
                "payload-regex-invalid",
                f"pattern {value!r} does not compile: {why}",
            )
        if _regex.backtracking_hazard(value):
            raise _error(
                "payload-regex-backtracking",
                f"pattern {value!r} nests an unbounded repeat inside a repeat (like '(a+)+'); "
                "it can take exponential time on a long tag",
            )
        return value

    @model_validator(mode="after")
    def _groups(self) -> Self:
        groups = set(_regex.group_names(self.pattern))
        used: list[tuple[str, tuple[str | int, ...]]] = [
            (key.group, ("sort", index, "group")) for index, key in enumerate(self.sort or ())
        ]
        if self.display:
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(self.display) if f]
            except ValueError as exc:
                raise _error(
                    "payload-rule-group",
                    f"display {self.display!r} is not a format: {exc}",
                    ("display",),
                ) from None
            used += [(f, ("display",)) for f in fields]
        for group, at in used:
            if group not in groups:
                raise _error(
                    "payload-rule-group",
                    f"{group!r} is not a named group of pattern {self.pattern!r}",
                    at,
                )
        return self


class BuiltinPolicy(Model):
    """A built-in tag policy: ``rsp`` (Rubin's tags), ``semver`` or ``calver``."""

    policy: Literal["rsp", "semver", "calver"]
    """The policy. Its categories are fixed (``spec/payload-1.0.md``)."""
    prefix: NonEmpty | None = None
    """``semver``/``calver``: text before the version (``v`` in ``v1.2.3``)."""


class RulesPolicy(Model):
    """A user-defined tag policy: ordered regular-expression rules."""

    policy: Literal["rules"]
    """The policy."""
    rules: Annotated[list[TagRule], Field(min_length=1)]
    """The rules, tried in order."""
    categories: list[Category] | None = None
    """The menu order of the categories; without it, the order the rules name them in."""

    @field_validator("rules")
    @classmethod
    def _rule_names(cls, value: list[TagRule]) -> list[TagRule]:
        _unique(value, "name", "rule")
        return value

    @field_validator("categories")
    @classmethod
    def _category_names(cls, value: list[str] | None) -> list[str] | None:
        _unique(value or [], "", "category")
        return value


TagPolicy = Annotated[BuiltinPolicy | RulesPolicy, Field(discriminator="policy")]


# --------------------------------------------------------------------- menu


class Pin(Model):
    """A tag always prepulled and listed, optionally pinned to its digest."""

    tag: Tag
    """The tag."""
    digest: Annotated[str, StringConstraints(pattern=DIGEST)] | None = None
    """The image digest the tag must resolve to; a spawner launches by this digest."""


class CategoryFilter(Model):
    """Which tags of one category the dropdown lists; every given limit applies."""

    number: Count | None = None
    """At most this many, newest first."""
    age: Annotated[str, StringConstraints(pattern=DURATION)] | None = None
    """At most this old (``90d``, ``3w``): by the date in the tag, else the image's date."""
    cutoff_version: NonEmpty | None = None
    """Only versions at or above this one (the category's version type)."""
    cutoff_date: Annotated[str, StringConstraints(pattern=DATE)] | None = None
    """Only tags dated on or after this day (``YYYY-MM-DD``)."""


class BotName(Model):
    """What a name that bots ask for resolves to: the newest tag of a category, or a tag."""

    latest: Category | None = None
    """The newest prepulled tag of this category."""
    tag: Tag | None = None
    """This tag (an alias such as ``recommended``)."""

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.latest is None) == (self.tag is None):
            raise ValueError("give exactly one of latest and tag")
        return self


class Menu(Model):
    """What the spawner's menu shows and prepulls."""

    recommended: Tag | None = None
    """The alias tag shown first and selected by default (Nublado's ``recommendedTag``)."""
    prepull: dict[Category, Count] | None = None
    """How many of the newest tags of each category are prepulled and shown
    (``{release: 1, weekly: 2, daily: 3}``)."""
    pins: list[Pin] | None = None
    """Tags always prepulled and shown, besides the counted ones."""
    aliases: list[Tag] | None = None
    """Tags that are aliases (``latest``); each is shown as the tag with the same digest."""
    cycle: Count | None = None
    """Only tags of this cycle (the RSP ``_cNNNN`` suffix) are offered; the recommended
    tag is not filtered."""
    dropdown: dict[Category, CategoryFilter] | None = None
    """Which tags the dropdown of other images lists, per category; a category without a
    filter lists every tag, aliases and unknown tags are never filtered."""
    bot_names: dict[Annotated[str, StringConstraints(pattern=NAME)], BotName] | None = None
    """Names that bots and the API ask for, and what each resolves to; without it:
    ``recommended`` (the recommended tag) and ``latest-release``, ``latest-weekly``,
    ``latest-daily``."""
    hide_architectures: bool | None = None
    """Whether architecture-specific tags (``-amd64``) are left out of the menu (default true)."""

    @field_validator("pins")
    @classmethod
    def _pin_tags(cls, value: list[Pin] | None) -> list[Pin] | None:
        _unique(value or [], "tag", "pinned tag")
        return value

    @field_validator("aliases")
    @classmethod
    def _alias_tags(cls, value: list[str] | None) -> list[str] | None:
        _unique(value or [], "", "alias")
        return value
