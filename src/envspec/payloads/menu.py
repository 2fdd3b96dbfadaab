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

import bisect
import datetime
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Final, NamedTuple

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.payloads._listing import Listing, generic_listing
from envspec.payloads.policies.rsp import RspPolicy
from envspec.payloads.policies.rsp_bulk import rsp_listing
from envspec.payloads.tags import (
    ParsedTag,
    PolicyConfig,
    TagList,
    TagPolicy,
    categorize,
    make_policy,
    sorted_groups,
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
    #: Names bots ask for -> ``("latest", category)`` or ``("tag", tag)``; None: the
    #: defaults (``recommended``, ``latest-<category>`` for the policy's bot categories).
    bot_names: Mapping[str, tuple[str, str]] | None = None
    #: Leave architecture variants (``-amd64``) out of the dropdown (never prepulled).
    hide_architectures: bool = True


@dataclass(frozen=True, slots=True)
class MenuPayload:
    """What the menu needs of a payload."""

    name: str
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    menu: MenuConfig = field(default_factory=MenuConfig)
    #: ``registry/repository`` (references are ``{image}:{tag}@{digest}``).
    image: str | None = None
    title: str | None = None


class MenuEntry(NamedTuple):
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
    #: The tag selected by default (the recommended one when it is listed).
    default: str | None
    #: The radio list: prepulled images, recommended first.
    menu: list[MenuEntry]
    #: The tags to prepull.
    prepull: list[str]
    #: The dropdown's tags, in order (:meth:`entry` gives each one's details).
    dropdown: list[str]
    #: ``recommended``, ``latest-release``... -> the tag bots get.
    bots: dict[str, str]
    #: Each alias -> the tag it points at (None when unknown).
    aliases: dict[str, str | None]
    #: The categories present, in menu order.
    categories: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Every tag (after the cycle restriction), in menu order.
    order: list[str] = field(default_factory=list)
    _entry: Callable[[str], MenuEntry] | None = None

    def entry(self, tag: str) -> MenuEntry:
        """The details of one image of the menu or dropdown."""
        if self._entry is None:
            raise KeyError(tag)
        return self._entry(tag)

    def to_dict(self) -> dict[str, object]:
        """The JSON form (``envspec payload menu``)."""
        return {
            "payload": self.payload,
            "title": self.title,
            "default": self.default,
            "categories": self.categories,
            "menu": [e.to_dict() for e in self.menu],
            "prepull": self.prepull,
            "dropdown": [self.entry(t).to_dict() for t in self.dropdown],
            "bots": self.bots,
            "aliases": self.aliases,
        }


def _flatten(display: str) -> str:
    """``Weekly 2077_43 (SAL Cycle 0050, Build 002)`` -> ``Weekly 2077_43, SAL Cycle 0050,
    Build 002``: an alias's display puts its target's in parentheses."""
    return display.replace(" (", ", ").replace(")", "")


def _filter(
    f: CategoryFilter, semantic: bool, today: datetime.date | None
) -> Callable[[ParsedTag], bool]:
    cutoff_version = _version(f.cutoff_version) if f.cutoff_version and semantic else None
    oldest = f.cutoff_date
    if f.age is not None:
        if today is None:
            raise ValueError("an age filter needs the reference date (today)")
        by_age = today - parse_age(f.age)
        oldest = by_age if oldest is None else max(oldest, by_age)
    build = f.cutoff_build

    def passes(p: ParsedTag) -> bool:
        if cutoff_version is not None and p.version is not None and p.version < cutoff_version:
            return False
        if oldest is not None and p.date is not None and p.date < oldest:
            return False
        return not (build is not None and (p.build or 0) < build)

    return passes


def _listing(
    policy: TagPolicy,
    config: MenuConfig,
    tag_list: TagList,
    alias_names: set[str],
    distinct: bool,
) -> Listing:
    digests = tag_list.digests()
    if isinstance(policy, RspPolicy) and config.cycle is None and distinct:
        listing = rsp_listing(policy, tag_list.tags, aliases=alias_names, digests=digests)
        if listing is not None:
            return listing
    parsed = categorize(policy, tag_list.tags, aliases=alias_names, digests=digests)
    if config.cycle is not None:
        cycle = config.cycle
        recommended = config.recommended
        parsed = [p for p in parsed if p.cycle == cycle or p.tag == recommended]
    return generic_listing(sorted_groups(policy, parsed), parsed)


#: What a filter sees of a tag with no version, date or build.
_PLAIN: Final = ParsedTag("", "", "", None, None, "", None, None, None, None, None, None, "")


def _kept(
    listing: Listing,
    name: str,
    f: CategoryFilter,
    semantic: bool,
    today: datetime.date | None,
    hide: bool,
) -> Iterator[str]:
    """The tags of category *name* that pass its filter *f*, in order."""
    bucket = listing.groups[name]
    archs = listing.archs[name]
    passes = _filter(f, semantic, today)
    parse = listing.parse
    if name in listing.monotone and f.cutoff_build is None:
        # Versions and dates fall along the order: the tags passing are a prefix.
        cut = bisect.bisect_left(
            range(len(bucket)), True, key=lambda i: not passes(parse(bucket[i]))
        )
        return (t for t, a in zip(bucket[:cut], archs[:cut], strict=True) if not (hide and a))
    plain = listing.plain
    plain_passes = passes(_PLAIN)
    return (
        t
        for t, a in zip(bucket, archs, strict=True)
        if not (hide and a) and (plain_passes if t in plain else passes(parse(t)))
    )


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
    tags = tag_list.tags
    distinct = tag_list.distinct or len(set(tags)) == len(tags)
    listing = _listing(policy, config, tag_list, alias_names, distinct)
    groups = listing.groups
    parse = listing.parse
    semantic = {c.name for c in policy.categories if c.semantic}
    diagnostics: list[Diagnostic] = []
    aliases = groups.get("alias", [])

    # Aliases -> the tag with the same digest (the first in order: generic before variants).
    wanted = {digests[a] for a in aliases if a in digests}
    by_digest: dict[str, ParsedTag] = {}
    if wanted:
        alias_set = set(aliases)
        sharing = [t for t, d in digests.items() if d in wanted and t not in alias_set]
        positions = {name: i for i, name in enumerate(groups)}
        ranked = []
        for t in sharing:
            p = parse(t)
            bucket = groups.get(p.category, ())
            if t in bucket:  # not left out by a cycle restriction
                ranked.append((positions[p.category], bucket.index(t), p))
        ranked.sort(key=operator.itemgetter(0, 1))
        for _, _, shared in ranked:
            d = digests[shared.tag]
            best = by_digest.get(d)
            if best is None or (best.arch is not None and shared.arch is None):
                by_digest[d] = shared
    targets: dict[str, str | None] = {}
    display: dict[str, str] = {}
    for tag in aliases:
        a = parse(tag)
        target = by_digest.get(digests.get(tag, ""))
        targets[tag] = None if target is None else target.tag
        if target is not None:
            shown = target.display
            if target.arch is not None and target.arch == a.arch:
                shown = shown[: -len(f" [{target.arch}]")]
            display[tag] = f"{a.display} ({_flatten(shown)})"
        else:
            diagnostics.append(
                diagnostic(
                    "tag-alias-by-configuration",
                    f"{tag!r} is an alias only because the configuration says so: no other "
                    "tag of the list has its digest, so the image it shows is not known",
                    file,
                )
            )

    def entry(tag: str) -> MenuEntry:
        p = parse(tag)
        digest = digests.get(tag)
        reference = None
        if payload.image:
            reference = f"{payload.image}:{tag}" + (f"@{digest}" if digest else "")
        return MenuEntry(
            tag, display.get(tag, p.display), p.category, digest, reference, targets.get(tag)
        )

    # The prepull set: the recommended tag, the pins, the newest N of each category.
    include = {*config.pins, *([recommended] if recommended else [])}
    present: set[str] = set()
    if include:
        if config.cycle is None:
            present = {t for t in include if t in digests or t in tags}
        else:
            present = include & set(listing.order())
    for name in sorted(include - present):
        diagnostics.append(
            diagnostic(
                "menu-tag-missing",
                f"{name!r} is named by the menu configuration but is not in the tag list"
                + (" (or not of the cycle asked for)" if config.cycle is not None else ""),
                file,
            )
        )
    prepull: list[str] = []
    for name, bucket in groups.items():
        limit = config.prepull.get(name, 0)
        archs = listing.archs[name]
        taken = 0
        for i, tag in enumerate(bucket):
            if taken >= limit:
                if present:
                    prepull += [t for t in bucket[i:] if t in present]
                break
            if tag in present:
                prepull.append(tag)
            elif not archs[i]:
                taken += 1
                prepull.append(tag)

    # The menu: prepulled, an image an alias shows left out, the recommended first.
    shown_by_alias = {t for a, t in targets.items() if t is not None and a in present}
    menu = [entry(t) for t in prepull if t in present or t not in shown_by_alias]
    menu.sort(key=lambda e: 0 if e.tag == recommended else 1)

    # The dropdown: what passes each category's filter (never aliases or unknown tags).
    dropdown: list[str] = []
    hide = config.hide_architectures
    for name, bucket in groups.items():
        f = config.dropdown.get(name)
        if f is None or name in ("alias", "unknown"):
            archs = listing.archs[name]
            if hide and any(archs):
                dropdown += [t for t, a in zip(bucket, archs, strict=True) if not a]
            else:
                dropdown += bucket
            continue
        kept = _kept(listing, name, f, name in semantic, today, hide)
        if f.number is None:
            dropdown += kept
        elif f.number >= 0:  # only the newest images passing are looked at
            dropdown += islice(kept, f.number)
        else:
            dropdown += list(kept)[: f.number]

    # Names for bots: prepulled images only.
    bots: dict[str, str] = {}
    names = config.bot_names
    if names is None:
        names = {"recommended": ("tag", recommended)} if recommended else {}
        names |= {f"latest-{c.name}": ("latest", c.name) for c in policy.categories if c.bot}
    pulled = set(prepull)
    for bot, (kind, value) in names.items():
        if kind == "tag":
            if value in pulled:
                bots[bot] = targets.get(value) or value
        else:
            first = next(
                (t for t in prepull for p in (parse(t),) if p.category == value and p.arch is None),
                None,
            )
            if first is not None:
                bots[bot] = first

    return Menu(
        payload=payload.name,
        title=payload.title,
        default=menu[0].tag if menu else None,
        menu=menu,
        prepull=prepull,
        dropdown=dropdown,
        bots=bots,
        aliases=targets,
        categories=list(groups),
        diagnostics=diagnostics,
        order=listing.order(),
        _entry=entry,
    )


def build_menus(
    payloads: Sequence[tuple[MenuPayload, TagList]],
    *,
    today: datetime.date | None = None,
    file: str = "<payload>",
) -> list[Menu]:
    """The menus of several payloads of one deployment, in the order given."""
    return [build_menu(p, t, today=today, file=file) for p, t in payloads]
