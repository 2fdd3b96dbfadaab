"""``envspec launch``: open a notebook in the environment it declares (``--dry-run``: the plan)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from envspec.launch.inputs import LaunchInput
    from envspec.launch.plan import LaunchOptions, LaunchPlan

HELP = "open a notebook in the environment it declares (--dry-run prints the plan)"
DESCRIPTION = """\
Realize the environment of a notebook (its embedded metadata.environment or,
when it has none, the environment files of its folder, binder/ folder
included) and open the notebook in it, in JupyterLab, with the kernel it
expects.

TARGET is a notebook, a folder (the notebook is --notebook, else the only
*.ipynb, else index.ipynb), a git URL of any forge (https://, ssh://,
git@host:path, file:// for a local repository) with an optional @REF (a
branch, tag or commit; or --ref), or, with --dry-run, a standalone
environment file (*.envspec.yaml).  Repositories are cloned into the cache
(ENVSPEC_CACHE_DIR, else ~/.cache/envspec) and fetched again for a ref that
may have moved.

--dry-run prints the plan and does nothing: the backend, the ordered steps
(which embedded file each one applies), the kernel the notebook opens with,
the variables still required, the files not applied and why, and what
stops the launch, each with its diagnostic code and what to do about it.

Without --dry-run the environment is created (uv for pip inputs, rattler
for conda inputs) or reused from the cache, and JupyterLab from envspec's
own installation serves the notebook's folder on 127.0.0.1 only, with a
random token.  The environment's kernel is registered for this server only,
under the name the notebook expects, so the notebook opens with it and its
file is not rewritten.  The URL is printed and opened in the browser
(BROWSER chooses it).  Ctrl-C (or SIGTERM) stops the server and its kernels.
Index options come from the command line or uv's own configuration, never
from the notebook.

Code from the notebook's author (postBuild, start, a Dockerfile, Guix files)
never runs unless you pass --trust.  Variables the environment declares
null are supplied with --env NAME=VALUE (values are never printed or written
back into the notebook).  --backend guix runs JupyterLab in
'guix shell -m manifest.scm' (through 'guix time-machine -C channels.scm'
when channels are pinned); --backend docker runs the environment's image,
pulled by digest.  Both need their tool installed."""

EPILOG = """\
examples:
  envspec launch analysis.ipynb
  envspec launch . --notebook notebooks/model.ipynb --port 8890
  envspec launch https://git.example.org/lab/analysis.git@v1.2
  envspec launch file:///srv/git/analysis --ref main --no-browser
  envspec launch analysis.ipynb --env API_TOKEN        # the value of $API_TOKEN
  envspec launch analysis.ipynb --find-links ./wheels --no-index
  envspec launch analysis.ipynb --dry-run
  envspec launch analysis.ipynb --dry-run --format json

exit status: 0 the plan can go on (dry run) or the server ran and was stopped
(Ctrl-C, SIGTERM), 1 the launch is refused (the reasons are printed, each with
a code), the input cannot be read, the environment cannot be created or the
server failed, 2 usage error, 130 interrupted before the server started."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "launch",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="a notebook, a folder, a git URL[@REF], or (--dry-run) an envspec file",
    )
    parser.add_argument(
        "--notebook", metavar="PATH", help="the notebook to open, relative to TARGET's folder"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and do nothing else")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format of the plan (json: the plan as data)",
    )
    parser.add_argument(
        "--trust",
        action="store_true",
        help="run the author's code files (postBuild, start, Dockerfile, Guix files); "
        "a notebook signed with `jupyter trust` is trusted without it",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable for the kernel (repeatable); NAME alone takes the value "
        "envspec itself was started with",
    )
    parser.add_argument(
        "--allow-missing-env",
        action="store_true",
        help="go on when variables the environment requires are not supplied",
    )
    parser.add_argument(
        "--backend",
        choices=("local", "guix", "docker"),
        help="where to realize the environment (default: chosen from the environment)",
    )
    parser.add_argument(
        "--accept-smaller-machine",
        action="store_true",
        help="go on on a machine smaller than the environment's hardware",
    )
    _add_launch_options(parser)
    parser.set_defaults(run=run)


def _add_launch_options(parser: argparse.ArgumentParser) -> None:
    """The options of running the launch (the server, the clone, the package index)."""
    parser.add_argument("--ref", metavar="REF", help="branch, tag or commit of a git TARGET")
    parser.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="port on 127.0.0.1 (default: a free one); a port in use is an error",
    )
    parser.add_argument(
        "--no-browser",
        dest="open_browser",
        action="store_false",
        help="do not open a browser (the URL is printed; BROWSER chooses the browser)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the URL and errors"
    )
    from envspec.cli.index_options import add_index_options

    add_index_options(parser, "package index (never taken from the notebook)")


def parse_variables(items: list[str], environ: dict[str, str]) -> dict[str, str]:
    """``NAME=VALUE`` (or ``NAME``, from *environ*) pairs; raises ``ValueError``."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not _NAME.fullmatch(name):
            raise ValueError(f"--env {name!r}: not a variable name (letters, digits, _)")
        if not sep:
            if name not in environ:
                raise ValueError(f"--env {name}: no value given, and {name} is not set here")
            value = environ[name]
        values[name] = value
    return values


def options_from(
    args: argparse.Namespace, variables: dict[str, str], *, path: str | None = None
) -> LaunchOptions:
    """The plan options of a command line, with this machine's interpreters and tools."""
    from envspec.launch.interpreters import discover_interpreters
    from envspec.launch.machine import discover_machine, discover_tools
    from envspec.launch.plan import LaunchOptions

    return LaunchOptions(
        trusted=args.trust,
        variables=frozenset(variables),
        allow_missing_variables=args.allow_missing_env,
        backend=args.backend,
        interpreters=discover_interpreters(),
        tools=discover_tools(path=path),
        machine=discover_machine(),
        accept_smaller_machine=args.accept_smaller_machine,
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import write_diagnostics
    from envspec.launch.plan import plan_launch
    from envspec.launch.targets import LaunchError
    from envspec.loader import LoadError

    try:
        variables = parse_variables(args.env, dict(os.environ))
    except ValueError as exc:
        err.write(f"envspec launch: error: {exc}\n")
        return EXIT_USAGE
    if not args.dry_run:
        from envspec.cli import launch_run

        return launch_run.run(args, variables, out, err)
    try:
        target = _read(args)
    except LoadError as exc:
        write_diagnostics(exc.diagnostics, out)
        out.write("the launch is refused: its environment cannot be read\n")
        return EXIT_FAIL
    except LaunchError as exc:  # a repository that cannot be cloned
        err.write(
            f"envspec launch: error: {exc.message}\n" + (f"  {exc.hint}\n" if exc.hint else "")
        )
        return EXIT_FAIL
    options = options_from(args, variables)
    plan = plan_launch(target.environment, kernelspec=target.kernelspec, options=options)
    untrusted = any(r.code == "launch-untrusted" for r in plan.refusals)
    if untrusted and target.notebook is not None:
        # Jupyter's signature check imports nbformat (slow): only when it changes the plan.
        from envspec.launch.signature import is_signed

        if is_signed(target.notebook):
            options = options.model_copy(update={"trusted": True})
            plan = plan_launch(target.environment, kernelspec=target.kernelspec, options=options)
    if args.format == "json":
        write_json(target, plan, out)
    else:
        write_text(target, plan, out)
    return EXIT_OK if plan.ok else EXIT_FAIL


def _read(args: argparse.Namespace) -> LaunchInput:
    """The inputs of a dry run: those of the notebook a launch would open (a git URL is
    cloned into the cache to read them); a folder without a notebook, its files."""
    import os

    from envspec.launch.inputs import read_target
    from envspec.launch.run import default_cache_dir
    from envspec.launch.targets import LaunchError, choose_notebook, is_git_url, resolve_target

    if not is_git_url(args.target):
        if args.notebook is None and os.path.isdir(args.target):
            try:
                return read_target(args.target, choose_notebook(Path(args.target)))
            except LaunchError:
                pass  # no notebook, or several: the folder's files
        return read_target(args.target, args.notebook)
    resolved = resolve_target(
        args.target,
        notebook=args.notebook,
        ref=args.ref,
        cache_dir=default_cache_dir(),
        offline=args.offline,
    )
    return read_target(resolved.notebook_path)


# ---------------------------------------------------------------------------------- output


def plan_document(target: LaunchInput, plan: LaunchPlan) -> dict[str, Any]:
    """The plan as JSON data, with where its environment came from."""
    document: dict[str, Any] = {
        "ok": plan.ok,
        "source": target.source,
        "notebook": str(target.notebook) if target.notebook else None,
        "folder": str(target.folder),
        "file": str(target.file) if target.file else None,
    }
    document.update(plan.model_dump(mode="json"))
    return document


def write_json(target: LaunchInput, plan: LaunchPlan, out: TextIO) -> None:
    import json

    out.write(json.dumps(plan_document(target, plan), indent=2, ensure_ascii=False) + "\n")


_SOURCES = {
    "environment": "the environment's kernel",
    "notebook": "the notebook's kernelspec",
    "default": "the default: neither the environment nor the notebook names one",
}


def _where(target: LaunchInput) -> str:
    if target.source == "embedded":
        return f"embedded in {target.notebook}"
    if target.source == "standalone":
        return f"the envspec file {target.file}"
    return f"the environment files of {target.folder} (pack rules)"


def _step_text(step: Any) -> str:
    detail = dict(step.detail)
    parts = [step.file] if step.file else []
    if step.kind == "interpreter":
        if detail.get("source") == "conda":
            parts.append(f"python {detail.get('python', '(any)')} from the conda channels")
        elif "version" in detail:
            parts.append(f"Python {detail['version']} ({detail['path']})")
        elif "python" in detail:
            parts.append(f"Python {detail['python']}: none found")
    elif step.kind == "image":
        parts.append(detail.get("reference", ""))
    elif step.kind == "guix" and "channels" in detail:
        parts.append(f"pinned by {detail['channels']}")
    return ", ".join(p for p in parts if p)


def write_text(target: LaunchInput, plan: LaunchPlan, out: TextIO) -> None:
    """The plan for people: numbered steps, kernel, variables, then what is refused."""
    from envspec.cli.render import visible, write_diagnostics
    from envspec.diagnostics import Diagnostic, escape_pointer

    file = str(target.file or target.notebook or target.folder)
    out.write(f"environment: {visible(_where(target))}\n")
    out.write(f"backend: {plan.backend}\n")
    out.write("steps:\n")
    for number, step in enumerate(plan.steps, 1):
        text = _step_text(step)
        out.write(f"  {number}. {step.kind}" + (f": {visible(text)}" if text else "") + "\n")
    kernel = plan.kernel
    out.write(f"kernel: {visible(kernel.name)} (from {_SOURCES[kernel.source]})\n")
    if plan.variables:
        out.write(f"variables set: {', '.join(plan.variables)}\n")
    if plan.required:
        out.write(f"required variables not supplied: {', '.join(plan.required)}\n")

    def as_diagnostic(item: Any, severity: str, pointer: str = "") -> Diagnostic:
        hint = getattr(item, "hint", "") or None
        return Diagnostic(item.code, severity, item.message, file, pointer, hint=hint)  # type: ignore[arg-type]

    if plan.skipped:
        out.write("not applied:\n")
        skipped = [
            as_diagnostic(s, "warning", "/files/" + escape_pointer(s.file)) for s in plan.skipped
        ]
        write_diagnostics(skipped, out, indent="  ")
    if plan.notes:
        out.write("notes:\n")
        notes = [as_diagnostic(n, "warning", n.pointer) for n in plan.notes]
        write_diagnostics(notes, out, indent="  ")
    if plan.refusals:
        out.write("refused:\n")
        refusals = [as_diagnostic(r, "error", r.pointer) for r in plan.refusals]
        write_diagnostics(refusals, out, indent="  ")
        count = len(plan.refusals)
        out.write(f"the launch is refused ({count} reason{'s' if count > 1 else ''})\n")
    else:
        out.write("the launch can go on\n")
