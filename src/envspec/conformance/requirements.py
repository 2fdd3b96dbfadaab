"""Requirement ids: the normative statements of the specification, and their markers.

Every sentence of ``spec/*.md`` that states a MUST, MUST NOT, REQUIRED, SHALL or
SHALL NOT ends with a *marker* that gives it a stable id and says which roles of
the conformance suite it binds::

    An OPTIONAL member without a value MUST be omitted. [req v1.absent-not-null: validator]

The id is ``DOC.NAME``: ``DOC`` names the page (:data:`DOCS`), ``NAME`` is lower
case with hyphens. The roles are those of the suite (``validator``,
``migrator``, ``packer``, ``launcher``), ``adapter`` for the rules of the adapter protocol
(checked by the runner's own tests, see :data:`ADAPTER_CHECKS`), or ``none``
when no role of this suite version tests the statement (rules for launchers
or for people). One sentence with two obligations may carry two markers. A
SHOULD-level sentence may carry a marker too; only extended cases may name it.

Published ids never disappear: ``spec/requirements-ids.txt`` lists every id
ever given, and is only appended to. Sections marked *informative*, code
blocks, inline code and quoted words are not normative. A keyword used as a
noun ("a MUST", "the MUST") is a mention, not a requirement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "ADAPTER_CHECKS",
    "ADAPTER_UNCHECKED",
    "DOCS",
    "ROLES",
    "CaseLike",
    "CoverageProblem",
    "Requirement",
    "RequirementProblem",
    "Requirements",
    "coverage",
    "coverage_problems",
    "find_spec_root",
    "published_requirement_ids",
    "read_requirements",
]

#: The id prefix of each spec page.
DOCS: dict[str, str] = {
    "index.md": "core",
    "1.0.md": "v1",
    "1.1.md": "v11",
    "0.1.md": "v01",
    "conformance.md": "proto",
    "payload-1.0.md": "payload",
    "deploy-api-1.0.md": "deploy",
}
#: The roles a marker may name.
ROLES = ("validator", "migrator", "packer", "launcher", "spawner", "adapter", "cloud", "none")
#: The roles whose requirements need a core case of that role.
CASE_ROLES = ("validator", "migrator", "packer", "launcher", "spawner", "cloud")
#: The file that lists every requirement id ever published (beside the spec pages).
IDS_FILE = "requirements-ids.txt"

#: Protocol requirements (role ``adapter``) and the tests of envspec's own suite that
#: show the runner enforces them, against a faulty adapter (``tests/FILE::TEST[PARAM]``).
ADAPTER_CHECKS: dict[str, tuple[str, ...]] = {
    "proto.expected-diagnostics": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[ignores_secrets]",
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[accepts_unknown_major]",
    ),
    "proto.valid-iff-no-error": (
        "tests/test_requirements.py::test_the_runner_fails_a_valid_answer_that_has_an_error",
    ),
    "proto.migrated-behaviour": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[no_version_bump]",
    ),
    "proto.packed-valid": (
        "tests/test_requirements.py::test_the_runner_fails_a_packed_environment_that_is_invalid",
    ),
    "proto.unpack-expectations": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[unpack_drops_file]",
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[unpack_crlf]",
    ),
    "proto.unpack-outside-unchanged": (
        "tests/test_requirements.py::test_the_runner_fails_an_unpack_that_writes_outside",
    ),
    "proto.pack-folder-unchanged": (
        "tests/test_requirements.py::test_the_runner_fails_a_pack_that_changes_the_folder",
    ),
    "proto.flush": (
        "tests/test_conformance_zoo.py::test_a_protocol_fault_errs_exactly_the_affected_cases"
        "[hang]",
    ),
    "proto.one-line-per-request": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks"
        "_and_no_case[duplicate_answer]",
    ),
    "proto.stdout-only-answers": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks"
        "_and_no_case[json_log_line]",
    ),
    "proto.echo-seq": (
        "tests/test_conformance_zoo.py::test_a_protocol_fault_errs_exactly_the_affected_cases"
        "[wrong_seq]",
    ),
    "proto.hello-protocol": (
        "tests/test_conformance_zoo.py::test_an_unknown_protocol_version_means_the_adapter_did_not_start",
    ),
    "proto.registry-severity": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[wrong_severity]",
    ),
    "proto.registry-codes-only": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[unregistered_code]",
    ),
    "proto.values-kept-by-value": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[migrate_stringifies]",
    ),
    "proto.pack-notebook-rest": (
        "tests/test_conformance_zoo.py::test_pack_may_write_the_environment_into_the_notebook_and_nothing_else",
    ),
    "proto.unpack-modes": (
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[unpack_world_writable]",
        "tests/test_conformance_zoo.py::test_a_behaviour_fault_fails_the_run_and_is_pinpointed"
        "[unpack_exec_everything]",
    ),
    "proto.pipelined": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[answers_out_of_order]",
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[one_at_a_time]",
    ),
    "proto.non-json-line": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[non_json]",
    ),
    "proto.declared-versions": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[unknown_version]",
    ),
    "proto.bye": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[prints_after_bye]",
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[ignores_bye]",
    ),
    "proto.unknown-op": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[unknown_op_errored]",
    ),
    "proto.ignore-unknown-request-members": (
        "tests/test_conformance_zoo.py::test_a_fault_of_the_protocol_fails_exactly_its_checks_and_no_case"
        "[rejects_unknown_members]",
    ),
}
#: Protocol requirements the runner does not check yet, and why; the coverage page
#: lists them as gaps. An id moves to :data:`ADAPTER_CHECKS` once a check exists.
ADAPTER_UNCHECKED: dict[str, str] = {}

_KEYWORD = re.compile(r"\b(MUST(?: NOT)?|REQUIRED|SHALL(?: NOT)?)\b")
_SHOULD = re.compile(r"\b(SHOULD(?: NOT)?|RECOMMENDED)\b")
# A keyword used as a noun: "a MUST or MUST NOT of the standard".
_MENTION = re.compile(
    r"\b(?:a|an|the)\s+(?:MUST|SHOULD|SHALL|REQUIRED)(?:\s+NOT)?\b(\s+or\s+MUST(?:\s+NOT)?)?"
    r"|\b(?:MUST|SHOULD|SHALL)(?:\s+NOT)?-level\b"
)
_MARKER = re.compile(
    r"\[req (?P<id>(?P<doc>[a-z0-9]+)\.(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)):"
    r" (?P<roles>[a-z]+(?:, [a-z]+)*)\]"
)
_MARKER_LIKE = re.compile(r"\[req\b[^\]\n]*\]?")
_HEADING = re.compile(r"^(?P<hashes>#+)\s+(?P<title>.+?)(?:\s+\{#(?P<anchor>[a-z0-9-]+)\})?\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+\.)\s+")
_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_QUOTED = re.compile(r'"[^"\n]*"')
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# The end of a sentence: . ! or ? followed by white space and a capital, a marker,
# inline code, emphasis or a parenthesis.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][)*])|(?<=[.!?]\*\*))\s+(?=[A-Z`*(\[\x00])")
_INFORMATIVE = "*This section is informative.*"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One normative statement of the specification."""

    id: str
    doc: str  #: the page: ``1.0.md``
    anchor: str  #: the anchor of the section it is in
    section: str  #: the title of that section
    line: int  #: the line of the marker
    text: str  #: the sentence, with links reduced to their text
    roles: tuple[str, ...]
    level: Literal["must", "should"]

    @property
    def case_roles(self) -> tuple[str, ...]:
        """The roles whose core cases must name it."""
        return tuple(r for r in self.roles if r in CASE_ROLES)


@dataclass(frozen=True, slots=True)
class RequirementProblem:
    """A problem of the markers: where, the sentence, and what to do."""

    file: str
    line: int
    message: str
    sentence: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: {self.message}"
        return f"{where}\n    {self.sentence}" if self.sentence else where


@dataclass(frozen=True, slots=True)
class Requirements:
    """The requirements of the spec pages, and the problems of their markers."""

    items: tuple[Requirement, ...]
    problems: tuple[RequirementProblem, ...]

    def by_id(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.items}


# ------------------------------------------------------------------------------ reading


def find_spec_root(start: Path) -> Path | None:
    """The ``spec/`` folder of the repository that holds *start*, if any."""
    for parent in (start.resolve(), *start.resolve().parents):
        spec = parent / "spec"
        if (spec / "index.md").is_file():
            return spec
    return None


def published_requirement_ids(spec_root: Path) -> list[str]:
    """Every requirement id ever published, in order (``spec/requirements-ids.txt``)."""
    return read_id_list(spec_root / IDS_FILE)


def read_id_list(path: Path) -> list[str]:
    """The ids of an append-only id file (one per line, ``#`` comments), in order; none
    when the file does not exist.  Case ids (``ids.txt``, ``RETIRED``) use it too."""
    if not path.is_file():
        return []
    ids = []
    for line in path.read_text("utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            ids.append(text)
    return ids


@dataclass(slots=True)
class _Unit:
    """A paragraph, a list item or a table row: where sentences are looked for."""

    line: int
    lines: list[str]
    anchor: str
    section: str
    lead: str  # the paragraph that introduces a list, for items that start with a keyword


def _units(text: str) -> Iterator[_Unit]:
    anchor, section = "", ""
    informative_level: int | None = None
    pending: list[str] = []
    pending_line = 0
    in_fence = False
    lead = ""
    last_paragraph = ""
    kind = ""

    def flush() -> Iterator[_Unit]:
        nonlocal pending, last_paragraph
        if pending and informative_level is None:
            yield _Unit(pending_line, pending, anchor, section, lead if kind == "item" else "")
        if pending and kind == "paragraph":
            last_paragraph = " ".join(x.strip() for x in pending)
        pending = []

    lines = text.splitlines()
    for number, raw in enumerate(lines, start=1):
        if _FENCE.match(raw):
            yield from flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _HEADING.match(raw)
        if heading:
            yield from flush()
            level = len(heading["hashes"])
            if informative_level is not None and level <= informative_level:
                informative_level = None
            anchor = heading["anchor"] or anchor
            section = heading["title"]
            following = next((x.strip() for x in lines[number:] if x.strip()), "")
            if following.startswith(_INFORMATIVE):
                informative_level = level
            last_paragraph = ""
            continue
        if not raw.strip():
            yield from flush()
            continue
        item = _ITEM.match(raw)
        if raw.lstrip().startswith("|"):
            yield from flush()
            kind, pending, pending_line = "row", [raw], number
            yield from flush()
            continue
        if item:
            yield from flush()
            if kind != "item":
                lead = last_paragraph if last_paragraph.endswith(":") else ""
            kind, pending, pending_line = "item", [raw[item.end() :]], number
            continue
        if not pending:
            kind, pending_line = "paragraph", number
            if not raw.startswith((" ", "\t")):
                lead = ""
        pending.append(raw)
    yield from flush()


def _plain(text: str) -> str:
    """*text* without the parts that cannot be normative: inline code, quotes, mentions."""
    text = _CODE.sub("CODE", text)
    text = _QUOTED.sub("QUOTED", text)
    return _MENTION.sub("MENTION", text)


def _sentences(text: str) -> list[str]:
    # Split where inline code cannot interfere: code spans become placeholders first.
    spans: list[str] = []

    def hide(match: re.Match[str]) -> str:
        spans.append(match[0])
        return f"\x00{len(spans) - 1}\x00"

    hidden = _CODE.sub(hide, text)
    parts = [p for p in _SENTENCE_END.split(hidden) if p.strip()]
    return [re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m[1])], p) for p in parts]


def _shown(sentence: str) -> str:
    return " ".join(_LINK.sub(r"\1", sentence).split())


def _read_page(path: Path, shown_as: str) -> tuple[list[Requirement], list[RequirementProblem]]:
    doc = DOCS[path.name]
    found: list[Requirement] = []
    problems: list[RequirementProblem] = []
    for unit in _units(path.read_text("utf-8")):
        text = " ".join(x.strip() for x in unit.lines)
        if unit.lines[0].lstrip().startswith("|"):
            text = text.replace(" | ", ". ").strip("| ")
        # Markers inside inline code are examples, not markers: look for them in a copy
        # of the text whose code spans are blanked (same length, same positions).
        masked = _CODE.sub(lambda m: "`" + " " * (len(m[0]) - 2) + "`", text)
        for bad in _MARKER_LIKE.finditer(masked):
            if not _MARKER.fullmatch(bad[0]):
                problems.append(
                    RequirementProblem(
                        shown_as,
                        unit.line,
                        f"malformed marker {bad[0]!r}: write [req {doc}.some-name: ROLE, ...] "
                        f"with ROLE one of {', '.join(ROLES)}",
                    )
                )
        # The segments between markers: each marker belongs to the sentence before it.
        position, previous = 0, ""
        for marker in _MARKER.finditer(masked):
            segment = text[position : marker.start()]
            position = marker.end()
            sentences = _sentences(segment)
            normative = [s for s in sentences if _KEYWORD.search(_plain(s))]
            for extra in normative[:-1]:
                problems.append(_unmarked(shown_as, unit.line, extra, doc))
            if sentences:
                previous = sentences[-1]
                if normative and normative[-1] != previous:
                    problems.append(
                        RequirementProblem(
                            shown_as,
                            unit.line,
                            f"the marker [req {marker['id']}: ...] must come right after the "
                            "normative sentence it marks, not after the sentence that follows it",
                            _shown(normative[-1]),
                        )
                    )
                    previous = normative[-1]
            if not previous:
                problems.append(
                    RequirementProblem(
                        shown_as, unit.line, f"the marker {marker[0]} has no sentence before it"
                    )
                )
                continue
            plain = _plain(previous)
            level: Literal["must", "should"]
            if _KEYWORD.search(plain):
                level = "must"
            elif _SHOULD.search(plain):
                level = "should"
            else:
                problems.append(
                    RequirementProblem(
                        shown_as,
                        unit.line,
                        f"the marker {marker[0]} follows a sentence with no MUST, MUST NOT, "
                        "REQUIRED, SHALL or SHOULD: move it after the normative sentence",
                        _shown(previous),
                    )
                )
                continue
            roles = tuple(marker["roles"].split(", "))
            unknown = [r for r in roles if r not in ROLES]
            if unknown:
                problems.append(
                    RequirementProblem(
                        shown_as,
                        unit.line,
                        f"the marker {marker[0]} names unknown roles {unknown}: "
                        f"use {', '.join(ROLES)}",
                    )
                )
            if "none" in roles and len(roles) > 1:
                problems.append(
                    RequirementProblem(
                        shown_as,
                        unit.line,
                        f"the marker {marker[0]}: 'none' cannot be combined with other roles",
                    )
                )
            if marker["doc"] != doc:
                problems.append(
                    RequirementProblem(
                        shown_as,
                        unit.line,
                        f"the marker {marker[0]} is in {path.name}, whose ids start with '{doc}.'",
                    )
                )
            sentence = _shown(previous)
            if unit.lead and re.match(r"(MUST|SHALL)\b", sentence):
                sentence = f"{_shown(unit.lead)} … {sentence}"
            found.append(
                Requirement(
                    id=marker["id"],
                    doc=path.name,
                    anchor=unit.anchor,
                    section=unit.section,
                    line=unit.line,
                    text=_MARKER.sub("", sentence).strip(),
                    roles=roles,
                    level=level,
                )
            )
        for sentence in _sentences(text[position:]):
            if _KEYWORD.search(_plain(sentence)):
                problems.append(_unmarked(shown_as, unit.line, sentence, doc))
    return found, problems


def _unmarked(file: str, line: int, sentence: str, doc: str) -> RequirementProblem:
    keyword = _KEYWORD.search(_plain(sentence))
    word = keyword[0] if keyword else "MUST"
    return RequirementProblem(
        file,
        line,
        f"a normative sentence ({word}) has no requirement id: add "
        f"'[req {doc}.some-name: ROLES]' right after it (ROLES: the roles that test it, "
        f"among {', '.join(ROLES)})",
        _shown(sentence),
    )


def read_requirements(spec_root: Path, *, shown_root: Path | None = None) -> Requirements:
    """Every requirement of the spec pages in *spec_root*, and every problem of their markers.

    File names in problems are relative to *shown_root* (default: the parent of *spec_root*).
    """
    shown_root = shown_root or spec_root.parent
    items: list[Requirement] = []
    problems: list[RequirementProblem] = []
    for name in DOCS:
        path = spec_root / name
        if not path.is_file():
            continue
        shown_as = path.relative_to(shown_root).as_posix()
        found, trouble = _read_page(path, shown_as)
        items += found
        problems += trouble
    seen: dict[str, Requirement] = {}
    for item in items:
        if item.id in seen:
            first = seen[item.id]
            problems.append(
                RequirementProblem(
                    (spec_root / item.doc).relative_to(shown_root).as_posix(),
                    item.line,
                    f"duplicate requirement id {item.id!r} (also {first.doc}:{first.line}): "
                    "give each statement its own id",
                    item.text,
                )
            )
        else:
            seen[item.id] = item
    published = published_requirement_ids(spec_root)
    ids_file = (spec_root / IDS_FILE).relative_to(shown_root).as_posix()
    for gone in [i for i in published if i not in seen]:
        problems.append(
            RequirementProblem(
                ids_file,
                published.index(gone) + 1,
                f"the published requirement id {gone!r} is in no marker any more: "
                "requirement ids never disappear (keep the marker on its statement)",
            )
        )
    for new in [i for i in seen if i not in published]:
        item = seen[new]
        problems.append(
            RequirementProblem(
                ids_file,
                len(published) + 1,
                f"the requirement id {new!r} ({item.doc}:{item.line}) is not published: "
                f"append it to {IDS_FILE}",
            )
        )
    if len(set(published)) != len(published):
        problems.append(RequirementProblem(ids_file, 0, "an id is listed twice"))
    return Requirements(tuple(seen.values()), tuple(problems))


# ----------------------------------------------------------------------------- coverage


class CaseLike(Protocol):
    """What coverage needs of a case (:class:`envspec.conformance.cases.ValidatorCase`, ...)."""

    @property
    def id(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def requires(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class CoverageProblem:
    """A gap between the requirements and the cases: a case (``case``) or a requirement
    (``file`` and ``line`` of its marker) at fault."""

    message: str
    case: str | None = None
    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        if self.case:
            return f"case {self.case}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


def coverage(
    requirements: Iterable[Requirement], cases: Iterable[CaseLike]
) -> dict[str, dict[str, list[str]]]:
    """Requirement id -> ``{"core": [case ids], "extended": [case ids]}``."""
    table: dict[str, dict[str, list[str]]] = {
        r.id: {"core": [], "extended": []} for r in requirements
    }
    for case in cases:
        for req in case.requires:
            if req in table:
                table[req][case.level].append(case.id)
    return table


def coverage_problems(
    requirements: Iterable[Requirement],
    cases: Iterable[CaseLike],
    *,
    spec_folder: str = "spec",
    adapter_checks: dict[str, tuple[str, ...]] | None = None,
) -> list[CoverageProblem]:
    """What the cases lack: a MUST of a role without a core case of that role, a case
    that names an unknown id or an id of another role, an extended case that names a
    MUST, an ``adapter`` requirement without a runner check in :data:`ADAPTER_CHECKS`."""
    by_id = {r.id: r for r in requirements}
    checks = ADAPTER_CHECKS if adapter_checks is None else adapter_checks
    problems: list[CoverageProblem] = []
    covered: set[tuple[str, str]] = set()
    for case in cases:
        for req in case.requires:
            requirement = by_id.get(req)
            if requirement is None:
                problems.append(
                    CoverageProblem(
                        f"requires {req!r}, which is no requirement id of the spec "
                        "(the ids are the [req ...] markers of spec/*.md)",
                        case.id,
                    )
                )
                continue
            if case.role not in requirement.roles:
                problems.append(
                    CoverageProblem(
                        f"requires {req!r}, which does not bind the {case.role} role "
                        f"(its roles: {', '.join(requirement.roles)})",
                        case.id,
                    )
                )
            if case.level == "extended" and requirement.level == "must":
                problems.append(
                    CoverageProblem(
                        f"an extended case requires the MUST-level {req!r}: make the case "
                        "core, or name the SHOULD-level requirement it tests",
                        case.id,
                    )
                )
            if case.level == "core":
                covered.add((req, case.role))
    for requirement in by_id.values():
        file, line = f"{spec_folder}/{requirement.doc}", requirement.line
        if requirement.level != "must":
            continue
        for role in requirement.case_roles:
            if (requirement.id, role) not in covered:
                problems.append(
                    CoverageProblem(
                        f"{requirement.id} binds the {role} role, but no core {role} case "
                        f"requires it: add a core case with 'requires: [{requirement.id}]' "
                        f"(the requirement: {requirement.text})",
                        file=file,
                        line=line,
                    )
                )
        unchecked = requirement.id in ADAPTER_UNCHECKED
        if "adapter" in requirement.roles and not checks.get(requirement.id) and not unchecked:
            problems.append(
                CoverageProblem(
                    f"{requirement.id} binds adapters, but no runner check is listed for it "
                    "in envspec.conformance.requirements.ADAPTER_CHECKS (or, with the reason, "
                    "in ADAPTER_UNCHECKED)",
                    file=file,
                    line=line,
                )
            )
    # The table belongs to the protocol page: checked when that page was read.
    protocol_read = any(r.doc == "conformance.md" for r in by_id.values())
    for req in checks if protocol_read else ():
        if req not in by_id:
            problems.append(
                CoverageProblem(f"ADAPTER_CHECKS names {req!r}, which is no requirement id")
            )
        elif "adapter" not in by_id[req].roles:
            problems.append(
                CoverageProblem(f"ADAPTER_CHECKS names {req!r}, which does not bind adapters")
            )
    return problems
