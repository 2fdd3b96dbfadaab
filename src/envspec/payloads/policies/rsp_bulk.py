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

A tag the patterns cannot vouch for (an old ``r230`` release, a 29th to 31st day, a
suffix the grammar reads another way, an experimental tag of an experimental tag) is
parsed on its own: its key is its parse's, so it sits among the others where one by one
would put it.
"""

from __future__ import annotations

import bisect
import datetime
import gc
import re
import weakref
from collections.abc import Callable, Collection, Mapping
from itertools import repeat
from operator import itemgetter
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
_RELEASES: Final = re.compile(rf"\n({_RELEASE})")
_WEEKLIES: Final = re.compile(rf"\n({_WEEKLY})")
_DAILIES: Final = re.compile(rf"\n({_DAILY})")
_LATE_DAILIES: Final = re.compile(rf"\n({_LATE_DAILY})")
_UNKNOWN: Final = re.compile(rf"\n(?!{_VERSIONED}|exp_[^\n])({_UNKNOWN_SPLIT})")
#: The experimental tags (their lines, then each form among them).
_EXPERIMENTAL: Final = re.compile(r"\n(exp_[^\n]*)")
_EXP_RELEASES: Final = re.compile(rf"\n(exp_{_RELEASE})")
_EXP_WEEKLIES: Final = re.compile(rf"\n(exp_{_WEEKLY})")
_EXP_DAILIES: Final = re.compile(rf"\n(exp_{_DAILY})")
_EXP_LATE_DAILIES: Final = re.compile(rf"\n(exp_{_LATE_DAILY})")
_EXP_UNKNOWN: Final = re.compile(rf"\n(exp_(?!{_VERSIONED}|exp_|\n){_UNKNOWN_SPLIT})")
#: Tags of a versioned form whose version or suffix says they are not (read as unknown).
_ANY_UNKNOWN: Final = re.compile(rf"\n({_UNKNOWN_SPLIT})")
_ANY_EXP_UNKNOWN: Final = re.compile(rf"\n(exp_{_UNKNOWN_SPLIT})")

_NUM: Final = _rsp._num  # noqa: SLF001 - the key's number form is the policy's
_NONE: Final = _rsp._NONE  # noqa: SLF001
_ZERO_NONE: Final = _rsp._ZERO_NONE  # noqa: SLF001
_PLAIN_TAIL: Final = _rsp._PLAIN_TAIL  # noqa: SLF001
_RANK: Final = _rsp._RANK  # noqa: SLF001
_NO_ARCH: Final = _rsp._NO_ARCH  # noqa: SLF001
#: A suffix as the policy reads it: cycle, cycle build, RSP build, extra text, architecture.
_SUFFIX: Final = re.compile(r"(?:_c(\d+)\.(\d+))?(?:_rsp(\d+))?(?:_(.+?))?(?:-([a-z0-9]+))?", re.DOTALL)
#: What an unknown tag's key has before its base (and an experimental one's).
_UNKNOWN_HEAD: Final = _RANK["unknown"] + "1" + _NONE * 4
_EXP_UNKNOWN_HEAD: Final = _RANK["experimental"] + "1" + _NONE * 4
_EXP_RANK: Final = _RANK["experimental"]
_U: Final = _RANK["unknown"]
#: The part of a text that is not valid (no key part is empty): the tag reads another way.
_BAD: Final = ""


class _Parts(dict[str, str]):
    """A text's part of the key, worked out once (at most 2^16 kept)."""

    def __init__(self, read: Callable[[str], str]) -> None:
        super().__init__()
        self._read = read

    def __missing__(self, text: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        part = self[text] = self._read(text)
        return part


def _release(version: str) -> str:
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
_EXP_DATE_PARTS: Final = _Parts(_experimental(_DATE_PARTS))
_SUFFIX_PARTS: Final = _Parts(_suffix)
_UNKNOWN_TAILS: Final = _Parts(_unknown_tail)
#: Each suffix's and each unknown tail's architecture ("" for none), filled as they are read.
_SUFFIX_ARCHS: Final[dict[str, str]] = {}
_UNKNOWN_ARCHS: Final[dict[str, str]] = {}

_FIRST: Final = itemgetter(0)
_COLUMNS: Final = (itemgetter(1), itemgetter(2), itemgetter(3))


class _Keys:
    """Keys, tags and architectures of a list, in the order they are found."""

    __slots__ = ("alone", "archs", "keys", "plain", "tags", "unknown")

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.tags: list[str] = []
        self.archs: list[str] = []
        #: Tags to parse on their own.
        self.alone: list[str] = []
        #: Where the unknown tags' keys are (start, stop).
        self.unknown: list[tuple[int, int]] = []
        #: Experimental tags with no version (a filter passes them without a parse).
        self.plain: list[str] = []

    def versioned(self, rows: list[tuple[str, ...]], parts: tuple[_Parts, ...], bad: list[str]) -> None:
        """Rows of a versioned family: (tag, version text[s]..., suffix text); a tag whose
        version or suffix is not valid goes to *bad*."""
        if not rows:
            return
        columns = [list(map(p.__getitem__, map(c, rows))) for p, c in zip(parts, _COLUMNS)]
        if any(_BAD in column for column in columns):
            good = [_BAD not in row for row in zip(*columns)]
            bad += [r[0] for r, ok in zip(rows, good) if not ok]
            rows = [r for r, ok in zip(rows, good) if ok]
            columns = [[v for v, ok in zip(c, good) if ok] for c in columns]
        tags = list(map(_FIRST, rows))
        self.keys += map("".join, zip(*columns, tags))
        self.tags += tags
        self.archs += map(_SUFFIX_ARCHS.__getitem__, map(_COLUMNS[len(parts) - 1], rows))

    def unknowns(self, rows: list[tuple[str, str, str]], head: str, plain: bool) -> None:
        """Rows of unknown tags: (tag, base, tail); *head* starts each key."""
        if not rows:
            return
        if not plain:
            self.unknown.append((len(self.keys), len(self.keys) + len(rows)))
        tails = list(map(_COLUMNS[1], rows))
        tags = list(map(_FIRST, rows))
        self.keys += map(
            "".join,
            zip(repeat(head), map(_COLUMNS[0], rows), map(_UNKNOWN_TAILS.__getitem__, tails), tags),
        )
        self.tags += tags
        self.archs += map(_UNKNOWN_ARCHS.__getitem__, tails)
        if plain:
            self.plain += tags


def _read(text: str, n: int) -> _Keys:
    """Every tag's key, tag and architecture (tags to parse alone are set aside)."""
    found = _Keys()
    unknown: list[str] = []
    exp_unknown: list[str] = []
    suffix = _SUFFIX_PARTS
    found.versioned(_RELEASES.findall(text), (_RELEASE_PARTS, suffix), found.alone)
    found.versioned(_WEEKLIES.findall(text), (_WEEKLY_PARTS, suffix), unknown)
    found.versioned(_DAILIES.findall(text), (_MONTH_PARTS, _DAY_PARTS, suffix), unknown)
    found.unknowns(_UNKNOWN.findall(text), _UNKNOWN_HEAD, False)
    exp = ""
    if "\nexp_" in text:
        exp = "\n" + "\n".join(_EXPERIMENTAL.findall(text)) + "\n"
        found.versioned(_EXP_RELEASES.findall(exp), (_EXP_RELEASE_PARTS, suffix), found.alone)
        found.versioned(_EXP_WEEKLIES.findall(exp), (_EXP_WEEKLY_PARTS, suffix), exp_unknown)
        found.versioned(
            _EXP_DAILIES.findall(exp), (_EXP_MONTH_PARTS, _DAY_PARTS, suffix), exp_unknown
        )
        found.unknowns(_EXP_UNKNOWN.findall(exp), _EXP_UNKNOWN_HEAD, True)
    if len(found.tags) + len(unknown) + len(exp_unknown) + len(found.alone) < n:
        # Some tags are left: the 29th to 31st days are read with their month.
        found.versioned(_LATE_DAILIES.findall(text), (_DATE_PARTS, suffix), unknown)
        if exp:
            found.versioned(
                _EXP_LATE_DAILIES.findall(exp), (_EXP_DATE_PARTS, suffix), exp_unknown
            )
    if unknown:
        found.unknowns(
            _ANY_UNKNOWN.findall("\n" + "\n".join(unknown) + "\n"), _UNKNOWN_HEAD, False
        )
    if exp_unknown:
        found.unknowns(
            _ANY_EXP_UNKNOWN.findall("\n" + "\n".join(exp_unknown) + "\n"),
            _EXP_UNKNOWN_HEAD,
            True,
        )
    return found


def rsp_keys(tags: list[str]) -> dict[str, str] | None:
    """Each tag's sort key (its parse's ``key``), read in bulk (None for a list this cannot
    read: an empty tag, a line break in a tag)."""
    text = "\n" + "\n".join(tags) + "\n"
    if "\n\n" in text or text.count("\n") != len(tags) + 1:
        return None
    found = _read(text, len(tags))
    keys = dict(zip(found.tags, found.keys, strict=True))
    policy = RspPolicy()
    for tag in {*tags} - keys.keys():
        keys[tag] = policy.parse(tag).key
    return keys


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
    if "\n\n" in text or text.count("\n") != len(tags) + 1:
        return None
    digests = digests or {}
    names = frozenset(aliases)
    # A spawner lists the same registry every few minutes: an unchanged list (and the same
    # digests and aliases) gives the listing of last time.
    last = _LAST.get(policy)
    if last is not None and last[0] == text and last[1] == names and last[2] == digests:
        return last[3]
    # The cyclic garbage collector would scan the 10^5 new strings' lists again and again.
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


def _listing(
    policy: RspPolicy,
    text: str,
    n: int,
    aliases: Collection[str],
    digests: Mapping[str, str],
) -> Listing | None:
    found = _read(text, n)
    keys, tags, archs = found.keys, found.tags, found.archs
    alone = found.alone
    if len(tags) + len(alone) != n:  # tags no pattern reads: parsed alone
        alone += {*text[1:-1].split("\n")} - {*tags, *alone}
    parse = policy.parse
    for tag in alone:
        p = parse(tag)
        keys.append(p.key)
        tags.append(tag)
        archs.append(p.arch or "")

    # Aliases: those configured, and unknown tags sharing their digest with a known one.
    alias_of: dict[str, ParsedTag] = {}
    for name in aliases:
        if f"\n{name}\n" not in text:
            continue
        i = tags.index(name)
        alias_of[name] = p = policy.alias(name)
        keys[i] = p.key
    if digests:
        unknown = [(a, b) for a, b in found.unknown]
        start = len(keys) - len(alone)
        unknown += [(i, i + 1) for i in range(start, len(keys)) if keys[i][0] == _U]
        _shared_aliases(policy, keys, tags, unknown, digests, alias_of)

    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
    ordered = list(map(tags.__getitem__, order))
    ordered_archs = list(map(archs.__getitem__, order))
    groups: dict[str, list[str]] = {}
    arch_groups: dict[str, list[str]] = {}
    start = 0
    for category in CATEGORIES:
        rank = -ord(_RANK[category.name])
        end = bisect.bisect_right(order, rank, lo=start, key=lambda i: -ord(keys[i][0]))
        if end > start:
            groups[category.name] = ordered[start:end]
            arch_groups[category.name] = ordered_archs[start:end]
        start = end

    def parse_listed(tag: str) -> ParsedTag:
        alias = alias_of.get(tag)
        return parse(tag) if alias is None else alias

    return Listing(
        groups=groups,
        archs=arch_groups,
        parse=parse_listed,
        plain=set(found.plain) - alias_of.keys(),
        monotone=_MONOTONE,
    )


def _shared_aliases(
    policy: RspPolicy,
    keys: list[str],
    tags: list[str],
    unknown: list[tuple[int, int]],
    digests: Mapping[str, str],
    alias_of: dict[str, ParsedTag],
) -> None:
    """Unknown tags (in the spans *unknown*) whose digest a tag of a known category also
    has become aliases."""
    get = digests.get
    theirs: list[str | None] = []
    for a, b in unknown:
        theirs += map(get, tags[a:b])
    carrying = len(theirs) - theirs.count(None)
    shared = set(theirs)
    shared.discard(None)
    # As many tags carry those digests as there are unknown tags with one: none is shared.
    if not shared or sum(map(shared.__contains__, digests.values())) == carrying:
        return
    unknown_tags = {t for a, b in unknown for t in tags[a:b]}
    known = {
        d for t, d in digests.items() if d in shared and t not in unknown_tags and t not in alias_of
    }
    for a, b in unknown:
        for i in range(a, b):
            tag = tags[i]
            if tag not in alias_of and get(tag) in known:
                alias_of[tag] = p = policy.alias(tag)
                keys[i] = p.key


#: Categories whose version and date fall along the order (a cutoff keeps a prefix).
_MONOTONE: Final = frozenset({"release", "candidate", "weekly", "daily"})
