"""Hostile and broken input: always a diagnostic, never a traceback, a hang or a blow-up.

Every input is read with both decoders (``fast=False``: the standard library's
``json``; ``fast=True``: msgspec, which skips the cells) and both must give the
same diagnostics.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from conftest import GOOD_ENVIRONMENT, console_script, notebook_text
from envspec.validate import validate_bytes, validate_paths

CELLS_MARKER = '"cells": ['


def peak_memory_of_reading(data: bytes, name: str) -> int:
    """Bytes allocated at the peak while validating *data* (tracemalloc)."""
    validate_bytes(data, name)  # imports and compiled schema out of the measure
    tracemalloc.start()
    try:
        validate_bytes(data, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def read_both(data: bytes, name: str = "analysis.ipynb"):
    """The diagnostics of *data*, checked to be the same with either decoder."""
    slow = validate_bytes(data, name, fast=False)
    fast = validate_bytes(data, name, fast=True)
    assert slow.diagnostics == fast.diagnostics
    assert slow.has_environment == fast.has_environment
    return list(slow.diagnostics)


def found(
    data: bytes, name: str = "analysis.ipynb"
) -> list[tuple[str, str, int | None, int | None]]:
    return [(d.code, d.pointer, d.line, d.column) for d in read_both(data, name)]


def codes(data: bytes, name: str = "analysis.ipynb") -> list[str]:
    return [d.code for d in read_both(data, name)]


def notebook(environment: object = None, **kwargs) -> bytes:
    if environment is None:
        return notebook_text(**kwargs).encode("utf-8")
    return notebook_text(environment, **kwargs).encode("utf-8")


# --------------------------------------------------------------------------- not a notebook at all


def test_not_json():
    assert found(b"hello world\n") == [("invalid-json", "", 1, 1)]


def test_empty_and_whitespace_only():
    (empty,) = read_both(b"")
    assert (empty.code, empty.message) == ("empty-file", "the file is empty")
    for blank in (b" ", b"\n\n\n", b" \t\r\n "):
        (diagnostic,) = read_both(blank)
        assert (diagnostic.code, diagnostic.message) == (
            "empty-file",
            "the file contains only white space",
        )
    assert codes(b"   \n", "e.envspec.yaml") == ["empty-file"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[]", "the top level is not a JSON object"),
        (b'[{"metadata": {}}]', "the top level is not a JSON object"),
        (b'"metadata"', "the top level is not a JSON object"),
        (b"42", "the top level is not a JSON object"),
        (b"null", "the top level is not a JSON object"),
        (b'{"cells": [], "nbformat": 4}', "the notebook has no 'metadata' object"),
        (b'{"cells": [], "metadata": null}', "the notebook's 'metadata' is not an object"),
        (b'{"cells": [], "metadata": ["a"]}', "the notebook's 'metadata' is not an object"),
        (b'{"cells": [], "metadata": "x"}', "the notebook's 'metadata' is not an object"),
    ],
)
def test_json_that_is_not_a_notebook(data, message):
    (diagnostic,) = read_both(data)
    assert (diagnostic.code, diagnostic.message) == ("not-a-notebook", message)
    assert diagnostic.pointer == ("" if "top level" in message else "/metadata")


def test_merge_conflict_inside_a_cell_is_invalid_json_at_its_line():
    text = notebook_text(GOOD_ENVIRONMENT)
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "np.arange(3)" in line)
    conflicted = "".join(
        [
            *lines[:at],
            "<<<<<<< HEAD\n",
            lines[at],
            "=======\n",
            lines[at].replace("3", "4"),
            ">>>>>>> feature\n",
            *lines[at + 1 :],
        ]
    )
    assert found(conflicted.encode()) == [("invalid-json", "", at + 1, 1)]


def test_garbage_after_the_notebook():
    text = notebook_text(GOOD_ENVIRONMENT) + "}\n"
    line = text.count("\n")
    assert found(text.encode()) == [("invalid-json", "", line, 1)]


@pytest.mark.parametrize(
    "data",
    [
        b'{"cells": ["a\x00b"], "metadata": {}}',  # raw control character in a string
        b'{"cells": [], "metadata": {}\x00}',
        b'{"cells": [], "metadata": {},}',  # trailing comma
        b"{'cells': [], 'metadata': {}}",  # Python, not JSON
        b'{"cells": [], "metadata": {}}\x0c',  # form feed is not JSON white space
    ],
)
def test_malformed_json_is_invalid_json(data):
    assert codes(data) == ["invalid-json"]


def test_nan_and_infinity_are_not_json_in_a_standalone_file():
    # RFC 8259 has neither; a .envspec.json file must be RFC 8259 JSON.
    data = b'{"env_ver": "1.0",\n "extensions": {"x": [1, -Infinity]}}'
    [diagnostic] = validate_bytes(data, "environment.envspec.json").diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("invalid-json", 2, 27)
    assert "Infinity" in diagnostic.message


def test_json_extensions_that_python_reads_are_read_by_both():
    # Jupyter reads notebooks with Python's json: NaN and huge numbers are accepted.
    data = (
        b'{"cells": [{"outputs": [NaN, Infinity, 1e999]}],'
        b' "metadata": {"environment": {"env_ver": "1.0"}}}'
    )
    assert read_both(data) == []


def test_duplicate_keys_keep_the_last_value_in_both_decoders():
    data = (
        b'{"metadata": {"environment": {"env_ver": "2.0"}},'
        b' "metadata": {"environment": {"env_ver": "1.0",'
        b' "python": 3}, "environment": {"env_ver": "1.0"}}}'
    )
    # The last value wins, as in Jupyter (the environment is valid); each repeated key is
    # reported where the value the tools use starts.
    assert found(data) == [
        ("duplicate-key", "/metadata", 1, 51),
        ("duplicate-key", "/metadata/environment", 1, 112),
    ]


# --------------------------------------------------------------------------- encodings


def test_not_utf8_reports_the_exact_line_and_column_of_the_bad_byte():
    data = b'{\n "metadata": {\n  "title": "caf\xc3\xa9 \xe9t\xc3\xa9"\n }\n}\n'
    (diagnostic,) = read_both(data)
    assert diagnostic.code == "not-utf8"
    # Line 3; columns count characters: `  "title": "café ` is 17 characters.
    assert (diagnostic.line, diagnostic.column) == (3, 18)
    offset = data.index(b" \xe9") + 1
    assert diagnostic.message == f"byte 0xe9 at offset {offset} is not UTF-8"


def test_not_utf8_deep_inside_a_large_file():
    # The check reads in chunks: the offset must be right across chunk boundaries.
    head = b'{"cells": ["' + "\u00e9\U0001f4d3".encode() * 300_000
    data = head + b'\xf0\x9f\x93", "x"], "metadata": {}}'  # a truncated 4-byte sequence
    (diagnostic,) = read_both(data)
    assert diagnostic.code == "not-utf8"
    assert diagnostic.message == f"byte 0xf0 at offset {len(head)} is not UTF-8"
    assert (diagnostic.line, diagnostic.column) == (1, len(head.decode()) + 1)


LATIN = '{"cells": [], "metadata": {"title": "caf\u00e9"}}'


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("latin-1", [("not-utf8", "", 1, LATIN.index("\u00e9") + 1)]),
        ("cp1252", [("not-utf8", "", 1, LATIN.index("\u00e9") + 1)]),
        ("utf-16", [("not-utf8", "", 1, 1)]),  # starts with a byte order mark FF FE
        ("utf-32", [("not-utf8", "", 1, 1)]),
    ],
)
def test_other_encodings_are_refused(encoding, expected):
    assert found(LATIN.encode(encoding)) == expected


@pytest.mark.parametrize(("encoding", "column"), [("utf-16-be", 1), ("utf-16-le", 2)])
def test_utf16_without_bom_is_not_read_as_json(encoding, column):
    # Every byte is ASCII (NULs between the characters): Python's json.loads(bytes)
    # would detect UTF-16 and accept it, Jupyter (UTF-8) cannot read it.
    data = '{"cells": [], "metadata": {"environment": {"env_ver": "1.0"}}}'.encode(encoding)
    assert found(data) == [("invalid-json", "", 1, column)]


def test_bom_is_reported_and_the_environment_still_checked():
    data = b"\xef\xbb\xbf" + notebook({"env_ver": "1.0", "python": 3.12})
    assert found(data) == [
        ("bom", "", 1, 1),
        ("wrong-type", "/metadata/environment/python", None, None),
    ]
    yaml = b'\xef\xbb\xbfenv_ver: "1.0"\npython: 3.12\n'
    assert found(yaml, "e.envspec.yaml") == [
        ("bom", "", 1, 1),
        ("wrong-type", "/python", None, None),
    ]


def test_bom_then_bad_byte_counts_offsets_in_the_file():
    data = b'\xef\xbb\xbf{"metadata": {"t": "\xff"}}'
    diagnostics = read_both(data)
    assert [d.code for d in diagnostics] == ["bom", "not-utf8"]
    offset = data.index(b"\xff")
    assert diagnostics[1].message == f"byte 0xff at offset {offset} is not UTF-8"
    assert (diagnostics[1].line, diagnostics[1].column) == (
        1,
        offset - 3 + 1,
    )  # the BOM is not a column


def test_lone_surrogate_escapes_are_read_and_reported_without_crashing(run_console, write_file):
    environment = '{"env_ver": "1.0", "python": "\\ud800", "env": {"\\udc80X": null}}'
    data = ('{"cells": [], "metadata": {"environment": ' + environment + "}}").encode()
    assert codes(data) == ["invalid-value", "invalid-value"]
    path = write_file("surrogates.ipynb", data)
    for fmt in ("text", "json"):
        done = run_console("validate", "--format", fmt, path, env={"PYTHONIOENCODING": "utf-8"})
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert "invalid-value" in done.stdout
        if fmt == "json":
            assert json.loads(done.stdout)[1]["pointer"] == "/metadata/environment/env/\udc80X"


# --------------------------------------------------------------------------- the environment object


@pytest.mark.parametrize(
    ("environment", "code", "pointer"),
    [
        ({"env_ver": "1.0", "python": 3.12}, "wrong-type", "/python"),
        ({"env_ver": "1.0", "files": ["requirements.txt"]}, "wrong-type", "/files"),
        (
            {"env_ver": "1.0", "files": {"requirements.txt": ["numpy"]}},
            "wrong-type",
            "/files/requirements.txt",
        ),
        ({"env_ver": "1.0", "kernel": "python3"}, "wrong-type", "/kernel"),
        ({"env_ver": "1.0", "env": {"A": 1}}, "wrong-type", "/env/A"),
        ({"env_ver": "1.0", "hardware": {"cpu": "four"}}, "wrong-type", "/hardware/cpu"),
        (
            {"env_ver": "1.0", "hardware": {"gpu": {"count": True}}},
            "wrong-type",
            "/hardware/gpu/count",
        ),
        ({"env_ver": "1.0", "cloud": {"name": "x"}}, "wrong-type", "/cloud"),
        (
            {"env_ver": "1.0", "git": {"url": "https://e.org/r", "commit": None}},
            "wrong-type",
            "/git/commit",
        ),
        ({"env_ver": "1.0", "image": {"ref": ""}}, "invalid-value", "/image/ref"),
        ({"env_ver": "1.0", "hardware": {"memory": 8}}, "wrong-type", "/hardware/memory"),
    ],
)
def test_wrong_types(environment, code, pointer):
    diagnostics = read_both(notebook(environment))
    assert (code, "/metadata/environment" + pointer) in [(d.code, d.pointer) for d in diagnostics]
    assert all(d.severity == "error" for d in diagnostics)


@pytest.mark.parametrize(
    "value", ["requirements.txt", [], ["env_ver", "1.0"], 1, 1.5, True, None, ""]
)
def test_environment_that_is_not_an_object(value):
    data = b'{"cells": [], "metadata": {"environment": ' + json.dumps(value).encode() + b"}}"
    assert found(data) == [("environment-not-object", "/metadata/environment", None, None)]


@pytest.mark.parametrize("value", [[], "env_ver: 1.0", 3])
def test_standalone_file_that_is_not_an_object(value):
    assert codes(json.dumps(value).encode(), "e.envspec.json") == ["environment-not-object"]
    assert codes(json.dumps(value).encode(), "e.envspec.yaml") == ["environment-not-object"]


@pytest.mark.parametrize(
    ("environment", "code", "severity"),
    [
        ({}, "env-version-missing", "error"),
        ({"python": "3.12"}, "env-version-missing", "error"),
        ({"env_ver": 1.0}, "env-version-invalid", "error"),
        ({"env_ver": 1}, "env-version-invalid", "error"),
        ({"env_ver": None}, "env-version-invalid", "error"),
        ({"env_ver": ""}, "env-version-invalid", "error"),
        ({"env_ver": "1"}, "env-version-invalid", "error"),
        ({"env_ver": "1.0.0"}, "env-version-invalid", "error"),
        ({"env_ver": "01.0"}, "env-version-invalid", "error"),
        ({"env_ver": " 1.0"}, "env-version-invalid", "error"),
        ({"env_ver": "v1.0"}, "env-version-invalid", "error"),
        ({"env_ver": "2.0"}, "env-version-unsupported", "error"),
        ({"env_ver": "999999999999999999999.0"}, "env-version-unsupported", "error"),
        ({"env_ver": "0.2"}, "env-version-unsupported", "error"),
        ({"env_ver": "1.7", "new_field": {"x": 1}}, "env-version-newer", "warning"),
    ],
)
def test_env_ver_problems(environment, code, severity):
    (diagnostic,) = read_both(notebook(environment))
    assert (diagnostic.code, diagnostic.severity) == (code, severity)


def test_numeric_env_ver_hint_gives_the_string():
    (diagnostic,) = read_both(notebook({"env_ver": 1.0}))
    assert diagnostic.hint == 'Write "env_ver": "1.0"'
    assert diagnostic.pointer == "/metadata/environment/env_ver"


# --------------------------------------------------------------------------- YAML bombs and depth


def _billion_laughs(levels: int = 9, width: int = 10) -> bytes:
    lines = ['env_ver: "1.0"', "extensions:", "  lol:", '    a0: &a0 ["lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return ("\n".join(lines) + "\n").encode()


def test_yaml_anchor_bomb_is_refused():
    data = _billion_laughs()  # 2 * 10**9 strings once expanded; benchmarks/hostile.py times it
    diagnostics = read_both(data, "bomb.envspec.yaml")
    assert [d.code for d in diagnostics] == ["yaml-alias"]
    # Refused before anything is expanded: memory is a small multiple of the text.
    assert peak_memory_of_reading(data, "bomb.envspec.yaml") < 1_000_000


def test_yaml_anchor_bomb_in_an_embedded_conda_file_is_refused():
    conda = _billion_laughs().decode().replace('env_ver: "1.0"\nextensions:\n  lol:\n', "x:\n")
    conda += "dependencies: [numpy]\n"
    data = notebook({"env_ver": "1.0", "files": {"environment.yml": conda}})
    diagnostics = read_both(data)
    assert [(d.code, d.pointer) for d in diagnostics] == [
        ("yaml-alias", "/metadata/environment/files/environment.yml")
    ]
    assert peak_memory_of_reading(data, "analysis.ipynb") < 1_000_000


@pytest.mark.parametrize(
    "data",
    [
        b'env_ver: "1.0"\nextensions:\n  demo:\n    s: &s "xxxxxxxxxx"\n    l: [*s, *s, *s]\n',
        b'env_ver: "1.0"\nenv: &vars {A: "1"}\nextensions:\n  demo:\n    <<: *vars\n',
    ],
    ids=["scalar-alias", "merge-key"],
)
def test_every_yaml_alias_is_refused(data):
    assert codes(data, "e.envspec.yaml") == ["yaml-alias"]


def test_yaml_scalar_alias_bomb_is_refused():
    # 2000 aliases of a 100 kB string: 200 MB of text for every rule that reads strings.
    data = (
        'env_ver: "1.0"\nextensions:\n  demo:\n    s: &s "' + "x" * 100_000 + '"\n'
        "    l: [" + ", ".join(["*s"] * 2000) + "]\n"
    ).encode()
    diagnostics = read_both(data, "bomb.envspec.yaml")
    assert [d.code for d in diagnostics] == ["yaml-alias"]
    # 200 MB once expanded; refused with the text read a few times at most.
    assert peak_memory_of_reading(data, "bomb.envspec.yaml") < 10 * len(data)


def test_yaml_syntax_error_has_a_position():
    diagnostics = read_both(b'env_ver: "1.0"\nfiles: [unclosed\n', "e.envspec.yaml")
    # Where the unclosed sequence opens (the text has two lines: never line 3).
    assert [(d.code, d.line, d.column) for d in diagnostics] == [("invalid-yaml", 2, 8)]


DEPTH = 300_000


@pytest.mark.parametrize(
    "where",
    ["cells", "metadata", "environment", "extensions"],
)
def test_deeply_nested_json_is_too_deep(where):
    deep = "[" * DEPTH + "]" * DEPTH
    documents = {
        "cells": f'{{"cells": [{deep}], "metadata": {{}}}}',
        "metadata": f'{{"cells": [], "metadata": {{"widgets": {deep}}}}}',
        "environment": f'{{"cells": [], "metadata": {{"environment": {deep}}}}}',
        "extensions": '{"cells": [], "metadata": {"environment":'
        + ' {"env_ver": "1.0", "extensions": {"x": '
        + '{"a": ' * DEPTH
        + "1"
        + "}" * DEPTH
        + "}}}}",
    }
    (diagnostic,) = read_both(documents[where].encode())
    assert diagnostic.code == "too-deep"


def test_deeply_nested_standalone_files_are_too_deep(write_file, run_console):
    deep_json = write_file("deep.envspec.json", "[" * DEPTH + "]" * DEPTH)
    deep_yaml = write_file(
        "deep.envspec.yaml", 'env_ver: "1.0"\nextensions:\n  x: ' + "[" * DEPTH + "]" * DEPTH
    )
    block_yaml = write_file("block.envspec.yaml", "".join(" " * i + "-\n" for i in range(5_000)))
    # In a subprocess: a reader that recursed without a limit would crash the interpreter.
    done = run_console("validate", "--format", "json", deep_json, deep_yaml, block_yaml)
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert [(Path(d["file"]).name, d["code"]) for d in json.loads(done.stdout)] == [
        ("deep.envspec.json", "too-deep"),
        ("deep.envspec.yaml", "too-deep"),
        ("block.envspec.yaml", "too-deep"),
    ]


# --------------------------------------------------------------------------- a 100 MB notebook


def _write_big_notebook(path: Path, target: int) -> None:
    # Streamed to disk: the test's own memory must not count.
    image = base64.b64encode(os.urandom(3 * 1024 * 1024)).decode()  # 4 MiB of base64
    count = target // len(image) + 1
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{\n "cells": [\n')
        handle.write(
            json.dumps(
                {
                    "cell_type": "markdown",
                    "id": "t",
                    "metadata": {},
                    "source": ["# Plots \U0001f4c8"],
                }
            )
        )
        for index in range(count):
            cell = {
                "cell_type": "code",
                "execution_count": index + 1,
                "id": f"plot-{index}",
                "metadata": {},
                "outputs": [
                    {
                        "data": {"image/png": image, "text/plain": ["<Figure size 640x480>"]},
                        "metadata": {},
                        "output_type": "display_data",
                    }
                ],
                "source": [f"plot({index})"],
            }
            handle.write(",\n" + json.dumps(cell, indent=1))
        environment = {**GOOD_ENVIRONMENT, "python": 3.12}  # one error: proves it was checked
        metadata = {
            "environment": environment,
            "kernelspec": {"name": "python3", "language": "python"},
        }
        handle.write(
            '\n ],\n "metadata": '
            + json.dumps(metadata)
            + ',\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
        )


@pytest.fixture(scope="module")
def big_notebook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.ipynb"
    _write_big_notebook(path, 100 * 1024 * 1024)
    return path


def test_a_100_mb_notebook_is_validated_in_bounded_memory(big_notebook):
    size = big_notebook.stat().st_size
    assert size > 100 * 1024 * 1024
    tracemalloc.start()
    try:
        result = validate_paths([big_notebook])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(d.code, d.pointer) for d in result.diagnostics] == [
        ("wrong-type", "/metadata/environment/python")
    ]
    # The file's bytes once, and little else (the cells are parsed, never built).
    assert peak < 2 * size, f"peak {peak / size:.2f}x the file size"


def test_a_100_mb_notebook_reads_the_same_with_both_decoders(big_notebook):
    diagnostics = read_both(big_notebook.read_bytes(), big_notebook.name)
    assert [d.code for d in diagnostics] == ["wrong-type"]


def test_a_100_mb_notebook_with_a_conflict_marker_at_the_end(big_notebook, tmp_path):
    data = big_notebook.read_bytes()
    cut = data.rindex(b"\n ],")
    broken = data[:cut] + b"\n<<<<<<< HEAD" + data[cut:]
    line = broken.count(b"\n", 0, cut) + 2
    assert found(broken, "big.ipynb") == [("invalid-json", "", line, 1)]


# --------------------------------------------------------------------------- files on disk


def test_dangling_symlink_in_a_walked_folder(write_notebook, tmp_path, run_cli):
    write_notebook("ok.ipynb", GOOD_ENVIRONMENT)
    link = tmp_path / "gone.ipynb"
    link.symlink_to(tmp_path / "deleted.ipynb")
    code, out, err = run_cli("validate", tmp_path)
    assert (code, err) == (1, "")
    assert f"{link}: error[file-unreadable] cannot read the file: No such file or directory" in out
    assert out.splitlines()[-1] == "2 files checked: 1 error, 0 warnings; 1 file fails"


def test_symlink_loop_and_directory_named_like_a_notebook(tmp_path, run_cli, write_notebook):
    loop = tmp_path / "loop.ipynb"
    loop.symlink_to(loop)
    folder = tmp_path / "folder.ipynb"
    write_notebook("folder.ipynb/inner.ipynb", GOOD_ENVIRONMENT)
    code, out, _ = run_cli("validate", tmp_path)
    assert code == 1
    assert f"{loop}: error[file-unreadable]" in out
    assert str(folder / "inner.ipynb") not in out  # a folder is walked, not read
    assert out.splitlines()[-1].startswith("2 files checked")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_does_not_block(tmp_path, run_console, write_notebook):
    write_notebook("ok.ipynb", GOOD_ENVIRONMENT)
    os.mkfifo(tmp_path / "pipe.ipynb")
    done = run_console("validate", tmp_path, timeout=60)
    assert done.returncode == 1
    assert (
        "pipe.ipynb: error[file-unreadable] cannot read the file: not a regular file" in done.stdout
    )


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets on this platform")
def test_a_socket_is_not_a_regular_file(tmp_path, run_cli):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock.ipynb"))  # a socket cannot even be opened
        code, out, _ = run_cli("validate", tmp_path / "sock.ipynb")
    assert code == 1
    assert "sock.ipynb: error[file-unreadable] cannot read the file: not a regular file" in out


def test_a_big_file_is_read_whole(tmp_path, run_cli):
    from envspec._readfile import read_regular as _read_regular

    data = b"x" * (3 << 20) + b"end"
    (tmp_path / "big.bin").write_bytes(data)
    assert _read_regular(str(tmp_path / "big.bin")) == data
    assert _read_regular(str(tmp_path / "big.bin")[:-4] + ".bin") == data
    with pytest.raises(FileNotFoundError):
        _read_regular(str(tmp_path / "gone.bin"))
    with pytest.raises(OSError, match="not a regular file"):
        _read_regular(str(tmp_path))


def test_unknown_extension_passed_explicitly(write_file, run_cli):
    path = write_file("requirements.txt", "numpy\n")
    code, out, _ = run_cli("validate", path)
    assert code == 1
    assert (
        f"{path}: error[unknown-file-type] 'requirements.txt' is not a notebook or envspec file"
        in out
    )


HOSTILE_NAMES = [
    "my analysis.ipynb",
    "r\u00e9sum\u00e9 \U0001f4d3.ipynb",
    "-rf.ipynb",
    "--strict.ipynb",
    "a#b.ipynb",
    "tab\there.ipynb",
    " leading and trailing .ipynb",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_file_names_in_process(name, write_notebook, run_cli, tmp_path):
    path = write_notebook(name, {"env_ver": "1.0", "python": 3})
    code, out, _ = run_cli("validate", "--", path)
    assert code == 1
    shown = str(path).replace("\t", "\\t")  # control characters are escaped in text output
    assert out.startswith(f"{shown}#/metadata/environment/python: error[wrong-type]")
    code, out, _ = run_cli("validate", "--format", "json", tmp_path)  # found by a folder walk too
    assert code == 1
    assert [d["file"] for d in json.loads(out)] == [str(path)]


def test_hostile_file_names_in_the_real_command(write_notebook, run_console):
    for name in HOSTILE_NAMES:
        write_notebook(name, {"env_ver": "1.0", "python": 3})
    done = run_console("validate", "--strict", "--", *HOSTILE_NAMES)
    assert done.returncode == 1
    assert done.stderr == ""
    for name in HOSTILE_NAMES:
        shown = name.replace("\t", "\\t")
        assert f"{shown}#/metadata/environment/python: error[wrong-type]" in done.stdout
    assert (
        done.stdout.splitlines()[-1]
        == f"{len(HOSTILE_NAMES)} files checked: 7 errors, 0 warnings; 7 files fail"
    )


@pytest.mark.skipif(
    sys.platform in {"win32", "darwin"}, reason="needs file names that are arbitrary bytes"
)
def test_file_name_that_is_not_utf8(tmp_path, run_console):
    folder = tmp_path / "nb"
    folder.mkdir()
    raw = os.path.join(os.fsencode(folder), b"caf\xe9.ipynb")
    with open(raw, "wb") as handle:
        handle.write(notebook({"env_ver": "1.0", "python": 3}))
    # A strict UTF-8 stdout (e.g. LANG=en_US.UTF-8) cannot print the name as it is.
    done = run_console("validate", folder, env={"PYTHONIOENCODING": "utf-8"})
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "caf\\udce9.ipynb#/metadata/environment/python: error[wrong-type]" in done.stdout
    done = run_console("validate", "--format", "json", folder, env={"PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1
    (item,) = json.loads(done.stdout)
    assert os.fsencode(item["file"]) == raw


def test_non_ascii_names_on_an_ascii_console(write_notebook, run_console):
    write_notebook("r\u00e9sum\u00e9.ipynb", {"env_ver": "1.0", "python": 3})
    done = run_console("validate", "r\u00e9sum\u00e9.ipynb", env={"PYTHONIOENCODING": "ascii"})
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "r\\xe9sum\\xe9.ipynb#/metadata/environment/python" in done.stdout


def test_leading_dash_without_separator_is_a_usage_error(
    write_notebook, run_cli, tmp_path, monkeypatch
):
    write_notebook("-x.ipynb", GOOD_ENVIRONMENT)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("validate", "-x.ipynb")  # read as an option: `--` is the way
    assert (code, out) == (2, "")
    assert "usage: envspec validate" in err
    assert run_cli("validate", "--", "-x.ipynb").code == 0


def test_output_closed_early_is_not_a_traceback(write_notebook, tmp_path, run_console):
    for index in range(200):
        write_notebook(f"nb{index:03d}.ipynb", {"env_ver": "1.0", "python": 3})
    script = (
        "import subprocess, sys\n"
        "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
        "p.stdout.readline(); p.stdout.close()\n"
        "err = p.stderr.read().decode(); sys.exit(0 if p.wait() in (1, -13) and not err else 3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, console_script(), "validate", "--no-cache", tmp_path],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
