"""The deploy-handler API's models (pydantic): the single source of its OpenAPI description.

Requests are validated with these models (unknown fields are refused); responses are
built from them.  ``schemas/deploy-api-1.0.openapi.json`` is generated from them by
:mod:`envspec.service.openapi` and a test keeps the two equal.

- ``POST /api/v1/deployments`` takes :class:`CreateDeployment` and answers 201 with a
  :class:`Deployment` (and ``Location``).
- ``GET /api/v1/deployments`` answers :class:`DeploymentList` (the caller's only).
- ``GET|DELETE /api/v1/deployments/{id}``: :class:`Deployment` / 204.
- ``GET /api/v1/deployments/{id}/log``: server-sent events, ``log`` (:class:`LogLine`)
  and ``status`` (:class:`Deployment`).
- ``POST /api/v1/deployments/{id}/push`` takes :class:`PushRequest`, answers :class:`PushResult`.
- Errors are :class:`Problem` (``application/problem+json``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "API_VERSION",
    "TERMINAL",
    "CreateDeployment",
    "Deployment",
    "DeploymentError",
    "DeploymentList",
    "GitSource",
    "Health",
    "LogLine",
    "NotebookSource",
    "Problem",
    "PushRequest",
    "PushResult",
    "Source",
    "Status",
    "Versions",
]

API_VERSION = "1.0"

Status = Literal["queued", "fetching", "building", "launching", "ready", "failed", "stopped"]
#: Statuses a deployment never leaves by itself (the log stream ends on one of them).
TERMINAL: frozenset[str] = frozenset({"ready", "failed", "stopped"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GitSource(_Model):
    """A notebook in a git repository."""

    type: Literal["git"]
    url: str = Field(
        min_length=1,
        max_length=2048,
        description="https:// (ssh:// when the service allows it); never credentials",
        examples=["https://github.com/my-lab/analysis.git"],
    )
    ref: str | None = Field(
        default=None,
        max_length=255,
        description="A branch, tag or commit (default: the repository's default branch)",
    )
    path: str | None = Field(
        default=None,
        max_length=1024,
        description="The notebook, relative to the repository's top (default: the only "
        "notebook at the top, else index.ipynb)",
        examples=["notebooks/analysis.ipynb"],
    )


class NotebookSource(_Model):
    """An uploaded notebook document (its environment embedded in its metadata)."""

    type: Literal["notebook"]
    name: str = Field(
        min_length=1,
        max_length=255,
        description="A file name ending in .ipynb",
        examples=["analysis.ipynb"],
    )
    notebook: dict[str, Any] = Field(description="The nbformat 4 JSON document")


Source = Annotated[GitSource | NotebookSource, Field(discriminator="type")]


class CreateDeployment(_Model):
    """The body of ``POST /api/v1/deployments``."""

    source: Source


class DeploymentError(_Model):
    """Why a deployment failed."""

    code: str = Field(description="A kebab-case slug", examples=["notebook-not-found"])
    detail: str


class Deployment(_Model):
    """One deployment: a notebook being made ready, or ready."""

    id: str
    owner: str
    status: Status
    source: Source = Field(description="The source as sent (credentials stripped)")
    created: datetime
    updated: datetime
    url: str | None = Field(default=None, description="The notebook's URL, when ready")
    error: DeploymentError | None = None
    environment_key: str | None = Field(
        default=None, description="The content hash the environment is cached by"
    )
    commit: str | None = Field(default=None, description="The commit, for a git source")


class DeploymentList(_Model):
    """The caller's deployments, newest first."""

    items: list[Deployment]


class LogLine(_Model):
    """One ``log`` event of the log stream (its SSE ``id`` is the line's number)."""

    phase: Status
    line: str


class PushRequest(_Model):
    """The body of ``POST /api/v1/deployments/{id}/push`` (both fields optional)."""

    branch: str | None = Field(default=None, max_length=200, pattern=r"^[A-Za-z0-9._/-]+$")
    message: str | None = Field(default=None, max_length=10000)


class PushResult(_Model):
    """Where the session's changes went."""

    remote: str = Field(description="The origin's URL, without credentials")
    branch: str
    commit: str


class Problem(_Model):
    """An error (RFC 9457 problem details)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str = Field(description="A kebab-case slug", examples=["forbidden-url"])


class Health(_Model):
    ok: bool
    deployments: int = Field(description="Deployments that are not stopped or failed")
    builds: int = Field(description="Builds running now")


class Versions(_Model):
    envspec: str
    api: str = API_VERSION
