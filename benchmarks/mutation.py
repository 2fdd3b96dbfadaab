"""Mutation testing of the reference implementation, with the core cases as the only test.

For each module in scope, mutmut (``pip install -e '.[mutation]'``) makes small
changes ("mutants") to the module's functions, and runs, for each mutant, the
core conformance cases that reach the changed function. A mutant that makes a
case fail is *killed*; one that every case still passes *survived*: either the
suite misses a behaviour the specification requires (add a case), or the
change does not change behaviour (record it in
``conformance/mutation-equivalents.txt`` with a one-line reason).

    python benchmarks/mutation.py                       # every module in scope
    python benchmarks/mutation.py --module envspec.checks.requirements --jobs 2
    python benchmarks/mutation.py --report-only         # the table from earlier results

Results are incremental: each module has its own work folder under
``.mutation/`` (``--workdir``), and a rerun continues where the last run
stopped. A module's results are thrown away when the source code, the cases or
this script change (``--fresh`` throws them away anyway). The per-module table
is printed and written to ``<workdir>/report.md`` and ``report.json``, with
every surviving mutant and its diff.

Mutation jobs run under ``nice -n 19``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "envspec"
EQUIVALENTS = ROOT / "conformance" / "mutation-equivalents.txt"
CASES = SRC / "conformance" / "cases"
TEST_TEMPLATE = Path(__file__).resolve().with_name("mutation_core_cases.py")

#: The reference implementation's rules, migrations and pack/unpack code.
MODULES = (
    "envspec.checks",
    "envspec.checks.conda",
    "envspec.checks.fields",
    "envspec.checks.requirements",
    "envspec.checks.scheme",
    "envspec.checks.secrets",
    "envspec.checks.textfiles",
    "envspec.checks.tomlfiles",
    "envspec.validate",
    "envspec.migrations",
    "envspec.migrations.v0_1_v1_0",
    "envspec.pack",
    "envspec.unpack",
)

#: Modules left out of the default run, and why (``--module`` still runs them).
LEFT_OUT = {
    "envspec.checks.consistency": "every rule in it is a SHOULD (1.0.md#consistency), tested "
    "by extended cases; the core cases only check that consistent documents get no error",
}

#: Exit codes of mutmut, by meaning.
KILLED = {1, 3, 36, -24, 24, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}

# Verdict caches remember results across cases (and across the fork from the
# process that ran the unmutated cases): in the work copy they go, so that every
# mutant is exercised. Without a cache a function's behaviour is the same.
_CACHE_DECORATOR = re.compile(r"^[ \t]*@(?:functools\.)?(?:lru_cache\([^)]*\)|cache)[ \t]*\n", re.M)


def module_path(module: str) -> Path:
    """The source file of *module* (a package's ``__init__.py``)."""
    relative = Path(*module.split("."))
    package = ROOT / "src" / relative / "__init__.py"
    return package if package.is_file() else ROOT / "src" / relative.with_suffix(".py")


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def fingerprint() -> dict[str, str]:
    """What the results depend on. When the code (or the test, or mutmut) changes,
    every mutant is tested again; when only the cases change, the mutants that
    were not killed are."""
    from importlib.metadata import version

    code = [*SRC.rglob("*.py"), TEST_TEMPLATE]  # not this script: it only reports
    return {
        "code": _digest(code) + "-" + version("mutmut"),
        "cases": _digest([p for p in CASES.rglob("*") if p.is_file()]),
    }


def core_case_ids() -> list[str]:
    """The ids of the core cases that the unmutated reference adapter passes."""
    from envspec.conformance.cases import Selection, load_cases
    from envspec.conformance.runner import run
    from envspec.conformance.transport import connect

    cases = Selection(levels=("core",)).apply(load_cases())
    result = run(cases, connect("python:envspec.conformance.reference:Adapter"))
    failing = [r.case.id for r in result.results if r.status != "pass"]
    if failing:
        print(f"left out (the reference does not pass them): {', '.join(failing)}")
    return [r.case.id for r in result.results if r.status == "pass"]


def prepare(workdir: Path, module: str, ids: list[str], stamp: dict[str, str]) -> None:
    """A fresh work folder: a copy of the package, the test, mutmut's configuration."""
    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "tests").mkdir(parents=True)
    shutil.copytree(SRC, workdir / "src" / "envspec", ignore=shutil.ignore_patterns("__pycache__"))
    for path in (workdir / "src").rglob("*.py"):
        text = path.read_text("utf-8")
        stripped = _CACHE_DECORATOR.sub("", text)
        if stripped != text:
            path.write_text(stripped, "utf-8")
    shutil.copy(TEST_TEMPLATE, workdir / "tests" / "test_core_cases.py")
    (workdir / "tests" / "core_cases.json").write_text(json.dumps(ids), "utf-8")
    target = module_path(module).relative_to(ROOT).as_posix()
    config = f"""\
[tool.mutmut]
source_paths = ["src"]
only_mutate = [{json.dumps(target)}]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning"]
pytest_add_cli_args_test_selection = ["tests"]
use_git_change_detection = false
track_dependencies = false

[tool.pytest.ini_options]
testpaths = ["tests"]
"""
    (workdir / "pyproject.toml").write_text(config, "utf-8")
    (workdir / "stamp.json").write_text(json.dumps({**stamp, "cases": ""}), "utf-8")


def sync_cases(workdir: Path, ids: list[str]) -> None:
    """New or changed cases, in the work copy and in mutmut's copy of it."""
    for copy in (workdir / "src", workdir / "mutants" / "src"):
        target = copy / "envspec" / "conformance" / "cases"
        if target.exists():
            shutil.rmtree(target)
            shutil.copytree(CASES, target)
    for tests in (workdir / "tests", workdir / "mutants" / "tests"):
        if tests.exists():
            (tests / "core_cases.json").write_text(json.dumps(ids), "utf-8")


def run_mutmut(workdir: Path, jobs: int, names: list[str] | None = None) -> int:
    """One mutmut run in *workdir*, niced: the mutants not tested yet, or *names*."""
    mutmut = Path(sys.executable).with_name("mutmut")
    command = [str(mutmut), "run", "--max-children", str(jobs), *(names or [])]
    if shutil.which("nice"):
        command = ["nice", "-n", "19", *command]
    with (workdir / "mutmut.log").open("ab") as log:
        return subprocess.call(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)


# ------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Equivalent:
    """One line of the equivalents file: a mutant that no case can kill, and why."""

    module: str
    function: str
    original: str
    mutated: str
    reason: str


def read_equivalents(path: Path = EQUIVALENTS) -> list[Equivalent]:
    """``module<TAB>function<TAB>original line<TAB>mutated line<TAB>reason`` per line."""
    items = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 5 or not all(p.strip() for p in parts):
            raise ValueError(f"{path.name}:{number}: expected 5 tab-separated fields")
        items.append(Equivalent(*(p.strip() for p in parts)))
    return items


@dataclass
class Mutant:
    name: str
    status: str
    function: str = ""
    original: str = ""
    mutated: str = ""
    diff: str = ""
    reason: str = ""

    @property
    def alive(self) -> bool:
        return self.status in ("survived", "no tests")

    def key(self) -> tuple[str, str, str]:
        return (self.function, self.original, self.mutated)


@dataclass
class ModuleResult:
    module: str
    mutants: list[Mutant] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for m in self.mutants if m.status == status)

    @property
    def score(self) -> float | None:
        """Killed among the mutants that a case reaches and that are not equivalent."""
        counted = self.count("killed") + self.count("survived")
        return self.count("killed") / counted if counted else None

    def unreached(self) -> list[str]:
        """Functions that no core case calls: outside what the suite can test."""
        return sorted({m.function for m in self.mutants if m.status == "no tests"})


def function_of(name: str) -> str:
    """``envspec.x.x_f__mutmut_3`` -> ``f``; a method: ``Class.method``."""
    mangled = name.rpartition(".")[2].partition("__mutmut_")[0]
    if "ǁ" in mangled:
        _, cls, method = mangled.split("ǁ")
        return f"{cls}.{method}"
    return mangled.removeprefix("x_")


def changed_lines(diff: str) -> tuple[str, str]:
    """The first removed and the first added line of a mutant's diff (stripped)."""
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+")]
    removed = [r for r in removed if not r.startswith("--")]
    added = [a for a in added if not a.startswith("++")]
    return (removed[0] if removed else ""), (added[0] if added else "(line removed)")


#: Calls whose arguments at these positions (or keywords) are for people only: the
#: suite compares codes and pointers, never messages, lines or columns.
_FOR_PEOPLE = {
    "Finding": ({1, 3, 4, 5}, {"message", "line", "column", "hint"}),
    "_at": ({0, 1, 2}, {"text", "offset", "message"}),  # scheme: text and offset give line/col
    "Diagnostic": ({2, 5, 6}, {"message", "line", "column", "hint"}),
    "replace": (set(), {"message", "line", "column", "hint"}),  # dataclasses.replace
    "diagnostic": ({1}, {"message", "line", "column", "hint"}),
    # Migrations: the error's message and problems, a step's notes, why a member is kept.
    "MigrationError": ({1, 2}, {"message", "problems"}),
    "StepOutput": ({1}, {"notes"}),
    "keep": ({1}, set()),
}
MESSAGE_REASON = (
    "only a message, line or column changes: the suite compares codes and pointers "
    "(spec/conformance.md#expectations)"
)


def _sides(diff: str) -> tuple[str, str]:
    """The original and the mutated function, rebuilt from a unified diff."""
    old, new = [], []
    for line in diff.splitlines()[2:]:
        if line.startswith("@@"):
            continue
        tag, text = line[:1], line[1:]
        if tag in (" ", "-"):
            old.append(text)
        if tag in (" ", "+"):
            new.append(text)
    return "\n".join(old), "\n".join(new)


def for_people_only(diff: str) -> bool:
    """Whether a mutant changes nothing but messages, lines and columns of diagnostics.

    Blanks the arguments for people in both versions of the function, then every
    assignment to a local name that is read nowhere else (a message built in
    steps), and compares what is left.
    """
    import ast

    def blank(tree: ast.AST) -> str:
        class Calls(ast.NodeTransformer):
            def visit_Call(self, node: ast.Call) -> ast.AST:
                self.generic_visit(node)
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                owner = getattr(func, "value", None)
                if name == "append" and isinstance(owner, ast.Name) and owner.id == "notes":
                    node.args = [ast.Constant("*")]  # notes for the person migrating
                    return node
                if name in _FOR_PEOPLE:
                    positions, keywords = _FOR_PEOPLE[name]
                    args = [
                        ast.Constant("*") if i in positions else a for i, a in enumerate(node.args)
                    ]
                    # Trailing arguments for people may be left out (they have defaults).
                    while args and isinstance(args[-1], ast.Constant) and args[-1].value == "*":
                        args.pop()
                    node.args = args
                    # Keywords for people have defaults too: leaving one out changes nothing.
                    node.keywords = [k for k in node.keywords if k.arg not in keywords]
                return node

        class Dead(ast.NodeTransformer):
            def __init__(self, read: set[str]) -> None:
                self.read = read
                self.changed = False

            def visit_Assign(self, node: ast.Assign) -> ast.AST:
                targets = [
                    e for t in node.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])
                ]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                blanked = isinstance(node.value, ast.Constant) and node.value.value == "*"
                whole = len(names) == len(targets)
                if whole and not set(names) & self.read and not blanked:
                    node.value = ast.Constant("*")
                    self.changed = True
                return node

        tree = Calls().visit(tree)
        while True:
            read = {
                n.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            }
            dead = Dead(read)
            tree = dead.visit(tree)
            if not dead.changed:
                return ast.dump(tree)

    try:
        old, new = (ast.parse(textwrap.dedent(side)) for side in _sides(diff))
    except SyntaxError:
        return False
    return blank(old) == blank(new)


_DIFFS = """
import difflib, json, sys
import libcst as cst
from mutmut.mutation import diff_apply as d
out, modules = {}, {}
for name in json.loads(sys.stdin.read()):
    try:
        path = d.find_mutant(name).path
        if path not in modules:  # parsing a module of mutants takes long: once each
            modules[path] = d.read_mutants_module(path)
        module = modules[path]
        functions = (d.read_original_function(module, name), d.read_mutant_function(module, name))
        old, new = (cst.Module([f]).code.strip().split("\\n") for f in functions)
        n = len(old) + len(new)
        diff = difflib.unified_diff(old, new, str(path), str(path), lineterm="", n=n)
        out[name] = "\\n".join(diff)
    except Exception as exc:
        out[name] = f"(no diff: {exc!r})"
print(json.dumps(out))
"""


def collect(
    module: str, workdir: Path, equivalents: list[Equivalent], *, diffs: bool = False
) -> ModuleResult:
    """The status of every mutant of *module*, and the diffs of those that survived."""
    result = ModuleResult(module)
    meta = workdir / "mutants" / (module_path(module).relative_to(ROOT).as_posix() + ".meta")
    if not meta.is_file():
        return result
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    for name, code in sorted(codes.items()):
        if code in KILLED:
            status = "killed"
        elif code in SURVIVED:
            status = "survived"
        elif code in NO_TESTS:
            status = "no tests"
        else:
            status = "not checked" if code is None else f"exit {code}"
        result.mutants.append(Mutant(name, status, function_of(name)))
    alive = [m for m in result.mutants if m.status == "survived"]
    if alive and diffs:
        out = subprocess.run(
            [sys.executable, "-c", _DIFFS],
            cwd=workdir,
            input=json.dumps([m.name for m in alive]),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        diffs = json.loads(out)
        known = {(e.function, e.original, e.mutated): e for e in equivalents if e.module == module}
        for m in alive:
            m.diff = diffs[m.name]
            m.original, m.mutated = changed_lines(m.diff)
            equivalent = known.get(m.key())
            if equivalent is not None:
                m.status = "equivalent"
                m.reason = equivalent.reason
    return result


def report(results: list[ModuleResult], workdir: Path, goal: float) -> str:
    head = "| module | mutants | killed | survived | equivalent | unreached | score |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        score = "-" if r.score is None else f"{r.score:.1%}"
        lines.append(
            f"| {r.module} | {len(r.mutants)} | {r.count('killed')} | {r.count('survived')} "
            f"| {r.count('equivalent')} | {r.count('no tests')} | {score} |"
        )
    table = "\n".join(lines)
    below = [r.module for r in results if r.score is not None and r.score < goal]
    verdict = (
        f"Every module measured reaches {goal:.0%}."
        if not below
        else f"Below {goal:.0%}: {', '.join(below)}."
    )
    parts = ["# Mutation run", "", table, "", verdict, ""]
    unreached = [f"- {r.module}: {', '.join(r.unreached())}" for r in results if r.unreached()]
    if unreached:
        parts += ["Functions no core case reaches (not scored):", "", *unreached, ""]
    for r in results:
        alive = [m for m in r.mutants if m.status == "survived"]
        if not alive:
            continue
        parts += [f"## {r.module}: {len(alive)} alive", ""]
        for m in alive:
            parts += [f"### {m.name} ({m.status})", "", "```diff", m.diff, "```", ""]
            if for_people_only(m.diff):
                parts += [
                    "Only a message, line or column changes (in suggested-equivalents.txt).",
                    "",
                ]
                continue
            parts += [
                "Equivalent? Add this line (tab-separated) with a reason:",
                "",
                "```text",
                "\t".join([r.module, m.function, m.original, m.mutated, "REASON"]),
                "```",
                "",
            ]
    (workdir / "report.md").write_text("\n".join(parts), "utf-8")
    suggested = [
        "\t".join([r.module, m.function, m.original, m.mutated, MESSAGE_REASON])
        for r in results
        for m in r.mutants
        if m.status == "survived" and m.original and for_people_only(m.diff)
    ]
    (workdir / "suggested-equivalents.txt").write_text(
        "".join(f"{line}\n" for line in suggested), "utf-8"
    )
    data = [
        {
            "module": r.module,
            "score": r.score,
            "counts": {s: r.count(s) for s in ("killed", "survived", "no tests", "equivalent")},
            "mutants": [m.__dict__ for m in r.mutants],
        }
        for r in results
    ]
    (workdir / "report.json").write_text(json.dumps(data, indent=1), "utf-8")
    return f"{table}\n\n{verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--module", action="append", metavar="NAME", help="a module in scope (repeatable)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument(
        "--workdir", type=Path, default=ROOT / ".mutation", help="results (default .mutation/)"
    )
    parser.add_argument("--fresh", action="store_true", help="discard earlier results")
    parser.add_argument("--report-only", action="store_true", help="only report earlier results")
    parser.add_argument("--goal", type=float, default=0.9, help="score per module (default 0.9)")
    args = parser.parse_args(argv)
    modules = args.module or list(MODULES)
    unknown = [m for m in modules if m not in MODULES and m not in LEFT_OUT]
    if unknown:
        parser.error(f"not in scope: {', '.join(unknown)} (in scope: {', '.join(MODULES)})")
    equivalents = read_equivalents()
    results = []
    for module in modules:
        workdir = args.workdir / module
        if not args.report_only:
            try:
                old = json.loads((workdir / "stamp.json").read_text("utf-8"))
            except (OSError, ValueError):
                old = {}
            alive: list[str] = []
            stamp = fingerprint()  # per module: the cases may change during a long run
            if args.fresh or old.get("code") != stamp["code"]:
                prepare(workdir, module, core_case_ids(), stamp)
            elif old.get("cases") != stamp["cases"]:
                alive = [m.name for m in collect(module, workdir, []).mutants if m.alive]
                sync_cases(workdir, core_case_ids())
            print(f"{module}: mutating (log: {workdir / 'mutmut.log'})", flush=True)
            code = run_mutmut(workdir, args.jobs)
            if alive and code == 0:
                print(f"{module}: the cases changed, {len(alive)} mutants again", flush=True)
                code = run_mutmut(workdir, args.jobs, alive)
            if code == 0:  # the results are up to date with these cases
                (workdir / "stamp.json").write_text(json.dumps(stamp), "utf-8")
            else:
                print(f"{module}: mutmut exited with {code}, see the log", file=sys.stderr)
        results.append(collect(module, workdir, equivalents, diffs=True))
        # Incremental: the report covers every module done so far.
        print(report(results, args.workdir, args.goal).splitlines()[-3], flush=True)
    print(report(results, args.workdir, args.goal))
    print(f"\nsurviving mutants and their diffs: {args.workdir / 'report.md'}")
    below = [r for r in results if r.score is not None and r.score < args.goal]
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
