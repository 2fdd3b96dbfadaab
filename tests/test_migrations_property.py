"""Property-based tests of migration over generated 0.1 documents and notebooks.

Documents mix every 0.1 member, both spellings of the cloud members, unknown
members, unicode and odd-but-valid values, in any member order.  Only
documents the 0.1 validator accepts are used.  For each: migration does not
raise, gives a 1.0 document that validates and means the same thing, is
idempotent, and a downgrade gives the original back; in a notebook nothing
but ``metadata.environment`` changes, in any layout, and a round trip gives
the original bytes.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import nbformat
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from envspec.migrations import migrate
from envspec.migrations.files import migrate_bytes, migrate_paths
from envspec.migrations.v0_1_v1_0 import drop_member_order
from envspec.validate import validate_environment

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# 1.0 field names: a 0.1 document that has them is a mixed document (a refusal, tested elsewhere).
V1_FIELDS = {"files", "python", "kernel", "image", "env", "hardware", "provenance", "extensions"}
V0_1_MEMBERS = {
    "env_ver",
    "requirements.txt",
    "environment.yaml",
    "environment.yml",
    "setup.sh",
    "container",
    "cloud",
    "git",
}

# --------------------------------------------------------------------------- strategies

safe_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
any_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | safe_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_text, inner, max_size=3),
    max_leaves=6,
)

requirement_lines = st.sampled_from(
    [
        "numpy==1.26.4",
        "pandas>=2.2,<3",
        "requests",
        "scipy ; python_version >= '3.10'",
        "",
        "rich[jupyter]==13.7.1",
    ]
) | safe_text.map(lambda t: "# " + t)
requirements = st.builds(
    lambda lines, end: "\n".join(lines) + end,
    st.lists(requirement_lines, max_size=4),
    st.sampled_from(["\n", "", "\n\n"]),
)
conda_files = st.sampled_from(
    [
        "dependencies:\n  - python=3.11\n",
        "name: analysis\nchannels:\n  - conda-forge\n"
        "dependencies:\n  - numpy=1.26\n  - pip\n  - pip:\n    - rich\n",
        "name: ünïcode\ndependencies: []\n",
        "dependencies:\r\n  - python=3.12\r\n",
    ]
)
scripts = any_text
containers = st.sampled_from(
    [
        "ubuntu",
        "ubuntu:22.04",
        "gcr.io/deeplearning-platform-release/tf-gpu.1-13",
        "localhost:5000/team/image:v1.2",
        "quay.io/jupyter/base-notebook:2024-10@sha256:" + "ab" * 32,
        "ubuntu@sha512:" + "cd" * 64,
    ]
)
urls = st.sampled_from(
    [
        "https://notebooks.google.com/deploy_notebook",
        "http://localhost:8888/deploy",
        "https://h.example/ü?x=1",
    ]
)
versions = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-(10**6), max_value=10**6)
    | any_text
    | st.lists(json_scalars.filter(lambda v: not isinstance(v, bool)), max_size=3)
)
names = any_text.filter(bool) | any_text
mostly = st.sampled_from([True, True, True, False])  # present three times out of four


@st.composite
def clouds(draw: st.DrawFn) -> dict[str, Any]:
    members: dict[str, Any] = {}
    name = draw(names)
    spellings = [(), ("env_name",), ("env_name",), ("Env_name",), ("env_name", "Env_name")]
    for spelling in draw(st.sampled_from(spellings)):
        members[spelling] = name  # both spellings agree: differing ones are a conflict
    if draw(mostly):
        members["handler_url"] = draw(urls)
    version = draw(versions)
    for spelling in draw(
        st.sampled_from([(), ("cloud_ver",), ("Cloud_ver",), ("cloud_ver", "Cloud_ver")])
    ):
        members[spelling] = version
    if draw(st.booleans()):
        members["metadata"] = draw(st.dictionaries(safe_text, json_values, max_size=3))
    extra = draw(
        st.dictionaries(safe_text.filter(lambda k: k not in members), json_values, max_size=2)
    )
    members.update(extra)
    return shuffled(draw, members)


@st.composite
def gits(draw: st.DrawFn) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if draw(mostly):
        members["path"] = draw(
            st.sampled_from(
                ["https://github.com/o/r.git", "git@github.com:o/r.git", "../local/repo", "ü"]
            )
        )
    if draw(mostly):
        members["commit id"] = draw(
            st.sampled_from(["0123456789abcdef" * 4, "8903fcae689f05c113fc4026e1904def79833071"])
        )
    extra = draw(
        st.dictionaries(safe_text.filter(lambda k: k not in members), json_values, max_size=2)
    )
    members.update(extra)
    return shuffled(draw, members)


def shuffled(draw: st.DrawFn, members: dict[str, Any]) -> dict[str, Any]:
    order = draw(st.permutations(list(members)))
    return {key: members[key] for key in order}


@st.composite
def legacy_documents(draw: st.DrawFn, *, with_env_ver: bool = True) -> dict[str, Any]:
    members: dict[str, Any] = {"env_ver": "0.1"} if with_env_ver else {}
    optional: dict[str, st.SearchStrategy[Any]] = {
        "requirements.txt": requirements,
        "environment.yaml": conda_files,
        "environment.yml": conda_files,
        "setup.sh": scripts,
        "container": containers,
        "cloud": clouds(),
        "git": gits(),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            members[key] = draw(strategy)
    unknown_keys = any_text.filter(lambda k: k not in V0_1_MEMBERS | V1_FIELDS)
    members.update(draw(st.dictionaries(unknown_keys, json_values, max_size=3)))
    return shuffled(draw, members)


def valid_0_1(document: Mapping[str, Any]) -> bool:
    return not any(d.severity == "error" for d in validate_environment(document))


cells = st.lists(
    st.one_of(
        st.builds(
            lambda s, i: nbformat.v4.new_markdown_cell(s, id=i),
            any_text,
            st.uuids().map(lambda u: u.hex[:8]),
        ),
        st.builds(
            lambda s, out, i: nbformat.v4.new_code_cell(
                s,
                id=i,
                execution_count=1,
                outputs=[nbformat.v4.new_output("stream", name="stdout", text=out)],
            ),
            any_text,
            any_text,
            st.uuids().map(lambda u: u.hex[:8]),
        ),
    ),
    max_size=3,
    unique_by=lambda c: c["id"],
)
other_metadata = st.dictionaries(
    safe_text.filter(lambda k: k not in {"environment", "env"}), json_values, max_size=3
) | st.just({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def canonical(nb: Mapping[str, Any]) -> bytes:
    return (nbformat.writes(nbformat.from_dict(copy.deepcopy(dict(nb)))) + "\n").encode("utf-8")


LAYOUTS: dict[str, Callable[[Mapping[str, Any]], bytes]] = {
    "canonical": canonical,
    "indent-2": lambda nb: json.dumps(nb, indent=2).encode(),
    "indent-4": lambda nb: (json.dumps(nb, indent=4, ensure_ascii=False) + "\n").encode(),
    "compact": lambda nb: json.dumps(nb, separators=(",", ":"), ensure_ascii=False).encode(),
    "single-line": lambda nb: json.dumps(nb).encode(),
    "crlf": lambda nb: canonical(nb).replace(b"\n", b"\r\n"),
    "escaped-sorted": lambda nb: json.dumps(nb, indent=1, sort_keys=True).encode(),
}
SORTED_LAYOUTS = {"canonical", "crlf", "escaped-sorted"}


def make_notebook(
    metadata: Mapping[str, Any], body: list[Any], other: Mapping[str, Any]
) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = copy.deepcopy(body)
    nb.metadata.update(copy.deepcopy(dict(other)))
    nb.metadata.update(copy.deepcopy(dict(metadata)))
    return nb


# --------------------------------------------------------------------------- helpers


def ordered(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def assert_same_meaning(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    files = {
        k: old[k] for k in ("requirements.txt", "environment.yaml", "environment.yml") if k in old
    }
    if "setup.sh" in old:
        files["postBuild"] = old["setup.sh"]
    if "environment.yaml" in files:
        files.pop("environment.yml", None)  # 1.0 embeds one conda file; the other is kept aside
    assert new.get("files", {}) == files
    kept = new.get("extensions", {}).get("envspec.legacy", {}).get("kept", {})
    if "image" in new:
        digest = new["image"].get("digest")
        assert old["container"] == new["image"]["ref"] + (f"@{digest}" if digest else "")
    elif "container" in old:
        assert kept["container"] == old["container"]
    if "git" in new:
        assert (new["git"]["url"], new["git"]["commit"]) == (
            old["git"]["path"],
            old["git"]["commit id"],
        )
    elif "git" in old:
        assert kept["git"] == old["git"]
    if "cloud" in new:
        (target,) = new["cloud"]
        cloud = old["cloud"]
        assert target["name"] == cloud.get("env_name", cloud.get("Env_name"))
        assert target["handler_url"] == cloud["handler_url"]
        assert target.get("metadata") == cloud.get("metadata")
        version = cloud.get("cloud_ver", cloud.get("Cloud_ver"))
        if "version" in target:
            if isinstance(version, list) and len(version) == 1:
                version = version[0]
            assert target["version"] == (
                version if isinstance(version, str) else json.dumps(version, ensure_ascii=False)
            )
        else:
            assert version in (None, "", [""])
    elif "cloud" in old:
        assert kept["cloud"] == old["cloud"]
    for key, value in old.items():
        if key not in V0_1_MEMBERS:
            assert kept[key] == value


def without_environment(data: bytes, *keys: str) -> dict[str, Any]:
    notebook = json.loads(data)
    for key in keys or ("environment",):
        notebook["metadata"].pop(key, None)
    return notebook


def value_span(text: bytes) -> tuple[bytes, bytes]:
    """What comes before and after the value of ``metadata.environment`` (canonical layout)."""
    decoded = text.decode("utf-8")
    key = '\n  "environment": '
    assert decoded.count(key) == 1
    start = decoded.index(key) + len(key)
    _, end = json.JSONDecoder().raw_decode(decoded, start)
    return decoded[:start].encode(), decoded[end:].encode()


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(legacy_documents())
def test_valid_0_1_migrates_to_valid_1_0_and_back(document):
    assume(valid_0_1(document))
    snapshot = copy.deepcopy(document)
    result = migrate(document)  # never raises on valid input
    assert document == snapshot
    new = result.document
    errors = [f"{d.pointer}: {d.code}" for d in validate_environment(new) if d.severity == "error"]
    assert errors == []
    assert_same_meaning(document, new)

    again = migrate(new)
    assert not again.changed
    assert ordered(again.document) == ordered(new)

    back = migrate(new, "0.1")
    assert back.lost == ()
    assert ordered(back.document) == ordered(document)


@SETTINGS
@given(legacy_documents(), cells, other_metadata, st.sampled_from(sorted(LAYOUTS)))
def test_notebook_migration_changes_only_the_environment(document, body, other, layout):
    assume(valid_0_1(document))
    before = LAYOUTS[layout](make_notebook({"environment": document}, body, other))
    up = migrate_bytes(before, "generated.ipynb")
    assert up.status == "migrated", up.diagnostics
    assert up.after is not None
    assert without_environment(up.after) == without_environment(before)
    as_read = json.loads(before)["metadata"]["environment"]
    expected = migrate(as_read).document
    if layout in SORTED_LAYOUTS:
        expected = drop_member_order(expected)
    assert json.loads(up.after)["metadata"]["environment"] == expected
    if layout == "canonical":
        assert value_span(up.after) == value_span(before)
        assert canonical(nbformat.reads(up.after.decode(), as_version=4)) == up.after

    again = migrate_bytes(up.after, "generated.ipynb")
    assert (again.status, again.after) == ("unchanged", None)

    down = migrate_bytes(up.after, "generated.ipynb", to="0.1")
    assert down.status == "migrated", down.diagnostics
    assert down.lost == ()
    assert down.after == before


@SETTINGS
@given(
    legacy_documents(with_env_ver=False), cells, other_metadata, st.sampled_from(sorted(LAYOUTS))
)
def test_seed_metadata_env_moves_to_metadata_environment(env, body, other, layout):
    document = {"env_ver": "0.1", **env}
    assume(valid_0_1(document))
    before = LAYOUTS[layout](make_notebook({"env": env}, body, other))
    up = migrate_bytes(before, "generated.ipynb")
    assert up.status == "migrated", up.diagnostics
    assert up.after is not None
    assert without_environment(up.after, "environment") == without_environment(before, "env")
    environment = json.loads(up.after)["metadata"]["environment"]
    assert_same_meaning(document, environment)
    assert migrate_bytes(up.after, "generated.ipynb").status == "unchanged"


@settings(SETTINGS, max_examples=25)
@given(st.lists(legacy_documents(), min_size=1, max_size=3), st.sampled_from(sorted(LAYOUTS)))
def test_a_second_migrate_paths_run_changes_no_byte(documents, layout):
    assume(all(valid_0_1(d) for d in documents))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for i, document in enumerate(documents):
            (root / f"nb{i}.ipynb").write_bytes(
                LAYOUTS[layout](make_notebook({"environment": document}, [], {}))
            )
        text = yaml_input(documents[0])
        if text is not None:
            (root / "environment.envspec.yaml").write_bytes(text)
        first = migrate_paths([root])
        assert {r.status for r in first} == {"migrated"}
        assert all(r.written for r in first)
        written = {p.name: p.read_bytes() for p in sorted(root.iterdir())}
        second = migrate_paths([root])
        assert {r.status for r in second} == {"unchanged"}
        assert {p.name: p.read_bytes() for p in sorted(root.iterdir())} == written


def yaml_input(document: Mapping[str, Any]) -> bytes | None:
    """*document* as a YAML file (JSON text, which is YAML when YAML can hold its characters)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = json.dumps(document, ensure_ascii=False)
    try:
        readable = YAML(typ="safe").load(text) == document
    except YAMLError:
        readable = False
    return text.encode() if readable else None


@settings(SETTINGS, max_examples=60)
@given(legacy_documents(), st.sampled_from([".envspec.yaml", ".envspec.json"]))
def test_standalone_files_round_trip_their_content(document, suffix):
    from ruamel.yaml import YAML

    assume(valid_0_1(document))
    name = "environment" + suffix
    if suffix == ".envspec.json":
        before: bytes | None = json.dumps(document, ensure_ascii=False).encode()
        load: Callable[[bytes], Any] = json.loads
    else:
        before = yaml_input(document)
        load = YAML(typ="safe").load
    assume(before is not None)
    assert before is not None
    up = migrate_bytes(before, name)
    assert up.status == "migrated", up.diagnostics
    assert up.after is not None
    assert load(up.after) == migrate(document).document
    assert migrate_bytes(up.after, name).status == "unchanged"
    down = migrate_bytes(up.after, name, to="0.1")
    assert down.after is not None
    assert ordered(load(down.after)) == ordered(document)


def block_yaml(document: Mapping[str, Any], mapping: int, offset: int) -> str | None:
    """*document* in block style with the given indentation, or ``None`` when ruamel's
    dump does not read back as *document* (odd keys and scalars)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    out = io.StringIO()
    try:
        # Through JSON: values shared by two members would be written as an anchor.
        yaml.dump(json.loads(json.dumps(document)), out)
        readable = YAML(typ="safe").load(out.getvalue()) == document
    except (YAMLError, ValueError):
        return None
    return out.getvalue() if readable else None


@settings(SETTINGS, max_examples=60)
@given(legacy_documents(), st.integers(2, 4), st.integers(0, 2))
def test_commented_yaml_files_migrate_exactly_and_keep_their_header(document, mapping, offset):
    from ruamel.yaml import YAML

    assume(valid_0_1(document))
    body = block_yaml(document, mapping, offset)
    assume(body is not None)
    assert body is not None
    before = "# Environment of the analysis notebooks.\n# Reviewed by the data team.\n" + body
    up = migrate_bytes(before.encode(), "environment.envspec.yaml")
    assert up.status == "migrated", up.diagnostics
    assert up.after is not None
    assert YAML(typ="safe").load(up.after) == migrate(document).document
    assert up.after.decode().startswith(before.split("\n", 2)[0] + "\n")
    assert migrate_bytes(up.after, "environment.envspec.yaml").status == "unchanged"
    down = migrate_bytes(up.after, "environment.envspec.yaml", to="0.1")
    assert down.after is not None
    assert ordered(YAML(typ="safe").load(down.after)) == ordered(document)
