"""The spawner menu of a payload, from its menu configuration and a tag list.

The steps (a platform's image controller does the same):

1. Parse every tag with the payload's policy; the recommended tag and the
   configured aliases are aliases, and so is an unknown tag that shares its
   digest with a known one.  With a cycle restriction only tags of that cycle
   remain (the recommended tag always remains).
2. Order the tags (:func:`envspec.payloads.tags.sort_tags`).
3. Resolve each alias to the tag it points at: the tag with the same digest
   (a generic image before its architecture variants).
4. The prepull set: the newest N images of each category the configuration
   counts (architecture variants never count: the generic tag is pulled), the
   recommended tag and the pins.
5. The menu: the prepulled images in order, an image an alias already shows
   left out, the recommended image first and selected by default.
6. The dropdown: every image that passes its category's filter (number, age,
   version, date or build cutoff; aliases and unknown tags are never filtered).
7. The names bots ask for: ``recommended``, ``latest-<category>`` for the
   categories that have one (``latest-release``, ``latest-weekly``,
   ``latest-daily``): prepulled images only.

The reference date of age filters is an argument, never the clock.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.payloads.tags import (
    ParsedTag,
    PolicyConfig,
    TagList,
    TagPolicy,
    categorize,
    make_policy,
    sort_tags,
)

__all__ = [
    "CategoryFilter",
    "Menu",
    "MenuConfig",
    "MenuEntry",
    "MenuPayload",
    "build_menu",
    "build_menus",
    "parse_age",
]

_AGE: Final = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?")


def parse_age(text: str) -> datetime.timedelta:
    """``3w``, ``10d``, ``1w2d``: a duration in weeks, days and hours."""
    m = _AGE.fullmatch(text.strip())
    if m is None or not any(m.groups()):
        raise ValueError(f"{text!r} is not an age (for example 3w, 10d, 1w2d)")
    weeks, days, hours = (int(g or 0) for g in m.groups())
    return datetime.timedelta(weeks=weeks, days=days, hours=hours)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[._-]", text.strip().lstrip("rv")) if p.isdigit())


@dataclass(frozen=True, slots=True)
class CategoryFilter:
    """Which images of one category the dropdown offers (all conditions hold)."""

    number: int | None = None
    age: str | None = None
    cutoff_version: str | None = None
    cutoff_date: datetime.date | None = None
    cutoff_build: int | None = None


@dataclass(frozen=True, slots=True)
class MenuConfig:
    """A payload's menu configuration."""

    recommended: str | None = "recommended"
    aliases: tuple[str, ...] = ()
    #: How many images of each category to prepull (``{"release": 1, "weekly": 2}``).
    prepull: Mapping[str, int] = field(
        default_factory=lambda: {"release": 1, "weekly": 2, "daily": 3}
    )
    pins: tuple[str, ...] = ()
    cycle: int | None = None
    dropdown: Mapping[str, CategoryFilter] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MenuPayload:
    """What the menu needs of a payload."""

    name: str
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    menu: MenuConfig = field(default_factory=MenuConfig)
    #: ``registry/repository`` (references are ``{image}:{tag}@{digest}``).
    image: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One image offered."""

    tag: str
    display: str
    category: str
    digest: str | None
    reference: str | None
    #: For an alias: the tag it points at (None when no tag shares its digest).
    target: str | None = None

    def to_dict(self) -> dict[str, object]:
        """The JSON form."""
        data: dict[str, object] = {
            "tag": self.tag,
            "display_name": self.display,
            "category": self.category,
            "digest": self.digest,
            "reference": self.reference,
        }
        if self.category == "alias":
            data["target"] = self.target
        return data


@dataclass(slots=True)
class Menu:
    """The menu of one payload."""

    payload: str
    title: str | None
    default: str | None
    menu: list[MenuEntry]
    prepull: list[str]
    dropdown: list[MenuEntry]
    bots: dict[str, str]
    aliases: dict[str, str | None]
    categories: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``envspec payload menu``)."""
        return {
            "payload": self.payload,
            "title": self.title,
            "default": self.default,
            "categories": self.categories,
            "menu": [e.to_dict() for e in self.menu],
            "prepull": self.prepull,
            "dropdown": [e.to_dict() for e in self.dropdown],
            "bots": self.bots,
            "aliases": self.aliases,
        }


def _flatten(display: str) -> str:
    """``Weekly 2077_43 (SAL Cycle 0050, Build 002)`` -> ``Weekly 2077_43, SAL Cycle 0050,
    Build 002``: an alias's display puts its target's in parentheses."""
    return display.replace(" (", ", ").replace(")", "")


def _passes(
    p: ParsedTag, f: CategoryFilter, semantic: bool, today: datetime.date | None
) -> bool:
    if f.cutoff_version is not None and semantic and p.version is not None:
        if p.version < _version(f.cutoff_version):
            return False
    if f.cutoff_date is not None and p.date is not None and p.date < f.cutoff_date:
        return False
    if f.age is not None and p.date is not None:
        if today is None:
            raise ValueError("an age filter needs the reference date (today)")
        if p.date < today - parse_age(f.age):
            return False
    return not (f.cutoff_build is not None and (p.build or 0) < f.cutoff_build)


def build_menu(
    payload: MenuPayload,
    tag_list: TagList,
    *,
    today: datetime.date | None = None,
    policy: TagPolicy | None = None,
    file: str = "<payload>",
) -> Menu:
    """The menu of *payload* for the tags of *tag_list* (see the module docs for the steps)."""
    policy = policy or make_policy(payload.policy)
    config = payload.menu
    digests = tag_list.digests()
    recommended = config.recommended
    alias_names = {*config.aliases, *([recommended] if recommended else [])}
    parsed = categorize(policy, tag_list.tags, aliases=alias_names, digests=digests)
    if config.cycle is not None:
        cycle = config.cycle
        parsed = [p for p in parsed if p.cycle == cycle or p.tag == recommended]
    ordered = sort_tags(policy, parsed)
    by_tag = {p.tag: p for p in ordered}
    semantic = {c.name for c in policy.categories if c.semantic}
    diagnostics: list[Diagnostic] = []

    # Aliases -> the tag with the same digest (the first in order: generic before variants).
    by_digest: dict[str, str] = {}
    for p in ordered:
        d = digests.get(p.tag)
        if d is not None and p.category != "alias":
            if d not in by_digest or (p.arch is None and by_tag[by_digest[d]].arch is not None):
                by_digest[d] = p.tag
    targets: dict[str, str | None] = {}
    display: dict[str, str] = {}
    for p in ordered:
        if p.category != "alias":
            continue
        target = by_digest.get(digests.get(p.tag, ""))
        targets[p.tag] = target
        if target is not None:
            t = by_tag[target]
            shown = t.display if t.arch is None or t.arch != p.arch else t.display[: -len(
                f" [{t.arch}]"
            )]
            display[p.tag] = f"{p.display} ({_flatten(shown)})"
        elif p.tag in config.aliases or p.tag == recommended:
            diagnostics.append(
                diagnostic(
                    "tag-alias-by-configuration",
                    f"{p.tag!r} is an alias only because the configuration says so: no other "
                    "tag of the list has its digest, so the image it shows is not known",
                    file,
                )
            )

    def entry(p: ParsedTag) -> MenuEntry:
        digest = digests.get(p.tag)
        reference = None
        if payload.image:
            reference = f"{payload.image}:{p.tag}" + (f"@{digest}" if digest else "")
        return MenuEntry(
            p.tag, display.get(p.tag, p.display), p.category, digest, reference,
            targets.get(p.tag),
        )  # fmt: skip

    # The prepull set.
    counts = dict(config.prepull)
    taken: dict[str, int] = {}
    include = {*config.pins, *([recommended] if recommended else [])}
    for name in sorted(include):
        if name not in by_tag:
            diagnostics.append(
                diagnostic(
                    "menu-tag-missing",
                    f"{name!r} is named by the menu configuration but is not in the tag list"
                    + (" (or not of the cycle asked for)" if config.cycle is not None else ""),
                    file,
                )
            )
    prepull: list[ParsedTag] = []
    for p in ordered:
        if p.tag in include:
            prepull.append(p)
            continue
        limit = counts.get(p.category, 0)
        if p.arch is None and taken.get(p.category, 0) < limit:
            taken[p.category] = taken.get(p.category, 0) + 1
            prepull.append(p)

    # The menu: prepulled, an image an alias shows left out, the recommended first.
    shown_by_alias = {t for a, t in targets.items() if t is not None and a in include}
    menu = [entry(p) for p in prepull if p.tag not in shown_by_alias or p.tag in include]
    menu.sort(key=lambda e: 0 if e.tag == recommended else 1)
    default = menu[0].tag if menu else None

    # The dropdown.
    dropdown: list[MenuEntry] = []
    numbers: dict[str, int] = {}
    for p in ordered:
        if p.arch is not None:
            continue
        f = config.dropdown.get(p.category)
        if f is not None and p.category not in ("alias", "unknown"):
            if not _passes(p, f, p.category in semantic, today):
                continue
            if f.number is not None:
                numbers[p.category] = numbers.get(p.category, 0) + 1
                if numbers[p.category] > f.number:
                    continue
        dropdown.append(entry(p))

    # Names for bots: prepulled images only.
    bots: dict[str, str] = {}
    if recommended and recommended in by_tag:
        bots["recommended"] = targets.get(recommended) or recommended
    for category in policy.categories:
        if category.bot:
            first = next((p for p in prepull if p.category == category.name), None)
            if first is not None:
                bots[f"latest-{category.name}"] = first.tag

    return Menu(
        payload=payload.name,
        title=payload.title,
        default=default,
        menu=menu,
        prepull=[p.tag for p in prepull],
        dropdown=dropdown,
        bots=bots,
        aliases=targets,
        categories=[c.name for c in policy.categories if any(
            p.category == c.name for p in ordered
        )],
        diagnostics=diagnostics,
    )  # fmt: skip


def build_menus(
    payloads: Sequence[tuple[MenuPayload, TagList]],
    *,
    today: datetime.date | None = None,
    file: str = "<payload>",
) -> list[Menu]:
    """The menus of several payloads of one deployment, in the order given."""
    return [build_menu(p, t, today=today, file=file) for p, t in payloads]
