"""Messages about secrets never show a character of the secret.

A diagnostic says what was found and where; the secret itself must not reach
a terminal, a CI log or a server log.  At most the user name of a URL (when it
has a password, and does not itself look like a token), the issuer's public
prefix of a token (``ghp_``, ``AKIA``) or the name a secret is assigned to may
show.
"""

from __future__ import annotations

import pytest

from envspec.validate import validate_environment

PASSWORDS = [
    ("https://bob:hunter2@pypi.example.org/simple", "hunter2", "'bob:***'"),
    ("https://alice:S3cr3tPassw0rd@pypi.corp.example/simple", "S3cr3tPassw0rd", "'alice:***'"),
    ("https://bob:x@pypi.example.org/simple", "x", "'bob:***'"),  # shorter than a mask
    ("https://bob:ab@pypi.example.org/simple", "ab", "'bob:***'"),
    ("https://bob:p%40ss%2Fw0rd@pypi.example.org/simple", "p%40ss", "'bob:***'"),
    (
        "https://b%40corp.example:hunter2@pypi.example.org/simple",
        "hunter2",
        "'b%40corp.example:***'",
    ),
    ("https://:hunter2@pypi.example.org/simple", "hunter2", "'***'"),
    ("https://${PIP_USER}:hunter2@pypi.example.org/simple", "hunter2", "'${PIP_USER}:***'"),
    ("git+https://deploy:tok3n-value@git.example.org/r.git", "tok3n", "'deploy:***'"),
    ("ftp://anon:guest1@ftp.example.org/pub", "guest1", "'anon:***'"),
]
TOKEN_USERS = [
    # A user without a password is a token: hidden whole.
    "https://ghp_0123456789abcdefghijklmnopqrstuvwxyzAB@github.com/org/repo.git",
    "https://deploytoken@gitlab.com/org/repo",
    "https://x@example.org/simple",
    # A user that looks like a token, with a password.
    "https://ghp_0123456789abcdefghijklmnopqrstuvwxyzAB:x-oauth-basic@github.com/org/repo.git",
    "https://a1B2c3D4e5F6g7H8i9J0a1B2:x@example.org/simple",
]


def shown_values(messages: list[str]) -> list[str]:
    """The quoted value each message shows: ``'...' looks like`` or ``... ('...')``."""
    return [
        m[m.rindex("('") + 1 : -1] if m.endswith("')") else m.split(" looks like")[0]
        for m in messages
    ]


def messages(text: str) -> list[str]:
    environment = {"env_ver": "1.0", "files": {"requirements.txt": text}}
    return [
        d.message
        for d in validate_environment(environment)
        if d.code in ("secret", "url-credentials")
    ]


@pytest.mark.parametrize(("url", "password", "shown"), PASSWORDS)
def test_a_password_in_a_url_is_never_shown(url, password, shown):
    found = messages(f"--index-url {url}\nnumpy\n")
    # Not even its first characters (the old mask showed 'bob:hu***').
    assert shown_values(found) == [shown], found


@pytest.mark.parametrize("url", TOKEN_USERS)
def test_a_token_as_the_user_of_a_url_is_never_shown(url):
    user = url.split("//", 1)[1].split("@", 1)[0].split(":", 1)[0]
    found = messages(f"--index-url {url}\n")
    assert found
    for value in shown_values(found):
        assert value in ("'***'", "'ghp_***'"), found  # at most the issuer's public prefix
    for value in shown_values(found):
        assert user not in value


@pytest.mark.parametrize(
    ("text", "secret", "shown"),
    [
        ("# AKIAIOSFODNN7EXAMPLE\n", "IOSFODNN7EXAMPLE", "'AKIA***'"),
        ("# ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n", "0123456789abc", "'ghp_***'"),
        ("# glpat-abcdefghijklmnopqrstu\n", "abcdefghij", "'glpat-***'"),
        ("# hf_" + "a1" * 17 + "\n", "a1a1a1", "'hf_***'"),
        ("# sk-" + "Q" * 44 + "\n", "QQQQ", "'sk-***'"),
        ("export API_TOKEN=abcdefgh12345678\n", "abcdefgh", "'API_TOKEN=***'"),
        ("aws_secret_access_key = " + "k" * 40 + "\n", "kkkk", "'aws_secret_access_key = ***'"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n", "b3Bl", "'***'"),
    ],
)
def test_a_token_shows_at_most_its_public_prefix(text, secret, shown):
    found = messages(text)
    assert shown_values(found) == [shown], found
    assert secret not in found[0]


# ------------------------------------------------ any message that quotes a value


PASSWORD = "hunter2"
TOKEN = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"
QUOTING = {
    "url-insecure": {"git": {"url": f"http://bob:{PASSWORD}@github.com/x", "commit": "a" * 40}},
    "url-invalid": {"git": {"url": f"https://bob:{PASSWORD}@exa mple.org/x", "commit": "a" * 40}},
    "requirement-editable": {
        "files": {"requirements.txt": f"-e https://bob:{PASSWORD}@h.example/x.tar.gz\n"}
    },
    "requirement-invalid": {
        "files": {"requirements.txt": f"--install-option https://bob:{PASSWORD}@h.example\n"}
    },
    "conda-spec-invalid": {
        "files": {"environment.yml": f"dependencies:\n  - https://bob:{PASSWORD}@h.example/x\n"}
    },
    "cloud url-insecure": {
        "cloud": [{"name": "x", "handler_url": f"http://{TOKEN}@deploy.example.org/x"}]
    },
}


@pytest.mark.parametrize("case", sorted(QUOTING))
def test_no_message_quotes_a_secret(case):
    """Messages that quote a value (an invalid URL, a requirement line) mask its secrets."""
    environment = {"env_ver": "1.0", **QUOTING[case]}
    found = validate_environment(environment)
    code = case.split()[-1]
    assert code in {d.code for d in found}, found
    for d in found:
        for text in (d.message, d.hint or ""):
            assert PASSWORD not in text, (d.code, text)
            assert TOKEN[4:] not in text, (d.code, text)


def test_the_cli_and_its_verdict_cache_never_hold_the_secret(tmp_path, run_cli, monkeypatch):
    import json

    monkeypatch.setenv("ENVSPEC_CACHE_DIR", str(tmp_path / "cache"))
    for case, environment in QUOTING.items():
        notebook = {
            "cells": [],
            "metadata": {"environment": {"env_ver": "1.0", **environment}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (tmp_path / f"{case.replace(' ', '-')}.ipynb").write_text(json.dumps(notebook))

    code, out, err = run_cli("validate", tmp_path)
    code_json, out_json, _ = run_cli("validate", "--format", "json", tmp_path)

    assert code == code_json == 1
    for text in (out, err, out_json):
        assert PASSWORD not in text
        assert TOKEN[4:] not in text
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached, "the verdict cache was not written"
    for path in cached:
        data = path.read_bytes()
        assert PASSWORD.encode() not in data
        assert TOKEN[4:].encode() not in data
