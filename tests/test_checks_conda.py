"""Embedded conda environment files: YAML read safely, MatchSpecs, the ``pip:`` section."""

from __future__ import annotations

import json

import pytest

from envspec.validate import validate_bytes, validate_environment

POINTER = "/files/environment.yml"


def diagnostics(
    text: str, name: str = "environment.yml"
) -> list[tuple[str, str, int | None, int | None]]:
    env = {"env_ver": "1.0", "files": {name: text}}
    return [(d.code, d.pointer, d.line, d.column) for d in validate_environment(env)]


def messages(text: str) -> list[str]:
    env = {"env_ver": "1.0", "files": {"environment.yml": text}}
    return [d.message for d in validate_environment(env)]


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# nothing yet\n",
        "name: analysis\nchannels:\n  - conda-forge\n  - nodefaults\n"
        "dependencies:\n  - python=3.12\n  - numpy>=1.26,<2\n  - conda-forge::scipy=1.13=*_0\n"
        "  - pip\n  - pip:\n    - requests==2.32.3\n    - --index-url https://pypi.org/simple\n",
        "dependencies: [numpy, 'scipy >=1.10', \"pandas 2.2.*\"]\n",
        "dependencies:\n  - numpy[version='>=1.26']\n",
        "variables:\n  OMP_NUM_THREADS: '1'\ndependencies: []\n",
        "dependencies:\r\n  - numpy\r\n",
    ],
)
def test_valid_environments(text):
    assert diagnostics(text) == []


def test_both_spellings_of_the_file_are_checked():
    assert diagnostics("dependencies: numpy\n", "environment.yaml") == [
        ("conda-structure", "/files/environment.yaml", 1, 1)
    ]


@pytest.mark.parametrize(
    ("text", "expected", "fragment"),
    [
        (
            "dependencies:\n  - numpy\n  - numpy===\n",
            [("conda-spec-invalid", 3, 5)],
            "'numpy===' is not a valid MatchSpec",
        ),
        ("dependencies:\n  - scipy=\n", [("conda-spec-invalid", 2, 5)], "'scipy='"),
        ("dependencies: numpy\n", [("conda-structure", 1, 1)], "'dependencies' must be a list"),
        ("dependencies:\n  - 5\n", [("conda-structure", 2, 5)], "dependency 5 is neither"),
        ("dependencies:\n  - {pip: requests}\n", [("conda-structure", 2, 5)], "'pip'"),
        ("dependencies:\n  - {other: [x]}\n", [("conda-structure", 2, 5)], "neither a MatchSpec"),
        ("channels: conda-forge\n", [("conda-structure", 1, 1)], "'channels' must be a list"),
        ("channels: [1, 2]\n", [("conda-structure", 1, 1)], "'channels'"),
        ("- numpy\n- scipy\n", [("conda-structure", 1, 1)], "not a mapping"),
        ("just text\n", [("conda-structure", 1, 1)], "not a mapping"),
        ("dependecies:\n  - numpy\n", [("conda-unknown-key", 1, 1)], "'dependecies' is not a key"),
        ("name: x\n\n  # c\nchanels: []\n", [("conda-unknown-key", 4, 1)], "'chanels'"),
        (
            "dependencies: []\nprefix: /home/me/conda/envs/x\n",
            [("conda-prefix", 2, 1)],
            "'/home/me/conda/envs/x'",
        ),
    ],
)
def test_structure_and_spec_problems_at_their_position(text, expected, fragment):
    assert [(c, line, col) for c, _, line, col in diagnostics(text)] == expected
    assert {p for _, p, _, _ in diagnostics(text)} == {POINTER}
    assert any(fragment in m for m in messages(text)), messages(text)


def test_every_bad_dependency_is_reported():
    text = "dependencies:\n  - numpy===\n  - ok\n  - 7\n  - scipy=\n"
    assert diagnostics(text) == [
        ("conda-spec-invalid", POINTER, 2, 5),
        ("conda-structure", POINTER, 4, 5),
        ("conda-spec-invalid", POINTER, 5, 5),
    ]


def test_pip_section_is_read_like_requirements_at_the_item_position():
    text = (
        "dependencies:\n"
        "  - python=3.12\n"
        "  - pip:\n"
        "      - requests==2.32.3\n"
        "      - -r base.txt\n"
        "      - -e ./mypkg\n"
        "      - ./libs/local\n"
        "      - reqs=1\n"
        "      - 5\n"
    )
    assert diagnostics(text) == [
        ("requirement-include", POINTER, 5, 9),
        ("requirement-editable", POINTER, 6, 9),
        ("requirement-local", POINTER, 7, 9),
        ("requirement-invalid", POINTER, 8, 9),
        ("conda-structure", POINTER, 9, 9),
    ]


def test_pip_section_in_flow_style_keeps_columns():
    text = "dependencies:\n  - pip: [ok, bad=1, -e .]\n"
    assert diagnostics(text) == [
        ("requirement-invalid", POINTER, 2, 15),
        ("requirement-editable", POINTER, 2, 22),
    ]


def test_credentials_in_the_pip_section():
    text = "dependencies:\n  - pip:\n    - --index-url https://me:hunter2@pypi.example.org/simple\n"
    assert diagnostics(text) == [("url-credentials", POINTER, 3, 19)]
    assert not any("hunter2" in m for m in messages(text))


# ------------------------------------------------------------------------- YAML problems


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "fragment"),
    [
        # Unclosed at the end of the text: where it opens (never past the last line).
        ("dependencies: [numpy\n", "invalid-yaml", 1, 15, "expected ',' or ']'"),
        ("dependencies:\n\t- numpy\n", "invalid-yaml", 2, 1, "cannot start any token"),
        ("name: a\nname: b\n", "invalid-yaml", 2, 1, "duplicate key"),
        ("dependencies:\n  - numpy\n - scipy\n", "invalid-yaml", 3, 2, ""),
        ('name: "unclosed\n', "invalid-yaml", 1, 7, "quoted scalar"),
        ('"\\ud800": 1\n', "invalid-yaml", 1, 4, "Unicode"),
        ("name: x\n---\nname: y\n", "invalid-yaml", 2, 1, "another document"),
    ],
)
def test_yaml_errors_are_reported_with_their_position(text, code, line, column, fragment):
    found = diagnostics(text)
    assert found == [(code, POINTER, line, column)]
    assert fragment in messages(text)[0]


def test_lone_surrogates_from_json_escapes():
    document = {
        "env_ver": "1.0",
        "files": {"environment.yml": "name: x\ndependencies:\n  - \\ud800\n"},
    }
    data = json.dumps(document).replace("\\\\ud800", "\\ud800").encode()
    report = validate_bytes(data, "environment.envspec.json")
    assert [(d.code, d.pointer, d.line, d.column) for d in report.diagnostics] == [
        ("lone-surrogate", POINTER, 3, 5)
    ]


def test_billion_laughs_is_refused_at_the_first_alias():
    found = diagnostics(billion_laughs(9))
    # At the first alias: line 2 is 'b: &b [*a, *a, ...]'.
    assert found == [("yaml-alias", POINTER, 2, 8)]
    assert messages(billion_laughs(9)) == ["the alias *a repeats a value"]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("name: &n x\nchannels: [*n]\n", 2, 12),
        ("variables: &v {A: '1'}\nextra:\n  <<: *v\n", 3, 7),
        ("dependencies:\n  - &p python=3.12\n  - *p\n", 3, 5),
    ],
    ids=["scalar", "merge-key", "sequence-item"],
)
def test_every_alias_is_refused_at_its_position(text, line, column):
    assert diagnostics(text) == [("yaml-alias", POINTER, line, column)]


def test_aliases_repeating_a_long_string_are_refused_once():
    text = "name: &s " + "x" * 100_000 + "\nchannels: [" + ", ".join(["*s"] * 2_000) + "]\n"
    assert diagnostics(text) == [("yaml-alias", POINTER, 2, 12)]


def test_anchor_without_alias_and_stars_in_specs_are_fine():
    assert diagnostics("name: &n x\ndependencies: [numpy 1.26.*, 'python=3.12.*']\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "dependencies: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "dependencies: " + "[" * 50_000 + "\n",  # and never closed
        "dependencies: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(700)),
        "dependencies:\n" + "".join("  " * i + "-\n" for i in range(1, 700)),
        "dependencies:\n  " + "- " * 5_000 + "x\n",
    ],
    ids=["flow-lists", "unclosed", "flow-maps", "block-maps", "block-lists", "compact-lists"],
)
def test_deep_nesting_is_too_deep_not_a_crash(text):
    assert diagnostics(text) == [("too-deep", POINTER, None, None)]


def test_moderate_nesting_is_read():
    text = "variables:\n  x: " + "[" * 200 + "]" * 200 + "\ndependencies: []\n"
    assert diagnostics(text) == []


def test_five_thousand_unknown_keys_each_at_its_line():
    text = "".join(f"unknown{i}: 1\n" for i in range(5_000))
    found = diagnostics(text)
    assert len(found) == 5_000
    assert found[0] == ("conda-unknown-key", POINTER, 1, 1)
    assert found[-1] == ("conda-unknown-key", POINTER, 5_000, 1)


def test_binary_content_stops_the_yaml_checks():
    assert diagnostics("dependencies:\n  - num\x00py\n") == [("binary-content", POINTER, 2, 8)]


def test_legacy_conda_keys_are_checked():
    env = {
        "env_ver": "0.1",
        "environment.yaml": "dependencies: [numpy===]\n",
        "environment.yml": "x: [\n",
    }
    found = [(d.code, d.pointer, d.line, d.column) for d in validate_environment(env)]
    assert found == [
        ("env-version-legacy", "/env_ver", None, None),
        ("conda-spec-invalid", "/environment.yaml", 1, 16),
        ("invalid-yaml", "/environment.yml", 1, 5),  # where the sequence opens
    ]
