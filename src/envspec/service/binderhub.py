"""BinderHub-compatible routes, so that the clients people already have (thebe, Jupyter
Book launch buttons, the binderhub JavaScript client, "launch binder" badges) work
unchanged against the deploy service.

- ``GET build/<provider>/<spec>``: a server-sent event stream of unnamed events whose
  data is ``{"phase": ..., "message": ...}``, phases ``waiting``, ``fetching``,
  ``building``, ``launching``, then ``ready`` (with ``url``, the server's base URL,
  and ``token``) or ``failed``; the stream ends there.  ``?path=NOTEBOOK`` (an
  extension) names the notebook to open; without it the service picks the
  repository's notebook.  A running deployment of the user's with the same repository
  and ref (and notebook, when one is named) is reused.
- ``GET v2/<provider>/<spec>?urlpath=...`` (or the legacy ``labpath=`` and
  ``filepath=``): the launch page, which follows the build and then opens
  ``url + urlpath`` with the token.
- ``GET api/repoproviders``: the providers: ``gh`` (``owner/repo/ref``), ``gl``
  (``url-escaped-project-path/ref``) and ``git`` (``url-escaped-repository-url/ref``).

``/health`` and ``/versions`` are the service's own.  Users are who the service's
authenticator says (behind JupyterHub: the hub's cookie); an ``EventSource`` cannot
send an ``Authorization`` header, so a ``?token=`` query parameter is accepted here as
a bearer token (the access log never records query strings).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tornado.iostream import StreamClosedError

from envspec.service.handlers import BaseHandler
from envspec.service.problems import ProblemError

if TYPE_CHECKING:
    from envspec.service.store import Record

__all__ = ["PROVIDERS", "BinderSpec", "parse_spec", "ready_fields", "routes"]

#: BinderHub's phases for the statuses of a deployment.
PHASES = {
    "queued": "waiting",
    "fetching": "fetching",
    "building": "building",
    "launching": "launching",
    "ready": "ready",
    "failed": "failed",
    "stopped": "failed",
}

PROVIDERS: list[dict[str, Any]] = [
    {
        "id": "gh",
        "display_name": "GitHub",
        "detect": {"regex": r"^(https?://github\.com/)?(?<repo>[^/]+/[^/]+)/?$"},
        "repo": {"label": "GitHub repository name or URL", "placeholder": "owner/repo",
                 "urlEncode": False},
        "ref": {"enabled": True, "default": "HEAD"},
        "spec": {"template": "gh/{owner}/{repo}/{ref}"},
    },
    {
        "id": "gl",
        "display_name": "GitLab.com",
        "detect": {"regex": r"^(https?://gitlab\.com/)?(?<repo>.+?)/?$"},
        "repo": {"label": "GitLab.com repository or URL", "placeholder": "group/project",
                 "urlEncode": True},
        "ref": {"enabled": True, "default": "HEAD"},
        "spec": {"template": "gl/{url-escaped project path}/{ref}"},
    },
    {
        "id": "git",
        "display_name": "Git repository",
        "detect": {"regex": r"^(?<repo>https://.+)$"},
        "repo": {"label": "Arbitrary git repository URL", "placeholder": "https://example.org/repo.git",
                 "urlEncode": True},
        "ref": {"enabled": True, "default": "HEAD"},
        "spec": {"template": "git/{url-escaped repository URL}/{ref}"},
    },
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class BinderSpec:
    """A provider and spec, as the git source of a deployment."""

    provider: str
    url: str
    ref: str | None


def _unquote(part: str) -> str:
    return urllib.parse.unquote(part)


def parse_spec(provider: str, raw: str) -> BinderSpec:
    """The repository and ref of ``<provider>/<spec>``; *raw* is the spec as it is in the
    request's path (still percent-encoded: an escaped URL holds ``%2F``)."""
    parts = raw.strip("/").split("/")
    if provider == "gh":
        if len(parts) < 3 or not parts[0] or not parts[1]:
            raise ProblemError(400, "invalid-request", "a gh spec is OWNER/REPO/REF")
        owner, repo = _unquote(parts[0]), _unquote(parts[1]).removesuffix(".git")
        ref = _unquote("/".join(parts[2:]))
        url = f"https://github.com/{owner}/{repo}"
    elif provider in ("gl", "git"):
        if len(parts) != 2 or not parts[0] or not parts[1]:
            what = "URL-ESCAPED-PROJECT-PATH/REF" if provider == "gl" else "URL-ESCAPED-URL/REF"
            raise ProblemError(400, "invalid-request", f"a {provider} spec is {what}")
        repo, ref = _unquote(parts[0]), _unquote(parts[1])
        url = f"https://gitlab.com/{repo}" if provider == "gl" else repo
    else:
        raise ProblemError(404, "not-found", f"no repository provider {provider!r}: gh, gl, git")
    return BinderSpec(provider, url, None if ref in ("", "HEAD") else ref)


def ready_fields(url: str) -> dict[str, str]:
    """``url`` (the server's base URL) and ``token`` of a ready deployment's notebook URL
    (``http://HOST:PORT/BASE/lab/tree/NOTEBOOK?token=T``)."""
    parts = urllib.parse.urlsplit(url)
    token = urllib.parse.parse_qs(parts.query).get("token", [""])[0]
    path = parts.path
    for marker in ("/lab", "/tree/", "/notebooks/", "/doc/", "/voila/"):
        index = path.find(marker)
        if index >= 0:
            path = path[:index]
            break
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))
    return {"url": base, "token": token}


def urlpath_of(arguments: dict[str, str]) -> str:
    """The path to open in the server: ``urlpath``, else the legacy ``labpath`` or
    ``filepath`` (as BinderHub maps them)."""
    if arguments.get("urlpath"):
        return arguments["urlpath"].lstrip("/")
    if arguments.get("labpath"):
        return "lab/tree/" + arguments["labpath"].lstrip("/")
    if arguments.get("filepath"):
        return "tree/" + arguments["filepath"].lstrip("/")
    return ""


def notebook_of(arguments: dict[str, str]) -> str | None:
    """The notebook a launch link opens (the deployment's path), when it names one."""
    explicit = arguments.get("path")
    if explicit:
        return explicit
    opened = (
        ("labpath", ("",)),
        ("filepath", ("",)),
        ("urlpath", ("lab/tree/", "tree/", "notebooks/", "doc/tree/")),
    )
    for key, prefixes in opened:
        value = (arguments.get(key) or "").lstrip("/").split("?")[0]
        for prefix in prefixes:
            if value.startswith(prefix) and value.endswith(".ipynb"):
                return value[len(prefix) :]
    return None


def _source(spec: BinderSpec, path: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "git", "url": spec.url}
    if spec.ref is not None:
        source["ref"] = spec.ref
    if path is not None:
        source["path"] = path
    return source


class _BinderHandler(BaseHandler):
    """A user from the authenticator, or from ``?token=`` (what an EventSource can send)."""

    def running(self, owner: str, spec: BinderSpec, path: str | None) -> Record | None:
        """The user's deployment of the repository and ref (and notebook, when one is
        asked for) that is not over: a deployment serves its whole repository."""
        source = _source(spec, path)
        for record in self.state.store.list_deployments(owner):
            have = dict(record.source)
            if path is None:
                have.pop("path", None)
            if record.status not in ("failed", "stopped") and have == source:
                return record
        return None

    async def binder_user(self) -> str:
        query_token = self.get_query_argument("token", None)
        if query_token and "Authorization" not in self.request.headers:
            self.request.headers["Authorization"] = f"Bearer {query_token}"
        return await self.current_owner()

    def arguments(self) -> dict[str, str]:
        return {k: self.get_query_argument(k) for k in self.request.query_arguments}


class BuildHandler(_BinderHandler):
    """``GET build/<provider>/<spec>``: BinderHub's event stream."""

    async def get(self, provider: str, _spec: str) -> None:
        raw = self.request.path.split(f"/build/{provider}/", 1)[1]
        spec = parse_spec(provider, raw)
        owner = await self.binder_user()
        record = self._deployment(owner, spec, notebook_of(self.arguments()))
        self.set_header("Content-Type", "text/event-stream")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")
        try:
            await self._stream(record.id)
        except StreamClosedError:
            return
        self.finish()

    def _deployment(self, owner: str, spec: BinderSpec, path: str | None) -> Record:
        from envspec.service.models import CreateDeployment

        found = self.running(owner, spec, path)
        if found is not None:
            return found
        source = _source(spec, path)
        try:
            request = CreateDeployment.model_validate({"source": source})
        except ValueError as exc:
            raise ProblemError(400, "invalid-request", str(exc).splitlines()[0]) from None
        return self.state.create_deployment(owner, request)

    def _event(self, data: dict[str, Any]) -> None:
        self.write(f"data: {json.dumps(data)}\n\n")

    async def _stream(self, deployment_id: str) -> None:
        store = self.state.store
        after = 0
        sent: str | None = None
        beat = time.monotonic()
        while True:
            changed = self.state.watch(deployment_id)
            for item in store.log_after(deployment_id, after):
                phase = PHASES.get(item.phase, item.phase)
                if phase in ("ready", "failed"):
                    # Clients act on the first ready or failed event: only the last event,
                    # with the server's url and token, says it.
                    phase = sent or "launching"
                self._event({"phase": phase, "message": item.line + "\n"})
                after = item.seq
            record = store.get(deployment_id)
            if record is None:
                self._event({"phase": "failed", "message": "the deployment is gone\n"})
                break
            phase = PHASES.get(record.status, record.status)
            if phase != sent and phase not in ("ready", "failed"):
                self._event({"phase": phase, "message": f"{record.status}\n"})
                sent = phase
            if record.terminal:
                if record.status == "ready" and record.url:
                    message = f"server running at {ready_fields(record.url)['url']}\n"
                    self._event({"phase": "ready", "message": message, **ready_fields(record.url)})
                else:
                    detail = record.error_detail or record.status
                    self._event({"phase": "failed", "message": f"{detail}\n"})
                await self.flush()
                break
            await self.flush()
            if time.monotonic() - beat > 15:
                self.write(":keepalive\n\n")
                await self.flush()
                beat = time.monotonic()
            await self.state.wait_for_change(deployment_id, 1.0, changed)


class LaunchHandler(_BinderHandler):
    """``GET v2/<provider>/<spec>``: the launch page (a loading page, then the server)."""

    def get_template_path(self) -> str:
        from envspec.service.web import TEMPLATES

        return str(TEMPLATES)

    async def get(self, provider: str, _spec: str) -> None:
        raw = self.request.path.split(f"/v2/{provider}/", 1)[1]
        spec = parse_spec(provider, raw)
        authenticator: Any = self.state.authenticator
        user = await authenticator.identify(self)
        login_url = getattr(authenticator, "login_url", None)
        if user is None and callable(login_url) and login_url(self):
            self.redirect(login_url(self))
            return
        arguments = self.arguments()
        notebook = notebook_of(arguments)
        # a deployment serves its whole repository: urlpath opens the notebook asked for
        ready = None if user is None else self.running(user, spec, None)
        if ready is not None and ready.status == "ready" and ready.url:
            # already running (a second click, or back after signing in): open it now
            fields = ready_fields(ready.url)
            target = fields["url"] + urlpath_of(arguments)
            if fields["token"]:
                target += ("&" if "?" in target else "?") + "token=" + fields["token"]
            self.redirect(target)
            return
        build = f"{self.state.config.base_url}build/{provider}/{raw.strip('/')}"
        if notebook:
            build += "?" + urllib.parse.urlencode({"path": notebook})
        from envspec.service.web import CSP

        self.set_header("Content-Security-Policy", CSP)
        self.set_header("Referrer-Policy", "no-referrer")
        self.render(
            "launch.html",
            base=self.state.config.base_url,
            build_url=build,
            urlpath=urlpath_of(arguments),
            repository=spec.url,
            ref=spec.ref or "HEAD",
            signed_in=user is not None,
        )


class RepoProvidersHandler(BaseHandler):
    def get(self) -> None:
        self.write_json(PROVIDERS)


def routes() -> list[tuple[Any, ...]]:
    """The BinderHub routes, relative to the service's ``base_url``."""
    return [
        (r"build/(gh|gl|git)/(.+)", BuildHandler),
        (r"v2/(gh|gl|git)/(.+)", LaunchHandler),
        (r"api/repoproviders/?", RepoProvidersHandler),
    ]
