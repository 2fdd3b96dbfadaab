"""The deploy page and the BinderHub routes, served by the service's application in
process (no build needed): the page under the service's prefix (``/`` standalone,
``/services/envspec/`` behind a hub), its static files, its security headers, a login
redirect for authenticators that have a login page, the launch page of a ``v2`` link,
``api/repoproviders``, and refusals as problem details."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil

from envspec.service.app import make_app
from envspec.service.auth import TokenTable
from envspec.service.config import ServiceConfig
from envspec.service.web import page_routes

TOKEN = "page-test-token-0123456789"


class LoginAuthenticator:
    """An authenticator with a login page, as the hub's is."""

    async def identify(self, handler: Any) -> str | None:
        return None

    def login_url(self, handler: Any) -> str:
        return "/hub/login?next=" + handler.request.path


def fetch_all(
    tmp_path: Path, base: str, requests: list[tuple[str, dict[str, str]]], **config: Any
) -> list[tornado.httpclient.HTTPResponse]:
    """Serve the application on 127.0.0.1 and GET each path (relative to *base*)."""
    settings = {
        "db_url": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "data_dir": tmp_path / "data",
        "base_url": base,
        "authenticator": TokenTable.from_tokens({TOKEN: "alice"}),
        **config,
    }

    async def main() -> list[tornado.httpclient.HTTPResponse]:
        app = make_app(ServiceConfig(**settings), handlers=page_routes())
        server = tornado.httpserver.HTTPServer(app)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        client = tornado.httpclient.AsyncHTTPClient()
        answers = []
        try:
            for path, headers in requests:
                answers.append(
                    await client.fetch(
                        f"http://127.0.0.1:{port}{base}{path}",
                        headers=headers,
                        raise_error=False,
                        follow_redirects=False,
                    )
                )
        finally:
            server.stop()
            await app.settings["envspec"].close()
        return answers

    return asyncio.run(main())


@pytest.mark.parametrize("base", ["/", "/services/envspec/"])
def test_the_page_and_its_files_under_the_prefix(tmp_path, base):
    page, css, script, launch, traversal = fetch_all(
        tmp_path,
        base,
        [
            ("", {}),
            ("static/envspec.css", {}),
            ("static/envspec.js", {}),
            ("static/launch.js", {}),
            ("static/..%2Fweb.py", {}),
        ],
    )
    assert page.code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert f'href="{base}static/envspec.css' in html
    assert f'src="{base}static/envspec.js' in html
    assert f'data-base="{base}"' in html
    # every input has its label; the log and the status are announced
    for ident in ("token", "repo", "ref", "path", "notebook"):
        assert f'<label for="{ident}">' in html
        assert f'id="{ident}"' in html
    assert 'aria-live="polite"' in html
    assert 'name="viewport"' in html
    # scripts from the service only; nothing to frame it elsewhere
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'self'" in csp
    assert "connect-src 'self'" in csp
    assert css.code == script.code == launch.code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert traversal.code in (403, 404)


def test_an_authenticator_with_a_login_page_sends_people_there(tmp_path):
    (page,) = fetch_all(
        tmp_path, "/services/envspec/", [("", {})], authenticator=LoginAuthenticator()
    )
    assert page.code == 302
    assert page.headers["Location"] == "/hub/login?next=/services/envspec/"


def test_binder_routes_launch_page_providers_and_refusals(tmp_path):
    launch, providers, unauthenticated, unknown, bad_spec = fetch_all(
        tmp_path,
        "/",
        [
            ("v2/gh/my-lab/analysis/main?labpath=notebooks/fit.ipynb", {}),
            ("api/repoproviders", {}),
            ("build/gh/my-lab/analysis/main", {}),
            ("build/svn/x/y", {"Authorization": f"Bearer {TOKEN}"}),
            ("build/gh/only-owner", {"Authorization": f"Bearer {TOKEN}"}),
        ],
    )
    assert launch.code == 200
    html = launch.body.decode()
    assert 'data-urlpath="lab/tree/notebooks/fit.ipynb"' in html
    assert 'data-build="/build/gh/my-lab/analysis/main?path=notebooks%2Ffit.ipynb"' in html
    assert "https://github.com/my-lab/analysis" in html
    assert [p["id"] for p in json.loads(providers.body)] == ["gh", "gl", "git"]
    for answer, status, code in (
        (unauthenticated, 401, "unauthenticated"),
        (unknown, 404, "not-found"),
        (bad_spec, 400, "invalid-request"),
    ):
        assert answer.code == status
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert json.loads(answer.body)["code"] == code
