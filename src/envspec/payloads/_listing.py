"""A categorised, ordered tag list as a menu reads it: tags, not parsed objects.

A :class:`Listing` holds, per category (in menu order, newest first), the tags and
whether each is an architecture variant.  Anything else a menu needs of a tag (its
display name, version, date, build) comes from :meth:`Listing.parse`, asked only for
the few tags a menu shows or a filter probes: building a :class:`ParsedTag` for each of
10^5 tags would cost more than everything else together.

:func:`generic_listing` builds one from parsed tags (any policy);
:mod:`envspec.payloads.policies.rsp_bulk` builds one for the RSP policy straight from
the text of the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from envspec.payloads._tagtypes import ParsedTag

__all__ = ["Listing", "generic_listing"]


@dataclass(slots=True)
class Listing:
    """Tags by category, newest first, categories in menu order (only non-empty ones)."""

    #: Category -> its tags, newest first.
    groups: dict[str, list[str]]
    #: Category -> each tag's architecture ("" for none), in the same order.
    archs: dict[str, list[str]]
    #: A listed tag's whole reading (an alias reads as an alias).
    parse: Callable[[str], ParsedTag]
    #: Tags known to have no version, date or build (a filter passes them without a parse).
    plain: frozenset[str] | set[str] = field(default_factory=frozenset)
    #: Categories whose versions and dates never increase along the order (so a version or
    #: date cutoff keeps a prefix of the category).
    monotone: frozenset[str] = frozenset()

    def order(self) -> list[str]:
        """Every tag, in menu order."""
        result: list[str] = []
        for bucket in self.groups.values():
            result += bucket
        return result


def generic_listing(groups: dict[str, list[ParsedTag]], parsed: Iterable[ParsedTag]) -> Listing:
    """A listing of already parsed and ordered tags (``sorted_groups``'s result)."""
    by_tag = {p.tag: p for p in parsed}
    return Listing(
        groups={name: [p.tag for p in bucket] for name, bucket in groups.items()},
        archs={name: [p.arch or "" for p in bucket] for name, bucket in groups.items()},
        parse=by_tag.__getitem__,
    )
