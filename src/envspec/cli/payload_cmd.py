"""``envspec payload``: payload definitions for spawners.

This module creates the group and its ``validate`` and ``schema`` subcommands.  Other
subcommands live in their own modules, each with ``register(subcommands)``, listed once in
:data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from typing import Any, TextIO

from envspec.cli import render

HELP = "check and use payload definitions for spawners (*.payload.yaml)"
DESCRIPTION = """\
A payload file (*.payload.yaml, *.payload.yml, *.payload.json, payload_ver "1.0")
says what a spawner offers: how the images are built, where they are published,
how their tags are categorised and sorted, the menu, how the lab runs in them and
which spawners can launch them.  A deployment file lists several payloads.
Run 'envspec payload COMMAND --help' for each command."""

#: The modules that add subcommands to ``envspec payload``, in help order; each has
#: ``register(subcommands)``.  A module that is not installed is left out.
SUBCOMMANDS = (
    "envspec.cli.payload_tags_cmd",
    "envspec.cli.payload_export_cmd",
)

VALIDATE_DESCRIPTION = """\
Check payload and deployment files.  Folders are searched recursively for
*.payload.yaml, *.payload.yml and *.payload.json (hidden folders and virtual
environments are skipped).  Each problem is reported with a stable code, the
file and a JSON Pointer into the document, as 'envspec validate' does.
A deployment's references to payload files are checked to exist beside it."""

VALIDATE_EPILOG = """\
examples:
  envspec payload validate pipelines.payload.yaml
  envspec payload validate payloads/ --strict
  envspec payload validate . --format json > report.json

exit status: 0 all files pass, 1 a file fails (errors; with --strict also
warnings), 2 usage error (e.g. a path that does not exist)."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "payload",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subcommands = parser.add_subparsers(
        dest="payload_command",
        metavar="COMMAND",
        help="validate, schema, and the commands that read payloads (tags, menu, export)",
    )
    parser.set_defaults(run=_usage(parser))
    _register_validate(subcommands)
    _register_schema(subcommands)
    for name in SUBCOMMANDS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(subcommands)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        from envspec.cli.main import EXIT_USAGE

        parser.print_help(out)
        return EXIT_USAGE

    return run


def _register_validate(subcommands: Any) -> None:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "validate",
        help="check payload and deployment files",
        description=VALIDATE_DESCRIPTION,
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="payload files or folders")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics "
        "(schema: 'envspec schema --diagnostics')",
    )
    parser.set_defaults(run=run_validate)


def run_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec._discover import MissingPath
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.payloads.validate import validate_payload_paths

    try:
        result = validate_payload_paths(args.paths)
    except MissingPath as exc:
        err.write(f"envspec payload validate: error: {render.visible(str(exc))}\n")
        return EXIT_USAGE
    if args.format == "json":
        render.json_report(result, out)
    else:
        render.text_report(result, out, strict=args.strict)
    return EXIT_OK if result.ok(strict=args.strict) else EXIT_FAIL


def _register_schema(subcommands: Any) -> None:
    from envspec.schema import PAYLOAD_VERSIONS

    parser: argparse.ArgumentParser = subcommands.add_parser(
        "schema",
        help="print the JSON Schema of payload files",
        description="Print the JSON Schema of a payload or deployment file.",
        epilog="example:\n  envspec payload schema > payload.schema.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--payload-ver",
        choices=PAYLOAD_VERSIONS,
        default=PAYLOAD_VERSIONS[-1],
        help=f"the version (default: {PAYLOAD_VERSIONS[-1]})",
    )
    parser.set_defaults(run=run_schema)


def run_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.schema import load

    out.write(json.dumps(load(f"payload:{args.payload_ver}"), indent=2, ensure_ascii=False) + "\n")
    return 0
