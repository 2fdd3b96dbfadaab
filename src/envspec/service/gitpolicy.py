"""Which git repositories the service fetches, and fetching them within limits.

:func:`check_url` refuses (``forbidden-url``): any scheme but ``https`` (``ssh://`` and
``git@host:path`` when ``allow_ssh``), ``ext::`` and other transport helpers,
credentials in the URL (``https://user:token@host``: tokens go in the authenticator,
never in a URL that is stored and shown), and ``file://`` URLs or local paths unless
``allow_local_repositories`` (tests, one-person setups).  :func:`check_path` refuses
(``invalid-path``) a notebook path that is absolute, has ``..`` or a backslash, or is
not a ``.ipynb``.

:func:`fetch` clones one ref with ``--depth`` into a new folder, with git's protocol
allow-list set to what the policy allows (so a submodule or a redirect cannot reach
``file://`` or ``ext::``), a time limit and a size limit (the folder is watched while
git writes; past the limit git is stopped and the folder removed).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

__all__ = ["FetchError", "Fetched", "PolicyError", "check_path", "check_url", "fetch"]

_SCP = re.compile(r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.-]+):(?!//)(?P<path>.+)$")
_REF = re.compile(r"^[A-Za-z0-9._/+-]{1,255}$")


class PolicyError(Exception):
    """A source the policy refuses: ``code`` is the problem's code."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(detail)


class FetchError(Exception):
    """Fetching failed: ``code`` says how (``fetch-failed``, ``ref-not-found``,
    ``fetch-timeout``, ``repository-too-large``); the message has no credentials."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(detail)


def check_url(url: str, *, allow_local: bool = False, allow_ssh: bool = False) -> str:
    """*url* when the policy allows fetching it; else :class:`PolicyError`.  Returns the
    URL git is given (a local path becomes a ``file://`` URL)."""
    if any(c in url for c in "\0\n\r\t ") or url.startswith("-"):
        raise PolicyError(
            "forbidden-url", "the URL has spaces, control characters or a leading '-'"
        )
    if "::" in url.split("/", 1)[0] or url.lower().startswith("ext:"):
        raise PolicyError("forbidden-url", "transport helpers (ext::, fd::...) are not allowed")
    if "://" in url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        has_user = parts.username is not None or parts.password is not None or "@" in parts.netloc
        if has_user and not (scheme == "ssh" and allow_ssh and parts.password is None):
            raise PolicyError(
                "forbidden-url",
                "the URL has credentials: give the URL without them (the service uses "
                "your forge account's token when it has one)",
            )
        if scheme == "https":
            if not parts.hostname:
                raise PolicyError("forbidden-url", "the URL has no host")
            return url
        if scheme == "ssh" and allow_ssh:
            return url
        if scheme == "file" and allow_local:
            return url
        allowed = "https" + (", ssh" if allow_ssh else "") + (", file" if allow_local else "")
        raise PolicyError(
            "forbidden-url", f"the scheme {scheme}:// is not allowed here (allowed: {allowed})"
        )
    scp = _SCP.match(url)
    if scp is not None and not url.startswith(("/", ".")):
        if allow_ssh:
            return url
        raise PolicyError("forbidden-url", "ssh URLs (user@host:path) are not allowed here")
    if allow_local:
        path = Path(url)
        if path.is_absolute():
            return path.as_uri()
    raise PolicyError(
        "forbidden-url", "local paths are not allowed: give an https:// URL of a repository"
    )


def check_ref(ref: str) -> str:
    if not _REF.match(ref) or ".." in ref or ref.startswith(("-", "/")) or ref.endswith("/"):
        raise PolicyError("invalid-request", "the ref is not a branch, tag or commit name")
    return ref


def check_path(path: str) -> str:
    """*path* (a notebook in a repository) when well-formed; else :class:`PolicyError`."""
    if "\\" in path or "\0" in path or path.startswith("/"):
        raise PolicyError("invalid-path", f"{path!r} must be a relative path with '/' separators")
    parts = PurePosixPath(path).parts
    if not parts or any(p in ("..", ".") for p in path.split("/")):
        raise PolicyError("invalid-path", f"{path!r} must not have '.' or '..' parts")
    if not path.endswith(".ipynb"):
        raise PolicyError("invalid-path", f"{path!r} is not a notebook (*.ipynb)")
    return path


@dataclass(frozen=True, slots=True)
class Fetched:
    folder: Path
    commit: str


def _env(protocols: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_SSH_COMMAND": "ssh -oBatchMode=yes",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": protocols,
        "GIT_PROTOCOL_FROM_USER": "0",
        "LC_ALL": "C",
    }


def git_env(ca_bundle: Path | None) -> dict[str, str]:
    """What the service adds to git's environment: the operator's CA bundle, if any."""
    return {"GIT_SSL_CAINFO": str(ca_bundle.resolve())} if ca_bundle is not None else {}


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _run(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    deadline: float,
    max_bytes: int,
    cancelled: Callable[[], bool],
) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        ["git", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        while True:
            try:
                out, err = process.communicate(timeout=0.25)
                return subprocess.CompletedProcess(args, process.returncode, out, err)
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() > deadline:
                raise FetchError("fetch-timeout", "fetching the repository took too long")
            if _size(cwd) > max_bytes:
                raise FetchError(
                    "repository-too-large",
                    f"the repository is larger than the limit ({max_bytes // 1048576} MiB)",
                )
            if cancelled():
                raise FetchError("cancelled", "the deployment was stopped")
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()


def _why(done: subprocess.CompletedProcess[str], url: str, shown: str) -> str:
    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
    why = lines[-1] if lines else f"git exited with status {done.returncode}"
    return why.removeprefix("fatal: ").removeprefix("error: ").replace(url, shown)


def fetch(
    url: str,
    ref: str | None,
    folder: Path,
    *,
    shown: str,
    depth: int = 1,
    timeout: float = 300.0,
    max_bytes: int = 500 * 1024 * 1024,
    protocols: str = "https",
    extra_env: dict[str, str] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Fetched:
    """A checkout of *ref* (default: the default branch) of *url* in the new folder
    *folder* (removed again when fetching fails).  *shown* is the URL for messages."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {**_env(protocols), **(extra_env or {})}
    deadline = time.monotonic() + timeout

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(
            list(args),
            cwd=folder,
            env=env,
            deadline=deadline,
            max_bytes=max_bytes,
            cancelled=cancelled,
        )

    try:
        for args in (("init", "-q"), ("remote", "add", "origin", shown)):
            done = git(*args)
            if done.returncode != 0:
                raise FetchError("fetch-failed", _why(done, url, shown))
        wanted = ref or "HEAD"
        deep = ("--depth", str(depth)) if depth > 0 else ()
        done = git("fetch", "-q", "--no-tags", *deep, "--", url, wanted)
        if done.returncode != 0 and ref is not None and deep:
            # A commit that is not a branch tip: servers that refuse it by name need all.
            done = git("fetch", "-q", "--", url, "+refs/heads/*:refs/remotes/origin/*")
            if done.returncode == 0:
                done = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
                if done.returncode != 0:
                    raise FetchError(
                        "ref-not-found", f"{shown} has no branch, tag or commit {ref!r}"
                    )
                commit = done.stdout.strip()
                _checkout(git, commit, url, shown)
                return Fetched(folder, commit)
        if done.returncode != 0:
            why = _why(done, url, shown)
            if "couldn't find remote ref" in why or "not our ref" in why:
                raise FetchError("ref-not-found", f"{shown} has no branch, tag or commit {ref!r}")
            raise FetchError("fetch-failed", f"cannot fetch {shown}: {why}")
        done = git("rev-parse", "FETCH_HEAD^{commit}")
        if done.returncode != 0:
            raise FetchError("fetch-failed", f"cannot read what was fetched from {shown}")
        commit = done.stdout.strip()
        _checkout(git, commit, url, shown)
        if ref is not None and not re.fullmatch(r"[0-9a-f]{7,64}", ref):
            git("checkout", "-q", "-B", ref.rsplit("/", 1)[-1], commit)
        if _size(folder) > max_bytes:
            raise FetchError(
                "repository-too-large",
                f"the repository is larger than the limit ({max_bytes // 1048576} MiB)",
            )
        return Fetched(folder, commit)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _checkout(
    git: Callable[..., subprocess.CompletedProcess[str]], commit: str, url: str, shown: str
) -> None:
    done = git("checkout", "-q", "--detach", commit)
    if done.returncode != 0:
        raise FetchError(
            "fetch-failed", f"cannot check out {commit[:12]}: {_why(done, url, shown)}"
        )
