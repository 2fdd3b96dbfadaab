"""Vocabulary shared by the payload models: patterns, names, error helpers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from envspec.payloads import _paths

#: The ``payload_ver`` values this library reads.
PAYLOAD_VERSIONS = ("1.0",)

#: The built-in tag policies and the categories each one sorts tags into, in menu order.
BUILTIN_CATEGORIES: dict[str, tuple[str, ...]] = {
    # Nublado's menu order: release candidates after dailies.
    "rsp": ("alias", "release", "weekly", "daily", "candidate", "experimental", "unknown"),
    "semver": ("alias", "release", "prerelease", "unknown"),
    "calver": ("alias", "release", "prerelease", "unknown"),
}
BUILTIN_POLICIES = tuple(BUILTIN_CATEGORIES)

#: The names bots ask for when a payload says nothing (Nublado's ``image_class`` values).
DEFAULT_BOT_NAMES = ("recommended", "latest-release", "latest-weekly", "latest-daily")

NAME = r"^[a-z0-9]+([._-][a-z0-9]+)*$"
GROUP_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
DURATION = r"^[0-9]+[smhdw]$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
VERSION = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"
TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
HOST = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$"
REPOSITORY = r"^[a-z0-9]+([._/-][a-z0-9]+)*$"

Name = Annotated[str, StringConstraints(pattern=NAME, max_length=63)]
Category = Annotated[str, StringConstraints(pattern=NAME, max_length=63)]
Tag = Annotated[str, StringConstraints(pattern=TAG)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
RelPath = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
Count = Annotated[int, Field(ge=0)]


def _error(code: str, message: str, at: tuple[str | int, ...] = ()) -> PydanticCustomError:
    # The type of the error is its diagnostic code; the message is final text; *at* is
    # where below the validated value the problem is (the validator's pointer adds it).
    return PydanticCustomError(code, message, {"at": list(at)} if at else None)


def _relative(value: str) -> str:
    why = _paths.escape_reason(value)
    if why:
        raise _error("payload-path-escapes", f"{value!r} {why}")
    return value


Relative = Annotated[RelPath, AfterValidator(_relative)]


def _unique(values: list[Any], key: str, what: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(values):
        name = item if isinstance(item, str) else getattr(item, key, None)
        if name is None:
            continue
        if name in seen:
            raise _error(
                "payload-duplicate-name",
                f"{what} {name!r} appears twice (again at index {index}): names must be unique",
                (index,),
            )
        seen.add(name)
