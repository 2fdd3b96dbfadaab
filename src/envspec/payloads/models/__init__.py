"""``payload_ver`` 1.0: a payload a spawner offers, and a deployment offering several.

These models (one module per part of the document) are the single source of truth of
``schemas/payload-1.0.schema.json``.  Field docstrings become the schema's descriptions.
The rules a schema cannot say (patterns that compile and cannot backtrack badly, unique
names, limits not below requests, no secret given as a value, install scripts inside their
folder) are checked by the models too: each raises an error whose type is its diagnostic
code (``payload-...``).
"""

from __future__ import annotations

from envspec.payloads._units import quantity_value
from envspec.payloads.models._build import (
    Build,
    DockerSource,
    GoogleSource,
    ImageSource,
    InstallScript,
)
from envspec.payloads.models._common import (
    BUILTIN_CATEGORIES,
    BUILTIN_POLICIES,
    DEFAULT_BOT_NAMES,
    PAYLOAD_VERSIONS,
)
from envspec.payloads.models._documents import (
    Compatibility,
    Deployment,
    ImageCompat,
    Payload,
    PayloadRef,
)
from envspec.payloads.models._lab import (
    EnvVar,
    KernelProvision,
    Lab,
    LabFile,
    Range,
    SecretRef,
    Size,
    Volume,
)
from envspec.payloads.models._tags import (
    BotName,
    BuiltinPolicy,
    CategoryFilter,
    Menu,
    Pin,
    RulesPolicy,
    SortKey,
    TagPolicy,
    TagRule,
)

__all__ = [
    "BUILTIN_CATEGORIES",
    "BUILTIN_POLICIES",
    "DEFAULT_BOT_NAMES",
    "PAYLOAD_VERSIONS",
    "BotName",
    "Build",
    "BuiltinPolicy",
    "CategoryFilter",
    "Compatibility",
    "Deployment",
    "DockerSource",
    "EnvVar",
    "GoogleSource",
    "ImageCompat",
    "ImageSource",
    "InstallScript",
    "KernelProvision",
    "Lab",
    "LabFile",
    "Menu",
    "Payload",
    "PayloadRef",
    "Pin",
    "Range",
    "RulesPolicy",
    "SecretRef",
    "Size",
    "SortKey",
    "TagPolicy",
    "TagRule",
    "Volume",
    "quantity_value",
]
