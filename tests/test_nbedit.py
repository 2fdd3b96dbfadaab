"""``envspec.nbedit.edit_metadata``: metadata members change, every other byte stays.

The reference for the canonical layout is nbformat's own writer: editing a
notebook written by ``nbformat.writes`` must give exactly what
``nbformat.writes`` gives for the edited notebook.  Other layouts are
written with ``json.dumps`` and compared with ``json.dumps`` of the edited
notebook (same options).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

import nbformat
import pytest

from envspec.nbedit import REMOVE, NotebookEditError, edit_metadata, sorts_keys

ENV_1_0: dict[str, Any] = {
    "env_ver": "1.0",
    "files": {"requirements.txt": "numpy==2.1.2\n", "postBuild": "#!/bin/sh\necho ✓ é\n"},
    "image": {"ref": "quay.io/jupyter/scipy-notebook:2024-10-07"},
    "extensions": {"org.example.tool": {"empty": {}, "list": [], "nested": [1, {"b": None}]}},
}
ENV_0_1: dict[str, Any] = {"env_ver": "0.1", "requirements.txt": "numpy\n"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def notebook(metadata: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A notebook with cells, outputs, ids and non-ASCII text, and *metadata*."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell('# Données ✓\n\n"metadata": {}', id="intro"),
        nbformat.v4.new_code_cell(
            "print('é')",
            id="code-1",
            execution_count=1,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="é\n")],
        ),
    ]
    nb.metadata.update(copy.deepcopy(dict(metadata)))
    return nb


def canonical(nb: Mapping[str, Any]) -> str:
    """What ``nbformat.write`` (and so Jupyter) writes."""
    return nbformat.writes(nbformat.from_dict(copy.deepcopy(dict(nb)))) + "\n"


def edited(nb: nbformat.NotebookNode, changes: Mapping[str, Any]) -> nbformat.NotebookNode:
    out = copy.deepcopy(nb)
    for key, value in changes.items():
        if value is REMOVE:
            out.metadata.pop(key, None)
        else:
            out.metadata[key] = copy.deepcopy(value)
    return out


LAYOUTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "canonical": canonical,
    "canonical-crlf": lambda nb: canonical(nb).replace("\n", "\r\n"),
    "indent-2": lambda nb: json.dumps(nb, indent=2),
    "indent-4-raw": lambda nb: json.dumps(nb, indent=4, ensure_ascii=False) + "\n",
    "indent-tab": lambda nb: json.dumps(nb, indent="\t"),
    "compact": lambda nb: json.dumps(nb, separators=(",", ":")),
    "one-line-spaced": json.dumps,
    "sorted-indent-1-escaped": lambda nb: json.dumps(nb, indent=1, sort_keys=True) + "\n",
    "crlf-indent-2": lambda nb: json.dumps(nb, indent=2).replace("\n", "\r\n"),
}

CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "insert-into-empty-metadata": ({}, {"environment": ENV_1_0}),
    "insert-beside-one-key": ({"kernelspec": KERNELSPEC}, {"environment": ENV_1_0}),
    "insert-before-a-later-key": (
        {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}},
        {"environment": ENV_1_0},
    ),
    "insert-first": ({"kernelspec": KERNELSPEC}, {"a-first-key": 1}),
    "insert-last": ({"kernelspec": KERNELSPEC}, {"zz-last-key": [1, 2]}),
    "replace": ({"environment": ENV_0_1, "kernelspec": KERNELSPEC}, {"environment": ENV_1_0}),
    "replace-only-key": ({"environment": ENV_0_1}, {"environment": ENV_1_0}),
    "replace-with-scalar": ({"environment": ENV_0_1}, {"environment": "text"}),
    "remove-only-key": ({"environment": ENV_0_1}, {"environment": REMOVE}),
    "remove-first-of-two": (
        {"environment": ENV_0_1, "kernelspec": KERNELSPEC},
        {"environment": REMOVE},
    ),
    "remove-last-of-two": ({"a": 1, "environment": ENV_0_1}, {"environment": REMOVE}),
    "remove-middle": ({"a": 1, "environment": ENV_0_1, "z": 2}, {"environment": REMOVE}),
    "remove-missing-key": ({"kernelspec": KERNELSPEC}, {"environment": REMOVE}),
    "seed-env-to-environment": (
        {"env": {"container": "gcr.io/p/tf:1"}, "kernelspec": KERNELSPEC},
        {"env": REMOVE, "environment": ENV_1_0},
    ),
    "seed-env-only-key": ({"env": {"container": "x"}}, {"env": REMOVE, "environment": ENV_1_0}),
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CASES)
def test_edit_equals_the_writer_of_the_layout(case, layout):
    metadata, changes = CASES[case]
    write = LAYOUTS[layout]
    before = notebook(metadata)
    text = write(before)
    assert edit_metadata(text, changes) == write(edited(before, changes))


def test_canonical_layout_is_what_nbformat_writes_after_the_change():
    before = notebook({"kernelspec": KERNELSPEC, "environment": ENV_0_1})
    text = nbformat.writes(before) + "\n"
    new = edit_metadata(text, {"environment": ENV_1_0})
    reread = nbformat.reads(new, as_version=4)
    assert reread.metadata.environment == ENV_1_0
    assert nbformat.writes(reread) + "\n" == new  # nbformat would write the very same bytes
    assert reread.cells == before.cells


def test_bytes_outside_the_edited_value_are_kept():
    before = notebook({"environment": ENV_0_1, "kernelspec": KERNELSPEC, "zeta": "ü"})
    text = json.dumps(before, indent=3, ensure_ascii=False)
    old_value = json.dumps(ENV_0_1, indent=3, ensure_ascii=False).replace("\n", "\n" + " " * 6)
    assert text.count(old_value) == 1
    new = edit_metadata(text, {"environment": {"env_ver": "1.0"}})
    head, tail = text.split(old_value)
    assert new.startswith(head)
    assert new.endswith(tail)
    assert json.loads(new[len(head) : len(new) - len(tail)]) == {"env_ver": "1.0"}


def test_unsorted_keys_keep_their_order_and_new_keys_go_last():
    text = '{"nbformat": 4, "metadata": {"z": 1, "a": 2}, "nbformat_minor": 5, "cells": []}'
    assert edit_metadata(text, {"m": {"y": 1, "b": 2}}) == (
        '{"nbformat": 4, "metadata": {"z": 1, "a": 2, "m": {"y": 1, "b": 2}}, '
        '"nbformat_minor": 5, "cells": []}'
    )


def test_sorted_layout_inserts_in_order_and_sorts_the_new_value():
    text = '{\n "cells": [],\n "metadata": {\n  "a": 1,\n  "z": 2\n },\n "nbformat": 4\n}\n'
    assert edit_metadata(text, {"m": {"y": 1, "b": 2}}) == (
        '{\n "cells": [],\n "metadata": {\n  "a": 1,\n  "m": {\n   "b": 2,\n   "y": 1\n  },\n'
        '  "z": 2\n },\n "nbformat": 4\n}\n'
    )


def test_non_ascii_follows_the_file():
    escaped = '{"metadata": {"a": "\\u00e9"}, "cells": []}'
    assert edit_metadata(escaped, {"b": "ü"}) == (
        '{"metadata": {"a": "\\u00e9", "b": "\\u00fc"}, "cells": []}'
    )
    raw = '{"metadata": {"a": "é"}, "cells": []}'
    assert edit_metadata(raw, {"b": "ü"}) == '{"metadata": {"a": "é", "b": "ü"}, "cells": []}'


def test_crlf_file_gets_crlf_only():
    before = notebook({"kernelspec": KERNELSPEC})
    text = canonical(before).replace("\n", "\r\n")
    new = edit_metadata(text, {"environment": ENV_1_0})
    assert "\n" not in new.replace("\r\n", "")
    assert json.loads(new)["metadata"]["environment"] == ENV_1_0


def test_several_changes_at_once():
    before = notebook({"a": 1, "b": 2, "c": 3})
    changes = {"a": REMOVE, "b": {"x": [1]}, "d": None}
    assert edit_metadata(canonical(before), changes) == canonical(edited(before, changes))


def test_no_changes_is_identity():
    text = json.dumps(notebook({"a": 1}), indent=7)
    assert edit_metadata(text, {}) == text


def test_duplicate_key_keeps_one_member_with_the_new_value():
    # JSON readers (json.loads, nbformat) use the last of duplicate keys.
    text = (
        '{\n "metadata": {\n  "environment": {"env_ver": "0.1"},\n'
        '  "k": 1,\n  "environment": 2\n }\n}'
    )
    assert json.loads(text)["metadata"]["environment"] == 2
    new = edit_metadata(text, {"environment": {"env_ver": "1.0"}})
    assert new.count('"environment"') == 1
    assert json.loads(new)["metadata"] == {"k": 1, "environment": {"env_ver": "1.0"}}


def test_duplicate_key_remove_removes_every_copy():
    text = '{"metadata": {"env": 1, "k": 1, "env": 2, "env": 3}, "cells": []}'
    new = edit_metadata(text, {"env": REMOVE})
    assert new == '{"metadata": {"k": 1}, "cells": []}'


def test_duplicate_metadata_member_edits_the_last_one():
    text = '{"metadata": {"a": 1}, "cells": [], "metadata": {"b": 2}}'
    new = edit_metadata(text, {"c": 3})
    assert new == '{"metadata": {"a": 1}, "cells": [], "metadata": {"b": 2, "c": 3}}'
    assert json.loads(new)["metadata"] == {"b": 2, "c": 3}


def test_whitespace_inside_empty_metadata_is_replaced():
    text = '{\n "cells": [],\n "metadata": { \n },\n "nbformat": 4\n}\n'
    new = edit_metadata(text, {"k": 1})
    assert new == '{\n "cells": [],\n "metadata": {\n  "k": 1\n },\n "nbformat": 4\n}\n'


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("canonical", True),
        ("canonical-crlf", True),
        ("sorted-indent-1-escaped", True),
        ("indent-2", False),
        ("compact", False),
    ],
)
def test_sorts_keys_says_whether_new_values_are_sorted(layout, expected):
    text = LAYOUTS[layout](notebook({"kernelspec": KERNELSPEC}))
    assert sorts_keys(text) is expected
    new = edit_metadata(text, {"environment": {"z": 1, "a": 2}})
    z_first = new.index('"z"') < new.index('"a"', new.index('"environment"'))
    assert z_first is not expected


@pytest.mark.parametrize(
    "text",
    [
        '{"metadata": [], "cells": []}',
        '{"metadata": "env", "cells": []}',
        '{"metadata": null, "cells": []}',
        '{"cells": []}',
        "[1, 2]",
        '"metadata"',
        "",
    ],
    ids=["list", "string", "null", "missing", "top-level-list", "top-level-string", "empty"],
)
def test_metadata_that_is_not_an_object_is_refused(text):
    with pytest.raises(NotebookEditError):
        edit_metadata(text, {"environment": {"env_ver": "1.0"}})


def test_refusal_is_a_value_error():
    assert issubclass(NotebookEditError, ValueError)
    with pytest.raises(ValueError, match="metadata"):
        edit_metadata('{"cells": []}', {"k": 1})
