"""``env_ver`` 1.0: the environment of a notebook, embedded in ``metadata.environment``.

These models are the single source of truth of ``schemas/environment-1.0.schema.json``.
Field docstrings become the schema's descriptions.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Self, TypeVar

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from envspec.models._base import Model
from envspec.vocabulary import FILES

__all__ = [
    "CloudTarget",
    "Environment",
    "GitSource",
    "Gpu",
    "Hardware",
    "Image",
    "Kernel",
    "Provenance",
]

ENV_VAR_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EXTENSION_NAME = r"^[a-z0-9]+([._-][a-z0-9]+)*$"
DIGEST = r"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$"
COMMIT = r"^([0-9a-f]{40}|[0-9a-f]{64})$"
QUANTITY = r"^[0-9]+(\.[0-9]+)?(k|M|G|T|Ki|Mi|Gi|Ti)?$"
PYTHON_PIN = r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


def _integral(value: object) -> object:
    # JSON has one number type: 1.0 is the integer 1 (as JSON Schema says).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _positive(value: float) -> float:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


class Image(Model):
    """A container image the environment runs in."""

    ref: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    """OCI reference without digest: ``[registry/]repository[:tag]``."""
    digest: Annotated[str, StringConstraints(pattern=DIGEST)] | None = None
    """Content digest (``sha256:`` + 64 hex). Without it the reference is mutable."""


class Kernel(Model):
    """The Jupyter kernel the notebook runs with in this environment."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]
    """Kernel spec name, as in ``metadata.kernelspec.name``."""
    language: NonEmpty
    """Language of the kernel, lower case (``python``, ``r``, ``julia``)."""
    display_name: NonEmpty | None = None
    """Name shown in menus."""


class GitSource(Model):
    """The git repository the notebook comes from."""

    url: NonEmpty
    """Clone URL, without credentials."""
    commit: Annotated[str, StringConstraints(pattern=COMMIT)]
    """Full commit hash (40 hex for SHA-1, 64 for SHA-256 repositories)."""
    subdir: NonEmpty | None = None
    """Folder of the notebook inside the repository, ``/``-separated and relative."""


class CloudTarget(Model):
    """A cloud service that can deploy the notebook (the 0.1 ``cloud`` block, one per target)."""

    name: NonEmpty
    """Name of the target environment of that service."""
    handler_url: NonEmpty
    """URL of the deploy handler."""
    version: NonEmpty | None = None
    """Version of the target environment."""
    metadata: dict[str, Any] | None = None
    """Data owned by the service; kept as it is."""


class Gpu(Model):
    """Accelerator needs."""

    count: Annotated[int, Field(ge=1)]
    """Number of GPUs."""
    vendor: NonEmpty | None = None
    """``nvidia``, ``amd``, ``intel``, ..."""
    memory: Annotated[str, StringConstraints(pattern=QUANTITY)] | None = None
    """Memory per GPU, as a quantity (``16Gi``)."""

    @field_validator("count", mode="before")
    @classmethod
    def _count(cls, value: object) -> object:
        return _integral(value)


class Hardware(Model):
    """What the machine needs at least."""

    cpu: (
        Annotated[
            int | float,
            AfterValidator(_positive),
            WithJsonSchema({"type": "number", "exclusiveMinimum": 0}),
        ]
        | None
    ) = None
    """CPU cores (fractions allowed)."""
    memory: Annotated[str, StringConstraints(pattern=QUANTITY)] | None = None
    """Memory, as a quantity: bytes or with a suffix ``k M G T Ki Mi Gi Ti``."""
    gpu: Gpu | None = None
    """Accelerators."""


class Provenance(Model):
    """Where this document came from."""

    migrated_from: (
        Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")] | None
    ) = None
    """The ``env_ver`` this document was migrated from."""


class Environment(Model):
    """The environment of a notebook (``metadata.environment``, ``env_ver`` 1.0)."""

    env_ver: Annotated[
        str,
        StringConstraints(pattern=r"^1\.(0|[1-9][0-9]*)$"),
        Field(json_schema_extra={"const": "1.0"}),
    ]
    """Format version, ``MAJOR.MINOR``. This model reads any 1.x."""
    files: (
        Annotated[
            dict[str, str],
            Field(json_schema_extra={"propertyNames": {"enum": list(FILES)}}),
        ]
        | None
    ) = None
    """Environment inputs: exact text of each file, keyed by its conventional name."""
    python: Annotated[str, StringConstraints(pattern=PYTHON_PIN)] | None = None
    """Python version pin: ``MAJOR.MINOR`` or ``MAJOR.MINOR.PATCH``."""
    kernel: Kernel | None = None
    """The kernel to launch."""
    image: Image | None = None
    """A prebuilt container image."""
    env: (
        Annotated[
            dict[str, str | None],
            Field(json_schema_extra={"propertyNames": {"pattern": ENV_VAR_NAME}}),
        ]
        | None
    ) = None
    """Environment variables. ``null`` means: required, supplied at launch (secrets go there)."""
    git: GitSource | None = None
    """Source repository."""
    cloud: list[CloudTarget] | None = None
    """Cloud targets that can deploy the notebook."""
    hardware: Hardware | None = None
    """Minimum machine."""
    provenance: Provenance | None = None
    """Where this document came from."""
    extensions: (
        Annotated[
            dict[str, Any],
            Field(json_schema_extra={"propertyNames": {"pattern": EXTENSION_NAME}}),
        ]
        | None
    ) = None
    """Tool-specific data, keyed by tool name. Validators keep it and do not check it."""

    @model_validator(mode="after")
    def _exactly_known(self) -> Self:
        # A document of a minor this library knows may not carry unknown members or
        # file names (a reader of a newer minor keeps them instead).
        if self.env_ver != "1.0":
            return self
        unknown = sorted(set(self.files or {}) - set(FILES))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a file name of env_ver 1.0")
        extra = _first_extra(self)
        if extra:
            raise ValueError(f"{extra!r} is not a field of env_ver 1.0")
        return self

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str | None] | None) -> dict[str, str | None] | None:
        return _check_keys(value, ENV_VAR_NAME, "environment variable name")

    @field_validator("extensions")
    @classmethod
    def _extension_names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return _check_keys(value, EXTENSION_NAME, "extension name")


_T = TypeVar("_T", bound=dict[str, Any])


def _first_extra(model: Model, prefix: str = "") -> str | None:
    for name in model.__pydantic_extra__ or {}:
        return prefix + name
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Model):
                found = _first_extra(item, f"{prefix}{name}.")
                if found:
                    return found
    return None


def _check_keys(value: _T | None, pattern: str, what: str) -> _T | None:
    if value is not None:
        bad = [key for key in value if not re.search(pattern, key)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a valid {what}")
    return value
