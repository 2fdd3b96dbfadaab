"""``envspec payload tags`` and ``envspec payload menu``."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Iterable
from typing import Any, TextIO

TAGS_DESCRIPTION = """\
Read a tag list with the payload's tag policy: each tag's category, version,
display name, date, cycle, RSP build, extra text and architecture, in menu order
(categories in the policy's order, newest first).  The tag list has one image a
line: the tag, then optionally its digest (sha256:<64 hex>); blank lines and
'#' comments are skipped.  Without --tags, the tags the payload names (the
recommended tag, pins, aliases, images of its compatibility section) are read.

Where the platform's reading of a tag is a trap, a warning says so: a cycle
written after the RSP build (read as extra text), a trailing '-word' that is not
an architecture (read as one), a tag that is an alias only because the menu
configuration names it.  With --interface, the LAUNCHES column says which image
a spawner supporting that lab interface range launches for each tag (a rebuild
when the tag's own interface is not supported), and refusals are errors."""

TAGS_EPILOG = """\
examples:
  envspec payload tags pipelines.payload.yaml --tags tags.txt
  skopeo list-tags docker://docker.io/lsstsqre/sciplat-lab | jq -r '.Tags[]' \\
      | envspec payload tags pipelines.payload.yaml --tags -
  envspec payload tags pipelines.payload.yaml --tags tags.txt --format json
  envspec payload tags pipelines.payload.yaml --interface 2.0..2

exit status: 0 done (warnings allowed); 1 the payload is not valid, a line of the
tag list is not a tag, or (with --interface) a tag cannot launch; 2 usage error."""

MENU_DESCRIPTION = """\
Build the spawner menu of a payload (or of each payload of a deployment) from a
tag list: the categories present, the radio list (prepulled images, the
recommended one first and selected by default), the prepull set, the dropdown
(every image that passes its category's filter), the names bots ask for
(recommended, latest-release, ...) and each alias's target, found by digest.
Age filters count from --today (default: today's date, UTC)."""

MENU_EPILOG = """\
examples:
  envspec payload menu pipelines.payload.yaml --tags tags.txt
  envspec payload menu platform.payload.yaml --tags rsp-pipelines=rsp.txt \\
      --tags scientific-python=sp.txt --format yaml --today 2026-06-01

exit status: 0 done (warnings allowed); 1 the payload is not valid or a line of a
tag list is not a tag; 2 usage error."""

#: Warnings of one code shown one by one; the rest are counted.
MAX_NOTES = 20


def register(subcommands: Any) -> None:
    tags: argparse.ArgumentParser = subcommands.add_parser(
        "tags",
        help="categorise and sort a tag list with a payload's tag policy",
        description=TAGS_DESCRIPTION,
        epilog=TAGS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tags.add_argument("file", metavar="FILE", help="a payload or deployment file")
    tags.add_argument(
        "--tags", dest="tag_file", metavar="FILE|-", help="the tag list ('-': standard input)"
    )
    tags.add_argument(
        "--payload", metavar="NAME", help="the payload of a deployment (default: its default)"
    )
    tags.add_argument("--format", choices=("table", "json"), default="table")
    tags.add_argument(
        "--interface",
        metavar="MIN..MAX",
        help="the lab interface versions the spawner supports (e.g. 2.0..2): which image "
        "launches for each tag",
    )
    tags.set_defaults(run=_run_tags)
    menu: argparse.ArgumentParser = subcommands.add_parser(
        "menu",
        help="build the spawner menu from a payload and a tag list",
        description=MENU_DESCRIPTION,
        epilog=MENU_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    menu.add_argument("file", metavar="FILE", help="a payload or deployment file")
    menu.add_argument(
        "--tags",
        dest="tag_files",
        action="append",
        required=True,
        metavar="[NAME=]FILE|-",
        help="the tag list ('-': standard input); NAME=FILE gives one payload of a "
        "deployment its own list (repeat the option); a FILE alone serves every payload",
    )
    menu.add_argument("--format", choices=("json", "yaml"), default="json")
    menu.add_argument(
        "--today",
        metavar="YYYY-MM-DD",
        help="the date age filters count from (default: today, UTC)",
    )
    menu.set_defaults(run=_run_menu)


# ---------------------------------------------------------------------------------- helpers


def _read_tag_file(name: str, stdin: TextIO | None = None) -> tuple[str, str]:
    """(the text, the name shown in messages); raises OSError."""
    if name == "-":
        stream = stdin or sys.stdin
        buffer = getattr(stream, "buffer", None)
        data = buffer.read() if buffer is not None else stream.read().encode("utf-8", "replace")
        return data.decode("utf-8", "replace"), "<stdin>"
    from envspec._readfile import read_regular

    return read_regular(name).decode("utf-8", "replace"), name


def _capped(diagnostics: Iterable[Any]) -> list[Any]:
    """At most MAX_NOTES diagnostics of each warning code, then one that counts the rest."""
    from envspec.diagnostics import diagnostic

    shown: dict[str, int] = {}
    first: dict[str, Any] = {}
    result = []
    for d in diagnostics:
        count = shown[d.code] = shown.get(d.code, 0) + 1
        first.setdefault(d.code, d)
        if count <= MAX_NOTES or d.code == "tag-list-invalid":
            result.append(d)
    for code, count in shown.items():
        if count > MAX_NOTES and code != "tag-list-invalid":
            d = first[code]
            result.append(
                diagnostic(
                    d.code,
                    f"{count - MAX_NOTES} more tags like these ({count} in all)",
                    d.file,
                    severity=d.severity,
                )
            )
    return result


def _pick(loaded: Any, name: str | None, err: TextIO) -> Any | None:
    if name is None:
        return next(p for p in loaded.payloads if p.name == loaded.default)
    for p in loaded.payloads:
        if p.name == name:
            return p
    names = ", ".join(p.name for p in loaded.payloads)
    err.write(f"envspec payload: error: no payload {name!r} in {loaded.file} (payloads: {names})\n")
    return None


def _load(path: str, err: TextIO) -> tuple[Any | None, int]:
    from envspec._discover import MissingPath
    from envspec.cli.main import EXIT_FAIL, EXIT_USAGE
    from envspec.cli.render import visible, write_diagnostics
    from envspec.payloads.load import load_payloads

    try:
        loaded = load_payloads(path)
    except MissingPath:
        err.write(f"envspec payload: error: {visible(path)}: no such file or folder\n")
        return None, EXIT_USAGE
    except OSError as exc:
        err.write(f"envspec payload: error: {visible(path)}: {exc.strerror or exc}\n")
        return None, EXIT_FAIL
    if not loaded.ok:
        write_diagnostics(loaded.diagnostics, err)
        if not loaded.diagnostics:
            err.write(f"envspec payload: error: {visible(path)}: no payload to read\n")
        return None, EXIT_FAIL
    return loaded, 0


# ------------------------------------------------------------------------------------ tags


def _run_tags(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import visible, write_diagnostics
    from envspec.diagnostics import diagnostic
    from envspec.payloads.compatibility import InterfaceRange, choose_image
    from envspec.payloads.load import compat_images, menu_payload
    from envspec.payloads.menu import build_menu
    from envspec.payloads.tags import TagList, categorize, make_policy, read_tag_list, sort_tags

    supported = None
    if args.interface:
        try:
            supported = InterfaceRange.parse(args.interface)
        except ValueError as exc:
            err.write(f"envspec payload tags: error: --interface: {exc}\n")
            return EXIT_USAGE
    loaded, status = _load(args.file, err)
    if loaded is None:
        return status
    payload = _pick(loaded, args.payload, err)
    if payload is None:
        return EXIT_USAGE
    spec = menu_payload(payload)
    images, interface = compat_images(payload)
    if args.tag_file:
        try:
            text, shown = _read_tag_file(args.tag_file)
        except OSError as exc:
            err.write(f"envspec payload tags: error: {visible(args.tag_file)}: "
                      f"{exc.strerror or exc}\n")  # fmt: skip
            return EXIT_FAIL
        tag_list = read_tag_list(text, shown)
    else:
        named = [spec.menu.recommended or "", *spec.menu.pins, *spec.menu.aliases, *images]
        tag_list = TagList([t for t in dict.fromkeys(named) if t])
    policy = make_policy(spec.policy)
    aliases = {*spec.menu.aliases, *([spec.menu.recommended] if spec.menu.recommended else [])}
    ordered = sort_tags(
        policy, categorize(policy, tag_list.tags, aliases=aliases, digests=tag_list.digests())
    )
    diagnostics = list(tag_list.diagnostics)
    for p in ordered:
        for note in p.notes:
            diagnostics.append(diagnostic(note.code, note.message, tag_list_name(args)))
    menu = build_menu(spec, tag_list, today=datetime.date(1970, 1, 1), policy=policy,
                      file=args.file) if aliases and args.tag_file else None  # fmt: skip
    if menu is not None:
        diagnostics += [d for d in menu.diagnostics if d.code == "tag-alias-by-configuration"]
        resolved = {a: menu.entry(a).display for a, t in menu.aliases.items() if t is not None}
        ordered = [p._replace(display=resolved.get(p.tag, p.display)) for p in ordered]
    launches: dict[str, Any] = {}
    if supported is not None:
        rank = {p.tag: i for i, p in enumerate(ordered)}

        def newest_first(tags: list[str]) -> list[str]:
            return sorted(tags, key=lambda t: (rank.get(t, len(rank)), t))

        for p in ordered:
            decision = choose_image(
                p.tag, images, supported, default_interface=interface,
                newest_first=newest_first, file=args.file,
            )  # fmt: skip
            launches[p.tag] = decision
            diagnostics += decision.diagnostics
    diagnostics = _capped(diagnostics)
    if args.format == "json":
        rows = []
        for p in ordered:
            row = p.to_dict()
            if supported is not None:
                row["launch"] = launches[p.tag].to_dict()
            rows.append(row)
        json.dump(
            {
                "payload": payload.name,
                "policy": spec.policy.name,
                "tags": rows,
                "diagnostics": [d.to_dict() for d in diagnostics],
            },
            out,
            indent=2,
        )
        out.write("\n")
    else:
        _table(ordered, launches, out)
        write_diagnostics(diagnostics, err)
    return EXIT_FAIL if any(d.severity == "error" for d in diagnostics) else EXIT_OK


def tag_list_name(args: argparse.Namespace) -> str:
    """The file named in tag warnings."""
    if not args.tag_file:
        return str(args.file)
    return "<stdin>" if args.tag_file == "-" else str(args.tag_file)


def _table(ordered: list[Any], launches: dict[str, Any], out: TextIO) -> None:
    from envspec.cli.render import visible

    header = ["TAG", "CATEGORY", "DISPLAY NAME", "VERSION", "DATE", "ARCH"]
    if launches:
        header.append("LAUNCHES")
    rows = [header]
    for p in ordered:
        row = [
            p.tag, p.category, p.display, p.version_text or "-",
            p.date.isoformat() if p.date else "-", p.arch or "-",
        ]  # fmt: skip
        if launches:
            decision = launches[p.tag]
            row.append(decision.launch or "(refused)")
        rows.append([visible(c) for c in row])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")


# ------------------------------------------------------------------------------------ menu


def _run_menu(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import visible, write_diagnostics
    from envspec.payloads.load import menu_payload
    from envspec.payloads.menu import build_menu
    from envspec.payloads.tags import TagList, read_tag_list

    today = datetime.datetime.now(datetime.UTC).date()
    if args.today:
        try:
            today = datetime.date.fromisoformat(args.today)
        except ValueError:
            err.write(f"envspec payload menu: error: --today {visible(args.today)!r} is not "
                      "a date (YYYY-MM-DD)\n")  # fmt: skip
            return EXIT_USAGE
    loaded, status = _load(args.file, err)
    if loaded is None:
        return status
    names = {p.name for p in loaded.payloads}
    common: str | None = None
    per_payload: dict[str, str] = {}
    for value in args.tag_files:
        name, sep, path = value.partition("=")
        if sep and name in names:
            per_payload[name] = path
        elif sep and name and "/" not in name and not name.startswith("."):
            err.write(f"envspec payload menu: error: --tags {visible(value)!r}: no payload "
                      f"{visible(name)!r} (payloads: {', '.join(sorted(names))})\n")  # fmt: skip
            return EXIT_USAGE
        else:
            common = value
    if "-" in [common, *per_payload.values()] and [common, *per_payload.values()].count("-") > 1:
        err.write("envspec payload menu: error: standard input can be read once only\n")
        return EXIT_USAGE
    lists: dict[str, TagList] = {}
    diagnostics = []
    for path in dict.fromkeys([*per_payload.values(), *([common] if common else [])]):
        try:
            text, shown = _read_tag_file(path)
        except OSError as exc:
            err.write(f"envspec payload menu: error: {visible(path)}: {exc.strerror or exc}\n")
            return EXIT_FAIL
        lists[path] = read_tag_list(text, shown)
        diagnostics += lists[path].diagnostics
    menus = []
    for payload in loaded.payloads:
        path = per_payload.get(payload.name, common)
        tag_list = lists[path] if path is not None else TagList()
        try:
            menu = build_menu(menu_payload(payload), tag_list, today=today, file=args.file)
        except ValueError as exc:  # pragma: no cover - the models check filters
            err.write(f"envspec payload menu: error: {payload.name}: {exc}\n")
            return EXIT_FAIL
        diagnostics += menu.diagnostics
        menus.append(menu.to_dict())
    document = {"default": loaded.default, "today": today.isoformat(), "payloads": menus}
    if args.format == "json":
        json.dump(document, out, indent=2)
        out.write("\n")
    else:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.width = 1 << 16
        yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
        yaml.dump(document, out)
    write_diagnostics(_capped(diagnostics), err)
    return EXIT_FAIL if any(d.severity == "error" for d in diagnostics) else EXIT_OK
