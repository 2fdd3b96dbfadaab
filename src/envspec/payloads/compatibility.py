"""Which image launches for a requested tag, given the lab interface a spawner supports.

An image declares the lab interface version it implements (``"1.2"``: how the
spawner starts it, which variables and mounts it expects).  A spawner supports
a range of interface versions, both ends included; an end written with fewer
parts covers every version it prefixes (``max: "2"`` covers ``2.7``).

A maintenance rebuild names the tag it rebuilds.  For a requested tag the
spawner considers the tag's rebuilds (and their rebuilds), newest first, then
the tag itself, and launches the first whose interface it supports: a rebuild
is preferred whenever it can run.  When none can, it refuses with
``lab-interface-too-new`` or ``lab-interface-too-old``.  An image that declares
no interface is taken as the payload's default interface, and launches when
that is unknown too (images older than the declaration).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from envspec.diagnostics import Diagnostic, diagnostic

__all__ = [
    "ImageCompat",
    "InterfaceRange",
    "LaunchDecision",
    "choose_image",
    "parse_interface",
    "rebuild_links",
]


def parse_interface(text: str) -> tuple[int, ...]:
    """``"1.2"`` -> ``(1, 2)``."""
    parts = str(text).strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not an interface version (MAJOR.MINOR)")
    return tuple(int(p) for p in parts)


@dataclass(frozen=True, slots=True)
class InterfaceRange:
    """The lab interface versions a spawner supports (both ends included)."""

    min: str
    max: str

    @classmethod
    def parse(cls, text: str) -> InterfaceRange:
        """``"1.0..2"`` (or one version: exactly that one)."""
        low, sep, high = text.partition("..")
        if not sep:
            high = low
        parse_interface(low)
        parse_interface(high)
        return cls(low.strip(), high.strip())

    def compare(self, version: str) -> Literal[-1, 0, 1]:
        """-1 when *version* is older than the range, 1 when newer, 0 inside."""
        v = parse_interface(version)
        low, high = parse_interface(self.min), parse_interface(self.max)
        if v[: len(low)] < low:
            return -1
        if v[: len(high)] > high:
            return 1
        return 0


@dataclass(frozen=True, slots=True)
class ImageCompat:
    """What an image declares: its interface version and the tag it rebuilds."""

    tag: str
    interface: str | None = None
    rebuild_of: str | None = None


@dataclass(slots=True)
class LaunchDecision:
    """The answer for one requested tag."""

    requested: str
    #: The tag that launches, or None when the spawner refuses.
    launch: str | None
    #: True when *launch* is a rebuild of the requested tag.
    rebuild: bool
    #: Every tag considered, in order of preference, with its interface and verdict.
    considered: list[tuple[str, str | None, str]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "requested": self.requested,
            "launch": self.launch,
            "rebuild": self.rebuild,
            "considered": [{"tag": t, "interface": i, "verdict": v} for t, i, v in self.considered],
        }


def _rebuilds(
    tag: str, images: Mapping[str, ImageCompat], newest_first: Callable[[list[str]], list[str]]
) -> list[str]:
    children: dict[str, list[str]] = {}
    for image in images.values():
        if image.rebuild_of is not None and image.rebuild_of != image.tag:
            children.setdefault(image.rebuild_of, []).append(image.tag)
    generations: list[list[str]] = []
    seen = {tag}
    frontier = [tag]
    while frontier:
        nxt = [c for parent in frontier for c in children.get(parent, []) if c not in seen]
        seen.update(nxt)
        if nxt:
            generations.append(newest_first(nxt))
        frontier = nxt
    # A rebuild of a rebuild is newer than what it rebuilds.
    return [t for generation in reversed(generations) for t in generation]


def choose_image(
    requested: str,
    images: Mapping[str, ImageCompat],
    supported: InterfaceRange,
    *,
    default_interface: str | None = None,
    newest_first: Callable[[list[str]], list[str]] | None = None,
    file: str = "<payload>",
) -> LaunchDecision:
    """The image that launches for *requested*: its newest supported rebuild, or itself."""
    order = newest_first or (lambda tags: sorted(tags, reverse=True))
    candidates = [*_rebuilds(requested, images, order), requested]
    decision = LaunchDecision(requested, None, False)
    verdicts: list[int] = []
    for tag in candidates:
        image = images.get(tag)
        interface = image.interface if image and image.interface else default_interface
        verdict = 0 if interface is None else supported.compare(interface)
        verdicts.append(verdict)
        word = {-1: "too old", 0: "supported", 1: "too new"}[verdict]
        decision.considered.append((tag, interface, word))
        if verdict == 0 and decision.launch is None:
            decision.launch = tag
            decision.rebuild = tag != requested
    if decision.launch is None:
        newer = verdicts[-1] > 0 if verdicts else False
        code: Literal["lab-interface-too-new", "lab-interface-too-old"] = (
            "lab-interface-too-new" if newer else "lab-interface-too-old"
        )
        interface = decision.considered[-1][1]
        tried = ", ".join(f"{t} ({i})" for t, i, _ in decision.considered)
        decision.diagnostics.append(
            diagnostic(
                code,
                f"{requested!r} implements lab interface {interface}, and the spawner supports "
                f"{supported.min} to {supported.max}; no rebuild of it does either "
                f"(considered: {tried})",
                file,
            )
        )
    return decision


def rebuild_links(images: Sequence[ImageCompat]) -> dict[str, ImageCompat]:
    """The images by tag."""
    return {i.tag: i for i in images}
