"""``envspec launch``: the parser (``--dry-run`` prints the plan; the launch runs in
:mod:`envspec.cli.launch_run`)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "open a notebook in its environment (a notebook, a folder or a git URL)"
DESCRIPTION = """\
Open a notebook in JupyterLab with its declared environment as the kernel.

TARGET is a notebook, a folder (the notebook is --notebook, else the only
*.ipynb, else index.ipynb), or a git URL of any forge (https://, ssh://,
git@host:path, file:// for a local repository), with an optional @REF (a
branch, tag or commit; or --ref).  Repositories are cloned into the cache
(ENVSPEC_CACHE_DIR, else ~/.cache/envspec) and fetched again for a ref that
may have moved.

The environment is the notebook's metadata.environment, or, when it has none,
the environment files of its folder (repo2docker's rules: a binder/ folder
first).  It is created with uv (pip inputs) or rattler (conda inputs) and
cached; a second launch reuses it.  Index options come from the command line
or uv's configuration, never from the notebook.  postBuild and start run only
with --trust (or a notebook signed by Jupyter's trust).

The server is JupyterLab from envspec's own installation, on 127.0.0.1 only,
with a random token.  The environment's kernel is registered for this server
only, under the name the notebook expects, so the notebook opens with it,
unchanged.  Ctrl-C (or SIGTERM) stops the server and its kernels.

--backend guix runs JupyterLab in 'guix shell -m manifest.scm' (through
'guix time-machine -C channels.scm' when the environment has channels);
--backend docker runs the environment's image, pulled by digest.  Both need
their tool installed."""

EPILOG = """\
examples:
  envspec launch analysis.ipynb
  envspec launch . --notebook notebooks/model.ipynb --port 8890
  envspec launch https://git.example.org/lab/analysis.git@v1.2
  envspec launch file:///srv/git/analysis --ref main --no-browser
  envspec launch analysis.ipynb --env API_TOKEN        # the value of $API_TOKEN
  envspec launch analysis.ipynb --find-links ./wheels --no-index
  envspec launch analysis.ipynb --dry-run --format json   # the plan, nothing runs

exit status: 0 stopped by Ctrl-C or SIGTERM (or --dry-run: the launch can go on);
1 the launch failed or is refused (the message says why and what to do); 2 usage error;
130 interrupted before the server started."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "launch",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET", help="a notebook, a folder, or a git URL[@REF]")
    parser.add_argument(
        "--notebook", metavar="PATH", help="the notebook to open, relative to the folder"
    )
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
        "--env",
        dest="variables",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="a variable for the kernel (repeatable); NAME alone takes the value of $NAME. "
        "Values never enter the notebook, the plan or a log",
    )
    parser.add_argument(
        "--backend",
        choices=("local", "guix", "docker"),
        help="where the environment is realized (default: chosen from the environment)",
    )
    parser.add_argument(
        "--trust",
        action="store_true",
        help="let the notebook's code files run (postBuild, start, Dockerfile, Guix files)",
    )
    index = parser.add_argument_group("package index (never taken from the notebook)")
    index.add_argument("--index-url", metavar="URL", help="the package index (uv's default)")
    index.add_argument(
        "--extra-index-url", action="append", default=[], metavar="URL", help="another index"
    )
    index.add_argument(
        "--find-links", action="append", default=[], metavar="DIR|URL", help="wheels to use"
    )
    index.add_argument("--no-index", action="store_true", help="use only --find-links")
    index.add_argument(
        "--offline", action="store_true", help="no network: caches and --find-links only"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan; create and start nothing"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format of --dry-run",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress, only the URL and errors"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.dry_run:
        return _dry_run(args, out, err)
    from envspec.cli import launch_run

    return launch_run.run(args, out, err)


def _dry_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """The plan, as JSON or text; nothing is created or started (clones are made)."""
    import json

    from envspec.cli.launch_run import parse_variables
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.launch.run import RunOptions, default_cache_dir, load_target_environment, plan_for
    from envspec.launch.targets import LaunchError, resolve_target

    try:
        variables = parse_variables(args.variables)
    except ValueError as exc:
        err.write(f"envspec launch: error: {exc}\n")
        return EXIT_USAGE
    options = RunOptions(env=variables, backend=args.backend, trusted=args.trust)
    try:
        target = resolve_target(
            args.target, notebook=args.notebook, ref=args.ref, cache_dir=default_cache_dir()
        )
        environment, kernelspec = load_target_environment(target)
        plan = plan_for(environment, kernelspec, options)
    except LaunchError as exc:
        err.write(f"envspec launch: error: {exc.message}\n")
        if exc.hint:
            err.write(f"  {exc.hint}\n")
        return EXIT_FAIL
    data = plan.model_dump(mode="json")
    if args.format == "json":
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        out.write(f"backend: {plan.backend}\nkernel: {plan.kernel.name}\n")
        for step in plan.steps:
            out.write(f"  {step.kind}" + (f" {step.file}" if step.file else "") + "\n")
        for refusal in plan.refusals:
            out.write(f"refused: {refusal.code}: {refusal.message}\n")
    return EXIT_OK if plan.ok else EXIT_FAIL
