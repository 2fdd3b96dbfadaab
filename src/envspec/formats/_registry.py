"""The registry of formats: name -> the module and class that implement it.

Formats are imported only when used, so that listing them (``--help``) or running
``envspec validate`` never imports a format's parser.  A new format is one module and
one line here.
"""

from __future__ import annotations

from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from envspec.formats._base import Format

__all__ = ["FORMATS", "UnknownFormat", "format_help", "format_names", "get_format"]

#: name -> (``module:Class`` below ``envspec.formats``, what it reads/writes: one line for
#: ``--help``, written here so that help imports no format).
FORMATS: Final = MappingProxyType(
    {
        # --- one line per format (keep the names sorted within each group)
        "binder": (
            "binder:BinderFormat",
            "a repository folder with repo2docker's files (binder/ or .binder/)",
        ),
        "devcontainer": (
            "devcontainer:DevcontainerFormat",
            ".devcontainer/devcontainer.json (JSONC) and the files it uses",
        ),
        "dockerfile": (
            "dockerfile:DockerfileFormat",
            "a Dockerfile (and the files it copies) that builds the environment",
        ),
        "envspec": (
            "envspec_file:EnvspecFile",
            "a standalone *.envspec.yaml/.json file, or a notebook's environment",
        ),
        "guix": (
            "guix:Guix",
            "a Guix manifest.scm (+ channels.scm pinned with --guix-commit)",
        ),
        # --- PEP 723 inline script metadata (scripts, marimo, juv)
        "juv": ("juv:Juv", "a juv notebook: the PEP 723 block in a code cell, the uv.lock"),
        "marimo": (
            "script:MarimoScript",
            "a marimo notebook (.py) with a PEP 723 block (sandbox mode)",
        ),
        "script": (
            "script:Script",
            "a .py script's PEP 723 '# /// script' block (uv, pixi scripts)",
        ),
        # package formats: conda, pixi, pyproject, requirements
        "conda": (
            "conda:Conda",
            "environment.yml (conda, its variables as env); exported from requirements.txt "
            "where the mapping is exact",
        ),
        "pixi": (
            "pixi:Pixi",
            "pixi.toml or [tool.pixi] in pyproject.toml (one environment: --environment NAME; "
            "its [activation.env] as env)",
        ),
        "pyproject": (
            "pyproject:Pyproject",
            "pyproject.toml: PEP 621 dependencies, --extra NAME, PEP 735 --group NAME",
        ),
        "requirements": (
            "requirements:Requirements",
            "requirements.txt (pip); exported from environment.yml where the mapping is exact",
        ),
    }
)


class UnknownFormat(LookupError):
    """A format name that is not in the registry."""

    def __init__(self, name: str) -> None:
        self.name = name
        known = ", ".join(sorted(FORMATS)) or "none"
        super().__init__(f"unknown format {name!r}; known formats: {known}")


def format_names() -> tuple[str, ...]:
    """Every registered name, sorted."""
    return tuple(sorted(FORMATS))


def get_format(name: str) -> Format:
    """An instance of the format registered as *name*.

    :raises UnknownFormat: no format has that name.
    """
    try:
        target = FORMATS[name.lower()]
    except KeyError:
        raise UnknownFormat(name) from None
    module, _, attribute = target[0].partition(":")
    cls: type[Format] = getattr(import_module(f"envspec.formats.{module}"), attribute)
    return cls()


def format_help() -> str:
    """One line per format, for ``--help``."""
    return "\n".join(f"  {name:<14}{FORMATS[name][1]}" for name in format_names())
