"""``envspec payload export``: spawner configuration from a payload."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "write a spawner's configuration (KubeSpawner, Nublado) from a payload"
DESCRIPTION = """\
Write the configuration a spawner needs to offer the payloads of FILE (a payload
or a deployment of several):

  kubespawner  the value of c.KubeSpawner.profile_list: one profile per payload,
               its profile_options 'image' (the menu; the recommended image
               selected; 'Other image...' for any tag of the repository) and
               'size' (cpu/mem guarantee and limit in bytes, GPUs as
               extra_resource_limits); start command, environment, Kubernetes
               secrets and volumes in the profile's kubespawner_override.
  nublado      a controller.config fragment of Nublado's Helm values: images
               (source, recommendedTag, numReleases/numWeeklies/numDailies, pin,
               aliasTags, cycle), dropdownMenu, and lab (env, files, secrets,
               sizes, defaultSize, volumes, volumeMounts, labStartCommand),
               checked against a schema written from Nublado's documentation.

With --tags, the image choice of KubeSpawner is the menu built from that tag
list ('TAG [DIGEST]' a line; '-' reads stdin): prepulled images in menu order,
by digest.  Without it, the recommended tag and the pins.  Nublado reads the
registry itself and does not need a tag list.

What a spawner cannot express is never dropped silently: each part left out
(export-lossy) or approximated (export-approximate) is reported on stderr with
its place in FILE.  On an error (export-unsupported, export-size-name, an
invalid FILE) nothing is written.  The output is deterministic: exporting
twice gives the same bytes."""

EPILOG = """\
examples:
  envspec payload export astro.payload.yaml --to kubespawner -o profile_list.yaml
  envspec payload export deployment.yaml --to kubespawner --format python >> jupyterhub_config.py
  envspec payload export astro.payload.yaml --to kubespawner --tags tags.txt
  envspec payload export astro.payload.yaml --to nublado -o values-nublado.yaml

exit status: 0 written (warnings may be shown); 1 the payload is invalid or
cannot be exported to that spawner (nothing written); 2 usage error."""


def register(sub: Any) -> None:
    from envspec.payloads.exports import FORMATS, TARGETS

    parser: argparse.ArgumentParser = sub.add_parser(
        "export",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="a payload or deployment file (YAML/JSON)")
    parser.add_argument(
        "--to",
        required=True,
        choices=tuple(TARGETS),
        help="the spawner: " + "; ".join(f"{k}: {v[1]}" for k, v in TARGETS.items()),
    )
    parser.add_argument(
        "--tags",
        metavar="FILE",
        help="the registry's tags, 'TAG [DIGEST]' a line ('-': stdin): the image menu",
    )
    parser.add_argument(
        "--payload",
        metavar="NAME",
        help="export only this payload of a deployment (Nublado offers one)",
    )
    parser.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date age filters count from (default: today)",
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write to PATH (atomically) instead of stdout"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="yaml (default), json, or python (kubespawner: a jupyterhub_config.py snippet)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import datetime
    import sys

    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import visible, write_diagnostics
    from envspec.diagnostics import Diagnostic, diagnostic, join_pointer
    from envspec.payloads.exports import export, formats, load, render, with_tags

    prog = "envspec payload export"
    fmt = args.format or formats(args.to)[0]
    if fmt not in formats(args.to):
        err.write(f"{prog}: error: --to {args.to} writes {', '.join(formats(args.to))}\n")
        return EXIT_USAGE
    today = None
    if args.today is not None:
        try:
            today = datetime.date.fromisoformat(args.today)
        except ValueError:
            err.write(f"{prog}: error: --today {visible(args.today)!r} is not YYYY-MM-DD\n")
            return EXIT_USAGE
    offer, problems = load(args.file, payload=args.payload)
    diagnostics: list[Diagnostic] = list(problems)
    if offer is not None and args.tags is not None:
        name = "<stdin>" if args.tags == "-" else args.tags
        try:
            if args.tags == "-":
                text = sys.stdin.read()
            else:
                with open(args.tags, encoding="utf-8") as handle:
                    text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            write_diagnostics([diagnostic("file-unreadable", str(exc), name)], err)
            return EXIT_FAIL
        offer, tag_problems = with_tags(offer, text, name, today=today)
        diagnostics += tag_problems
    if offer is None or any(d.severity == "error" for d in diagnostics):
        write_diagnostics(diagnostics, err)
        return EXIT_FAIL
    result = export(offer, args.to)
    for payload, finding in result.findings:
        base = offer.pointers.get(payload, "")
        diagnostics.append(
            diagnostic(
                finding.code,
                finding.message,
                args.file,
                join_pointer(base, finding.path),
                hint=finding.hint,
            )
        )
    write_diagnostics(diagnostics, err)
    if not result.ok():
        return EXIT_FAIL
    text = render(result, fmt)
    if args.output is None:
        out.write(text)
        return EXIT_OK
    from envspec._atomic import write_atomic

    try:
        write_atomic(args.output, text.encode("utf-8"))
    except OSError as exc:
        write_diagnostics(
            [diagnostic("write-failed", f"cannot write: {exc.strerror or exc}", args.output)], err
        )
        return EXIT_FAIL
    err.write(f"wrote {visible(args.output)}\n")
    return EXIT_OK
