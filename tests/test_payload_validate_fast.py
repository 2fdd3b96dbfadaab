"""``envspec payload validate`` without pydantic: a document the schema walk finds
certainly valid skips the models, and the diagnostics are the same as with the models,
on every example and on thousands of broken variants of them."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envspec.notebook import read_document
from envspec.payloads import _fastcheck, validate
from envspec.payloads._fastcheck import certainly_valid
from envspec.payloads.validate import check_payload

EXAMPLES = sorted(Path(__file__).parent.parent.joinpath("examples", "payloads").glob("*.yaml"))

#: Values put in place of each member: wrong types, empty, escaping, secret-looking,
#: below a request, a duplicate name...
REPLACEMENTS: list[Any] = [
    None, 12, 1.5, True, "", "x", "X Y", "../up", "/abs", [], {}, ["a", "a"],
    "correct-horse-battery-staple", "ghp_" + "a" * 36, "1Mi", "64Gi", "(a+)+$", "(?P<v>",
    "wrapper", "nfs", "release", "nightly",
]  # fmt: skip


def documents() -> Iterator[tuple[str, Any]]:
    for path in EXAMPLES:
        read = read_document(path.read_bytes(), "envfile-yaml")
        assert read.document is not None
        yield path.name, read.document


def variants(document: Any) -> Iterator[Any]:
    """The document with one member removed, replaced, or its list's first item doubled."""

    def paths(node: Any, at: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        yield at
        if isinstance(node, dict):
            for key, value in node.items():
                yield from paths(value, (*at, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from paths(value, (*at, index))

    def parent(doc: Any, at: tuple[Any, ...]) -> Any:
        for part in at[:-1]:
            doc = doc[part]
        return doc

    for at in list(paths(document, ())):
        if not at:
            continue
        if isinstance(parent(document, at), dict):
            changed = copy.deepcopy(document)
            del parent(changed, at)[at[-1]]
            yield changed
        for value in REPLACEMENTS:
            changed = copy.deepcopy(document)
            parent(changed, at)[at[-1]] = copy.deepcopy(value)
            yield changed
        node = parent(document, at)[at[-1]]
        if isinstance(node, list) and node:
            changed = copy.deepcopy(document)
            target = parent(changed, at)[at[-1]]
            target.append(copy.deepcopy(target[0]))
            yield changed


def both_ways(document: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    fast = check_payload(document)
    with monkeypatch.context() as m:
        m.setattr(validate, "FAST_PATH", False)
        slow = check_payload(document)
    return fast, slow


@pytest.mark.parametrize(("name", "document"), list(documents()), ids=lambda v: str(v)[:30])
def test_every_example_is_certainly_valid(name, document):
    assert certainly_valid(document), name
    assert check_payload(document) == []


@pytest.mark.slow
def test_broken_variants_of_every_example_give_the_same_diagnostics_either_way(monkeypatch):
    fast_taken = checked = 0
    for _, document in documents():
        for variant in variants(document):
            fast, slow = both_ways(variant, monkeypatch)
            assert fast == slow, variant
            checked += 1
            if isinstance(variant, dict) and certainly_valid(variant):
                fast_taken += 1
    assert checked > 1000
    assert fast_taken > 50  # valid variants (a title changed...) took the fast path


@pytest.mark.parametrize(
    "text",
    [
        "lab:\n  sizes:\n    - {name: s, cpu: {}, memory: {request: 8Gi, limit: 4Gi}}\n",
        "lab:\n  env:\n    DB_PASSWORD: {value: correct-horse-battery}\n",
        "lab:\n  files:\n    - {path: /etc/x, content: 'token=ghp_" + "a" * 36 + "'}\n",
        "lab: {default_size: big, sizes: [{name: s, cpu: {}, memory: {}}]}\n",
        "lab: {volumes: [{name: v, mount_path: /a, source: nfs, server: s}]}\n",
        "lab: {kernel: {method: wrapper}}\n",
        "build: {script: {folder: build, run: ../../x}}\n",
        "build: {}\n",
        "menu: {aliases: [latest, latest]}\n",
        "menu: {prepull: {nightly: 1}}\n",
        "menu: {bot_names: {x: {latest: release, tag: latest}}}\n",
        "compatibility: {interface: '1.0', images: [{tag: a, rebuilds: a}]}\n",
        "name: 'science\\n'\n",
    ],
)
def test_each_check_of_the_models_is_made_without_them(text, monkeypatch):
    head = 'payload_ver: "1.0"\nimage: {type: docker, registry: ghcr.io, repository: o/lab}\n'
    head += "tags: {policy: semver}\n"
    if not text.startswith("name:"):
        head += "name: science\n"
    read = read_document((head + text).encode(), "envfile-yaml")
    assert not certainly_valid(read.document)
    fast, slow = both_ways(read.document, monkeypatch)
    assert fast == slow != []


def test_every_model_validator_has_its_plain_counterpart():
    from pydantic import BaseModel

    from envspec.payloads import models

    # The base's check (no nulls) is the walk's own; a document's unknown members are
    # reported from the schema by both ways.
    common = {"_omitted_not_null", "_exactly_known"}
    checked = set()
    for cls in vars(models).values():
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            decorators = cls.__pydantic_decorators__
            names = {*decorators.model_validators, *decorators.field_validators}
            if names - common:
                checked.add(cls.__name__)
    # Fields typed Relative (an after-validator on a type) are checked by their models.
    checked |= {"InstallScript", "PayloadRef"}
    assert checked <= set(_fastcheck._SEMANTIC)


def test_the_plain_constants_are_the_models():
    from envspec.models.v1_0 import ENV_VAR_NAME
    from envspec.payloads.models._common import BUILTIN_CATEGORIES

    assert _fastcheck.ENV_VAR_NAME == ENV_VAR_NAME
    assert _fastcheck.BUILTIN_CATEGORIES == BUILTIN_CATEGORIES


def test_a_schema_keyword_the_walk_does_not_know_means_not_certain():
    assert not _fastcheck._ok("x", {"format": "email"}, {})
    assert _fastcheck._ok("x", {"type": "string", "pattern": "^x$"}, {})
    assert not _fastcheck._ok("x\n", {"type": "string", "pattern": "^x$"}, {})
    assert re.search("^x$", "x\n")  # what the walk guards against
