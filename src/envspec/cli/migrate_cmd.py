"""``envspec migrate``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "move environments to another env_ver (in place, atomically)"
DESCRIPTION = """\
Migrate the environment of notebooks (metadata.environment, and the legacy
metadata.env written by the seed project's helper scripts) and of standalone
envspec files to another env_ver (default: 1.0 for a legacy 0.1 document, and
a 1.x document keeps its version: writers write the earliest 1.x minor that
holds the document, 1.1 only for what only 1.1 has, such as pixi.lock).

Files are rewritten in place with an atomic write (a temporary file, then a
rename).  In a notebook only metadata.environment changes: cells, outputs,
ids and every other metadata key keep their bytes, whatever the layout.
A standalone YAML file keeps its comments, quotes and indentation wherever
the values did not change.  Running migrate twice changes nothing the second
time.

Nothing is dropped silently.  Upgrading keeps what has no 1.0 field under
extensions["envspec.legacy"]; a downgrade that cannot hold everything is
refused with the list of what would be lost, unless --lossy is given (1.1 to
1.0 cannot carry an embedded pixi.lock)."""

EPILOG = """\
examples:
  envspec migrate notebooks/                 # everything to the latest version
  envspec migrate --check .                  # CI / pre-commit: fail if anything would change
  envspec migrate --diff analysis.ipynb      # show the change, write nothing
  envspec migrate --to 0.1 --lossy old.ipynb # downgrade, dropping what 0.1 cannot hold
  envspec migrate --to 1.1 analysis.ipynb    # upgrade a 1.0 document to 1.1

exit status: 0 done (or nothing to do), 1 a file failed to migrate or (with
--check) would change, 2 usage error."""


def register(commands: Any) -> None:
    from envspec.versions import LATEST, SUPPORTED

    parser: argparse.ArgumentParser = commands.add_parser(
        "migrate",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="notebooks, envspec files or folders"
    )
    parser.add_argument(
        "--to",
        choices=SUPPORTED,
        default=None,
        metavar="VERSION",
        help=f"target env_ver: {', '.join(SUPPORTED)} (default: {LATEST} for a 0.1 document; "
        "a 1.x document keeps its version)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file would change"
    )
    parser.add_argument(
        "--diff", action="store_true", help="write nothing; print a unified diff of each change"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics, as validate's (not with --diff)",
    )
    parser.add_argument(
        "--lossy",
        action="store_true",
        help="allow a downgrade that drops what the target cannot hold",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import difflib

    from envspec._discover import MissingPath
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import json_diagnostics, visible, write_diagnostics
    from envspec.migrations.files import migrate_paths

    if args.diff and args.format == "json":
        err.write("envspec migrate: error: --diff prints text; it cannot go with --format json\n")
        return EXIT_USAGE
    write = not (args.check or args.diff)
    try:
        results = migrate_paths(args.paths, to=args.to, allow_lossy=args.lossy, write=write)
    except MissingPath as exc:
        err.write(f"envspec migrate: error: {visible(str(exc))}\n")
        return EXIT_USAGE
    counts = {"migrated": 0, "unchanged": 0, "failed": 0}
    for result in results:
        counts[result.status] += 1
    if args.format == "json":
        json_diagnostics([d for result in results for d in result.diagnostics], out)
        results = []
    for result in results:
        if result.status == "failed":
            write_diagnostics(result.diagnostics, out)
            continue
        if result.status != "migrated":
            continue
        verb = "migrated" if result.written else "would migrate"
        shown = visible(result.path)
        out.write(f"{verb} {shown}: {visible(str(result.source))} -> {result.target}\n")
        for note in result.notes:
            out.write(f"    {visible(note)}\n")
        for item in result.lost:
            out.write(f"    dropped: {visible(item)}\n")
        if args.diff and result.after is not None:
            before = result.before.decode("utf-8", "replace").splitlines(keepends=True)
            after = result.after.decode("utf-8", "replace").splitlines(keepends=True)
            out.writelines(difflib.unified_diff(before, after, f"a/{shown}", f"b/{shown}"))
    total = sum(counts.values())
    if args.format != "json":
        verb = "migrated" if write else "to migrate"
        noun = "file" if total == 1 else "files"
        out.write(
            f"{total} {noun} checked: {counts['migrated']} {verb}, {counts['unchanged']} "
            f"unchanged, {counts['failed']} failed\n"
        )
    if counts["failed"] or (args.check and counts["migrated"]):
        return EXIT_FAIL
    return EXIT_OK
