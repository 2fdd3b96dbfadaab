"""Image tags: read a tag list, parse each tag with a policy, order them for a menu.

A tag list is text, one image a line: the tag, then optionally its digest
(``sha256:<64 hex>``) and nothing else; blank lines and ``#`` comments are
skipped.  Lines that are not a tag are reported with their line number (the
first :data:`MAX_LINE_DIAGNOSTICS`, then a count) and skipped.

A policy (:class:`TagPolicy`) parses one tag into a :class:`ParsedTag`.  The
order of a list (:func:`sort_tags`) is total and does not depend on the order
of the input: categories in the policy's menu order, newest first inside a
category, and the tag text as the last key.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Final, Protocol

from envspec.diagnostics import Diagnostic, diagnostic
from envspec.payloads._tagtypes import ARCHITECTURES, Category, ParsedTag, TagNote
from envspec.payloads.policies.calver import CalverPolicy
from envspec.payloads.policies.rsp import RspPolicy
from envspec.payloads.policies.rules import RulesPolicy, TagRule
from envspec.payloads.policies.semver import SemverPolicy

__all__ = [
    "ARCHITECTURES",
    "MAX_LINE_DIAGNOSTICS",
    "Category",
    "ParsedTag",
    "PolicyConfig",
    "TagList",
    "TagNote",
    "TagPolicy",
    "TagRule",
    "categorize",
    "make_policy",
    "read_tag_list",
    "sort_tags",
    "sorted_groups",
]

#: Unreadable lines of a tag list reported one by one; the rest are counted.
MAX_LINE_DIAGNOSTICS: Final = 20
#: A Docker tag (the OCI distribution grammar).
_TAG: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST: Final = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}")


class TagPolicy(Protocol):
    """What every tag policy offers."""

    @property
    def name(self) -> str: ...

    @property
    def categories(self) -> tuple[Category, ...]: ...

    def parse(self, tag: str) -> ParsedTag: ...

    def alias(self, tag: str) -> ParsedTag: ...


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Which policy reads the tags: ``rsp``, ``semver``, ``calver`` or ``rules``."""

    name: str = "rsp"
    rules: tuple[TagRule, ...] = ()
    #: ``semver``/``calver``: the text before the version (default: an optional ``v``).
    prefix: str | None = None
    #: Category order for ``rules`` (categories not named follow in rule order).
    categories: tuple[str, ...] = ()


def make_policy(config: PolicyConfig | None = None) -> TagPolicy:
    """The policy a payload's configuration names."""
    config = config or PolicyConfig()
    if config.name in _BUILT_IN and config.prefix is None:
        return _BUILT_IN[config.name]
    if config.name == "semver":
        return SemverPolicy(config.prefix)
    if config.name == "calver":
        return CalverPolicy(config.prefix)
    if config.name == "rules":
        return RulesPolicy(config.rules, config.categories)
    raise ValueError(f"unknown tag policy {config.name!r} (rsp, semver, calver or rules)")


#: One instance each: their parse caches last as long as the process (a spawner
#: refreshing a registry's tag list every few minutes parses only the new tags).
_BUILT_IN: Final[dict[str, TagPolicy]] = {
    "rsp": RspPolicy(),
    "semver": SemverPolicy(),
    "calver": CalverPolicy(),
}


@dataclass(slots=True)
class TagList:
    """A tag list as read: its tags (each once, in the order of the file), their digests
    where given, and the problems found."""

    tags: list[str] = field(default_factory=list)
    digest_of: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Whether each tag is known to be listed once (as :func:`read_tag_list` reads them).
    distinct: bool = False

    def digests(self) -> dict[str, str]:
        """Each tag's digest, where the list gives one."""
        return self.digest_of


def _show(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)


def read_tag_list(text: str, file: str = "<tags>") -> TagList:
    """Read a tag list (``tag [digest]`` a line); bad lines become diagnostics, never errors."""
    # The fast path: every line is 'TAG DIGEST', or every line is 'TAG' (a registry's
    # listing), each tag once; anything else is read line by line.
    tokens = text.split()
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if tokens and len(tokens) in (lines, 2 * lines):
        if len(tokens) == lines:
            if len(set(tokens)) == len(tokens) and _tags_ok(tokens):
                return TagList(tokens, distinct=True)
        else:
            tags = tokens[0::2]
            digests = tokens[1::2]
            digest_of = dict(zip(tags, digests, strict=True))
            if len(digest_of) == len(tags) and _tags_ok(tags) and _digests_ok(digests):
                return TagList(tags, digest_of, distinct=True)
    return _read_slowly(text, file)


_DOT_OR_DASH_FIRST: Final = re.compile(r"\n[.-]")
#: The characters of a tag, as bytes to delete (what is left must be the line breaks).
_TAG_CHARS: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"


def _tags_ok(tags: list[str]) -> bool:
    """Whether every tag is a Docker tag: ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``."""
    joined = "\n".join(tags)
    return (
        joined.isascii()
        and joined.encode("ascii").translate(None, _TAG_CHARS) == b"\n" * (len(tags) - 1)
        and joined[0] not in ".-"
        and _DOT_OR_DASH_FIRST.search(joined) is None
        and max(map(len, tags)) <= 128
    )


#: The hexadecimal digits of a digest as written in a tag list (lower case).
_HEX: Final = b"0123456789abcdef"
_PREFIX: Final = "sha256:"


def _digests_ok(digests: list[str]) -> bool:
    """Whether every digest is ``sha256:`` and 64 lower-case hexadecimal digits."""
    if len(set(map(len, digests))) != 1 or len(digests[0]) != 71:
        return False
    joined = "".join(digests)
    if not joined.isascii():
        return False
    n = len(digests)
    # Every digest starts with 'sha256:' (the characters at each offset of the 71)...
    if any(joined[i::71] != c * n for i, c in enumerate(_PREFIX)):
        return False
    # ... and the rest is hex digits: deleting them leaves 'sh:' (of 'sha256:') each.
    return joined.encode("ascii").translate(None, _HEX) == b"sh:" * n


def _read_slowly(text: str, file: str) -> TagList:
    result = TagList(distinct=True)
    seen: set[str] = set()
    bad = 0
    tag_match = _TAG.fullmatch
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        parts = line.split()
        tag = parts[0]
        problem = None
        if len(parts) > 2:
            problem = f"line {number}: expected 'TAG [DIGEST]', got {len(parts)} fields"
        elif tag_match(tag) is None:
            problem = f"line {number}: {_show(tag)} is not an image tag"
        elif len(parts) == 2 and _DIGEST.fullmatch(parts[1]) is None:
            problem = f"line {number}: {_show(parts[1])} is not a digest (sha256:<64 hex>)"
        if problem is not None:
            bad += 1
            if bad <= MAX_LINE_DIAGNOSTICS:
                result.diagnostics.append(
                    diagnostic("tag-list-invalid", problem, file, line=number)
                )
            continue
        if tag in seen:
            continue
        seen.add(tag)
        result.tags.append(tag)
        if len(parts) == 2:
            result.digest_of[tag] = parts[1].lower()
    if bad > MAX_LINE_DIAGNOSTICS:
        result.diagnostics.append(
            diagnostic(
                "tag-list-invalid",
                f"{bad - MAX_LINE_DIAGNOSTICS} more lines are not 'TAG [DIGEST]' "
                f"({bad} in all; only the first {MAX_LINE_DIAGNOSTICS} are shown)",
                file,
            )
        )
    return result


def categorize(
    policy: TagPolicy,
    tags: Iterable[str],
    *,
    aliases: Iterable[str] = (),
    digests: dict[str, str] | None = None,
) -> list[ParsedTag]:
    """Parse each tag; configured aliases, and unknown tags sharing a digest with a
    known tag, are aliases."""
    tags = tags if isinstance(tags, list) else list(tags)
    parse_all = getattr(policy, "parse_all", None)
    parsed: list[ParsedTag] = (
        parse_all(tags) if parse_all is not None else list(map(policy.parse, tags))
    )
    make_alias = policy.alias
    for name in set(aliases):
        try:
            index = tags.index(name)
        except ValueError:
            continue
        parsed[index] = make_alias(name)
    values = digests.values() if digests else ()
    if digests and len(set(values)) < len(digests):  # some tags share a digest
        counts = Counter(values)
        shared = {digests.get(p.tag) for p in parsed if p.category == "unknown"}
        shared = {d for d in shared if d is not None and counts[d] > 1}
        if shared:
            known = {
                digests[p.tag]
                for p in parsed
                if p.category not in ("unknown", "alias") and digests.get(p.tag) in shared
            }
            parsed = [
                make_alias(p.tag) if p.category == "unknown" and digests.get(p.tag) in known else p
                for p in parsed
            ]
    return parsed


def sort_tags(policy: TagPolicy, parsed: Iterable[ParsedTag]) -> list[ParsedTag]:
    """Menu order: categories in the policy's order, newest first inside each, total."""
    result: list[ParsedTag] = []
    for bucket in sorted_groups(policy, parsed).values():
        result += bucket
    return result


def sorted_groups(policy: TagPolicy, parsed: Iterable[ParsedTag]) -> dict[str, list[ParsedTag]]:
    """The tags of each category, newest first, categories in the policy's order (then
    any other category, by name)."""
    if getattr(policy, "ranked_keys", False):
        # One sort of the whole list (the keys start with the category's rank).
        ordered = sorted(parsed, key=_key, reverse=True)
        return {name: list(group) for name, group in groupby(ordered, _category)}
    groups: dict[str, list[ParsedTag]] = {c.name: [] for c in policy.categories}
    for p in parsed:
        bucket = groups.get(p.category)
        if bucket is None:
            bucket = groups[p.category] = []
        bucket.append(p)
    names = [c.name for c in policy.categories]
    names += sorted(set(groups) - set(names))
    result: dict[str, list[ParsedTag]] = {}
    for name in names:
        bucket = groups[name]
        if bucket:
            bucket.sort(key=_key, reverse=True)
            result[name] = bucket
    return result


_category: Final = operator.itemgetter(1)  # ParsedTag.category
_key: Final = operator.itemgetter(12)  # ParsedTag.key
