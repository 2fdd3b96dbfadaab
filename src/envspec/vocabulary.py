"""The closed set of embedded file names of each ``env_ver``, and what each one is.

The names are the conventional ones people already use (repo2docker's
configuration files, PEP 751's ``pylock.toml``, Guix's ``manifest.scm`` and
``channels.scm``), so that unpacking an environment gives a folder other tools
read as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "FILES",
    "FILES_0_1",
    "FILES_1_1",
    "MEMBERS",
    "FileKind",
    "FileSpec",
    "files_for",
    "version_needed",
]

FileKind = Literal[
    "pip",
    "conda",
    "apt",
    "runtime",
    "script",
    "start",
    "dockerfile",
    "pylock",
    "guix",
    "pipfile",
    "pipfile-lock",
    "julia",
    "r",
    "nix",
    "pixi-lock",
]


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One embeddable file name."""

    #: The file name, exactly as written to disk.
    name: str
    #: Which validator reads it.
    kind: FileKind
    #: Whether unpack writes it with the executable bit.
    executable: bool
    #: Whether repo2docker (Binder) reads it.
    binder: bool
    #: One line for docs and help.
    summary: str


_SPECS = (
    FileSpec(
        "requirements.txt", "pip", False, True, "pip requirements, installed with `pip install -r`"
    ),
    FileSpec(
        "environment.yml",
        "conda",
        False,
        True,
        "conda environment (dependencies, channels, `pip:`)",
    ),
    FileSpec("environment.yaml", "conda", False, True, "the same, with the `.yaml` spelling"),
    FileSpec("apt.txt", "apt", False, True, "Debian/Ubuntu packages, one per line"),
    FileSpec("runtime.txt", "runtime", False, True, "runtime selector such as `python-3.12`"),
    FileSpec("postBuild", "script", True, True, "setup script run once after the other steps"),
    FileSpec("start", "start", True, True, 'wrapper run at every launch; ends with `exec "$@"`'),
    FileSpec(
        "Dockerfile",
        "dockerfile",
        False,
        True,
        "a complete image build; overrides every other file",
    ),
    FileSpec("pylock.toml", "pylock", False, False, "PEP 751 lock file"),
    FileSpec("manifest.scm", "guix", False, False, "Guix manifest"),
    FileSpec("channels.scm", "guix", False, False, "Guix channels (pins the whole package graph)"),
    FileSpec("Pipfile", "pipfile", False, True, "pipenv dependencies"),
    FileSpec("Pipfile.lock", "pipfile-lock", False, True, "pipenv lock file"),
    FileSpec("Project.toml", "julia", False, True, "Julia project"),
    FileSpec("Manifest.toml", "julia", False, True, "Julia manifest (exact versions)"),
    FileSpec("install.R", "r", False, True, "R packages to install"),
    FileSpec(
        "default.nix", "nix", False, True, "Nix expression; overrides the other package files"
    ),
)

#: The embeddable files of ``env_ver`` 1.0, by name.
FILES: Final = MappingProxyType({spec.name: spec for spec in _SPECS})

#: The names ``env_ver`` 1.1 adds (a minor only adds names, never removes one).
_SPECS_1_1 = (
    FileSpec(
        "pixi.lock",
        "pixi-lock",
        False,
        False,
        "the solved conda packages of each platform (rattler/pixi lock file)",
    ),
)

#: The embeddable files of ``env_ver`` 1.1, by name.
FILES_1_1: Final = MappingProxyType({**FILES, **{spec.name: spec for spec in _SPECS_1_1}})

#: The file-valued keys of legacy 0.1 (seed 002), and how to read each.
FILES_0_1: Final = MappingProxyType(
    {
        "requirements.txt": FileSpec("requirements.txt", "pip", False, False, "pip requirements"),
        "environment.yaml": FileSpec(
            "environment.yaml", "conda", False, False, "conda environment"
        ),
        "environment.yml": FileSpec("environment.yml", "conda", False, False, "conda environment"),
        "setup.sh": FileSpec("setup.sh", "script", True, False, "setup script run last"),
    }
)


def files_for(env_ver: str) -> MappingProxyType[str, FileSpec]:
    """The embeddable files of *env_ver* (``"0.1"`` or a ``1.x``; a minor newer than this
    library knows gets the newest set it knows, as its readers apply that minor's rules)."""
    if env_ver == "0.1":
        return FILES_0_1
    return FILES if env_ver == "1.0" else FILES_1_1


def version_needed(files: object) -> str:
    """The earliest ``1.x`` whose file names hold every name of *files* that this library
    knows: what a writer writes (``1.1`` for a ``pixi.lock``, else ``1.0``)."""
    names = set(files) if isinstance(files, dict) else set()
    return "1.1" if names & (set(FILES_1_1) - set(FILES)) else "1.0"


#: The members of an ``env_ver`` 1.0 document, in the order writers put them
#: (the models' field order; a test keeps the two equal).
MEMBERS: Final = (
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
