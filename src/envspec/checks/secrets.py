"""Secret-looking values: tokens, private keys, cloud keys, credentials in URLs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from envspec.checks._text import line_col
from envspec.diagnostics import Finding

__all__ = ["SECRET_NAME", "scan_text", "url_credentials"]

# (label, pattern).  Patterns name the issuer's published token formats; the
# generic assignment rule catches ``export SOMETHING_TOKEN=value`` in scripts.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("a private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("an AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("an AWS secret access key", r"(?i:aws_secret_access_key)\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}"),
    ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"),
    ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("a Stripe key", r"\b[sr]k_live_[0-9A-Za-z]{24,}"),
    ("a PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
    ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("a Hugging Face token", r"\bhf_[A-Za-z0-9]{34,}\b"),
    ("an API secret key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{40,}"),
    ("an Azure storage key", r"AccountKey=[A-Za-z0-9+/=]{80,}"),
    # Starts only where a run of token characters starts: scanning from every
    # "eyJ" inside a long run would take quadratic time.
    (
        "a JSON Web Token",
        r"(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    ),
    (
        "a secret assigned in a script",
        # The name is checked by a lookahead and then taken whole, without
        # backtracking (a long name without "=" would take quadratic time).
        r"\b(?=(?i:[A-Z0-9_]*?(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY)))"
        r"(?i:[A-Z0-9_]++)"
        r"\s*[=:]\s*['\"]?(?![$/<{])[^\s'\"]{8,}",
    ),
)
_COMBINED = re.compile("|".join(f"(?P<p{i}>{p})" for i, (_, p) in enumerate(_PATTERNS)))
_LABELS = {f"p{i}": label for i, (label, _) in enumerate(_PATTERNS)}

#: Environment variable names that hold secrets.
SECRET_NAME = re.compile(
    r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)"
)
# Schemes are short; an unbounded scheme would rescan long runs from every letter.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s'\"<>]+")
_ENV_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def scan_text(text: str, path: tuple[str | int, ...], *, positions: bool) -> Iterator[Finding]:
    """Findings for every secret and every URL with credentials in *text*.

    *positions* says whether to report line and column (embedded files) or
    only the path (single-line fields).
    """
    for match in _COMBINED.finditer(text):
        label = _LABELS[match.lastgroup or ""]
        line, col = line_col(text, match.start()) if positions else (None, None)
        yield Finding("secret", f"{_mask(match.group())!r} looks like {label}", path, line, col)
    if "://" in text:
        for match in _URL.finditer(text):
            problem = url_credentials(match.group())
            if problem:
                line, col = line_col(text, match.start()) if positions else (None, None)
                yield Finding("url-credentials", problem, path, line, col)


def url_credentials(url: str) -> str | None:
    """A message when *url* carries credentials, else ``None``.

    ``${VAR}`` references (which pip expands at install time) are not
    credentials; neither is a bare ``git@`` user of an SSH URL.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if "@" not in parts.netloc:
        return None
    userinfo = parts.netloc.rpartition("@")[0]
    if not userinfo or not _ENV_REF.sub("", userinfo).replace(":", ""):
        return None
    user, _, password = userinfo.partition(":")
    if (
        password
        or parts.scheme in {"http", "https"}
        or (parts.scheme.endswith(("+http", "+https")))
    ):
        if not password and user == "git":
            return None
        host = parts.hostname or "?"
        return f"URL for {host!r} carries credentials ({_mask(userinfo)!r})"
    return None


def _mask(secret: str) -> str:
    if len(secret) <= 8:
        return secret[:2] + "***"
    return secret[:6] + "***"
