"""A large embedded requirements.txt is checked in time linear in its size and in memory a
small multiple of it: the lines no rule reports are skipped in one pass of the regex
engine, never split into a list.  Verdicts and memory are asserted, never time."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from envspec.validate import validate_bytes


def _notebook(requirements: str) -> bytes:
    env = {"env_ver": "1.0", "files": {"requirements.txt": requirements}}
    return json.dumps(
        {"cells": [], "metadata": {"environment": env}, "nbformat": 4, "nbformat_minor": 5}
    ).encode()


def _pinned(size: int, *, newline: str = "\n") -> str:
    lines, total, i = [], 0, 0
    while total < size:
        line = f"package-{i}==1.{i % 100}.{i % 7}{newline}"
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


def _validated_with_peak(data: bytes) -> tuple[list[tuple[str, int | None]], int]:
    validate_bytes(_notebook("numpy\n"), "warm.ipynb")  # imports out of the measure
    tracemalloc.start()
    try:
        report = validate_bytes(data, "big.ipynb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return [(d.code, d.line) for d in report.diagnostics], peak


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_4_mb_requirements_file_is_checked_in_a_few_times_its_size(newline):
    text = _pinned(4_000_000, newline=newline)
    lines = text.count("\n")
    text += "./local-package\n" + "numpy=1.0\n"  # two faults at the very end
    data = _notebook(text)
    found, peak = _validated_with_peak(data)
    assert found == [("requirement-local", lines + 1), ("requirement-invalid", lines + 2)]
    # The notebook's bytes, the decoded text and a little more; each line was an object
    # of its own before (about 12 times the size).
    assert peak < 5 * len(data), f"peak {peak / len(data):.1f}x the notebook"


def test_requirements_with_hashes_and_continuations_stay_within_a_few_times_their_size():
    lines, total, i = [], 0, 0
    while total < 2_000_000:
        line = (
            f"package-{i}==1.{i % 100} \\\n    --hash=sha256:{i:064x} \\\n"
            f"    --hash=sha256:{i + 1:064x}\n    # via parent-{i}\n"
        )
        lines.append(line)
        total += len(line)
        i += 1
    data = _notebook("".join(lines))
    found, peak = _validated_with_peak(data)
    assert found == []
    assert peak < 7 * len(data), f"peak {peak / len(data):.1f}x the notebook"
