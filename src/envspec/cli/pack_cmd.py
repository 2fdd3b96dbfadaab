"""``envspec pack``."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from envspec.diagnostics import Diagnostic

HELP = "embed the environment files beside a notebook into its metadata"
DESCRIPTION = """\
Collect the environment files beside each notebook (requirements.txt,
environment.yml, apt.txt, postBuild, runtime.txt, Dockerfile, pylock.toml,
manifest.scm, ... : every name of the current env_ver) and embed their exact
text in metadata.environment.  repo2docker's rules decide where files are
read: a binder/ or .binder/ folder, when present, hides the root folder (both
present is an error).

Pack also records the git source when the notebook is in a repository (the
remote URL without credentials, the full HEAD commit, the subdirectory; a
dirty tree is a warning) and sets the environment's kernel from the
notebook's kernelspec, so the two agree.  Other fields (image, python, env,
hardware, cloud, extensions) are kept.  Only metadata.environment changes,
atomically; packing an up-to-date notebook changes no byte.

Pack never removes an embedded file it is not asked to remove: a file the
notebook embeds and the folder does not have (a notebook you received) is
kept, with the warning embedded-file-kept; --prune removes those files, and
--check --prune lists what it would remove.  When a file is in both, the
folder's text replaces the embedded one, and pack says so ("updated ...").
A lock written by 'envspec lock' (pylock.toml, pixi.lock) is made from the
notebook's own inputs: a folder without it neither warns nor prunes it.

A notebook whose environment would carry a secret (a token, a private key,
a password in a URL) is not written at all."""

EPILOG = """\
examples:
  envspec pack analysis.ipynb
  envspec pack notebooks/*.ipynb --from env/
  envspec pack analysis.ipynb --image quay.io/jupyter/scipy-notebook:2024-05-27@sha256:...
  envspec pack --check *.ipynb        # CI: fail when a notebook is out of date
  envspec pack --check --prune nb.ipynb   # what --prune would remove

exit status: 0 done; 1 a notebook failed (a secret stops it: nothing is written), its
packed environment has other errors (it is still written, and the errors are listed), or
(with --check) it is out of date; 2 usage error."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "pack",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "notebooks",
        nargs="+",
        metavar="NOTEBOOK",
        help="notebooks to pack, or folders (searched for notebooks as validate searches them)",
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="DIR",
        help="read the environment files from DIR (default: each notebook's folder)",
    )
    parser.add_argument("--image", metavar="REF", help="record this container image (REF[@DIGEST])")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a notebook would change"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format; json is an array of diagnostics, as validate's",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="remove the embedded files the folder does not have (default: keep them, and warn)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from envspec._discover import MissingPath
    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import json_diagnostics, visible, write_diagnostics
    from envspec.diagnostics import diagnostic
    from envspec.pack import pack_paths
    from envspec.writers import stops_writing

    try:
        notebooks, refused = _notebooks(args.notebooks)
    except MissingPath as exc:
        err.write(f"envspec pack: error: {visible(str(exc))}\n")
        return EXIT_USAGE
    if args.source and not os.path.exists(args.source):
        err.write(f"envspec pack: error: {visible(repr(args.source))} does not exist\n")
        return EXIT_USAGE
    if args.source and not os.path.isdir(args.source):
        err.write(f"envspec pack: error: --from {visible(repr(args.source))} is not a folder\n")
        return EXIT_USAGE
    if args.source:
        try:
            os.listdir(args.source)
        except OSError as exc:  # an unreadable folder would look empty: nothing to embed
            why = f"cannot read the folder: {exc.strerror or type(exc).__name__}"
            refused.append(diagnostic("file-unreadable", why, args.source))
            notebooks = []
    outcomes = pack_paths(
        notebooks,
        source_dir=args.source,
        image=args.image,
        write=not args.check,
        prune=args.prune,
    )
    failed = len(refused)
    changed = 0
    if args.format == "json":
        json_diagnostics([*refused, *(d for o in outcomes for d in o.diagnostics)], out)
    else:
        write_diagnostics(refused, out)
    for outcome in outcomes:
        if outcome.status == "failed":
            failed += 1
        elif outcome.status == "packed":
            changed += 1
        if args.format == "json":
            continue
        verb = {
            "packed": "packed" if outcome.written else "would pack",
            "unchanged": "up to date",
            "failed": "failed",
        }[outcome.status]
        out.write(f"{verb}: {visible(outcome.path)}\n")
        if outcome.collected is not None and outcome.status != "failed":
            folder = _shown(outcome.collected.folder)
            names = ", ".join(outcome.collected.files) or "(none)"
            out.write(f"    from {visible(folder)}: {names}\n")
            for name, reason in outcome.collected.ignored:
                out.write(f"    ignored {visible(name)}: {reason}\n")
            done = outcome.written or outcome.status == "unchanged"
            for action, files in (
                ("updated" if done else "would update", outcome.changes.updated),
                ("removed" if done else "would remove", outcome.changes.removed),
            ):
                if files:
                    out.write(f"    {action} {', '.join(visible(f) for f in files)}\n")
        if outcome.status == "failed" and stops_writing(outcome.diagnostics):
            out.write(
                "    not written: the environment would carry a secret; remove it from the "
                "file, then pack again\n"
            )
        write_diagnostics(outcome.diagnostics, out, indent="    ")
    total = len(outcomes) + len(refused)
    if args.format != "json":
        noun = "notebook" if total == 1 else "notebooks"
        verb = "packed" if not args.check else "to pack"
        out.write(
            f"{total} {noun}: {changed} {verb}, {total - changed - failed} up to date, "
            f"{failed} failed\n"
        )
    invalid = any(d.severity == "error" for o in outcomes for d in o.diagnostics)
    if failed or invalid or (args.check and changed):
        return EXIT_FAIL
    return EXIT_OK


def _notebooks(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """The notebooks to pack (folders are searched as validate and migrate search them),
    and what is refused: files that are not notebooks, folders that cannot be read.

    :raises envspec._discover.MissingPath: a path does not exist.
    """
    from envspec._discover import discover
    from envspec.diagnostics import diagnostic
    from envspec.notebook import kind_of

    unreadable: list[tuple[str, str]] = []
    found = discover(paths, unreadable=unreadable)
    refused = [
        diagnostic("file-unreadable", f"cannot read the folder: {why}", folder)
        for folder, why in unreadable
    ]
    notebooks: list[str] = []
    for path, explicit in found:
        if kind_of(path) == "notebook":
            notebooks.append(path)
        elif explicit:  # an envspec file found in a folder is not for pack: skipped
            refused.append(
                diagnostic(
                    "unknown-file-type",
                    f"{os.path.basename(path)!r} is not a notebook: pack takes notebooks "
                    "(.ipynb) and reads the environment files (requirements.txt, "
                    "environment.yml, ...) from each notebook's folder",
                    path,
                    hint="Pass the notebook (`envspec pack analysis.ipynb`); add `--from DIR` "
                    "to read the environment files from another folder.",
                )
            )
    return notebooks, refused


def _shown(path: os.PathLike[str]) -> str:
    """*path* relative to the current folder when it is below it."""
    text = os.fspath(path)
    relative = os.path.relpath(text)
    return text if relative.startswith("..") else relative
