"""The step between legacy 0.1 (seed 002, as found in the wild) and 1.0, both ways.

Upgrade moves every 0.1 key to its 1.0 place:

========================  ==========================================
0.1                       1.0
========================  ==========================================
``requirements.txt``      ``files["requirements.txt"]``
``environment.yaml``      ``files["environment.yaml"]`` (name kept)
``environment.yml``       ``files["environment.yml"]``
``setup.sh``              ``files["postBuild"]`` (same role: runs last)
``container``             ``image.ref`` (+ ``image.digest`` after ``@``)
``cloud`` (one object)    ``cloud[0]`` (``env_name``/``Env_name`` ->
                          ``name``, ``cloud_ver``/``Cloud_ver`` -> ``version``)
``git.path``              ``git.url``
``git["commit id"]``      ``git.commit``
anything else             ``extensions["envspec.legacy"]``
========================  ==========================================

Nothing is dropped: what has no place in 1.0 (an unknown key, a cloud block
without a name, a git block without a commit) is kept under
``extensions["envspec.legacy"]``, together with the original spellings and
value types, so that a downgrade gives the original document back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from envspec.migrations import MigrationError, StepOutput

__all__ = ["LEGACY_EXTENSION", "downgrade", "upgrade"]

#: The extension that carries what 1.0 has no field for.
LEGACY_EXTENSION = "envspec.legacy"

_V1_ONLY = {"files", "python", "kernel", "image", "env", "hardware", "provenance", "extensions"}
_TEXT_KEYS = ("requirements.txt", "environment.yaml", "environment.yml")
_CLOUD_NAMES = ("env_name", "Env_name")
_CLOUD_VERSIONS = ("cloud_ver", "Cloud_ver")
_CLOUD_KNOWN = {*_CLOUD_NAMES, *_CLOUD_VERSIONS, "handler_url", "metadata"}
_GIT_KNOWN = {"path", "commit id"}


def _one_of(block: Mapping[str, Any], names: tuple[str, ...], what: str) -> tuple[str | None, Any]:
    present = [(n, block[n]) for n in names if n in block and block[n] is not None]
    if len({repr(v) for _, v in present}) > 1:
        spelled = " and ".join(repr(n) for n, _ in present)
        raise MigrationError(
            "migration-conflict",
            f"the cloud block gives two different {what}s ({spelled})",
            (f"keep one of {spelled}",),
        )
    return present[0] if present else (None, None)


def upgrade(document: Mapping[str, Any]) -> StepOutput:
    """0.1 -> 1.0."""
    from envspec.vocabulary import FILES

    mixed = sorted(k for k in document if k in _V1_ONLY)
    if mixed:
        raise MigrationError(
            "migration-conflict",
            f"the 0.1 document also has 1.0 fields ({', '.join(mixed)})",
            ("move everything to one version by hand: either the 0.1 keys or the 1.0 fields",),
        )
    out: dict[str, Any] = {"env_ver": "1.0"}
    files: dict[str, str] = {}
    notes: list[str] = []
    kept: dict[str, Any] = {}
    legacy: dict[str, Any] = {}
    top_level_files: list[str] = []

    for key in _TEXT_KEYS:
        if key in document:
            if isinstance(document[key], str):
                files[key] = document[key]
            else:
                kept[key] = document[key]
                notes.append(f"{key!r} is not text; kept under extensions/{LEGACY_EXTENSION}")
    if "setup.sh" in document:
        if isinstance(document["setup.sh"], str):
            files["postBuild"] = document["setup.sh"]
            notes.append("'setup.sh' is now files/postBuild (the setup script that runs last)")
        else:
            kept["setup.sh"] = document["setup.sh"]
    container = document.get("container")
    if isinstance(container, str) and container:
        ref, _, digest = container.partition("@")
        out["image"] = {"ref": ref, "digest": digest} if digest else {"ref": ref}
        notes.append(
            "'container' is now image" + (" (digest split into image.digest)" if digest else "")
        )
    elif "container" in document:
        kept["container"] = container
    if "cloud" in document:
        target = _cloud_up(document["cloud"], kept, legacy)
        if target is not None:
            out["cloud"] = [target]
            notes.append("'cloud' is now a list of targets: cloud[0]")
    if "git" in document:
        git = _git_up(document["git"], kept)
        if git is not None:
            out["git"] = git
            notes.append("git.path is now git.url and git['commit id'] is git.commit")
    for key, value in document.items():
        if key in {"env_ver", *_TEXT_KEYS, "setup.sh", "container", "cloud", "git"}:
            continue
        if key in FILES and isinstance(value, str) and key not in files:
            files[key] = value
            top_level_files.append(key)
            notes.append(f"{key!r} is now files/{key}")
        else:
            kept[key] = value
            notes.append(f"{key!r} has no place in 1.0; kept under extensions/{LEGACY_EXTENSION}")
    if files:
        out["files"] = files
    out["provenance"] = {"migrated_from": "0.1"}
    if kept:
        legacy["kept"] = kept
    if top_level_files:
        legacy["top_level_files"] = top_level_files
    if legacy:
        out["extensions"] = {LEGACY_EXTENSION: legacy}
    return StepOutput(_ordered(out), tuple(notes))


def _cloud_up(cloud: object, kept: dict[str, Any], legacy: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(cloud, dict):
        kept["cloud"] = cloud
        return None
    name_key, name = _one_of(cloud, _CLOUD_NAMES, "name")
    version_key, version = _one_of(cloud, _CLOUD_VERSIONS, "version")
    handler = cloud.get("handler_url")
    if not (isinstance(name, str) and name and isinstance(handler, str) and handler):
        kept["cloud"] = cloud  # 1.0 needs a name and a handler URL: keep the block as it was
        return None
    target: dict[str, Any] = {"name": name, "handler_url": handler}
    spelling: dict[str, str] = {}
    if name_key != "env_name":
        spelling["name"] = str(name_key)
    if version is not None:
        if isinstance(version, str):
            target["version"] = version
        else:
            target["version"] = _version_text(version)
            legacy["cloud_ver"] = version  # the original number or list, for the way back
        if version_key != "cloud_ver":
            spelling["version"] = str(version_key)
    if "metadata" in cloud:
        if isinstance(cloud["metadata"], dict):
            target["metadata"] = cloud["metadata"]
        else:
            kept["cloud.metadata"] = cloud["metadata"]
    for key, value in cloud.items():
        if key not in _CLOUD_KNOWN:
            kept[f"cloud.{key}"] = value
    if spelling:
        legacy["cloud_spelling"] = spelling
    return target


def _version_text(value: object) -> str:
    import json

    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else json.dumps(value)


def _git_up(git: object, kept: dict[str, Any]) -> dict[str, Any] | None:
    if not (
        isinstance(git, dict)
        and isinstance(git.get("path"), str)
        and git["path"]
        and isinstance(git.get("commit id"), str)
        and git["commit id"]
    ):
        kept["git"] = git  # 1.0 needs both a URL and a commit
        return None
    for key, value in git.items():
        if key not in _GIT_KNOWN:
            kept[f"git.{key}"] = value
    return {"url": git["path"], "commit": git["commit id"]}


_ORDER = (
    "env_ver",
    "files",
    "python",
    "kernel",
    "image",
    "env",
    "git",
    "cloud",
    "hardware",
    "provenance",
    "extensions",
)


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    known = {k: document[k] for k in _ORDER if k in document}
    return known | {k: v for k, v in document.items() if k not in known}


def downgrade(document: Mapping[str, Any]) -> StepOutput:
    """1.0 -> 0.1 (what does not fit is listed in ``lost``)."""
    out: dict[str, Any] = {"env_ver": "0.1"}
    lost: list[str] = []
    extensions = document.get("extensions") or {}
    legacy: dict[str, Any] = dict(extensions.get(LEGACY_EXTENSION) or {})
    kept: dict[str, Any] = dict(legacy.get("kept") or {})
    top_level_files = set(legacy.get("top_level_files") or ())
    for name, text in (document.get("files") or {}).items():
        if name in _TEXT_KEYS or name in top_level_files:
            out[name] = text
        elif name == "postBuild":
            out["setup.sh"] = text
        else:
            lost.append(f"files/{name}")
    image = document.get("image")
    if isinstance(image, dict):
        out["container"] = image["ref"] + (f"@{image['digest']}" if image.get("digest") else "")
    cloud = document.get("cloud") or []
    if cloud:
        out["cloud"] = _cloud_down(cloud[0], legacy)
        lost.extend(f"cloud/{i} ({t.get('name')!r})" for i, t in enumerate(cloud) if i)
    git = document.get("git")
    if isinstance(git, dict):
        out["git"] = {"path": git["url"], "commit id": git["commit"]}
        if git.get("subdir"):
            lost.append(f"git/subdir ({git['subdir']!r})")
    for key in ("python", "kernel", "env", "hardware"):
        if key in document:
            lost.append(f"{key} ({_short(document[key])})")
    for name in extensions:
        if name != LEGACY_EXTENSION:
            lost.append(f"extensions/{name}")
    known = {
        "env_ver",
        "files",
        "image",
        "cloud",
        "git",
        "python",
        "kernel",
        "env",
        "hardware",
        "provenance",
        "extensions",
    }
    lost.extend(f"{key} (unknown to 0.1)" for key in document if key not in known)
    for dotted, value in kept.items():
        block, _, sub = dotted.partition(".")
        if sub and isinstance(out.get(block), dict):
            out[block][sub] = value
        elif not sub:
            out[dotted] = value
    return StepOutput(out, (), tuple(lost))


def _cloud_down(target: Mapping[str, Any], legacy: Mapping[str, Any]) -> dict[str, Any]:
    spelling = legacy.get("cloud_spelling") or {}
    block: dict[str, Any] = {
        spelling.get("name", "env_name"): target["name"],
        "handler_url": target["handler_url"],
    }
    if "version" in target:
        original = legacy.get("cloud_ver")
        value = (
            original
            if original is not None and _version_text(original) == target["version"]
            else target["version"]
        )
        block[spelling.get("version", "cloud_ver")] = value
    if "metadata" in target:
        block["metadata"] = target["metadata"]
    return block


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
