"""A client of the deploy-handler API (``envspec deploy``): the standard library only.

:func:`cloud_targets` reads the ``cloud`` targets of a notebook (``metadata.environment.cloud``:
a list in 1.x, one object in 0.1); :func:`deploy` uploads the notebook to a target's
``handler_url`` (the base URL of the API: ``POST {handler_url}/api/v1/deployments``),
follows its log (server-sent events) and returns the final deployment.  A token is
sent only over https, or over http to a loopback address (127.0.0.1, ::1).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CloudTarget", "DeployError", "cloud_targets", "deploy", "pick_target"]


class DeployError(Exception):
    """Deploying failed (the message says why and never holds the token)."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CloudTarget:
    name: str
    handler_url: str


def _read(notebook: Path) -> dict[str, Any]:
    try:
        document = json.loads(notebook.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeployError(f"{notebook}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DeployError(f"{notebook}: not a notebook (invalid JSON: {exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise DeployError(f"{notebook}: not a notebook (no cells)")
    return document


def cloud_targets(document: dict[str, Any]) -> list[CloudTarget]:
    metadata = document.get("metadata")
    environment = metadata.get("environment") if isinstance(metadata, dict) else None
    cloud = environment.get("cloud") if isinstance(environment, dict) else None
    entries = [cloud] if isinstance(cloud, dict) else cloud if isinstance(cloud, list) else []
    targets = []
    for entry in entries:
        if isinstance(entry, dict):
            name, url = entry.get("name"), entry.get("handler_url")
            if isinstance(name, str) and isinstance(url, str) and name and url:
                targets.append(CloudTarget(name, url))
    return targets


def pick_target(notebook: Path, document: dict[str, Any], name: str | None) -> CloudTarget:
    targets = cloud_targets(document)
    if not targets:
        raise DeployError(
            f"{notebook} names no cloud target (metadata.environment.cloud)",
            "add one: envspec's docs/service-api.md shows the block",
        )
    if name is None:
        return targets[0]
    for target in targets:
        if target.name == name:
            return target
    known = ", ".join(t.name for t in targets)
    raise DeployError(f"{notebook} has no cloud target {name!r}", f"its targets: {known}")


def _check_transport(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DeployError(f"handler_url {url!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise DeployError(
            "handler_url must not carry credentials", "give the token with --token-env"
        )
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise DeployError(
                f"handler_url {url} is plain http: the token would travel unencrypted",
                "the service must use https (http is accepted for 127.0.0.1 only)",
            )
    return url if url.endswith("/") else url + "/"


def _request(
    method: str, url: str, token: str, body: Any = None, timeout: float = 60
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            problem = json.loads(exc.read())
        except ValueError:
            problem = {}
        detail = problem.get("detail") if isinstance(problem, dict) else None
        code = problem.get("code") if isinstance(problem, dict) else None
        raise DeployError(
            f"the service answered {exc.code}"
            + (f" ({code})" if code else "")
            + (f": {detail}" if detail else "")
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeployError(f"cannot reach {urlsplit(url).netloc}: {reason}") from None


def _events(url: str, token: str, timeout: float) -> Iterator[tuple[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked
        url, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        event, data = "message", ""
        for raw in response:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data:
                    yield event, json.loads(data)
                event, data = "message", ""
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()


def deploy(
    notebook: Path,
    token: str,
    *,
    target: str | None = None,
    wait: bool = True,
    timeout: float = 3600.0,
    on_log: Callable[[str, str], None] | None = None,
) -> tuple[CloudTarget, dict[str, Any]]:
    """Upload *notebook* to its cloud target; the target and the deployment (ready or
    failed when *wait*, else as created)."""
    document = _read(notebook)
    chosen = pick_target(notebook, document, target)
    base = _check_transport(chosen.handler_url)
    body = {"source": {"type": "notebook", "name": notebook.name, "notebook": document}}
    _, deployment = _request("POST", base + "api/v1/deployments", token, body)
    if not wait:
        return chosen, deployment
    ident = deployment["id"]
    try:
        for event, data in _events(f"{base}api/v1/deployments/{ident}/log", token, timeout):
            if event == "log" and on_log is not None:
                on_log(str(data.get("phase", "")), str(data.get("line", "")))
            elif event == "status":
                deployment = data
    except (urllib.error.URLError, OSError) as exc:
        raise DeployError(f"the log stream broke: {getattr(exc, 'reason', exc)}") from None
    if deployment.get("status") not in ("ready", "failed", "stopped"):
        _, deployment = _request("GET", f"{base}api/v1/deployments/{ident}", token)
    return chosen, deployment
