"""The case linter: what ``envspec conformance lint`` checks in a folder of case files.

Beyond the case schema: ids are unique, published ids never disappear and
retired ids are never reused (``ids.txt`` and ``RETIRED``), features belong to
the role's vocabulary, diagnostic codes are in the registry, spec links point
at existing anchors, and validator expectations are coherent (an invalid file
expects at least one error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from envspec.conformance.cases import (
    AnyCase,
    CaseFileError,
    MigratorCase,
    PackerCase,
    ValidatorCase,
    cases_root,
    read_case_file,
)
from envspec.conformance.evaluate import GIT_COMMIT

__all__ = ["LintProblem", "lint", "published_ids", "retired_ids"]

_ANCHOR = re.compile(r"\{#([a-z0-9-]+)\}")


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One problem: the file, the case (if any) and what is wrong."""

    file: str
    case: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.case + ': ' if self.case else ''}{self.message}"


def _id_list(path: Path) -> list[str]:
    from envspec.conformance.requirements import read_id_list

    return read_id_list(path)


def published_ids(root: Path | None = None) -> list[str]:
    """Every id ever published (``ids.txt``), in order."""
    return _id_list((root or cases_root()) / "ids.txt")


def retired_ids(root: Path | None = None) -> list[str]:
    """Ids withdrawn from the suite (``RETIRED``); they are never used again."""
    return _id_list((root or cases_root()) / "RETIRED")


def _spec_anchors(root: Path) -> dict[str, set[str]] | None:
    # In the repository the cases sit in src/envspec/conformance/cases, the spec in spec/.
    for parent in root.resolve().parents:
        spec = parent / "spec"
        if (spec / "index.md").is_file():
            return {
                page.name: set(_ANCHOR.findall(page.read_text("utf-8")))
                for page in spec.glob("*.md")
            }
    return None


def _expected_codes(case: AnyCase) -> list[str]:
    # A cloud case expects codes of the deploy API's problems, not diagnostics.
    return [d.code for d in getattr(case.expect, "diagnostics", [])]


def _check_case(case: AnyCase, file: Path, root: Path) -> list[str]:
    from envspec._codes import CODES
    from envspec.conformance.features import FEATURES

    problems: list[str] = []
    relative = file.relative_to(root)
    if relative.parts[0] != case.role:
        problems.append(f"a {case.role} case in the folder {relative.parts[0]!r}")
    # A feature's cases are in <feature>.yaml, or split into <feature>.<part>.yaml files.
    feature_of_file = file.stem.split(".", 1)[0]
    if case.features[0] != feature_of_file:
        problems.append(
            f"its first feature {case.features[0]!r} is not the file's {feature_of_file!r}"
        )
    unknown = [f for f in case.features if f not in FEATURES[case.role]]
    if unknown:
        problems.append(f"unknown {case.role} features {unknown}")
    if len(set(case.features)) != len(case.features):
        problems.append("a feature is listed twice")
    if not case.id.startswith(f"{case.role}.{case.features[0]}."):
        problems.append(f"the id does not start with '{case.role}.{case.features[0]}.'")
    for code in _expected_codes(case):
        if code not in CODES:
            problems.append(f"{code!r} is not a code of the diagnostics registry")
    if isinstance(case, ValidatorCase):
        severity: dict[str, str] = {code: info.severity for code, info in CODES.items()}
        errors = [c for c in _expected_codes(case) if severity.get(c) == "error"]
        if not case.expect.valid and not errors:
            problems.append("an invalid file must expect at least one error code")
        if case.expect.valid and errors:
            problems.append(f"a valid file cannot expect the error codes {errors}")
    refused = isinstance(case, MigratorCase) and case.expect.document is None
    if refused and not _expected_codes(case):
        problems.append("a refused migration must expect the diagnostic that says why")
    if isinstance(case, PackerCase):
        if case.operation == "pack" and case.input.environment is not None:
            problems.append("input.environment is for unpack cases")
        if case.operation == "unpack" and (case.input.notebook or case.input.git):
            problems.append("input.notebook and input.git are for pack cases")
        if GIT_COMMIT in repr(case.expect.environment) and case.input.git is None:
            problems.append(f"{GIT_COMMIT!r} needs input.git")
    return problems


def lint(root: Path | None = None) -> list[LintProblem]:
    """Every problem of the case files under *root* (default: the shipped suite)."""
    root = root or cases_root()
    problems: list[LintProblem] = []
    seen: dict[str, str] = {}
    unread: list[str] = []  # the id prefixes (role.feature.) of files that did not load
    anchors = _spec_anchors(root)
    cases_by_file: dict[str, list[AnyCase]] = {}
    for path in sorted(root.rglob("*.yaml")):
        name = path.relative_to(root).as_posix()
        try:
            cases = read_case_file(path)
        except CaseFileError as exc:
            problems += [LintProblem(name, None, p) for p in exc.problems]
            # Its published ids are not "disappeared": the file's problems say why.
            role, _, stem = name.removesuffix(".yaml").partition("/")
            unread.append(f"{role}.{stem.split('.', 1)[0]}.")
            continue
        cases_by_file[name] = cases
        if not cases:
            problems.append(LintProblem(name, None, "the file has no case"))
        for case in cases:
            if case.id in seen:
                problem = f"duplicate id (also in {seen[case.id]})"
                problems.append(LintProblem(name, case.id, problem))
            seen[case.id] = name
            problems += [LintProblem(name, case.id, p) for p in _check_case(case, path, root)]
            if anchors is not None:
                page, _, anchor = case.spec.partition("#")
                if anchor not in anchors.get(page, set()):
                    problems.append(
                        LintProblem(name, case.id, f"spec link {case.spec!r}: no such anchor")
                    )
    published = published_ids(root)
    retired = set(retired_ids(root))
    for case_id in sorted(set(seen) & retired):
        problems.append(LintProblem(seen[case_id], case_id, "this id is retired: pick a new one"))
    for case_id in sorted(set(seen) - set(published) - retired):
        problems.append(
            LintProblem(
                seen[case_id],
                case_id,
                "not in ids.txt: add new ids there (envspec conformance lint --fix)",
            )
        )
    for case_id in published:
        if case_id.startswith(tuple(unread)):
            continue
        if case_id not in seen and case_id not in retired:
            problems.append(
                LintProblem(
                    "ids.txt",
                    case_id,
                    "a published case has disappeared: restore it, or list its id in RETIRED "
                    "with a reason (ids are never reused)",
                )
            )
    if len(set(published)) != len(published):
        problems.append(LintProblem("ids.txt", None, "an id is listed twice"))
    problems += _requirement_problems(root, cases_by_file)
    return problems


def _requirement_problems(root: Path, cases_by_file: dict[str, list[AnyCase]]) -> list[LintProblem]:
    """The ``requires`` of the cases against the requirement markers of the spec, when the
    spec is beside the cases (in the repository): unknown ids, extended cases that name a
    MUST, requirements of a role without a core case of that role."""
    from envspec.conformance.requirements import (
        coverage_problems,
        find_spec_root,
        read_requirements,
    )

    spec = find_spec_root(root)
    if spec is None:
        return []
    requirements = read_requirements(spec)
    problems = [
        LintProblem(f"{p.file}:{p.line}", None, _with_sentence(p.message, p.sentence))
        for p in requirements.problems
    ]
    file_of = {c.id: name for name, cases in cases_by_file.items() for c in cases}
    every = [c for cases in cases_by_file.values() for c in cases]
    spec_folder = spec.name
    for gap in coverage_problems(requirements.items, every, spec_folder=spec_folder):
        if gap.case:
            problems.append(LintProblem(file_of.get(gap.case, "?"), gap.case, gap.message))
        else:
            where = f"{gap.file}:{gap.line}" if gap.file else "ADAPTER_CHECKS"
            problems.append(LintProblem(where, None, gap.message))
    return problems


def _with_sentence(message: str, sentence: str) -> str:
    return f"{message}: {sentence!r}" if sentence else message


def add_new_ids(root: Path | None = None) -> list[str]:
    """Append the ids of new cases to ``ids.txt``; returns them."""
    root = root or cases_root()
    published = set(published_ids(root)) | set(retired_ids(root))
    new: list[str] = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            cases = read_case_file(path)
        except CaseFileError:
            continue
        new += [c.id for c in cases if c.id not in published and c.id not in new]
    if new:
        ids = root / "ids.txt"
        text = (
            ids.read_text("utf-8")
            if ids.is_file()
            else (
                "# Every case id ever published, one per line. Ids are never removed from this\n"
                "# list: a withdrawn case's id goes to RETIRED and is never used again.\n"
            )
        )
        if text and not text.endswith("\n"):
            text += "\n"
        ids.write_text(text + "".join(f"{i}\n" for i in new), "utf-8")
    return new
