"""Requirement ids: every MUST of the spec has an id, and a core case for each role it binds.

The markers (``[req DOC.NAME: ROLES]``) and their parser are in
``envspec.conformance.requirements``; the cases name ids in ``requires``.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from envspec.conformance.cases import Selection, load_cases
from envspec.conformance.lint import lint
from envspec.conformance.reference import Adapter
from envspec.conformance.requirements import (
    ADAPTER_CHECKS,
    ADAPTER_UNCHECKED,
    CASE_ROLES,
    Requirement,
    coverage,
    coverage_problems,
    published_requirement_ids,
    read_requirements,
)
from envspec.conformance.runner import run
from envspec.conformance.transport import PythonTransport

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "spec"
CASES = load_cases()
REQUIREMENTS = read_requirements(SPEC)


# ------------------------------------------------------------------------- the spec itself


def test_every_normative_statement_of_the_spec_has_an_id():
    problems = "\n".join(str(p) for p in REQUIREMENTS.problems)
    assert REQUIREMENTS.problems == (), problems


def test_every_must_of_the_spec_has_a_core_case_for_each_role_it_binds():
    problems = coverage_problems(REQUIREMENTS.items, CASES)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_each_page_has_requirements_and_ids_are_stable():
    docs = {r.doc for r in REQUIREMENTS.items}
    assert docs == {
        "index.md", "1.0.md", "1.1.md", "0.1.md", "conformance.md", "payload-1.0.md",
        "deploy-api-1.0.md",
    }  # fmt: skip
    prefix = {
        "index.md": "core.",
        "1.0.md": "v1.",
        "1.1.md": "v11.",
        "0.1.md": "v01.",
        "conformance.md": "proto.",
        "payload-1.0.md": "payload.",
        "deploy-api-1.0.md": "deploy.",
    }
    assert all(r.id.startswith(prefix[r.doc]) for r in REQUIREMENTS.items)
    # Every id is published, in the order of the file, and each only once.
    published = published_requirement_ids(SPEC)
    assert len(published) == len(set(published))
    assert set(published) == {r.id for r in REQUIREMENTS.items}


#: Core cases of rules the spec states in tables or without an RFC 2119 keyword
#: ("Types are exact", a "Required: yes" column): they name no requirement id.
UNNAMED_CORE = {
    "validator.structure.cloud-object",
    "validator.structure.kernel-missing-language",
    "validator.structure.memory-not-quantity",
    # Near-misses of grammars given as tables (python pin, kernel name, hardware
    # quantities, migrated_from) and a case of three errors at once.
    "validator.structure.python-block-scalar",
    "validator.structure.python-leading-space",
    "validator.structure.kernel-name-trailing-newline",
    "validator.structure.memory-lower-case-suffix",
    "validator.structure.memory-block-scalar",
    "validator.structure.migrated-from-trailing-newline",
    "validator.structure.every-must-report-reported",
}


def test_every_case_role_has_requirements_and_every_core_case_names_one():
    for role in CASE_ROLES:
        assert any(role in r.roles for r in REQUIREMENTS.items), role
    unnamed = {c.id for c in CASES if c.level == "core" and not c.requires}
    assert unnamed <= UNNAMED_CORE, f"core cases that name no requirement: {unnamed}"


def test_the_secret_musts_have_core_cases_and_token_formats_stay_extended():
    table = coverage(REQUIREMENTS.items, CASES)
    assert table["v1.report-secrets"]["core"]
    assert table["v1.pack-secret-stops"]["core"]
    formats = table["v1.recognise-secret-formats"]
    assert len(formats["extended"]) >= 5
    assert next(r for r in REQUIREMENTS.items if r.id == "v1.recognise-secret-formats").level == (
        "should"
    )


@pytest.mark.parametrize("direction", ["1.0", "0.1-to-1.0", "1.0-to-0.1"])
def test_migration_keeps_every_member_in_each_direction(direction):
    members = {"python", "kernel", "image", "env", "git", "cloud", "hardware"}
    members |= {"provenance", "extensions", "files"}
    core = [c for c in CASES if c.role == "migrator" and c.level == "core"]
    if direction == "1.0":
        documents = [
            c.input.document for c in core if c.input.document.get("env_ver") == c.input.to == "1.0"
        ]
        assert any(set(d) - {"env_ver"} == members for d in documents)
        assert any(None in d.get("env", {}).values() for d in documents)
    elif direction == "0.1-to-1.0":
        documents = [c.input.document for c in core if c.input.document.get("env_ver") == "0.1"]
        legacy = {"requirements.txt", "environment.yaml", "container", "setup.sh", "cloud", "git"}
        assert any(legacy <= set(d) for d in documents)
    else:
        refused = [
            c.input.document
            for c in core
            if c.input.to == "0.1"
            and c.expect.document is None
            and not c.input.lossy
            and c.input.document.get("env_ver") == "1.0"  # a newer minor has other names
        ]
        # Each member 0.1 cannot hold, and each file name it lacks, is refused on its own.
        alone = {m for d in refused for m in set(d) - {"env_ver", "files"}}
        assert {"kernel", "env", "hardware", "python", "extensions"} <= alone
        # (A files member that is not an object is refused as a whole: it names no file.)
        names = {n for d in refused if isinstance(d.get("files"), dict) for n in d["files"]}
        names -= {"requirements.txt"}
        from envspec.vocabulary import FILES

        in_0_1 = {"requirements.txt", "environment.yml", "environment.yaml", "postBuild"}
        assert names == set(FILES) - in_0_1


def test_every_adapter_requirement_has_a_runner_check_that_exists():
    adapter = {r.id for r in REQUIREMENTS.items if "adapter" in r.roles}
    assert adapter == set(ADAPTER_CHECKS) | set(ADAPTER_UNCHECKED)
    assert not set(ADAPTER_CHECKS) & set(ADAPTER_UNCHECKED)
    for checks in ADAPTER_CHECKS.values():
        for check in checks:
            file, _, test = check.partition("::")
            name, _, param = test.partition("[")
            text = (REPO / file).read_text("utf-8")
            assert re.search(rf"^def {re.escape(name)}\(", text, re.M), check
            if param:
                assert f'"{param.rstrip("]")}"' in text, check


# ------------------------------------------------------------------------------- the parser


def _spec(tmp_path: Path, text: str, ids: str | None = None) -> Path:
    spec = tmp_path / "spec"
    spec.mkdir(exist_ok=True)
    (spec / "index.md").write_text(textwrap.dedent(text), "utf-8")
    if ids is not None:
        (spec / "requirements-ids.txt").write_text(ids, "utf-8")
    return spec


def _messages(spec: Path) -> list[str]:
    return [str(p) for p in read_requirements(spec).problems]


def test_a_marked_sentence_becomes_a_requirement(tmp_path):
    spec = _spec(
        tmp_path,
        """\
        # Title {#title}

        ## Readers {#readers}

        Some context. A reader MUST reject it. [req core.reject: validator, migrator]
        It SHOULD warn. [req core.warn: validator]

        - MUST keep it; [req core.keep: migrator] [req core.keep-b: packer]
        """,
        "core.reject\ncore.warn\ncore.keep\ncore.keep-b\n",
    )
    found = read_requirements(spec)
    assert found.problems == ()
    first, warn, keep, keep_b = found.items
    assert first == Requirement(
        id="core.reject",
        doc="index.md",
        anchor="readers",
        section="Readers",
        line=5,
        text="A reader MUST reject it.",
        roles=("validator", "migrator"),
        level="must",
    )
    assert warn.level == "should"
    assert keep.text == keep_b.text == "MUST keep it;"
    assert keep.case_roles == ("migrator",)


def test_an_unmarked_must_is_reported_with_file_line_sentence_and_what_to_add(tmp_path):
    spec = _spec(
        tmp_path,
        """\
        # Title {#title}

        Intro text.
        Validators MUST report
        it. Writers MUST NOT drop it. [req core.drop: migrator]
        """,
        "core.drop\n",
    )
    (message,) = _messages(spec)
    assert message.startswith("spec/index.md:3: a normative sentence (MUST) has no requirement")
    assert "add '[req core.some-name: ROLES]' right after it" in message
    assert message.endswith("\n    Validators MUST report it.")


def test_what_is_not_normative_needs_no_marker(tmp_path):
    spec = _spec(
        tmp_path,
        """\
        # Title {#title}

        The key words "MUST" and "MUST NOT" are to be read as in RFC 2119.
        A `core` case checks a MUST or MUST NOT of the standard. Code: `MUST`.
        A marker looks like `[req core.x: validator]`; a MUST-level id needs a core case.

        ```text
        A line that MUST be ignored.
        ```

        ## Rationale {#why}

        *This section is informative.* It explains why readers MUST do things.

        ### Detail {#detail}

        Still informative: writers MUST NOT care.

        ## Rules {#rules}

        Writers MUST NOT care.
        """,
        "",
    )
    (message,) = _messages(spec)
    assert "spec/index.md:21:" in message
    assert message.endswith("Writers MUST NOT care.")


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("It MUST be. [req core.a: validator]\nIt MUST go. [req core.a: migrator]\n", "duplicate"),
        ("It MUST be. [req core.a: painter]\n", "unknown roles ['painter']"),
        ("It MUST be. [req core.a: none, validator]\n", "'none' cannot be combined"),
        ("It MUST be. [req v1.a: validator]\n", "whose ids start with 'core.'"),
        ("It MUST be. [req core.A: validator]\n", "malformed marker"),
        ("It is so. [req core.a: validator]\n", "follows a sentence with no MUST"),
        ("It MUST be. Because. [req core.a: validator]\n", "must come right after"),
    ],
)
def test_marker_problems(tmp_path, text, wanted):
    spec = _spec(tmp_path, f"# T {{#t}}\n\n{text}", "core.a\nv1.a\n")
    assert any(wanted in m for m in _messages(spec)), _messages(spec)


def test_published_ids_never_disappear_and_new_ids_are_appended(tmp_path):
    spec = _spec(tmp_path, "# T {#t}\n\nIt MUST be. [req core.new: validator]\n", "core.old\n")
    messages = _messages(spec)
    assert any("'core.old' is in no marker any more" in m for m in messages)
    assert any("'core.new' (index.md:3) is not published" in m for m in messages)


# ----------------------------------------------------------------------------- coverage


def _requirement(id: str, roles: tuple[str, ...], level: str = "must") -> Requirement:
    return Requirement(id, "index.md", "a", "A", 1, "It MUST be.", roles, level)  # type: ignore[arg-type]


def test_coverage_problems_name_the_case_or_the_requirement():
    requirements = [
        _requirement("core.a", ("validator", "migrator")),
        _requirement("core.s", ("validator",), "should"),
    ]
    case = next(c for c in CASES if c.role == "validator" and c.level == "extended")
    cases = [
        case.model_copy(update={"requires": ["core.a", "core.s", "core.nope"]}),
        case.model_copy(update={"id": "validator.x.y", "level": "core", "requires": ["core.a"]}),
    ]
    problems = [str(p) for p in coverage_problems(requirements, cases, adapter_checks={})]
    assert problems == [
        f"case {case.id}: an extended case requires the MUST-level 'core.a': make the case "
        "core, or name the SHOULD-level requirement it tests",
        f"case {case.id}: requires 'core.nope', which is no requirement id of the spec "
        "(the ids are the [req ...] markers of spec/*.md)",
        "spec/index.md:1: core.a binds the migrator role, but no core migrator case requires "
        "it: add a core case with 'requires: [core.a]' (the requirement: It MUST be.)",
    ]


def test_lint_reports_coverage_gaps_when_the_spec_is_beside_the_cases(tmp_path):
    spec = _spec(tmp_path, "# T {#t}\n\nIt MUST be. [req core.a: packer]\n", "core.a\n")
    (spec / "1.0.md").write_text("# One {#one}\n", "utf-8")
    root = tmp_path / "cases"
    (root / "validator").mkdir(parents=True)
    (root / "ids.txt").write_text("validator.secrets.example\n")
    (root / "validator" / "secrets.more.yaml").write_text(
        textwrap.dedent(
            """\
            - id: validator.secrets.example
              description: A document with only env_ver is valid
              role: validator
              features: [secrets]
              level: core
              versions: ">=1.0"
              spec: index.md#t
              requires: [core.a]
              input: {file: e.envspec.yaml, text: "env_ver: '1.0'\\n"}
              expect: {valid: true}
            """
        )
    )
    problems = [str(p) for p in lint(root)]
    assert problems[0].startswith(
        "validator/secrets.more.yaml: validator.secrets.example: requires 'core.a', which does "
        "not bind the validator role"
    )
    assert problems[1].startswith("spec/index.md:3: core.a binds the packer role")
    assert len(problems) == 2


# ------------------------------------------------------ runner checks of adapter requirements


class _ValidWithError(Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._validate(message)
        return {**result, "valid": True}


class _PacksInvalid(Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._pack(message)
        if result["environment"] is not None:
            result["environment"]["python"] = "three"
        return result


class _WritesOutside(Adapter):
    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        victim = Path(message["folder"]).parent / "outside" / "victim.txt"
        victim.write_text("changed\n")
        return super()._unpack(message)


class _PackWritesNotebook(Adapter):
    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        result = super()._pack(message)
        notebook = Path(message["folder"]) / message["notebook"]
        notebook.write_text(notebook.read_text("utf-8").replace("[]", "[ ]", 1), "utf-8")
        (Path(message["folder"]) / "pack.log").write_text("packed\n")
        return result


def _details(adapter: type[Adapter], case_id: str) -> list[str]:
    (case,) = Selection(ids=(case_id,)).apply(CASES)
    (only,) = run([case], PythonTransport(adapter)).results
    assert only.status == "fail"
    return list(only.details)


def test_the_runner_fails_a_valid_answer_that_has_an_error():
    details = _details(_ValidWithError, "validator.versions.missing")
    assert "'valid' is true, yet the adapter reported errors" in details


def test_the_runner_fails_a_packed_environment_that_is_invalid():
    details = _details(_PacksInvalid, "packer.pack.requirements")
    assert any("the packed environment is not valid" in d for d in details), details


def test_the_runner_fails_an_unpack_that_writes_outside():
    details = _details(_WritesOutside, "packer.unpack.exact-bytes")
    assert "outside/victim.txt: contents changed outside the target folder" in details


def test_the_runner_fails_a_pack_that_changes_the_folder():
    details = _details(_PackWritesNotebook, "packer.pack.requirements")
    assert "repository/analysis.ipynb: an environment other than the answer was written" in details
    assert "repository/pack.log: created (file) (pack must not change the folder)" in details
