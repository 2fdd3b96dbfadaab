"""``envspec validate``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from envspec.cli import render

HELP = "check notebooks' embedded environments and envspec files"
DESCRIPTION = """\
Check every notebook's embedded environment (metadata.environment) and every
standalone envspec file (*.envspec.yaml, *.envspec.yml, *.envspec.json).
Folders are searched recursively (hidden folders and virtual environments are
skipped).  Each problem is reported with a stable code, the file, a JSON
Pointer into the document and, inside embedded files, the line and column.

The whole file must be well-formed UTF-8 JSON, cells included.  Notebooks
without an environment pass unless --require is given.

Verdicts are cached in $ENVSPEC_CACHE_DIR (default: ./.envspec_cache): an
unchanged file is not read again and an environment already checked is not
checked again.  --no-cache turns this off.  Large batches (over 8 MiB and 64
files still to read) are shared among one process per core on Linux (--jobs)."""

EPILOG = """\
examples:
  envspec validate analysis.ipynb
  envspec validate notebooks/ --require --strict
  envspec validate . --format json > report.json

exit status: 0 all files pass, 1 a file fails (errors; with --strict also
warnings), 2 usage error (e.g. a path that does not exist)."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="notebooks, envspec files or folders"
    )
    parser.add_argument(
        "--require", action="store_true", help="fail notebooks that have no embedded environment"
    )
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics "
        "(schema: 'envspec schema --diagnostics')",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the verdict cache"
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        metavar="N",
        help="processes for large batches (default: one per core on Linux; 1 turns it off)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec._discover import MissingPath
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.validate import default_cache_dir, validate_paths

    try:
        result = validate_paths(
            args.paths,
            require=args.require,
            cache_dir=None if args.no_cache else default_cache_dir(),
            jobs=args.jobs,
        )
    except MissingPath as exc:
        err.write(f"envspec validate: error: {render.visible(str(exc))}\n")
        return EXIT_USAGE
    if args.format == "json":
        render.json_report(result, out)
    else:
        render.text_report(result, out, strict=args.strict)
    return EXIT_OK if result.ok(strict=args.strict) else EXIT_FAIL
