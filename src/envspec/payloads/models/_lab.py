"""Payload models: lab."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from envspec.models._base import Model
from envspec.models.v1_0 import (
    ENV_VAR_NAME,
    QUANTITY,
    Gpu,
)
from envspec.payloads._units import quantity_value
from envspec.payloads.models._common import (
    NAME,
    Name,
    NonEmpty,
    _error,
    _unique,
)

# --------------------------------------------------------------------- lab


class KernelProvision(Model):
    """How the image provides its Jupyter kernel."""

    method: Literal["ipykernel", "wrapper"]
    """``ipykernel``: ``python -m ipykernel install`` with ``python``; ``wrapper``: a kernel
    spec whose argv is ``wrapper`` (a script that sets up the stack, then runs the kernel)."""
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]
    """Kernel spec name."""
    display_name: NonEmpty | None = None
    """Name shown in the launcher."""
    python: NonEmpty | None = None
    """``ipykernel``: the interpreter (absolute path in the image, or a name on ``PATH``)."""
    wrapper: NonEmpty | None = None
    """``wrapper``: the absolute path of the wrapper script in the image."""

    @model_validator(mode="after")
    def _fields(self) -> Self:
        if self.method == "wrapper" and not self.wrapper:
            raise ValueError("method 'wrapper' needs wrapper: the script's path in the image")
        if self.method == "ipykernel" and self.wrapper:
            raise ValueError("wrapper is only for method 'wrapper'")
        return self


class SecretRef(Model):
    """A value read from a secret store at launch; the payload never holds the secret."""

    store: Annotated[str, StringConstraints(pattern=NAME)]
    """The name of the secret store the deployment configures (``vault``, ``k8s``)."""
    key: NonEmpty
    """The key inside the store (``nublado/butler-token``)."""


class EnvVar(Model):
    """An environment variable of the lab: a default value, required, or a secret reference."""

    value: str | None = None
    """The default value (not a secret: a secret-looking value is an error)."""
    required: bool | None = None
    """Whether the spawner must supply it (the lab does not start without it)."""
    secret: SecretRef | None = None
    """Read the value from a secret store."""
    description: NonEmpty | None = None
    """What the variable is for."""

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self.secret is not None and self.value is not None:
            raise ValueError("give value or secret, not both")
        return self


def _no_secret(value: str) -> str | None:
    from envspec.checks.secrets import may_find, scan_text, url_credentials

    if not may_find(value) and "://" not in value:
        return None
    for finding in scan_text(value, (), positions=False):
        return finding.message
    return url_credentials(value)


class LabFile(Model):
    """A file the spawner writes into the lab's container."""

    path: Annotated[str, StringConstraints(pattern=r"^/")]
    """Absolute path in the container."""
    content: str | None = None
    """The exact text (no secrets; use ``secret``)."""
    secret: SecretRef | None = None
    """Read the content from a secret store."""
    mode: Annotated[str, StringConstraints(pattern=r"^0?[0-7]{3}$")] | None = None
    """Octal permissions (``0644``)."""

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.content is None) == (self.secret is None):
            raise ValueError("give exactly one of content and secret")
        if self.content is not None:
            found = _no_secret(self.content)
            if found:
                raise _error(
                    "payload-secret-value",
                    f"the content of {self.path} looks like a secret ({found}): give it as "
                    "secret: {store, key}",
                )
        return self


class Range(Model):
    """A request and a limit of one resource, as Kubernetes has them."""

    request: Annotated[str, StringConstraints(pattern=QUANTITY)] | None = None
    """Guaranteed amount: cores (``0.5``) or bytes with a suffix (``4Gi``)."""
    limit: Annotated[str, StringConstraints(pattern=QUANTITY)] | None = None
    """Maximum amount; not below ``request``."""

    @model_validator(mode="after")
    def _order(self) -> Self:
        if (
            self.request
            and self.limit
            and quantity_value(self.limit) < quantity_value(self.request)
        ):
            raise _error(
                "payload-limit-below-request",
                f"limit {self.limit} is below request {self.request}",
            )
        return self


class Size(Model):
    """A machine size users choose from."""

    name: Name
    """Identifier (``small``); unique among the sizes."""
    title: NonEmpty | None = None
    """Name shown in the form (``Small (1 CPU, 4 GiB)``)."""
    cpu: Range
    """CPU cores."""
    memory: Range
    """Memory."""
    gpu: Gpu | None = None
    """Accelerators."""


class Volume(Model):
    """A volume mounted into the lab."""

    name: Name
    """Identifier; unique among the volumes."""
    mount_path: Annotated[str, StringConstraints(pattern=r"^/")]
    """Where it is mounted (absolute)."""
    source: Literal["nfs", "pvc", "host-path", "empty-dir"]
    """The kind of volume."""
    server: NonEmpty | None = None
    """``nfs``: the server."""
    path: NonEmpty | None = None
    """``nfs``/``host-path``: the exported or host path."""
    claim: NonEmpty | None = None
    """``pvc``: the persistent volume claim's name."""
    read_only: bool | None = None
    """Mounted read-only (default false)."""

    @model_validator(mode="after")
    def _fields(self) -> Self:
        needs = {"nfs": ("server", "path"), "pvc": ("claim",), "host-path": ("path",)}
        for field in needs.get(self.source, ()):
            if getattr(self, field) is None:
                raise ValueError(f"a {self.source} volume needs {field}")
        return self


class Lab(Model):
    """How the lab runs in the payload's images."""

    kernel: KernelProvision | None = None
    """How the kernel is provided."""
    start: Annotated[list[NonEmpty], Field(min_length=1)] | None = None
    """The lab's start command, as an argv list (``["/opt/lab/runlab.sh"]``)."""
    env: (
        Annotated[
            dict[str, EnvVar],
            Field(json_schema_extra={"propertyNames": {"pattern": ENV_VAR_NAME}}),
        ]
        | None
    ) = None
    """Environment variables of the lab, by name."""
    files: list[LabFile] | None = None
    """Files written into the container."""
    sizes: list[Size] | None = None
    """Machine sizes, in menu order."""
    default_size: Name | None = None
    """The size selected by default (one of ``sizes``; default the first)."""
    volumes: list[Volume] | None = None
    """Volumes mounted into the lab."""

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, EnvVar] | None) -> dict[str, EnvVar] | None:
        from envspec.checks.secrets import SECRET_NAME

        for name, var in (value or {}).items():
            if not re.search(ENV_VAR_NAME, name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
            if var.value is None:
                continue
            found = _no_secret(var.value)
            if not found and SECRET_NAME.search(name) and var.value.strip():
                found = f"a value given for {name}"
            if found:
                raise _error(
                    "payload-secret-value",
                    f"{name} looks like a secret ({found}): give it as secret: {{store, key}}",
                    (name, "value"),
                )
        return value

    @field_validator("sizes")
    @classmethod
    def _sizes(cls, value: list[Size] | None) -> list[Size] | None:
        _unique(value or [], "name", "size")
        return value

    @field_validator("volumes")
    @classmethod
    def _volumes(cls, value: list[Volume] | None) -> list[Volume] | None:
        _unique(value or [], "name", "volume")
        paths = [v.mount_path for v in value or []]
        _unique(paths, "", "mount path")
        return value

    @field_validator("files")
    @classmethod
    def _files(cls, value: list[LabFile] | None) -> list[LabFile] | None:
        _unique(value or [], "path", "file path")
        return value

    @model_validator(mode="after")
    def _default(self) -> Self:
        if self.default_size and self.default_size not in {s.name for s in self.sizes or ()}:
            raise ValueError(f"default_size {self.default_size!r} is not one of sizes")
        return self
