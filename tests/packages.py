"""Tiny packages made by the tests themselves: wheels and a local conda channel.

Nothing is downloaded and nothing is built by a build backend: a wheel is a zip
file with ``METADATA``, ``WHEEL`` and ``RECORD`` written here, and a conda
package a ``.tar.bz2`` with ``info/index.json``, ``info/paths.json`` and its
payload, indexed by rattler.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

PYTHON_VERSION = ".".join(str(n) for n in sys.version_info[:3])
SITE = f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    requires: Sequence[str] = (),
    code: str = "",
    scripts: Mapping[str, str] | None = None,
) -> Path:
    """Write a pure-Python wheel of one module named after the project; returns its path.

    The module gets ``__version__`` and the given *code*; *scripts* maps console
    script names to ``module:function`` entry points.
    """
    module = name.replace("-", "_")
    dist = f"{module}-{version}"
    files: dict[str, str] = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n{code}",
        f"{dist}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {r}\n" for r in requires)
        ),
        f"{dist}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: envspec-tests\nRoot-Is-Purelib: true\n"
            "Tag: py3-none-any\n"
        ),
    }
    if scripts:
        files[f"{dist}.dist-info/entry_points.txt"] = "[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in scripts.items()
        )
    record = [f"{p},{_record_hash(t.encode())},{len(t.encode())}" for p, t in files.items()]
    files[f"{dist}.dist-info/RECORD"] = "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def wheel_url_hash(path: Path) -> tuple[str, str]:
    """A wheel's ``file://`` URL and sha256, as a pylock.toml entry names them."""
    return path.as_uri(), hashlib.sha256(path.read_bytes()).hexdigest()


def pylock(wheels: Mapping[str, tuple[str, Path]]) -> str:
    """A PEP 751 ``pylock.toml`` installing exactly *wheels* (name -> (version, path))."""
    lines = ['lock-version = "1.0"', 'created-by = "envspec-tests"', ""]
    for name, (version, path) in sorted(wheels.items()):
        url, sha = wheel_url_hash(path)
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{sha}" }} }}]',
            "",
        ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- conda


def _tar_bytes(members: Mapping[str, bytes | tuple[str, str]]) -> bytes:
    """A ``.tar.bz2`` of *members*: bytes are files, ``("link", target)`` symbolic links."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as archive:
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.mtime = 1_700_000_000
            if isinstance(content, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = content[1]
                archive.addfile(info)
                continue
            info.size = len(content)
            info.mode = 0o755 if member.startswith("bin/") else 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def conda_package(
    channel: Path,
    name: str,
    version: str = "1.0",
    *,
    files: Mapping[str, bytes | tuple[str, str]],
    depends: Sequence[str] = (),
    subdir: str = "noarch",
) -> Path:
    """Write a conda package into *channel*/*subdir*; *files* are paths in the prefix."""
    index = {
        "name": name,
        "version": version,
        "build": "0",
        "build_number": 0,
        "depends": list(depends),
        "subdir": subdir,
        "timestamp": 1_700_000_000_000,
        "license": "MIT",
    }
    if subdir == "noarch":
        index["noarch"] = "generic"
    paths = []
    for member, content in sorted(files.items()):
        if isinstance(content, tuple):
            paths.append({"_path": member, "path_type": "softlink"})
        else:
            paths.append(
                {
                    "_path": member,
                    "path_type": "hardlink",
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "size_in_bytes": len(content),
                }
            )
    members: dict[str, bytes | tuple[str, str]] = {
        "info/index.json": json.dumps(index).encode(),
        "info/paths.json": json.dumps({"paths": paths, "paths_version": 1}).encode(),
        "info/files": "".join(f"{p}\n" for p in sorted(files)).encode(),
        **files,
    }
    folder = channel / subdir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-0.tar.bz2"
    path.write_bytes(_tar_bytes(members))
    return path


def fake_python_package(channel: Path, subdir: str) -> Path:
    """A conda ``python`` package that makes its prefix a virtual environment of the Python
    running the tests (no interpreter can be downloaded here): ``pyvenv.cfg`` plus a
    ``bin/python`` link, which is how ``venv`` itself works."""
    home = os.path.dirname(os.path.realpath(sys.executable))
    base = os.path.realpath(sys.executable)
    # The test interpreter may itself run in a virtual environment: point at its base.
    base_prefix = sys.base_prefix
    for candidate in (
        f"{base_prefix}/bin/python{sys.version_info[0]}.{sys.version_info[1]}",
        f"{base_prefix}/bin/python3",
    ):
        if os.path.exists(candidate):
            base, home = candidate, os.path.dirname(candidate)
            break
    cfg = (
        f"home = {home}\ninclude-system-site-packages = false\nversion = {PYTHON_VERSION}\n"
    ).encode()
    return conda_package(
        channel,
        "python",
        PYTHON_VERSION,
        files={
            "pyvenv.cfg": cfg,
            "bin/python": ("link", base),
            "bin/python3": ("link", "python"),
            f"{SITE}/.keep": b"",
        },
        subdir=subdir,
    )


def index_channel(channel: Path) -> str:
    """Index *channel* with rattler (writes ``repodata.json`` per subdir); returns its URL."""
    import rattler
    import rattler.index

    (channel / "noarch").mkdir(parents=True, exist_ok=True)
    asyncio.run(rattler.index.index_fs(channel))
    del rattler
    return channel.as_uri()
