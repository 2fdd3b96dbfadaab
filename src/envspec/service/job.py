"""One deployment's fetch and build, in a child process of the service.

The worker starts ``python -m envspec.service.job`` with a JSON request on stdin and
reads JSON lines from its stdout: ``{"phase": ..., "line": ...}`` (a log line),
``{"status": ...}`` (a new phase), ``{"commit": ...}``, ``{"notebook": ...}`` (the
notebook chosen, once the checkout is there), ``{"key": ...}`` (the
environment's content hash), and last ``{"result": {...}}`` or ``{"error": {"code":
..., "detail": ...}}``.  A child process can be stopped at once (a timeout, a deleted
deployment: its process group is killed) and ends by itself when the service dies.

Fetching follows :mod:`envspec.service.gitpolicy`; building is
:func:`envspec.launch.run.prepare` (the environment is created in the cache, keyed
by its content hash, or reused).  Nothing printed holds a token: git URLs are shown
without credentials and every line goes through :func:`envspec.checks.secrets.redact`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "progress_line"]


def _emit(**item: Any) -> None:
    from envspec.checks.secrets import redact

    if "line" in item:
        item["line"] = redact(str(item["line"]))[:4000]
    sys.stdout.write(json.dumps(item) + "\n")
    sys.stdout.flush()


def progress_line(event: Any) -> str | None:
    """A log line for a :class:`~envspec.environments.progress.ProgressEvent`."""
    kind = event.kind
    if kind == "begin":
        return f"creating environment {event.key[:16]}: {event.message}".rstrip(": ")
    if kind == "reused":
        return f"environment {event.key[:16]} is in the cache: reused"
    if kind == "waiting":
        return "another build of the same environment runs: waiting for it"
    if kind == "step-started":
        return f"step {event.step}" + (f" ({event.file})" if event.file else "")
    if kind == "resolved" and event.total is not None:
        return f"resolved {event.total} packages"
    if kind == "installed" and event.done is not None and event.done == event.total:
        return f"installed {event.total} packages"
    if kind == "message" and event.message:
        return str(event.message)
    if kind == "step-finished":
        return f"step {event.step} done"
    if kind == "end":
        return "environment ready"
    return None


def _watch_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:  # the service died: nobody waits for this build
                _kill_descendants()
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def _kill_descendants() -> None:
    import contextlib
    import signal

    from envspec.launch.server import descendants

    for pid in descendants(os.getpid()):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def run(request: dict[str, Any]) -> dict[str, Any]:
    from envspec.environments import IndexOptions
    from envspec.launch.run import RunOptions, prepare
    from envspec.launch.targets import LaunchError, Target, choose_notebook
    from envspec.service import gitpolicy

    source = request["source"]
    folder = Path(request["folder"])
    commit = None
    _emit(status="fetching")
    if source["type"] == "git":
        shown = source["url"]
        _emit(
            phase="fetching",
            line=f"fetching {shown}" + (f" at {source['ref']}" if source.get("ref") else ""),
        )
        fetched = gitpolicy.fetch(
            request["git_url"],
            source.get("ref"),
            folder,
            shown=shown,
            depth=request["depth"],
            timeout=request["git_timeout"],
            max_bytes=request["max_bytes"],
            protocols=request["protocols"],
            extra_env=request.get("git_env") or None,
        )
        commit = fetched.commit
        _emit(commit=commit)
        _emit(phase="fetching", line=f"checked out {commit[:12]}")
        # Jupyter's own files never go back to the forge with a push.
        exclude = folder / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as handle:
            handle.write(".ipynb_checkpoints/\n.virtual_documents/\n.jupyter/\n")
        path = source.get("path")
        if path is not None and not (folder / path).is_file():
            return {
                "error": {
                    "code": "notebook-not-found",
                    "detail": f"{path} is not in {shown} at {commit[:12]}",
                }
            }
        try:
            notebook = choose_notebook(folder, path)
        except LaunchError as exc:
            return {"error": {"code": "notebook-not-found", "detail": str(exc)}}
    else:
        folder.mkdir(parents=True, exist_ok=True)
        notebook = source["name"]
        (folder / notebook).write_text(json.dumps(source["notebook"], indent=1) + "\n", "utf-8")
        _emit(phase="fetching", line=f"received {notebook}")
    _emit(notebook=notebook)
    _emit(status="building")
    _emit(phase="building", line=f"reading the environment of {notebook}")
    options = RunOptions(
        open_browser=False,
        trusted=bool(request.get("trusted")),
        cache_dir=Path(request["cache_dir"]) if request.get("cache_dir") else None,
        index=IndexOptions(
            index_url=request.get("index_url"),
            find_links=tuple(request.get("find_links") or ()),
            no_index=bool(request.get("no_index")),
        ),
    )

    def progress(event: Any) -> None:
        if event.kind in ("begin", "reused"):
            _emit(key=event.key)
        line = progress_line(event)
        if line:
            _emit(phase="building", line=line)

    target = Target(folder, notebook, source.get("url") or notebook, commit)
    try:
        prepared = prepare(target, options, progress=progress)
    except LaunchError as exc:
        if exc.plan is not None and exc.plan.refusals:
            for refusal in exc.plan.refusals:
                _emit(phase="building", line=f"refused ({refusal.code}): {refusal.message}")
            reasons = "; ".join(f"{r.code}: {r.message}" for r in exc.plan.refusals)
            # Code the operator does not trust has its own code (deploy-api-1.0.md#security).
            untrusted = any(r.code == "launch-untrusted" for r in exc.plan.refusals)
            code = "untrusted" if untrusted else "launch-refused"
            return {"error": {"code": code, "detail": reasons}}
        for line in str(exc).splitlines():
            _emit(phase="building", line=line)
        return {"error": {"code": "build-failed", "detail": exc.message}}
    key = getattr(prepared.created, "key", None)
    return {"result": {"notebook": notebook, "commit": commit, "key": key}}


def main() -> int:
    from envspec.service.gitpolicy import FetchError

    _watch_parent()
    request = json.loads(sys.stdin.read())
    try:
        outcome = run(request)
    except FetchError as exc:
        outcome = {"error": {"code": exc.code, "detail": exc.detail}}
    except Exception as exc:  # noqa: BLE001 - reported to the service, which logs it
        outcome = {"error": {"code": "build-failed", "detail": f"{type(exc).__name__}: {exc}"}}
    if "error" in outcome:
        _emit(phase="failed", line=outcome["error"]["detail"])
    _emit(**outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
