"""``envspec env diff``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

HELP = "compare an environment with what the notebook declares"
DESCRIPTION = """\
Compare a real environment with the environment a notebook declares:

  undeclared  what the environment holds that the notebook does not declare
              (a package installed during a session with %pip install);
  missing     what the notebook declares that the environment lacks, or holds
              at a version the requirement does not accept.

Declared are the requirements of the embedded requirements.txt, the pip: part
of environment.yml, and the packages of pylock.toml.  Dependencies of what is
declared are not undeclared: the Requires-Dist of the installed distributions
are followed (markers evaluated in that environment), so only the packages
installed on top are listed.  pip, setuptools, wheel and ipykernel belong to
the environment's tooling and are never listed.  In a conda prefix, the conda
packages are compared with the MatchSpecs of environment.yml the same way
(through their depends).

The environment is --prefix (a virtual environment or conda prefix), else the
python in PATH; its packages are listed by running that Python."""

EPILOG = """\
examples:
  envspec env diff analysis.ipynb                      # the python in PATH
  envspec env diff analysis.ipynb --prefix .venv
  envspec env diff analysis.ipynb --format json

exit status: 0 the environment matches the notebook; 1 they differ, or the notebook or
the environment cannot be read; 2 usage error."""


def register(env_commands: Any) -> None:
    """Add ``diff`` to the subcommands of ``envspec env``."""
    parser: argparse.ArgumentParser = env_commands.add_parser(
        "diff",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", help="the notebook (or envspec file)")
    parser.add_argument(
        "--prefix", metavar="DIR", help="the environment's folder (default: the python in PATH)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.cli.main import EXIT_FAIL, EXIT_OK
    from envspec.cli.render import visible
    from envspec.envdiff import DiffError, diff_environment, find_python

    try:
        environment = _environment(args.notebook)
        try:
            python: Path | None = find_python(args.prefix)
        except DiffError:
            # A conda prefix without Python: only its conda packages are compared.
            if args.prefix is None or not (Path(args.prefix) / "conda-meta").is_dir():
                raise
            python = None
        result = diff_environment(environment, python, prefix=args.prefix)
    except DiffError as exc:
        err.write(f"envspec env diff: error: {visible(str(exc))}\n")
        return EXIT_FAIL
    if args.format == "json":
        out.write(json.dumps({"notebook": args.notebook, **result.to_data()}, indent=2) + "\n")
        return EXIT_FAIL if result.differs else EXIT_OK
    out.write(f"environment: {visible(result.python)}\n")
    if result.undeclared:
        out.write("undeclared (installed, not declared by the notebook):\n")
        for item in result.undeclared:
            kind = " (conda)" if item.kind == "conda" else ""
            out.write(f"    {visible(item.name)} {visible(item.version)}{kind}\n")
    if result.missing:
        out.write("missing (declared by the notebook, not met by the environment):\n")
        for missing in result.missing:
            out.write(f"    {visible(missing.describe())}\n")
    for line in result.skipped:
        out.write(f"not compared: {visible(line)}\n")
    if result.differs:
        out.write(
            f"{visible(args.notebook)}: the environment differs "
            f"({len(result.undeclared)} undeclared, {len(result.missing)} missing)\n"
        )
        return EXIT_FAIL
    out.write(f"{visible(args.notebook)}: the environment matches the notebook\n")
    return EXIT_OK


def _environment(path: str) -> dict[str, Any]:
    """The environment object of a notebook or envspec file, as written (any 1.x)."""
    from envspec._readfile import read_regular, reason
    from envspec.envdiff import DiffError
    from envspec.notebook import kind_of, read_document

    try:
        data = read_regular(path)
    except OSError as exc:
        raise DiffError(f"cannot read {path!r}: {reason(exc)}") from None
    kind = kind_of(path)
    if kind is None:
        raise DiffError(f"{path!r} is not a notebook or envspec file")
    read = read_document(data, kind)
    if read.document is None:
        raise DiffError(f"{path!r}: {read.findings[0].message}")
    document = read.document
    env = document.get("metadata", {}).get("environment") if kind == "notebook" else document
    if not isinstance(env, dict):
        raise DiffError(f"{path!r} has no environment: embed one first (`envspec pack`)")
    return env
