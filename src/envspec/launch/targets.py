"""What ``envspec launch TARGET`` opens: a notebook, a folder, or a git repository.

A target resolves to a folder (the server's root) and one notebook in it.
A git URL (any forge, ``file://`` for local repositories, ``URL@REF``) is
cloned into the cache: ``<cache>/clones/<hash of the URL>/repo.git`` holds a
bare copy of the repository, fetched again when a ref is asked that may
have moved or is not there yet, and ``<cache>/clones/<hash>/<commit>/`` is
the checkout of one commit, made in a temporary folder and moved into place
when complete.  A URL or a ref that does not exist is an error that leaves
no half-made clone behind.  Credentials in a URL are never shown: every
message goes through :func:`envspec.checks.secrets.redact`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envspec.diagnostics import Diagnostic
    from envspec.launch.inputs import LaunchInput
    from envspec.launch.plan import LaunchPlan

__all__ = [
    "LaunchError",
    "Target",
    "choose_notebook",
    "is_git_url",
    "resolve_target",
    "shown_url",
    "split_ref",
]

_SCHEMES = ("http://", "https://", "git://", "ssh://", "file://", "git+ssh://", "git+https://")
#: ``user@host:path`` (scp-like syntax, as git accepts it); not a Windows drive letter.
_SCP = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:(?!//)[^\\]")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_GIT_TIMEOUT = 600


class LaunchError(Exception):
    """A launch cannot go on: ``message`` says what, ``hint`` what to do (never a secret).

    ``diagnostics`` are the problems of an environment that cannot be read; ``plan`` is
    a refused plan (its refusals say why), and ``input`` what it was planned from.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        diagnostics: tuple[Diagnostic, ...] = (),
        plan: LaunchPlan | None = None,
    ) -> None:
        from envspec.checks.secrets import redact

        self.message = redact(message)
        self.hint = redact(hint)
        self.diagnostics = diagnostics
        self.plan = plan
        self.input: LaunchInput | None = None
        super().__init__(self.message + (f" ({self.hint})" if self.hint else ""))


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved target."""

    #: The folder the server serves (its root): the notebook's folder, the folder given,
    #: or the checkout of a repository.
    folder: Path
    #: The notebook, relative to :attr:`folder` (``/``-separated).
    notebook: str
    #: What was asked, as it may be shown (a URL without credentials).
    source: str
    #: The commit checked out, for a git target.
    commit: str | None = None

    @property
    def notebook_path(self) -> Path:
        return self.folder / self.notebook


def is_git_url(target: str) -> bool:
    """Whether *target* names a git repository rather than a local path."""
    if target.startswith(_SCHEMES):
        return True
    return not os.path.exists(target) and _SCP.match(target) is not None


def shown_url(url: str) -> str:
    """*url* as it may be printed: without a user name or password."""
    from envspec._git import strip_credentials

    return strip_credentials(url)


def split_ref(url: str) -> tuple[str, str | None]:
    """``URL@REF`` -> ``(URL, REF)``.  An ``@`` is a ref only in the path part of the URL:
    ``https://token@host/x.git`` has none, ``git@host:x.git@v1`` has ``v1``."""
    scheme, sep, rest = url.partition("://")
    if sep:
        slash = rest.find("/")
        head, path = (rest, "") if slash == -1 else (rest[:slash], rest[slash:])
        prefix = f"{scheme}://{head}"
    else:  # scp-like: user@host:path
        colon = url.find(":")
        prefix, path = url[: colon + 1], url[colon + 1 :]
    base, at, ref = path.rpartition("@")
    if not at or not ref or not base:
        return url, None
    return prefix + base, ref


def _git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",  # fail, never wait for a password
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -oBatchMode=yes"),
        "LC_ALL": "C",
    }
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise LaunchError(
            "git is not installed; it is needed to launch a repository",
            "install git (apt-get install git), or launch a local folder instead",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise LaunchError(f"git {args[0]} took longer than {_GIT_TIMEOUT} s") from exc


def _why(done: subprocess.CompletedProcess[str], url: str) -> str:
    """The last meaningful line git wrote, without the URL's credentials."""
    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
    why = lines[-1] if lines else f"git exited with status {done.returncode}"
    why = why.removeprefix("fatal: ").removeprefix("error: ")
    return why.replace(url, shown_url(url))


def _clone_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


def _resolve_commit(mirror: Path, ref: str) -> str | None:
    for candidate in (ref, f"refs/tags/{ref}", f"refs/heads/{ref}"):
        done = _git(
            "--git-dir", str(mirror), "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    return None


def clone(url: str, ref: str | None, cache_dir: Path, *, offline: bool = False) -> tuple[Path, str]:
    """The checkout of *ref* (default: the repository's default branch) of *url* in the
    cache, and its commit; cloned or fetched as needed."""
    shown = shown_url(url)
    home = cache_dir / "clones" / _clone_key(url)
    mirror = home / "repo.git"
    fresh = not (mirror / "HEAD").is_file()
    if fresh:
        if offline:
            raise LaunchError(
                f"{shown} is not in the clone cache and --offline forbids cloning it",
                "launch it once without --offline",
            )
        home.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=home, prefix=".clone-"))
        try:
            done = _git("clone", "--bare", "--quiet", "--", url, str(tmp / "repo.git"))
            if done.returncode != 0:
                raise LaunchError(
                    f"cannot clone {shown}: {_why(done, url)}",
                    "check the URL (and that you may read the repository)",
                )
            # The clone keeps the URL without credentials; fetches are given the URL.
            _git("--git-dir", str(tmp / "repo.git"), "remote", "set-url", "origin", shown)
            os.replace(tmp / "repo.git", mirror)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            with contextlib.suppress(OSError):
                home.rmdir()  # only when empty: the clone failed
    try:
        commit = _find_commit(mirror, url, ref, fetch=not fresh and not offline)
    except LaunchError:
        if fresh:  # nothing of a failed first launch is kept
            shutil.rmtree(home, ignore_errors=True)
        raise
    return _checkout(home, mirror, url, commit), commit


def _find_commit(mirror: Path, url: str, ref: str | None, *, fetch: bool) -> str:
    shown = shown_url(url)
    wanted = ref or "HEAD"
    # A full commit already here never moves; a branch, a tag or HEAD may have.
    if fetch and not (_COMMIT.fullmatch(wanted) and _resolve_commit(mirror, wanted)):
        done = _git(
            "--git-dir", str(mirror), "fetch", "--quiet", "--prune", "--tags", "--force",
            "--", url, "+refs/heads/*:refs/heads/*",
        )  # fmt: skip
        if done.returncode != 0 and _resolve_commit(mirror, wanted) is None:
            raise LaunchError(
                f"cannot fetch {shown}: {_why(done, url)}", "check the URL and your connection"
            )
    commit = _resolve_commit(mirror, wanted)
    if commit is None:
        if ref is None:
            raise LaunchError(f"{shown} has no commits", "push a commit, or give --ref")
        raise LaunchError(
            f"{shown} has no branch, tag or commit {ref!r}",
            "give an existing one with URL@REF or --ref",
        )
    return commit


def _checkout(home: Path, mirror: Path, url: str, commit: str) -> Path:
    final = home / commit
    if (final / ".git").exists():
        return final
    tmp = Path(tempfile.mkdtemp(dir=home, prefix=".checkout-"))
    try:
        work = tmp / "work"
        for args in (
            ("clone", "--quiet", "--shared", "--no-checkout", "--", str(mirror), str(work)),
            ("-C", str(work), "checkout", "--quiet", "--detach", commit),
            # The checkout records where it comes from (pack on save reads it), never a password.
            ("-C", str(work), "remote", "set-url", "origin", shown_url(url)),
        ):
            done = _git(*args)
            if done.returncode != 0:
                raise LaunchError(f"cannot check out {commit[:12]}: {_why(done, url)}")
        try:
            os.replace(work, final)
        except OSError:
            if not (final / ".git").exists():  # another launch did not win the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def choose_notebook(folder: Path, asked: str | None = None) -> str:
    """The notebook of *folder* to open (relative, ``/``-separated): *asked*, else the only
    notebook at the top of the folder, else ``index.ipynb``."""
    if asked is not None:
        path = Path(asked)
        full = path if path.is_absolute() else folder / path
        if not full.is_file():
            raise LaunchError(
                f"{asked} does not exist in {folder}",
                "give a notebook of the folder with --notebook",
            )
        try:
            return full.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            raise LaunchError(
                f"{asked} is outside {folder}", "give a notebook inside the folder"
            ) from None
    found = sorted(p.name for p in folder.iterdir() if p.suffix == ".ipynb" and p.is_file())
    if len(found) == 1:
        return found[0]
    if "index.ipynb" in found:
        return "index.ipynb"
    if not found:
        raise LaunchError(f"{folder} has no notebook (*.ipynb)", "give one with --notebook PATH")
    listed = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
    raise LaunchError(
        f"{folder} has {len(found)} notebooks and none is index.ipynb: {listed}",
        "choose one with --notebook NAME",
    )


def resolve_target(
    target: str,
    *,
    notebook: str | None = None,
    ref: str | None = None,
    cache_dir: Path,
    offline: bool = False,
) -> Target:
    """The folder and notebook *target* names, cloning a repository into the cache."""
    if is_git_url(target):
        url, at_ref = split_ref(target)
        if ref is not None and at_ref is not None and ref != at_ref:
            raise LaunchError(
                f"two refs given: @{at_ref} in the URL and --ref {ref}", "give only one"
            )
        folder, commit = clone(url, ref or at_ref, cache_dir, offline=offline)
        return Target(folder, choose_notebook(folder, notebook), shown_url(url), commit)
    if ref is not None:
        raise LaunchError("--ref is for a git URL", f"{target} is a local path")
    path = Path(target)
    if path.is_dir():
        return Target(path.resolve(), choose_notebook(path.resolve(), notebook), target)
    if path.is_file():
        if notebook is not None:
            raise LaunchError("--notebook is for a folder or a repository", f"{target} is a file")
        if path.suffix != ".ipynb":
            raise LaunchError(
                f"{target} is not a notebook (*.ipynb)", "give a notebook or a folder"
            )
        full = path.resolve()
        return Target(full.parent, full.name, target)
    raise LaunchError(
        f"{target} does not exist",
        "give a notebook, a folder, or a git URL (https://..., file:///...)",
    )
