"""Executing a plan's local steps: the environment is built, or reused.

See :mod:`envspec.environments.cache` for where environments live and why they
are built in place.  The steps, in the plan's order:

``interpreter``
    a virtual environment for the interpreter the plan chose (``uv venv``); with
    conda, the solve provides Python and the pin is one more spec.
``conda``
    ``environment.yml`` solved and installed with rattler, then its ``pip:`` part
    with uv and the prefix's Python.  A conda lock (``pixi.lock``: the step's file,
    or named by its ``lock`` detail) is installed as locked, without a solve.
``pylock`` / ``pip``
    ``uv pip install -r pylock.toml`` (exact) or ``-r requirements.txt``.
``apt-check``
    ``dpkg-query`` for each package of ``apt.txt``: missing ones are reported,
    never installed (again on every reuse: the machine may change).
``post-build``
    ``postBuild`` runs (the plan has this step only when trusted) in a folder
    holding the embedded files, with the environment's ``bin`` first on ``PATH``;
    its output goes to the build log.
``kernel``
    ``uv pip install ipykernel`` (from the index, or from ``--find-links``).
``start``
    nothing here: it wraps each kernel start.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envspec.environments import BuildError, CreatedEnvironment, IndexOptions, ProgressEvent
from envspec.environments.cache import (
    INCOMPLETE,
    environment_key,
    is_locked,
    key_lock,
    metadata_record,
    read_metadata,
    redact,
    remove_tree,
    touch_used,
    write_metadata,
)
from envspec.environments.log import BuildLog

if TYPE_CHECKING:
    from envspec.environments.progress import EventKind
    from envspec.launch.plan import LaunchPlan, Step

__all__ = ["create"]

#: The conda lock's file name (env_ver 1.1).
LOCK_NAME = "pixi.lock"
_BACKEND_STEPS = {"image", "dockerfile", "guix"}


def _python_of(prefix: Path) -> Path:
    if os.name == "nt":  # pragma: no cover - not run on the CI of this project
        for candidate in (prefix / "Scripts" / "python.exe", prefix / "python.exe"):
            if candidate.exists():
                return candidate
        return prefix / "python.exe"
    return prefix / "bin" / "python"


def _bin_of(prefix: Path) -> Path:
    return _python_of(prefix).parent


def _summary(plan: LaunchPlan, files: Mapping[str, str]) -> str:
    """``requirements.txt: 12 packages`` (what the progress line names)."""
    from envspec.environments.uv import count_requirements

    parts = []
    for step in plan.steps:
        if step.kind == "pip" and step.file is not None and step.file in files:
            count = count_requirements(files[step.file])
            parts.append(f"{step.file}: {count} package{'s' if count != 1 else ''}")
        elif step.kind in ("conda", "pylock") and step.file:
            parts.append(step.file)
    return ", ".join(parts) or "Python and ipykernel"


def _check_plan(plan: LaunchPlan) -> None:
    if plan.refusals:
        lines = [
            f"{r.message} [{r.code}]" + (f"\n  hint: {r.hint}" if r.hint else "")
            for r in plan.refusals
        ]
        raise BuildError("the environment cannot be created:\n" + "\n".join(lines))
    if plan.backend != "local":
        raise BuildError(
            f"the plan uses the {plan.backend} backend: its environment is not created "
            "on this machine but by that backend"
        )
    for step in plan.steps:
        if step.kind in _BACKEND_STEPS:
            raise BuildError(f"a local environment has no {step.kind!r} step")


def _check_apt(plan: LaunchPlan, files: Mapping[str, str]) -> list[str]:
    from envspec.environments.apt import apt_packages, check_apt

    notes = []
    for step in plan.steps:
        if step.kind == "apt-check" and step.file is not None and step.file in files:
            note = check_apt(apt_packages(files[step.file])).note()
            if note:
                notes.append(note)
    return notes


def _requirement_notes(plan: LaunchPlan, files: Mapping[str, str]) -> list[str]:
    from envspec.environments.uv import sanitize_requirements

    notes: list[str] = []
    for step in plan.steps:
        if step.kind == "pip" and step.file is not None and step.file in files:
            notes += sanitize_requirements(files[step.file], step.file)[1]
    return notes


def _is_empty(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        return False


def create(
    plan: LaunchPlan,
    files: Mapping[str, str],
    *,
    cache_dir: Path,
    prefix: Path | None,
    index: IndexOptions,
    channels: tuple[str, ...] | None,
    progress: Callable[[ProgressEvent], None] | None,
) -> CreatedEnvironment:
    """See :func:`envspec.environments.create_environment`."""
    _check_plan(plan)
    key = environment_key(plan, files, index=index, channels=channels)
    emit = progress or (lambda _event: None)
    target = Path(os.path.abspath(prefix)) if prefix is not None else cache_dir / "envs" / key

    reused = _reuse(target, key, plan, files, emit)
    if reused is not None:
        return reused
    if prefix is not None:
        _check_prefix(target, key)
    try:
        if is_locked(cache_dir, key):
            emit(ProgressEvent("waiting", key, message="another process builds this environment"))
        with key_lock(cache_dir, key):
            reused = _reuse(target, key, plan, files, emit)  # built while we waited
            if reused is not None:
                return reused
            return _build(plan, files, key, target, cache_dir, index, channels, emit, prefix)
    except OSError as exc:  # the cache folder itself cannot be written
        raise BuildError(
            f"the environment cannot be created in {cache_dir}: {exc.strerror or exc}",
            hint="Check the folder's permissions and free space, or choose another cache "
            "folder with ENVSPEC_CACHE_DIR.",
        ) from exc


def _reuse(
    target: Path,
    key: str,
    plan: LaunchPlan,
    files: Mapping[str, str],
    emit: Callable[[ProgressEvent], None],
) -> CreatedEnvironment | None:
    meta = read_metadata(target)
    if meta is None or meta.get("key") != key:
        return None
    python = target / str(meta.get("python") or "bin/python")
    if not os.path.exists(python):
        # Damaged since: its Python deleted, or the interpreter it links to is gone.
        return None
    touch_used(target)
    emit(ProgressEvent("reused", key, message=str(target)))
    notes = _requirement_notes(plan, files) + _check_apt(plan, files)
    return CreatedEnvironment(key, target, python, True, tuple(notes))


def _check_prefix(target: Path, key: str) -> None:
    """A folder given with ``--prefix`` must be new, empty, or this environment."""
    if _is_empty(target):
        return
    with contextlib.suppress(OSError):
        if (target / INCOMPLETE).read_text(encoding="utf-8").strip() == key:
            return  # our own build of these inputs, killed: built again
    meta = read_metadata(target)
    if meta is not None and meta.get("key") == key:
        return  # this environment, damaged since: built again
    what = (
        f"an environment envspec made for other inputs (key {meta.get('key')})"
        if meta is not None
        else "not empty"
    )
    raise BuildError(
        f"{target} is {what}: envspec only creates an environment in a new or empty folder",
        hint="Choose another folder, or remove this one if it is yours to remove.",
    )


def _build(
    plan: LaunchPlan,
    files: Mapping[str, str],
    key: str,
    target: Path,
    cache_dir: Path,
    index: IndexOptions,
    channels: tuple[str, ...] | None,
    emit: Callable[[ProgressEvent], None],
    prefix: Path | None,
) -> CreatedEnvironment:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    urls = (index.index_url, *index.extra_index_urls, *index.find_links)
    credentials = [u for u in urls if u and "@" in u and "://" in u]
    log = BuildLog(cache_dir / "logs" / f"{key}-{stamp}.log", credentials)
    work = cache_dir / "tmp" / f"{key}-{secrets.token_hex(4)}"
    created_target = not target.exists()
    emit(ProgressEvent("begin", key, message=_summary(plan, files)))
    builder = _Builder(plan, files, key, target, cache_dir, work, index, channels, emit, log)
    try:
        if target.exists() and not _is_empty(target):
            remove_tree(target)  # the remains of a killed build of this key
            created_target = prefix is None
        target.mkdir(parents=True, exist_ok=True)
        (target / INCOMPLETE).write_text(key + "\n", encoding="utf-8")
        builder.unpack()
        builder.run()
        write_metadata(
            target,
            metadata_record(
                key, python=builder.python, prefix=target, inputs=builder.inputs(), log=log.path
            ),
        )
    except BaseException as exc:
        tail = log.tail()
        log.line(f"envspec: the build failed: {exc}")
        log.close()
        if created_target:
            with contextlib.suppress(OSError):
                remove_tree(target)
        else:  # a folder given with --prefix: empty it, keep it
            with contextlib.suppress(OSError), os.scandir(target) as entries:
                for entry in list(entries):
                    remove_tree(Path(entry.path))
        if isinstance(exc, BuildError):
            raise BuildError(exc.message, hint=exc.hint, log=log.path, tail=tail) from exc
        if isinstance(exc, OSError):
            raise BuildError(
                f"the environment could not be written: {exc}",
                hint="Free some disk space (or choose another cache folder with "
                "ENVSPEC_CACHE_DIR), then create it again.",
                log=log.path,
                tail=tail,
            ) from exc
        raise
    finally:
        with contextlib.suppress(OSError):
            remove_tree(work)
    log.close()
    emit(ProgressEvent("end", key, message=str(target)))
    return CreatedEnvironment(key, target, builder.python, False, tuple(builder.notes), log.path)


class _Builder:
    """The steps of one build."""

    def __init__(
        self,
        plan: LaunchPlan,
        files: Mapping[str, str],
        key: str,
        target: Path,
        cache_dir: Path,
        work: Path,
        index: IndexOptions,
        channels: tuple[str, ...] | None,
        emit: Callable[[ProgressEvent], None],
        log: BuildLog,
    ) -> None:
        self.plan, self.files, self.key, self.target = plan, files, key, target
        self.cache_dir, self.work, self.index, self.channels = cache_dir, work, index, channels
        self.emit, self.log = emit, log
        self.python = _python_of(target)
        self.notes: list[str] = []
        self.installed: dict[str, list[str]] = {}
        self.interpreter: dict[str, str] = {}
        self.pin: str | None = None

    # ------------------------------------------------------------------ setup

    @property
    def folder(self) -> Path:
        """Where the embedded files are (``postBuild``'s working folder)."""
        return self.work / "files"

    def unpack(self) -> None:
        self.folder.mkdir(parents=True)
        for name, text in self.files.items():
            if "/" in name or "\\" in name or name in ("", ".", ".."):
                raise BuildError(f"{name!r} is not a file name of the standard")
            path = self.folder / name
            path.write_text(text, encoding="utf-8", errors="surrogateescape", newline="")
            if name in ("postBuild", "start"):
                path.chmod(0o755)

    def inputs(self) -> dict[str, Any]:
        return {
            "files": sorted({s.file for s in self.plan.steps if s.file}),
            "steps": [s.kind for s in self.plan.steps],
            "interpreter": self.interpreter,
            "python": self.pin,
            "platform": f"{sys.platform}",
            "index": {
                "index_url": redact(self.index.index_url) if self.index.index_url else None,
                "extra_index_urls": [redact(u) for u in self.index.extra_index_urls],
                "find_links": [redact(u) for u in self.index.find_links],
                "no_index": self.index.no_index,
            },
            "channels": list(self.channels) if self.channels is not None else None,
            "installed": self.installed,
        }

    # ------------------------------------------------------------------ steps

    def run(self) -> None:
        for step in self.plan.steps:
            self.emit(ProgressEvent("step-started", self.key, step=step.kind, file=step.file))
            self.log.line(f"== {step.kind}" + (f" ({step.file})" if step.file else ""))
            started = time.perf_counter()
            getattr(self, "_" + step.kind.replace("-", "_"))(step)
            self.log.line(f"== {step.kind} done in {time.perf_counter() - started:.2f} s")
            self.emit(ProgressEvent("step-finished", self.key, step=step.kind, file=step.file))

    def _counter(self, step: Step) -> Callable[[EventKind, int | None, int | None], None]:
        def emit(kind: EventKind, done: int | None, total: int | None) -> None:
            self.emit(
                ProgressEvent(
                    kind, self.key, step=step.kind, file=step.file, done=done, total=total
                )
            )

        return emit

    def _named(self, name: str) -> str:
        if name not in self.files:
            raise BuildError(f"{name!r} is not embedded")
        return self.files[name]

    def _text(self, step: Step) -> str:
        if step.file is None or step.file not in self.files:
            raise BuildError(f"the {step.kind} step applies {step.file!r}, which is not embedded")
        return self.files[step.file]

    def _uv(
        self,
        step: Step,
        requirements: Sequence[str] = (),
        files: Sequence[Path] = (),
        preview: Sequence[str] = (),
    ) -> None:
        from envspec.environments.uv import InstallCounter, UvFailed, pip_install

        self._need_python(step)
        counter = InstallCounter(self._counter(step))
        installed: list[str] = self.installed.setdefault(step.kind, [])

        def on_line(line: str) -> None:
            counter(line)
            if line.startswith(" + "):
                installed.append(line[3:].strip())

        try:
            pip_install(
                self.python,
                requirements,
                files=files,
                index=self.index,
                cwd=self.work,
                log=self.log,
                on_line=on_line,
                preview=preview,
            )
        except UvFailed as exc:
            what = step.file or "ipykernel"
            hint = ""
            if step.kind == "kernel":
                hint = (
                    "ipykernel comes from the package index: allow it (no --no-index), or "
                    "give a --find-links folder that holds it."
                )
            raise BuildError(f"installing {what} failed:\n{exc}", hint=hint) from exc

    def _need_python(self, step: Step) -> None:
        if not self.python.exists():
            raise BuildError(
                f"the {step.kind} step needs Python in the environment, and "
                f"{self.plan_conda_file() or 'the environment'} installs none",
                hint="Add python to the dependencies of environment.yml.",
            )

    def plan_conda_file(self) -> str | None:
        return next((s.file for s in self.plan.steps if s.kind == "conda"), None)

    def _interpreter(self, step: Step) -> None:
        from envspec.environments.uv import UvFailed, venv

        self.pin = step.detail.get("python")
        if step.detail.get("source") == "conda":
            self.interpreter = {"source": "conda"}
            return  # the conda step installs Python
        path = step.detail.get("path")
        if not path:
            pin = f"Python {self.pin}" if self.pin else "a Python interpreter"
            raise BuildError(
                f"{pin} is needed and the plan names no interpreter that provides it",
                hint=f"Install Python {self.pin or '3'} (for example `uv python install "
                f"{self.pin or '3'}`), then create the environment again.",
            )
        if not os.path.exists(path):
            raise BuildError(f"the interpreter {path} chosen for the environment does not exist")
        self.interpreter = {"path": path, "version": step.detail.get("version", "")}
        try:
            venv(path, self.target, cwd=self.work, log=self.log)
        except UvFailed as exc:
            raise BuildError(f"creating the virtual environment failed:\n{exc}") from exc

    def _conda(self, step: Step) -> None:
        from envspec.environments import conda

        # A conda lock (``pixi.lock``, env_ver 1.1) is installed as it is, without a solve:
        # as the step's file, or named by the step's ``lock`` detail beside environment.yml.
        lock = step.file if step.file == LOCK_NAME else step.detail.get("lock")
        yml = step.file if step.file != LOCK_NAME else None
        yml = yml or next(
            (n for n in ("environment.yml", "environment.yaml") if n in self.files), None
        )
        try:
            spec = (
                conda.parse_environment_yml(self.files[yml], yml)
                if yml is not None and yml in self.files
                else conda.CondaSpec((), (), ())
            )
            if lock is not None:
                self.installed["conda"] = conda.install_lock(
                    self._text(step) if lock == step.file else self._named(lock),
                    lock,
                    self.target,
                    folder=self.work,
                    package_cache=self.cache_dir / "conda-pkgs",
                    log=self.log,
                    emit=self._counter(step),
                )
            else:
                self._text(step)
                self.installed["conda"] = conda.install(
                    spec,
                    self.target,
                    channels=self.channels,
                    python_pin=self.pin,
                    package_cache=self.cache_dir / "conda-pkgs",
                    log=self.log,
                    emit=self._counter(step),
                )
        except conda.CondaFailed as exc:
            raise BuildError(
                str(exc),
                hint="Check the specs and channels of environment.yml "
                "(or replace its channels with --channel).",
            ) from exc
        if spec.pip:
            # The pip: part, with uv and the prefix's Python, reported as a pip step.
            from envspec.environments.uv import sanitize_requirements
            from envspec.launch.plan import Step as PlanStep

            part = PlanStep(kind="pip", file=yml)
            self.emit(ProgressEvent("step-started", self.key, step="pip", file=yml))
            # Written as a requirements file: an entry is never a command-line option of
            # uv, and index options in it are left out as in requirements.txt.
            text, notes = sanitize_requirements("\n".join(spec.pip) + "\n", f"{yml} (pip:)")
            for note in notes:
                self._note(part, note)
            copy = self._requirements_folder() / ".envspec-conda-pip.txt"
            copy.write_text(text, encoding="utf-8", errors="surrogateescape")
            self._uv(part, files=[copy])
            self.emit(ProgressEvent("step-finished", self.key, step="pip", file=yml))

    def _requirements_folder(self) -> Path:
        """Copies of the embedded ``*.txt`` files without index options, which uv reads
        (an ``-r other.txt`` inside one of them reads the copy beside it)."""
        from envspec.environments.uv import sanitize_requirements

        folder = self.work / "pip"
        if folder.is_dir():
            return folder
        folder.mkdir(parents=True)
        for name, text in self.files.items():
            if name.endswith(".txt"):
                clean, _ = sanitize_requirements(text, name)
                (folder / name).write_text(clean, encoding="utf-8", errors="surrogateescape")
        return folder

    def _note(self, step: Step, note: str) -> None:
        self.notes.append(note)
        self.log.line(f"envspec: {note}")
        self.emit(ProgressEvent("message", self.key, step=step.kind, file=step.file, message=note))

    def _pip(self, step: Step) -> None:
        from envspec.environments.uv import sanitize_requirements

        name = step.file or "requirements.txt"
        for note in sanitize_requirements(self._text(step), name)[1]:
            self._note(step, note)
        self._uv(step, files=[self._requirements_folder() / name])

    def _pylock(self, step: Step) -> None:
        self._text(step)
        self._uv(step, files=[self.folder / (step.file or "pylock.toml")], preview=["pylock"])

    def _apt_check(self, step: Step) -> None:
        for note in _check_apt(self.plan.model_copy(update={"steps": (step,)}), self.files):
            self._note(step, note)

    def _post_build(self, step: Step) -> None:
        from envspec.environments.postbuild import run_post_build

        self._text(step)
        run_post_build(
            self.folder / (step.file or "postBuild"),
            prefix=self.target,
            bin_folder=_bin_of(self.target),
            conda=self.plan_conda_file() is not None,
            log=self.log,
        )

    def _kernel(self, step: Step) -> None:
        self._uv(step, requirements=["ipykernel"])

    def _start(self, step: Step) -> None:
        """Applied when a kernel starts, not here."""
