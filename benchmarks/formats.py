"""How long ``envspec import`` and ``envspec export`` take for each registered format.

For every format in the registry with a sample in ``examples/formats/<name>/`` (the first
file there, or the folder for a folder format), measures, alternating the runs:

- **import (CLI)**: ``envspec import --from NAME SAMPLE -o OUT.ipynb``, the whole process;
- **export (CLI)**: ``envspec export --to NAME OUT.ipynb -o DIR/`` from that notebook;
- **import / export (in process)**: the library calls (:func:`envspec.formats.io.import_path`,
  :func:`~envspec.formats.io.export_path`) timed inside a fresh interpreter, so that the
  import of the format's modules and parsers is counted (the target: well under 100 ms);
- **peers**, in the same run: ``python -c 'import tomllib'`` (the floor of any Python
  command) and, when juv is installed, juv's own parse of the juv sample's block.

Bytecode is written and used (a first unmeasured run compiles it).  Medians in ms.

    python benchmarks/formats.py [--repeat 7] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "formats"

_IN_PROCESS = """\
import sys, time
t0 = time.perf_counter()
from envspec.formats import get_format
from envspec.formats.io import {function}
converted = {function}(get_format(sys.argv[1]), sys.argv[2])
t1 = time.perf_counter()
assert converted.ok, converted.diagnostics
print((t1 - t0) * 1000)
"""

_JUV_PEER = """\
import json, sys
from juv._pep723 import parse_inline_script_metadata
cells = json.load(open(sys.argv[1]))["cells"]
parse_inline_script_metadata("".join(cells[0]["source"]))
"""


def _sample(name: str) -> Path | None:
    folder = SAMPLES / name
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if len(files) == 1 and files[0].is_file():
        return files[0]
    return folder if files else None


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return (time.perf_counter() - start) * 1000


def _in_process(function: str, name: str, path: Path, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS.format(function=function), name, str(path)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)

    from envspec.formats import format_names

    envspec = shutil.which("envspec", path=str(Path(sys.executable).parent)) or "envspec"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results: dict[str, dict[str, float]] = {}
    work = Path(tempfile.mkdtemp(prefix="envspec-bench-formats-"))
    try:
        peers: dict[str, list[str]] = {
            "python -c 'import tomllib'": [sys.executable, "-c", "import tomllib"]
        }
        juv_sample = _sample("juv")
        if juv_sample is not None and importlib.util.find_spec("juv") is not None:
            peers["juv's own block parse"] = [sys.executable, "-c", _JUV_PEER, str(juv_sample)]
        runs: dict[str, list[float]] = {}
        plans: list[tuple[str, str, list[str] | tuple[str, str, Path]]] = []
        for label, command in peers.items():
            plans.append(("peer", label, command))
        for name in format_names():
            sample = _sample(name)
            if sample is None:
                print(f"{name}: no sample in examples/formats/{name}/, skipped")
                continue
            notebook = work / f"{name}.ipynb"
            subprocess.run(
                [envspec, "import", "--from", name, str(sample), "-o", str(notebook)],
                env=env,
                check=True,
                capture_output=True,
            )
            plans += [
                (name, "import (CLI)", [envspec, "import", "--from", name, str(sample),
                                        "-o", str(work / f"{name}-again.ipynb")]),
                (name, "export (CLI)", [envspec, "export", "--to", name, str(notebook),
                                        "-o", f"{work / name}-out/", "--force"]),
                (name, "import (in process)", ("import_path", name, sample)),
                (name, "export (in process)", ("export_path", name, notebook)),
            ]  # fmt: skip
        for _ in range(args.repeat + 1):  # the first round compiles bytecode: not counted
            for group, label, plan in plans:
                if isinstance(plan, tuple):
                    ms = _in_process(plan[0], plan[1], plan[2], env)
                else:
                    ms = _time(plan, env)
                runs.setdefault(f"{group}\t{label}", []).append(ms)
        for key, values in runs.items():
            group, label = key.split("\t")
            results.setdefault(group, {})[label] = statistics.median(values[1:])
    finally:
        shutil.rmtree(work, ignore_errors=True)

    width = max(len(label) for group in results.values() for label in group)
    for group, values in results.items():
        print(f"{group}:")
        for label, ms in values.items():
            print(f"  {label:<{width}}  {ms:8.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
