"""Payload models: build, source."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from envspec.models._base import Model
from envspec.models.v1_0 import (
    PYTHON_PIN,
    Image,
)
from envspec.payloads.models._common import (
    HOST,
    REPOSITORY,
    NonEmpty,
    Relative,
    _error,
)
from envspec.vocabulary import FILES

# --------------------------------------------------------------------- build


class InstallScript(Model):
    """A script run in the image build; it and everything it reads stay inside one folder."""

    folder: Relative
    """The folder the build copies into the image, relative to the payload file."""
    run: Relative
    """The script to run, relative to ``folder``; it may not leave it."""
    interpreter: NonEmpty | None = None
    """The program that runs the script (``bash``, ``python``); without it the script is run
    directly and must be executable."""


class Build(Model):
    """How the payload's images are built; omit ``build`` for a payload that is image only."""

    files: (
        Annotated[
            dict[str, str],
            Field(json_schema_extra={"propertyNames": {"enum": list(FILES)}}),
        ]
        | None
    ) = None
    """Build inputs, exact text keyed by their conventional name (the environment's ``files``
    vocabulary: ``requirements.txt``, ``environment.yml``, ``Dockerfile``, ...)."""
    file_paths: (
        Annotated[
            dict[str, Relative],
            Field(json_schema_extra={"propertyNames": {"enum": list(FILES)}}),
        ]
        | None
    ) = None
    """Build inputs kept as files beside the payload: the path of each, keyed by its
    conventional name, relative to the payload file."""
    python: Annotated[str, StringConstraints(pattern=PYTHON_PIN)] | None = None
    """Python version pin: ``MAJOR.MINOR`` or ``MAJOR.MINOR.PATCH``."""
    base: Image | None = None
    """The image the build starts from (``ref`` and, best, ``digest``)."""
    script: InstallScript | None = None
    """An install script run after the files are installed."""

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.files or self.file_paths or self.script or self.base):
            raise _error(
                "payload-build-empty",
                "build has no files, file_paths, base or script: omit build for an "
                "image-only payload",
            )
        both = sorted(set(self.files or {}) & set(self.file_paths or {}))
        if both:
            raise _error(
                "payload-duplicate-name",
                f"{both[0]!r} is both in files and in file_paths: give it once",
                ("file_paths", both[0]),
            )
        return self

    @field_validator("files", "file_paths")
    @classmethod
    def _known_files(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for name in value or {}:
            if name not in FILES:
                raise ValueError(f"{name!r} is not a file name of the environment vocabulary")
        return value


# --------------------------------------------------------------------- image source


class DockerSource(Model):
    """Images in a Docker (OCI distribution) registry."""

    type: Literal["docker"]
    """The kind of source."""
    registry: Annotated[str, StringConstraints(pattern=HOST)]
    """Registry host, optionally with a port (``docker.io``, ``ghcr.io``)."""
    repository: Annotated[str, StringConstraints(pattern=REPOSITORY)]
    """Repository path inside the registry (``lsstsqre/sciplat-lab``)."""


class GoogleSource(Model):
    """Images in Google Artifact Registry."""

    type: Literal["google"]
    """The kind of source."""
    location: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$")]
    """Region or multi-region of the repository (``us-central1``)."""
    project_id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]
    """Google Cloud project that owns the repository."""
    repository: Annotated[str, StringConstraints(pattern=REPOSITORY)]
    """Artifact Registry repository name."""
    image: Annotated[str, StringConstraints(pattern=REPOSITORY)]
    """Image name inside the repository."""


ImageSource = Annotated[DockerSource | GoogleSource, Field(discriminator="type")]
