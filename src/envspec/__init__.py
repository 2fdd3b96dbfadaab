"""envspec: declarative, portable and verifiable notebook environments.

The top level is kept cheap to import; names are loaded on first use::

    from envspec import Environment, validate_paths, load_environment
"""

from __future__ import annotations

from envspec._version import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs ~10 ms at start-up
if TYPE_CHECKING:
    from typing import Any

    from envspec.diagnostics import Diagnostic
    from envspec.loader import Loaded, LoadError, load_environment
    from envspec.migrations import MigrationError, MigrationResult, migrate
    from envspec.models.v1_0 import Environment
    from envspec.validate import (
        ValidationResult,
        validate_bytes,
        validate_environment,
        validate_paths,
    )

__all__ = [
    "Diagnostic",
    "Environment",
    "LoadError",
    "Loaded",
    "MigrationError",
    "MigrationResult",
    "ValidationResult",
    "__version__",
    "load_environment",
    "migrate",
    "validate_bytes",
    "validate_environment",
    "validate_paths",
]

_LAZY = {
    "Diagnostic": "envspec.diagnostics",
    "Environment": "envspec.models.v1_0",
    "LoadError": "envspec.loader",
    "Loaded": "envspec.loader",
    "load_environment": "envspec.loader",
    "MigrationError": "envspec.migrations",
    "MigrationResult": "envspec.migrations",
    "migrate": "envspec.migrations",
    "ValidationResult": "envspec.validate",
    "validate_bytes": "envspec.validate",
    "validate_environment": "envspec.validate",
    "validate_paths": "envspec.validate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'envspec' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
