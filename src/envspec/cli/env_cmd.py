"""``envspec env create | list | remove | gc | diff``: environments on this machine."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from envspec.diagnostics import Diagnostic
    from envspec.environments import ProgressEvent
    from envspec.launch.inputs import LaunchInput
    from envspec.launch.plan import LaunchPlan

HELP = "create and manage the environments notebooks declare (uv, rattler)"
DESCRIPTION = """\
Environments on this machine, made from what a notebook declares.

  create  build (or reuse) the environment of a notebook, envspec file or folder
  list    the environments of the cache
  remove  remove one environment of the cache
  gc      remove what failed or killed builds left, and unused environments
  diff    what an environment holds that the notebook does not declare, and
          what it declares that the environment lacks

Environments are cached by a hash of what determines them, in
$ENVSPEC_CACHE_DIR/envs, else ~/.cache/envspec/envs ($XDG_CACHE_HOME)."""

CREATE_DESCRIPTION = """\
Create the environment a notebook declares (its embedded metadata.environment
or, when it has none, its folder's environment files, binder/ folder included),
or reuse it when one was made from the same inputs.

pip inputs (requirements.txt, pylock.toml) go into a virtual environment made
with uv for the Python the environment pins; environment.yml is solved and
installed with rattler (channels from the file, or --channel), then its pip:
part with uv.  apt.txt is checked, never installed: missing packages are
reported with the command that installs them.  ipykernel is installed last.

Where Python packages come from is yours to say: the index options below, or
uv's user configuration (~/.config/uv/uv.toml, UV_INDEX_URL...).  Index options written inside
the notebook's requirements.txt are ignored, with a note.

postBuild is code from the notebook's author: it runs only with --trust, or
for a notebook Jupyter trusts (signed with `jupyter trust NOTEBOOK`).

The environment is built at its final place under a lock and counts as
complete only once its envspec-environment.json is written: a failed build
leaves nothing behind but its log (whose last lines are shown)."""

CREATE_EPILOG = """\
examples:
  envspec env create analysis.ipynb
  envspec env create . --find-links ./wheels --no-index
  envspec env create analysis.ipynb --prefix ./.venv --format json
  envspec env create analysis.ipynb --channel file:///srv/conda-channel

output: the environment's folder and Python (json: key, prefix, python,
reused, notes, log; when refused, the array of diagnostics; when the build
fails, {"error": {message, hint, log, tail}}).  Progress goes to stderr (a bar
on a terminal, lines otherwise); -q silences it.

exit status: 0 created or reused, 1 refused (untrusted code, no interpreter
for the Python pin...) or the build failed, 2 usage error."""

_GC_DESCRIPTION = """\
Remove what failed or killed builds left in the cache (incomplete
environments, temporary folders, logs of environments that no longer exist)
and, with --older-than, environments not used for that many days.
Environments being built are left alone."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "env",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="env_command", metavar="SUBCOMMAND", help="create, list, remove, gc or diff"
    )
    parser.set_defaults(run=_usage(parser))

    create = sub.add_parser(
        "create",
        help="create (or reuse) the environment of a notebook, envspec file or folder",
        description=CREATE_DESCRIPTION,
        epilog=CREATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument(
        "target", metavar="NOTEBOOK|FOLDER", help="a notebook, an envspec file or a folder"
    )
    create.add_argument(
        "--prefix",
        metavar="DIR",
        help="create the environment in DIR (new or empty) instead of the cache",
    )
    create.add_argument(
        "--trust",
        action="store_true",
        help="run postBuild (code from the notebook's author)",
    )
    from envspec.cli.index_options import add_index_options

    add_index_options(create, "where Python packages come from (passed to uv)")
    create.add_argument(
        "--channel",
        metavar="URL|NAME",
        action="append",
        help="a conda channel, replacing those of environment.yml (repeatable; "
        "file:// URLs for local channels)",
    )
    create.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    create.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    create.set_defaults(run=run_create)

    listing = sub.add_parser(
        "list",
        help="the environments of the cache",
        description="The environments of the cache, most recently used first: key, state "
        "(complete, building, incomplete), last use, the files they were made from.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--size", action="store_true", help="add each environment's size")
    listing.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    listing.set_defaults(run=run_list)

    remove = sub.add_parser(
        "remove",
        help="remove an environment of the cache",
        description="Remove the environment KEY from the cache (the first characters of "
        "its key are enough when they name one environment).",
        epilog="exit status: 0 removed, 1 no such environment, or it is being built.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    remove.add_argument("key", metavar="KEY", help="the key, as `envspec env list` shows it")
    remove.set_defaults(run=run_remove)

    gc = sub.add_parser(
        "gc",
        help="remove leftovers of failed builds and unused environments",
        description=_GC_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gc.add_argument(
        "--older-than",
        metavar="DAYS",
        type=_days,
        help="also remove environments not used for DAYS days",
    )
    gc.set_defaults(run=run_gc)
    from envspec.cli import env_diff_cmd

    env_diff_cmd.register(sub)


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    import math

    if value < 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    return value


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(_args: argparse.Namespace, out: TextIO, _err: TextIO) -> int:
        parser.print_help(out)
        return 2

    return run


# ------------------------------------------------------------------------------- progress


def _short(key: str) -> str:
    return key[:6] + "…"


class ProgressPrinter:
    """Draws :class:`~envspec.environments.ProgressEvent` objects on stderr: one bar line,
    redrawn, on a terminal; one line per event worth a line otherwise."""

    WIDTH = 24

    def __init__(self, err: TextIO, *, tty: bool) -> None:
        self.err = err
        self.tty = tty
        self.head = ""
        self.drawn = False
        self.started = time.perf_counter()

    def __call__(self, event: ProgressEvent) -> None:
        kind = event.kind
        if kind == "begin":
            self.head = f"creating environment {_short(event.key)} ({event.message})"
            self._line(self.head)
        elif kind == "waiting":
            self._line(f"waiting: another process is creating environment {_short(event.key)}")
        elif kind == "reused":
            self._line(f"reusing environment {_short(event.key)} ({event.message})")
        elif kind == "step-started":
            what = (event.step or "") + (f" {event.file}" if event.file else "")
            self._bar(what, None, None) if self.tty else self._line(f"  {what}")
        elif kind in ("resolved", "downloaded", "installed"):
            done, total = event.done, event.total
            what = f"{event.step} {event.file or ''}".strip()
            if self.tty:
                # uv downloads everything, then installs: say which phase the bar is in.
                phase = "installing" if kind == "installed" else "downloading"
                self._bar(f"{what} ({phase})", done if kind == "installed" else 0, total)
            elif kind == "resolved":
                self._line(f"  {what}: {total} package{'s' if total != 1 else ''} to install")
            elif kind == "installed" and done is not None and done == total:
                self._line(f"  {what}: {done}/{total} installed")
        elif kind == "message":
            self._line(f"  note: {event.message}")
        elif kind == "end":
            seconds = time.perf_counter() - self.started
            self._line(f"created environment {_short(event.key)} in {seconds:.1f} s")

    def _bar(self, what: str, done: int | None, total: int | None) -> None:
        if total:
            filled = int(self.WIDTH * min(done or 0, total) / total)
            arrow = ">" if filled < self.WIDTH else ""
            bar = "=" * filled + arrow + " " * (self.WIDTH - filled - len(arrow))
            text = f"{self.head} [{bar}] {done or 0}/{total} {what}"
        else:
            text = f"{self.head} {what}…"
        self.err.write("\r\x1b[2K" + text)
        self.err.flush()
        self.drawn = True

    def _line(self, text: str) -> None:
        if self.drawn:
            self.err.write("\r\x1b[2K")
            self.drawn = False
        self.err.write(text + "\n")
        self.err.flush()

    def close(self) -> None:
        if self.drawn:
            self.err.write("\r\x1b[2K")
            self.err.flush()
            self.drawn = False


# ------------------------------------------------------------------------------- create


_START = "/files/start"


def _plan(target: LaunchInput, trusted: bool) -> LaunchPlan:
    """The plan, with ``--trust`` or, when it refuses untrusted code, Jupyter's trust."""
    from envspec.environments.trust import is_trusted
    from envspec.launch.interpreters import discover_interpreters
    from envspec.launch.machine import discover_tools
    from envspec.launch.plan import LaunchOptions, plan_launch

    options = LaunchOptions(
        trusted=trusted,
        # Variables apply when a kernel starts, not to the environment.
        allow_missing_variables=True,
        backend="local",
        interpreters=tuple(discover_interpreters()),
        tools=discover_tools(),
    )
    plan = plan_launch(target.environment, kernelspec=target.kernelspec, options=options)
    untrusted = any(r.code == "launch-untrusted" for r in plan.refusals)
    if untrusted and target.notebook is not None and is_trusted(target.notebook):
        # A notebook Jupyter trusts (signed with `jupyter trust`): as with --trust.
        options = options.model_copy(update={"trusted": True})
        plan = plan_launch(target.environment, kernelspec=target.kernelspec, options=options)
    # `start` runs when a kernel starts, never while creating: its trust is the launch's.
    kept = tuple(
        r for r in plan.refusals if not (r.code == "launch-untrusted" and r.pointer == _START)
    )
    return plan.model_copy(update={"refusals": kept}) if kept != plan.refusals else plan


def _refusal_diagnostics(target: LaunchInput, plan: LaunchPlan) -> list[Diagnostic]:
    from envspec.diagnostics import Diagnostic

    file = str(target.file or target.notebook or target.folder)
    return [
        Diagnostic(r.code, "error", r.message, file, r.pointer, hint=r.hint or None)  # type: ignore[arg-type]
        for r in plan.refusals
    ]


def run_create(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json
    from pathlib import Path

    from envspec.cli.index_options import index_from_args
    from envspec.cli.main import EXIT_FAIL, EXIT_OK
    from envspec.cli.render import json_diagnostics, visible, write_diagnostics
    from envspec.environments import BuildError, create_environment
    from envspec.launch.inputs import read_target
    from envspec.loader import LoadError

    try:
        target = read_target(args.target)
    except LoadError as exc:
        if args.format == "json":
            json_diagnostics(exc.diagnostics, out)
            return EXIT_FAIL
        write_diagnostics(exc.diagnostics, out)
        out.write("no environment was created: its description cannot be read\n")
        return EXIT_FAIL
    plan = _plan(target, args.trust)
    if not plan.ok:
        if args.format == "json":
            json_diagnostics(_refusal_diagnostics(target, plan), out)
            return EXIT_FAIL
        write_diagnostics(_refusal_diagnostics(target, plan), out)
        out.write("no environment was created\n")
        return EXIT_FAIL
    index = index_from_args(args)
    printer = None if args.quiet else ProgressPrinter(err, tty=err.isatty())
    try:
        env = create_environment(
            plan,
            dict(target.environment.files or {}),
            prefix=Path(args.prefix) if args.prefix else None,
            index=index,
            channels=args.channel,
            progress=printer,
        )
    except BuildError as exc:
        if printer is not None:
            printer.close()
        err.write(f"envspec env create: error: {exc}\n")
        if args.format == "json":
            failure = {
                "message": exc.message,
                "hint": exc.hint or None,
                "log": str(exc.log) if exc.log else None,
                "tail": list(exc.tail),
            }
            out.write(json.dumps({"error": failure}, indent=2, ensure_ascii=False) + "\n")
        return EXIT_FAIL
    except KeyboardInterrupt:
        if printer is not None:
            printer.close()
        err.write("envspec env create: interrupted; nothing was left half-built\n")
        return 130
    if printer is not None:
        printer.close()
    if args.format == "json":
        document = {
            "key": env.key,
            "prefix": str(env.prefix),
            "python": str(env.python),
            "reused": env.reused,
            "notes": list(env.notes),
            "log": str(env.log) if env.log else None,
        }
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    for note in env.notes:
        out.write(f"note: {visible(note)}\n")
    verb = "reused" if env.reused else "created"
    out.write(f"{verb} environment {env.key}\n")
    out.write(f"  prefix: {visible(str(env.prefix))}\n")
    out.write(f"  python: {visible(str(env.python))}\n")
    return EXIT_OK


# ------------------------------------------------------------------------------- manage


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    delta = max(0.0, time.time() - seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{int(delta // size)}{unit} ago"
    return "just now"


def _bytes(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def run_list(args: argparse.Namespace, out: TextIO, _err: TextIO) -> int:
    import json

    from envspec.cli.main import EXIT_OK
    from envspec.cli.render import visible
    from envspec.environments import default_cache_dir
    from envspec.environments.cache import list_environments

    envs = list_environments(default_cache_dir(), sizes=args.size)
    if args.format == "json":
        rows = [
            {
                "key": e.key,
                "prefix": str(e.prefix),
                "state": e.state,
                "created": e.created,
                "last_used": e.last_used,
                "size": e.size,
                "inputs": dict(e.inputs),
            }
            for e in envs
        ]
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if not envs:
        out.write(f"no environments in {visible(str(default_cache_dir() / 'envs'))}\n")
        return EXIT_OK
    for e in envs:
        files = ", ".join(str(f) for f in e.inputs.get("files", [])) or "-"
        interpreter = e.inputs.get("interpreter") or {}
        python = interpreter.get("version") or e.inputs.get("python") or ""
        parts = [e.key, f"{e.state:<10}", f"{_ago(e.last_used):<10}"]
        if args.size:
            parts.append(f"{_bytes(e.size):>10}")
        parts.append(visible(files) + (f" (python {python})" if python else ""))
        out.write("  ".join(parts) + "\n")
    return EXIT_OK


def run_remove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_FAIL, EXIT_OK
    from envspec.cli.render import visible
    from envspec.environments import default_cache_dir
    from envspec.environments.cache import KeyLocked, remove_environment

    try:
        removed = remove_environment(default_cache_dir(), args.key)
    except LookupError as exc:
        err.write(f"envspec env remove: error: {exc.args[0]} (see `envspec env list`)\n")
        return EXIT_FAIL
    except KeyLocked:
        err.write(
            f"envspec env remove: error: environment {visible(args.key)} is being built "
            "right now; try again when it is done\n"
        )
        return EXIT_FAIL
    out.write(f"removed {visible(str(removed))}\n")
    return EXIT_OK


def run_gc(args: argparse.Namespace, out: TextIO, _err: TextIO) -> int:
    from envspec.cli.main import EXIT_OK
    from envspec.environments import default_cache_dir
    from envspec.environments.cache import collect_garbage

    done = collect_garbage(default_cache_dir(), older_than_days=args.older_than)
    out.write(
        f"removed {len(done.environments)} unused environment"
        f"{'s' if len(done.environments) != 1 else ''}, "
        f"{len(done.incomplete)} incomplete, {done.temporary} temporary folder"
        f"{'s' if done.temporary != 1 else ''}, {done.logs} log"
        f"{'s' if done.logs != 1 else ''}; freed {_bytes(done.freed)}\n"
    )
    return EXIT_OK
