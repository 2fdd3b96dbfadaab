"""Whole-process wall times of ``envspec validate`` against a floor and peer tools.

Usage::

    python benchmarks/run.py CORPUS_DIR [--repeat 5] [--python PATH] [--json OUT]

Every row is a separate process, timed from spawn to exit (interpreter start,
imports and output included).  Rows are run round-robin, one sample of each
per round, so drifting machine load hits every row alike; each row reports the
median.  Peak RSS comes from ``wait4`` on that child alone.

``envspec``, ``check-jsonschema`` and the Python used for the floor and
nbformat rows all come from the bin folder of ``--python`` (default: the
Python running this script).  Nothing needs the network.  Numbers belong in
an issue or release note, never in a test assertion; see README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
COMMITTED_SCHEMA = REPO / "schemas" / "environment-1.0.schema.json"
MANIFEST = "corpus-manifest.json"
COMMIT_FILES = 10

#: The floor: one process that reads every notebook and parses it with the standard library.
FLOOR_CODE = """\
import json, os, sys
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".ipynb"):
            with open(os.path.join(folder, name), "rb") as handle:
                json.loads(handle.read())
"""
#: nbformat's reader (which validates) followed by an explicit validate, as tools do.
NBFORMAT_CODE = """\
import os, sys
import nbformat
for folder, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        if name.endswith(".ipynb"):
            notebook = nbformat.read(os.path.join(folder, name), as_version=4)
            nbformat.validate(notebook)
"""

GOALS = (
    # (row key, what, limit, kind): kind "ratio" is x floor, "seconds" absolute,
    # "over-bare" seconds above the bare-python row.
    ("cold-nocache", "cold, --no-cache <= 1.0x floor", 1.0, "ratio"),
    ("cold-fresh", "cold, empty cache <= 1.0x floor", 1.0, "ratio"),
    ("warm", "warm cache <= 0.4x floor", 0.4, "ratio"),
    ("commit-nocache", "10-notebook commit, --no-cache <= 150 ms", 0.150, "seconds"),
    ("commit-warm", "10-notebook commit, warm cache <= 150 ms", 0.150, "seconds"),
    ("commit-edited", "10 edited notebooks, warm cache <= 150 ms", 0.150, "seconds"),
    ("version", "envspec --version <= bare python + 20 ms", 0.020, "over-bare"),
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One timed process."""

    seconds: float
    rss_mib: float | None
    exit_code: int


@dataclass(slots=True)
class Method:
    """One row of the table: a command, its environment, and what may run before each sample."""

    key: str
    label: str
    argv: list[str]
    group: str  # "throughput", "commit" or "startup"
    env: dict[str, str] = field(default_factory=dict)
    ok_codes: frozenset[int] = frozenset({0})
    prepare: Callable[[], dict[str, str]] | None = None
    samples: list[Sample] = field(default_factory=list)
    #: The exit code of the first sample; every later sample must match it.
    exit_code: int | None = None

    def median(self) -> float:
        """Median wall time, in seconds."""
        return statistics.median(s.seconds for s in self.samples)

    def peak_rss(self) -> float | None:
        """Largest peak RSS of any sample, in MiB (``None`` when the platform cannot tell)."""
        values = [s.rss_mib for s in self.samples if s.rss_mib is not None]
        return max(values) if values else None


class BenchError(RuntimeError):
    """A command failed in a way that makes its timing meaningless."""


# --------------------------------------------------------------------------- processes


def _maxrss_mib(usage: Any) -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return float(usage.ru_maxrss) / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run_process(argv: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[Sample, bytes]:
    """Run *argv* once with stdout discarded; returns its sample and its stderr."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=cwd)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            rss: float | None = _maxrss_mib(usage)
        else:  # pragma: no cover - Windows has no wait4
            proc.wait()
            seconds = time.perf_counter() - start
            rss = None
        errors.seek(0)
        return Sample(seconds, rss, proc.returncode), errors.read()


def capture(
    argv: Sequence[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run *argv* and capture its output as text (for versions and diagnostics)."""
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)


def measure(method: Method, base_env: dict[str, str], cwd: Path, *, record: bool = True) -> Sample:
    """One sample of *method* (run its ``prepare`` first); raises on an unexpected exit code."""
    env = {**base_env, **method.env}
    if method.prepare is not None:
        env.update(method.prepare())
    sample, errors = run_process(method.argv, env, cwd)
    # Exit code 1 is also how Python reports a crash: a traceback, or a code
    # other than the one of the first sample, makes the timing meaningless.
    crashed = b"Traceback (most recent call last)" in errors
    changed = method.exit_code is not None and sample.exit_code != method.exit_code
    if sample.exit_code not in method.ok_codes or crashed or changed:
        tail = errors.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise BenchError(f"{method.label}: exit code {sample.exit_code}\n  " + "\n  ".join(tail))
    method.exit_code = sample.exit_code
    if record:
        method.samples.append(sample)
    return sample


# --------------------------------------------------------------------------- set-up


@dataclass(slots=True)
class Corpus:
    """The notebooks of the corpus and the ones a typical commit touches."""

    root: Path
    files: list[Path]
    sizes: dict[Path, int]
    manifest: dict[str, Any] | None
    commit: list[Path]

    @property
    def total_bytes(self) -> int:
        """Bytes of all notebooks."""
        return sum(self.sizes.values())


def load_corpus(root: Path) -> Corpus:
    """Find the notebooks and choose the commit set: the valid ones closest to the median size."""
    files = sorted(p for p in root.rglob("*.ipynb") if p.is_file())
    if not files:
        raise SystemExit(f"run.py: no .ipynb files under {root}")
    sizes = {p: p.stat().st_size for p in files}
    manifest: dict[str, Any] | None = None
    if (root / MANIFEST).is_file():
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    candidates = files
    if manifest is not None:
        valid = {root / e["path"] for e in manifest["files"] if e["environment"] == "valid"}
        candidates = [p for p in files if p in valid] or files
    median = statistics.median(sizes[p] for p in files)
    commit = sorted(candidates, key=lambda p: (abs(sizes[p] - median), str(p)))[:COMMIT_FILES]
    return Corpus(root, files, sizes, manifest, sorted(commit))


def wrapper_schema(envspec: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """A notebook schema whose ``metadata.environment`` must match envspec's 1.0 schema.

    check-jsonschema validates whole files, so envspec's schema is embedded
    (under ``$defs``, reached by its ``$id``) in a schema for the notebook.
    The committed schema is used when this script runs from a checkout, else
    the installed ``envspec schema --env-ver 1.0``.
    """
    if COMMITTED_SCHEMA.is_file():
        environment = json.loads(COMMITTED_SCHEMA.read_text(encoding="utf-8"))
    else:
        done = capture([str(envspec), "schema", "--env-ver", "1.0"], env, cwd)
        if done.returncode != 0:
            raise BenchError(f"envspec schema failed: {done.stderr.strip()}")
        environment = json.loads(done.stdout)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "notebook whose metadata.environment is an envspec 1.0 environment",
        "type": "object",
        "required": ["metadata"],
        "properties": {
            "metadata": {
                "type": "object",
                "properties": {"environment": {"$ref": environment["$id"]}},
            }
        },
        "$defs": {"environment": environment},
    }


def tool_versions(
    python: Path, tools: dict[str, Path | None], env: dict[str, str], cwd: Path
) -> dict[str, str]:
    """Versions of the Python and the tools being compared."""
    versions: dict[str, str] = {}
    done = capture([str(python), "-c", "import sys; print(sys.version.split()[0])"], env, cwd)
    versions["python"] = done.stdout.strip()
    for name, exe in tools.items():
        if exe is None:
            continue
        done = capture([str(exe), "--version"], env, cwd)
        # "envspec 0.1.0", "check-jsonschema, version 0.39.0": the last word is the version.
        words = (done.stdout.strip() or done.stderr.strip() or "?").split()
        versions[name] = words[-1]
    done = capture([str(python), "-c", "import nbformat; print(nbformat.__version__)"], env, cwd)
    if done.returncode == 0:
        versions["nbformat"] = done.stdout.strip()
    if (REPO / ".git").exists() and shutil.which("git"):
        # The checkout measured (with "+dirty" when src/ has uncommitted changes).
        head = capture(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], env, cwd)
        dirty = capture(["git", "-C", str(REPO), "status", "--porcelain", "src"], env, cwd)
        if head.returncode == 0:
            versions["checkout"] = head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    return versions


def _tool(bin_dir: Path, name: str) -> Path | None:
    for candidate in (bin_dir / name, bin_dir / f"{name}.exe"):
        if candidate.is_file():
            return candidate
    return None


def build_methods(
    corpus: Corpus,
    python: Path,
    envspec: Path,
    check_jsonschema: Path | None,
    has_nbformat: bool,
    work: Path,
    base_env: dict[str, str],
) -> list[Method]:
    """Every row, with the caches and copies they need set up (not yet populated)."""
    root = str(corpus.root)
    fresh_count = 0

    def fresh_cache() -> dict[str, str]:
        nonlocal fresh_count
        fresh_count += 1
        folder = work / f"fresh-cache-{fresh_count}"
        folder.mkdir()
        return {"ENVSPEC_CACHE_DIR": str(folder)}

    warm_cache = work / "warm-cache"
    edited_cache = work / "edited-cache"
    edited_dir = work / "edited"
    edited_dir.mkdir()
    edited: list[Path] = []
    for index, path in enumerate(corpus.commit):
        copy = edited_dir / f"{index:02d}-{path.name}"
        shutil.copyfile(path, copy)
        edited.append(copy)
    bump = [time.time_ns()]

    def touch_edited() -> dict[str, str]:
        # A commit changes the notebooks: new mtimes, so the file verdicts miss
        # while the environments (unchanged) hit the cache.
        bump[0] += 1_000_000_000
        for copy in edited:
            os.utime(copy, ns=(bump[0], bump[0]))
        return {}

    validate = [str(envspec), "validate"]
    fail_ok = frozenset({0, 1})  # the corpus holds invalid environments on purpose
    scratch_cache = {"ENVSPEC_CACHE_DIR": str(work / "unused-cache")}
    methods = [
        Method(
            "floor",
            "floor: stdlib json.loads of every file",
            [str(python), "-c", FLOOR_CODE, root],
            "throughput",
        ),
        Method(
            "cold-nocache",
            "(a) envspec validate --no-cache",
            [*validate, "--no-cache", root],
            "throughput",
            env=scratch_cache,
            ok_codes=fail_ok,
        ),
        Method(
            "cold-fresh",
            "(a) envspec validate, empty cache",
            [*validate, root],
            "throughput",
            ok_codes=fail_ok,
            prepare=fresh_cache,
        ),
        Method(
            "warm",
            "(b) envspec validate, warm cache",
            [*validate, root],
            "throughput",
            env={"ENVSPEC_CACHE_DIR": str(warm_cache)},
            ok_codes=fail_ok,
        ),
    ]
    if has_nbformat:
        methods.append(
            Method(
                "nbformat",
                "(c) nbformat read+validate",
                [str(python), "-c", NBFORMAT_CODE, root],
                "throughput",
            )
        )
    if check_jsonschema is not None:
        schema = work / "notebook-environment.schema.json"
        schema.write_text(
            json.dumps(wrapper_schema(envspec, base_env, work), indent=1), encoding="utf-8"
        )
        methods.append(
            Method(
                "check-jsonschema",
                "(d) check-jsonschema, envspec schema",
                [str(check_jsonschema), "--schemafile", str(schema), *map(str, corpus.files)],
                "throughput",
                ok_codes=fail_ok,
            )
        )
    commit = [str(p) for p in corpus.commit]
    methods += [
        Method(
            "commit-nocache",
            f"(e) commit of {len(commit)}, --no-cache",
            [*validate, "--no-cache", *commit],
            "commit",
            env=scratch_cache,
            ok_codes=fail_ok,
        ),
        Method(
            "commit-warm",
            f"(e) commit of {len(commit)}, warm cache",
            [*validate, *commit],
            "commit",
            env={"ENVSPEC_CACHE_DIR": str(warm_cache)},
            ok_codes=fail_ok,
        ),
        Method(
            "commit-edited",
            f"(e) {len(commit)} edited files, warm cache",
            [*validate, *map(str, edited)],
            "commit",
            env={"ENVSPEC_CACHE_DIR": str(edited_cache)},
            ok_codes=fail_ok,
            prepare=touch_edited,
        ),
        Method("bare", "(f) python -c pass", [str(python), "-c", "pass"], "startup"),
        Method("version", "(f) envspec --version", [str(envspec), "--version"], "startup"),
    ]
    return methods


def populate_caches(
    methods: list[Method], base_env: dict[str, str], work: Path, corpus: Corpus
) -> None:
    """Fill the warm caches: the whole corpus, and the corpus plus the edited copies."""
    by_key = {m.key: m for m in methods}
    envspec = by_key["warm"].argv[0]
    edited = by_key["commit-edited"].argv[2:]
    runs = [
        (by_key["warm"].env, [str(corpus.root)]),
        (by_key["commit-edited"].env, [str(corpus.root), *edited]),
    ]
    for env, paths in runs:
        done = capture([envspec, "validate", *paths], {**base_env, **env}, work)
        if done.returncode not in (0, 1):
            raise BenchError(f"populating the cache failed: {done.stderr.strip()}")
        cache = Path(env["ENVSPEC_CACHE_DIR"])
        if not any(cache.rglob("*.json")):
            print(f"warning: envspec wrote no cache file under {cache}", file=sys.stderr)


# --------------------------------------------------------------------------- diagnostics


def diagnostics_report(
    envspec: Path, corpus: Corpus, env: dict[str, str], cwd: Path
) -> dict[str, Any]:
    """Codes reported on the corpus, and (with a manifest) false positives and misses."""
    done = capture(
        [str(envspec), "validate", "--no-cache", "--format", "json", str(corpus.root)], env, cwd
    )
    if done.returncode not in (0, 1):
        return {"error": done.stderr.strip()}
    diagnostics = json.loads(done.stdout)
    report: dict[str, Any] = {"codes": dict(Counter(d["code"] for d in diagnostics).most_common())}
    if corpus.manifest is None:
        return report
    entries = {str((corpus.root / e["path"]).resolve()): e for e in corpus.manifest["files"]}
    found: dict[str, set[str]] = {}
    false_positives: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    for diagnostic in diagnostics:
        key = str(Path(diagnostic["file"]).resolve())
        found.setdefault(key, set()).add(diagnostic["code"])
        entry = entries.get(key)
        if entry is None or entry["environment"] != "invalid":
            false_positives[diagnostic["code"]] += 1
            if len(examples) < 10:
                examples.append(diagnostic)
    missed = [
        {
            "path": e["path"],
            "fault": e["fault"],
            "expected": e["expected_code"],
            "reported": sorted(found.get(key, set())),
        }
        for key, e in entries.items()
        if e["environment"] == "invalid" and e["expected_code"] not in found.get(key, set())
    ]
    report["false_positives"] = dict(false_positives.most_common())
    report["false_positive_examples"] = examples
    report["missed"] = missed
    return report


# --------------------------------------------------------------------------- report


def evaluate_goals(methods: dict[str, Method], floor: float) -> list[dict[str, Any]]:
    """Each goal with the measured value and whether it is met."""
    results: list[dict[str, Any]] = []
    for key, what, limit, kind in GOALS:
        method = methods.get(key)
        if method is None or not method.samples:
            continue
        value = method.median()
        if kind == "ratio":
            value /= floor
        elif kind == "over-bare":
            bare = methods.get("bare")
            if bare is None or not bare.samples:
                continue
            value -= bare.median()
        results.append(
            {
                "row": key,
                "goal": what,
                "limit": limit,
                "kind": kind,
                "measured": value,
                "met": value <= limit,
            }
        )
    return results


def render_table(methods: list[Method], floor: float) -> str:
    """The results as a Markdown table."""
    lines = [
        "| row | median s | x floor | min-max s | peak RSS MiB | runs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    bare = next((m for m in methods if m.key == "bare" and m.samples), None)
    for method in methods:
        if not method.samples:
            continue
        median = method.median()
        low = min(s.seconds for s in method.samples)
        high = max(s.seconds for s in method.samples)
        rss = method.peak_rss()
        label = method.label
        if method.key == "version" and bare is not None:
            label += f" (+{(median - bare.median()) * 1000:.0f} ms over bare python)"
        lines.append(
            f"| {label} | {median:.3f} | {median / floor:.2f} | {low:.3f}-{high:.3f} | "
            f"{'' if rss is None else f'{rss:.0f}'} | {len(method.samples)} |"
        )
    return "\n".join(lines)


def _format_goal(goal: dict[str, Any]) -> str:
    value = goal["measured"]
    shown = f"{value:.2f}x" if goal["kind"] == "ratio" else f"{value * 1000:.0f} ms"
    return f"  [{'met' if goal['met'] else 'MISSED'}] {goal['goal']}: {shown}"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "corpus", metavar="CORPUS_DIR", type=Path, help="folder of notebooks (make_corpus.py)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="samples per row (5)")
    parser.add_argument(
        "--startup-repeat",
        type=int,
        default=20,
        help="samples of the start-up rows, envspec --version and python -c pass (20)",
    )
    parser.add_argument(
        "--python",
        type=Path,
        default=Path(sys.executable),
        help="Python whose bin folder holds envspec and check-jsonschema (this one)",
    )
    parser.add_argument("--only", default="", help="comma-separated row keys to run (default: all)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.startup_repeat < 1:
        parser.error("repeat counts must be at least 1")

    python = args.python.absolute()  # not resolved: a venv's python is a symlink
    bin_dir = python.parent
    envspec = _tool(bin_dir, "envspec")
    if envspec is None:
        parser.error(f"no envspec executable next to {python}")
    check_jsonschema = _tool(bin_dir, "check-jsonschema")
    corpus = load_corpus(args.corpus.absolute())

    # Every tool is measured as it runs after ``pip install``: with its bytecode
    # cached. PYTHONDONTWRITEBYTECODE would make each process compile envspec's
    # modules (an editable checkout has no .pyc) from source, every time.
    dropped = {"ENVSPEC_CACHE_DIR", "PYTHONDONTWRITEBYTECODE"}
    base_env = {k: v for k, v in os.environ.items() if k not in dropped}
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print(
            "note: PYTHONDONTWRITEBYTECODE is unset for the tools measured: "
            "they run with cached bytecode, as after pip install",
            file=sys.stderr,
        )
    with tempfile.TemporaryDirectory(prefix="envspec-bench-") as scratch:
        work = Path(scratch)
        has_nbformat = (
            capture([str(python), "-c", "import nbformat"], base_env, work).returncode == 0
        )
        if not has_nbformat:
            print("note: nbformat is not installed; row (c) is skipped", file=sys.stderr)
        if check_jsonschema is None:
            print("note: check-jsonschema is not installed; row (d) is skipped", file=sys.stderr)
        versions = tool_versions(
            python, {"envspec": envspec, "check-jsonschema": check_jsonschema}, base_env, work
        )
        methods = build_methods(
            corpus, python, envspec, check_jsonschema, has_nbformat, work, base_env
        )
        build_all = list(methods)
        by_key = {m.key: m for m in methods}
        if args.only:
            wanted = {"floor", *args.only.split(",")}
            unknown = wanted - set(by_key)
            if unknown:
                parser.error(f"unknown rows {sorted(unknown)}; rows: {', '.join(by_key)}")
            if "version" in wanted:
                wanted.add("bare")
            methods = [m for m in methods if m.key in wanted]
            by_key = {m.key: m for m in methods}

        print(
            f"corpus: {len(corpus.files)} notebooks, {corpus.total_bytes / 1e6:.1f} MB; "
            f"commit set: {len(corpus.commit)} files of "
            f"{statistics.median(corpus.sizes[p] for p in corpus.commit) / 1e3:.0f} KB (median)",
            file=sys.stderr,
        )
        print("tools: " + ", ".join(f"{k} {v}" for k, v in versions.items()), file=sys.stderr)
        print("populating caches and warming up ...", file=sys.stderr)
        if by_key.keys() & {"warm", "commit-warm", "commit-edited"}:
            populate_caches(build_all, base_env, work, corpus)
        for method in methods:
            if method.key == "check-jsonschema":
                run_process([method.argv[0], "--version"], base_env, work)
            else:
                measure(method, base_env, work, record=False)

        throughput = [m for m in methods if m.group != "startup"]
        for round_number in range(args.repeat):
            print(f"round {round_number + 1}/{args.repeat} ...", file=sys.stderr)
            for method in throughput:
                measure(method, base_env, work)
        startup = [m for m in methods if m.group == "startup"]
        for _ in range(args.startup_repeat):
            for method in startup:
                measure(method, base_env, work)
        diagnostics = diagnostics_report(envspec, corpus, base_env, work)

    ordered = [*throughput, *startup]
    floor = by_key["floor"].median()
    goals = evaluate_goals(by_key, floor)
    print(render_table(ordered, floor))
    print("\ngoals (" + ", ".join(f"{k} {v}" for k, v in versions.items()) + "):")
    for goal in goals:
        print(_format_goal(goal))
    print(
        "\ndiagnostics on the corpus: "
        + (", ".join(f"{c} {n}" for c, n in diagnostics.get("codes", {}).items()) or "none")
    )
    if "false_positives" in diagnostics:
        fp = diagnostics["false_positives"]
        print(
            "false positives (diagnostics on files without a deliberate fault): "
            + (", ".join(f"{c} {n}" for c, n in fp.items()) or "none")
        )
        missed = diagnostics["missed"]
        print(
            "deliberate faults not reported: "
            + ("; ".join(f"{m['path']} ({m['expected']})" for m in missed) or "none")
        )

    if args.json is not None:
        result = {
            "format": "envspec-benchmark/1",
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "host": {
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            },
            "versions": versions,
            "corpus": {
                "files": len(corpus.files),
                "bytes": corpus.total_bytes,
                "median_bytes": statistics.median(corpus.sizes.values()),
                "seed": (corpus.manifest or {}).get("seed"),
                "commit_files": [str(p.relative_to(corpus.root)) for p in corpus.commit],
            },
            "repeat": args.repeat,
            "startup_repeat": args.startup_repeat,
            "floor_seconds": floor,
            "rows": [
                {
                    "key": m.key,
                    "label": m.label,
                    "group": m.group,
                    "median_seconds": m.median(),
                    "ratio_to_floor": m.median() / floor,
                    "min_seconds": min(s.seconds for s in m.samples),
                    "max_seconds": max(s.seconds for s in m.samples),
                    "peak_rss_mib": m.peak_rss(),
                    "seconds": [s.seconds for s in m.samples],
                    "exit_codes": sorted({s.exit_code for s in m.samples}),
                }
                for m in ordered
                if m.samples
            ],
            "goals": goals,
            "diagnostics": diagnostics,
        }
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        sys.exit(1)
