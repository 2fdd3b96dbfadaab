"""Tiny wheels and a tiny conda channel, built by the tests themselves (no network).

A wheel is a zip file with ``METADATA``, ``WHEEL`` and ``RECORD`` in its
``.dist-info`` folder; a conda package is a ``.tar.bz2`` with ``info/index.json``,
``info/paths.json`` and ``info/files``.  Both are as small as the installers accept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["make_channel", "make_conda_package", "make_wheel"]


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_wheel(
    folder: Path,
    name: str,
    version: str,
    *,
    requires: Iterable[str] = (),
    requires_python: str | None = None,
    module: str | None = None,
) -> Path:
    """Write ``NAME-VERSION-py3-none-any.whl`` into *folder*; it installs a module
    (by default the normalised name) whose ``VERSION`` is *version*."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_").lower()
    module = module or dist
    info = f"{dist}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    if requires_python:
        metadata += f"Requires-Python: {requires_python}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: envspec-tests\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{p},{_record_hash(d)},{len(d)}\n" for p, d in files.items())
    record += f"{info}/RECORD,,\n"
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(zipfile.ZipInfo(member, (2024, 1, 1, 0, 0, 0)), data)
        archive.writestr(zipfile.ZipInfo(f"{info}/RECORD", (2024, 1, 1, 0, 0, 0)), record)
    return path


def make_conda_package(
    channel: Path,
    name: str,
    version: str,
    *,
    depends: Iterable[str] = (),
    build: str = "0",
    subdir: str = "noarch",
    payload: Mapping[str, bytes] | None = None,
) -> Path:
    """Write ``NAME-VERSION-BUILD.tar.bz2`` into ``channel/subdir``."""
    folder = channel / subdir
    folder.mkdir(parents=True, exist_ok=True)
    payload = dict(payload or {f"share/{name}/VERSION": version.encode()})
    index = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "depends": list(depends),
        "subdir": subdir,
        "timestamp": 1704067200000,
        "license": "MIT",
    }
    if subdir == "noarch":
        index["noarch"] = "generic"
    paths = {
        "paths": [
            {
                "_path": p,
                "path_type": "hardlink",
                "sha256": hashlib.sha256(d).hexdigest(),
                "size_in_bytes": len(d),
            }
            for p, d in payload.items()
        ],
        "paths_version": 1,
    }
    members = {
        "info/index.json": json.dumps(index).encode(),
        "info/paths.json": json.dumps(paths).encode(),
        "info/files": "".join(f"{p}\n" for p in payload).encode(),
        **payload,
    }
    path = folder / f"{name}-{version}-{build}.tar.bz2"
    with tarfile.open(path, "w:bz2") as archive:
        for member, data in members.items():
            entry = tarfile.TarInfo(member)
            entry.size = len(data)
            entry.mtime = 1704067200
            archive.addfile(entry, io.BytesIO(data))
    return path


def make_channel(channel: Path, packages: Iterable[tuple[str, str, Iterable[str]]]) -> str:
    """Build and index a local channel of ``(name, version, depends)`` packages; returns
    its ``file://`` URL."""
    import rattler.index

    channel.mkdir(parents=True, exist_ok=True)
    (channel / "noarch").mkdir(exist_ok=True)
    for name, version, depends in packages:
        make_conda_package(channel, name, version, depends=depends)
    asyncio.run(rattler.index.index_fs(channel))
    return channel.resolve().as_uri()
