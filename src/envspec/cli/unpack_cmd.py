"""``envspec unpack``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "write a notebook's embedded environment files back to disk"
DESCRIPTION = """\
Write every file embedded in the notebook's metadata.environment (or in an
envspec file) with its exact text: line endings, comments and a missing final
newline are kept byte for byte.  postBuild and start are made executable.
The result is a folder Binder (repo2docker) builds as it is.

Unpack refuses to overwrite existing files unless --force, and never writes
outside the target folder: names are checked against the spec's list, and a
symbolic link in the target folder is replaced, never followed."""

EPILOG = """\
examples:
  envspec unpack analysis.ipynb -o env/
  envspec unpack analysis.ipynb --force       # into the notebook's folder, replacing files

exit status: 0 written, 1 refused (existing files, unsafe names, no environment) or
failed (an unreadable notebook, a folder that cannot be written: then nothing is
written), 2 usage error."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "unpack",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="a notebook or envspec file")
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="folder to write into, created if needed (default: the notebook's folder)",
    )
    parser.add_argument("--force", action="store_true", help="replace files that already exist")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics, as validate's",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from envspec._discover import MissingPath, discover
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import json_diagnostics, visible, write_diagnostics
    from envspec.unpack import unpack_notebook

    shown = visible(repr(args.notebook))
    if os.path.isdir(args.notebook):
        err.write(f"envspec unpack: error: {shown} is a folder; unpack takes one notebook\n")
        return EXIT_USAGE
    try:
        discover([args.notebook])  # a file that cannot be read is reported when it is read
    except MissingPath:
        err.write(f"envspec unpack: error: {shown} does not exist\n")
        return EXIT_USAGE
    outcome = unpack_notebook(args.notebook, args.output, force=args.force)
    if args.format == "json":
        json_diagnostics(outcome.diagnostics, out)
        return EXIT_OK if outcome.ok else EXIT_FAIL
    for name in outcome.written:
        out.write(f"wrote {visible(os.path.join(outcome.out_dir, name))}\n")
    write_diagnostics(outcome.diagnostics, out)
    if not outcome.ok:
        out.write("nothing else was written\n" if outcome.written else "nothing was written\n")
        return EXIT_FAIL
    if not outcome.written:
        out.write("the environment embeds no files\n")
    return EXIT_OK
