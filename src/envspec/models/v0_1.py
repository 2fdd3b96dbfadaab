"""Legacy ``env_ver`` 0.1 (the SelfContainedJupyterNotebooks format), read as it exists in the wild.

Readers accept it; writers no longer produce it (``envspec migrate`` moves it to
the latest version).  The key spellings of the original are kept as they are,
inconsistencies included (``Env_name``, ``Cloud_ver``, ``"commit id"``), so
that loading and dumping gives the same data back.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from envspec.models._base import OpenModel

__all__ = ["Cloud", "Environment", "Git"]


class Cloud(OpenModel):
    """The ``cloud`` block: where the notebook is meant to run."""

    env_name: str | None = None
    """Name of the cloud environment."""
    Env_name: str | None = None
    """The same, with the capitalised spelling of the seed's example."""
    handler_url: str | None = None
    """URL of the deploy handler."""
    cloud_ver: str | float | int | list[Any] | None = None
    """Version of the cloud environment (a number, a string or a list in the wild)."""
    Cloud_ver: str | float | int | list[Any] | None = None
    """The same, with the capitalised spelling of the seed's schema."""
    metadata: dict[str, Any] | None = None
    """Data owned by the cloud environment's manager."""

    @property
    def name(self) -> str | None:
        """The environment name, whichever spelling was used."""
        return self.env_name if self.env_name is not None else self.Env_name

    @property
    def version(self) -> str | float | int | list[Any] | None:
        """The cloud version, whichever spelling was used."""
        return self.cloud_ver if self.cloud_ver is not None else self.Cloud_ver


class Git(OpenModel):
    """The ``git`` block (marked "POC only" in the seed)."""

    path: str | None = None
    """Repository URL or path."""
    commit_id: str | None = Field(None, alias="commit id")
    """Commit hash (the key has a space)."""


class Environment(OpenModel):
    """A 0.1 ``metadata.environment`` object."""

    env_ver: Literal["0.1"]
    """Always ``"0.1"``."""
    requirements_txt: str | None = Field(None, alias="requirements.txt")
    """Text of ``requirements.txt``."""
    environment_yaml: str | None = Field(None, alias="environment.yaml")
    """Text of the conda environment file."""
    environment_yml: str | None = Field(None, alias="environment.yml")
    """The same, under the ``.yml`` name some writers used."""
    container: str | None = None
    """Container image reference."""
    setup_sh: str | None = Field(None, alias="setup.sh")
    """Text of a setup script run after the other steps."""
    cloud: Cloud | None = None
    """Cloud target."""
    git: Git | None = None
    """Source repository."""
