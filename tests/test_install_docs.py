"""The install instructions a new user reads work with what is published.

envspec is not on PyPI: no page may tell users to ``pip install envspec`` by name
(CI builds the wheel and installs it, see ``.ci/wheel-check``)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT

# `pip install envspec`, `pip install 'envspec[jupyter]'`, `pip install "envspec==1.0"`:
# a requirement on the name alone, which only an index could satisfy.
_BY_NAME = re.compile(
    r"""pip install[^\n#]*?\s(['"]?)envspec(?:\[[^\]]*\])?(?:[=<>~!][^'"\s]*)?\1(?!\s*@)(?:\s|$)"""
)


def _pages() -> list:
    return [
        REPO_ROOT / "README.md",
        *sorted((REPO_ROOT / "docs").rglob("*.md")),
        *sorted((REPO_ROOT / "spec").rglob("*.md")),
    ]


def test_no_page_installs_envspec_from_an_index():
    found = [
        f"{page.relative_to(REPO_ROOT)}: {match.group(0).strip()}"
        for page in _pages()
        for match in _BY_NAME.finditer(page.read_text("utf-8"))
    ]
    assert found == []


def test_the_pattern_catches_the_install_lines_that_cannot_work():
    for bad in (
        "pip install 'envspec[jupyter]'\n",
        "pip install envspec\n",
        'python -m pip install "envspec==1.0"\n',
        "RUN pip install --no-cache-dir 'envspec[jupyter]'\n",
    ):
        assert _BY_NAME.search(bad), bad
    for good in (
        "pip install '.[jupyter]'\n",
        "pip install 'envspec[jupyter] @ git+https://REPOSITORY-URL@TAG'\n",
        "pip install 'dist/envspec-VERSION-py3-none-any.whl[jupyter]'\n",
        "pip install -e '.[test,docs]'\n",
    ):
        assert not _BY_NAME.search(good), good


def test_the_ci_installs_the_built_wheel():
    ci = (REPO_ROOT / ".ci" / "run").read_text("utf-8")
    assert ".ci/wheel-check" in ci
    check = (REPO_ROOT / ".ci" / "wheel-check").read_text("utf-8")
    assert "python -m build" in check
    assert "-e" not in re.findall(r'pip" install (\S+)', check)
    assert "conformance run" in check
