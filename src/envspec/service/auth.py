"""Who is calling: the :class:`Authenticator` protocol, and :class:`TokenTable`.

An authenticator names the user of a request, or ``None`` (the API then answers 401
``unauthenticated``).  It is given the Tornado request handler, so it can read
headers and cookies (behind JupyterHub: the hub's OAuth cookie or token).
Implementations:

- :class:`TokenTable`: bearer tokens of a standalone service (tests, conformance, one
  machine), read from a tokens file;
- ``envspec.service.hub.HubAuthenticator``: JupyterHub's OAuth for services.

An authenticator may also give the user's forge token (push back to git) with an
``async def forge_token(handler, user) -> str | None`` method (:class:`ForgeTokens`).

The tokens file has one line per token, ``USER SHA256`` where SHA256 is the hex
digest of the token (``envspec service token USER`` prints a new token and its line);
``#`` starts a comment.  The tokens themselves are never stored nor logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tornado.web import RequestHandler

__all__ = [
    "Authenticator",
    "ForgeTokens",
    "TokenTable",
    "TokensFileError",
    "bearer_token",
    "hash_token",
    "new_token",
]

_USER = re.compile(r"^[A-Za-z0-9._@-]{1,128}$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


@runtime_checkable
class Authenticator(Protocol):
    """Names the user of a request, or ``None``."""

    async def identify(self, handler: RequestHandler) -> str | None: ...


@runtime_checkable
class ForgeTokens(Protocol):
    """An authenticator that knows the user's token at their git forge (push back)."""

    async def forge_token(self, handler: RequestHandler, user: str) -> str | None: ...


class TokensFileError(Exception):
    """A tokens file cannot be used (the message names the file and the line)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_hex(32)


def bearer_token(handler: RequestHandler) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` (or ``token TOKEN``), else ``None``."""
    header = handler.request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() in ("bearer", "token") and value.strip():
        return value.strip()
    return None


class TokenTable:
    """Bearer tokens -> users, from the hashes of the tokens."""

    def __init__(self, hashes: Mapping[str, str]) -> None:
        self._hashes = dict(hashes)

    @classmethod
    def from_tokens(cls, tokens: Mapping[str, str]) -> TokenTable:
        """A table of *tokens* (token -> user), for tests."""
        return cls({hash_token(token): user for token, user in tokens.items()})

    @classmethod
    def load(cls, path: Path) -> TokenTable:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokensFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
        hashes: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.partition("#")[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2 or not _USER.match(parts[0]) or not _HEX.match(parts[1]):
                raise TokensFileError(
                    f"{path}:{number}: expected 'USER SHA256' (the hex SHA-256 of the token; "
                    "'envspec service token USER' writes such a line)"
                )
            hashes[parts[1]] = parts[0]
        return cls(hashes)

    def user_of(self, token: str) -> str | None:
        digest = hash_token(token)
        for known, user in self._hashes.items():
            if hmac.compare_digest(known, digest):
                return user
        return None

    async def identify(self, handler: RequestHandler) -> str | None:
        token = bearer_token(handler)
        return None if token is None else self.user_of(token)
