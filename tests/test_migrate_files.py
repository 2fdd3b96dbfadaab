"""Migrating files: notebooks in any layout, the seed's ``metadata.env``, standalone envspec files.

``migrate_bytes`` is checked on real notebook text written by nbformat or
``json.dumps``; ``migrate_paths`` on real files in ``tmp_path`` (atomic writes,
modes, symbolic links, idempotence).
"""

from __future__ import annotations

import copy
import json
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
import pytest
from ruamel.yaml import YAML

from envspec.migrations import migrate
from envspec.migrations.files import FileMigration, migrate_bytes, migrate_paths
from envspec.migrations.v0_1_v1_0 import drop_member_order
from envspec.validate import validate_environment

SHA1 = "8903fcae689f05c113fc4026e1904def79833071"
DIGEST = "sha256:" + "cd" * 32
SEED: dict[str, Any] = {
    "env_ver": "0.1",
    "requirements.txt": "numpy==1.26.4\npandas>=2.2\n",
    "container": f"gcr.io/deeplearning-platform-release/tf-gpu.1-13@{DIGEST}",
    "setup.sh": "#!/bin/bash\necho 'données ✓'\n",
    "cloud": {
        "Env_name": "gcp notebook",
        "handler_url": "https://notebooks.google.com/deploy_notebook",
        "cloud_ver": 0.3,
        "metadata": {"environment_version": "tf-gpu.1-13.m24", "machine_configuration": "TBD"},
    },
    "git": {"path": "https://github.com/example/analysis.git", "commit id": SHA1},
}
UNORDERED: dict[str, Any] = {
    "git": {"commit id": SHA1, "path": "https://github.com/example/analysis.git"},
    "environment.yml": "dependencies:\n  - python=3.12\n",
    "unknown.key": {"ß": [1.5, None, True]},
    "env_ver": "0.1",
    "cloud": {
        "metadata": {},
        "Cloud_ver": [7],
        "handler_url": "https://h.example",
        "env_name": "é",
    },
}
NATIVE_1_0: dict[str, Any] = {
    "env_ver": "1.0",
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python"},
    "files": {"requirements.txt": "numpy==2.1.2\n"},
}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def make_notebook(metadata: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A notebook with cells, outputs, cell ids and metadata other tools wrote."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Analyse des données ✓", id="intro"),
        nbformat.v4.new_code_cell(
            'import numpy as np\nprint("metadata")',
            id="code-1",
            execution_count=3,
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="metadata\n"),
                nbformat.v4.new_output(
                    "execute_result", data={"text/plain": "array([0, 1])"}, execution_count=3
                ),
            ],
            metadata={"tags": ["environment"], "environment": "not this one"},
        ),
    ]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python", "version": "3.12.4"}
    nb.metadata["org.example.unknown"] = {"keep": ["me", 1]}
    nb.metadata.update(copy.deepcopy(dict(metadata)))
    return nb


def canonical(nb: Mapping[str, Any]) -> bytes:
    return (nbformat.writes(nbformat.from_dict(copy.deepcopy(dict(nb)))) + "\n").encode("utf-8")


LAYOUTS: dict[str, Callable[[Mapping[str, Any]], bytes]] = {
    "canonical": canonical,
    "indent-2": lambda nb: json.dumps(nb, indent=2).encode(),
    "indent-4": lambda nb: (json.dumps(nb, indent=4) + "\n").encode(),
    "compact": lambda nb: json.dumps(nb, separators=(",", ":")).encode(),
    "single-line": lambda nb: json.dumps(nb).encode(),
    "crlf": lambda nb: canonical(nb).replace(b"\n", b"\r\n"),
    "crlf-indent-2": lambda nb: json.dumps(nb, indent=2).replace("\n", "\r\n").encode(),
    "non-ascii-raw": lambda nb: json.dumps(nb, indent=2, ensure_ascii=False).encode("utf-8"),
    "non-ascii-escaped": lambda nb: json.dumps(nb, indent=1, sort_keys=True).encode("ascii"),
}


SORTED = {"canonical", "crlf", "non-ascii-escaped"}


def without_environment(data: bytes) -> dict[str, Any]:
    notebook = json.loads(data)
    notebook["metadata"].pop("environment", None)
    return notebook


def environment_span(text: bytes) -> tuple[int, int]:
    """Where the value of ``metadata.environment`` is, in a canonically written notebook."""
    key = b'\n  "environment": '
    assert text.count(key) == 1
    start = text.index(key) + len(key)
    _, end = json.JSONDecoder().raw_decode(text.decode("utf-8"), len(text[:start].decode("utf-8")))
    return start, len(text.decode("utf-8")[:end].encode("utf-8"))


# ----------------------------------------------------------------------------- notebooks, in memory


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("document", [SEED, UNORDERED], ids=["seed", "unordered"])
def test_round_trip_gives_the_original_bytes(layout, document):
    before = LAYOUTS[layout](make_notebook({"environment": document}))
    up = migrate_bytes(before, "analysis.ipynb")
    assert up.status == "migrated", up.diagnostics
    assert (up.source, up.target) == ("0.1", "1.0")
    assert up.after is not None
    as_read = json.loads(before)["metadata"]["environment"]
    migrated = json.loads(up.after)["metadata"]["environment"]
    if layout in SORTED:  # the member order means nothing there: it is not recorded
        assert migrated == drop_member_order(migrate(as_read).document)
        assert "order" not in migrated["extensions"]["envspec.legacy"]
    else:
        assert migrated == migrate(as_read).document
    down = migrate_bytes(up.after, "analysis.ipynb", to="0.1")
    assert down.status == "migrated", down.diagnostics
    assert down.lost == ()
    assert down.after == before


@pytest.mark.parametrize("layout", LAYOUTS)
def test_only_the_environment_changes(layout):
    before = LAYOUTS[layout](make_notebook({"environment": SEED}))
    after = migrate_bytes(before, "analysis.ipynb").after
    assert after is not None
    assert without_environment(after) == without_environment(before)
    if layout.startswith("crlf"):
        assert b"\n" not in after.replace(b"\r\n", b"")
    if layout == "non-ascii-escaped":
        assert after.isascii()
    if layout == "non-ascii-raw":
        assert "données".encode() in after


def test_canonical_notebook_stays_canonical_and_keeps_every_other_byte():
    before = canonical(make_notebook({"environment": SEED}))
    after = migrate_bytes(before, "analysis.ipynb").after
    assert after is not None
    # nbformat would write exactly these bytes: Jupyter will not rewrite the file on save.
    assert canonical(nbformat.reads(after.decode(), as_version=4)) == after
    (b0, e0), (b1, e1) = environment_span(before), environment_span(after)
    assert before[:b0] == after[:b1]
    assert before[e0:] == after[e1:]
    assert json.loads(after[b1:e1]) == drop_member_order(migrate(SEED).document)


def test_migrated_environment_validates_in_the_notebook():
    after = migrate_bytes(canonical(make_notebook({"environment": SEED})), "a.ipynb").after
    assert after is not None
    metadata = json.loads(after)["metadata"]
    found = validate_environment(metadata["environment"], kernelspec=metadata["kernelspec"])
    assert [d for d in found if d.severity == "error"] == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_migrating_twice_changes_nothing_the_second_time(layout):
    before = LAYOUTS[layout](make_notebook({"environment": SEED}))
    after = migrate_bytes(before, "analysis.ipynb").after
    assert after is not None
    again = migrate_bytes(after, "analysis.ipynb")
    assert (again.status, again.after, again.before) == ("unchanged", None, after)
    assert again.source == "1.0"


def test_notes_say_what_changed():
    result = migrate_bytes(canonical(make_notebook({"environment": SEED})), "a.ipynb")
    notes = "\n".join(result.notes)
    assert "files/postBuild" in notes
    assert "digest" in notes


def test_byte_order_mark_is_kept():
    before = b"\xef\xbb\xbf" + canonical(make_notebook({"environment": SEED}))
    up = migrate_bytes(before, "a.ipynb")
    assert up.after is not None
    assert up.after.startswith(b"\xef\xbb\xbf")
    assert migrate_bytes(up.after, "a.ipynb", to="0.1").after == before


def test_duplicate_environment_key_migrates_the_one_readers_see():
    text = canonical(make_notebook({"environment": {"env_ver": "0.1", "setup.sh": "old\n"}}))
    stale = b'  "environment": {"env_ver": "0.1", "requirements.txt": "stale\\n"},\n'
    at = text.index(b'\n  "environment": ') + 1
    text = text[:at] + stale + text[at:]
    result = migrate_bytes(text, "a.ipynb")
    assert result.status == "migrated"
    assert result.after is not None
    assert result.after.count(b'\n  "environment": ') == 1
    environment = json.loads(result.after)["metadata"]["environment"]
    assert environment["files"] == {"postBuild": "old\n"}


# -------------------------------------------------------------------------- the seed's metadata.env


@pytest.mark.parametrize("layout", ["canonical", "indent-2", "compact", "crlf"])
def test_seed_helper_metadata_env_becomes_metadata_environment(layout):
    container = "gcr.io/deeplearning-platform-release/tf-gpu.1-13"
    nb = make_notebook({"env": {"container": container}})
    before = LAYOUTS[layout](nb)
    result = migrate_bytes(before, "analysis.ipynb")
    assert result.status == "migrated"
    assert result.source == "0.1"
    assert result.after is not None
    metadata = json.loads(result.after)["metadata"]
    assert "env" not in metadata
    environment = metadata["environment"]
    assert environment["env_ver"] == "1.0"
    assert environment["image"] == {"ref": container}
    assert [d.code for d in validate_environment(environment) if d.severity == "error"] == []
    assert "metadata.env" in result.notes[0]
    expected = copy.deepcopy(nb)
    del expected.metadata["env"]
    expected.metadata["environment"] = environment
    if layout == "canonical":
        assert result.after == canonical(expected)
    else:
        assert without_environment(result.after) == without_environment(LAYOUTS[layout](expected))
    assert migrate_bytes(result.after, "analysis.ipynb").status == "unchanged"


def test_metadata_env_with_more_members_keeps_them():
    nb = make_notebook({"env": {"container": "ubuntu:22.04", "gpu": True}})
    result = migrate_bytes(canonical(nb), "a.ipynb")
    assert result.after is not None
    environment = json.loads(result.after)["metadata"]["environment"]
    assert environment["image"] == {"ref": "ubuntu:22.04"}
    assert environment["extensions"]["envspec.legacy"]["kept"] == {"gpu": True}


def test_metadata_env_that_is_not_an_object_is_left_alone():
    before = canonical(make_notebook({"env": "conda"}))
    result = migrate_bytes(before, "a.ipynb")
    assert (result.status, result.after) == ("unchanged", None)


# -------------------------------------------------------------------------- nothing to do, refusals


def test_notebook_without_environment_is_unchanged():
    result = migrate_bytes(canonical(make_notebook({})), "a.ipynb")
    assert (result.status, result.source, result.after, result.diagnostics) == (
        "unchanged",
        None,
        None,
        (),
    )


def test_latest_version_is_unchanged():
    result = migrate_bytes(canonical(make_notebook({"environment": NATIVE_1_0})), "a.ipynb")
    assert (result.status, result.source) == ("unchanged", "1.0")


def test_newer_minor_is_left_as_it_is():
    environment = {**NATIVE_1_0, "env_ver": "1.4", "future": {"x": 1}}
    result = migrate_bytes(canonical(make_notebook({"environment": environment})), "a.ipynb")
    assert result.status == "unchanged"


def test_lossy_downgrade_is_refused_then_allowed():
    before = canonical(make_notebook({"environment": NATIVE_1_0}))
    refused = migrate_bytes(before, "a.ipynb", to="0.1")
    assert (refused.status, refused.after) == ("failed", None)
    (diagnostic,) = refused.diagnostics
    assert diagnostic.code == "migration-lossy"
    assert diagnostic.severity == "error"
    assert diagnostic.pointer == "/metadata/environment"
    assert "python" in diagnostic.message
    assert "kernel" in diagnostic.message
    assert diagnostic.hint is not None
    assert "--lossy" in diagnostic.hint

    allowed = migrate_bytes(before, "a.ipynb", to="0.1", allow_lossy=True)
    assert allowed.status == "migrated"
    assert {item.split(" ")[0] for item in allowed.lost} == {"python", "kernel"}
    assert allowed.after is not None
    assert json.loads(allowed.after)["metadata"]["environment"] == {
        "env_ver": "0.1",
        "requirements.txt": "numpy==2.1.2\n",
    }


BAD_METADATA: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown-major": (
        {"environment": {"env_ver": "2.0"}},
        "env-version-unsupported",
        "/metadata/environment",
    ),
    "missing-env-ver": (
        {"environment": {"requirements.txt": "numpy\n"}},
        "env-version-missing",
        "/metadata/environment",
    ),
    "number-env-ver": (
        {"environment": {"env_ver": 1.0}},
        "env-version-invalid",
        "/metadata/environment",
    ),
    "env-and-environment": (
        {"env": {"container": "ubuntu"}, "environment": {"env_ver": "0.1"}},
        "migration-conflict",
        "/metadata",
    ),
    "0.1-with-1.0-fields": (
        {"environment": {"env_ver": "0.1", "files": {"requirements.txt": "x\n"}}},
        "migration-conflict",
        "/metadata/environment",
    ),
    "two-cloud-names": (
        {
            "environment": {
                "env_ver": "0.1",
                "cloud": {"env_name": "a", "Env_name": "b", "handler_url": "https://h"},
            }
        },
        "migration-conflict",
        "/metadata/environment",
    ),
    "metadata-env-with-1.0-fields": (
        {"env": {"container": "ubuntu", "python": "3.12"}},
        "migration-conflict",
        "/metadata/env",
    ),
    "environment-not-object": (
        {"environment": ["0.1"]},
        "environment-not-object",
        "/metadata/environment",
    ),
}


@pytest.mark.parametrize("case", BAD_METADATA)
def test_refusals_are_diagnostics(case):
    metadata, code, pointer = BAD_METADATA[case]
    before = canonical(make_notebook(metadata))
    result = migrate_bytes(before, "dir/analysis.ipynb")
    assert (result.status, result.after, result.written) == ("failed", None, False)
    assert result.before == before
    (diagnostic,) = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.file) == (
        code,
        "error",
        "dir/analysis.ipynb",
    )
    assert diagnostic.pointer == pointer
    assert diagnostic.message
    assert diagnostic.hint


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("a.ipynb", b'{"cells": [', "invalid-json"),
        ("a.ipynb", b"[]", "not-a-notebook"),
        ("a.ipynb", b'{"metadata": 3}', "not-a-notebook"),
        ("a.ipynb", b"", "empty-file"),
        ("a.ipynb", b'{"metadata": {"x": "\xff"}}', "not-utf8"),
        ("notes.txt", b"env_ver: '0.1'\n", "unknown-file-type"),
        ("env.envspec.yaml", b"- 1\n- 2\n", "environment-not-object"),
    ],
)
def test_unreadable_input_is_a_diagnostic(name, data, code):
    result = migrate_bytes(data, name)
    assert result.status == "failed"
    assert [d.code for d in result.diagnostics] == [code]


# ------------------------------------------------------------------------- standalone envspec files


def yaml_text(document: Mapping[str, Any]) -> bytes:
    import io

    out = io.StringIO()
    YAML(typ="rt").dump(copy.deepcopy(dict(document)), out)
    return out.getvalue().encode()


@pytest.mark.parametrize("document", [SEED, UNORDERED], ids=["seed", "unordered"])
def test_yaml_envfile_round_trip(document):
    up = migrate_bytes(yaml_text(document), "analysis.envspec.yaml")
    assert up.status == "migrated"
    assert up.after is not None
    migrated = YAML(typ="safe").load(up.after)
    assert migrated == migrate(document).document
    assert "|" in up.after.decode()  # multi-line texts are block scalars people can read
    assert migrate_bytes(up.after, "analysis.envspec.yaml").status == "unchanged"
    down = migrate_bytes(up.after, "analysis.envspec.yaml", to="0.1")
    assert down.after is not None
    restored = YAML(typ="safe").load(down.after)
    assert json.dumps(restored, ensure_ascii=False) == json.dumps(document, ensure_ascii=False)


COMMENTED_0_1 = """\
# Environment of the climate notebooks.
# Owner: data team.
env_ver: "0.1"   # legacy, to migrate
requirements.txt: |
    # pinned by pip-compile
    numpy==1.26.4
container: "quay.io/jupyter/scipy-notebook:2024-05-27"  # the image we test with
git:
    path: https://github.com/org/climate   # upstream
    commit id: 0123456789abcdef0123456789abcdef01234567
"""


def test_yaml_envfile_migration_keeps_comments_quotes_and_indentation():
    up = migrate_bytes(COMMENTED_0_1.encode(), "climate.envspec.yaml")
    assert up.status == "migrated"
    assert up.after is not None
    text = up.after.decode()
    expected = migrate(YAML(typ="safe").load(COMMENTED_0_1)).document
    assert YAML(typ="safe").load(text) == expected
    lines = text.splitlines()
    # The header, the comment on a key whose value changed, the quotes and the
    # file's four-space indentation are all still there.
    assert lines[:3] == [
        "# Environment of the climate notebooks.",
        "# Owner: data team.",
        'env_ver: "1.0"   # legacy, to migrate',
    ]
    assert "files:" in lines
    assert "    requirements.txt: |" in lines
    assert "        # pinned by pip-compile" in lines
    assert migrate_bytes(up.after, "climate.envspec.yaml").status == "unchanged"
    down = migrate_bytes(up.after, "climate.envspec.yaml", to="0.1")
    assert down.after is not None
    assert YAML(typ="safe").load(down.after) == YAML(typ="safe").load(COMMENTED_0_1)
    assert down.after.decode().splitlines()[:3] == COMMENTED_0_1.splitlines()[:3]


def test_yaml_envfile_members_in_another_order_keep_their_comments():
    original = (
        "git:  # where the notebooks live\n"
        "  path: https://github.com/org/climate\n"
        "  commit id: 0123456789abcdef0123456789abcdef01234567\n"
        "container: x  # the image\n"
        "env_ver: '0.1'  # last, as this team writes it\n"
    )
    up = migrate_bytes(original.encode(), "e.envspec.yaml")
    assert up.after is not None
    text = up.after.decode()
    assert YAML(typ="safe").load(text) == migrate(YAML(typ="safe").load(original)).document
    assert "env_ver: '1.0'  # last, as this team writes it" in text.splitlines()
    assert "git:  # where the notebooks live" in text.splitlines()


@pytest.mark.parametrize(
    "original",
    ["[unclosed\n", "- a list\n", "just text\n", "a: &x 1\nb: *x\n", "\tindented: by a tab\n"],
    ids=["invalid", "list", "scalar", "alias", "tab"],
)
def test_yaml_writer_falls_back_to_a_plain_file(original):
    from envspec.migrations.yaml_text import dump_yaml

    document = migrate(SEED).document
    assert dump_yaml(document, original) == dump_yaml(document)
    assert YAML(typ="safe").load(dump_yaml(document)) == document


def test_yaml_envfile_with_control_characters_reads_back_exactly():
    # Found by hypothesis: a legacy key "\x1b\n" is kept (and listed in the member
    # order) under extensions; a literal block cannot hold the escape character.
    document = {"env_ver": "0.1", "container": "ubuntu", "\x1b\n": None, "tab\there": "a\tb\n"}
    up = migrate_bytes(json.dumps(document).encode(), "e.envspec.yaml")
    assert up.after is not None
    assert YAML(typ="safe").load(up.after) == migrate(document).document
    down = migrate_bytes(up.after, "e.envspec.yaml", to="0.1")
    assert down.after is not None
    assert YAML(typ="safe").load(down.after) == document


def test_yaml_envfile_text_starting_with_a_blank_line_keeps_the_header():
    # Found by hypothesis: with a three-space indent, ruamel writes "|2" for a text that
    # starts with a blank line, and the text reads back with an extra space.
    original = (
        "# header\nenv_ver: '0.1'\nrequirements.txt: \"\\nnumpy==1.26.4\\n\"\n"
        "container: ubuntu\ngit:\n   path: https://github.com/o/r.git\n"
    )
    up = migrate_bytes(original.encode(), "e.envspec.yaml")
    assert up.after is not None
    text = up.after.decode()
    assert text.startswith("# header\n")
    assert YAML(typ="safe").load(text)["files"]["requirements.txt"] == "\nnumpy==1.26.4\n"


def test_the_plain_yaml_writer_always_reads_back():
    from envspec.migrations.yaml_text import dump_yaml

    awkward = {
        "env_ver": "1.0",
        "extensions": {"x": ["\x1b\n", "\n leading\n", "\ufeffbom\n", "\x7f\n", "é\n"]},
    }
    assert YAML(typ="safe").load(dump_yaml(awkward)) == awkward


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("env_ver: '1.0'\n", (2, 2, 0)),
        ("a:\n    b: 1\n", (4, 2, 0)),
        ("a:\n  - x\n", (2, 4, 2)),
        ("a:\n- x\nb:\n   c: 1\n", (3, 2, 0)),
        ("a: |\n    text:\n      more\nb:\n  - x\n", (2, 4, 2)),
        ("# a:\n#     b: 1\nc:\n    -   x\n", (2, 8, 4)),
    ],
    ids=["flat", "four", "indented-dash", "dash-at-key", "block-text", "wide-dash"],
)
def test_yaml_indentation_is_guessed(text, indent):
    from envspec.migrations.yaml_text import guess_indent

    assert guess_indent(text) == indent


@pytest.mark.parametrize("text", ["\x85", "a\u2028b", "end\u2029\n", "x\x85\n"])
def test_yaml_envfile_keeps_unicode_line_breaks(text):
    document = {"env_ver": "0.1", "setup.sh": text, text: text}
    up = migrate_bytes(json.dumps(document).encode(), "environment.envspec.yaml")
    assert up.after is not None
    migrated = YAML(typ="safe").load(up.after)
    assert migrated["files"]["postBuild"] == text
    assert migrated["extensions"]["envspec.legacy"]["kept"] == {text: text}
    down = migrate_bytes(up.after, "environment.envspec.yaml", to="0.1")
    assert down.after is not None
    assert YAML(typ="safe").load(down.after) == document


@pytest.mark.parametrize("document", [SEED, UNORDERED], ids=["seed", "unordered"])
def test_json_envfile_round_trip(document):
    before = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    up = migrate_bytes(before, "analysis.envspec.json")
    assert up.after is not None
    assert json.loads(up.after) == migrate(document).document
    assert migrate_bytes(up.after, "analysis.envspec.json").status == "unchanged"
    assert migrate_bytes(up.after, "analysis.envspec.json", to="0.1").after == before


# ------------------------------------------------------------------------------------ files on disk


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_migrate_paths_in_place_and_a_second_run_changes_no_byte(tmp_path):
    old = write(
        tmp_path / "nbs" / "old.ipynb", LAYOUTS["indent-2"](make_notebook({"environment": SEED}))
    )
    seed = write(
        tmp_path / "nbs" / "sub" / "seed.ipynb",
        canonical(make_notebook({"env": {"container": "ubuntu"}})),
    )
    new = write(
        tmp_path / "nbs" / "new.ipynb", canonical(make_notebook({"environment": NATIVE_1_0}))
    )
    envfile = write(tmp_path / "nbs" / "environment.envspec.yaml", yaml_text(SEED))
    results = migrate_paths([tmp_path / "nbs"])
    by_path = {Path(r.path).name: r for r in results}
    assert {name: r.status for name, r in by_path.items()} == {
        "old.ipynb": "migrated",
        "seed.ipynb": "migrated",
        "new.ipynb": "unchanged",
        "environment.envspec.yaml": "migrated",
    }
    for path in (old, seed, envfile):
        result = by_path[path.name]
        assert result.written
        assert path.read_bytes() == result.after
    assert not by_path["new.ipynb"].written
    before = snapshot(tmp_path)
    again = migrate_paths([tmp_path / "nbs"])
    assert {r.status for r in again} == {"unchanged"}
    assert snapshot(tmp_path) == before
    assert new.read_bytes() == canonical(make_notebook({"environment": NATIVE_1_0}))


def test_write_false_writes_nothing(tmp_path):
    path = write(tmp_path / "a.ipynb", canonical(make_notebook({"environment": SEED})))
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    (result,) = migrate_paths([path], write=False)
    assert result.status == "migrated"
    assert not result.written
    assert (path.read_bytes(), path.stat().st_mtime_ns) == (before, mtime)
    assert sorted(os.listdir(tmp_path)) == ["a.ipynb"]


def test_failed_file_is_not_written_and_others_are(tmp_path):
    bad = write(
        tmp_path / "bad.ipynb", canonical(make_notebook({"environment": {"env_ver": "2.0"}}))
    )
    good = write(tmp_path / "good.ipynb", canonical(make_notebook({"environment": SEED})))
    bad_before, bad_mtime = bad.read_bytes(), bad.stat().st_mtime_ns
    results = {Path(r.path).name: r for r in migrate_paths([bad, good])}
    assert results["bad.ipynb"].status == "failed"
    assert (bad.read_bytes(), bad.stat().st_mtime_ns) == (bad_before, bad_mtime)
    assert results["good.ipynb"].written
    assert json.loads(good.read_bytes())["metadata"]["environment"]["env_ver"] == "1.0"


def test_read_only_notebook_is_migrated_and_keeps_its_mode(tmp_path):
    path = write(tmp_path / "ro.ipynb", canonical(make_notebook({"environment": SEED})))
    path.chmod(0o444)
    try:
        (result,) = migrate_paths([path])
        assert result.written
        assert stat.S_IMODE(path.stat().st_mode) == 0o444
        assert json.loads(path.read_bytes())["metadata"]["environment"]["env_ver"] == "1.0"
    finally:
        path.chmod(0o644)


def test_executable_bit_and_group_mode_are_kept(tmp_path):
    path = write(tmp_path / "x.envspec.json", json.dumps(SEED).encode())
    path.chmod(0o750)
    migrate_paths([path])
    assert stat.S_IMODE(path.stat().st_mode) == 0o750


def test_symlinked_notebook_is_written_through(tmp_path):
    target = write(
        tmp_path / "real" / "analysis.ipynb", canonical(make_notebook({"environment": SEED}))
    )
    link = tmp_path / "link.ipynb"
    link.symlink_to(target)
    (result,) = migrate_paths([link])
    assert result.written
    assert link.is_symlink()
    assert link.resolve() == target.resolve()
    assert json.loads(target.read_bytes())["metadata"]["environment"]["env_ver"] == "1.0"
    assert sorted(os.listdir(tmp_path / "real")) == ["analysis.ipynb"]  # no temporary file left


def test_file_migration_records_the_original_bytes(tmp_path):
    data = canonical(make_notebook({"environment": SEED}))
    path = write(tmp_path / "a.ipynb", data)
    (result,) = migrate_paths([path])
    assert isinstance(result, FileMigration)
    assert result.before == data
    assert result.path == str(path)
