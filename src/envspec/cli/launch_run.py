"""``envspec launch`` without ``--dry-run``: run :func:`envspec.launch.run.launch` and say
what happens (the URL on stdout, progress and errors on stderr)."""

from __future__ import annotations

import argparse
import os
import re
from typing import Any, TextIO

__all__ = ["EXIT_INTERRUPTED", "parse_variables", "run"]

EXIT_INTERRUPTED = 130
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_variables(items: list[str], environ: dict[str, str] | None = None) -> dict[str, str]:
    """``NAME=VALUE`` and ``NAME`` (the value of ``$NAME``) -> a mapping; ValueError when bad.
    A message never quotes a value."""
    environ = dict(os.environ) if environ is None else environ
    result: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not _NAME.fullmatch(name):
            # never quoted: what was typed may be a value
            raise ValueError(
                "--env takes NAME=VALUE or NAME, and a name is letters, digits and '_', "
                "not starting with a digit"
            )
        if not eq:
            if name not in environ:
                raise ValueError(
                    f"--env {name}: ${name} is not set; give --env {name}=VALUE, or set it"
                )
            value = environ[name]
        result[name] = value
    return result


def _index_options(args: argparse.Namespace) -> Any:
    """``envspec.environments.IndexOptions`` from the command line (``None`` when none given)."""
    given = (
        args.index_url or args.extra_index_url or args.find_links or args.no_index or args.offline
    )
    if not given:
        return None
    from envspec.environments import IndexOptions  # type: ignore[import-not-found,unused-ignore]

    return IndexOptions(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        find_links=tuple(os.path.abspath(f) if os.path.exists(f) else f for f in args.find_links),
        no_index=args.no_index,
        offline=args.offline,
    )


def _progress(err: TextIO, quiet: bool) -> Any:
    def show(event: Any) -> None:
        if quiet:
            return
        message = getattr(event, "message", None) or str(event)
        err.write(f"{message}\n")
        err.flush()

    return show


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_FAIL, EXIT_USAGE
    from envspec.launch.run import Ready, RunOptions, launch
    from envspec.launch.targets import LaunchError

    try:
        variables = parse_variables(args.variables)
    except ValueError as exc:
        err.write(f"envspec launch: error: {exc}\n")
        return EXIT_USAGE
    options = RunOptions(
        port=args.port,
        open_browser=args.open_browser,
        notebook=args.notebook,
        ref=args.ref,
        env=variables,
        backend=args.backend,
        trusted=args.trust,
        index=_index_options(args),
        offline=args.offline,
    )

    def ready(event: Ready) -> None:
        out.write(f"To access the notebook, open this URL in a browser:\n    {event.url}\n")
        out.write("Press Ctrl-C to stop the server and its kernels.\n")
        out.flush()

    try:
        return launch(args.target, options, on_ready=ready, progress=_progress(err, args.quiet))
    except LaunchError as exc:
        err.write(f"envspec launch: error: {exc.message}\n")
        if exc.hint:
            err.write(f"  {exc.hint}\n")
        return EXIT_FAIL
    except KeyboardInterrupt:
        err.write("envspec launch: interrupted\n")
        return EXIT_INTERRUPTED
