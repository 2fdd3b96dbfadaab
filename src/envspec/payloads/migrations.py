"""Migrations between ``payload_ver`` versions, with the environment's machinery.

There is one version today (1.0): the registry holds it, so that the next version adds its
models and schema, one :class:`~envspec.migrations.Step` each way, and registers them here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from envspec.migrations import MigrationError, MigrationResult, Registry

__all__ = ["LATEST_PAYLOAD_VER", "PAYLOAD_REGISTRY", "migrate_payload", "parse_payload_ver"]

#: The newest ``payload_ver`` this library writes.
LATEST_PAYLOAD_VER = "1.0"

_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def _default_registry() -> Registry:
    # Each later version: registry.register(Step("1.0", "1.1", v1_0_v1_1.upgrade)) and back.
    return Registry([LATEST_PAYLOAD_VER])


#: The payload migrations of this library.
PAYLOAD_REGISTRY: Registry = _default_registry()


def parse_payload_ver(raw: object) -> tuple[int, int] | None:
    """``(major, minor)`` of a ``payload_ver`` string, or ``None`` when it is not one."""
    if not isinstance(raw, str):
        return None
    match = _VERSION.fullmatch(raw)
    return (int(match[1]), int(match[2])) if match else None


def migrate_payload(
    document: Mapping[str, Any],
    to: str = LATEST_PAYLOAD_VER,
    *,
    allow_lossy: bool = False,
    registry: Registry | None = None,
) -> MigrationResult:
    """Migrate a payload or deployment document to ``payload_ver`` *to*.

    Pure: the input is not modified.  Raises :class:`~envspec.migrations.MigrationError`
    (code ``payload-version-unknown``) for a version the registry does not know, and
    (``migration-lossy``) for a lossy route unless *allow_lossy*.
    """
    registry = registry or PAYLOAD_REGISTRY
    raw = document.get("payload_ver")
    if parse_payload_ver(raw) is None or raw not in registry.versions:
        known = ", ".join(registry.versions)
        raise MigrationError(
            "payload-version-unknown", f"payload_ver {raw!r} is not supported (known: {known})"
        )
    source = str(raw)
    if to not in registry.versions:
        raise MigrationError("payload-version-unknown", f"payload_ver {to!r} is not supported")
    try:
        steps = registry.route(source, to)
    except MigrationError as exc:
        raise MigrationError("payload-version-unknown", exc.message) from None
    current: dict[str, Any] = copy.deepcopy(dict(document))
    notes: list[str] = []
    lost: list[str] = []
    path = [source]
    for step in steps:
        out = step.run(current)
        current = dict(out.document)
        current["payload_ver"] = step.target
        notes.extend(out.notes)
        lost.extend(out.lost)
        path.append(step.target)
    if lost and not allow_lossy:
        raise MigrationError("migration-lossy", f"migrating to {to} would lose data", tuple(lost))
    return MigrationResult(current, source, to, tuple(path), tuple(notes), tuple(lost))
