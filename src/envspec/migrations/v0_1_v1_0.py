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

Nothing is dropped and nothing is invented: what has no valid place in 1.0
(an unknown key, a cloud block without a name, a git block without a full
commit hash or an absolute URL, an invalid container reference, the second
conda file when a document has both) is kept under
``extensions["envspec.legacy"]``, together with the original spellings,
value types and member order, so that a downgrade gives the original
document back.  The extension holds:

- ``kept``: top-level 0.1 members, by their original name;
- ``cloud_kept`` / ``git_kept``: members of the ``cloud`` / ``git`` block;
- ``cloud_ver``: the original (non-string) cloud version;
- ``cloud_spelling``: ``{"name": "Env_name", "version": "Cloud_ver"}`` when
  the capitalised spellings were used;
- ``order``: the original member order of the document, ``cloud`` and
  ``git`` (only where it differs from the order a downgrade writes; not in
  notebooks whose layout sorts keys, see :func:`drop_member_order`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from envspec.migrations import MigrationError, StepOutput
from envspec.vocabulary import MEMBERS

__all__ = ["LEGACY_EXTENSION", "downgrade", "drop_member_order", "upgrade"]

#: The extension that carries what 1.0 has no field for.
LEGACY_EXTENSION = "envspec.legacy"

_V1_ONLY = {"files", "python", "kernel", "image", "env", "hardware", "provenance", "extensions"}
_TEXT_KEYS = ("requirements.txt", "environment.yaml", "environment.yml")
_CLOUD_NAMES = ("env_name", "Env_name")
_CLOUD_VERSIONS = ("cloud_ver", "Cloud_ver")
_KEPT = f"extensions/{LEGACY_EXTENSION}"


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


def _errors(findings: Iterable[Any]) -> list[str]:
    """The messages of the error-severity findings among *findings*."""
    from envspec._codes import CODES

    return [f.message for f in findings if CODES[f.code].severity == "error"]


def upgrade(document: Mapping[str, Any]) -> StepOutput:
    """0.1 -> 1.0."""
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

    def keep(key: str, why: str) -> None:
        kept[key] = document[key]
        notes.append(f"{key!r} {why}; kept under {_KEPT}")

    for key in _TEXT_KEYS:
        if key not in document:
            continue
        if not isinstance(document[key], str):
            keep(key, "is not text")
        elif key == "environment.yml" and "environment.yaml" in files:
            keep(key, "is a second conda file (1.0 embeds one: 'environment.yaml')")
        else:
            files[key] = document[key]
    if "setup.sh" in document:
        if isinstance(document["setup.sh"], str):
            files["postBuild"] = document["setup.sh"]
            notes.append("'setup.sh' is now files/postBuild (the setup script that runs last)")
        else:
            keep("setup.sh", "is not text")
    if "container" in document:
        image, why = _image_up(document["container"])
        if image is None:
            keep("container", why)
        else:
            out["image"] = image
            notes.append(
                "'container' is now image"
                + (" (digest split into image.digest)" if "digest" in image else "")
            )
    if "cloud" in document:
        target, why = _cloud_up(document["cloud"], legacy)
        if target is None:
            keep("cloud", why)
        else:
            out["cloud"] = [target]
            notes.append("'cloud' is now a list of targets: cloud[0]")
    if "git" in document:
        git, why = _git_up(document["git"], legacy)
        if git is None:
            keep("git", why)
        else:
            out["git"] = git
            notes.append("git.path is now git.url and git['commit id'] is git.commit")
    for block in ("cloud", "git"):
        if f"{block}_kept" in legacy:
            names = ", ".join(repr(k) for k in legacy[f"{block}_kept"])
            notes.append(f"{block} member(s) {names} have no place in 1.0; kept under {_KEPT}")
    for key in document:
        if key not in {"env_ver", *_TEXT_KEYS, "setup.sh", "container", "cloud", "git"}:
            keep(key, "has no place in 1.0")
    if files:
        out["files"] = files
    out["provenance"] = {"migrated_from": "0.1"}
    if kept:
        legacy["kept"] = kept
    if legacy:
        out["extensions"] = {LEGACY_EXTENSION: legacy}
    out = _ordered(out)
    order = _changed_order(document, downgrade(out).document)
    if order:
        legacy["order"] = order
        out["extensions"] = {LEGACY_EXTENSION: legacy}
    return StepOutput(out, tuple(notes))


def _image_up(container: object) -> tuple[dict[str, str] | None, str]:
    from envspec.checks.fields import check_image_ref

    if not isinstance(container, str) or not container:
        return None, "is not an image reference"
    ref, _, digest = container.partition("@")
    problems = _errors(
        check_image_ref(container, ("container",), digest_allowed=True, has_digest=bool(digest))
    )
    if problems or len(ref) > 255:
        return None, "is not a valid image reference (" + "; ".join(problems or ["too long"]) + ")"
    return ({"ref": ref, "digest": digest} if digest else {"ref": ref}), ""


def _cloud_up(cloud: object, legacy: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    from envspec.checks.fields import check_url

    if not isinstance(cloud, dict):
        return None, "is not an object"
    name_key, name = _one_of(cloud, _CLOUD_NAMES, "name")
    version_key, version = _one_of(cloud, _CLOUD_VERSIONS, "version")
    handler = cloud.get("handler_url")
    # 1.0 needs a name and an absolute handler URL: otherwise keep the block as it was.
    if not (isinstance(name, str) and name):
        return None, "has no name (1.0 needs one)"
    if not (isinstance(handler, str) and handler):
        return None, "has no handler_url (1.0 needs one)"
    problems = _errors(check_url(handler, ("cloud", "handler_url"), ssh_ok=False))
    if problems:
        return None, "has an invalid handler_url (" + "; ".join(problems) + ")"
    target: dict[str, Any] = {"name": name, "handler_url": handler}
    used = {name_key, "handler_url"}
    spelling: dict[str, str] = {}
    if name_key != "env_name":
        spelling["name"] = str(name_key)
    text = None if version is None else _version_text(version)
    if text:  # 1.0 has no empty version: an empty one is kept as it was
        target["version"] = text
        used.add(version_key)
        if not isinstance(version, str):
            legacy["cloud_ver"] = version  # the original number or list, for the way back
        if version_key != "cloud_ver":
            spelling["version"] = str(version_key)
    if isinstance(cloud.get("metadata"), dict):
        target["metadata"] = cloud["metadata"]
        used.add("metadata")
    rest = {k: v for k, v in cloud.items() if k not in used}
    if rest:
        legacy["cloud_kept"] = rest
    if spelling:
        legacy["cloud_spelling"] = spelling
    return target, ""


def _version_text(value: object) -> str:
    import json

    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _git_up(git: object, legacy: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    from envspec.checks.fields import check_commit, check_url

    if not isinstance(git, dict):
        return None, "is not an object"
    url, commit = git.get("path"), git.get("commit id")
    # 1.0 needs both an absolute URL and a full commit hash.
    if not (isinstance(url, str) and url and isinstance(commit, str) and commit):
        return None, "has no path or no 'commit id' (1.0 needs both)"
    problems = _errors(check_url(url, ("git", "path"), ssh_ok=True))
    problems += _errors(check_commit(commit, ("git", "commit id")))
    if problems:
        return None, "cannot be a 1.0 git source (" + "; ".join(problems) + ")"
    rest = {k: v for k, v in git.items() if k not in {"path", "commit id"}}
    if rest:
        legacy["git_kept"] = rest
    return {"url": url, "commit": commit}, ""


def drop_member_order(document: Mapping[str, Any]) -> dict[str, Any]:
    """*document* (1.0) without the recorded 0.1 member order: for files that sort keys
    anyway (nbformat's layout), where the order means nothing and would only be noise.
    """
    out = dict(document)
    extensions = _dict(out.get("extensions"))
    legacy = _dict(extensions.pop(LEGACY_EXTENSION, None))
    if "order" not in legacy:
        return out
    del legacy["order"]
    if legacy:
        extensions[LEGACY_EXTENSION] = legacy
    if extensions:
        out["extensions"] = extensions
    else:
        del out["extensions"]
    return out


def _changed_order(original: Mapping[str, Any], restored: Mapping[str, Any]) -> dict[str, Any]:
    """The member orders of *original* that *restored* (same members) does not reproduce."""
    order: dict[str, Any] = {}
    if list(original) != list(restored):
        order["document"] = list(original)
    for block in ("cloud", "git"):
        a, b = original.get(block), restored.get(block)
        if isinstance(a, dict) and isinstance(b, dict) and list(a) != list(b):
            order[block] = list(a)
    return order


def _reorder(block: dict[str, Any], order: object) -> dict[str, Any]:
    if not isinstance(order, list):
        return block
    first = {k: block[k] for k in order if isinstance(k, str) and k in block}
    return first | {k: v for k, v in block.items() if k not in first}


_ORDER = MEMBERS
_KNOWN_1_0 = frozenset(_ORDER)


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    known = {k: document[k] for k in _ORDER if k in document}
    return known | {k: v for k, v in document.items() if k not in known}


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def downgrade(document: Mapping[str, Any]) -> StepOutput:
    """1.0 -> 0.1 (what does not fit is listed in ``lost``)."""
    out: dict[str, Any] = {"env_ver": "0.1"}
    lost: list[str] = []
    extensions = document.get("extensions")
    if "extensions" in document and not isinstance(extensions, dict):
        lost.append(f"extensions ({_short(extensions)})")
    extensions = _dict(extensions)
    legacy = _dict(extensions.get(LEGACY_EXTENSION))
    kept = _dict(legacy.get("kept"))
    files = document.get("files")
    if "files" in document and not isinstance(files, dict):
        lost.append(f"files ({_short(files)})")
    files = _dict(files)
    for name in _TEXT_KEYS:
        if name in files:
            out[name] = files[name]
    image = document.get("image")
    if isinstance(image, dict) and isinstance(image.get("ref"), str):
        digest = image.get("digest")
        out["container"] = image["ref"] + (f"@{digest}" if digest else "")
    elif "image" in document:
        lost.append(f"image ({_short(image)})")
    if "postBuild" in files:
        out["setup.sh"] = files["postBuild"]
    lost.extend(f"files/{name}" for name in files if name not in {*_TEXT_KEYS, "postBuild"})
    cloud = document.get("cloud")
    targets = cloud if isinstance(cloud, list) else []
    if "cloud" in document and not isinstance(cloud, list):
        lost.append(f"cloud ({_short(cloud)})")
    if targets and isinstance(targets[0], dict) and {"name", "handler_url"} <= targets[0].keys():
        block = _cloud_down(targets[0], legacy)
        out["cloud"] = _reorder(block, _dict(legacy.get("order")).get("cloud"))
        lost.extend(
            f"cloud/0/{key} ({_short(targets[0][key])})"
            for key in targets[0]
            if key not in {"name", "handler_url", "version", "metadata"}
        )
    elif targets:
        lost.append(f"cloud/0 ({_short(targets[0])})")
    lost.extend(
        f"cloud/{i} ({_short(t.get('name') if isinstance(t, dict) else t)})"
        for i, t in enumerate(targets)
        if i
    )
    git = document.get("git")
    if isinstance(git, dict) and {"url", "commit"} <= git.keys():
        block = {"path": git["url"], "commit id": git["commit"]}
        block |= {k: v for k, v in _dict(legacy.get("git_kept")).items() if k not in block}
        out["git"] = _reorder(block, _dict(legacy.get("order")).get("git"))
        lost.extend(
            f"git/{key} ({_short(git[key])})" for key in git if key not in {"url", "commit"}
        )
    elif "git" in document:
        lost.append(f"git ({_short(git)})")
    for key in ("python", "kernel", "env", "hardware"):
        if key in document:
            lost.append(f"{key} ({_short(document[key])})")
    for name in extensions:
        if name != LEGACY_EXTENSION:
            lost.append(f"extensions/{name}")
    lost.extend(f"{key} (unknown to 0.1)" for key in document if key not in _KNOWN_1_0)
    for key, value in kept.items():
        if key in out:
            lost.append(f"{_KEPT}/kept/{key} (replaced by the 1.0 value)")
        else:
            out[key] = value
    out = _reorder(out, _dict(legacy.get("order")).get("document"))
    return StepOutput(out, (), tuple(lost))


def _cloud_down(target: Mapping[str, Any], legacy: Mapping[str, Any]) -> dict[str, Any]:
    spelling = _dict(legacy.get("cloud_spelling"))
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
    block |= {k: v for k, v in _dict(legacy.get("cloud_kept")).items() if k not in block}
    return block


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
