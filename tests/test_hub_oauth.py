"""Signing in with an account people already have: ``envspec serve --config`` with
OAuthenticator's GenericOAuthenticator against an OpenID Connect provider built in the
test (authlib); the deploy service then knows the person through the hub's OAuth, and
refuses what another site's page would send with their cookie."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from envspec.launch.server import free_port
from hub_helpers import Browser, Serve, cleanup, start_serve
from oidc_provider import Provider

pytestmark = pytest.mark.slow

PREFIX = "/services/envspec"
PROBE_TOKEN = secrets.token_hex(32)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # http on 127.0.0.1 only
    started = Provider(people={"alice": "alice-password-1"}).start()
    yield started
    started.stop()


@pytest.fixture
def serves() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for serve in started:
        cleanup(serve)


def operator_config(path: Path, provider: Provider, client_id: str, secret: str, hub: str) -> Path:
    """An operator's jupyterhub_config.py: sign in with the provider."""
    path.write_text(
        "c = get_config()  # noqa: F821\n"
        "c.JupyterHub.authenticator_class = 'generic-oauth'\n"
        f"c.GenericOAuthenticator.client_id = {client_id!r}\n"
        f"c.GenericOAuthenticator.client_secret = {secret!r}\n"
        f"c.GenericOAuthenticator.oauth_callback_url = '{hub}/hub/oauth_callback'\n"
        f"c.GenericOAuthenticator.authorize_url = '{provider.issuer}/authorize'\n"
        f"c.GenericOAuthenticator.token_url = '{provider.issuer}/token'\n"
        f"c.GenericOAuthenticator.userdata_url = '{provider.issuer}/userinfo'\n"
        "c.GenericOAuthenticator.username_claim = 'preferred_username'\n"
        "c.GenericOAuthenticator.scope = ['openid', 'profile']\n"
        "c.GenericOAuthenticator.allow_all = True\n"
        "c.GenericOAuthenticator.enable_auth_state = True\n"
        # a service of the test, with what the envspec service has to read forge tokens
        f"c.JupyterHub.services = [{{'name': 'probe', 'api_token': {PROBE_TOKEN!r}}}]\n"
        "c.JupyterHub.load_roles = [{'name': 'probe', 'services': ['probe'],\n"
        "    'scopes': ['read:users', 'admin:auth_state']}]\n",
        encoding="utf-8",
    )
    return path


def test_sign_in_with_openid_connect_then_use_the_service(
    tmp_path: Path, provider: Provider, serves: list[Serve]
) -> None:
    # GIVEN an OpenID Connect provider that knows alice, and a hub configured by its
    # operator to sign people in with it (the provider knows the hub as a client)
    port = free_port()
    hub = f"http://127.0.0.1:{port}"
    client = provider.register("binder-lite", f"{hub}/hub/oauth_callback")
    config = operator_config(
        tmp_path / "my_jupyterhub_config.py", provider, client.client_id, client.client_secret, hub
    )
    serve = start_serve(
        tmp_path / "state", "--config", str(config), "--idle-timeout", "0",
        env={"JUPYTERHUB_CRYPT_KEY": secrets.token_hex(32)}, port=port,
    )  # fmt: skip
    serves.append(serve)
    serve.wait_ready()

    # WHEN alice opens the hub and chooses to sign in
    browser = Browser(hub)
    form = browser.get("/hub/oauth_login")
    # THEN she is at the provider's sign-in form, asked for by the hub with PKCE
    assert form.status_code == 200
    assert form.url.startswith(f"{provider.issuer}/authorize?")
    assert "code_challenge=" in form.url
    assert "client_id=binder-lite" in form.url

    # WHEN she signs in there with a wrong password
    fields = dict(hidden_fields(form.text))
    refused = browser.session.post(
        f"{provider.issuer}/authorize",
        data={**fields, "username": "alice", "password": "wrong"},
        timeout=60,
    )
    # THEN the provider refuses, and the hub knows nobody
    assert refused.status_code == 403
    assert browser.session.cookies.get("jupyterhub-hub-login") is None

    # WHEN she signs in with her password
    landed = browser.session.post(
        f"{provider.issuer}/authorize",
        data={**fields, "username": "alice", "password": "alice-password-1"},
        timeout=60,
    )
    # THEN the provider sent her back to the hub, which signed her in as alice and sent
    # her on to the deploy page
    assert provider.sign_ins == ["alice"]
    hops = [urlparse(r.url).path for r in landed.history]
    assert "/hub/oauth_callback" in hops, (landed.status_code, landed.url, landed.text[:500])
    assert urlparse(landed.url).path == f"{PREFIX}/"
    me = browser.request("GET", "/hub/api/user").json()
    assert me["name"] == "alice"

    # WHEN her browser goes through the service's sign-in (the hub's OAuth for services)
    listed = browser.get(f"{PREFIX}/login?next={PREFIX}/api/v1/deployments")
    # THEN the service knows her by its own cookie
    assert listed.status_code == 200, listed.text[:300]
    assert listed.json() == {"items": []}

    # WHEN another site's page makes her browser post a deployment (her cookie, no Origin
    # of the service)
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}
    body = {"source": {"type": "notebook", "name": "a.ipynb", "notebook": notebook}}
    forged = browser.session.post(
        f"{hub}{PREFIX}/api/v1/deployments",
        json=body,
        headers={"Origin": "http://127.0.0.1:1"},
        timeout=60,
    )
    # THEN the service does not act for her
    assert forged.status_code == 401
    assert browser.get(f"{PREFIX}/api/v1/deployments").json() == {"items": []}

    # WHEN the service's own page posts it (same origin)
    made = browser.session.post(
        f"{hub}{PREFIX}/api/v1/deployments", json=body, headers={"Origin": hub}, timeout=60
    )
    # THEN it is hers
    assert made.status_code == 201, made.text
    assert made.json()["owner"] == "alice"
    gone = browser.session.delete(
        f"{hub}{PREFIX}/api/v1/deployments/{made.json()['id']}",
        headers={"Origin": hub},
        timeout=60,
    )
    assert gone.status_code == 204

    # AND the service finds her forge token (the provider's access token) for pushing back
    assert forge_token(hub, "alice") in provider.tokens
    assert forge_token(hub, "nobody-here") is None

    # AND the provider's secrets are in no log
    assert client.client_secret not in serve.log()
    assert not any(token in serve.log() for token in provider.tokens)


def hidden_fields(page: str) -> list[tuple[str, str]]:
    import html
    import re

    return [
        (html.unescape(name), html.unescape(value))
        for name, value in re.findall(r'type="hidden" name="([^"]*)" value="([^"]*)"', page)
    ]


def forge_token(hub: str, user: str) -> str | None:
    """What :class:`HubAuthenticator` gives the push for *user*, through the real hub."""
    import asyncio

    from jupyterhub.services.auth import HubOAuth

    from envspec.service.hub import HubAuthenticator

    async def ask() -> str | None:
        auth = HubAuthenticator(HubOAuth(api_url=f"{hub}/hub/api", api_token=PROBE_TOKEN))
        return await auth.forge_token(None, user)  # type: ignore[arg-type]

    return asyncio.run(ask())
