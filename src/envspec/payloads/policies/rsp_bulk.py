"""The RSP policy over a whole tag list at once: every tag's sort key without a parse per tag.

:meth:`RspPolicy.parse <envspec.payloads.policies.rsp.RspPolicy.parse>` reads one tag
into a :class:`~envspec.payloads._tagtypes.ParsedTag` (a few microseconds each).  A menu of
10^5 tags needs that reading for the dozens it shows, but only the order of the rest, and
the order is that of ``ParsedTag.key``: one string per tag, the category's rank, the
version, the suffix, the tag.  Here each tag's key is built, equal to its parse's key
(the tests check it tag by tag), from the few *distinct* parts a list has:

- one compiled pattern per tag family (releases and candidates, weeklies, dailies, the
  experimental forms of each, and the rest) runs over the text of the whole list
  (``findall``, in C) and splits each tag into its version text and its suffix text;
- the key's part of a version text (its numbers, whether it is a valid date) and of a
  suffix text (cycle, builds, extra text, architecture) is worked out once per distinct
  text and kept (a list of 10^5 tags has a few thousand of each);
- each key is then the join of those parts and the tag, and one sort orders them all.

Weeklies and dailies written the usual way (a 4-digit year, 2-digit weeks, months and
days) are split by position, without a pattern.  A tag the patterns cannot vouch for (an
old ``r230`` release, a 29th to 31st day written another way, a suffix the grammar reads
another way, an experimental tag of an experimental tag) is parsed on its own: its key is
its parse's, so it sits among the others where one by one would put it.

A policy remembers what its listings read: the same list again gives the last listing,
and a list with new tags looks up the keys of the others (a spawner lists the same
registry every few minutes).
"""

from __future__ import annotations

import bisect
import datetime
import gc
import re
import weakref
from collections.abc import Callable, Collection, Mapping
from itertools import compress, repeat
from operator import itemgetter, not_
from typing import Final

from envspec.payloads._listing import Listing
from envspec.payloads._tagtypes import ParsedTag
from envspec.payloads.policies import rsp as _rsp
from envspec.payloads.policies.rsp import CATEGORIES, RspPolicy

__all__ = ["rsp_keys", "rsp_listing"]

#: The text after a version: empty, or from the first '_' or '-' to the line's end.
_TAIL: Final = r"((?:[_-][^\n]*)?)(?=\n)"
#: Unknown tags: the shortest base the optional cycle and architecture can follow (tried
#: only where a '_' or '-' starts them, or at the end).
_UNKNOWN_SPLIT: Final = r"([^\n_-]*(?:[_-][^\n_-]*)*?)((?:_c\d+)?(?:-[a-z0-9]+)?)(?=\n)"
_VERSIONED: Final = r"r\d|w_\d|d_\d"
_RELEASE: Final = rf"r(\d+_\d+_\d+(?:_rc\d+)?){_TAIL}"
_WEEKLY: Final = rf"w_(\d+_\d+){_TAIL}"
#: Days 1 to 28 are in every month; the rest are read with their month (when a list has
#: them).
_DAILY: Final = rf"d_(\d+_\d+)_(0*(?:[1-9]|1\d|2[0-8])){_TAIL}"
_LATE_DAILY: Final = rf"d_(\d+_\d+_0*(?:29|3[01])){_TAIL}"
#: (A release-like line of no release form captures no version: it is parsed alone.)
_RELEASES: Final = re.compile(rf"\n(r(?:(\d+_\d+_\d+(?:_rc\d+)?){_TAIL}|\d[^\n]*))")
_WEEKLIES: Final = re.compile(rf"\n({_WEEKLY})")
_DAILIES: Final = re.compile(rf"\n({_DAILY})")
_LATE_DAILIES: Final = re.compile(rf"\n({_LATE_DAILY})")
#: Weekly and daily lines, read by position when written the usual way (a 4-digit year,
#: 2-digit weeks, months and days); the others are read by the patterns above.
_WEEKLY_LINES: Final = re.compile(r"\n(w_\d[^\n]*)")
_DAILY_LINES: Final = re.compile(r"\n(d_\d[^\n]*)")
_WEEKLY_SLICES: Final = (itemgetter(slice(2, 9)), itemgetter(slice(9, None)))
_DAILY_SLICES: Final = (
    itemgetter(slice(2, 9)),
    itemgetter(slice(9, 12)),
    itemgetter(slice(12, None)),
)
_USUAL: Final = re.compile(r"[0-9]{4}_[0-9][0-9]")
_USUAL_DAY: Final = re.compile(r"_(?:0[1-9]|1[0-9]|2[0-8])")
_UNKNOWN: Final = re.compile(rf"\n(?!{_VERSIONED}|exp_[^\n])({_UNKNOWN_SPLIT})")
#: The experimental tags (their lines, then each form among them).
_EXPERIMENTAL: Final = re.compile(r"\n(exp_[^\n]+)")
_EXP_RELEASES: Final = re.compile(rf"\n(exp_{_RELEASE})")
#: (Only weeks 1 to 53: a longer number is unknown, read as such by the next pattern.)
_EXP_WEEK: Final = r"w_\d+_0*(?:[1-9]|[1-4]\d|5[0-3])"
_EXP_WEEKLIES: Final = re.compile(rf"\n(exp_w_(\d+_0*(?:[1-9]|[1-4]\d|5[0-3])){_TAIL})")
_EXP_DAILIES: Final = re.compile(rf"\n(exp_{_DAILY})")
_EXP_UNKNOWN: Final = re.compile(
    rf"\n(exp_(?!r\d|d_\d|{_EXP_WEEK}(?:[_-]|\n)|exp_|\n){_UNKNOWN_SPLIT})"
)
#: Tags of a versioned form whose version or suffix says they are not (read as unknown).
_ANY_UNKNOWN: Final = re.compile(rf"\n({_UNKNOWN_SPLIT})")
_ANY_EXP_UNKNOWN: Final = re.compile(rf"\n(exp_{_UNKNOWN_SPLIT})")

_NUM: Final = _rsp._num  # the key's number form is the policy's
_NONE: Final = _rsp._NONE
_ZERO_NONE: Final = _rsp._ZERO_NONE
_RANK: Final = _rsp._RANK
_NO_ARCH: Final = _rsp._NO_ARCH
#: A suffix as the policy reads it: cycle, cycle build, RSP build, extra text, architecture.
_SUFFIX: Final = re.compile(
    r"(?:_c(\d+)\.(\d+))?(?:_rsp(\d+))?(?:_(.+?))?(?:-([a-z0-9]+))?", re.DOTALL
)
#: What an unknown tag's key has before its base (and an experimental one's).
_UNKNOWN_HEAD: Final = _RANK["unknown"] + "1" + _NONE * 4
_EXP_UNKNOWN_HEAD: Final = _RANK["experimental"] + "1" + _NONE * 4
_EXP_RANK: Final = _RANK["experimental"]
#: The part of a text that is not valid (no key part is empty): the tag reads another way.
_BAD: Final = ""


class _Parts(dict[str, str]):
    """A text's part of the key, worked out once (at most 2^16 kept); *bad* tells whether
    any text kept is not valid (else a list's texts need no check)."""

    def __init__(self, read: Callable[[str], str]) -> None:
        super().__init__()
        self._read = read
        self.bad = False

    def __missing__(self, text: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
            self.bad = False
        part = self[text] = self._read(text)
        if not part:
            self.bad = True
        return part


def _release(version: str) -> str:
    if not version:
        return _BAD
    numbers = version.replace("_rc", "_").split("_")
    a, b, c = _NUM(numbers[0]), _NUM(numbers[1]), _NUM(numbers[2])
    if len(numbers) == 4:
        return f"{_RANK['candidate']}0{a}{b}{c}{_NUM(numbers[3])}"
    return f"{_RANK['release']}0{a}{b}{c}{_NONE}"


def _weekly(version: str) -> str:
    year, week = map(int, version.split("_"))
    if not (0 < week < 54 and 0 < year < 10000):
        return _BAD
    if week == 53:  # not in every year
        try:
            datetime.date.fromisocalendar(year, week, 4)
        except (ValueError, OverflowError):
            return _BAD
    return f"{_RANK['weekly']}0{_NUM(year)}{_NUM(week)}{_ZERO_NONE}"


def _month(version: str) -> str:
    year, month = version.split("_")
    try:
        date = datetime.date(int(year), int(month), 1)
    except (ValueError, OverflowError):
        return _BAD
    return f"{_RANK['daily']}0{_NUM(date.year)}{_NUM(date.month)}"


def _day(day: str) -> str:
    return f"{_NUM(int(day))}{_NONE}"


def _date(version: str) -> str:
    year, month, day = version.split("_")
    try:
        date = datetime.date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return _BAD
    return f"{_RANK['daily']}0{_NUM(date.year)}{_NUM(date.month)}{_NUM(date.day)}{_NONE}"


def _usual(read: Callable[[str], str]) -> Callable[[str], str]:
    """*read* of a text with a 4-digit year and a 2-digit number (else not valid)."""

    def usual(text: str) -> str:
        return read(text) if _USUAL.fullmatch(text) else _BAD

    return usual


def _usual_day(text: str) -> str:
    return _day(text[1:]) if _USUAL_DAY.fullmatch(text) else _BAD


def _suffix(text: str) -> str:
    m = _SUFFIX.fullmatch(text)
    if m is None:
        _SUFFIX_ARCHS[text] = ""
        return _BAD
    cycle, cbuild, build, rest, arch = m.groups()
    _SUFFIX_ARCHS[text] = arch or ""
    return f"\0{_NUM(cycle)}{_NUM(cbuild)}{_NUM(build)}{rest or ''}\0{arch or _NO_ARCH}\0"


def _unknown_tail(text: str) -> str:
    cycle, _, arch = text.partition("-")
    _UNKNOWN_ARCHS[text] = arch
    number = _NUM(cycle[2:]) if cycle else _NUM(None)
    return f"\0{number}{_NUM(None)}{_NUM(None)}\0{arch or _NO_ARCH}\0"


def _experimental(parts: _Parts) -> Callable[[str], str]:
    """The key part of an experimental tag's version: its sub-tag's under another rank."""

    def read(text: str) -> str:
        head = parts[text]
        return head and _EXP_RANK + head[1:]

    return read


_RELEASE_PARTS: Final = _Parts(_release)
_WEEKLY_PARTS: Final = _Parts(_weekly)
_MONTH_PARTS: Final = _Parts(_month)
_DAY_PARTS: Final = _Parts(_day)
_DATE_PARTS: Final = _Parts(_date)
_EXP_RELEASE_PARTS: Final = _Parts(_experimental(_RELEASE_PARTS))
_EXP_WEEKLY_PARTS: Final = _Parts(_experimental(_WEEKLY_PARTS))
_EXP_MONTH_PARTS: Final = _Parts(_experimental(_MONTH_PARTS))
_USUAL_WEEKLY_PARTS: Final = _Parts(_usual(_weekly))
_USUAL_MONTH_PARTS: Final = _Parts(_usual(_month))
_USUAL_DAY_PARTS: Final = _Parts(_usual_day)
_SUFFIX_PARTS: Final = _Parts(_suffix)
_UNKNOWN_TAILS: Final = _Parts(_unknown_tail)
#: Each suffix's and each unknown tail's architecture ("" for none), filled as they are read.
_SUFFIX_ARCHS: Final[dict[str, str]] = {}
_UNKNOWN_ARCHS: Final[dict[str, str]] = {}

_FIRST: Final = itemgetter(0)
_COLUMNS: Final = (itemgetter(1), itemgetter(2), itemgetter(3))


class _Keys:
    """Keys, tags and architectures of a list, in the order they are found."""

    __slots__ = ("alone", "archs", "keys", "tags")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.tags: list[str] = []
        self.archs: list[str] = []
        #: Tags to parse on their own.
        self.alone: list[str] = []

    def rows(self, rows: list[tuple[str, ...]], parts: tuple[_Parts, ...], bad: list[str]) -> None:
        """Rows of a versioned family: (tag, version text[s]..., suffix text)."""
        if rows:
            texts = [list(map(c, rows)) for c in _COLUMNS[: len(parts)]]
            self.versioned(list(map(_FIRST, rows)), texts, parts, bad)

    def lines(
        self,
        lines: list[str],
        slices: tuple[Callable[[str], str], ...],
        parts: tuple[_Parts, ...],
        bad: list[str],
    ) -> None:
        """Lines of a versioned family, their version and suffix texts at fixed places."""
        if lines:
            self.versioned(lines, [list(map(s, lines)) for s in slices], parts, bad)

    def versioned(
        self, tags: list[str], texts: list[list[str]], parts: tuple[_Parts, ...], bad: list[str]
    ) -> None:
        """Tags of a versioned family and their texts (version text[s]..., suffix text);
        a tag whose version or suffix is not valid goes to *bad*."""
        columns = [list(map(p.__getitem__, t)) for p, t in zip(parts, texts, strict=True)]
        if any(p.bad and _BAD in c for p, c in zip(parts, columns, strict=True)):
            good = [_BAD not in row for row in zip(*columns, strict=True)]
            bad += compress(tags, map(not_, good))
            tags = list(compress(tags, good))
            columns = [list(compress(c, good)) for c in columns]
            texts = [list(compress(texts[-1], good))]
        self.keys += map("".join, zip(*columns, tags, strict=True))
        self.tags += tags
        self.archs += map(_SUFFIX_ARCHS.__getitem__, texts[-1])

    def unknowns(self, rows: list[tuple[str, str, str]], head: str) -> None:
        """Rows of unknown tags: (tag, base, tail); *head* starts each key."""
        if not rows:
            return
        tails = list(map(_COLUMNS[1], rows))
        tags = list(map(_FIRST, rows))
        self.keys += map(
            "".join,
            zip(repeat(head), map(_COLUMNS[0], rows), map(_UNKNOWN_TAILS.__getitem__, tails), tags),
        )
        self.tags += tags
        self.archs += map(_UNKNOWN_ARCHS.__getitem__, tails)


def _lines(lines: list[str]) -> str:
    return "\n" + "\n".join(lines) + "\n"


def _read(text: str) -> _Keys:
    """Every tag's key, tag and architecture (tags to parse alone are set aside)."""
    found = _Keys()
    unknown: list[str] = []
    again: list[str] = []
    suffix = _SUFFIX_PARTS
    found.rows(_RELEASES.findall(text), (_RELEASE_PARTS, suffix), found.alone)
    weekly = (_USUAL_WEEKLY_PARTS, suffix)
    found.lines(_WEEKLY_LINES.findall(text), _WEEKLY_SLICES, weekly, again)
    daily = (_USUAL_MONTH_PARTS, _USUAL_DAY_PARTS, suffix)
    found.lines(_DAILY_LINES.findall(text), _DAILY_SLICES, daily, again)
    found.unknowns(_UNKNOWN.findall(text), _UNKNOWN_HEAD)
    if again:  # weeklies and dailies written another way, 29th to 31st days
        _versioned_again(found, again, unknown)
    if unknown:
        found.unknowns(_ANY_UNKNOWN.findall(_lines(unknown)), _UNKNOWN_HEAD)
    if "\nexp_" in text:
        _read_experimental(found, _EXPERIMENTAL.findall(text))
    return found


def _versioned_again(found: _Keys, tags: list[str], unknown: list[str]) -> None:
    """Weeklies and dailies read by pattern; those of no daily or weekly form, or not a
    date, go to *unknown*."""
    text = _lines(tags)
    first_read, first_unknown = len(found.tags), len(unknown)
    suffix = _SUFFIX_PARTS
    found.rows(_WEEKLIES.findall(text), (_WEEKLY_PARTS, suffix), unknown)
    found.rows(_DAILIES.findall(text), (_MONTH_PARTS, _DAY_PARTS, suffix), unknown)
    found.rows(_LATE_DAILIES.findall(text), (_DATE_PARTS, suffix), unknown)
    if len(found.tags) - first_read + len(unknown) - first_unknown < len(tags):
        # Of no daily or weekly form.
        read = {*found.tags[first_read:], *unknown[first_unknown:]}
        unknown += [t for t in tags if t not in read]


def _read_experimental(found: _Keys, lines: list[str]) -> None:
    """The experimental tags: an experimental form of each family, or unknown."""
    text = _lines(lines)
    first_read, first_alone = len(found.tags), len(found.alone)
    unknown: list[str] = []
    suffix = _SUFFIX_PARTS
    found.rows(_EXP_RELEASES.findall(text), (_EXP_RELEASE_PARTS, suffix), found.alone)
    found.rows(_EXP_WEEKLIES.findall(text), (_EXP_WEEKLY_PARTS, suffix), unknown)
    found.rows(_EXP_DAILIES.findall(text), (_EXP_MONTH_PARTS, _DAY_PARTS, suffix), unknown)
    found.unknowns(_EXP_UNKNOWN.findall(text), _EXP_UNKNOWN_HEAD)
    if len(found.tags) - first_read + len(found.alone) - first_alone + len(unknown) < len(lines):
        # An experimental tag of an experimental tag, a 29th to 31st day, an old release.
        read = {*found.tags[first_read:], *found.alone[first_alone:], *unknown}
        found.alone += [t for t in lines if t not in read]
    if unknown:
        found.unknowns(_ANY_EXP_UNKNOWN.findall(_lines(unknown)), _EXP_UNKNOWN_HEAD)


def rsp_keys(tags: list[str]) -> dict[str, str] | None:
    """Each tag's sort key (its parse's ``key``), read in bulk (None for a list this cannot
    read: an empty tag, a line break in a tag)."""
    text = _text(tags)
    if text is None:
        return None
    keys, listed, _ = _keys(RspPolicy(), text, tags, remember=False)
    return dict(zip(listed, keys, strict=True))


def _text(tags: list[str]) -> str | None:
    """The tags a line each, between line breaks (None if a tag is empty or has one)."""
    text = "\n" + "\n".join(tags) + "\n"
    if "" in tags or text.count("\n") != len(tags) + 1:
        return None
    return text


class _Seen:
    """What a policy's listings have read: the first listing's keys as lists (a table of
    10^5 tags costs a fifth of a listing, so it is made only when a second listing comes),
    then a table of each tag's key and architecture."""

    __slots__ = ("lists", "table")

    def __init__(self, lists: tuple[list[str], list[str], list[str]]) -> None:
        self.lists: tuple[list[str], list[str], list[str]] | None = lists
        self.table: dict[str, tuple[str, str]] = {}

    def known(self) -> dict[str, tuple[str, str]]:
        if self.lists is not None:
            keys, listed, archs = self.lists
            self.table = dict(zip(listed, zip(keys, archs, strict=True), strict=True))
            self.lists = None
        return self.table


_SEEN: Final[weakref.WeakKeyDictionary[RspPolicy, _Seen]] = weakref.WeakKeyDictionary()
#: Tags whose key and architecture are kept (a policy's parse cache keeps as many).
_SEEN_SIZE: Final = _rsp.CACHE_SIZE


def _keys(
    policy: RspPolicy, text: str, tags: list[str], remember: bool
) -> tuple[list[str], list[str], list[str]]:
    """Each tag's key, the tags in the same order, and their architectures: those the
    policy's earlier listings read looked up, the others read in bulk or parsed alone."""
    keys: list[str] = []
    listed: list[str] = []
    archs: list[str] = []
    seen = _SEEN.get(policy) if remember else None
    if seen is not None:
        table = seen.known()
        pairs = list(map(table.get, tags))
        listed = list(compress(tags, pairs))
        if listed:
            known = list(filter(None, pairs))
            keys = list(map(_FIRST, known))
            archs = list(map(_COLUMNS[0], known))
        if len(listed) == len(tags):
            return keys, listed, archs
        tags = list(compress(tags, map(not_, pairs)))
        text = "\n" + "\n".join(tags) + "\n"
    found = _read(text)
    new_keys, new_tags, new_archs = found.keys, found.tags, found.archs
    alone = found.alone
    if len(new_tags) + len(alone) != len(tags):  # tags no pattern reads
        alone += {*tags} - {*new_tags, *alone}
    parse = policy.parse
    for tag in alone:
        p = parse(tag)
        new_keys.append(p.key)
        new_tags.append(tag)
        new_archs.append(p.arch or "")
    if seen is not None:
        if len(seen.table) + len(new_tags) > _SEEN_SIZE:
            seen.table.clear()
        seen.table.update(zip(new_tags, zip(new_keys, new_archs, strict=True), strict=True))
        return keys + new_keys, listed + new_tags, archs + new_archs
    if remember:
        _SEEN[policy] = _Seen((new_keys.copy(), new_tags, new_archs))
    return new_keys, new_tags, new_archs


def rsp_listing(
    policy: RspPolicy,
    tags: list[str],
    *,
    aliases: Collection[str] = (),
    digests: Mapping[str, str] | None = None,
) -> Listing | None:
    """The listing of *tags* (each once) as :func:`~envspec.payloads.tags.categorize` and
    :func:`~envspec.payloads.tags.sorted_groups` give it (None for a list this cannot
    read: an empty tag, a line break in a tag).

    A spawner lists the same registry every few minutes: an unchanged list (with the same
    digests and aliases) gives the listing of last time, and a changed one reads only the
    tags the policy's earlier listings have not."""
    text = _text(tags)
    if text is None:
        return None
    digests = digests or {}
    names = frozenset(aliases)
    last = _LAST.get(policy)
    # (The digests as two lists: a copy of a table of 10^5 costs five times as much.)
    if (
        last is not None
        and last[0] == text
        and last[1] == names
        and last[2] == list(digests)
        and last[3] == list(digests.values())
    ):
        return last[4]
    # The cyclic garbage collector would scan the 10^5 new strings' lists again and again.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        listing = _listing(policy, text, tags, names, digests)
    finally:
        if collecting:
            gc.enable()
    _LAST[policy] = (text, names, list(digests), list(digests.values()), listing)
    return listing


#: Each policy's last listing, with the text, aliases and digests it was made from.
_LAST: Final[
    weakref.WeakKeyDictionary[RspPolicy, tuple[str, frozenset[str], list[str], list[str], Listing]]
] = weakref.WeakKeyDictionary()


def _listing(
    policy: RspPolicy,
    text: str,
    tags: list[str],
    aliases: Collection[str],
    digests: Mapping[str, str],
) -> Listing:
    keys, listed, archs = _keys(policy, text, tags, remember=True)
    # Aliases by configuration (their keys sort them first).
    alias_of: dict[str, ParsedTag] = {}
    for name in aliases:
        if f"\n{name}\n" in text:
            alias_of[name] = p = policy.alias(name)
            keys[listed.index(name)] = p.key

    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
    gather: Callable[[list[str]], tuple[str, ...]] = itemgetter(*order) if len(order) > 1 else tuple
    ordered = gather(listed)
    ordered_archs = gather(archs)
    groups: dict[str, list[str]] = {}
    arch_groups: dict[str, list[str]] = {}
    start = 0
    plain: list[str] = []
    for category in CATEGORIES:
        name = category.name
        rank = -ord(_RANK[name])
        end = bisect.bisect_right(order, rank, lo=start, key=lambda i: -ord(keys[i][0]))
        if end > start:
            groups[name] = list(ordered[start:end])
            arch_groups[name] = list(ordered_archs[start:end])
            if name == "experimental":
                # Those with no version ('1' after the rank) come first.
                cut = bisect.bisect_left(
                    order, True, lo=start, hi=end, key=lambda i: keys[i][1] != "1"
                )
                plain = list(ordered[start:cut])
        start = end

    # Unknown tags sharing their digest with a tag of a known category are aliases.
    if digests and "unknown" in groups:
        shared = _shared(groups["unknown"], digests, alias_of)
        if shared:
            unknown = groups.pop("unknown")
            unknown_archs = arch_groups.pop("unknown")
            kept = [(t, a) for t, a in zip(unknown, unknown_archs, strict=True) if t not in shared]
            if kept:
                groups["unknown"] = [t for t, _ in kept]
                arch_groups["unknown"] = [a for _, a in kept]
            for tag in shared:
                alias_of[tag] = policy.alias(tag)
            ordered_aliases = sorted(alias_of.values(), key=_parse_key, reverse=True)
            groups = {"alias": [p.tag for p in ordered_aliases]} | {
                k: v for k, v in groups.items() if k != "alias"
            }
            arch_groups = {"alias": [p.arch or "" for p in ordered_aliases]} | {
                k: v for k, v in arch_groups.items() if k != "alias"
            }

    parse = policy.parse

    def parse_listed(tag: str) -> ParsedTag:
        alias = alias_of.get(tag)
        return parse(tag) if alias is None else alias

    return Listing(
        groups=groups,
        archs=arch_groups,
        parse=parse_listed,
        plain=set(plain),
        monotone=_MONOTONE,
    )


def _shared(
    unknown: list[str], digests: Mapping[str, str], alias_of: dict[str, ParsedTag]
) -> set[str]:
    """The unknown tags whose digest a tag of a known category also has."""
    get = digests.get
    theirs = list(map(get, unknown))
    carrying = len(theirs) - theirs.count(None)
    shared_digests = set(theirs)
    shared_digests.discard(None)
    # As many tags carry those digests as there are unknown tags with one: none is shared.
    if not shared_digests or sum(map(shared_digests.__contains__, digests.values())) == carrying:
        return set()
    unknown_tags = set(unknown)
    known = {
        d
        for t, d in digests.items()
        if d in shared_digests and t not in unknown_tags and t not in alias_of
    }
    return {t for t in unknown if get(t) in known}


_parse_key: Final = itemgetter(12)  # ParsedTag.key
#: Categories whose version and date fall along the order (a cutoff keeps a prefix).
_MONOTONE: Final = frozenset({"release", "candidate", "weekly", "daily"})
