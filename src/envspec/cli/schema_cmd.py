"""``envspec schema``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "print the JSON Schema of an env_ver (or of validate's JSON output)"


def register(commands: Any) -> None:
    from envspec.versions import LATEST, SUPPORTED

    parser: argparse.ArgumentParser = commands.add_parser(
        "schema",
        help=HELP,
        description=HELP + ".",
        epilog="examples:\n  envspec schema > environment.schema.json\n"
        "  envspec schema --env-ver 0.1\n  envspec schema --diagnostics",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--env-ver", choices=SUPPORTED, default=LATEST, help=f"the version (default: {LATEST})"
    )
    group.add_argument(
        "--diagnostics",
        action="store_true",
        help="the schema of the JSON output (--format json) of validate, migrate, pack and unpack",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.schema import load

    schema = load("diagnostics" if args.diagnostics else args.env_ver)
    out.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    return 0
