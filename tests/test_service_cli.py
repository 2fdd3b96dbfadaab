"""``envspec service`` and ``envspec deploy`` on the command line, the configuration file,
the tokens file, the per-user limit (in-process application, worker not started) and the
git policy's answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from envspec.service import gitpolicy
from envspec.service.auth import TokensFileError, TokenTable, hash_token
from envspec.service.config import ConfigError, ServiceConfig, load_config


def test_service_help_is_complete(run_cli) -> None:
    result = run_cli("service", "run", "--help")
    assert result.code == 0
    for option in (
        "--config",
        "--db",
        "--tokens",
        "--port",
        "--data-dir",
        "--allow-local-repositories",
        "--find-links",
        "--max-builds",
        "--build-timeout",
        "exit status",
        "127.0.0.1",
    ):
        assert option in result.out
    assert "deploy-handler API" in run_cli("service", "--help").out
    deploy = run_cli("deploy", "--help").out
    for option in ("--target", "--token-env", "ENVSPEC_DEPLOY_TOKEN", "--no-wait", "exit status"):
        assert option in deploy


def test_token_command_prints_the_line_and_the_token(run_cli) -> None:
    result = run_cli("service", "token", "alice")
    assert result.code == 0
    user, digest = result.out.split()
    token = result.err.split(": ", 1)[1].strip()
    assert user == "alice"
    assert digest == hash_token(token)
    assert token not in result.out
    assert run_cli("service", "token", "al ice").code == 2


def test_tokens_file(tmp_path: Path) -> None:
    good = tmp_path / "tokens.txt"
    good.write_text(f"# users\nalice {hash_token('t1')}  # comment\n\nbob {hash_token('t2')}\n")
    table = TokenTable.load(good)
    assert table.user_of("t1") == "alice"
    assert table.user_of("t2") == "bob"
    assert table.user_of("t3") is None
    bad = tmp_path / "bad.txt"
    bad.write_text("alice t1\n")
    with pytest.raises(TokensFileError, match=r"bad\.txt:1: expected 'USER SHA256'"):
        TokenTable.load(bad)
    with pytest.raises(TokensFileError, match="cannot read"):
        TokenTable.load(tmp_path / "missing.txt")


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "service.toml"
    path.write_text('[service]\nport = 9000\ntokens_file = "t.txt"\nfind_links = ["w"]\n')
    config = load_config(path, port=9001)
    assert config.port == 9001
    assert config.tokens_file == tmp_path / "t.txt"
    assert config.find_links == ("w",)
    path.write_text("[service]\nlauncher = 1\n")
    with pytest.raises(ConfigError, match="no key 'launcher'"):
        load_config(path)
    path.write_text("[service\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_run_with_unusable_files_exits_1(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text("[service]\nnope = 1\n")
    result = run_cli("service", "run", "--config", tmp_path / "bad.toml")
    assert result.code == 1
    assert "bad.toml: [service] has no key 'nope'" in result.err
    (tmp_path / "tokens.txt").write_text("x\n")
    result = run_cli("service", "run", "--tokens", tmp_path / "tokens.txt", "--port", "0")
    assert result.code == 1
    assert "tokens.txt:1" in result.err
    # Nothing was made: no database, no data folder (the defaults are in the working folder).
    assert not Path("envspec-service.sqlite").exists()
    assert not Path("envspec-service").exists()
    assert run_cli("service", "run", "--port", "70000").code == 2


@pytest.mark.parametrize(
    ("url", "local", "ssh", "expected"),
    [
        ("https://example.org/x.git", False, False, "https://example.org/x.git"),
        ("/srv/repo", True, False, "file:///srv/repo"),
        ("file:///srv/repo", True, False, "file:///srv/repo"),
        ("ssh://git@example.org/x.git", False, True, "ssh://git@example.org/x.git"),
        ("git@example.org:x.git", False, True, "git@example.org:x.git"),
    ],
)
def test_policy_allows(url: str, local: bool, ssh: bool, expected: str) -> None:
    assert gitpolicy.check_url(url, allow_local=local, allow_ssh=ssh) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c x",
        "fd::3",
        "https://u:p@example.org/x",
        "ssh://u:p@example.org/x",
        "relative/path",
        "https:///nohost",
        "-oProxyCommand=x",
    ],
)
def test_policy_refuses_even_when_local_and_ssh_allowed(url: str) -> None:
    with pytest.raises(gitpolicy.PolicyError) as caught:
        gitpolicy.check_url(url, allow_local=True, allow_ssh=True)
    assert caught.value.code == "forbidden-url"
    assert "p@" not in caught.value.detail


def test_per_user_limit_is_429_and_a_custom_authenticator_works(tmp_path: Path) -> None:
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from envspec.service.app import make_app

    class HeaderAuthenticator:  # any object with identify() is an Authenticator
        async def identify(self, handler) -> str | None:  # type: ignore[no-untyped-def]
            return handler.request.headers.get("X-User")

    config = ServiceConfig(
        db_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        data_dir=tmp_path / "data",
        max_deployments_per_user=2,
        authenticator=HeaderAuthenticator(),
    )
    body = json.dumps({"source": {"type": "git", "url": "https://example.org/x.git"}})

    async def scenario() -> list[tuple[int, str | None]]:
        app = make_app(config)  # the worker is not started: deployments stay queued
        server = HTTPServer(app)
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/api/v1/deployments"
        client = AsyncHTTPClient()
        statuses = []
        try:
            for user in ("carol", "carol", "carol", "dave"):
                headers = {"X-User": user, "Content-Type": "application/json"}
                response = await client.fetch(
                    url, method="POST", body=body, headers=headers, raise_error=False
                )
                statuses.append((response.code, json.loads(response.body).get("code")))
        finally:
            server.stop()
            await app.settings["envspec"].close()
        return statuses

    assert asyncio.run(scenario()) == [
        (201, None),
        (201, None),
        (429, "too-many-deployments"),
        (201, None),
    ]


def test_deploy_needs_a_token_and_a_target(run_cli, tmp_path: Path, monkeypatch) -> None:
    notebook = tmp_path / "a.ipynb"
    cloud = [{"name": "lab", "handler_url": "http://deploy.example.org/"}]
    notebook.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "cells": [],
                "metadata": {"environment": {"env_ver": "1.0", "cloud": cloud}},
            }
        )
    )
    monkeypatch.delenv("ENVSPEC_DEPLOY_TOKEN", raising=False)
    result = run_cli("deploy", notebook)
    assert result.code == 2
    assert "ENVSPEC_DEPLOY_TOKEN" in result.err
    monkeypatch.setenv("ENVSPEC_DEPLOY_TOKEN", "secret-deploy-token")
    result = run_cli("deploy", notebook, "--target", "gpu")
    assert result.code == 1
    assert "no cloud target 'gpu'" in result.err
    assert "its targets: lab" in result.err
    # plain http to another machine would send the token unencrypted
    result = run_cli("deploy", notebook)
    assert result.code == 1
    assert "plain http" in result.err
    assert "secret-deploy-token" not in result.err + result.out
    bare = tmp_path / "b.ipynb"
    bare.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {}}))
    result = run_cli("deploy", bare)
    assert result.code == 1
    assert "names no cloud target" in result.err
    result = run_cli("deploy", tmp_path / "missing.ipynb")
    assert result.code == 1
    assert "cannot read" in result.err
