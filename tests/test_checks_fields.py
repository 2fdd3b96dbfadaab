"""Typed fields: image references and digests, git sources, URLs, environment variables, and
the secret scan that covers every string of the environment."""

from __future__ import annotations

import pytest

from envspec.validate import validate_environment

SHA1 = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32


def found(env: dict) -> list[tuple[str, str, int | None, int | None]]:
    return [
        (d.code, d.pointer, d.line, d.column)
        for d in validate_environment({"env_ver": "1.0", **env})
    ]


def messages(env: dict) -> list[str]:
    return [d.message for d in validate_environment({"env_ver": "1.0", **env})]


# ------------------------------------------------------------------------------ image refs


@pytest.mark.parametrize(
    "ref",
    [
        "python",
        "python:3.12",
        "python:3.12-slim",
        "docker.io/library/python:3.12",
        "quay.io/jupyter/scipy-notebook:2024-05-27",
        "localhost:5000/team/image:v1",
        "[::1]:5000/image",
        "registry.example.org/a/b/c",
        "REGISTRY.Example.org/lower/path",
        "a__b",
        "a--b",
        "a-b.c_d/e",
        "image:_tag",
        "image:" + "t" * 128,
    ],
)
def test_valid_image_references(ref):
    assert found({"image": {"ref": ref, "digest": DIGEST}}) == []


@pytest.mark.parametrize(
    "ref",
    [
        "Python",
        "quay.io/Jupyter/scipy",
        "py thon",
        "image:",
        ":tag",
        "a/",
        "//a",
        "-a",
        "a..b",
        "a___b",
        "a:b:c",
        "image:-tag",
        "image:.tag",
        "image:" + "t" * 129,
        "\ud800",
    ],
)
def test_invalid_image_references(ref):
    assert found({"image": {"ref": ref, "digest": DIGEST}}) == [
        ("image-invalid", "/image/ref", None, None)
    ]
    assert messages({"image": {"ref": ref, "digest": DIGEST}}) == [
        f"{ref!r} is not a valid OCI image reference"
    ]


def test_a_digest_inside_the_ref_belongs_in_image_digest():
    ref = "python:3.12@" + DIGEST
    [diagnostic] = validate_environment({"env_ver": "1.0", "image": {"ref": ref}})
    assert (diagnostic.code, diagnostic.pointer) == ("image-invalid", "/image/ref")
    assert diagnostic.message == f"{ref!r} includes a digest"
    assert diagnostic.hint == f"Write ref: 'python:3.12' and digest: {DIGEST!r}."


@pytest.mark.parametrize(
    ("ref", "tag"),
    [
        ("quay.io/jupyter/scipy-notebook:2024-05-27", "2024-05-27"),
        ("python", "latest"),
        ("localhost:5000/x", "latest"),
    ],
)
def test_an_image_without_digest_is_unpinned(ref, tag):
    assert found({"image": {"ref": ref}}) == [("image-unpinned", "/image/ref", None, None)]
    assert messages({"image": {"ref": ref}}) == [f"image {ref!r} is pinned by the tag {tag!r} only"]


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:abc",
        "sha256:" + "A" * 64,
        "sha512:" + "a" * 64,
        "md5:" + "a" * 32,
        "sha256:" + "a" * 65,
        "a" * 64,
    ],
)
def test_malformed_digests(digest):
    env = {"image": {"ref": "python:3.12", "digest": digest}}
    # One diagnostic from the rule, not a second one from the schema's pattern.
    assert found(env) == [("image-digest-invalid", "/image/digest", None, None)]
    assert messages(env) == [f"{digest!r} is not a sha256 or sha512 digest"]


def test_sha512_digests_are_accepted():
    assert found({"image": {"ref": "python", "digest": "sha512:" + "0f" * 64}}) == []


def test_legacy_container_may_carry_its_digest():
    assert [(d.code, d.pointer) for d in validate_environment(
        {"env_ver": "0.1", "container": "python:3.12@" + DIGEST}
    )] == [("env-version-legacy", "/env_ver")]  # fmt: skip
    bad = validate_environment({"env_ver": "0.1", "container": "python@sha256:" + "A" * 64})
    assert [(d.code, d.pointer) for d in bad] == [
        ("env-version-legacy", "/env_ver"),
        ("image-digest-invalid", "/container"),
    ]


@pytest.mark.parametrize(
    "ref",
    ["a" * 20_000 + "!", "a-" * 10_000 + "!", "a." * 10_000 + "!", "x/" + "a_" * 10_000 + "!"],
    ids=["name-run", "dash-run", "dot-run", "underscore-run"],
)
def test_long_near_miss_references_are_refused(ref):
    # Inputs that make a backtracking reference grammar explode; benchmarks/hostile.py times them.
    assert found({"image": {"ref": ref}}) == [
        ("invalid-value", "/image/ref", None, None),
        ("image-invalid", "/image/ref", None, None),
    ]


# ------------------------------------------------------------------------------------- git


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/org/repo",
        "https://github.com/org/repo.git",
        "ssh://git@github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "git://github.com/org/repo",
        "http://localhost:8080/repo",
        "http://127.0.0.1/repo",
        "https://${GIT_USER}:${GIT_TOKEN}@github.com/org/repo",
    ],
)
def test_valid_git_sources(url):
    assert found({"git": {"url": url, "commit": SHA1, "subdir": "notebooks/analysis"}}) == []


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("github.com/org/repo", "url-invalid", "'github.com/org/repo' is not an absolute URL"),
        ("file:///srv/repo", "url-invalid", "'file:///srv/repo' is not an absolute URL"),
        (
            "https://exa mple.org/repo",
            "url-invalid",
            "'https://exa mple.org/repo' is not an absolute URL",
        ),
        ("https://[bad/repo", "url-invalid", "'https://[bad/repo' is not an absolute URL"),
        (
            "http://github.com/org/repo",
            "url-insecure",
            "'http://github.com/org/repo' is not encrypted",
        ),
    ],
)
def test_invalid_git_urls(url, code, message):
    assert found({"git": {"url": url, "commit": SHA1}}) == [(code, "/git/url", None, None)]
    assert messages({"git": {"url": url, "commit": SHA1}}) == [message]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://me:hunter2@github.com/org/repo", "'me:***'"),
        ("https://deploytoken@gitlab.com/org/repo", "'***'"),
    ],
)
def test_credentials_in_git_url(url, shown):
    env = {"git": {"url": url, "commit": SHA1}}
    assert found(env) == [("url-credentials", "/git/url", None, None)]
    [message] = messages(env)
    assert shown in message
    assert "hunter2" not in message


def test_a_token_in_a_git_url_is_both_a_secret_and_a_credential():
    url = "https://oauth2:glpat-" + "x" * 20 + "@gitlab.com/org/repo"
    assert sorted(found({"git": {"url": url, "commit": SHA1}})) == [
        ("secret", "/git/url", None, None),
        ("url-credentials", "/git/url", None, None),
    ]


@pytest.mark.parametrize(
    "commit",
    ["abc1234", "A" * 40, "a" * 41, "a" * 63, "main", "v1.0", "g" * 40, ""],
)
def test_commits_must_be_full_hashes(commit):
    env = {"git": {"url": "https://github.com/org/repo", "commit": commit}}
    assert found(env) == [("git-commit-invalid", "/git/commit", None, None)]
    assert messages(env) == [f"{commit!r} is not a full commit hash"]


def test_sha256_repositories_have_64_hex_commits():
    assert found({"git": {"url": "https://github.com/org/repo", "commit": "f" * 64}}) == []


def test_git_needs_url_and_commit():
    assert found({"git": {}}) == [
        ("missing-field", "/git", None, None),
        ("missing-field", "/git", None, None),
    ]
    assert messages({"git": {}}) == ["'url' is a required field", "'commit' is a required field"]


@pytest.mark.parametrize(
    "subdir",
    [
        "/abs/path",
        "..",
        "../elsewhere",
        "a/../../b",
        "C:\\notebooks",
        "\\server\\share",
        "a\\..\\..\\b",
    ],
)
def test_subdir_must_stay_inside_the_repository(subdir):
    env = {"git": {"url": "https://github.com/org/repo", "commit": SHA1, "subdir": subdir}}
    assert found(env) == [("git-subdir-invalid", "/git/subdir", None, None)]
    assert messages(env) == [f"{subdir!r} is not a folder inside the repository"]


@pytest.mark.parametrize("subdir", ["notebooks", "a/b/c", "./a", "a..b", ".hidden"])
def test_relative_subdirs(subdir):
    assert (
        found({"git": {"url": "https://github.com/org/repo", "commit": SHA1, "subdir": subdir}})
        == []
    )


def test_legacy_git_commit_id():
    diagnostics = validate_environment({"env_ver": "0.1", "git": {"path": "x", "commit id": "abc"}})
    assert [(d.code, d.pointer) for d in diagnostics] == [
        ("env-version-legacy", "/env_ver"),
        ("git-commit-invalid", "/git/commit id"),
    ]


# ------------------------------------------------------------------------------ cloud URLs


def test_cloud_handler_urls():
    env = {
        "cloud": [
            {"name": "ok", "handler_url": "https://deploy.example.org/notebook"},
            {"name": "plain", "handler_url": "http://deploy.example.org/notebook"},
            {"name": "relative", "handler_url": "/deploy"},
            {"name": "scp", "handler_url": "git@github.com:org/repo.git"},
        ]
    }
    assert found(env) == [
        ("url-insecure", "/cloud/1/handler_url", None, None),
        ("url-invalid", "/cloud/2/handler_url", None, None),
        ("url-invalid", "/cloud/3/handler_url", None, None),  # scp syntax is for git only
    ]


def test_legacy_cloud_handler_url():
    diagnostics = validate_environment(
        {"env_ver": "0.1", "cloud": {"Env_name": "x", "handler_url": "http://deploy.example.org"}}
    )
    assert [(d.code, d.pointer) for d in diagnostics] == [
        ("env-version-legacy", "/env_ver"),
        ("url-insecure", "/cloud/handler_url"),
    ]


# --------------------------------------------------------------------------- env variables


@pytest.mark.parametrize(
    "name",
    [
        "GITHUB_TOKEN",
        "github_token",
        "DB_PASSWORD",
        "MYSQL_PASSWD",
        "WANDB_API_KEY",
        "OPENAI_APIKEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "SSH_PRIVATE_KEY",
        "GCP_CREDENTIALS",
        "CLIENT_SECRET",
    ],
)
def test_secret_named_variables_must_be_null(name):
    env = {"env": {name: "0123456789abcdef"}}
    [diagnostic] = validate_environment({"env_ver": "1.0", **env})
    assert (diagnostic.code, diagnostic.pointer) == ("secret-env-value", f"/env/{name}")
    assert diagnostic.message == f"{name!r} looks like a secret and has a value"
    assert (
        diagnostic.hint
        == f"Write {name}: null so the launcher supplies it; revoke the value if it was real."
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_TOKEN", None),
        ("OMP_NUM_THREADS", "4"),
        ("KEYBOARD_LAYOUT", "us"),
        ("MPLBACKEND", "Agg"),
    ],
)
def test_variables_that_hold_no_secret(name, value):
    assert found({"env": {name: value}}) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_TOKEN", ""),
        ("GITHUB_TOKEN", "${GH_TOKEN}"),
        ("DB_PASSWORD", "$DB_PASSWORD"),
        ("PASSWORD_FILE", "/run/secrets/db"),
        ("API_KEY", "<your key>"),
    ],
)
def test_a_secret_named_variable_has_no_exception_to_null(name, value):
    # The spec (1.0.md#security-env) allows none: 1.0 defines no "$" expansion, and an
    # empty string or a path is still a value the launcher would not ask for.
    assert found({"env": {name: value}}) == [("secret-env-value", f"/env/{name}", None, None)]


def test_a_token_value_is_a_secret_whatever_the_name():
    env = {"env": {"X": "ghp_" + "a" * 36, "GITHUB_TOKEN": "ghp_" + "b" * 36}}
    assert sorted(found(env)) == [
        ("secret", "/env/GITHUB_TOKEN", None, None),
        ("secret", "/env/X", None, None),
        ("secret-env-value", "/env/GITHUB_TOKEN", None, None),
    ]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"1BAD": "x"}, [("invalid-value", "/env/1BAD")]),
        ({"WITH SPACE": None}, [("invalid-value", "/env/WITH SPACE")]),
        ({"A-B": None}, [("invalid-value", "/env/A-B")]),
        ({"N": 5}, [("wrong-type", "/env/N")]),
        ({"L": ["a"]}, [("wrong-type", "/env/L")]),
        ({"a/b~c": None}, [("invalid-value", "/env/a~1b~0c")]),
    ],
)
def test_variable_names_and_values(variables, expected):
    assert [(c, p) for c, p, _, _ in found({"env": variables})] == expected


def test_variable_name_message_names_the_form():
    assert messages({"env": {"1BAD": None}}) == [
        "'1BAD' is not an environment variable name "
        "(letters, digits, '_', not starting with a digit)"
    ]
    assert messages({"env": {"N": 5}}) == ["5 is not a string or a null"]


# ------------------------------------------------------------------------------ secret scan

TOKENS = {
    "private key": ("-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"),
    "rsa key": ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
    "pgp key": ("-----BEGIN PGP PRIVATE KEY BLOCK-----", "a private key"),
    "aws key id": ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    "aws temporary key id": ("ASIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    "aws secret": (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "an AWS secret access key",
    ),
    "github classic": ("ghp_" + "a1B2" * 9, "a GitHub token"),
    "github oauth": ("gho_" + "a1B2" * 9, "a GitHub token"),
    "github fine-grained": ("github_pat_" + "A1b2_" * 5, "a GitHub token"),
    "gitlab": ("glpat-" + "x1_y" * 5, "a GitLab token"),
    "slack": ("xoxb-1234567890-abcdef", "a Slack token"),
    "google": ("AIza" + "B" * 35, "a Google API key"),
    "stripe": ("sk_live_" + "c" * 24, "a Stripe key"),
    "stripe restricted": ("rk_live_" + "c" * 24, "a Stripe key"),
    "pypi": ("pypi-AgEIcHlwaS5vcmc" + "d" * 50, "a PyPI token"),
    "npm": ("npm_" + "e" * 36, "an npm token"),
    "hugging face": ("hf_" + "f" * 34, "a Hugging Face token"),
    "openai project": ("sk-proj-" + "g" * 40, "an API secret key"),
    "anthropic": ("sk-ant-" + "g" * 40, "an API secret key"),
    "azure storage": ("AccountKey=" + "h" * 88, "an Azure storage key"),
    "jwt": (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "a JSON Web Token",
    ),
    "assignment": ("MY_API_KEY=abcdef123456", "a secret assigned in a script"),
    "assignment quoted": ('export DB_PASSWORD="s3cr3t-passw0rd"', "a secret assigned in a script"),
}


@pytest.mark.parametrize("kind", list(TOKENS))
def test_each_secret_pattern_is_found_at_its_position(kind):
    token, label = TOKENS[kind]
    script = "#!/bin/bash\nset -e\n    echo " + token + "\n"
    diagnostics = validate_environment({"env_ver": "1.0", "files": {"postBuild": script}})
    assert [(d.code, d.pointer, d.line) for d in diagnostics] == [("secret", "/files/postBuild", 3)]
    column = diagnostics[0].column
    assert script.split("\n")[2][column - 1 :].startswith(token[:6]) or kind.startswith(
        "assignment"
    )
    assert diagnostics[0].message.endswith(f"looks like {label}")
    # The message shows a prefix only, never the secret.
    assert token[8:] not in diagnostics[0].message


@pytest.mark.parametrize(
    "text",
    [
        "export GITHUB_TOKEN=${TOKEN}\n",
        "export GITHUB_TOKEN=$TOKEN\n",
        'export API_KEY="${API_KEY:-}"\n',
        "export PASSWORD_FILE=/run/secret\n",
        "export API_KEY=<your-key>\n",
        "PASSWORD=abc\n",  # too short to be a real one
        "git clone git@github.com:org/repo.git\n",
        "pip install --index-url https://${USER}:${PASS}@pypi.example.org/simple x\n",
        "echo ghp_short\n",
        "echo akiaiosfodnn7example\n",
        "echo AKIAIOSFODNN7EXAMPLEX\n",
        "TOKENIZERS_PARALLELISM=false\n",
        "# the token is supplied by the launcher\n",
    ],
)
def test_things_that_are_not_secrets(text):
    assert found({"files": {"postBuild": text}}) == []


def test_secrets_anywhere_in_the_environment():
    env = {
        "kernel": {
            "name": "python3",
            "language": "python",
            "display_name": "key AKIAIOSFODNN7EXAMPLE",
        },
        "cloud": [
            {"name": "x", "handler_url": "https://x.org", "metadata": {"creds": ["hf_" + "a" * 34]}}
        ],
        "extensions": {"my.tool": {"a/b": "sk_live_" + "c" * 24}},
        "files": {"Dockerfile": "FROM python\nENV A=1\n\n  ARG SECRET_TOKEN=abcdefghij\n"},
    }
    assert sorted(found(env)) == [
        ("secret", "/cloud/0/metadata/creds/0", None, None),
        ("secret", "/extensions/my.tool/a~1b", None, None),
        ("secret", "/files/Dockerfile", 4, 7),
        ("secret", "/kernel/display_name", None, None),
    ]


def test_secrets_in_legacy_documents():
    env = {
        "env_ver": "0.1",
        "setup.sh": "#!/bin/sh\nexport API_TOKEN=abcdefghijkl\n",
        "container": "x",
    }
    diagnostics = validate_environment(env)
    assert [(d.code, d.pointer, d.line, d.column) for d in diagnostics if d.code == "secret"] == [
        ("secret", "/setup.sh", 2, 8)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "TOKEN" * 20_000,
        "PASSWORD" * 10_000,
        "eyJ-" * 20_000,
        "a" * 40_000 + " ://",
        "a." * 20_000 + " ://x",
        "x" * 1_000_000,
    ],
    ids=[
        "token-run",
        "password-run",
        "jwt-prefixes",
        "url-scheme-run",
        "dotted-scheme-run",
        "one-word",
    ],
)
def test_near_miss_secrets_are_not_secrets(text):
    # Inputs that make a backtracking secret scan explode; benchmarks/hostile.py times them.
    assert found({"files": {"postBuild": text + "\n"}}) == []
    planted = text + "\nexport API_TOKEN=abcdefghijkl\n"
    assert found({"files": {"postBuild": planted}}) == [("secret", "/files/postBuild", 2, 8)]
