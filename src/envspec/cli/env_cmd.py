"""``envspec env``: commands about the environments notebooks run in."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "environments of notebooks: diff"


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "env",
        help=HELP,
        description="Commands about the environments notebooks run in.  Run "
        "'envspec env COMMAND --help' for each command.",
    )
    env_commands = parser.add_subparsers(
        dest="env_command",
        metavar="COMMAND",
        help="diff: what an environment holds that the notebook does not declare, and what "
        "it lacks",
    )
    from envspec.cli import env_diff_cmd

    env_diff_cmd.register(env_commands)
    parser.set_defaults(run=_usage(parser))


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        parser.print_help(err)
        return 2

    return run
