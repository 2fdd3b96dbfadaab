"""envspec's verdict on each requirements line against pip's own parser, line by line.

pip (a pinned release, downloaded as a wheel at test time and imported from it in a
subprocess: ``tests/pip_oracle.py``) judges every logical line of real-world
requirements files: pip-requirements-parser's test data and repo2docker's test
repositories.  Every line pip refuses, envspec refuses.  Every line envspec refuses
that pip accepts is one the standard forbids on purpose (a local path, an include, an
editable install) or one whose arguments pip silently drops (``--pre SomePackage``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import download_dir, pip_download
from envspec.checks.requirements import logical_lines
from envspec.validate import validate_environment

# Downloads a pinned pip wheel and runs its parser over two downloaded corpora.
pytestmark = pytest.mark.slow

#: The pip release whose parser is the reference (the newest when this was written).
PIP = "pip==26.3"
ORACLE = Path(__file__).with_name("pip_oracle.py")

#: Why envspec may refuse a line pip accepts: the code envspec reports for each.
ON_PURPOSE = {
    "requirement-local": "local path",
    "requirement-include": "include",
    "requirement-editable": "editable",
}


@pytest.fixture(scope="module")
def pip_wheel(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = download_dir(pytestconfig, tmp_path_factory, "envspec-pip-wheel")
    version = PIP.split("==")[1]
    wheels = sorted(cache.glob(f"pip-{version}-*.whl"))
    if not wheels:
        pip_download(PIP, cache, sdist=False)
        wheels = sorted(cache.glob(f"pip-{version}-*.whl"))
    return wheels[0]


def pip_verdicts(
    wheel: Path, files: list[Path], workdir: Path
) -> dict[str, list[tuple[int, str, str, str]]]:
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run(
        [sys.executable, str(ORACLE), *map(str, files)],
        cwd=workdir,  # an empty folder: no relative path exists
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return {k: [tuple(row) for row in v] for k, v in json.loads(result.stdout).items()}


def envspec_codes(text: str) -> dict[int, set[str]]:
    env = {"env_ver": "1.0", "files": {"requirements.txt": text}}
    found: dict[int, set[str]] = {}
    for d in validate_environment(env):
        if d.code.startswith("requirement-") and d.line is not None:
            found.setdefault(d.line, set()).add(d.code)
    return found


@pytest.fixture(scope="module")
def comparison(real_world_files, r2d_fixtures, pip_wheel, tmp_path_factory):
    files = [*real_world_files, *sorted(r2d_fixtures.rglob("requirements*.txt"))]
    verdicts = pip_verdicts(pip_wheel, files, tmp_path_factory.mktemp("empty"))
    rows = []
    for path in files:
        text = path.read_text("utf-8")
        ours = envspec_codes(text)
        for number, line, verdict, detail in verdicts[str(path)]:
            rows.append((path, number, line, verdict, detail, ours.get(number, set())))
    return rows


def test_both_corpora_are_compared(comparison, r2d_fixtures):
    assert len(comparison) > 800
    assert any(r2d_fixtures in row[0].parents for row in comparison)


def test_every_line_pip_refuses_envspec_refuses(comparison):
    missed = [
        (path.name, number, line, detail)
        for path, number, line, verdict, detail, ours in comparison
        if verdict == "error" and not ours
    ]
    assert missed == []


def test_envspec_refuses_what_pip_accepts_only_on_purpose(comparison):
    categories: Counter[str] = Counter()
    unexplained = []
    for path, number, line, verdict, detail, ours in comparison:
        if verdict == "error" or not ours:
            continue
        if verdict == "option" and detail and ours == {"requirement-invalid"}:
            categories["arguments pip drops"] += 1
        elif ours <= ON_PURPOSE.keys():
            categories.update(ON_PURPOSE[code] for code in ours)
        else:
            unexplained.append((path.name, number, line, verdict, sorted(ours)))
    assert unexplained == []
    assert categories["arguments pip drops"] > 0  # ``--pre SomePackage`` is in the corpus


@pytest.mark.parametrize(
    ("verdict", "code"), [("editable", "requirement-editable"), ("include", "requirement-include")]
)
def test_editables_and_includes_pip_reads_are_reported_as_such(comparison, verdict, code):
    codes = [ours for _, _, _, pips, _, ours in comparison if pips == verdict]
    assert codes
    assert all(ours == {code} for ours in codes)


def test_line_numbers_are_pips(comparison):
    # envspec's logical lines start where pip's do (continuations, comments, CR endings).
    by_file: dict[Path, set[int]] = {}
    for path, number, *_ in comparison:
        by_file.setdefault(path, set()).add(number)
    for path, numbers in by_file.items():
        ours = {number for number, _ in logical_lines(path.read_text("utf-8"))}
        assert ours == numbers, path.name
