"""Kubernetes-style quantities (``2``, ``1.5``, ``8Gi``, ``4G``) as numbers."""

from __future__ import annotations

import re

__all__ = ["quantity_value"]

_SUFFIX = {
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


def quantity_value(text: str) -> float:
    """A quantity (``512Mi``, ``2G``, ``1.5``) in base units."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", text)
    if not match:
        raise ValueError(f"{text!r} is not a quantity")
    return float(match[1]) * _SUFFIX.get(match[2], 1)
