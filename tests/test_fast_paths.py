"""The parser-free fast paths accept only what the real parsers accept.

`envspec validate` skips importing ``packaging`` and ``rattler`` for the common
shapes of requirements and conda specs.  These properties generate strings from
the fast paths' own grammars and check each one with the real parser.
"""

from __future__ import annotations

import rattler
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement

from envspec.checks.conda import SIMPLE_SPEC
from envspec.checks.requirements import SIMPLE_REQUIREMENT


@settings(max_examples=400, deadline=None)
@given(st.from_regex(SIMPLE_REQUIREMENT, fullmatch=True))
def test_every_simple_requirement_is_valid_pep_508(line: str) -> None:
    Requirement(line)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(SIMPLE_SPEC, fullmatch=True))
def test_every_simple_conda_spec_is_a_valid_matchspec(spec: str) -> None:
    rattler.MatchSpec(spec)


def test_the_fast_paths_cover_the_common_shapes() -> None:
    for line in ["numpy", "numpy==2.1.0", "pandas>=2,<3", "requests[socks]~=2.31", "x==1.*"]:
        assert SIMPLE_REQUIREMENT.fullmatch(line), line
    for spec in ["numpy", "python=3.11", "numpy>=1.26,<2", "scipy==1.11.4", "python=3.10.*"]:
        assert SIMPLE_SPEC.fullmatch(spec), spec
    # What needs the real parsers is left to them.
    for line in ["numpy; python_version<'3.9'", "pkg @ https://example.com/p.whl", "a===1"]:
        assert not SIMPLE_REQUIREMENT.fullmatch(line), line
    for spec in ["conda-forge::numpy", "numpy=1.2=py_0", "numpy[version='>1']"]:
        assert not SIMPLE_SPEC.fullmatch(spec), spec
