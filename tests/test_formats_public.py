"""Real files from public projects go through import with no traceback: an environment,
or precise diagnostics.

The source distributions are downloaded from PyPI at test time (its JSON API, checked
against the published sha256) into pytest's cache, never committed; their files are read
from the archives in memory, never unpacked to disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from envspec.cli.main import main

pytestmark = pytest.mark.slow

#: name, version: source distributions that carry pyproject.toml files with extras and
#: PEP 735 groups, a Poetry project, and (xarray) pixi manifests and conda files.
SDISTS = [
    ("attrs", "26.1.0"),
    ("pydantic", "2.14.4"),
    ("geopandas", "1.2.0"),
    ("rich", "15.0.0"),
    ("xarray", "2026.9.0"),
]
_WANTED = re.compile(
    r"(^|/)(pyproject\.toml|pixi\.toml|environment\.ya?ml|requirements[^/]*\.txt)$"
)


def _download(name: str, version: str, cache: Path) -> Path:
    index = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(index, timeout=60) as response:
        project = json.load(response)
    sdist = next(u for u in project["releases"][version] if u["packagetype"] == "sdist")
    target = cache / sdist["filename"]
    digest = sdist["digests"]["sha256"]
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
        return target
    url = urllib.parse.urljoin(index, sdist["url"])  # some indexes give relative URLs
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        data = response.read()
    assert hashlib.sha256(data).hexdigest() == digest
    target.write_bytes(data)
    return target


@pytest.fixture(scope="module")
def public_files(request, tmp_path_factory) -> dict[str, bytes]:
    """``project/path`` -> bytes of every interesting file of the sdists."""
    cache = Path(request.config.cache.mkdir("envspec-public-sdists"))
    files: dict[str, bytes] = {}
    for name, version in SDISTS:
        archive = _download(name, version, cache)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                path = member.name.split("/", 1)[-1]
                if member.isfile() and _WANTED.search(path) and member.size < 1_000_000:
                    handle = tar.extractfile(member)
                    assert handle is not None
                    files[f"{name}/{path}"] = handle.read()
    return files


def _import(tmp_path: Path, key: str, data: bytes, fmt: str, *args: str) -> tuple[int, list]:
    folder = tmp_path / key.replace("/", "__")
    folder.mkdir(exist_ok=True)
    source = folder / key.rsplit("/", 1)[-1]
    source.write_bytes(data)
    notebook = folder / "imported.ipynb"
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["import", "--from", fmt, str(source), *args, "-o", str(notebook), "--format", "json"],
        stdout=out,
        stderr=err,
    )
    assert "Traceback" not in out.getvalue() + err.getvalue()
    diagnostics = json.loads(out.getvalue())
    assert status in {0, 1}
    if status == 0:
        assert notebook.exists()
        document = json.loads(notebook.read_text())
        assert document["metadata"]["environment"]["env_ver"] == "1.0"
    else:
        assert not notebook.exists(), "a failed import writes nothing"
        assert any(d["severity"] == "error" for d in diagnostics)
    for diagnostic in diagnostics:
        assert diagnostic["code"]
        assert diagnostic["message"]
        assert diagnostic["hint"]
    return status, diagnostics


def test_every_public_file_imports_without_a_traceback(public_files, tmp_path):
    seen = {"pyproject.toml": 0, "pixi.toml": 0, "conda": 0, "requirements": 0}
    outcomes: dict[str, tuple[int, set[str]]] = {}
    for key, data in sorted(public_files.items()):
        if key.endswith("pyproject.toml"):
            document = tomllib.loads(data.decode())
            extras = (
                ["--extra", "all"]
                if document.get("project", {}).get("optional-dependencies")
                else []
            )
            groups = [a for g in document.get("dependency-groups", {}) for a in ("--group", g)]
            status, found = _import(tmp_path, key, data, "pyproject", *extras, *groups)
            seen["pyproject.toml"] += 1
            if "pixi" in document.get("tool", {}):
                _import(tmp_path, key + ".pixi", data, "pixi")
        elif key.endswith("pixi.toml"):
            document = tomllib.loads(data.decode())
            status, found = _import(tmp_path, key, data, "pixi")
            for environment in document.get("environments", {}):
                _import(
                    tmp_path, f"{key}.{environment}", data, "pixi", "--environment", environment
                )
            seen["pixi.toml"] += 1
        elif key.endswith((".yml", ".yaml")):
            status, found = _import(tmp_path, key, data, "conda")
            seen["conda"] += 1
        else:
            status, found = _import(tmp_path, key, data, "requirements")
            seen["requirements"] += 1
        outcomes[key] = (status, {d["code"] for d in found})
    assert seen["pyproject.toml"] >= 5
    assert seen["pixi.toml"] >= 2
    assert seen["conda"] >= 2
    # What the files are known to hold:
    assert outcomes["rich/pyproject.toml"] == (1, {"pyproject-no-project"})  # Poetry
    assert outcomes["xarray/pyproject.toml"][0] == 0
    assert outcomes["xarray/ci/recipe/pixi.toml"][0] == 1  # only a pixi-build package
    assert "pixi-nothing-mappable" in outcomes["xarray/ci/recipe/pixi.toml"][1]
    assert outcomes["xarray/pixi.toml"][0] == 0
    assert outcomes["xarray/.binder/environment.yml"][0] == 0


def test_pep_735_groups_of_public_projects_match_the_reference_resolver(public_files, tmp_path):
    import dependency_groups

    checked = 0
    for key, data in sorted(public_files.items()):
        if not key.endswith("pyproject.toml"):
            continue
        document = tomllib.loads(data.decode())
        groups = document.get("dependency-groups", {})
        for group in groups:
            status, _ = _import(tmp_path, f"{key}.{group}", data, "pyproject", "--group", group)
            assert status == 0
            notebook = tmp_path / f"{key}.{group}".replace("/", "__") / "imported.ipynb"
            environment = json.loads(notebook.read_text())["metadata"]["environment"]
            got = environment.get("files", {}).get("requirements.txt", "").splitlines()
            base = document["project"].get("dependencies", [])
            resolved = list(dependency_groups.resolve(groups, group))
            name = re.sub(r"[-_.]+", "-", document["project"]["name"]).lower()
            own = re.compile(rf"{re.escape(name)}(?![a-z0-9-])")
            if any(own.match(re.sub(r"[-_.]+", "-", r).lower()) for r in resolved):
                continue  # a self-reference: replaced by the extras (tested on its own)
            assert got == list(dict.fromkeys(r.strip() for r in [*base, *resolved])), (key, group)
            checked += 1
    assert checked >= 5
