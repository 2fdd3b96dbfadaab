"""The envspec kernel provisioner: each notebook's kernel in the notebook's environment.

Registered as ``envspec-provisioner`` in the ``jupyter_client.kernel_provisioners``
entry-point group; ``envspec kernel install`` writes a kernelspec that names it.
At every kernel start (and restart) :meth:`EnvspecProvisioner.pre_launch`
finds the notebook, reads its environment, creates or reuses it (in a worker
thread, so the server keeps answering during a build) and replaces the
kernel's command with ``ipykernel_launcher`` run by the environment's Python.
When that is not possible, it starts the report kernel
(:mod:`envspec.kernel.report`) that shows why in the notebook.

Settings (``metadata.kernel_provisioner.config`` in ``kernel.json``, or
``c.EnvspecProvisioner.NAME`` in the server's configuration):
``build_timeout``, ``index_url``, ``extra_index_urls``, ``find_links``,
``no_index``, ``offline``, ``cache_dir``, ``builder``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import Bool, Float, List, Unicode

from envspec.kernel.resolve import Builder, IndexConfig, KernelProblem, Ready, realize

__all__ = ["DEFAULT_BUILD_TIMEOUT", "EnvspecProvisioner"]

#: Seconds a kernel start may spend creating its environment (30 minutes).
DEFAULT_BUILD_TIMEOUT = 1800.0


def _activate(env: dict[str, str], prefix: Path, bindir: Path) -> None:
    """What activating the environment sets: its ``bin`` first on ``PATH``, and
    ``CONDA_PREFIX`` (a conda prefix) or ``VIRTUAL_ENV`` (a virtual environment) naming it,
    never the server's."""
    env["PATH"] = os.pathsep.join(p for p in (str(bindir), env.get("PATH", "")) if p)
    env.pop("PYTHONHOME", None)
    if (prefix / "conda-meta").is_dir():
        env.pop("VIRTUAL_ENV", None)
        env["CONDA_PREFIX"] = str(prefix)
    else:
        env.pop("CONDA_PREFIX", None)
        env["VIRTUAL_ENV"] = str(prefix)


class EnvspecProvisioner(LocalProvisioner):
    """Starts ipykernel with the Python of the notebook's environment (created when needed)."""

    _start_script: str | None = None

    build_timeout = Float(
        DEFAULT_BUILD_TIMEOUT,
        config=True,
        help="Seconds a kernel start may spend creating the notebook's environment.  When it "
        "takes longer, the kernel reports it and the build goes on; restart the kernel later.",
    )
    index_url = Unicode(None, allow_none=True, config=True, help="uv's --index-url")
    extra_index_urls = List(Unicode(), config=True, help="uv's --extra-index-url (each)")
    find_links = List(Unicode(), config=True, help="uv's --find-links (each)")
    no_index = Bool(False, config=True, help="uv's --no-index")
    offline = Bool(False, config=True, help="uv's --offline")
    cache_dir = Unicode(
        None, allow_none=True, config=True, help="envspec's environment cache folder"
    )
    builder = Unicode(
        "envspec.kernel.build:default_builder",
        config=True,
        help="The function that creates an environment ('module:function').",
    )

    def _builder(self) -> Builder:
        module, _, name = self.builder.partition(":")
        function: Builder = getattr(importlib.import_module(module), name)
        return function

    def _index(self) -> IndexConfig:
        return IndexConfig(
            index_url=self.index_url or None,
            extra_index_urls=tuple(self.extra_index_urls),
            find_links=tuple(self.find_links),
            no_index=self.no_index,
            offline=self.offline,
        )

    def _progress(self, event: object) -> None:
        kind = getattr(event, "kind", None)
        if kind is None:
            self.log.info("envspec kernel %s: %s", self.kernel_id, event)
            return
        parts = [str(kind), getattr(event, "step", None), getattr(event, "file", None)]
        done, total = getattr(event, "done", None), getattr(event, "total", None)
        if done is not None:
            parts.append(f"{done}/{total}" if total is not None else str(done))
        elif total is not None:
            parts.append(str(total))
        parts.append(getattr(event, "message", None))
        text = " ".join(str(p) for p in parts if p)
        # One line per step at info; per-package counts only at debug.
        level = logging.DEBUG if kind in {"resolved", "downloaded", "installed"} else logging.INFO
        self.log.log(level, "envspec kernel %s: %s", self.kernel_id, text)

    def _realize(self, session_name: str | None, cwd: Any, env: dict[str, str]) -> Ready:
        return realize(
            session_name,
            cwd,
            env,
            builder=self._builder(),
            index=self._index(),
            cache_dir=Path(self.cache_dir) if self.cache_dir else None,
            progress=self._progress,
        )

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Create or reuse the notebook's environment, then launch ipykernel inside it."""
        env: dict[str, str] = dict(kwargs.get("env") or os.environ)
        cwd = kwargs.get("cwd")
        session_name = await self._current_notebook() or env.get("JPY_SESSION_NAME")
        started = time.monotonic()
        ready: Ready | None = None
        problem: KernelProblem | None = None
        try:
            ready = await asyncio.wait_for(
                asyncio.to_thread(self._realize, session_name, cwd, env), self.build_timeout
            )
        except KernelProblem as exc:
            problem = exc
        except TimeoutError:
            problem = KernelProblem(
                f"creating the environment took more than {self.build_timeout:g} s",
                hint="the build goes on in the background: restart the kernel in a while.  To "
                "wait longer, raise build_timeout (see the envspec kernel docs)",
                notebook=session_name,
            )
        except Exception as exc:  # noqa: BLE001 - shown in the notebook, never a silent fallback
            problem = KernelProblem(
                f"envspec failed: {type(exc).__name__}: {exc}", notebook=session_name
            )
        kwargs = await super().pre_launch(**kwargs)
        connection_file = self._connection_file(kwargs["cmd"])
        if ready is not None:
            built = ready.built
            self.log.info(
                "envspec kernel %s: %s in %s (%s, %.1f s)",
                self.kernel_id,
                ready.source.notebook or ready.source.folder,
                built.prefix,
                "reused" if built.reused else "created",
                time.monotonic() - started,
            )
            kernel_env = kwargs["env"]
            kernel_env.update(ready.env)
            _activate(kernel_env, built.prefix, built.python.parent)
            command = [str(built.python), "-m", "ipykernel_launcher", "-f", connection_file]
            kwargs["cmd"] = self._wrap(ready.start, command, connection_file)
            return kwargs
        if problem is None:  # pragma: no cover - one of the two is always set
            raise RuntimeError("envspec: no environment and no report")
        self.log.warning("envspec kernel %s: %s", self.kernel_id, problem.text())
        if importlib.util.find_spec("ipykernel") is None:
            # No way to show it in the notebook: the start fails with the report.
            raise RuntimeError(problem.text())
        from envspec.kernel.report import REPORT_VARIABLE

        kwargs["env"][REPORT_VARIABLE] = problem.to_json()
        kwargs["cmd"] = [sys.executable, "-m", "envspec.kernel.report", "-f", connection_file]
        return kwargs

    def _wrap(self, start: str | None, command: list[str], connection_file: str) -> list[str]:
        """*command* run through the environment's ``start`` script (repo2docker's
        convention: it ends with ``exec "$@"``), written beside the connection file."""
        self._remove_start()
        if start is None:
            return command
        folder = os.path.dirname(connection_file) or None
        fd, path = tempfile.mkstemp(prefix="envspec-start-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(start)
        os.chmod(path, 0o700)
        self._start_script = path
        return [path, *command] if start.startswith("#!") else ["/bin/sh", path, *command]

    def _remove_start(self) -> None:
        path, self._start_script = self._start_script, None
        if path:
            with contextlib.suppress(OSError):
                os.unlink(path)

    async def cleanup(self, restart: bool = False) -> None:
        """Also removes the copy of ``start`` (a restart writes it again)."""
        await super().cleanup(restart=restart)
        if not restart:
            self._remove_start()

    async def _current_notebook(self) -> str | None:
        """The notebook of this kernel's session now (after a rename, on a restart), when
        the kernel runs in a jupyter_server that has a session for it; else ``None``."""
        kernels = getattr(self.parent, "parent", None)
        app = getattr(kernels, "parent", None)
        sessions = getattr(app, "session_manager", None)
        contents = getattr(app, "contents_manager", None)
        if sessions is None or contents is None:
            return None
        try:
            model = await sessions.get_session(kernel_id=self.kernel_id)
        except Exception:  # noqa: BLE001 - no session (yet): the first start
            return None
        path = model.get("path") if isinstance(model, dict) else None
        if not isinstance(path, str):
            return None
        from envspec.jupyter import _os_path

        return _os_path(contents, path)

    def _connection_file(self, cmd: list[str]) -> str:
        parent = self.parent
        if parent is not None and getattr(parent, "connection_file", None):
            return str(parent.connection_file)
        return cmd[cmd.index("-f") + 1]
