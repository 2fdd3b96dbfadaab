"""juv notebooks: the block in a code cell, juv's ``uv.lock`` metadata; notebooks made by
the real ``juv init`` / ``juv add`` / ``juv lock`` (offline, a local index), and juv's own
reader and ``juv export`` reading what envspec writes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from envspec.cli.main import main
from packages import wheel

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "formats" / "juv" / "analysis.ipynb"
JUV = str(Path(sys.executable).with_name("juv"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def juv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_PYTHON": sys.executable,
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [JUV, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def juv_block(notebook: dict) -> dict:
    """The block as juv reads it: its first code cell with a block, its own parser."""
    from juv._pep723 import includes_inline_metadata, parse_inline_script_metadata

    cell = next(
        c
        for c in notebook["cells"]
        if c["cell_type"] == "code" and includes_inline_metadata("".join(c["source"]))
    )
    toml = parse_inline_script_metadata("".join(cell["source"]))
    assert toml is not None
    return tomllib.loads(toml)


ENVSPEC_NOTEBOOK = """{
 "cells": [
  {
   "cell_type": "markdown",
   "id": "intro",
   "metadata": {},
   "source": [
    "# Title \\u00e9\\n",
    "text"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "work",
   "metadata": {"tags": ["x"]},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1\\n"]}],
   "source": ["print(1)"]
  }
 ],
 "metadata": {
  "environment": {
   "env_ver": "1.0",
   "python": "3.12",
   "files": {
    "requirements.txt": "numpy>=1.26  # arrays\\n"
   }
  },
  "kernelspec": {
   "display_name": "Python 3",
   "language": "python",
   "name": "python3"
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
"""


def test_export_inserts_a_hidden_block_cell_and_keeps_every_other_byte(tmp_path):
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text(ENVSPEC_NOTEBOOK)
    status, out, _ = run("export", "--to", "juv", str(notebook), "-o", f"{tmp_path / 'out'}/")
    assert status == 0, out
    written = (tmp_path / "out" / "analysis.ipynb").read_text()
    # everything but the new first cell is the original text
    first = ENVSPEC_NOTEBOOK.index('  {\n   "cell_type": "markdown"')
    inserted = written[: len(written) - (len(ENVSPEC_NOTEBOOK) - first)]
    assert written[len(inserted) :] == ENVSPEC_NOTEBOOK[first:]
    data = json.loads(written)
    cell = data["cells"][0]
    assert cell["metadata"] == {"jupyter": {"source_hidden": True}}
    assert cell["id"] == "pep723-script"
    assert data["metadata"]["environment"]["python"] == "3.12"  # envspec metadata kept
    assert juv_block(data) == {"requires-python": "==3.12.*", "dependencies": ["numpy>=1.26"]}
    assert '#     "numpy>=1.26",  # arrays\n' in "".join(cell["source"])
    import nbformat

    nbformat.validate(nbformat.reads(written, as_version=4))
    # a second export changes no byte; exporting the result updates its cell in place
    again = run("export", "--to", "juv", str(notebook), "-o", f"{tmp_path / 'out'}/")
    assert "unchanged" in again[1]
    status, out, _ = run("export", "--to", "juv", str(tmp_path / "out" / "analysis.ipynb"),
                         "-o", f"{tmp_path / 'again'}/")  # fmt: skip
    assert status == 0, out
    assert (tmp_path / "again" / "analysis.ipynb").read_text() == written


def test_export_updates_the_block_cell_of_a_juv_notebook_in_place(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    notebook.write_bytes(EXAMPLE.read_bytes())
    env = tmp_path / "env.envspec.yaml"
    env.write_text('env_ver: "1.0"\npython: "3.11"\nfiles:\n  requirements.txt: "scipy\\n"\n')
    assert run("import", "--from", "envspec", str(env), "-o", str(notebook))[0] == 0
    before = notebook.read_text()
    status, out, _ = run("export", "--to", "juv", str(notebook), "-o", str(notebook), "--force")
    assert status == 0, out
    after = notebook.read_text()
    data = json.loads(after)
    assert len(data["cells"]) == 2
    assert juv_block(data) == {"requires-python": "==3.11.*", "dependencies": ["scipy"]}
    old = json.loads(before)
    assert data["cells"][1] == old["cells"][1]
    assert after.count("\n") == before.count("\n") - 1  # two dependency lines became one
    second = before.index('"id": "e5f6a7b8"')
    assert after.endswith(before[second:])  # the other cell and the metadata: same bytes


def test_the_example_round_trips(tmp_path):
    status, out, _ = run("import", "--from", "juv", str(EXAMPLE), "-o",
                         str(tmp_path / "a.envspec.json"))  # fmt: skip
    assert status == 0, out
    first = json.loads((tmp_path / "a.envspec.json").read_text())
    assert first["files"]["requirements.txt"] == "numpy>=1.26\nmatplotlib>=3.8  # plots\n"
    status, out, _ = run("export", "--to", "juv", str(tmp_path / "a.envspec.json"), "-o",
                         f"{tmp_path}/")  # fmt: skip
    assert status == 0, out
    status, out, _ = run("import", "--from", "juv", str(tmp_path / "notebook.ipynb"), "-o",
                         str(tmp_path / "b.envspec.json"))  # fmt: skip
    assert status == 0, out
    assert json.loads((tmp_path / "b.envspec.json").read_text()) == first


def _cells(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": kind, "metadata": {}, "source": source}
                | ({"outputs": [], "execution_count": None} if kind == "code" else {})
                for kind, source in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 4,
        }
    )


@pytest.mark.parametrize(
    ("cells", "code", "where"),
    [
        ([("markdown", "# /// script\n# dependencies = []\n# ///")], "pep723-misplaced",
         "#/cells/0/source:1:"),
        ([("code", "# /// script\n# ///"), ("code", "x = 1\n# /// script\n# ///")],
         "pep723-two-blocks", "#/cells/1/source"),
        ([("code", "import os"), ("code", "# /// script\n# dependencies = [\n# ///")],
         "pep723-toml", "#/cells/1/source:3:"),
        ([("code", "# /// script\n# dependencies = []\n")], "pep723-unclosed",
         "#/cells/0/source:1:1:"),
        ([("code", "import os")], "pep723-missing", "#/cells"),
    ],
)  # fmt: skip
def test_bad_juv_notebooks_fail_with_cell_and_line_and_write_nothing(tmp_path, cells, code, where):
    notebook = tmp_path / "bad.ipynb"
    notebook.write_text(_cells(*cells))
    target = tmp_path / "out.ipynb"
    status, out, _ = run("import", "--from", "juv", str(notebook), "-o", str(target))
    assert status == 1
    assert f"error[{code}]" in out
    assert f"{notebook}{where}" in out
    assert "nothing was written" in out
    assert not target.exists()


def test_a_lock_that_is_not_a_uv_lock_is_reported_and_not_carried(tmp_path):
    notebook = tmp_path / "nb.ipynb"
    data = json.loads(EXAMPLE.read_text())
    data["metadata"]["uv.lock"] = "not = [toml"
    notebook.write_text(json.dumps(data))
    status, out, err = run("import", "--from", "juv", str(notebook))
    assert status == 0
    assert "warning[juv-lock-invalid]" in err
    assert "extensions" not in out


@pytest.mark.slow
def test_notebooks_made_by_juv_init_add_and_lock_import_and_export_back(tmp_path):
    # A local index: juv add and juv lock resolve against it with the network off.
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    built = wheel(wheels, "tinyalpha", "1.0")
    simple = tmp_path / "simple" / "tinyalpha"
    simple.mkdir(parents=True)
    (simple / "index.html").write_text(f'<a href="{built.as_uri()}">{built.name}</a>\n')
    index = (tmp_path / "simple").as_uri()

    done = juv("init", "made.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    status, out, err = run("import", "--from", "juv", str(tmp_path / "made.ipynb"))
    assert status == 0, out + err
    assert f"python: '3.{sys.version_info[1]}'" in out  # juv init writes '>=3.X'

    done = juv("add", "made.ipynb", "tinyalpha", "--index", index, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = juv("lock", "made.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    made = json.loads((tmp_path / "made.ipynb").read_text())
    lock = made["metadata"]["uv.lock"]

    env = tmp_path / "made.envspec.json"
    status, out, err = run("import", "--from", "juv", str(tmp_path / "made.ipynb"), "-o", str(env))
    assert status == 0, out + err
    imported = json.loads(env.read_text())
    assert imported["files"]["requirements.txt"].splitlines()[-1] == "tinyalpha>=1.0"
    assert imported["extensions"] == {"juv": {"uv.lock": lock}}

    out_dir = tmp_path / "out"
    status, out, _ = run("export", "--to", "juv", str(env), "-o", f"{out_dir}/")
    assert status == 0, out
    exported = json.loads((out_dir / "notebook.ipynb").read_text())
    assert exported["metadata"]["uv.lock"] == lock
    assert juv_block(exported)["dependencies"] == ["tinyalpha>=1.0"]
    # juv's own export reads our notebook (its block and its lock) and uv resolves it
    done = juv("export", "notebook.ipynb", cwd=out_dir)
    assert done.returncode == 0, done.stderr
    assert "tinyalpha==1.0" in done.stdout


def test_a_lock_made_for_other_dependencies_is_exported_with_a_warning(tmp_path):
    lock = (
        'version = 1\nrequires-python = ">=3.12"\n\n'
        '[manifest]\nrequirements = [{ name = "Numpy" }]\n'
    )
    env = {
        "env_ver": "1.0",
        "files": {"requirements.txt": "numpy\nscipy\n"},
        "extensions": {"juv": {"uv.lock": lock}},
    }
    source = tmp_path / "a.envspec.json"
    source.write_text(json.dumps(env))
    status, out, err = run("export", "--to", "juv", str(source), "-o", f"{tmp_path}/")
    assert status == 0, out
    assert "warning[juv-lock-stale]" in out + err
    assert "not locked: scipy" in out + err
    written = json.loads((tmp_path / "notebook.ipynb").read_text())
    assert written["metadata"]["uv.lock"] == lock  # kept as juv wrote it
    assert written["metadata"]["kernelspec"]["name"] == "python3"
    assert written["metadata"]["environment"] == env
    env["files"]["requirements.txt"] = "numpy>=2  # same name\n"
    source.write_text(json.dumps(env))
    status, out, err = run("export", "--to", "juv", str(source), "-o", f"{tmp_path}/o2/")
    assert status == 0
    assert "juv-lock-stale" not in out + err


def test_export_onto_another_juv_notebook_updates_its_block_cell_only(tmp_path):
    target = tmp_path / "made.ipynb"
    target.write_bytes(EXAMPLE.read_bytes())
    notebook = tmp_path / "analysis.ipynb"
    notebook.write_text(ENVSPEC_NOTEBOOK)
    status, out, _ = run("export", "--to", "juv", str(notebook), "-o", str(target))
    assert status == 0, out
    data = json.loads(target.read_text())
    assert juv_block(data)["dependencies"] == ["numpy>=1.26"]
    assert len(data["cells"]) == 2
    assert data["cells"][1] == json.loads(EXAMPLE.read_text())["cells"][1]
    assert "environment" not in data["metadata"]  # the target's own metadata is kept
