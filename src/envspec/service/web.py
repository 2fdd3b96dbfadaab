"""The deploy page: ``GET {base}`` (the form, the build log, my deployments) and its static
files under ``{base}static/``.

The page is plain HTML, CSS and a little JavaScript (``static/envspec.js``), no build step;
the script calls the deploy-handler API.  A standalone service signs people in with their
bearer token (kept in the browser tab's ``sessionStorage``); behind JupyterHub the hub's
cookie does, and an authenticator with a ``login_url(handler)`` method sends people who
are not signed in there.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import tornado.web

from envspec.service.handlers import BaseHandler

__all__ = ["CSP", "STATIC", "TEMPLATES", "page_routes", "routes"]

STATIC = Path(str(files("envspec.service").joinpath("static")))
TEMPLATES = Path(str(files("envspec.service").joinpath("templates")))


class PageHandler(BaseHandler):
    """The deploy page."""

    def get_template_path(self) -> str:
        return str(TEMPLATES)

    async def get(self) -> None:
        from envspec._version import __version__

        authenticator: Any = self.state.authenticator
        user = await authenticator.identify(self)
        login_url = getattr(authenticator, "login_url", None)
        if user is None and callable(login_url):
            target = login_url(self)
            if target:
                self.redirect(target)
                return
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")
        self.render("index.html", base=self.state.config.base_url, user=user, version=__version__)


class StaticHandler(tornado.web.StaticFileHandler):
    """The page's CSS and JavaScript."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


#: Scripts and styles from the service only; the page talks to the service only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)


def routes() -> list[tuple[Any, ...]]:
    """The page's routes, relative to the service's ``base_url`` (for ``make_app``)."""
    return [
        (r"", PageHandler),
        (r"static/(.*)", StaticHandler, {"path": str(STATIC)}),
    ]


def page_routes() -> list[tuple[Any, ...]]:
    """Every route a standalone service adds to the API: the page and the
    BinderHub-compatible routes."""
    from envspec.service import binderhub

    return [*routes(), *binderhub.routes()]
