"""PEP 723 scripts (``script``, ``marimo``): the block rules, the mapping both ways, bad
input, and uv reading what the export writes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envspec.cli.main import main
from envspec.formats.pep723 import Block, BlockProblem, find_script_block, replace_block
from envspec.formats.pep723_env import block_environment, environment_block
from packages import wheel

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "formats"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def uv_env() -> dict[str, str]:
    return {**os.environ, "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    from uv import find_uv_bin

    return subprocess.run(
        [find_uv_bin(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=uv_env(),
        timeout=120,
        check=False,
    )


# ------------------------------------------------------------------ the block rules


def test_the_pep_example_with_inner_closing_lines_is_one_block():
    # From the specification: '# ///' closes only when the next line is not content.
    text = (
        "# /// script\n"
        '# embedded-csharp = """\n'
        "# /// <summary>\n"
        "# /// text\n"
        "# ///\n"
        "# /// </summary>\n"
        "# public class MyClass { }\n"
        '# """\n'
        "# ///\n"
    )
    found = find_script_block(text)
    assert isinstance(found, Block)
    assert (found.start, found.end) == (1, 9)
    assert found.toml.startswith('embedded-csharp = """\n/// <summary>\n')


def test_content_lines_lose_their_first_two_characters_and_crlf_is_read():
    text = "#!/usr/bin/env python\r\n# /// script\r\n#\r\n# dependencies = ['a']\r\n# ///\r\n"
    found = find_script_block(text)
    assert isinstance(found, Block)
    assert found.toml == "\ndependencies = ['a']\n"
    assert found.start == 2


def test_other_block_types_are_not_read_and_a_block_may_follow_code():
    text = "# /// pyproject\n# x = 1\n# ///\nimport os\n# /// script\n# dependencies = []\n# ///\n"
    found = find_script_block(text)
    assert isinstance(found, Block)
    assert found.start == 5


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ('# /// script\n# dependencies = ["a"]\nimport a\n', "pep723-unclosed", 1),
        ('# /// script\n# dependencies = ["a"]\n', "pep723-unclosed", 1),
        ("x = 1\n# /// script\n# ///\n\n# /// script\n# ///\n", "pep723-two-blocks", 5),
        ("# /// script\n# ///\n# /// script\n# ///\n", "pep723-nested", 3),
        ('s = """\n# /// script\n# dependencies = []\n# ///\n"""\n', "pep723-misplaced", 2),
        ("def f():\n    pass\n# /// script\n# ///\n", None, None),
    ],
)
def test_bad_blocks_are_named_with_their_line(text, code, line):
    found = find_script_block(text)
    if code is None:
        assert isinstance(found, Block)
        return
    assert isinstance(found, BlockProblem)
    assert found.code == code
    assert found.line == line


def test_no_block_is_none():
    assert find_script_block("import os\n# ///\n") is None


def test_replace_block_keeps_every_other_byte():
    text = '#!/usr/bin/env python\n# /// script\n# dependencies = ["a"]\n# ///\nprint(1)\n'
    new = replace_block(text, '# /// script\n# dependencies = ["b"]\n# ///\n')
    assert new == '#!/usr/bin/env python\n# /// script\n# dependencies = ["b"]\n# ///\nprint(1)\n'
    fresh = replace_block("#!/usr/bin/env python\nprint(1)\n", "# /// script\n# ///\n")
    assert fresh == "#!/usr/bin/env python\n# /// script\n# ///\n\nprint(1)\n"


# ------------------------------------------------------------------ the mapping


def _map(toml: str):
    return block_environment(Block(toml, 1, toml.count("\n") + 2))


def test_dependencies_keep_order_and_comments():
    mapped = _map(
        'requires-python = "==3.12.*"\n'
        "dependencies = [\n"
        "    # numerics\n"
        '    "numpy>=1.26",\n'
        "    'pandas',  # frames\n"
        "    # the end\n"
        "]\n"
    )
    assert mapped.losses == ()
    assert mapped.environment == {
        "env_ver": "1.0",
        "python": "3.12",
        "files": {"requirements.txt": "# numerics\nnumpy>=1.26\npandas  # frames\n# the end\n"},
    }


@pytest.mark.parametrize(
    ("spec", "pin", "warned"),
    [
        ("==3.12.*", "3.12", False),
        ("==3.12.4", "3.12.4", False),
        (">=3.12,<3.13", "3.12", False),
        ("~=3.11.0", "3.11", False),
        (">=3.10", "3.10", True),
        (">=3.10,<3.12", "3.10", True),
    ],
)
def test_requires_python_becomes_the_pin(spec, pin, warned):
    mapped = _map(f'requires-python = "{spec}"\n')
    assert mapped.environment is not None
    assert mapped.environment["python"] == pin
    assert [loss.code for loss in mapped.losses] == (["pep723-python-range"] if warned else [])


def test_uv_indexes_become_requirement_options_and_other_settings_are_reported():
    mapped = _map(
        'dependencies = ["a"]\n'
        "[tool.uv]\n"
        'exclude-newer = "2025-01-01T00:00:00Z"\n'
        'find-links = ["https://example.org/links"]\n'
        "prerelease = 'allow'\n"
        "[[tool.uv.index]]\n"
        'url = "https://example.org/simple"\n'
        "default = true\n"
        "[[tool.uv.index]]\n"
        'url = "https://example.org/extra"\n'
        "[tool.ruff]\n"
        "line-length = 100\n"
    )
    assert mapped.environment is not None
    assert mapped.environment["files"]["requirements.txt"] == (
        "--index-url https://example.org/simple\n"
        "--extra-index-url https://example.org/extra\n"
        "--find-links https://example.org/links\n"
        "--pre\n"
        "a\n"
    )
    dropped = {(loss.code, loss.line) for loss in mapped.losses}
    # line numbers are the file's: the block's TOML starts on line 2
    assert ("pep723-dropped", 4) in dropped  # exclude-newer
    assert ("pep723-dropped", 12) in dropped  # [tool.ruff]


def test_pixi_conda_dependencies_and_channels_become_environment_yml():
    mapped = _map(
        'dependencies = ["httpx"]\n'
        "[tool.pixi.workspace]\n"
        'channels = ["conda-forge", "bioconda"]\n'
        'platforms = ["linux-64"]\n'
        "[tool.pixi.dependencies]\n"
        'gdal = ">=3.9"\n'
        'python = "3.12.*"\n'
        'samtools = "*"\n'
        'pytorch = { version = "2.4.*", channel = "pytorch" }\n'
    )
    assert mapped.environment is not None
    assert mapped.environment["files"] == {
        "environment.yml": "channels:\n  - conda-forge\n  - bioconda\ndependencies:\n"
        "  - gdal>=3.9\n  - python 3.12.*\n  - samtools\n  - pytorch::pytorch 2.4.*\n"
        "  - pip\n  - pip:\n      - httpx\n"
    }
    assert [loss.code for loss in mapped.losses] == ["pep723-dropped"]  # platforms


def test_the_block_of_an_environment_holds_what_maps_and_reports_the_rest():
    block, lost = environment_block(
        {
            "env_ver": "1.0",
            "python": "3.11",
            "files": {
                "requirements.txt": "-i https://example.org/simple\n# c\nnumpy  # n\n"
                "-r other.txt\nsix --hash=sha256:00\n",
                "apt.txt": "graphviz\n",
            },
            "env": {"A": "1"},
        }
    )
    assert block == (
        "# /// script\n"
        '# requires-python = "==3.11.*"\n'
        "# dependencies = [\n"
        "#     # c\n"
        '#     "numpy",  # n\n'
        '#     "six",\n'
        "# ]\n"
        "#\n"
        "# [tool.uv]\n"
        '# index-url = "https://example.org/simple"\n'
        "# ///\n"
    )
    assert len(lost) == 4  # -r, --hash, apt.txt, env
    assert any("apt.txt" in m for m in lost)


# ------------------------------------------------------------------ the command line


def test_example_script_imports_and_round_trips(tmp_path):
    notebook = tmp_path / "a.ipynb"
    status, out, _ = run("import", "--from", "script", str(EXAMPLES / "script" / "analysis.py"),
                         "-o", str(notebook))  # fmt: skip
    assert status == 0, out
    first = json.loads(notebook.read_text())["metadata"]["environment"]
    status, out, _ = run("export", "--to", "script", str(notebook), "-o", str(tmp_path / "s.py"))
    assert status == 0, out
    status, out, _ = run("import", "--from", "script", str(tmp_path / "s.py"), "-o",
                         str(tmp_path / "b.envspec.json"))  # fmt: skip
    assert status == 0, out
    assert json.loads((tmp_path / "b.envspec.json").read_text()) == first
    again = run("export", "--to", "script", str(notebook), "-o", str(tmp_path / "s.py"))
    assert again[0] == 0
    assert "unchanged" in again[1]


def test_marimo_round_trip_keeps_conda_dependencies_channels_and_pin(tmp_path):
    source = EXAMPLES / "marimo" / "explore.py"
    notebook = tmp_path / "m.ipynb"
    assert run("import", "--from", "marimo", str(source), "-o", str(notebook))[0] == 0
    first = json.loads(notebook.read_text())["metadata"]["environment"]
    assert "conda-forge" in first["files"]["environment.yml"]
    status, out, _ = run("export", "--to", "marimo", str(notebook), "-o", f"{tmp_path}/")
    assert status == 0, out
    written = (tmp_path / "notebook.py").read_text()
    assert "app = marimo.App()" in written
    assert run("import", "--from", "marimo", str(tmp_path / "notebook.py"), "-o",
               str(tmp_path / "b.envspec.json"))[0] == 0  # fmt: skip
    assert json.loads((tmp_path / "b.envspec.json").read_text()) == first


@pytest.mark.parametrize(
    ("text", "code", "where"),
    [
        ('# /// script\n# dependencies = ["a"]\n\nimport a\n', "pep723-unclosed", ":1:1:"),
        ("# /// script\n# ///\n\n# /// script\n# ///\n", "pep723-two-blocks", ":4:1:"),
        ("import os\n\n# /// script\n# x = [1,\n# ///\n", "pep723-toml", ":5:"),
        ('x = """\n# /// script\n# ///\n"""\n', "pep723-misplaced", ":2:1:"),
        ('# /// script\n# requires-python = "<3"\n# ///\n', "pep723-invalid", ":2:"),
        ("print(1)\n", "pep723-missing", ""),
    ],
)
def test_bad_scripts_fail_with_file_and_line_and_write_nothing(tmp_path, text, code, where):
    script = tmp_path / "bad.py"
    script.write_text(text)
    notebook = tmp_path / "out.ipynb"
    status, out, _ = run("import", "--from", "script", str(script), "-o", str(notebook))
    assert status == 1
    assert f"error[{code}]" in out
    assert f"{script}{where}" in out
    assert "nothing was written" in out
    assert not notebook.exists()


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    script = tmp_path / "latin.py"
    script.write_bytes(b"# /// script\n# dependencies = ['caf\xe9']\n# ///\n")
    status, out, _ = run("import", "--from", "script", str(script))
    assert status == 1
    assert "error[format-source-invalid]" in out
    assert "UTF-8" in out


# ------------------------------------------------------------------ proofs with uv


def _local_index(tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "tinyalpha", "1.0")
    wheel(wheels, "tinyalpha", "2.0")
    wheel(wheels, "tinybeta", "0.3", requires=["tinyalpha>=1.0"])
    return wheels


@pytest.mark.slow
def test_uv_resolves_exactly_the_dependencies_of_the_exported_script(tmp_path):
    wheels = _local_index(tmp_path)
    env = tmp_path / "env.envspec.yaml"
    env.write_text(
        'env_ver: "1.0"\npython: "3.11"\nfiles:\n  requirements.txt: |\n'
        "    # both\n    tinybeta==0.3  # pulls alpha\n"
        "    tinyalpha<2\n"
    )
    status, out, _ = run("export", "--to", "script", str(env), "-o", str(tmp_path / "s.py"))
    assert status == 0, out
    done = uv("export", "--script", "s.py", "--no-header", "--no-hashes", "--no-index",
              "--find-links", str(wheels), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stdout.splitlines() if x and not x.lstrip().startswith("#")]
    assert lines == ["tinyalpha==1.0", "tinybeta==0.3"]
    # uv's own check of the pin: requires-python is what uv reads
    done = uv("tree", "--script", "s.py", "--offline", "--no-index", "--find-links",
              str(wheels), "--python-version", "3.12", cwd=tmp_path)  # fmt: skip
    assert "tinybeta v0.3" in done.stdout + done.stderr


@pytest.mark.slow
def test_uv_reads_scripts_uv_wrote_and_we_read_them_the_same(tmp_path):
    done = uv("init", "--script", "made.py", "--python", sys.executable, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = uv("add", "--script", "made.py", "--frozen", "tinybeta>=0.3", "tinyalpha", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    status, out, err = run("import", "--from", "script", str(tmp_path / "made.py"))
    assert status == 0, out + err
    assert f"python: '3.{sys.version_info[1]}'" in out
    assert "warning[pep723-python-range]" in err  # uv writes '>=3.X'

    assert "tinybeta>=0.3" in out
    assert "tinyalpha" in out


@pytest.mark.slow
def test_marimo_reads_the_block_and_runs_the_notebook_envspec_writes(tmp_path):
    # marimo's own reader, from marimo-base installed from PyPI into a throwaway venv.
    venv = tmp_path / "venv"
    done = uv("venv", "-q", "-p", sys.executable, str(venv), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    python = str(venv / "bin" / "python")
    online = {k: v for k, v in uv_env().items() if k != "UV_OFFLINE"}
    from uv import find_uv_bin

    subprocess.run(
        [find_uv_bin(), "pip", "install", "-q", "-p", python, "marimo-base>=0.25"],
        env=online, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    notebook = tmp_path / "m.ipynb"
    source = EXAMPLES / "marimo" / "explore.py"
    assert run("import", "--from", "marimo", str(source), "-o", str(notebook))[0] == 0
    status, out, _ = run("export", "--to", "marimo", str(notebook), "-o", f"{tmp_path}/")
    assert status == 0, out
    code = (
        "import json, sys\n"
        "from marimo._utils.scripts import read_pyproject_from_script\n"
        "print(json.dumps(read_pyproject_from_script(open(sys.argv[1]).read())))\n"
    )
    done = subprocess.run([python, "-c", code, str(tmp_path / "notebook.py")],
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "requires-python": "==3.12.*",
        "dependencies": ["marimo", "polars==1.9.0", "httpx"],
        "tool": {
            "pixi": {"workspace": {"channels": ["conda-forge"]}, "dependencies": {"gdal": ">=3.9"}}
        },
    }
    done = subprocess.run([python, str(tmp_path / "notebook.py")], capture_output=True,
                          text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr  # the body is a marimo app marimo runs


@pytest.mark.slow
def test_uv_uses_the_index_the_exported_block_names(tmp_path):
    # requirements.txt's --index-url becomes [tool.uv] index-url: uv resolves from it alone.
    wheels = _local_index(tmp_path)
    simple = tmp_path / "simple"
    for name in ("tinyalpha", "tinybeta"):
        (simple / name).mkdir(parents=True)
        links = "".join(
            f'<a href="{w.as_uri()}">{w.name}</a>\n' for w in sorted(wheels.glob(f"{name}-*"))
        )
        (simple / name / "index.html").write_text(links)
    env = tmp_path / "env.envspec.yaml"
    env.write_text(
        'env_ver: "1.0"\nfiles:\n  requirements.txt: |\n'
        f"    --index-url {simple.as_uri()}\n    tinybeta\n"
    )
    status, out, _ = run("export", "--to", "script", str(env), "-o", str(tmp_path / "s.py"))
    assert status == 0, out
    assert f'# index-url = "{simple.as_uri()}"' in (tmp_path / "s.py").read_text()
    done = uv("export", "--script", "s.py", "--no-header", "--no-hashes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stdout.splitlines() if x and not x.lstrip().startswith("#")]
    assert lines == ["tinyalpha==2.0", "tinybeta==0.3"]


@pytest.mark.parametrize(
    "toml",
    [
        '[tool.pixi]\ndependencies = ["gdal"]\n',
        '[tool.pixi.workspace]\nchannels = "conda-forge"\n',
        'dependencies = ["a", 1]\n',
        "requires-python = 3.12\n",
    ],
)
def test_wrong_types_are_errors_not_silence(toml):
    mapped = _map(toml)
    assert mapped.environment is None
    assert [loss.code for loss in mapped.losses][-1] == "pep723-invalid"


CONDA_ENV = {
    "env_ver": "1.0",
    "python": "3.12",
    "files": {
        "environment.yml": "channels:\n  - conda-forge\n  - bioconda\ndependencies:\n"
        "  - numpy>=1.26\n  - gdal 3.9.*\n  - bioconda::samtools 1.20 h50ea8bc_0\n"
        "  - pip\n  - pip:\n      - httpx>=0.27\n",
    },
}
PIP_ENV = {
    "env_ver": "1.0",
    "python": "3.11.9",
    "files": {"requirements.txt": "# top\nnumpy>=1.26  # arrays\nrich\n"},
}


@pytest.mark.parametrize("name", ["script", "marimo", "juv"])
@pytest.mark.parametrize("environment", [CONDA_ENV, PIP_ENV], ids=["conda", "pip"])
def test_envspec_to_each_format_and_back_keeps_dependencies_pin_and_channels(
    tmp_path, name, environment
):
    from envspec._yaml import load_yaml

    source = tmp_path / "a.envspec.json"
    source.write_text(json.dumps(environment))
    status, out, _ = run("export", "--to", name, str(source), "-o", f"{tmp_path}/out/")
    assert status == 0, out
    (exported,) = (tmp_path / "out").iterdir()
    status, out, _ = run("import", "--from", name, str(exported), "-o",
                         str(tmp_path / "b.envspec.json"))  # fmt: skip
    assert status == 0, out
    back = json.loads((tmp_path / "b.envspec.json").read_text())
    assert back["python"] == environment["python"]
    if "requirements.txt" in environment["files"]:
        assert back["files"] == environment["files"]
    else:
        assert (
            load_yaml(back["files"]["environment.yml"])[0]
            == (load_yaml(environment["files"]["environment.yml"])[0])
        )


def test_export_onto_an_existing_script_replaces_only_its_block(tmp_path):
    source = tmp_path / "a.envspec.json"
    source.write_text(json.dumps(PIP_ENV))
    script = tmp_path / "tool.py"
    code = '#!/usr/bin/env python\n# /// script\n# dependencies = ["old"]\n# ///\n"""Doc."""\n'
    script.write_text(code + "print('kept')\n")
    status, out, _ = run("export", "--to", "script", str(source), "-o", str(script))
    assert status == 0, out
    text = script.read_text()
    assert text.startswith('#!/usr/bin/env python\n# /// script\n# requires-python = "==3.11.9"\n')
    assert text.endswith('# ///\n"""Doc."""\nprint(\'kept\')\n')
    assert '"rich",' in text
    again = run("export", "--to", "script", str(source), "-o", str(script))
    assert "unchanged" in again[1]
    # no block yet: the block goes first, after the shebang
    bare = tmp_path / "bare.py"
    bare.write_text("#!/usr/bin/env python\nprint(1)\n")
    assert run("export", "--to", "marimo", str(source), "-o", str(bare))[0] == 0
    lines = bare.read_text().splitlines()
    assert lines[:2] == ["#!/usr/bin/env python", "# /// script"]
    assert lines[-1] == "print(1)"
    assert "app = marimo.App()" not in bare.read_text()


def test_a_script_whose_blocks_break_the_rules_is_not_updated_without_force(tmp_path):
    source = tmp_path / "a.envspec.json"
    source.write_text(json.dumps(PIP_ENV))
    script = tmp_path / "two.py"
    original = "# /// script\n# ///\n\n# /// script\n# ///\nprint(1)\n"
    script.write_text(original)
    status, out, _ = run("export", "--to", "script", str(source), "-o", str(script))
    assert status == 1
    assert "error[format-output-exists]" in out
    assert script.read_text() == original


@pytest.mark.parametrize(
    ("text", "misplaced"),
    [
        ("s = 'it\\'s'\n# /// script\n# ///\n", False),
        ('x = r"\\""\n# /// script\n# ///\n', False),
        ('y = "a#b"  # "quoted"\n# /// script\n# ///\n', False),
        ("f('''a\n# /// script\n# ///\n''')\n", True),
        ('x = 1  # """\n# /// script\n# ///\n', False),
    ],
)
def test_strings_and_comments_before_the_block_are_told_apart(text, misplaced):
    found = find_script_block(text)
    assert isinstance(found, BlockProblem if misplaced else Block)


def test_a_long_script_is_read_in_linear_time():
    import time

    code = 'y = "a#b"  # "\n' * 20000
    start = time.perf_counter()
    assert isinstance(find_script_block(code + "# /// script\n# ///\n"), Block)
    small = time.perf_counter() - start
    start = time.perf_counter()
    assert isinstance(find_script_block(code * 8 + "# /// script\n# ///\n"), Block)
    large = time.perf_counter() - start
    assert large < max(small * 24, 0.5)  # 8x the input, far less than 64x the time
