"""``envspec payload``: payload definitions for spawners (subcommands in their own modules)."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "payloads for spawners: validate, tags, menu, export"
DESCRIPTION = """\
Payloads: what a science platform's spawner offers to launch (payload_ver 1.0).
Run 'envspec payload SUBCOMMAND --help' for each subcommand."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "payload",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="payload_command", metavar="SUBCOMMAND", help="validate, tags, menu or export"
    )
    parser.set_defaults(run=_usage(parser))
    from envspec.cli import payload_export_cmd

    payload_export_cmd.register(sub)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        from envspec.cli.main import EXIT_USAGE

        parser.print_help(out)
        return EXIT_USAGE

    return run
