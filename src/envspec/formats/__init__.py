"""Conversions between envspec environments and the formats people already use.

Each format is one module with one :class:`Format` subclass, registered by name in
:mod:`envspec.formats._registry`.  Readers and writers are pure; :mod:`envspec.formats.io`
reads and writes files.  Every conversion says, as diagnostics with codes, what it could
not carry over: nothing is dropped silently.

>>> from envspec.formats import format_names
>>> "envspec" in format_names()
True
"""

from __future__ import annotations

from envspec.formats._base import Converted, Document, Format, Options, Source
from envspec.formats._registry import (
    FORMATS,
    UnknownFormat,
    format_help,
    format_names,
    get_format,
)

__all__ = [
    "FORMATS",
    "Converted",
    "Document",
    "Format",
    "Options",
    "Source",
    "UnknownFormat",
    "format_help",
    "format_names",
    "get_format",
]
