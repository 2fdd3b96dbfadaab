"""The RSP policy over a whole tag list at once: categories and order without a parse per tag.

:meth:`RspPolicy.parse <envspec.payloads.policies.rsp.RspPolicy.parse>` reads one tag
into a :class:`~envspec.payloads._tagtypes.ParsedTag` (a few microseconds each).  A menu of
10^5 tags needs that reading for the dozens it shows, but only the category and the order
of the rest.  Here one compiled pattern per tag family (releases and candidates, weeklies,
dailies, the rest) runs over the text of the whole list (``findall``, in C), and its groups
form each tag's sort key as they are:

- every number is split by its count of significant digits into groups, longest first
  (``0020`` is the 2-digit ``20``), so comparing the groups as text compares the numbers;
  a missing number is all-empty groups, lower than any number;
- text parts (the extra text, the architecture) compare as text, shorter first; a tag
  without an architecture captures the line's end instead, so it follows its variants
  (the generic image first, newest first);
- the tag itself comes last, so the order is total.

The key is these groups joined with ``\\x01`` (below every character a tag holds): one
string, compared in C.  The order is the one of ``ParsedTag.key`` (the tests compare both
on generated lists).  A tag these patterns cannot vouch for (a number of four or more
significant digits, the 53rd week, the 29th to 31st day, an old ``r230`` release, an
experimental tag whose rest looks like a version) is parsed on its own, and its key is
written from its parse in the same form; where that form cannot hold it (a number too
long), its whole category is ordered by ``ParsedTag.key``.
"""

from __future__ import annotations

import gc
import re
import weakref
from collections.abc import Callable, Collection, Mapping
from operator import itemgetter
from typing import Any, Final

from envspec.payloads._listing import Listing
from envspec.payloads._tagtypes import ParsedTag
from envspec.payloads.policies.rsp import CATEGORIES, RspPolicy

__all__ = ["rsp_listing", "tag_key"]

_SEP: Final = "\x01"
#: A whole number: its significant digits by their count (3, 2, 1), or, when it has more,
#: all its digits in a last group that marks a tag to parse alone.
_N: Final = r"(?:0*(?:([1-9]\d\d)|([1-9]\d)|(\d))(?!\d)|(\d+))"
_YEAR: Final = r"0*([1-9]\d{3})(?!\d)"
_TWO: Final = r"0*(?:({})|([1-9]))(?!\d)"
_WEEK: Final = _TWO.format(r"[1-4]\d|5[0-3]")
_MONTH: Final = _TWO.format(r"1[0-2]")
_DAY: Final = _TWO.format(r"[12]\d|3[01]")
#: The suffix as RSP reads it; a tag without an architecture captures the line's end.
_SUFFIX: Final = rf"(?:_c{_N}\.{_N})?(?:_rsp{_N})?(?:_([^\n]+?))?(?:(?=(\n))|-([a-z0-9]+)(?=\n))"
#: Each family: the tag (a look-ahead), its parts, and a line of the family the pattern
#: cannot read (then parsed alone).
#: (The first look-ahead skips the lines of other families before anything is captured.)
_RELEASES: Final = re.compile(
    rf"\n(?=r\d)(?:(?=([^\n]*))r{_N}_{_N}_{_N}(?:_rc{_N})?{_SUFFIX}|([^\n]*))"
)
_WEEKLIES: Final = re.compile(rf"\n(?=w_\d)(?:(?=([^\n]*))w_{_YEAR}_{_WEEK}{_SUFFIX}|([^\n]*))")
_DAILIES: Final = re.compile(
    rf"\n(?=d_\d)(?:(?=([^\n]*))d_{_YEAR}_{_MONTH}_{_DAY}{_SUFFIX}|([^\n]*))"
)
_VERSIONED: Final = r"r\d|w_\d|d_\d"
#: Unknown tags, and experimental ones whose rest is unknown: no version at all.  The
#: base is the shortest text the optional cycle and architecture can follow (it stops at
#: the first '_' or '-' that starts them).
_UNKNOWN: Final = re.compile(
    rf"\n(?!{_VERSIONED}|exp_(?:{_VERSIONED}|exp_))(?=([^\n]*))(exp_(?=[^\n]))?"
    r"((?:[^\n_-]|_(?!c\d+(?:-[a-z0-9]+)?\n)|-(?![a-z0-9]+\n))*)"
    r"(?:_c(\d+))?(?:(?=(\n))|-([a-z0-9]+)(?=\n))"
)
#: Experimental tags whose rest may have a version: parsed alone.
_EXPERIMENTAL: Final = re.compile(rf"\n(exp_(?:{_VERSIONED}|exp_)[^\n]*)")


class _Family:
    """Where a family's groups are: the tag, the markers of a tag to parse alone, the
    architecture, and the groups of the key in order (the tag last)."""

    def __init__(self, pattern: re.Pattern[str], bad: tuple[int, ...]) -> None:
        n = pattern.groups
        self.pattern = pattern
        self.miss = n - 1
        self.arch = n - 2
        self.flags = itemgetter(*bad, n - 1)
        self.key = itemgetter(*range(1, n - 1), 0)


_R: Final = _Family(_RELEASES, (4, 8, 12, 16, 20, 24, 28))
_W: Final = _Family(_WEEKLIES, (7, 11, 15))
_D: Final = _Family(_DAILIES, (9, 13, 17))
_TAG: Final = itemgetter(0)
_WEEK_53: Final = itemgetter(2)
_LONG_DAY: Final = itemgetter(4)
_MONTH_END: Final = frozenset({"29", "30", "31"})
_UNKNOWN_KEY: Final = itemgetter(1, 2, 3, 4, 5, 0)
_UNKNOWN_CYCLE: Final = itemgetter(3)
_UNKNOWN_ARCH: Final = itemgetter(5)
_EXPERIMENTAL_PREFIX: Final = itemgetter(1)


def _number(n: int | None) -> tuple[str, ...] | None:
    """A number's groups as :data:`_N` captures them (None when it has too many digits)."""
    if n is None:
        return ("", "", "", "")
    digits = str(n)
    if len(digits) > 3:
        return None
    groups = ["", "", "", ""]
    groups[3 - len(digits)] = digits
    return tuple(groups)


def _two(n: int) -> tuple[str, str]:
    """A week, month or day as :data:`_TWO` captures it."""
    return (str(n), "") if n >= 10 else ("", str(n))


def _cycle(digits: str) -> str:
    """An unknown tag's cycle (any length) as text that sorts as the number."""
    significant = digits.lstrip("0") or "0"
    return chr(0x21 + len(significant)) + significant


def tag_key(p: ParsedTag) -> str | None:
    """The bulk sort key of a parsed tag (None when its numbers are too long for it)."""
    noarch, arch = ("\n", "") if p.arch is None else ("", p.arch)
    tail = (p.extra or "", noarch, arch, p.tag)
    if p.category in ("unknown", "experimental") and p.version is None:
        prefix = "exp_" if p.category == "experimental" else ""
        cycle = "" if p.cycle is None else _cycle(str(p.cycle))
        return _SEP.join((prefix, p.base, cycle, noarch, arch, p.tag))
    if p.category == "experimental":
        return f"0{_SEP}{p.key}"
    suffix = [_number(p.cycle), _number(p.cycle_build), _number(p.build)]
    version = p.version or ()
    parts: list[tuple[str, ...] | None]
    if p.category in ("release", "candidate"):
        rc = version[3] if len(version) > 3 else None
        parts = [_number(v) for v in (*version[:3], rc)]
    elif p.category == "weekly":
        year = str(version[0])
        parts = [(year,) if len(year) == 4 else None, _two(version[1])]
    elif p.category == "daily":
        year = str(version[0])
        parts = [(year,) if len(year) == 4 else None, _two(version[1]), _two(version[2])]
    else:  # an alias: ordered by its parse's key
        return None
    fields: list[str] = []
    for part in (*parts, *suffix):
        if part is None:
            return None
        fields += part
    return _SEP.join((*fields, *tail))


def rsp_listing(
    policy: RspPolicy,
    tags: list[str],
    *,
    aliases: Collection[str] = (),
    digests: Mapping[str, str] | None = None,
) -> Listing | None:
    """The listing of *tags* (each once) as :func:`~envspec.payloads.tags.categorize` and
    :func:`~envspec.payloads.tags.sorted_groups` give it (None for a list this cannot
    read: an empty tag, a line break in a tag)."""
    text = "\n" + "\n".join(tags) + "\n"
    if "\n\n" in text:
        return None
    digests = digests or {}
    names = frozenset(aliases)
    # A spawner lists the same registry every few minutes: an unchanged list (and the same
    # digests and aliases) gives the listing of last time.
    last = _LAST.get(policy)
    if last is not None and last[0] == text and last[1] == names and last[2] == digests:
        return last[3]
    # The cyclic garbage collector would scan the 10^5 new tuples again and again.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        listing = _listing(policy, text, len(tags), names, digests)
    finally:
        if collecting:
            gc.enable()
    if listing is not None:
        _LAST[policy] = (text, names, dict(digests), listing)
    return listing


#: Each policy's last listing, with the text, aliases and digests it was made from.
_LAST: Final[
    weakref.WeakKeyDictionary[RspPolicy, tuple[str, frozenset[str], dict[str, str], Listing]]
] = weakref.WeakKeyDictionary()


class _Bucket:
    __slots__ = ("archs", "keys", "tags")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.tags: list[str] = []
        self.archs: list[str] = []

    def add(
        self, rows: list[tuple[str, ...]], key: Callable[..., tuple[str, ...]], arch: int
    ) -> None:
        self.keys += map(_SEP.join, map(key, rows))
        self.tags += map(_TAG, rows)
        self.archs += map(itemgetter(arch), rows)

    def remove(self, tag: str) -> None:
        i = self.tags.index(tag)
        del self.keys[i], self.tags[i], self.archs[i]


def _family(family: _Family, text: str, alone: list[str]) -> tuple[int, list[tuple[str, ...]]]:
    """The rows of one family the pattern reads; the other lines go to *alone*."""
    rows: list[tuple[str, ...]] = family.pattern.findall(text)
    count = len(rows)
    flags = family.flags
    if any(map(any, map(flags, rows))):
        good = []
        for row in rows:
            if any(flags(row)):
                alone.append(row[family.miss] or row[0])
            else:
                good.append(row)
        rows = good
    return count, rows


def _listing(
    policy: RspPolicy,
    text: str,
    n: int,
    aliases: Collection[str],
    digests: Mapping[str, str],
) -> Listing | None:
    buckets = {c.name: _Bucket() for c in CATEGORIES}
    alone: list[str] = []
    count, rows = _family(_R, text, alone)
    candidates = [r for r in rows if r[13] or r[14] or r[15]]
    if candidates:
        buckets["candidate"].add(candidates, _R.key, _R.arch)
        rows = [r for r in rows if not (r[13] or r[14] or r[15])]
    buckets["release"].add(rows, _R.key, _R.arch)

    weekly_count, rows = _family(_W, text, alone)
    count += weekly_count
    if "53" in map(_WEEK_53, rows):  # only some years have a 53rd week: parsed alone
        alone += [r[0] for r in rows if r[2] == "53"]
        rows = [r for r in rows if r[2] != "53"]
    buckets["weekly"].add(rows, _W.key, _W.arch)

    daily_count, rows = _family(_D, text, alone)
    count += daily_count
    if not _MONTH_END.isdisjoint(map(_LONG_DAY, rows)):  # not every month has them
        alone += [r[0] for r in rows if r[4] in _MONTH_END]
        rows = [r for r in rows if r[4] not in _MONTH_END]
    buckets["daily"].add(rows, _D.key, _D.arch)

    rows = _UNKNOWN.findall(text)
    count += len(rows)
    if any(map(_UNKNOWN_CYCLE, rows)):
        rows = [r if not r[3] else (*r[:3], _cycle(r[3]), *r[4:]) for r in rows]
    experimental = [r for r in rows if r[1]]
    plain = set(map(_TAG, experimental))
    if experimental:
        buckets["experimental"].add(experimental, _UNKNOWN_KEY, 5)
        rows = [r for r in rows if not r[1]]
    buckets["unknown"].add(rows, _UNKNOWN_KEY, 5)

    more = _EXPERIMENTAL.findall(text)
    count += len(more)
    if count != n:  # pragma: no cover - every line is in exactly one family
        return None
    alone += more

    # Tags parsed one by one: keyed from their parse, or their whole category by parse.
    by_parse: set[str] = set()
    for tag in alone:
        p = policy.parse(tag)
        key = tag_key(p)
        if key is None:
            by_parse.add(p.category)
            key = ""
        bucket = buckets[p.category]
        bucket.keys.append(key)
        bucket.tags.append(tag)
        bucket.archs.append(p.arch or "")

    # Aliases: those configured, and unknown tags sharing their digest with a known one.
    alias_of: dict[str, ParsedTag] = {}
    for name in set(aliases):
        for bucket in buckets.values():
            if name in bucket.tags:
                bucket.remove(name)
                alias_of[name] = policy.alias(name)
                break
    unknown = buckets["unknown"]
    get = digests.get
    theirs = {d for d in map(get, unknown.tags) if d is not None} if digests else set()
    # More tags carry those digests than the unknown tags themselves: some are shared.
    if theirs and sum(map(theirs.__contains__, digests.values())) > len(
        [t for t in unknown.tags if t in digests]
    ):
        unknown_tags = set(unknown.tags)
        known = {
            d
            for t, d in digests.items()
            if d in theirs and t not in unknown_tags and t not in alias_of
        }
        if known:
            for tag in [t for t in unknown.tags if get(t) in known]:
                unknown.remove(tag)
                alias_of[tag] = policy.alias(tag)

    groups: dict[str, list[str]] = {}
    archs: dict[str, list[str]] = {}
    for category in CATEGORIES:
        name = category.name
        if name == "alias":
            ordered = sorted(alias_of.values(), key=_parse_key, reverse=True)
            tags = [p.tag for p in ordered]
            arch_list = [p.arch or "" for p in ordered]
        else:
            bucket = buckets[name]
            keys: list[Any] = bucket.keys
            if name in by_parse:
                keys = [policy.parse(t).key for t in bucket.tags]
            order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
            tags = list(map(bucket.tags.__getitem__, order))
            arch_list = list(map(bucket.archs.__getitem__, order))
        if tags:
            groups[name] = tags
            archs[name] = arch_list

    parse = policy.parse

    def parse_listed(tag: str) -> ParsedTag:
        alias = alias_of.get(tag)
        return parse(tag) if alias is None else alias

    return Listing(
        groups=groups,
        archs=archs,
        parse=parse_listed,
        plain=plain - alias_of.keys(),
        monotone=_MONOTONE,
    )


_parse_key: Final = itemgetter(12)  # ParsedTag.key
#: Categories whose version and date fall along the order (a cutoff keeps a prefix).
_MONOTONE: Final = frozenset({"release", "candidate", "weekly", "daily"})
