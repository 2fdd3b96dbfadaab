"""Rules for the typed fields: image, git, cloud targets, environment variables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from envspec.checks.secrets import SECRET_NAME
from envspec.diagnostics import Finding

__all__ = ["check_image_ref", "check_url", "rules_for_fields"]

# The OCI distribution reference grammar (distribution/reference).
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}"
_REFERENCE = re.compile(rf"{_NAME}(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?")
_DIGEST_STRICT = re.compile(r"sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128}")
_FULL_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

# Any white space (the characters str.isspace() accepts).
_SPACE = re.compile(r"\s")


def check_image_ref(
    ref: str, path: tuple[str | int, ...], *, digest_allowed: bool, has_digest: bool
) -> Iterator[Finding]:
    """OCI reference grammar, digest shape, and the unpinned-tag warning."""
    match = _REFERENCE.fullmatch(ref)
    if match is None:
        yield Finding("image-invalid", f"{ref!r} is not a valid OCI image reference", path)
        return
    name = ref.split("@", 1)[0].rsplit(":", 1)[0] if match["tag"] else ref.split("@", 1)[0]
    if len(name) > 255:
        yield Finding("image-invalid", "the image name is longer than 255 characters", path)
    digest = match["digest"]
    if digest is not None:
        if not digest_allowed:
            yield Finding(
                "image-invalid",
                f"{ref!r} includes a digest",
                path,
                hint=f"Write ref: {ref.split('@', 1)[0]!r} and digest: {digest!r}.",
            )
        elif not _DIGEST_STRICT.fullmatch(digest):
            yield Finding(
                "image-digest-invalid", f"{digest!r} is not a sha256 or sha512 digest", path
            )
        return
    if not has_digest:
        tag = match["tag"] or "latest"
        yield Finding("image-unpinned", f"image {ref!r} is pinned by the tag {tag!r} only", path)


def check_url(url: str, path: tuple[str | int, ...], *, ssh_ok: bool) -> Iterator[Finding]:
    """An absolute URL, preferably over TLS."""
    if ssh_ok and re.fullmatch(r"[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+", url):
        return  # scp-like git syntax: git@host:org/repo.git
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.scheme or not parts.netloc or _SPACE.search(url):
        yield Finding("url-invalid", f"{url!r} is not an absolute URL", path)
        return
    # Credentials are reported by the secret scan, which sees every string.
    if parts.scheme == "http" and parts.hostname not in {"localhost", "127.0.0.1", "::1"}:
        yield Finding("url-insecure", f"{url!r} is not encrypted", path)


def rules_for_fields(env: dict[str, Any]) -> Iterator[Finding]:
    """Rules for the typed fields of a 1.x environment (skipping values of the wrong type)."""
    image = env.get("image")
    digest = image.get("digest") if isinstance(image, dict) else None
    if isinstance(image, dict) and isinstance(image.get("ref"), str):
        yield from check_image_ref(
            image["ref"], ("image", "ref"), digest_allowed=False, has_digest=isinstance(digest, str)
        )
    if isinstance(digest, str) and not _DIGEST_STRICT.fullmatch(digest):
        yield Finding(
            "image-digest-invalid",
            f"{digest!r} is not a sha256 or sha512 digest",
            ("image", "digest"),
        )
    git = env.get("git")
    if isinstance(git, dict):
        yield from _git(git, ("git",), url_key="url", commit_key="commit")
        subdir = git.get("subdir")
        if isinstance(subdir, str) and (
            subdir.startswith(("/", "\\"))
            or re.match(r"[A-Za-z]:", subdir)
            or ".." in re.split(r"[\\/]", subdir)
        ):
            yield Finding(
                "git-subdir-invalid",
                f"{subdir!r} is not a folder inside the repository",
                ("git", "subdir"),
            )
    cloud = env.get("cloud")
    if isinstance(cloud, list):
        for index, target in enumerate(cloud):
            if isinstance(target, dict) and isinstance(target.get("handler_url"), str):
                yield from check_url(
                    target["handler_url"], ("cloud", index, "handler_url"), ssh_ok=False
                )
    variables = env.get("env")
    if isinstance(variables, dict):
        for name, value in variables.items():
            if (
                # The spec allows no exception: not an empty value, not a "$VAR"
                # reference (1.0 defines no expansion), not a path.
                value is not None and SECRET_NAME.search(name)
            ):
                yield Finding(
                    "secret-env-value",
                    f"{name!r} looks like a secret and has a value",
                    ("env", name),
                    hint=f"Write {name}: null so the launcher supplies it; "
                    "revoke the value if it was real.",
                )


def check_commit(commit: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """A full SHA-1 or SHA-256 commit hash."""
    if not _FULL_COMMIT.fullmatch(commit):
        yield Finding("git-commit-invalid", f"{commit!r} is not a full commit hash", path)


def _git(
    git: dict[str, Any], base: tuple[str | int, ...], *, url_key: str, commit_key: str
) -> Iterator[Finding]:
    url = git.get(url_key)
    if isinstance(url, str) and url:
        yield from check_url(url, (*base, url_key), ssh_ok=True)
    commit = git.get(commit_key)
    if isinstance(commit, str):
        yield from check_commit(commit, (*base, commit_key))
