"""``env_ver`` 1.1: 1.0 plus the embedded file name ``pixi.lock`` (the solved conda packages).

A minor only adds: every 1.0 member keeps its type and meaning, so the 1.1 model is the
1.0 model with the larger closed set of file names.  These models are the single source
of truth of ``schemas/environment-1.1.schema.json``.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from envspec.models import v1_0
from envspec.models.v1_0 import (
    CloudTarget,
    GitSource,
    Gpu,
    Hardware,
    Image,
    Kernel,
    Provenance,
    _first_extra,
)
from envspec.vocabulary import FILES_1_1

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


class Environment(v1_0.Environment):
    """The environment of a notebook (``metadata.environment``, ``env_ver`` 1.1)."""

    env_ver: Annotated[
        str,
        StringConstraints(pattern=r"^1\.(0|[1-9][0-9]*)$"),
        Field(json_schema_extra={"const": "1.1"}),
    ]
    """Format version, ``MAJOR.MINOR``. This model reads any 1.x from 1.1 on."""
    files: (
        Annotated[
            dict[str, str],
            Field(json_schema_extra={"propertyNames": {"enum": list(FILES_1_1)}}),
        ]
        | None
    ) = None
    """Environment inputs: exact text of each file, keyed by its conventional name."""

    @model_validator(mode="after")
    def _exactly_known_1_1(self) -> Self:
        # A 1.1 document may carry only 1.1's members and file names (a reader of a newer
        # minor keeps unknown ones instead); a 1.0 document is read by the 1.0 model.
        if self.env_ver == "1.0":
            raise ValueError("env_ver 1.0 is read with envspec.models.v1_0")
        if self.env_ver != "1.1":
            return self
        unknown = sorted(set(self.files or {}) - set(FILES_1_1))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a file name of env_ver 1.1")
        extra = _first_extra(self)
        if extra:
            raise ValueError(f"{extra!r} is not a field of env_ver 1.1")
        return self
