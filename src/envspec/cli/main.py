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
        kernel_cmd,
        launch_cmd,
        lock_cmd,
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
    launch_cmd.register(commands)
    lock_cmd.register(commands)
    kernel_cmd.register(commands)
    from envspec.cli import env_cmd

    env_cmd.register(commands)
    from envspec.cli import payload_cmd

    payload_cmd.register(commands)
    from envspec.cli import formats_cmd

    formats_cmd.register(commands)
    from envspec.cli import service_cmd

    service_cmd.register(commands)
    from envspec.cli import deploy_cmd

    deploy_cmd.register(commands)
    from envspec.cli import serve_cmd

    serve_cmd.register(commands)
    _mark_commands(parser)
    return parser


def _mark_commands(parser: argparse.ArgumentParser) -> None:
    """Each (sub)command's parser records itself in the arguments it parses (the innermost
    wins), so that usage errors found after parsing name the command that was run."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.set_defaults(_parser=sub)
                _mark_commands(sub)


def _unrecognized(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    """``unrecognized arguments: --chek (did you mean --check?)``"""
    import difflib

    message = f"unrecognized arguments: {' '.join(extras)}"
    known = [o for action in parser._actions for o in action.option_strings if o[:2] == "--"]
    for extra in extras:
        if extra.startswith("--"):
            close = difflib.get_close_matches(extra.partition("=")[0], known, n=1, cutoff=0.6)
            if close:
                return f"{message} (did you mean {close[0]}?)"
    return message


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
            args, extras = parser.parse_known_args(args_list)
            if extras:
                # argparse leaves them to the top-level parser, which would print its own
                # usage: the command's usage says what the command takes.
                command: argparse.ArgumentParser = getattr(args, "_parser", parser)
                command.error(_unrecognized(command, extras))
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
