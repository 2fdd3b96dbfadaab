"""``envspec payload validate``: bad payload files on purpose, each reported with its code, a
JSON Pointer (or a line and column for YAML syntax), a hint, and the exit status of
``envspec validate``; the examples pass."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from envspec.cli.main import main
from envspec.payloads.validate import check_payload, validate_payload_paths

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "payloads"

HEAD = (
    'payload_ver: "1.0"\n'
    "name: science\n"
    "image: {type: docker, registry: ghcr.io, repository: example/science}\n"
)
SEMVER = HEAD + "tags: {policy: semver}\n"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["payload", *args], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def check(tmp_path: Path, text: str, name: str = "science.payload.yaml") -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status, out, err = run("validate", "--format", "json", str(path))
    assert "Traceback" not in out + err
    found = json.loads(out)
    assert status == (1 if any(d["severity"] == "error" for d in found) else 0)
    return [{k: d[k] for k in ("code", "pointer", "line", "message")} for d in found]


# ------------------------------------------------------------------------------ examples


def test_every_example_passes():
    status, out, _ = run("validate", str(EXAMPLES))
    assert status == 0, out
    assert "4 files checked, no problems" in out


def test_envspec_validate_leaves_payload_files_alone(tmp_path):
    # CI's wheel check runs `envspec validate examples/`: payload files are not its files.
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    out, err = io.StringIO(), io.StringIO()
    status = main(["validate", "--no-cache", str(tmp_path / "examples")], stdout=out, stderr=err)
    assert status == 0, out.getvalue()
    assert "payload" not in out.getvalue()


# ------------------------------------------------------------------------------ each code


@pytest.mark.parametrize(
    ("text", "code", "pointer"),
    [
        ("- 1\n", "payload-not-object", ""),
        ("name: science\n", "payload-version-unknown", ""),
        (SEMVER.replace('"1.0"', "1.0"), "payload-version-unknown", "/payload_ver"),
        (SEMVER.replace('"1.0"', '"2.0"'), "payload-version-unknown", "/payload_ver"),
        (SEMVER.replace('"1.0"', '"1.7"'), "payload-version-newer", "/payload_ver"),
        (
            HEAD + "tags: {policy: rules, rules: [{pattern: '(?P<v>[0-9]+', category: r}]}\n",
            "payload-regex-invalid",
            "/tags/rules/0/pattern",
        ),
        (
            HEAD + "tags: {policy: rules, rules: [{pattern: '(x+)*y', category: r}]}\n",
            "payload-regex-backtracking",
            "/tags/rules/0/pattern",
        ),
        (
            HEAD + "tags: {policy: rules, rules: [{pattern: 'v(?P<v>[0-9]+)'}]}\n",
            "payload-rule-category",
            "/tags/rules/0",
        ),
        (
            HEAD + "tags:\n  policy: rules\n  rules:\n"
            "    - {pattern: 'v(?P<v>[0-9]+)', category: r, sort: [{group: w}]}\n",
            "payload-rule-group",
            "/tags/rules/0/sort/0/group",
        ),
        (
            SEMVER + "menu: {aliases: [latest, stable, latest]}\n",
            "payload-duplicate-name",
            "/menu/aliases/2",
        ),
        (
            SEMVER
            + "lab:\n  sizes:\n    - {name: s, cpu: {}, memory: {request: 8Gi, limit: 4Gi}}\n",
            "payload-limit-below-request",
            "/lab/sizes/0/memory",
        ),
        (
            SEMVER + "lab:\n  env:\n    DB_PASSWORD: {value: correct-horse-battery}\n",
            "payload-secret-value",
            "/lab/env/DB_PASSWORD/value",
        ),
        (
            SEMVER + "lab:\n  files:\n    - path: /etc/key.pem\n      content: |\n"
            "        -----BEGIN RSA PRIVATE KEY-----\n        MIIB\n",
            "payload-secret-value",
            "/lab/files/0",
        ),
        (
            SEMVER + "build: {script: {folder: build, run: ../../home/user/.ssh/id_rsa}}\n",
            "payload-path-escapes",
            "/build/script/run",
        ),
        (SEMVER + "build: {}\n", "payload-build-empty", "/build"),
        (
            SEMVER + "build: {file_paths: {requirements.txt: reqs/requirements.txt}}\n",
            "payload-ref-missing",
            "/build/file_paths/requirements.txt",
        ),
        (SEMVER + "colour: blue\n", "unknown-field", "/colour"),
        (
            SEMVER + "lab: {sizes: [{name: s, cpu: {}, memory: {}, colour: 1}]}\n",
            "unknown-field",
            "/lab/sizes/0/colour",
        ),
        (HEAD, "missing-field", "/tags"),
        (SEMVER.replace("name: science", "name: 12"), "wrong-type", "/name"),
        (SEMVER.replace("name: science", "name: Science Stack"), "invalid-value", "/name"),
        (HEAD + "tags: {policy: pep440}\n", "invalid-value", "/tags/policy"),
        (HEAD + "tags: {}\n", "missing-field", "/tags/policy"),
    ],
    ids=lambda v: (
        v
        if isinstance(v, str)
        and v.startswith(("payload-", "unknown", "missing", "wrong", "invalid"))
        else ""
    ),
)
def test_bad_input_is_reported_with_its_code_and_pointer(tmp_path, text, code, pointer):
    found = check(tmp_path, text)
    assert [(d["code"], d["pointer"]) for d in found] == [(code, pointer)], found
    assert found[0]["message"]
    assert not found[0]["message"].endswith(".")


def test_inline_build_files_get_the_rules_of_the_environment(tmp_path):
    text = SEMVER + (
        "build:\n  files:\n    requirements.txt: |\n      numpy==2.1\n"
        "      --index-url https://user:s3cr3t-pass@pypi.example.org/simple\n"
        "      pandas>>2\n    Dockerfile: |\n      RUN echo hi\n"
    )
    reported = check(tmp_path, text)
    found = [(d["code"], d["pointer"], d["line"]) for d in reported]
    assert sorted(found) == [
        ("dockerfile-no-from", "/build/files/Dockerfile", 1),
        ("requirement-invalid", "/build/files/requirements.txt", 3),
        ("url-credentials", "/build/files/requirements.txt", 2),
    ]
    assert "s3cr3t" not in json.dumps(reported)


def test_a_secret_never_appears_in_the_output(tmp_path):
    token = "ghp_" + "Z" * 36
    path = tmp_path / "science.payload.yaml"
    path.write_text(SEMVER + f"lab:\n  env:\n    GH: {{value: {token}}}\n", encoding="utf-8")
    for form in ("text", "json"):
        status, out, err = run("validate", "--format", form, str(path))
        assert status == 1
        assert "payload-secret-value" in out
        assert token not in out + err


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = HEAD + (
        "tags: {policy: rules, rules: [{pattern: '(a+)+', category: r}, {pattern: 'b'}]}\n"
        "lab:\n  sizes:\n    - {name: s, cpu: {request: '2', limit: '1'}, memory: {}}\n"
        "menu: {dropdown: {release: {numbr: 3}}}\n"
    )
    found = {(d["code"], d["pointer"]) for d in check(tmp_path, text)}
    assert found == {
        ("payload-regex-backtracking", "/tags/rules/0/pattern"),
        ("payload-rule-category", "/tags/rules/1"),
        ("payload-limit-below-request", "/lab/sizes/0/cpu"),
        ("unknown-field", "/menu/dropdown/release/numbr"),
    }


def test_a_deployment_checks_its_payloads_and_references(tmp_path):
    (tmp_path / "science.payload.yaml").write_text(SEMVER, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    text = (
        'payload_ver: "1.0"\nname: platform\npayloads:\n'
        "  - {path: science.payload.yaml}\n"
        "  - {path: notes.yaml}\n"
        "  - {path: ../outside.payload.yaml}\n"
        "  - {payload_ver: '1.0', name: inline, image: {type: docker, registry: r.io, "
        "repository: x}, tags: {policy: calver}, lab: {sizes: [{name: s, cpu: {request: '2', "
        "limit: '1'}, memory: {}}]}}\n"
    )
    found = check(tmp_path, text, "platform.payload.yaml")
    assert [(d["code"], d["pointer"]) for d in found] == [
        ("payload-path-escapes", "/payloads/2/path"),
        ("payload-limit-below-request", "/payloads/3/lab/sizes/0/cpu"),
        ("payload-ref-missing", "/payloads/1/path"),
    ]


# ------------------------------------------------------------------------------ reading


def test_yaml_syntax_errors_have_a_line_and_column(tmp_path):
    found = check(tmp_path, SEMVER + "menu: {prepull: [\n")
    assert [(d["code"], d["line"]) for d in found] == [("invalid-yaml", 5)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty-file"),
        (b"\xef\xbb\xbf" + SEMVER.encode(), "bom"),
        (SEMVER.encode() + b"title: caf\xe9\n", "not-utf8"),
        (b"a: &x [1]\nb: *x\n", "yaml-alias"),
    ],
)
def test_unreadable_files_are_reported_not_raised(tmp_path, data, code):
    path = tmp_path / "science.payload.yaml"
    path.write_bytes(data)
    result = validate_payload_paths([path])
    assert code in [d.code for d in result.diagnostics]
    assert not result.ok()


def test_json_payload_files_are_read_too(tmp_path):
    path = tmp_path / "science.payload.json"
    path.write_text(json.dumps({**json.loads(json.dumps(_semver_dict())), "title": "x"}))
    assert validate_payload_paths([path]).ok()


def _semver_dict() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(SEMVER)


def test_a_file_that_is_not_a_payload_file_is_named_so(tmp_path):
    path = tmp_path / "science.yaml"
    path.write_text(SEMVER)
    status, out, _ = run("validate", str(path))
    assert status == 1
    assert "error[unknown-file-type]" in out
    assert "*.payload.yaml" in out


def test_folders_are_searched_skipping_hidden_ones(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a" / "one.payload.yaml").write_text(SEMVER)
    (tmp_path / ".hidden" / "bad.payload.yaml").write_text("- broken\n")
    (tmp_path / "a" / "environment.envspec.yaml").write_text("not: checked\n")
    status, out, _ = run("validate", str(tmp_path))
    assert status == 0, out
    assert "1 file checked, no problems" in out


def test_usage_errors_exit_2(tmp_path):
    status, _, err = run("validate", str(tmp_path / "missing.payload.yaml"))
    assert status == 2
    assert "does not exist" in err
    assert run()[0] == 2  # `envspec payload` alone prints its help


def test_strict_fails_on_warnings(tmp_path):
    path = tmp_path / "science.payload.yaml"
    path.write_text(SEMVER.replace('"1.0"', '"1.3"'))
    assert run("validate", str(path))[0] == 0
    assert run("validate", "--strict", str(path))[0] == 1


def test_text_output_names_file_pointer_code_and_hint(tmp_path):
    path = tmp_path / "science.payload.yaml"
    path.write_text(SEMVER + "build: {script: {folder: b, run: ../x.sh}}\n")
    status, out, _ = run("validate", str(path))
    assert status == 1
    assert f"{path}#/build/script/run: error[payload-path-escapes]" in out
    assert "hint: Move the file into the folder" in out
    assert "1 file checked: 1 error, 0 warnings; 1 file fails" in out


def test_the_library_check_takes_a_decoded_document():
    findings = check_payload({"payload_ver": "1.0", "name": "x"})
    assert {f.code for f in findings} == {"missing-field"}
    assert {f.path for f in findings} == {("image",), ("tags",)}


def test_the_schema_command_prints_the_committed_schema():
    status, out, _ = run("schema")
    assert status == 0
    assert json.loads(out)["$id"] == "https://envspec.dev/schemas/payload-1.0.schema.json"
