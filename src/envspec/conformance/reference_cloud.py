"""The reference adapter with the cloud role: envspec's own deploy service.

::

    envspec conformance run --adapter "python -m envspec.conformance.reference_cloud"
    envspec conformance run --adapter \\
        "python -m envspec.conformance.reference_cloud -- --find-links /srv/wheels"

At ``hello`` it starts ``envspec service run --port 0`` on 127.0.0.1 in a temporary
folder (its own SQLite database, a tokens file with two new users, the service's log
in a file there), declares the service's URL in the cloud role object, and stops the
service (and removes the folder) at ``bye`` or at exit.  For the ``git`` feature it
also serves, over https on 127.0.0.1 (:mod:`envspec.conformance._gitserver`, a
self-signed certificate the service trusts through ``--git-ca-bundle``), a repository
with ``notebooks/analysis.ipynb``, declared as the role object's ``repository``; it
accepts pushes without credentials.  ``repository`` makes another repository there
for a case; the service's configuration trusts those whose name starts with
``trusted-``, the names given to repositories the request asks to be trusted.
Arguments after ``--`` go to ``envspec service run``.  ``tokens`` gives the two
users' tokens; ``service-log`` the service's log so far.  Every other role is the
reference adapter's.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from envspec.conformance import reference
from envspec.conformance._gitserver import GitServer

__all__ = ["CloudAdapter", "main"]

#: How long the service may take to start.
START_SECONDS = 60.0
#: How long the runner waits for a deployment (the first build installs a kernel).
READY_SECONDS = 600.0
_LISTENING = "envspec service listening on "


#: The notebook of the repository the adapter serves (``notebooks/analysis.ipynb``).
_NOTEBOOK: dict[str, Any] = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# From a git repository"}],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "environment": {"env_ver": "1.0"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


class CloudAdapter(reference.Adapter):
    """The reference adapter, plus the cloud role backed by a service child process."""

    #: Arguments for ``envspec service run`` (``--find-links DIR``, ...).
    service_args: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._url = ""
        self._user_tokens: list[str] = []
        self._git: GitServer | None = None
        self._declared: dict[str, str] = {}
        self._made = 0

    # ------------------------------------------------------------------- the service

    def _start_service(self) -> None:
        from envspec.service.auth import hash_token, new_token

        folder = Path(tempfile.mkdtemp(prefix="envspec-cloud-reference-"))
        self._folder = folder
        self._git = GitServer()
        notebook = json.dumps(_NOTEBOOK, indent=1) + "\n"
        url = self._git.create("project", {"notebooks/analysis.ipynb": notebook})
        self._declared = {"url": url, "ref": "main", "path": "notebooks/analysis.ipynb"}
        self._user_tokens = [new_token(), new_token()]
        # The operator trusts the repositories made for a case that asks for trust
        # (``repository`` with ``trusted``): their names start with "trusted-".
        trusted = json.dumps(f"{self._git.base}trusted-*")
        (folder / "service.toml").write_text(
            f"[service]\ntrusted_repositories = [{trusted}]\n", "utf-8"
        )
        (folder / "tokens.txt").write_text(
            f"alice {hash_token(self._user_tokens[0])}\nbob {hash_token(self._user_tokens[1])}\n",
            "utf-8",
        )
        command = [
            sys.executable,
            "-m",
            "envspec",
            "service",
            "run",
            "--port",
            "0",
            "--tokens",
            str(folder / "tokens.txt"),
            "--db",
            f"sqlite:///{folder / 'service.sqlite'}",
            "--data-dir",
            str(folder / "data"),
            "--git-ca-bundle",
            str(self._git.ca_file),
            "--config",
            str(folder / "service.toml"),
            *self.service_args,
        ]
        out = (folder / "service.out").open("wb")
        err = (folder / "service.log").open("wb")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        out.close()
        err.close()
        atexit.register(self._stop_service)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            text = (folder / "service.out").read_text("utf-8", "replace")
            for line in text.splitlines():
                if line.startswith(_LISTENING):
                    self._url = line.removeprefix(_LISTENING).strip()
                    return
            if self._process.poll() is not None:
                break
            time.sleep(0.1)
        log = (folder / "service.log").read_text("utf-8", "replace")[-2000:]
        self._stop_service()
        raise RuntimeError(f"the deploy service did not start: {log}")

    def _stop_service(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        git, self._git = self._git, None
        if git is not None:
            git.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    # ------------------------------------------------------------------- the protocol

    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.conformance.features import FEATURES

        hello = super()._hello(message)
        if self._process is None:
            self._start_service()
        hello["roles"]["cloud"] = {
            "versions": ["1.0"],
            "features": list(FEATURES["cloud"]),
            "url": self._url,
            "ready_seconds": READY_SECONDS,
            "repository": self._declared,
        }
        return hello

    def _tokens(self, message: dict[str, Any]) -> dict[str, Any]:
        return {"tokens": list(self._user_tokens)}

    def _service_log(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._folder is not None  # noqa: S101 (hello started the service)
        text = "".join(
            (self._folder / name).read_text("utf-8", "replace")
            for name in ("service.out", "service.log")
        )
        return {"text": text}

    def _repository(self, message: dict[str, Any]) -> dict[str, Any]:
        """A new repository of the request's files, trusted by the service when asked."""
        assert self._git is not None  # noqa: S101 (hello started the git server)
        files = message.get("files")
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise ValueError("files: an object of path -> text is needed")
        self._made += 1
        name = f"{'trusted' if message.get('trusted') else 'case'}-{self._made}"
        return {"url": self._git.create(name, files), "ref": "main"}

    def _bye(self, message: dict[str, Any]) -> dict[str, Any]:
        self._stop_service()
        return {}


def main(argv: list[str] | None = None) -> int:
    """Serve the protocol; arguments after ``--`` go to ``envspec service run``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        args = args[args.index("--") + 1 :]
    CloudAdapter.service_args = tuple(args)
    reference.Adapter = CloudAdapter  # type: ignore[misc]  # main() serves reference.Adapter
    return reference.main()


if __name__ == "__main__":
    raise SystemExit(main())
