"""Package names between PyPI / conda-forge and GNU Guix.

The rule is the Guix manual's ("Python Modules"): a Python project ``Foo_Bar`` is the Guix
package ``python-foo-bar`` (``python-`` and the PEP 503 normalized name); a project whose
name already starts with ``python-`` keeps it.  The exceptions, each checked against
the Guix package definitions, are data: ``data/guix_names.toml``, read on first use.

>>> guix_name("Scikit_Learn")
'python-scikit-learn'
>>> guix_name("torch")
'python-pytorch'
>>> python_name("python-numpy")
'numpy'
>>> python_name("gcc-toolchain") is None
True
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources
from typing import Any

__all__ = ["conda_guix_name", "exceptions", "guix_name", "normalize", "python_name"]

_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """The PEP 503 normalized name: lower case, runs of ``-_.`` as one ``-``."""
    return _SEPARATORS.sub("-", name).lower()


@functools.cache
def exceptions() -> dict[str, dict[str, dict[str, str]]]:
    """The table: ``pypi``, ``conda`` and ``guix`` sections, name -> entry."""
    data = resources.files("envspec.formats").joinpath("data", "guix_names.toml").read_bytes()
    table: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
    return table


def guix_name(project: str) -> str:
    """The Guix package of the PyPI project *project*."""
    name = normalize(project)
    entry = exceptions()["pypi"].get(name)
    if entry is not None:
        return entry["guix"]
    return name if name.startswith("python-") else f"python-{name}"


def conda_guix_name(package: str) -> str:
    """The Guix package of the conda package *package* (R packages keep their name)."""
    lowered = package.lower()
    entry = exceptions()["conda"].get(lowered) or exceptions()["conda"].get(normalize(package))
    if entry is not None:
        return entry["guix"]
    if lowered.startswith("r-"):
        return lowered
    return guix_name(package)


def python_name(package: str) -> str | None:
    """The PyPI project of the Guix package *package*, or ``None`` when it is not a Python
    package by the rule or the table (``r-ggplot2``, ``gcc-toolchain``)."""
    entry = exceptions()["guix"].get(package)
    if entry is not None:
        return entry["pypi"]
    if package.startswith("python-") and len(package) > len("python-"):
        return package[len("python-") :]
    return None
