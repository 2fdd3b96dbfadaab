"""``envspec lock``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "lock the embedded requirements to exact packages (pylock.toml, pixi.lock)"
DESCRIPTION = """\
Resolve the environment's inputs to exact packages, with hashes, and embed the
result beside them in metadata.environment.files:

  requirements.txt  ->  pylock.toml  (PEP 751, resolved by uv for every platform)
  environment.yml   ->  pixi.lock    (solved by rattler for each --platform;
                                      a file name of env_ver 1.1)

A 1.0 notebook that gains a pixi.lock becomes env_ver 1.1; a pylock.toml
alone keeps it 1.0.  What each lock was resolved from is recorded in
extensions["envspec.lock"], so that --check can tell, without network,
whether the lock still matches its inputs.  A lock that is current is kept
as it is (no resolution): locking twice changes no byte.  --upgrade resolves
again.

Index options (--index-url, --find-links, --no-index, ...) and channels come
from this command line or uv's own configuration, never from the notebook:
index option lines in requirements.txt are ignored (and listed).  Only
metadata.environment changes, atomically; a notebook whose environment would
carry a secret is not written."""

EPILOG = """\
examples:
  envspec lock analysis.ipynb
  envspec lock analysis.ipynb --python 3.12
  envspec lock analysis.ipynb --find-links wheels/ --no-index
  envspec lock analysis.ipynb --channel conda-forge --platform linux-64 --platform osx-arm64
  envspec lock --check analysis.ipynb      # CI: fail when a lock is missing or stale

exit status: 0 done (or, with --check, every lock is current); 1 a notebook could not be
locked (nothing is written) or, with --check, a lock is missing or stale; 2 usage error."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "lock",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="notebooks to lock")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing, resolve nothing; exit 1 if a lock is missing or no longer "
        "matches its inputs, naming what differs",
    )
    parser.add_argument(
        "--upgrade", action="store_true", help="resolve again even when the lock is current"
    )
    parser.add_argument(
        "--python", metavar="X.Y", help="resolve for this Python (default: the environment's)"
    )
    from envspec.cli.index_options import add_index_options

    add_index_options(
        parser,
        "package index (pip inputs; never read from the notebook)",
        find_links_help="a folder or page of distributions (locks from a folder record file: "
        "URLs, which only this machine can install)",
        offline_help="use only uv's cache",
    )
    conda = parser.add_argument_group("conda inputs")
    conda.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="CHANNEL",
        help="solve against this channel (repeatable; replaces the file's channels; "
        "a name, a URL or file://)",
    )
    conda.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="PLATFORM",
        help="solve for this platform (repeatable; default: this machine's)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics, as validate's",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.index_options import index_from_args
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import json_diagnostics, visible, write_diagnostics
    from envspec.lock import LockOptions, lock_path
    from envspec.versions import parse_env_ver

    if args.python is not None and (
        parse_env_ver(args.python) is None and not _is_patch(args.python)
    ):
        err.write(f"envspec lock: error: --python {visible(args.python)!r} is not X.Y or X.Y.Z\n")
        return EXIT_USAGE
    options = LockOptions(
        index=index_from_args(args, absolute=False),
        python=args.python,
        channels=tuple(args.channel) or None,
        platforms=tuple(args.platform),
        upgrade=args.upgrade,
    )
    outcomes = [lock_path(path, options, check=args.check) for path in args.notebooks]
    if args.format == "json":
        json_diagnostics([d for o in outcomes for d in o.diagnostics], out)
    failed = 0
    for outcome in outcomes:
        if outcome.status in {"failed", "outdated"}:
            failed += 1
        if args.format == "json":
            continue
        verb = {
            "locked": "locked" if outcome.written else "would lock",
            "unchanged": "up to date",
            "outdated": "out of date",
            "failed": "failed",
        }[outcome.status]
        out.write(f"{verb}: {visible(outcome.path)}\n")
        for note in outcome.notes:
            out.write(f"    {visible(note)}\n")
        if outcome.status == "failed" and outcome.environment is not None:
            out.write(
                "    not written: the environment would carry a secret; remove it, then lock "
                "again\n"
            )
        write_diagnostics(outcome.diagnostics, out, indent="    ")
    return EXIT_FAIL if failed else EXIT_OK


def _is_patch(value: str) -> bool:
    import re

    return re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", value) is not None
