"""A small OpenID Connect provider for the tests, built with authlib on Tornado.

It runs in a thread on 127.0.0.1 and knows one client (the hub) and a few people
with passwords.  The authorization code flow (with PKCE, when the client sends a
challenge) is authlib's own ``AuthorizationCodeGrant`` with the ``OpenIDCode``
extension (a signed ``id_token``); the person signs in on a form at
``/authorize``; ``/userinfo`` answers for a bearer access token.  Discovery
(``/.well-known/openid-configuration``) and the signing keys (``/jwks``) are
served too, as a real provider does.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import tornado.web
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, OAuth2Request
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    nonce: str | None
    auth_time: int
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None

    def is_expired(self) -> bool:
        return time.time() > self.auth_time + 300


class Request(OAuth2Request):  # type: ignore[misc]
    """A Tornado request as authlib sees one (query and form merged in the payload)."""

    def __init__(self, handler: tornado.web.RequestHandler) -> None:
        request = handler.request
        super().__init__(request.method, request.full_url(), headers=dict(request.headers))
        self._args = {k: handler.get_query_argument(k) for k in request.query_arguments}
        self._form = {k: handler.get_body_argument(k) for k in request.body_arguments}
        self.payload = BasicOAuth2Payload({**self._args, **self._form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class Provider:
    """The provider's state: people, the client, codes, tokens, the signing key."""

    people: dict[str, str]
    client: Client | None = None
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    key: Any = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    issuer: str = ""
    server: Any = None
    port: int = 0
    sign_ins: list[str] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    # --- authlib's server -----------------------------------------------------------

    def build(self) -> None:
        provider = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> Client | None:
                client = provider.client
                return client if client and client.client_id == client_id else None

            def save_token(self, token: dict[str, Any], request: Any) -> None:
                provider.tokens[token["access_token"]] = (request.user, token.get("scope", ""))

            def create_oauth2_request(self, request: Any) -> Any:
                return request

            def create_json_request(self, request: Any) -> Any:
                return request

            def handle_response(self, status: int, body: Any, headers: Any) -> Any:
                return status, body, headers

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                provider.codes[code] = Code(
                    code, request.client.get_client_id(), data.get("redirect_uri", ""),
                    request.scope or "", request.user, data.get("nonce"), int(time.time()),
                    data.get("code_challenge"), data.get("code_challenge_method"),
                )  # fmt: skip

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = provider.codes.get(code)
                if found and found.client_id == client.get_client_id() and not found.is_expired():
                    return found
                return None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> str:
                return authorization_code.user

        class OpenID(OpenIDCode):  # type: ignore[misc]
            def resolve_client_private_key(self, client: Client) -> Any:
                return provider.key

            def get_client_algorithm(self, client: Client) -> str:
                return "RS256"

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def get_encode_header(self, client: Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": "k1"}

            def exists_nonce(self, nonce: str, request: Any) -> bool:
                return False

            def generate_user_info(self, user: str, scope: str) -> UserInfo:
                return UserInfo(sub=user, preferred_username=user, name=user.title())

        server = Server(scopes_supported=["openid", "profile", "email"])
        server.register_token_generator("default", BearerTokenGenerator(_token))
        server.register_grant(
            CodeGrant, [OpenID(require_nonce=False), CodeChallenge(required=False)]
        )
        self.server = server

    # --- the web part -----------------------------------------------------------------

    def app(self) -> tornado.web.Application:
        provider = self

        class Base(tornado.web.RequestHandler):
            def check_xsrf_cookie(self) -> None:
                pass

            def answer(self, result: tuple[int, Any, Any]) -> None:
                status, body, headers = result
                self.set_status(status)
                for name, value in headers:
                    self.set_header(name, value)
                if isinstance(body, dict):
                    self.set_header("Content-Type", "application/json")
                    body = json.dumps(body)
                self.finish(body or "")

        class Discovery(Base):
            def get(self) -> None:
                base = provider.issuer
                self.finish({
                    "issuer": base,
                    "authorization_endpoint": f"{base}/authorize",
                    "token_endpoint": f"{base}/token",
                    "userinfo_endpoint": f"{base}/userinfo",
                    "jwks_uri": f"{base}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256", "plain"],
                })  # fmt: skip

        class Keys(Base):
            def get(self) -> None:
                self.finish({"keys": [provider.key.as_dict(private=False)]})

        class Authorize(Base):
            def get(self) -> None:
                # the sign-in form, carrying the authorization request along
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in Request(self).args.items()
                )
                self.finish(
                    "<form method='post'><label>User <input name='username'></label>"
                    "<label>Password <input name='password' type='password'></label>"
                    f"{hidden}<button>Sign in</button></form>"
                )

            def post(self) -> None:
                user = self.get_body_argument("username", "")
                password = self.get_body_argument("password", "")
                known = provider.people.get(user)
                if known is None or not hmac.compare_digest(known, password):
                    self.set_status(403)
                    self.finish("wrong user name or password")
                    return
                provider.sign_ins.append(user)
                request = Request(self)
                grant = provider.server.get_authorization_grant(request)
                result = provider.server.create_authorization_response(
                    request=request, grant_user=user, grant=grant
                )
                self.answer(result)

        class Token(Base):
            def post(self) -> None:
                self.answer(provider.server.create_token_response(request=Request(self)))

        class UserInfoHandler(Base):
            def get(self) -> None:
                scheme, _, token = self.request.headers.get("Authorization", "").partition(" ")
                found = provider.tokens.get(token) if scheme.lower() == "bearer" else None
                if found is None:
                    self.set_status(401)
                    self.finish({"error": "invalid_token"})
                    return
                user, _ = found
                self.finish({"sub": user, "preferred_username": user, "name": user.title()})

        return tornado.web.Application([
            (r"/\.well-known/openid-configuration", Discovery),
            (r"/jwks", Keys),
            (r"/authorize", Authorize),
            (r"/token", Token),
            (r"/userinfo", UserInfoHandler),
        ])  # fmt: skip

    # --- running ----------------------------------------------------------------------

    def start(self) -> Provider:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.build()
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            server = self.app().listen(self.port, address="127.0.0.1")
            ready.set()
            loop.run_forever()
            server.stop()
            loop.run_until_complete(server.close_all_connections())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def register(self, client_id: str, redirect_uri: str) -> Client:
        self.client = Client(client_id, secrets.token_urlsafe(24), [redirect_uri])
        return self.client

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def authorize_url(self, **params: str) -> str:
        return f"{self.issuer}/authorize?{urlencode(params)}"


def _token(client: Any, grant_type: str, user: Any = None, scope: Any = None) -> str:
    return secrets.token_urlsafe(32)
