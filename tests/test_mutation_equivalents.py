"""The mutation run's equivalents file names mutants that still exist.

``conformance/mutation-equivalents.txt`` lists the mutants of the reference
implementation that no conformance case can kill, each with a reason
(``benchmarks/mutation.py`` reads it; docs/mutation.md). A mutant is named by
its module, its function and the source line it changes, so an entry goes
stale when that code changes: then the entry must be removed or updated, and
this test says which.  No mutation run happens here.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "conformance" / "mutation-equivalents.txt"
SRC = ROOT / "src"


def entries() -> list[tuple[int, list[str]]]:
    rows = []
    for number, line in enumerate(EQUIVALENTS.read_text("utf-8").splitlines(), 1):
        if line.strip() and not line.startswith("#"):
            rows.append((number, line.split("\t")))
    return rows


def module_file(module: str) -> Path:
    relative = Path(*module.split("."))
    package = SRC / relative / "__init__.py"
    return package if package.is_file() else SRC / relative.with_suffix(".py")


@functools.cache
def _parsed(path: Path) -> tuple[str, list[ast.stmt]]:
    source = path.read_text("utf-8")
    return source, ast.parse(source).body


@functools.cache
def function_source(path: Path, function: str) -> str | None:
    """The source of *function* (``name`` or ``Class.method``) in *path*, or None."""
    source, body = _parsed(path)
    *classes, name = function.split(".")
    for cls in classes:
        found = [n for n in body if isinstance(n, ast.ClassDef) and n.name == cls]
        if not found:
            return None
        body = found[0].body
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(source, node)
    return None


def test_the_file_is_well_formed():
    rows = entries()
    assert rows, "no entries: is the file in its place?"
    seen: set[tuple[str, ...]] = set()
    for number, fields in rows:
        assert len(fields) == 5, f"line {number}: 5 tab-separated fields, not {len(fields)}"
        assert all(f.strip() for f in fields), f"line {number}: an empty field"
        module, function, original, mutated, reason = (f.strip() for f in fields)
        assert original != mutated, f"line {number}: the mutated line is the original"
        key = (module, function, original, mutated)
        assert key not in seen, f"line {number}: listed twice"
        seen.add(key)
        assert len(reason) >= 10, f"line {number}: give the reason"


def test_each_listed_mutant_still_exists():
    stale = []
    for number, fields in entries():
        module, function, original = (f.strip() for f in fields[:3])
        path = module_file(module)
        if not path.is_file():
            stale.append(f"line {number}: no module {module}")
            continue
        source = function_source(path, function)
        if source is None:
            stale.append(f"line {number}: {module} has no function {function}")
        elif original not in {line.strip() for line in source.splitlines()}:
            stale.append(f"line {number}: {module}.{function} no longer has {original!r}")
    # The code changed under these entries: rerun the mutation run and update them.
    assert stale == []


def test_a_stale_entry_is_found(tmp_path):
    # The check itself: a function that is gone, and a line that is gone.
    assert function_source(module_file("envspec.checks.scheme"), "no_such_function") is None
    source = function_source(module_file("envspec.checks.scheme"), "check_scheme")
    assert source is not None
    assert "stack: list[tuple[str, int]] = []" in {line.strip() for line in source.splitlines()}
    assert "this line was never written" not in source
