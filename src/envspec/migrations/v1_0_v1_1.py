"""The step between 1.0 and 1.1, both ways.

1.1 only adds the embedded file name ``pixi.lock`` (``spec/1.1.md``), so:

- upgrade (1.0 -> 1.1) changes ``env_ver`` and records ``provenance.migrated_from``;
  nothing else moves;
- downgrade (1.1 -> 1.0) changes ``env_ver`` back and records where the document came
  from; an embedded ``pixi.lock`` has no place in 1.0, so it is listed in ``lost`` (the
  downgrade is refused unless the user accepts the loss), together with envspec's own
  record of it in ``extensions["envspec.lock"]``.  Members and file names that neither
  version defines are kept, as readers keep them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envspec.migrations import StepOutput
from envspec.vocabulary import FILES, FILES_1_1, MEMBERS

__all__ = ["downgrade", "upgrade"]

_LOCK_EXTENSION = "envspec.lock"


def _with_provenance(document: Mapping[str, Any], env_ver: str, source: str) -> dict[str, Any]:
    out = dict(document)
    out["env_ver"] = env_ver
    provenance = out.get("provenance")
    provenance = dict(provenance) if isinstance(provenance, dict) else {}
    provenance["migrated_from"] = source
    out["provenance"] = provenance
    known = [m for m in MEMBERS if m in out]
    return {**{m: out[m] for m in known}, **{k: v for k, v in out.items() if k not in known}}


def upgrade(document: Mapping[str, Any]) -> StepOutput:
    """1.0 -> 1.1."""
    return StepOutput(_with_provenance(document, "1.1", "1.0"), ("env_ver 1.0 is now 1.1",))


def downgrade(document: Mapping[str, Any]) -> StepOutput:
    """1.1 -> 1.0 (an embedded ``pixi.lock`` is listed in ``lost``)."""
    out = _with_provenance(document, "1.0", "1.1")
    lost: list[str] = []
    files = out.get("files")
    if isinstance(files, dict):
        only_1_1 = [n for n in files if n in FILES_1_1 and n not in FILES]
        if only_1_1:
            lost += [f"files/{n} (no such file name in 1.0)" for n in only_1_1]
            kept = {k: v for k, v in files.items() if k not in only_1_1}
            if kept:
                out["files"] = kept
            else:
                del out["files"]
            out = _drop_lock_records(out, only_1_1)
    return StepOutput(out, ("env_ver 1.1 is now 1.0",), tuple(lost))


def _drop_lock_records(document: dict[str, Any], names: list[str]) -> dict[str, Any]:
    # envspec's own record of a lock that is dropped goes with it (the record of a lock
    # that no longer exists would only mislead `envspec lock --check`).
    extensions = document.get("extensions")
    if not isinstance(extensions, dict) or not isinstance(extensions.get(_LOCK_EXTENSION), dict):
        return document
    records = {k: v for k, v in extensions[_LOCK_EXTENSION].items() if k not in names}
    rest = {k: v for k, v in extensions.items() if k != _LOCK_EXTENSION}
    if records:
        rest[_LOCK_EXTENSION] = records
    out = dict(document)
    if rest:
        out["extensions"] = {k: rest[k] for k in extensions if k in rest}
    else:
        del out["extensions"]
    return out
