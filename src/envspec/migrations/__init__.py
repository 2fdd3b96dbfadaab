"""Migrations between ``env_ver`` versions: one small pure step per adjacent pair, chained.

A :class:`Step` turns a document of one version into a document of the next
(or previous) version and says what it did.  :class:`Registry` holds the
versions in order and the steps between neighbours; :func:`migrate` walks
from the document's version to the target one step at a time.

Adding a version (say 1.1) means: add its models and schema, write one
``Step`` from 1.0 to 1.1 (and back, if a downgrade makes sense), register
both, and add conformance cases.  ``docs/migration.md`` walks through it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from envspec.versions import LATEST, SUPPORTED, classify, parse_env_ver

__all__ = [
    "REGISTRY",
    "MigrationError",
    "MigrationResult",
    "Registry",
    "Step",
    "StepOutput",
    "migrate",
]


class MigrationError(ValueError):
    """A document cannot be migrated; ``code`` is a diagnostic code and ``problems`` lists why."""

    def __init__(self, code: str, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.problems = problems


@dataclass(frozen=True, slots=True)
class StepOutput:
    """What a step returns: the new document, what it changed, and what did not fit."""

    document: dict[str, Any]
    #: One line per change a user should know about (renames, moves).
    notes: tuple[str, ...] = ()
    #: What has no place in the target version (non-empty means the step is lossy).
    lost: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """A pure function from a document of ``source`` to a document of ``target``."""

    source: str
    target: str
    run: Callable[[Mapping[str, Any]], StepOutput]


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """The migrated document and the story of how it got there."""

    document: dict[str, Any]
    source: str
    target: str
    #: The versions visited, source first.
    path: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: What was dropped (only with ``allow_lossy``).
    lost: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the version changed (the document may still be equal in content)."""
        return self.source != self.target


@dataclass
class Registry:
    """Versions in order, and the steps between neighbours."""

    versions: list[str] = field(default_factory=list)
    steps: dict[tuple[str, str], Step] = field(default_factory=dict)

    def register(self, step: Step) -> None:
        """Add a step between two neighbouring versions (adding unknown versions in order)."""
        versions = list(self.versions)
        for version in (step.source, step.target):
            if version not in versions:
                versions.append(version)
                versions.sort(key=lambda v: tuple(int(p) for p in v.split(".")))
        a, b = versions.index(step.source), versions.index(step.target)
        if abs(a - b) != 1:
            raise ValueError(
                f"a step must join neighbouring versions, not {step.source} and {step.target}"
            )
        self.versions[:] = versions  # only once the step is known to fit
        self.steps[(step.source, step.target)] = step

    def copy(self) -> Registry:
        """An independent registry with the same versions and steps."""
        return Registry(list(self.versions), dict(self.steps))

    def route(self, source: str, target: str) -> list[Step]:
        """The steps from *source* to *target*, one neighbour at a time."""
        for version in (source, target):
            if version not in self.versions:
                known = ", ".join(self.versions)
                raise MigrationError(
                    "env-version-unsupported",
                    f"env_ver {version!r} is not supported (known: {known})",
                )
        a, b = self.versions.index(source), self.versions.index(target)
        direction = 1 if b >= a else -1
        route: list[Step] = []
        for i in range(a, b, direction):
            key = (self.versions[i], self.versions[i + direction])
            if key not in self.steps:
                raise MigrationError(
                    "env-version-unsupported", f"no migration from {key[0]} to {key[1]}"
                )
            route.append(self.steps[key])
        return route


def _default_registry() -> Registry:
    from envspec.migrations import v0_1_v1_0, v1_0_v1_1

    registry = Registry(list(SUPPORTED))
    registry.register(Step("0.1", "1.0", v0_1_v1_0.upgrade))
    registry.register(Step("1.0", "0.1", v0_1_v1_0.downgrade))
    registry.register(Step("1.0", "1.1", v1_0_v1_1.upgrade))
    registry.register(Step("1.1", "1.0", v1_0_v1_1.downgrade))
    return registry


#: The migrations of this library.
REGISTRY: Registry = _default_registry()


def source_version(document: Mapping[str, Any], registry: Registry | None = None) -> str:
    """The version a document is read as (a newer 1.x minor is read as the newest known 1.x).

    :raises MigrationError: no ``env_ver``, a malformed one, or an unknown major.
    """
    registry = registry or REGISTRY
    if "env_ver" not in document:
        raise MigrationError(
            "env-version-missing",
            "'env_ver' is missing",
            ('add "env_ver": "0.1" if this is the legacy format',),
        )
    raw = document["env_ver"]
    version = parse_env_ver(raw)
    if version is None:
        raise MigrationError("env-version-invalid", f"{raw!r} is not a 'MAJOR.MINOR' string")
    if str(version) in registry.versions:
        return str(version)
    status, reader = classify(version)
    if status == "newer-minor" and reader in registry.versions:
        raise MigrationError(
            "env-version-newer",
            f"env_ver {raw!r} is newer than this tool ({registry.versions[-1]}); "
            "migrating it would drop what this tool does not know",
        )
    raise MigrationError(
        "env-version-unsupported",
        f"env_ver {raw!r} is not supported (known: {', '.join(registry.versions)})",
    )


def migrate(
    document: Mapping[str, Any],
    to: str = LATEST,
    *,
    allow_lossy: bool = False,
    registry: Registry | None = None,
) -> MigrationResult:
    """Migrate *document* (any supported version) to version *to*.

    Pure: the input is not modified.  A lossy route raises
    :class:`MigrationError` (code ``migration-lossy``) listing what would be
    lost, unless *allow_lossy*.
    """
    registry = registry or REGISTRY
    source = source_version(document, registry)
    steps = registry.route(source, to)
    current: dict[str, Any] = copy.deepcopy(dict(document))  # the result shares nothing
    notes: list[str] = []
    lost: list[str] = []
    for step in steps:
        out = step.run(current)
        current = out.document
        notes.extend(out.notes)
        lost.extend(out.lost)
    if lost and not allow_lossy:
        raise MigrationError(
            "migration-lossy",
            f"migrating {source} to {to} would lose {len(lost)} item(s)",
            tuple(lost),
        )
    if len(steps) > 1 and to != "0.1" and isinstance(current.get("provenance"), dict):
        # Each step records the version it read; the document was migrated from *source*.
        current["provenance"] = {**current["provenance"], "migrated_from": source}
    path = (source, *(s.target for s in steps))
    return MigrationResult(current, source, to, path, tuple(notes), tuple(lost))
