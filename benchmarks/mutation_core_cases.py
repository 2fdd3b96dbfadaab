"""The only test of the mutation run: the conformance suite's core cases.

``benchmarks/mutation.py`` copies this file into its work folder as
``tests/test_core_cases.py``, beside ``core_cases.json`` (the ids of the core
cases that the unmutated reference adapter passes). Each case is one pytest
test, run in this process against ``envspec.conformance.reference:Adapter``
through the runner, as ``envspec conformance run`` and the pytest plugin run
it. One test per case lets the mutation tester run, for each mutant, only the
cases that reach the mutated function.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envspec.conformance.cases import load_cases
from envspec.conformance.runner import RunOptions, run_one
from envspec.conformance.transport import Transport, connect

IDS: list[str] = json.loads(Path(__file__).with_name("core_cases.json").read_text("utf-8"))
CASES = {c.id: c for c in load_cases() if c.id in set(IDS)}


@pytest.fixture(scope="session")
def adapter() -> Iterator[tuple[Transport, dict[str, Any]]]:
    transport = connect("python:envspec.conformance.reference:Adapter")
    hello = transport.start()
    yield transport, hello
    transport.close()


@pytest.mark.parametrize("case_id", IDS)
def test_core_case(case_id: str, adapter: tuple[Transport, dict[str, Any]], tmp_path: Path) -> None:
    transport, hello = adapter
    result = run_one(CASES[case_id], hello, transport, RunOptions(timeout=30.0), tmp_path / "w")
    assert result.status == "pass", result.details
