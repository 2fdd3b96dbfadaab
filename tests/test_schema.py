"""The committed JSON Schemas: generated from the models, valid 2020-12 schemas, and applied by
envspec's own small validator exactly as the reference ``jsonschema`` implementation applies
them (with ECMA-262 regular expressions, as the JSON Schema specification requires)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envspec._jsonschema import UnsupportedSchema, iter_errors
from envspec._jsonschema_reference import reference_errors
from envspec.schema import SCHEMA_IDS, generate_all, load, schema_filename
from envspec.vocabulary import FILES

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
REGENERATE = (
    'regenerate them with: python -c "from pathlib import Path; from envspec.schema import '
    "generate_all; [Path('src/envspec/schemas', n).write_text(t, encoding='utf-8') "
    'for n, t in generate_all().items()]"'
)
SHA1 = "0123456789abcdef0123456789abcdef01234567"


# ------------------------------------------------------------------------------- drift


def test_committed_schemas_match_the_models():
    generated = generate_all()
    assert sorted(generated) == sorted(p.name for p in SCHEMAS.glob("*.schema.json"))
    for name, text in generated.items():
        committed = (SCHEMAS / name).read_text("utf-8")
        assert committed == text, f"schemas/{name} is out of date with the models; {REGENERATE}"


def test_the_repository_schemas_are_the_package_schemas():
    for name in SCHEMA_IDS:
        filename = schema_filename(name)
        assert json.loads((SCHEMAS / filename).read_text("utf-8")) == load(name)


@pytest.mark.parametrize("name", list(SCHEMA_IDS))
def test_every_schema_is_a_valid_2020_12_schema(name):
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert (
        schema["$id"] == SCHEMA_IDS[name] == f"https://envspec.dev/schemas/{schema_filename(name)}"
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft202012Validator


@pytest.mark.parametrize("name", ["0.1", "1.0"])
def test_the_internal_validator_supports_every_keyword_used(name):
    # It refuses keywords it does not implement; the committed schemas must use none.
    assert list(iter_errors({"env_ver": name}, load(name))) == []


def test_the_internal_validator_refuses_unknown_keywords():
    with pytest.raises(UnsupportedSchema):
        list(iter_errors("x", {"type": "string", "format": "email"}))
    with pytest.raises(UnsupportedSchema):
        list(iter_errors({}, {"$ref": "https://example.org/remote.json"}))


def test_the_file_name_enum_is_the_vocabulary():
    assert load("1.0")["properties"]["files"]["propertyNames"]["enum"] == list(FILES)


# --------------------------------------------------------- agreement with jsonschema


def _ecma_pattern(validator, pattern, instance, schema):
    import regress

    if validator.is_type(instance, "string") and regress.Regex(pattern).find(instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


#: The reference: jsonschema's 2020-12 validator with ECMA-262 patterns (as check-jsonschema).
Reference = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)


def agree(document: Any, name: str = "1.0") -> tuple[bool, bool]:
    schema = load(name)
    errors = list(iter_errors(document, schema))
    # The compiled validator gives exactly the errors of the plain reading of the schema.
    assert errors == list(reference_errors(document, schema))
    ours = not errors
    theirs = Reference(schema).is_valid(document)
    return ours, theirs


VALID_10: dict[str, Any] = {
    "env_ver": "1.0",
    "files": {"requirements.txt": "numpy\n", "Dockerfile": "FROM x\n"},
    "python": "3.12.4",
    "kernel": {"name": "python3", "language": "python", "display_name": "Python 3"},
    "image": {"ref": "python:3.12", "digest": "sha512:" + "0" * 128},
    "env": {"A": "1", "B": None},
    "git": {"url": "https://github.com/org/repo", "commit": "f" * 64, "subdir": "nb"},
    "cloud": [{"name": "x", "handler_url": "https://h", "version": "1", "metadata": {"k": [None]}}],
    "hardware": {
        "cpu": 0.5,
        "memory": "512M",
        "gpu": {"count": 2, "vendor": "amd", "memory": "16Gi"},
    },
    "provenance": {"migrated_from": "0.1"},
    "extensions": {"juv": {}, "org.example.tool": None},
}

HAND_WRITTEN_10 = [
    VALID_10,
    {"env_ver": "1.0"},
    {},
    [],
    "1.0",
    None,
    {"env_ver": "1.1"},
    {"env_ver": 1.0},
    {"env_ver": "1.0", "python": "3.12\n"},
    {"env_ver": "1.0", "python": "3"},
    {"env_ver": "1.0", "python": None},
    {"env_ver": "1.0", "files": {"setup.sh": "x"}},
    {"env_ver": "1.0", "files": {"requirements.txt": 1}},
    {"env_ver": "1.0", "files": []},
    {"env_ver": "1.0", "kernel": {"name": "python3"}},
    {"env_ver": "1.0", "kernel": {"name": "py 3", "language": "python"}},
    {"env_ver": "1.0", "kernel": {"name": "k\n", "language": "python"}},
    {"env_ver": "1.0", "kernel": {"name": "k", "language": ""}},
    {"env_ver": "1.0", "image": {"ref": "x" * 255}},
    {"env_ver": "1.0", "image": {"ref": "x" * 256}},
    {"env_ver": "1.0", "image": {"ref": "x", "digest": "sha256:" + "a" * 64 + "\n"}},
    {"env_ver": "1.0", "image": {"ref": "x", "digest": "SHA256:" + "a" * 64}},
    {"env_ver": "1.0", "env": {"1A": None}},
    {"env_ver": "1.0", "env": {"A": 1}},
    {"env_ver": "1.0", "env": {"A\n": None}},
    {"env_ver": "1.0", "git": {"url": "x", "commit": SHA1}},
    {"env_ver": "1.0", "git": {"url": "", "commit": SHA1}},
    {"env_ver": "1.0", "git": {"url": "x", "commit": SHA1.upper()}},
    {"env_ver": "1.0", "git": {"url": "x", "commit": SHA1 + "\n"}},
    {"env_ver": "1.0", "cloud": []},
    {"env_ver": "1.0", "cloud": [{}]},
    {"env_ver": "1.0", "cloud": {"name": "x", "handler_url": "y"}},
    {"env_ver": "1.0", "hardware": {"cpu": 0}},
    {"env_ver": "1.0", "hardware": {"cpu": True}},
    {"env_ver": "1.0", "hardware": {"cpu": 1e-300}},
    {"env_ver": "1.0", "hardware": {"gpu": {"count": 1.0}}},
    {"env_ver": "1.0", "hardware": {"gpu": {"count": 1.5}}},
    {"env_ver": "1.0", "hardware": {"gpu": {"count": 0}}},
    {"env_ver": "1.0", "hardware": {"gpu": {"count": True}}},
    {"env_ver": "1.0", "hardware": {"memory": "8Gi\n"}},
    {"env_ver": "1.0", "hardware": {"memory": "1.5Ti"}},
    {"env_ver": "1.0", "hardware": {"memory": ".5G"}},
    {"env_ver": "1.0", "provenance": {"migrated_from": "01.0"}},
    {"env_ver": "1.0", "extensions": {"Juv": 1}},
    {"env_ver": "1.0", "extensions": {"juv\n": 1}},
    {"env_ver": "1.0", "extensions": {"a.b-c_d": 1}},
    {"env_ver": "1.0", "unknown": 1},
    {"env_ver": "1.0", "kernel": {"name": "k", "language": "l", "icon": "x"}},
]

HAND_WRITTEN_01 = [
    {"env_ver": "0.1"},
    {
        "env_ver": "0.1",
        "requirements.txt": "x",
        "environment.yml": "y",
        "environment.yaml": "z",
        "setup.sh": "s",
        "container": "c",
        "cloud": {"Env_name": "e", "Cloud_ver": [1, "a"], "handler_url": "h", "metadata": {}},
        "git": {"path": "p", "commit id": "abc"},
        "anything": [1, 2],
    },
    {"env_ver": "0.1", "cloud": {"cloud_ver": True}},
    {"env_ver": "0.1", "cloud": {"cloud_ver": 1.5}},
    {"env_ver": "0.1", "git": {"commit id": 5}},
    {"env_ver": "0.1", "requirements.txt": None},
    {"env_ver": "1.0"},
    {"requirements.txt": "x"},
]


@pytest.mark.parametrize("document", HAND_WRITTEN_10, ids=range(len(HAND_WRITTEN_10)))
def test_agreement_on_hand_written_1_0_documents(document):
    ours, theirs = agree(document, "1.0")
    assert ours == theirs


@pytest.mark.parametrize("document", HAND_WRITTEN_01, ids=range(len(HAND_WRITTEN_01)))
def test_agreement_on_hand_written_0_1_documents(document):
    ours, theirs = agree(document, "0.1")
    assert ours == theirs


def test_the_hand_written_documents_are_not_all_alike():
    verdicts = [agree(d)[0] for d in HAND_WRITTEN_10]
    assert verdicts.count(True) >= 6
    assert verdicts.count(False) >= 30


# Hypothesis: documents near the schema (known keys, values that are almost right) and
# arbitrary JSON in every position.

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
near_strings = st.sampled_from(
    [
        *("", "3", "3.12", "3.12.4", "3.12\n", "python3", "py 3", "8Gi", "8 GB", "1.5Ti"),
        *("0.1", "01.0", "sha256:" + "a" * 64, "sha256:" + "A" * 64, "sha512:" + "b" * 128),
        *(SHA1, SHA1.upper(), "f" * 64, "juv", "Juv", "org.example.tool", "A_B", "1AB"),
        *("x" * 256, "https://h", "\n", "é", "a-b"),
    ]
)  # fmt: skip
values = near_strings | json_values | st.integers(-2, 3) | st.sampled_from([0.5, 1.0, 2.0, -1.0])
KNOWN_KEYS = (
    *("name", "language", "display_name", "ref", "digest", "url", "commit", "subdir"),
    *("handler_url", "version", "metadata", "cpu", "memory", "gpu", "count", "vendor"),
    *("migrated_from", "unknown"),
)
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=4)


def objects(known: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Objects with some *known* keys (each near-valid or arbitrary), sometimes extra keys."""
    return (
        st.tuples(
            st.fixed_dictionaries({}, optional={k: v | values for k, v in known.items()}),
            st.dictionaries(keys, values, max_size=2),
        ).map(lambda pair: {**pair[1], **pair[0]})
        | json_values
    )


kernel = objects({"name": near_strings, "language": near_strings, "display_name": near_strings})
image = objects({"ref": near_strings, "digest": near_strings})
git = objects({"url": near_strings, "commit": near_strings, "subdir": near_strings})
gpu = objects({"count": st.integers(-1, 3), "vendor": near_strings, "memory": near_strings})
hardware = objects(
    {"cpu": st.sampled_from([0, 0.5, 2, -1, 1e-9]), "memory": near_strings, "gpu": gpu}
)
cloud_target = objects(
    {
        "name": near_strings,
        "handler_url": near_strings,
        "version": near_strings,
        "metadata": json_values,
    }
)
cloud = st.lists(cloud_target, max_size=2) | json_values
file_names = st.sampled_from([*FILES, "setup.sh", "x"])
documents = st.fixed_dictionaries(
    {"env_ver": st.sampled_from(["1.0", "1.0", "1.0", "1.1", "0.1", 1.0])},
    optional={
        "files": st.dictionaries(file_names, near_strings | values, max_size=3) | json_values,
        "python": near_strings | values,
        "kernel": kernel,
        "image": image,
        "env": st.dictionaries(near_strings, st.none() | near_strings | values, max_size=3)
        | json_values,
        "git": git,
        "cloud": cloud,
        "hardware": hardware,
        "provenance": objects({"migrated_from": near_strings}),
        "extensions": st.dictionaries(near_strings, json_values, max_size=2) | json_values,
        "unknown": values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_agreement_on_generated_1_0_documents(document):
    ours, theirs = agree(document, "1.0")
    assert ours == theirs


legacy_documents = st.fixed_dictionaries(
    {"env_ver": st.sampled_from(["0.1", "0.1", "1.0"])},
    optional={
        "requirements.txt": near_strings | values,
        "environment.yml": values,
        "container": values,
        "cloud": objects(
            {"Env_name": near_strings, "Cloud_ver": values, "handler_url": near_strings}
        ),
        "git": objects({"path": near_strings, "commit id": near_strings}),
        "extra": values,
    },
)


@settings(max_examples=200, deadline=None)
@given(legacy_documents)
def test_agreement_on_generated_0_1_documents(document):
    ours, theirs = agree(document, "0.1")
    assert ours == theirs


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_single_mutations_of_a_valid_document(data):
    # Replace one value anywhere in a valid document with something else.
    document = copy.deepcopy(VALID_10)
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i))

    walk(document, ())
    path = data.draw(st.sampled_from(paths[1:]))
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = data.draw(values)
    ours, theirs = agree(document, "1.0")
    assert ours == theirs


# Every keyword the validator knows, in one schema (with a recursive reference), against
# arbitrary JSON: the compiled validator and the plain reading give the same errors.
EVERY_KEYWORD: dict[str, Any] = {
    "$defs": {
        "Tree": {
            "type": "object",
            "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}},
            "additionalProperties": {"type": ["string", "integer"], "maxLength": 2},
        },
        "Short": {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"},
    },
    "type": "object",
    "required": ["a", "b"],
    "properties": {
        "a": {"anyOf": [{"$ref": "#/$defs/Short"}, {"type": "null"}, {"type": "integer"}]},
        "b": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/Tree"}},
        "c": {"enum": [1, "x", None, [1]]},
        "d": {"const": {"k": [1.0]}},
        "e": {"type": "number", "minimum": -1, "maximum": 2.5, "exclusiveMinimum": -2},
        "f": {"type": "integer", "minimum": 0},
        "g": {"type": "boolean"},
        "h": {"anyOf": [{"type": "string"}, {"type": ["array", "object"]}]},
        "i": {"type": "string", "minLength": 1},
        "j": {"anyOf": [{"minLength": 2}, {"minimum": 3}]},
        "k": {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "number", "maximum": -5}]},
    },
    "propertyNames": {"pattern": "^[a-k]$|^x", "maxLength": 3},
    "additionalProperties": False,
}
near_every_keyword = st.dictionaries(
    st.sampled_from([*"abcdefghijk", "x", "xyz1", "l", ""]),
    near_strings | values | st.lists(values | objects({"children": st.lists(values)}), max_size=3),
    max_size=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_every_keyword | json_values)
def test_the_compiled_validator_reads_every_keyword_as_the_reference(document):
    errors = list(iter_errors(document, EVERY_KEYWORD))
    assert errors == list(reference_errors(document, EVERY_KEYWORD))


def test_the_schema_of_every_keyword_finds_what_it_should():
    errors = list(
        iter_errors({"a": "B", "b": [{"children": [{"z": "long"}]}], "y": 1}, EVERY_KEYWORD)
    )
    assert [(e.path, e.keyword) for e in errors] == [
        (("a",), "minLength"),  # of the one branch of the anyOf whose type matches
        (("a",), "pattern"),
        (("b",), "minItems"),
        (("b", 0, "children", 0, "z"), "maxLength"),
        (("y",), "propertyNames"),
        (("y",), "additionalProperties"),
    ]
    assert errors == list(
        reference_errors({"a": "B", "b": [{"children": [{"z": "long"}]}], "y": 1}, EVERY_KEYWORD)
    )


# ---------------------------------------------------------------------- check-jsonschema


def run_check_jsonschema(
    *documents: Path, schema: str = "environment-1.0.schema.json"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(SCHEMAS / schema),
         *map(str, documents)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_check_jsonschema_accepts_a_valid_document(tmp_path):
    good = tmp_path / "environment.envspec.yaml"
    good.write_text(
        'env_ver: "1.0"\npython: "3.12"\nkernel: {name: python3, language: python}\n'
        "files:\n  requirements.txt: |\n    numpy==2.1.2\n",
        encoding="utf-8",
    )
    full = tmp_path / "full.envspec.json"
    full.write_text(json.dumps(VALID_10), encoding="utf-8")
    done = run_check_jsonschema(good, full)
    assert done.returncode == 0, done.stdout + done.stderr
    assert agree(VALID_10) == (True, True)


def test_check_jsonschema_rejects_invalid_documents_as_envspec_does(tmp_path):
    bad = tmp_path / "bad.envspec.json"
    bad.write_text(
        json.dumps({"env_ver": "1.0", "python": 3.12, "files": {"setup.sh": "x"}}), encoding="utf-8"
    )
    # Python's "$" would accept "3.12\n"; JSON Schema's ECMA-262 "$" does not, nor does envspec.
    newline = tmp_path / "newline.envspec.yaml"
    newline.write_text('env_ver: "1.0"\npython: "3.12\\n"\n', encoding="utf-8")
    done = run_check_jsonschema(bad, newline)
    assert done.returncode == 1
    assert "bad.envspec.json::$.python" in done.stdout
    assert "setup.sh" in done.stdout
    assert "newline.envspec.yaml::$.python" in done.stdout
    assert agree({"env_ver": "1.0", "python": "3.12\n"}) == (False, False)
