"""What the operator of the deploy service decides: :class:`ServiceConfig`.

A configuration is a dataclass; :func:`load_config` reads one from a TOML file whose
``[service]`` table has the same keys (paths relative to the file)::

    [service]
    db_url = "sqlite:///var/lib/envspec/service.sqlite"
    tokens_file = "tokens.txt"
    port = 8585
    max_concurrent_builds = 2
    allow_local_repositories = false
    trusted_repositories = ["https://github.com/my-lab/*"]
    find_links = ["/srv/wheels"]
    git_ca_bundle = "forge-ca.pem"

The authenticator and the launcher are objects (not in the file): ``None`` means a
:class:`~envspec.service.auth.TokenTable` read from ``tokens_file`` and a
:class:`~envspec.service.launchers.LocalLauncher`.  JupyterHub integrations pass their own.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from envspec.service.auth import Authenticator
    from envspec.service.launchers import Launcher

__all__ = ["ConfigError", "ServiceConfig", "load_config"]

MIB = 1024 * 1024


class ConfigError(Exception):
    """A configuration file cannot be used (the message names the file and the key)."""


@dataclass(slots=True)
class ServiceConfig:
    """The deploy service's settings (every field has a safe default)."""

    db_url: str = "sqlite:///envspec-service.sqlite"
    """An SQLAlchemy URL, the same scheme JupyterHub uses (``sqlite:///FILE``,
    ``postgresql://...``)."""
    tokens_file: Path | None = None
    """Bearer tokens of a standalone service: lines ``USER SHA256-HEX-OF-TOKEN``."""
    host: str = "127.0.0.1"
    port: int = 8585
    """``0`` picks a free port (the URL printed names it)."""
    base_url: str = "/"
    """The prefix of every route (``/services/envspec/`` behind JupyterHub)."""
    data_dir: Path = field(default_factory=lambda: Path("envspec-service"))
    """Checkouts and uploaded notebooks, one folder per deployment."""
    cache_dir: Path | None = None
    """Environments (keyed by their content hash); ``None``: envspec's cache."""
    max_body_bytes: int = 5 * MIB
    """Request bodies larger than this are refused (413 ``too-large``)."""
    max_deployments_per_user: int = 10
    """Deployments a user may have that are not stopped or failed (429 beyond)."""
    max_concurrent_builds: int = 2
    build_timeout: float = 1800.0
    """Seconds fetching and building may take together before the deployment fails."""
    launch_timeout: float = 120.0
    warm_servers: int = 1
    """JupyterLab servers started ahead (local launcher), so a deployment of a cached
    environment need not wait for one to start; ``0``: none."""
    max_attempts: int = 3
    """A deployment interrupted (restart) this many times fails instead of resuming."""
    allow_local_repositories: bool = False
    """``file://`` URLs and local paths (for tests and one-person setups only)."""
    allow_ssh: bool = False
    git_depth: int = 1
    git_timeout: float = 300.0
    max_repository_bytes: int = 500 * MIB
    trusted_repositories: tuple[str, ...] = ()
    """URL patterns (``fnmatch``) whose code (postBuild, start) may run."""
    git_ca_bundle: Path | None = None
    """A file of CA certificates (PEM) that git trusts for https repositories, instead
    of the system's (``GIT_SSL_CAINFO``): a forge with a private CA, or a test server."""
    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    authenticator: Authenticator | None = None
    launcher: Launcher | None = None
    log_level: str = "INFO"

    def replace(self, **changes: Any) -> ServiceConfig:
        return dataclasses.replace(self, **changes)


_PATHS = {"tokens_file", "data_dir", "cache_dir", "git_ca_bundle"}
_TUPLES = {"trusted_repositories", "find_links"}
_OBJECTS = {"authenticator", "launcher"}


def load_config(path: Path, **overrides: Any) -> ServiceConfig:
    """The configuration in the ``[service]`` table of the TOML file *path*, with
    *overrides* (the command line's options) on top."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("service", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [service] must be a table")
    known = {f.name: f for f in dataclasses.fields(ServiceConfig)}
    values: dict[str, Any] = {}
    for key, raw in table.items():
        value = raw
        if key not in known or key in _OBJECTS:
            raise ConfigError(f"{path}: [service] has no key {key!r}")
        if key in _PATHS:
            value = path.parent / str(value)
        elif key in _TUPLES:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: [service] {key} must be a list of strings")
            value = tuple(value)
        values[key] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ServiceConfig(**values)
