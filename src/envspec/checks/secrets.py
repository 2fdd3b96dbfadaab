"""Secret-looking values: tokens, private keys, cloud keys, credentials in URLs."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from envspec.checks._text import line_col
from envspec.diagnostics import Finding

__all__ = ["SECRET_NAME", "may_find", "redact", "scan_text", "url_credentials"]

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
_LABELS = tuple(label for label, _ in _PATTERNS)
# Literal text each pattern cannot match without (case-sensitive, then lower-cased):
# a substring test is ~100x cheaper than running a regex over the whole text, and
# nearly every text contains none of them.
_TRIGGERS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("PRIVATE KEY",), ()),
    (("AKIA", "ASIA"), ()),
    ((), ("aws_secret_access_key",)),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), ()),
    (("glpat-",), ()),
    (("xox",), ()),
    (("AIza",), ()),
    (("k_live_",), ()),
    (("pypi-AgEIcHlwaS5vcmc",), ()),
    (("npm_",), ()),
    (("hf_",), ()),
    (("sk-",), ()),
    (("AccountKey=",), ()),
    (("eyJ",), ()),
    ((), ("token", "secret", "password", "passwd", "apikey", "api_key", "access_key")),
)


def _alternation(words: set[str]) -> str:
    """A pattern found wherever one of *words* is, their common prefixes factored out (the
    regex engine tries alternatives one by one: "a(?:iza|kia)" fails faster than
    "aiza|akia").  A word that starts with another adds nothing: the shorter is found."""
    if "" in words:
        return ""
    heads = sorted({w[0] for w in words})
    branches = [re.escape(h) + _alternation({w[1:] for w in words if w[0] == h}) for h in heads]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


# Every literal above, lower-cased, in one pattern: the lower-cased form of a text
# holds one of them whenever a pattern's literal gate below passes, and nearly
# every text holds none (a case-sensitive search is ~10x faster than "(?i:...)").
_LITERALS = {t.lower() for exact, folded in _TRIGGERS for t in (*exact, *folded)}
_ANY_TRIGGER = re.compile(_alternation(_LITERALS))
#: No pattern matches fewer characters than this.
_SHORTEST = 14


@functools.cache
def _compiled() -> tuple[re.Pattern[str], ...]:
    # Compiled when a text first passes the literal test: most runs never need them.
    return tuple(re.compile(pattern) for _, pattern in _PATTERNS)


def _secret_matches(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, label)`` of every secret, leftmost first (like one
    alternation of all the patterns, earlier patterns winning ties)."""
    if len(text) < _SHORTEST:
        return []
    lower = text.lower()
    if not _ANY_TRIGGER.search(lower):
        return []
    found: list[tuple[int, int, int]] = []
    for index, (exact, folded) in enumerate(_TRIGGERS):
        if exact and not any(t in text for t in exact):
            continue
        if folded and not any(t in lower for t in folded):
            continue
        found.extend((m.start(), index, m.end()) for m in _compiled()[index].finditer(text))
    found.sort()
    out: list[tuple[int, int, str]] = []
    end = -1
    for start, index, stop in found:
        if start >= end:
            out.append((start, stop, _LABELS[index]))
            end = stop
    return out


#: Environment variable names that hold secrets.
SECRET_NAME = re.compile(
    r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)"
)
# Schemes are short; an unbounded scheme would rescan long runs from every letter.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s'\"<>]+")
_ENV_REF = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def may_find(text: str) -> bool:
    """``False`` when :func:`scan_text` finds nothing in *text*, nor in any of the texts
    joined by NUL characters to make *text* (one cheap test for a whole environment)."""
    return ("://" in text and "@" in text) or (
        len(text) >= _SHORTEST and _ANY_TRIGGER.search(text.lower()) is not None
    )


def scan_text(text: str, path: tuple[str | int, ...], *, positions: bool) -> Iterator[Finding]:
    """Findings for every secret and every URL with credentials in *text*.

    *positions* says whether to report line and column (embedded files) or
    only the path (single-line fields).
    """
    for start, stop, label in _secret_matches(text):
        line, col = line_col(text, start) if positions else (None, None)
        yield Finding("secret", f"{_mask(text[start:stop])!r} looks like {label}", path, line, col)
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
        return f"URL for {host!r} carries credentials ({_mask_userinfo(userinfo)!r})"
    return None


#: Public prefixes of the token formats above: the issuer's published marker, which says
#: what kind of token it is and holds nothing of the secret.  A mask shows at most this.
_PUBLIC_PREFIX = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|AKIA|ASIA|gh[pousr]_|github_pat_"
    r"|glpat-|xox[abposr]-|AIza|[sr]k_live_|pypi-|npm_|hf_|sk-(?:proj-|ant-)?|AccountKey=|eyJ"
)
# The name of an assignment (``export API_TOKEN=...``, ``aws_secret_access_key = ...``):
# a name, not a secret.
_ASSIGNED_NAME = re.compile(r"(?i:[A-Z0-9_]+)\s*[=:]\s*['\"]?")


def _mask(secret: str) -> str:
    """*secret* with every character of the secret material hidden: only an issuer's public
    prefix (``ghp_``, ``AKIA``) or the name it is assigned to may show."""
    prefix = _PUBLIC_PREFIX.match(secret) or _ASSIGNED_NAME.match(secret)
    shown = prefix.group() if prefix and prefix.end() < len(secret) else ""
    return shown + "***"


def _mask_userinfo(userinfo: str) -> str:
    """The user-information part of a URL with the password hidden: ``bob:***``.  A user
    without a password is a token (``https://TOKEN@host``), and a user that looks like a
    token is one: both are hidden whole."""
    user, colon, _ = userinfo.partition(":")
    if not colon or not user or _secret_matches(user) or _looks_random(user):
        return "***"
    return f"{user}:***"


def _looks_random(text: str) -> bool:
    """A long run of letters and digits, as tokens are (a user name is short, or words)."""
    return len(text) >= 20 and re.fullmatch(r"[A-Za-z0-9_-]+", text) is not None


def redact(text: str) -> str:
    """*text* (a message about some value) with every secret and every URL password in it
    masked as :func:`scan_text` masks them: messages quote values (an invalid URL, a
    requirement line), and no message may show a secret."""
    if not may_find(text):
        return text
    if "://" in text and "@" in text:
        text = _URL.sub(lambda m: _redact_url(m.group()), text)
    for start, stop, _ in reversed(_secret_matches(text)):
        text = text[:start] + _mask(text[start:stop]) + text[stop:]
    return text


def _redact_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    end = min((i for i in (rest.find(c) for c in "/?#") if i != -1), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not at or userinfo == "git" or not _ENV_REF.sub("", userinfo).replace(":", ""):
        return url
    return f"{scheme}://{_mask_userinfo(userinfo)}@{host}{rest[end:]}"
