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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
    "TagEntry",
    "TagList",
    "TagNote",
    "TagPolicy",
    "TagRule",
    "categorize",
    "make_policy",
    "read_tag_list",
    "sort_tags",
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
    #: Category order for ``rules`` (categories not named follow in rule order).
    categories: tuple[str, ...] = ()


def make_policy(config: PolicyConfig | None = None) -> TagPolicy:
    """The policy a payload's configuration names."""
    config = config or PolicyConfig()
    if config.name == "rsp":
        return RspPolicy()
    if config.name == "semver":
        return SemverPolicy()
    if config.name == "calver":
        return CalverPolicy()
    if config.name == "rules":
        return RulesPolicy(config.rules, config.categories)
    raise ValueError(f"unknown tag policy {config.name!r} (rsp, semver, calver or rules)")


@dataclass(frozen=True, slots=True)
class TagEntry:
    """One line of a tag list."""

    tag: str
    digest: str | None
    line: int


@dataclass(slots=True)
class TagList:
    """A tag list as read: its entries (first occurrence of each tag) and problems."""

    entries: list[TagEntry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        """The tags, in the order of the file."""
        return [e.tag for e in self.entries]

    def digests(self) -> dict[str, str]:
        """Each tag's digest, where the list gives one."""
        return {e.tag: e.digest for e in self.entries if e.digest}


def _show(text: str, limit: int = 60) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)


def read_tag_list(text: str, file: str = "<tags>") -> TagList:
    """Read a tag list (``tag [digest]`` a line); bad lines become diagnostics, never errors."""
    result = TagList()
    seen: set[str] = set()
    bad = 0
    entries = result.entries
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
        entries.append(TagEntry(tag, parts[1].lower() if len(parts) == 2 else None, number))
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
    alias_names = set(aliases)
    parse, make_alias = policy.parse, policy.alias
    parsed = [make_alias(t) if t in alias_names else parse(t) for t in tags]
    if digests:
        known = {
            digests[p.tag]
            for p in parsed
            if p.category not in ("unknown", "alias") and p.tag in digests
        }
        parsed = [
            make_alias(p.tag)
            if p.category == "unknown" and digests.get(p.tag) in known
            else p
            for p in parsed
        ]
    return parsed


def sort_tags(policy: TagPolicy, parsed: Iterable[ParsedTag]) -> list[ParsedTag]:
    """Menu order: categories in the policy's order, newest first inside each, total."""
    groups: dict[str, list[ParsedTag]] = {c.name: [] for c in policy.categories}
    extra: dict[str, list[ParsedTag]] = {}
    for p in parsed:
        bucket = groups.get(p.category)
        if bucket is None:
            bucket = extra.setdefault(p.category, [])
        bucket.append(p)
    result: list[ParsedTag] = []
    for name in [*groups, *sorted(extra)]:
        bucket = groups.get(name) or extra.get(name) or []
        bucket.sort(key=_key, reverse=True)
        result += bucket
    return result


def _key(p: ParsedTag) -> tuple[object, ...]:
    return p.key


def group_by_category(ordered: Sequence[ParsedTag]) -> dict[str, list[ParsedTag]]:
    """Tags of each category, keeping their order."""
    groups: dict[str, list[ParsedTag]] = {}
    for p in ordered:
        groups.setdefault(p.category, []).append(p)
    return groups
