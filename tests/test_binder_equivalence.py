"""Binder builds an unpacked folder as it builds the original: repo2docker's own detection decides.

repo2docker's test repositories (every folder of its sdist's ``tests/`` with a
``verify`` file) are copied, a notebook is packed in each and unpacked into an
empty folder; repo2docker's buildpack detection, run in this process on both
folders, must pick the same buildpack.  Where pack reported a file that
repo2docker reads but an environment cannot carry (``setup.py``,
``DESCRIPTION``, ...), a difference is expected and must be explained to the
user by that report.

The sdist matching the installed repo2docker is downloaded at test time (the
fixtures are not ours to commit) and kept in pytest's cache, so reruns are
offline.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from envspec.pack import NOT_EMBEDDABLE, PackOutcome, pack_paths
from envspec.unpack import unpack_notebook
from envspec.vocabulary import FILES

pytestmark = [
    pytest.mark.slow,  # downloads repo2docker's sdist and runs its detection on 49 folders
    # repo2docker imports the old module path of python-json-logger, which warns on import;
    # nothing of it is used here (no logging happens in detection).
    pytest.mark.filterwarnings(
        "ignore:pythonjsonlogger.jsonlogger has been moved:DeprecationWarning"
    ),
]

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@pytest.fixture(scope="module")
def detect() -> Callable[[Path], type]:
    """repo2docker's buildpack choice for a folder, computed in-process (no Docker)."""
    from repo2docker.app import Repo2Docker
    from repo2docker.utils import chdir

    app = Repo2Docker()

    def choose(folder: Path) -> type:
        with chdir(str(folder)):  # detect() reads paths relative to the working directory
            for buildpack in app.buildpacks:
                if buildpack(base_image=app.base_image).detect():
                    return buildpack
        return app.default_buildpack

    return choose


def fixture_folders(root: Path) -> list[Path]:
    return sorted(path.parent for path in root.rglob("verify") if path.is_file())


@dataclass
class Case:
    name: str
    original: Path
    unpacked: Path
    outcome: PackOutcome

    @property
    def ignored(self) -> list[str]:
        collected = self.outcome.collected
        return [name for name, _ in collected.ignored] if collected is not None else []

    @property
    def unembeddable(self) -> list[str]:
        """Files repo2docker reads that pack reported it could not embed."""
        return [name for name in self.ignored if Path(name).name in NOT_EMBEDDABLE]


@pytest.fixture(scope="module")
def cases(r2d_fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    """Every fixture copied, packed (a new notebook in it) and unpacked into an empty folder."""
    work = tmp_path_factory.mktemp("cases")
    found: list[Case] = []
    for source in fixture_folders(r2d_fixtures):
        name = source.relative_to(r2d_fixtures).as_posix()
        original = work / name.replace("/", "__") / "repo"
        shutil.copytree(source, original, symlinks=True)
        notebook = original / "analysis.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
        nbformat.write(nb, notebook)
        [outcome] = pack_paths([notebook])
        assert outcome.status == "packed", (name, outcome.diagnostics)
        unpacked = original.parent / "unpacked"
        unpacking = unpack_notebook(notebook, unpacked)
        assert unpacking.ok, (name, unpacking.diagnostics)
        found.append(Case(name, original, unpacked, outcome))
    return found


def test_the_fixtures_are_there(cases):
    # repo2docker 2026.4 has 49; a broken download or extraction must not pass quietly.
    assert len(cases) >= 40
    names = {case.name for case in cases}
    assert {"venv/binder-dir", "conda/py35-binder-dir", "r/r-rspm-description-file"} <= names


def test_binder_picks_the_same_buildpack_for_the_unpacked_folder(cases, detect):
    matched: list[str] = []
    explained: list[str] = []
    unexplained: list[str] = []
    for case in cases:
        before, after = detect(case.original), detect(case.unpacked)
        if case.unembeddable:
            # The difference (if any) is explained by what pack reported.
            explained.append(f"{case.name}: {before.__name__} -> {after.__name__}")
        elif before is after:
            matched.append(case.name)
        else:
            unexplained.append(f"{case.name}: {before.__name__} -> {after.__name__}")
    summary = (
        f"{len(matched)} matched, {len(explained)} explained by an ignored file "
        f"({'; '.join(explained)}), {len(unexplained)} unexplained"
    )
    print(summary)
    assert unexplained == [], summary
    assert len(matched) + len(explained) == len(cases)
    assert len(matched) >= 40, summary


def test_what_binder_would_miss_is_reported(cases, detect):
    """Every fixture where Binder builds the unpacked folder differently names the reason."""
    differing = [case for case in cases if detect(case.original) is not detect(case.unpacked)]
    assert differing, "repo2docker's DESCRIPTION fixture should differ (R package, not carried)"
    for case in differing:
        assert case.unembeddable, case.name
        report = case.outcome.collected
        assert report is not None
        reasons = dict(report.ignored)
        for name in case.unembeddable:
            assert reasons[name] == NOT_EMBEDDABLE[Path(name).name]


def test_unpacked_files_are_the_original_bytes(cases):
    for case in cases:
        collected = case.outcome.collected
        assert collected is not None
        # What repo2docker reads: the binder folder when there is one, else the root.
        source = collected.folder
        expected = {
            name: (source / name).read_bytes() for name in FILES if (source / name).is_file()
        }
        assert expected.keys() == set((case.outcome.environment or {}).get("files", {})), case.name
        written = {p.name: p.read_bytes() for p in case.unpacked.iterdir()}
        assert written == expected, case.name
        for name in expected:
            executable = (case.unpacked / name).stat().st_mode & 0o111
            assert bool(executable) == FILES[name].executable, (case.name, name)


def test_a_binder_folder_is_what_is_packed(cases):
    by_name = {case.name: case for case in cases}
    case = by_name["venv/binder-dir"]
    assert case.outcome.collected is not None
    assert case.outcome.collected.folder == case.original / "binder"
    # The root's files are hidden by binder/ and reported as such.
    assert {"apt.txt", "environment.yml", "postBuild"} <= set(case.ignored)
    assert (case.unpacked / "requirements.txt").read_bytes() == (
        case.original / "binder" / "requirements.txt"
    ).read_bytes()
