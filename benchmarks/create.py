"""How long ``envspec env create`` takes, beside uv alone, and how fast reuse is.

Writes N small wheels (a few modules each) into a temporary folder and a
``requirements.txt`` that needs them all, then measures, alternating the runs:

- **uv alone**: ``uv venv --python PY DIR && uv pip install --python DIR/bin/python
  --no-index --find-links WHEELS -r requirements.txt`` (two processes);
- **create (library)**: :func:`envspec.environments.create_environment` with a
  hand-made plan (interpreter + pip: the same work), into a new cache each time;
- **create (CLI)**: ``envspec env create FOLDER --no-index --find-links WHEELS``,
  whose plan also installs ipykernel (a stand-in wheel, so nothing is downloaded):
  the whole command, Python start-up, plan and interpreter discovery included;
- **reuse**: the same calls again on a cache that holds the environment (the
  library call, and the whole CLI process).

Every run uses the same warm uv cache, so "cold" means a new environment, not
new downloads.  Nothing uses the network.

    python benchmarks/create.py [--packages 30] [--repeat 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from envspec.environments import IndexOptions, create_environment
from envspec.launch.plan import KernelChoice, LaunchPlan, Step


def _wheel(folder: Path, name: str, modules: int, requires: list[str]) -> None:
    module = name.replace("-", "_")
    dist = f"{module}-1.0"
    files = {f"{module}/m{i}.py": f"# module {i}\n" + "VALUE = 1\n" * 200 for i in range(modules)}
    files[f"{module}/__init__.py"] = "__version__ = '1.0'\n"
    files[f"{dist}.dist-info/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    files[f"{dist}.dist-info/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        record.append(f"{path},sha256={digest.rstrip(b'=').decode()},{len(text.encode())}")
    files[f"{dist}.dist-info/RECORD"] = "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)


def _uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


def _uv_alone(python: str, target: Path, wheels: Path, requirements: Path) -> float:
    environ = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    started = time.perf_counter()
    subprocess.run([_uv(), "venv", "-q", "--python", python, str(target)], check=True, env=environ)
    subprocess.run(
        [
            _uv(),
            "pip",
            "install",
            "-q",
            "--python",
            str(target / "bin" / "python"),
            "--no-index",
            "--find-links",
            str(wheels),
            "-r",
            str(requirements),
        ],
        check=True,
        env=environ,
    )
    return time.perf_counter() - started


def _plan(python: str) -> LaunchPlan:
    version = ".".join(str(n) for n in sys.version_info[:3])
    return LaunchPlan(
        backend="local",
        steps=(
            Step(kind="interpreter", detail={"version": version, "path": python}),
            Step(kind="pip", file="requirements.txt"),
        ),
        kernel=KernelChoice(name="python3", source="default"),
    )


def _cli(args: list[str], cache: Path) -> float:
    envspec = Path(sys.executable).parent / "envspec"
    started = time.perf_counter()
    subprocess.run(
        [str(envspec), *args],
        check=True,
        capture_output=True,
        env={**os.environ, "ENVSPEC_CACHE_DIR": str(cache)},
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=30, help="wheels to install")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--json", metavar="OUT", help="write the figures as JSON")
    args = parser.parse_args()

    python = os.path.realpath(sys.executable)
    root = Path(tempfile.mkdtemp(prefix="envspec-bench-create-"))
    os.environ["UV_CACHE_DIR"] = str(root / "uv-cache")
    try:
        wheels = root / "wheels"
        wheels.mkdir()
        names = [f"bench-pkg-{i}" for i in range(args.packages)]
        for i, name in enumerate(names):
            _wheel(wheels, name, 5, names[i + 1 : i + 2])
        _wheel(wheels, "ipykernel", 1, [])  # the CLI's kernel step, without the index
        project = root / "project"
        project.mkdir()
        text = "".join(f"{n}\n" for n in names)
        (project / "requirements.txt").write_text(text)
        files = {"requirements.txt": text}
        index = IndexOptions(find_links=(str(wheels),), no_index=True)
        plan = _plan(python)
        cli_args = ["env", "create", str(project), "-q", "--no-index", "--find-links", str(wheels)]

        # Warm uv's cache (and the file system) once, measured by nobody.
        _uv_alone(python, root / "warmup", wheels, project / "requirements.txt")

        figures: dict[str, list[float]] = {
            "uv alone": [],
            "create (library)": [],
            "create (CLI)": [],
            "reuse (library)": [],
            "reuse (CLI)": [],
        }
        for run in range(args.repeat):
            figures["uv alone"].append(
                _uv_alone(python, root / f"uv-{run}", wheels, project / "requirements.txt")
            )
            cache = root / f"cache-{run}"
            started = time.perf_counter()
            create_environment(plan, files, cache_dir=cache, index=index)
            figures["create (library)"].append(time.perf_counter() - started)
            started = time.perf_counter()
            reused = create_environment(plan, files, cache_dir=cache, index=index)
            figures["reuse (library)"].append(time.perf_counter() - started)
            assert reused.reused
            cli_cache = root / f"cli-cache-{run}"
            figures["create (CLI)"].append(_cli(cli_args, cli_cache))
            figures["reuse (CLI)"].append(_cli(cli_args, cli_cache))

        medians = {name: statistics.median(values) for name, values in figures.items()}
        print(f"{args.packages} wheels, {args.repeat} runs each (median, min)\n")
        print("| measurement | median | min |")
        print("|---|---:|---:|")
        for name, values in figures.items():
            print(f"| {name} | {_ms(medians[name])} | {_ms(min(values))} |")
        ratio = medians["create (library)"] / medians["uv alone"]
        print(f"\ncreate (library) / uv alone: {ratio:.2f} (goal: at most 1.10)")
        print(f"reuse (library): {_ms(medians['reuse (library)'])} (goal: milliseconds)")
        if args.json:
            document: dict[str, Any] = {
                "packages": args.packages,
                "runs": figures,
                "medians": medians,
                "ratio_create_to_uv": ratio,
            }
            Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


if __name__ == "__main__":
    main()
