"""The RSP tag policy: the grammar of the Rubin Science Platform's image tags.

Categories, in menu order: alias, release (``r22_0_1``), weekly (``w_2021_13``),
daily (``d_2021_05_13``), candidate (``r23_0_0_rc1``), experimental (``exp_...``)
and unknown.  After the version come, in this order only, an optional cycle
``_c0020.001``, an RSP build ``_rsp19``, any extra text ``_...`` and an
architecture ``-amd64``.  Display names follow the platform's own: ``Release
r22.0.1``, ``Weekly 2021_13 (SAL Cycle 0020, Build 001) (RSP Build 19)``, digits of
weeks, days and cycles as written.

Where the grammar is a trap the parse carries a note (a registered warning code):
a cycle written after the RSP build is read as extra text, and any trailing
``-word`` is read as an architecture.
"""

from __future__ import annotations

import datetime
import gc
import re
from collections.abc import Callable, Iterable
from typing import Final

from envspec.payloads._tagtypes import ARCHITECTURES, Category, ParsedTag, TagNote

__all__ = ["CATEGORIES", "RspPolicy"]

CATEGORIES: Final = (
    Category("alias", "Alias"),
    Category("release", "Release", semantic=True, bot=True),
    Category("weekly", "Weekly", bot=True),
    Category("daily", "Daily", bot=True),
    Category("candidate", "Release Candidate", semantic=True),
    Category("experimental", "Experimental"),
    Category("unknown", "Unknown"),
)

_SUFFIX = (
    r"(?:_c(?P<cycle>\d+)\.(?P<cbuild>\d+))?"
    r"(?:_rsp(?P<build>\d+))?"
    r"(?:_(?P<rest>.+?))?"
    r"(?:-(?P<arch>[a-z0-9]+))?"
)
_FLAGS = re.DOTALL
_CANDIDATE = re.compile(r"r(?P<a>\d+)_(?P<b>\d+)_(?P<c>\d+)_rc(?P<d>\d+)" + _SUFFIX, _FLAGS)
_RELEASE = re.compile(r"r(?P<a>\d+)_(?P<b>\d+)_(?P<c>\d+)" + _SUFFIX, _FLAGS)
_OLD_RELEASE = re.compile(r"r(?P<a>\d\d)(?P<b>\d)")
_WEEKLY = re.compile(r"w_(?P<a>\d+)_(?P<b>\d+)" + _SUFFIX, _FLAGS)
_DAILY = re.compile(r"d_(?P<a>\d+)_(?P<b>\d+)_(?P<c>\d+)" + _SUFFIX, _FLAGS)
_UNKNOWN_CYCLE = re.compile(r"(?P<base>.*?)_c(?P<cycle>\d+)(?:-(?P<arch>[a-z0-9]+))?", re.DOTALL)
_UNKNOWN = re.compile(r"(?P<base>.*?)(?:-(?P<arch>[a-z0-9]+))?", re.DOTALL)
_CYCLE_IN_EXTRA = re.compile(r"c\d+(?:\.\d+)?(?:_|$)")
#: The first character of every sort key: the category's rank, so that sorting all tags
#: by their keys, newest first, also puts the categories in menu order.
_RANK: Final = {c.name: chr(ord("z") - i) for i, c in enumerate(CATEGORIES)}
#: Parsed tags kept per policy (a tag's reading never changes).
CACHE_SIZE: Final = 1 << 19
_NO_ARCH = "~"  # sorts after every architecture name: the generic image first, newest first


#: A suffix as read: its display text, cycle, cycle build and RSP build as numbers, extra
#: text, architecture, the sort key's part from the cycle to the tag (exclusive) and
#: whether the tag needs notes.
_Tail = tuple[str, int | None, int | None, int | None, str | None, str | None, str, bool]
_SUFFIX_GROUPS: Final = ("cycle", "cbuild", "build", "rest", "arch")


class _Tails(dict[tuple[str | None, ...], _Tail]):
    """Suffixes by their groups, read once: tags share few suffixes.  At most 2^14 kept."""

    def __missing__(self, groups: tuple[str | None, ...]) -> _Tail:
        if len(self) >= 1 << 14:
            self.clear()
        cycle, cbuild, build, rest, arch = groups
        text = ""
        if cycle is not None:
            text = f" (SAL Cycle {cycle}, Build {cbuild})"
        if build is not None:
            text += f" (RSP Build {build})"
        if rest is not None:
            text += f" [{rest}]"
        if arch is not None:
            text += f" [{arch}]"
        noted = (rest is not None and _CYCLE_IN_EXTRA.match(rest) is not None) or (
            arch is not None and arch not in ARCHITECTURES
        )
        tail = self[groups] = (
            text,
            None if cycle is None else int(cycle),
            None if cbuild is None else int(cbuild),
            None if build is None else int(build),
            rest,
            arch,
            f"\0{_num(cycle)}{_num(cbuild)}{_num(build)}{rest or ''}\0{arch or _NO_ARCH}\0",
            noted,
        )
        return tail


_tails: Final = _Tails()


def _notes(tag: str, rest: str | None, arch: str | None) -> tuple[TagNote, ...]:
    notes: tuple[TagNote, ...] = ()
    if rest is not None and _CYCLE_IN_EXTRA.match(rest):
        notes += (
            TagNote(
                "tag-cycle-as-extra",
                f"{tag!r}: '_{rest.split('_')[0]}' looks like a cycle, but a cycle is read only "
                "as '_cNNNN.NNN' right after the version (before '_rspNN'): here it is extra text",
            ),
        )
    if arch is not None and arch not in ARCHITECTURES:
        notes += (
            TagNote(
                "tag-arch-unknown",
                f"{tag!r}: the trailing '-{arch}' is read as an architecture, and {arch!r} is "
                "not one",
            ),
        )
    return notes


class _Numbers(dict[object, str]):
    """An order-preserving text form of whole numbers (None lowest): the length of the
    digits first, then the digits.  Memoized: tags repeat the same few numbers."""

    def __missing__(self, n: object) -> str:
        digits = "0" if n is None else str(int(n) + 1)  # type: ignore[call-overload]
        text = self[n] = chr(0x21 + len(digits)) + digits
        return text


_num: Final = _Numbers().__getitem__
#: The end of the sort key of a tag with no cycle, build, extra text or architecture.
_PLAIN_TAIL: Final = f"\0{_num(None)}{_num(None)}{_num(None)}\0{_NO_ARCH}\0"
_NONE: Final = _num(-1)  # a version part the tag does not have
_ZERO_NONE: Final = _num(0) + _NONE
_WEEKLY_FLAG: Final = _RANK["weekly"] + "0"
_DAILY_FLAG: Final = _RANK["daily"] + "0"
_RELEASE_FLAG: Final = _RANK["release"] + "0"
_CANDIDATE_FLAG: Final = _RANK["candidate"] + "0"
_EXPERIMENTAL_RANK: Final = _RANK["experimental"]
#: Builds a ParsedTag from all its fields without the keyword handling of its __new__.
_new: Final = tuple.__new__


def _key(
    flag: str,
    version: tuple[int, ...],
    base: str,
    cycle: str | None,
    cbuild: str | None,
    build: str | None,
    extra: str | None,
    arch: str | None,
    tag: str,
) -> str:
    """The sort key as one string (compared in C): numbers carry their length, texts end
    with NUL, which no tag contains; the parts in the order the platform compares them."""
    padded = (*version, -1, -1, -1, -1)
    return (
        f"{flag}{_num(padded[0])}{_num(padded[1])}{_num(padded[2])}{_num(padded[3])}"
        f"{base}\0{_num(cycle)}{_num(cbuild)}{_num(build)}{extra or ''}\0"
        f"{arch or _NO_ARCH}\0{tag}"
    )


class RspPolicy:
    """Parse and order RSP tags."""

    name: Final = "rsp"
    categories: Final = CATEGORIES
    #: Sort keys start with the category's rank (one sort orders a whole list).
    ranked_keys: Final = True

    def __init__(self) -> None:
        self._cache = _Cache(self._parse)

    def parse(self, tag: str) -> ParsedTag:
        """The tag's category, version, display name and sort key (never raises)."""
        return self._cache[tag]

    def parse_all(self, tags: Iterable[str]) -> list[ParsedTag]:
        """:meth:`parse` of each tag (a tag seen before costs a dictionary look-up)."""
        # The parses are tuples of strings, numbers and dates, which hold no cycles: the
        # cyclic garbage collector, run again and again over 10^5 new tuples, only costs
        # time (a quarter of a first listing), so it waits until the list is parsed.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            return list(map(self._cache.__getitem__, tags))
        finally:
            if collecting:
                gc.enable()

    def _parse(self, tag: str) -> ParsedTag:
        if not tag:
            tag = "latest"
        first = tag[0]
        parsed: ParsedTag | None = None
        if first == "r":
            parsed = self._release(tag)
        elif first == "w":
            parsed = self._weekly(tag)
        elif first == "d":
            parsed = self._daily(tag)
        elif first == "e" and tag.startswith("exp_") and len(tag) > 4:
            sub = self._parse(tag[4:])
            notes = sub.notes
            if notes:
                notes = tuple(
                    n._replace(message=n.message.replace(repr(sub.tag), repr(tag), 1))
                    for n in notes
                )
            # The sub-tag's fields from its version to its date (ParsedTag's order).
            return _new(ParsedTag, (
                tag, "experimental", "Experimental " + sub.display, *sub[3:12],
                _EXPERIMENTAL_RANK + sub.key[1 : -len(sub.tag)] + tag, notes,
            ))  # fmt: skip
        return parsed or self.unknown(tag)

    def _release(self, tag: str) -> ParsedTag | None:
        m = _CANDIDATE.fullmatch(tag) if "_rc" in tag else None
        version: tuple[int, ...]
        if m is not None:
            version = (int(m["a"]), int(m["b"]), int(m["c"]), int(m["d"]))
            text = f"{version[0]}.{version[1]}.{version[2]}-rc{m['d']}"
            suffix, cycle, cbuild, build, rest, arch, tail, noted = _tails[m.group(*_SUFFIX_GROUPS)]
            return _new(ParsedTag, (
                tag, "candidate", f"Release Candidate r{text}{suffix}", version, text, "",
                cycle, cbuild, build, rest, arch, None,
                f"{_CANDIDATE_FLAG}{_num(version[0])}{_num(version[1])}{_num(version[2])}"
                f"{_num(version[3])}{tail}{tag}",
                _notes(tag, rest, arch) if noted else (),
            ))  # fmt: skip
        m = _RELEASE.fullmatch(tag)
        if m is not None:
            version = (int(m["a"]), int(m["b"]), int(m["c"]))
            if m.lastindex == 3:  # the common shape: no cycle, build, extra text or architecture
                text = f"{version[0]}.{version[1]}.{version[2]}"
                return _new(ParsedTag, (
                    tag, "release", f"Release r{text}", version, text, "", None, None, None,
                    None, None, None,
                    f"{_RELEASE_FLAG}{_num(version[0])}{_num(version[1])}{_num(version[2])}"
                    f"{_NONE}{_PLAIN_TAIL}{tag}",
                    (),
                ))  # fmt: skip
            suffix, cycle, cbuild, build, rest, arch, tail, noted = _tails[m.group(*_SUFFIX_GROUPS)]
            text = f"{version[0]}.{version[1]}.{version[2]}"
            return _new(ParsedTag, (
                tag, "release", f"Release r{text}{suffix}", version, text, "",
                cycle, cbuild, build, rest, arch, None,
                f"{_RELEASE_FLAG}{_num(version[0])}{_num(version[1])}{_num(version[2])}{_NONE}"
                f"{tail}{tag}",
                _notes(tag, rest, arch) if noted else (),
            ))  # fmt: skip
        m = _OLD_RELEASE.fullmatch(tag) if len(tag) == 4 else None
        if m is None:
            return None
        version = (int(m["a"]), int(m["b"]), 0)  # r230: 23.0.0, no suffix
        text = f"{version[0]}.{version[1]}.0"
        return _new(ParsedTag, (
            tag, "release", f"Release r{text}", version, text, "", None, None, None, None, None,
            None,
            f"{_RELEASE_FLAG}{_num(version[0])}{_num(version[1])}{_ZERO_NONE}{_PLAIN_TAIL}{tag}",
            (),
        ))  # fmt: skip

    def _weekly(self, tag: str) -> ParsedTag | None:
        m = _WEEKLY.fullmatch(tag)
        if m is None:
            return None
        year, week = m.group("a", "b")
        try:
            date = datetime.date.fromisocalendar(int(year), int(week), 4)
        except ValueError:
            return None  # no such week: the tag is unknown
        version = (int(year), int(week), 0)
        if m.lastindex == 2:  # the common shape: no cycle, build, extra text or architecture
            return _new(ParsedTag, (
                tag, "weekly", f"Weekly {year}_{week}", version, f"{version[0]}.{version[1]}.0",
                "", None, None, None, None, None, date,
                f"{_WEEKLY_FLAG}{_num(version[0])}{_num(version[1])}{_ZERO_NONE}{_PLAIN_TAIL}{tag}",
                (),
            ))  # fmt: skip
        suffix, cycle, cbuild, build, rest, arch, tail, noted = _tails[m.group(*_SUFFIX_GROUPS)]
        return _new(ParsedTag, (
            tag, "weekly", f"Weekly {year}_{week}{suffix}", version,
            f"{version[0]}.{version[1]}.0", "", cycle, cbuild, build, rest, arch, date,
            f"{_WEEKLY_FLAG}{_num(version[0])}{_num(version[1])}{_ZERO_NONE}{tail}{tag}",
            _notes(tag, rest, arch) if noted else (),
        ))  # fmt: skip

    def _daily(self, tag: str) -> ParsedTag | None:
        m = _DAILY.fullmatch(tag)
        if m is None:
            return None
        year, month, day = m.group("a", "b", "c")
        try:
            date = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            return None
        version = (date.year, date.month, date.day)
        if m.lastindex == 3:  # the common shape: no cycle, build, extra text or architecture
            return _new(ParsedTag, (
                tag, "daily", f"Daily {year}_{month}_{day}", version,
                f"{version[0]}.{version[1]}.{version[2]}", "", None, None, None, None, None, date,
                f"{_DAILY_FLAG}{_num(version[0])}{_num(version[1])}{_num(version[2])}{_NONE}"
                f"{_PLAIN_TAIL}{tag}",
                (),
            ))  # fmt: skip
        suffix, cycle, cbuild, build, rest, arch, tail, noted = _tails[m.group(*_SUFFIX_GROUPS)]
        return _new(ParsedTag, (
            tag, "daily", f"Daily {year}_{month}_{day}{suffix}", version,
            f"{version[0]}.{version[1]}.{version[2]}", "", cycle, cbuild, build, rest, arch, date,
            f"{_DAILY_FLAG}{_num(version[0])}{_num(version[1])}{_num(version[2])}{_NONE}"
            f"{tail}{tag}",
            _notes(tag, rest, arch) if noted else (),
        ))  # fmt: skip

    def unknown(self, tag: str, category: str = "unknown") -> ParsedTag:
        """A tag of no known form: its text before ``_cNNNN`` and ``-arch`` sorts it."""
        m = _UNKNOWN_CYCLE.fullmatch(tag) or _UNKNOWN.fullmatch(tag)
        if m is None:  # pragma: no cover - the second pattern matches any text
            raise AssertionError(tag)
        base, arch = m.group("base", "arch")
        cycle = m["cycle"] if "cycle" in m.re.groupindex else None
        display = base
        if cycle is not None:
            display += f" (SAL Cycle {cycle})"
        if arch is not None:
            display += f" [{arch}]"
        return ParsedTag(
            tag, category, display, None, None, base,
            None if cycle is None else int(cycle), None, None, None, arch, None,
            _key(_RANK[category] + "1", (), base, cycle, None, None, None, arch, tag),
            _notes(tag, None, arch) if arch else (),
        )  # fmt: skip

    def alias(self, tag: str) -> ParsedTag:
        """A tag that names another image (``recommended``, ``latest_weekly_c0046``)."""
        parsed = self.unknown(tag, "alias")
        display = parsed.base.replace("_", " ").title()
        if parsed.cycle is not None:
            display += f" (SAL Cycle {tag_cycle_digits(tag)})"
        if parsed.arch is not None:
            display += f" [{parsed.arch}]"
        return parsed._replace(display=display, notes=())


class _Cache(dict[str, ParsedTag]):
    """Parsed tags by tag, parsed when first asked for (at most CACHE_SIZE kept)."""

    def __init__(self, parse: Callable[[str], ParsedTag]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, tag: str) -> ParsedTag:
        if len(self) >= CACHE_SIZE:
            self.clear()
        parsed = self[tag] = self._parse(tag)
        return parsed


def tag_cycle_digits(tag: str) -> str:
    """The cycle's digits as written in *tag* (they stay zero-padded in display names)."""
    m = _UNKNOWN_CYCLE.fullmatch(tag)
    return m["cycle"] if m else ""
