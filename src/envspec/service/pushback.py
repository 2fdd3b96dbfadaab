"""Push back: the session's changes as a commit on a new branch of the origin.

``POST /api/v1/deployments/{id}/push`` commits everything changed in the deployment's
checkout (Jupyter's checkpoints are excluded) on a new branch (``envspec/<id>-<time>``
unless named) and pushes it to the repository the deployment came from.  The user's
forge token, when the authenticator has one (:class:`~envspec.service.auth.ForgeTokens`),
goes to git in an ``http.extraHeader`` set through the environment: never in a URL,
a command line or a log.  The remote is checked against the git policy again.
"""

from __future__ import annotations

import asyncio
import base64
import re
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from envspec.service.problems import ProblemError

if TYPE_CHECKING:
    from envspec.service.app import ServiceState
    from envspec.service.handlers import BaseHandler
    from envspec.service.models import PushRequest, PushResult
    from envspec.service.store import Record

__all__ = ["push", "secret_stops"]


async def push(
    state: ServiceState, record: Record, request: PushRequest, handler: BaseHandler
) -> PushResult:
    from envspec.service import gitpolicy
    from envspec.service.auth import ForgeTokens

    if record.source.get("type") != "git":
        raise ProblemError(409, "conflict", "an uploaded notebook has no repository to push to")
    if record.status != "ready":
        raise ProblemError(409, "conflict", f"the deployment is {record.status}, not ready")
    config = state.config
    url = record.source["url"]
    try:
        git_url = gitpolicy.check_url(
            url, allow_local=config.allow_local_repositories, allow_ssh=config.allow_ssh
        )
    except gitpolicy.PolicyError as exc:
        raise ProblemError(422, exc.code, exc.detail) from None
    token = None
    authenticator = state.authenticator
    if isinstance(authenticator, ForgeTokens):
        token = await authenticator.forge_token(handler, record.owner)
    branch = request.branch or f"envspec/{record.id}-{time.strftime('%Y%m%d-%H%M%S')}"
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch) or ".." in branch or branch.startswith("-"):
        raise ProblemError(400, "invalid-request", "branch: not a valid branch name")
    message = request.message or f"Changes from the envspec deployment {record.id}"
    folder = state.checkout_dir(record.id)
    commit = await asyncio.to_thread(
        _commit_and_push,
        folder,
        git_url,
        branch,
        message,
        record.owner,
        token,
        gitpolicy.git_env(config.git_ca_bundle),
    )
    state.log(record.id, "ready", f"pushed {commit[:12]} to branch {branch} of {url}")
    from envspec.service.models import PushResult

    return PushResult(remote=url, branch=branch, commit=commit)


def _git(folder: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _commit_and_push(
    folder: Path,
    url: str,
    branch: str,
    message: str,
    owner: str,
    token: str | None,
    extra_env: dict[str, str] | None = None,
) -> str:
    from envspec.service.gitpolicy import _env

    if not (folder / ".git").is_dir():
        raise ProblemError(409, "conflict", "the deployment's checkout is gone")
    env = {
        **_env("https:ssh:file"),
        "GIT_AUTHOR_NAME": owner,
        "GIT_AUTHOR_EMAIL": f"{owner}@users.noreply.envspec",
        "GIT_COMMITTER_NAME": owner,
        "GIT_COMMITTER_EMAIL": f"{owner}@users.noreply.envspec",
        **(extra_env or {}),
    }
    if token is not None:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "http.extraHeader",
                "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
            }
        )
    for args in (("checkout", "-q", "-B", branch), ("add", "-A")):
        done = _git(folder, *args, env=env)
        if done.returncode != 0:
            raise ProblemError(409, "push-failed", f"git {args[0]} failed: {_last(done)}")
    staged = _git(folder, "diff", "--cached", "--name-only", "-z", env=env).stdout
    refused = secret_stops(folder, [name for name in staged.split("\0") if name])
    if refused:
        _git(folder, "reset", "-q", env=env)
        raise ProblemError(
            422,
            "secret",
            f"{refused[0]} holds a secret value in its environment: remove it before pushing "
            "(a notebook's environment never carries secrets: 1.0.md#security-secrets)",
        )
    done = _git(folder, "commit", "-q", "--allow-empty", "-m", message, env=env)
    if done.returncode != 0:
        raise ProblemError(409, "push-failed", f"git commit failed: {_last(done)}")
    commit = _git(folder, "rev-parse", "HEAD", env=env).stdout.strip()
    done = _git(folder, "push", "-q", "--", url, f"HEAD:refs/heads/{branch}", env=env)
    if done.returncode != 0:
        raise ProblemError(502, "push-failed", f"the forge refused the push: {_last(done)}")
    return commit


def secret_stops(folder: Path, names: list[str]) -> list[str]:
    """The files among *names* (notebooks and envspec files below *folder*) whose
    environment the writers' gate refuses: a push is a writer, and publishes nothing the
    standard forbids a document to carry."""
    from envspec.notebook import kind_of, read_document
    from envspec.writers import gate

    refused = []
    for name in names:
        kind = kind_of(name)
        path = folder / name
        if kind is None or not path.is_file():
            continue
        document = read_document(path.read_bytes(), kind).document
        if not isinstance(document, dict):
            continue
        metadata = document.get("metadata")
        environment = (
            (metadata.get("environment") if isinstance(metadata, dict) else None)
            if kind == "notebook"
            else document
        )
        if isinstance(environment, dict) and gate(environment, file=name).refused:
            refused.append(name)
    return refused


def _last(done: subprocess.CompletedProcess[str]) -> str:
    from envspec.checks.secrets import redact

    lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
    return redact(lines[-1] if lines else f"status {done.returncode}")
