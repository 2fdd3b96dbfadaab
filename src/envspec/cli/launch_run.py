"""``envspec launch`` without ``--dry-run``: run :func:`envspec.launch.run.launch` and say
what happens (the URL on stdout; progress and errors on stderr; a refused plan as
``--dry-run`` prints it)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

__all__ = ["EXIT_INTERRUPTED", "index_options", "run"]

#: Interrupted (Ctrl-C) before the server started, as shells report SIGINT.
EXIT_INTERRUPTED = 130


def index_options(args: argparse.Namespace) -> Any:
    """``envspec.environments.IndexOptions`` from the command line (``None``: none given)."""
    from envspec.cli.index_options import index_from_args, index_given

    return index_from_args(args) if index_given(args) else None


def run(args: argparse.Namespace, variables: dict[str, str], out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_FAIL
    from envspec.cli.render import write_diagnostics
    from envspec.launch.run import Ready, RunOptions, launch
    from envspec.launch.targets import LaunchError

    options = RunOptions(
        port=args.port,
        open_browser=args.open_browser,
        notebook=args.notebook,
        ref=args.ref,
        env=variables,
        backend=args.backend,
        trusted=args.trust,
        allow_missing_variables=args.allow_missing_env,
        accept_smaller_machine=args.accept_smaller_machine,
        index=index_options(args),
        offline=args.offline,
    )

    progress = None
    if not args.quiet:
        from envspec.cli.env_cmd import ProgressPrinter

        isatty = getattr(err, "isatty", None)
        progress = ProgressPrinter(err, tty=bool(isatty and isatty()))

    def ready(event: Ready) -> None:
        if progress is not None:
            progress.close()
        out.write(f"To access the notebook, open this URL in a browser:\n    {event.url}\n")
        out.write("Press Ctrl-C to stop the server and its kernels.\n")
        out.flush()

    try:
        return launch(args.target, options, on_ready=ready, progress=progress)
    except LaunchError as exc:
        if progress is not None:
            progress.close()
        if exc.plan is not None and exc.input is not None:
            from envspec.cli.launch_cmd import write_text

            write_text(exc.input, exc.plan, out)  # the refusals, as --dry-run shows them
            if any(r.code == "launch-tool-missing" for r in exc.plan.refusals):
                from envspec.launch.backends import DOCKER_INSTALL, GUIX_INSTALL

                how = {"guix": GUIX_INSTALL, "docker": DOCKER_INSTALL}.get(exc.plan.backend)
                if how:
                    out.write(f"to get it: {how}\n")
            return EXIT_FAIL
        if exc.diagnostics:
            write_diagnostics(exc.diagnostics, out)
            out.write("the launch is refused: its environment cannot be read\n")
            return EXIT_FAIL
        err.write(f"envspec launch: error: {exc.message}\n")
        if exc.hint:
            err.write(f"  {exc.hint}\n")
        return EXIT_FAIL
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        err.write("envspec launch: interrupted\n")
        return EXIT_INTERRUPTED
