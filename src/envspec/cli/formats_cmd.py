"""``envspec import`` and ``envspec export``: environments from and to other formats."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

IMPORT_HELP = "read an environment from another format (PEP 723, pixi, pyproject, ...)"
EXPORT_HELP = "write a notebook's environment in another format"

IMPORT_DESCRIPTION = """\
Read the environment a file or folder of another format describes, check it
with envspec's validator, and write it: embedded in a notebook (-o NOTEBOOK.ipynb,
created when missing; every other byte of an existing notebook is kept) or as a
standalone envspec file (-o FILE.envspec.yaml or .json).  Without -o the
environment is printed as YAML.  Whatever the format holds that envspec cannot
carry is reported as a warning with a code: nothing is dropped silently.

formats:
{formats}"""

EXPORT_DESCRIPTION = """\
Write the environment of a notebook (or envspec file) in another format.  A
single-file format is written to -o PATH (a folder gets the format's
conventional file name); a folder format writes below the folder -o.  Without
-o a single file is printed.  An existing file that differs is never replaced
unless --force; an identical one is left as it is (a second run changes no byte).
Whatever envspec holds that the format cannot carry is reported as a warning.

formats:
{formats}"""

_EPILOG = """\
examples:
  envspec import --from {example} {source} -o analysis.ipynb
  envspec export --to {target} analysis.ipynb -o {output}

exit status: 0 done (warnings may be shown), 1 the conversion failed or was
refused (nothing was written), 2 usage error.
docs: one page per format in the docs' "Formats" section."""


def register(commands: Any) -> None:
    from envspec.formats import format_help

    formats = format_help()
    parser: argparse.ArgumentParser = commands.add_parser(
        "import",
        help=IMPORT_HELP,
        description=IMPORT_DESCRIPTION.format(formats=formats),
        epilog=_EPILOG.format(
            example="envspec", source="env.envspec.yaml", target="envspec", output="env/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from", dest="format", metavar="FORMAT", required=True, help="the source's format"
    )
    parser.add_argument("source", metavar="SOURCE", help="the file or folder to read")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="notebook (.ipynb) to embed into, or envspec file to write (default: print YAML)",
    )
    _common(parser)
    parser.set_defaults(run=run_import)

    parser = commands.add_parser(
        "export",
        help=EXPORT_HELP,
        description=EXPORT_DESCRIPTION.format(formats=formats),
        epilog=_EPILOG.format(
            example="envspec", source="env.envspec.yaml", target="envspec", output="env/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--to", dest="format", metavar="FORMAT", required=True, help="the format to write"
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="a notebook or envspec file")
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="file or folder to write (default: print)"
    )
    parser.add_argument("--force", action="store_true", help="replace existing files that differ")
    _common(parser)
    parser.set_defaults(run=run_export)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--extra",
        dest="extras",
        action="append",
        default=[],
        metavar="NAME",
        help="pyproject: include this optional-dependency extra (repeat; 'all' for every one)",
    )
    parser.add_argument(
        "--group",
        dest="groups",
        action="append",
        default=[],
        metavar="NAME",
        help="pyproject: include this PEP 735 dependency group (repeat)",
    )
    parser.add_argument(
        "--environment",
        metavar="NAME",
        help="the named environment of a source that has several (pixi)",
    )
    parser.add_argument(
        "--guix-commit", metavar="COMMIT", help="Guix: pin this commit in channels.scm"
    )
    parser.add_argument(
        "--option",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a format-specific setting (see the format's docs page; repeat); "
        "pixi import: platform=NAME (linux-64, osx-arm64, win-64...) merges that "
        "platform's [target.NAME] dependencies and activation variables",
    )
    parser.add_argument(
        "--format",
        dest="report",
        choices=("text", "json"),
        default="text",
        help="how diagnostics are shown; json is an array, as validate's",
    )


def _options(args: argparse.Namespace) -> Any:
    from envspec.formats import Options

    settings = {}
    for item in args.settings:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--option takes KEY=VALUE, not {item!r}")
        settings[key] = value
    return Options(
        extras=tuple(args.extras),
        groups=tuple(args.groups),
        environment=args.environment,
        guix_commit=args.guix_commit,
        settings=settings,
    )


def _format(args: argparse.Namespace, path: str) -> Any:
    from envspec.diagnostics import diagnostic
    from envspec.formats import UnknownFormat, get_format

    try:
        return get_format(args.format)
    except UnknownFormat as exc:
        return diagnostic("format-unknown", str(exc), path)


def _report(diagnostics: Any, args: argparse.Namespace, out: TextIO) -> None:
    from envspec.cli.render import json_diagnostics, write_diagnostics

    if args.report == "json":
        json_diagnostics(diagnostics, out)
    else:
        write_diagnostics(diagnostics, out)


def _usage(args: argparse.Namespace, err: TextIO) -> int | None:
    import os

    from envspec.cli.main import EXIT_USAGE
    from envspec.cli.render import visible

    path = args.source if args.command == "import" else args.notebook
    if not os.path.lexists(path):
        err.write(f"envspec {args.command}: error: {visible(repr(path))} does not exist\n")
        return EXIT_USAGE
    try:
        _options(args)
    except ValueError as exc:
        err.write(f"envspec {args.command}: error: {exc}\n")
        return EXIT_USAGE
    return None


def _convert(args: argparse.Namespace, path: str, out: TextIO, err: TextIO) -> Any:
    """The conversion of *path* (``import`` or ``export``), or the exit status when the
    command stops before or at it (a usage error, an unknown format, a failed conversion)."""
    from envspec.cli.main import EXIT_FAIL
    from envspec.diagnostics import Diagnostic
    from envspec.formats.io import export_path, import_path

    usage = _usage(args, err)
    if usage is not None:
        return usage
    fmt = _format(args, path)
    if isinstance(fmt, Diagnostic):
        _report([fmt], args, out)
        return EXIT_FAIL
    convert = import_path if args.command == "import" else export_path
    converted = convert(fmt, path, _options(args))
    result = converted.environment if args.command == "import" else converted.files
    if not result or not converted.ok:
        _report(converted.diagnostics, args, out)
        if args.report == "text":
            out.write("nothing was written\n")
        return EXIT_FAIL
    return fmt, converted


def _finish(args: argparse.Namespace, diagnostics: list[Any], written: Any, out: TextIO) -> int:
    from envspec.cli.main import EXIT_FAIL, EXIT_OK
    from envspec.cli.render import visible

    _report([*diagnostics, *written.diagnostics], args, out)
    if args.report == "text":
        for path in written.written:
            out.write(f"wrote {visible(path)}\n")
        for path in written.unchanged:
            out.write(f"unchanged {visible(path)}\n")
        if not written.ok:
            out.write("nothing was written\n" if not written.written else "")
    return EXIT_OK if written.ok else EXIT_FAIL


def run_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_OK
    from envspec.formats.io import environment_text, write_environment

    done = _convert(args, args.source, out, err)
    if isinstance(done, int):
        return done
    _, converted = done
    diagnostics = list(converted.diagnostics)
    if not args.output or args.output == "-":
        _report(diagnostics, args, err if args.report == "text" else out)
        if args.report == "text":
            out.write(environment_text(converted.environment, "-.yaml").decode())
        return EXIT_OK
    return _finish(args, diagnostics, write_environment(converted.environment, args.output), out)


def run_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_OK, EXIT_USAGE
    from envspec.formats.io import write_files

    done = _convert(args, args.notebook, out, err)
    if isinstance(done, int):
        return done
    fmt, converted = done
    diagnostics = list(converted.diagnostics)
    if not args.output or args.output == "-":
        if len(converted.files) != 1 or fmt.default_output.endswith("/"):
            _report(diagnostics, args, out)
            err.write(
                f"envspec export: error: the {fmt.name} export is a folder of "
                f"{len(converted.files)} files; give -o FOLDER\n"
            )
            return EXIT_USAGE
        _report(diagnostics, args, err if args.report == "text" else out)
        if args.report == "text":
            out.write(next(iter(converted.files.values())).decode("utf-8", "replace"))
        return EXIT_OK
    written = write_files(converted.files, args.output, fmt, force=args.force)
    return _finish(args, diagnostics, written, out)
