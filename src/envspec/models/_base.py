"""Shared configuration of the envspec models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _tidy_properties(schema: dict[str, Any]) -> None:
    # Optional fields are omitted, never ``null``: drop the ``null`` branch and
    # the ``default: null`` pydantic writes for ``X | None = None``, and the
    # generated per-property titles (noise for schema readers).
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        branches = prop.get("anyOf")
        if prop.get("default", 0) is None and branches:
            rest = [b for b in branches if b != {"type": "null"}]
            del prop["anyOf"]
            del prop["default"]
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


def _close_object(schema: dict[str, Any]) -> None:
    # The schema of a version describes exactly that version: unknown keys are
    # an error there.  The models themselves keep unknown keys (``extra="allow"``)
    # so that a reader of a newer minor round-trips what it does not know.
    _tidy_properties(schema)
    schema["additionalProperties"] = False


def _open_object(schema: dict[str, Any]) -> None:
    _tidy_properties(schema)
    schema["additionalProperties"] = True


class Model(BaseModel):
    """Base of the 1.x models: strict types, unknown fields kept, closed schema.

    An optional field is omitted, never ``null`` (as the schema and the spec say).
    """

    model_config = ConfigDict(
        extra="allow",
        strict=True,
        frozen=True,
        populate_by_name=True,
        json_schema_extra=_close_object,
        use_attribute_docstrings=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _omitted_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if value is None and name in cls.model_fields:
                    raise ValueError(f"{name!r} is null: omit an optional field instead")
        return data

    def to_data(self) -> dict[str, Any]:
        """The JSON-compatible document, as written in notebook metadata."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class OpenModel(BaseModel):
    """Base of the legacy 0.1 models: loose, as 0.1 was in the wild."""

    model_config = ConfigDict(
        json_schema_extra=_open_object,
        extra="allow",
        strict=True,
        frozen=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )

    def to_data(self) -> dict[str, Any]:
        """The JSON-compatible document, with the original key spellings."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
