"""Typed models of every ``env_ver``: ``envspec.models.v1_0`` (what writers produce by
default), ``envspec.models.v1_1`` (1.0 plus ``pixi.lock``) and ``envspec.models.v0_1``.

The 1.0 models are re-exported here, so tools can write
``from envspec.models import Environment``; the 1.1 ``Environment`` is a subclass of it.
"""

from __future__ import annotations

from envspec.models import v0_1, v1_0, v1_1
from envspec.models.v1_0 import (
    CloudTarget,
    Environment,
    GitSource,
    Gpu,
    Hardware,
    Image,
    Kernel,
    Provenance,
)

__all__ = [
    "MODELS",
    "CloudTarget",
    "Environment",
    "GitSource",
    "Gpu",
    "Hardware",
    "Image",
    "Kernel",
    "Provenance",
    "v0_1",
    "v1_0",
    "v1_1",
]

#: The top-level model of each supported ``env_ver``.
MODELS: dict[str, type[v0_1.Environment] | type[v1_0.Environment]] = {
    "0.1": v0_1.Environment,
    "1.0": v1_0.Environment,
    "1.1": v1_1.Environment,
}
