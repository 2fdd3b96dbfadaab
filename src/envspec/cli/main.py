"""``envspec``: the entry point.  Subcommands are imported only when run, so
``envspec --version`` and ``envspec --help`` start as fast as Python does."""

from __future__ import annotations

import sys

from envspec._version import __version__

TYPE_CHECKING = False  # typing and argparse cost ~15 ms; `envspec --version` needs neither
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import TextIO

__all__ = ["EXIT_FAIL", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2

_DESCRIPTION = """\
Declarative, portable and verifiable notebook environments.

A notebook's environment lives in its metadata (metadata.environment) or in a
standalone *.envspec.yaml file.  envspec checks it (validate), moves it between
versions of the standard (migrate), embeds the files beside a notebook (pack)
and writes them back (unpack).  'envspec conformance' tests other
implementations of the standard.  Run 'envspec COMMAND --help' for each command."""

_EPILOG = """\
exit status: 0 success, 1 problems found, 2 usage error.
docs: the guides, the specification and every diagnostic code are in the
  envspec repository's docs/ folder; in a checkout, `pip install '.[docs]'`
  then `mkdocs serve` shows them at http://127.0.0.1:8000 (`mkdocs build`
  writes the site to site/).  The diagnostic codes: docs/diagnostics.md."""


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (subcommands add their own options)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="envspec",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"envspec {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from envspec.cli import (
        conformance_cmd,
        migrate_cmd,
        pack_cmd,
        schema_cmd,
        unpack_cmd,
        validate_cmd,
    )

    validate_cmd.register(commands)
    migrate_cmd.register(commands)
    pack_cmd.register(commands)
    unpack_cmd.register(commands)
    schema_cmd.register(commands)
    conformance_cmd.register(commands)
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the CLI; returns the exit status (streams can be injected for tests)."""
    out = stdout or _lenient(sys.stdout)
    err = stderr or _lenient(sys.stderr)
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list in (["--version"], ["-V"]):
        out.write(f"envspec {__version__}\n")  # the fast path: no parser, no imports
        return EXIT_OK
    import contextlib
    import os

    parser = build_parser()
    try:
        # argparse prints help, version and usage errors to sys.stdout/sys.stderr.
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(out)
        return EXIT_USAGE
    try:
        result: int = args.run(args, out, err)
    except BrokenPipeError:
        # The reader went away (`envspec validate . | head`): stop quietly, and keep
        # Python from failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAIL
    return result


def _lenient(stream: TextIO) -> TextIO:
    # File names are not always valid in the output's encoding (bytes that are not
    # UTF-8 on Linux, a non-UTF-8 console): escape them rather than crash.
    if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
        stream.reconfigure(errors="backslashreplace")
    return stream
