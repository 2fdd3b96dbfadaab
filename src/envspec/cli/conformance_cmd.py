"""``envspec conformance``: run the suite against an adapter, list, export and lint cases."""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

HELP = "run the conformance suite against an implementation (or list, export, lint cases)"
DESCRIPTION = """\
The conformance suite checks that an implementation of the envspec standard (a
validator, a migrator, a packer, a launcher, a spawner, a deploy service), in any
language, does what the spec says.  The implementation is reached through an
adapter: a program that speaks the adapter protocol (one JSON message per line
on stdin/stdout; see the spec's conformance page), or a Python object run
in-process (python:module:attr).  A deploy service (the cloud role) is called
over HTTP at the url its adapter declares, with the tokens the adapter gives.

  envspec conformance run --adapter "node my-adapter.js" --out report/
  envspec conformance list --role validator
  envspec conformance export --version 1.0 cases/
  envspec conformance lint"""

RUN_DESCRIPTION = """\
Run the cases that apply to the adapter: those of the roles, versions and
features it declares in its hello answer.  A case is pass, fail, error (the
adapter crashed, hung or broke the protocol; it is restarted), skipped (skip
file, or answered skipped) or unsupported (a feature not declared, or answered
unsupported).  Per role the verdict is conformant (every core case passes),
partial (a core case skipped or unsupported, or no core case run) or failing
(a core case fails, any case errs, or with --strict-skips a skipped case passes
or a request is answered skipped).

Every run also checks the protocol itself, with requests no case sends: an
unknown op, unknown members, pipelined requests, a hello for another protocol
version, bye, output that answers no request, the declared versions.  A failed
protocol check makes the run failing.

Progress goes to standard error: one character per case (. pass, F fail,
E error, s skipped, u unsupported), then each failure with the command that
reruns it.

Only a run of the adapter as a child process is a conformance claim: an
in-process adapter (python:module:attr) shares the runner's interpreter and
could change the judge, so its reports say "claim": false."""

RUN_EPILOG = """\
skip file (YAML or JSON):
  skips:
    - id: validator.conda.*          # a case id or a glob
      reason: conda files are not checked yet
      issue_url: https://example.org/issues/12   # optional

reports (--out DIR): results.ndjson (every case), summary.json (per role and
level), junit.xml, summary.md (with a rerun command per failure), badge.json
and badge-ROLE.json (shields.io endpoint badges).

exit status:
  0  conformant: every role, and the protocol checks
  1  failing: a core case failed, a case erred, a protocol check failed, the
     adapter did not start, or (--strict-skips) a skip did not hold
  2  usage error
  3  partial: no failure, but a core case was skipped or unsupported, or a
     role had no core case run (0 with --accept-partial)"""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "conformance",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="conformance_command", metavar="COMMAND", help="run, list, export or lint"
    )
    parser.set_defaults(run=lambda args, out, err: _usage(parser, out))

    run = sub.add_parser(
        "run",
        help="run the suite against an adapter",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--adapter",
        required=True,
        metavar="CMD",
        help="the adapter: a command line (e.g. 'node adapter.js'), or python:module:attr "
        "for an object with handle(message) run in this process",
    )
    run.add_argument("--out", metavar="DIR", help="write the reports into DIR")
    _selection_options(run)
    run.add_argument(
        "--skip-file", metavar="FILE", help="cases not to run, each with a reason (see below)"
    )
    run.add_argument(
        "--strict-skips",
        action="store_true",
        help="run skipped cases anyway, and fail if one passes (the skip is stale); also "
        "fail on every request the adapter answers skipped",
    )
    run.add_argument(
        "--accept-partial",
        action="store_true",
        help="exit with 0, not 3, when the verdict is partial",
    )
    run.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="longest wait for one answer (default: 10); a hung adapter is restarted",
    )
    run.add_argument(
        "--startup-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="longest wait for the answer to hello (default: 30)",
    )
    run.add_argument(
        "-V",
        "--check-messages",
        action="store_true",
        help="validate every message both ways against the protocol schemas (for adapter "
        "authors: a violation is reported as an error)",
    )
    run.add_argument("--cases", metavar="DIR", help="run the cases of DIR instead of the suite's")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    run.set_defaults(run=_run)

    listing = sub.add_parser(
        "list",
        help="list the cases",
        description="List the cases (id, level, features, description).",
    )
    _selection_options(listing)
    listing.add_argument("--format", choices=("text", "json"), default="text")
    listing.add_argument("--cases", metavar="DIR", help="list the cases of DIR")
    listing.set_defaults(run=_list)

    export = sub.add_parser(
        "export",
        help="copy the cases of one version, for other runners",
        description="Write the cases that apply to one env_ver into OUT_DIR as JSON, one file "
        "per role and feature, plus manifest.json (suite version, ids).",
    )
    export.add_argument("out", metavar="OUT_DIR")
    export.add_argument("--version", required=True, metavar="ENV_VER", help="e.g. 1.0")
    _selection_options(export)
    export.set_defaults(run=_export)

    lint = sub.add_parser(
        "lint",
        help="check case files",
        description="Check case files: the case schema, unique and immutable ids, features, "
        "codes, spec links, coherent expectations. In the repository (spec/ beside the "
        "cases), also the requirement ids: every MUST of the spec has a marker, every "
        "requirement a core case per role it binds, every 'requires' an existing id.",
    )
    lint.add_argument("cases", nargs="?", metavar="DIR", help="default: the suite's cases")
    lint.add_argument("--fix", action="store_true", help="add the ids of new cases to ids.txt")
    lint.set_defaults(run=_lint)


def _selection_options(parser: argparse.ArgumentParser) -> None:
    from envspec.conformance.features import ROLES

    parser.add_argument("--role", action="append", choices=ROLES, help="only this role")
    parser.add_argument("--feature", action="append", metavar="NAME", help="only this feature")
    parser.add_argument("--level", action="append", choices=("core", "extended"))
    parser.add_argument("--id", action="append", metavar="GLOB", help="only cases matching")
    parser.add_argument("--exclude-id", action="append", metavar="GLOB", help="leave out")


def _usage(parser: argparse.ArgumentParser, out: TextIO) -> int:
    parser.print_help(out)
    return 2


def _selected(args: argparse.Namespace, err: TextIO) -> list[Any] | None:
    from pathlib import Path

    from envspec.conformance.cases import CaseFileError, Selection, load_cases

    if not _cases_folder(args, err):
        return None
    try:
        cases = load_cases(Path(args.cases) if getattr(args, "cases", None) else None)
    except CaseFileError as exc:
        err.write(f"envspec conformance: {exc}\n")
        return None
    selection = Selection(
        tuple(args.role or ()),
        tuple(args.feature or ()),
        tuple(args.level or ()),
        tuple(args.id or ()),
        tuple(args.exclude_id or ()),
    )
    return selection.apply(cases)


def _cases_folder(args: argparse.Namespace, err: TextIO) -> bool:
    """Whether the DIR of cases given, if any, is a folder (else say so)."""
    from envspec.cli.render import visible

    folder = getattr(args, "cases", None)
    if folder and not os.path.isdir(folder):
        err.write(f"envspec conformance: {visible(repr(folder))} is not a folder of cases\n")
        return False
    return True


def _cannot_write(folder: str, exc: OSError, err: TextIO) -> int:
    from envspec.cli.render import visible

    reason = exc.strerror or type(exc).__name__
    where = visible(repr(os.fsdecode(exc.filename) if exc.filename else folder))
    err.write(f"envspec conformance: cannot write {where}: {reason}\n")
    return 2


_MARKS = {"pass": ".", "fail": "F", "error": "E", "skipped": "s", "unsupported": "u"}


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from envspec.conformance.reports import rerun_command, write_reports
    from envspec.conformance.runner import (
        CaseResult,
        RunOptions,
        load_skip_file,
        rerun_options,
        run,
    )
    from envspec.conformance.transport import AdapterError, connect

    cases = _selected(args, err)
    if cases is None:
        return 2
    if not cases:
        err.write("envspec conformance: no case matches the selection\n")
        return 2
    skips: tuple[Any, ...] = ()
    if args.skip_file:
        try:
            skips = load_skip_file(args.skip_file)
        except (OSError, ValueError) as exc:
            err.write(f"envspec conformance: skip file: {exc}\n")
            return 2
    if args.timeout <= 0 or args.startup_timeout <= 0:
        err.write("envspec conformance: --timeout and --startup-timeout must be positive\n")
        return 2
    if args.out:
        try:  # before the run: a folder that cannot be written is said at once
            Path(args.out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _cannot_write(args.out, exc, err)
    try:
        transport = connect(
            args.adapter,
            check_messages=args.check_messages,
            startup_timeout=args.startup_timeout,
        )
    except AdapterError as exc:
        err.write(f"envspec conformance: {exc}\n")
        return 2
    column = 0

    def progress(result: CaseResult, done: int, total: int) -> None:
        nonlocal column
        if args.quiet or result.status == "not-applicable":
            if done == total and column and not args.quiet:
                err.write(f" [{done}/{total}]\n")
            return
        err.write(_MARKS.get(result.status, "?"))
        column += 1
        if column == 60 or done == total:
            err.write(f" [{done}/{total}]\n")
            column = 0
        err.flush()

    options = RunOptions(
        timeout=args.timeout,
        skips=skips,
        strict_skips=args.strict_skips,
        accept_partial=args.accept_partial,
    )
    result = run(cases, transport, options, progress=progress)
    result.rerun_args = rerun_options(args.cases, args.timeout)
    for case in result.results:
        if case.status in ("fail", "error"):
            out.write(f"{case.status.upper()} {case.case.id} ({case.case.level})\n")
            for detail in case.details:
                out.write("    " + detail.replace("\n", "\n    ") + "\n")
            out.write(f"    rerun: {rerun_command(result, case.case.id)}\n")
    for check in result.protocol:
        if check.status == "fail":
            out.write(f"FAIL {check.id} (protocol: {check.description})\n")
            for detail in check.details:
                out.write("    " + detail.replace("\n", "\n    ") + "\n")
    if result.startup_error:
        out.write(f"the adapter did not start: {result.startup_error}\n")
    from envspec.conformance.reports import CLAIM_NOTE, protocol_line, role_totals, summary

    data = summary(result)
    name = data["implementation"].get("name", args.adapter)
    for role, entry in data["roles"].items():
        core, ext, total = entry["core"], entry["extended"], role_totals(entry)
        out.write(
            f"{role}: {entry['verdict']} (core {core['pass']}/{core['total']} passed, "
            f"extended {ext['pass']}/{ext['total']}; {total['fail']} failed, "
            f"{total['error']} errors, {total['skipped']} skipped, "
            f"{total['unsupported']} unsupported)\n"
        )
    if result.protocol:
        out.write(protocol_line(result) + "\n")
    out.write(f"{name}: {result.verdict()} in {result.seconds:.2f} s\n")
    if not result.claim:
        out.write(CLAIM_NOTE + "\n")
    if args.out:
        try:
            paths = write_reports(result, args.out)
        except OSError as exc:
            return _cannot_write(args.out, exc, err)
        out.write(f"reports: {', '.join(str(p) for p in paths)}\n")
    return result.exit_code


def _list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    cases = _selected(args, err)
    if cases is None:
        return 2
    if args.format == "json":
        out.write(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "role": c.role,
                        "level": c.level,
                        "features": c.features,
                        "versions": c.versions,
                        "spec": c.spec,
                        "requires": c.requires,
                        "description": c.description,
                    }
                    for c in cases
                ],
                indent=2,
            )
            + "\n"
        )
        return 0
    for case in cases:
        out.write(f"{case.id}  [{case.level}; {', '.join(case.features)}]  {case.description}\n")
    out.write(f"{len(cases)} cases\n")
    return 0


def _export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json
    from pathlib import Path

    from envspec.conformance.cases import VersionRange, suite_version

    cases = _selected(args, err)
    if cases is None:
        return 2
    chosen = [c for c in cases if args.version in VersionRange(c.versions)]
    if not chosen:
        err.write(f"envspec conformance: no case applies to env_ver {args.version!r}\n")
        return 2
    folder = Path(args.out)
    groups: dict[str, list[dict[str, Any]]] = {}
    for case in chosen:
        key = f"{case.role}/{case.features[0]}.json"
        groups.setdefault(key, []).append(case.model_dump(mode="json", exclude_none=True))
    manifest = {
        "suite": suite_version(),
        "env_ver": args.version,
        "files": sorted(groups),
        "ids": [c.id for c in chosen],
    }
    try:
        for key, items in groups.items():
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(items, indent=2, ensure_ascii=False) + "\n", "utf-8")
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    except OSError as exc:
        return _cannot_write(args.out, exc, err)
    out.write(f"{len(chosen)} cases for env_ver {args.version} written to {folder}\n")
    return 0


def _lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from envspec.conformance.lint import add_new_ids, lint

    if not _cases_folder(args, err):
        return 2
    root = Path(args.cases) if args.cases else None
    if args.fix:
        for case_id in add_new_ids(root):
            out.write(f"added to ids.txt: {case_id}\n")
    problems = lint(root)
    for problem in problems:
        out.write(f"{problem}\n")
    out.write(f"{len(problems)} problem(s)\n" if problems else "the cases are fine\n")
    return 1 if problems else 0
