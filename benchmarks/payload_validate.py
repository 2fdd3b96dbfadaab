"""Cold start of ``envspec payload validate`` against ``envspec validate``, in the same run.

Each row is a whole process (interpreter start-up, imports, output), timed from spawn
to exit; the rows take turns, so a change in machine load hits them alike.  The goal:
``envspec payload validate FILE`` as fast as ``envspec validate FILE``.

    python benchmarks/payload_validate.py [--repeat 20] [--json OUT]

The files are written into a temporary folder: one environment file
(``env.envspec.yaml``) and one payload file (the astronomy example, with its RSP tag
policy, menu, lab and compatibility).  Bytecode is cached as after ``pip install``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENVIRONMENT = """\
env_ver: "1.0"
python: "3.12"
kernel: {name: python3, language: python}
files:
  requirements.txt: |
    numpy==2.1.2
    pandas==2.2.3
    matplotlib==3.9.2
"""
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    envspec = shutil.which("envspec", path=os.path.dirname(sys.executable)) or "envspec"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "env.envspec.yaml").write_text(ENVIRONMENT, encoding="utf-8")
        payload = work / "rsp-pipelines.payload.yaml"
        shutil.copy(ROOT / "examples" / "payloads" / "rsp-pipelines.payload.yaml", payload)
        rows = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "envspec validate --no-cache FILE": [
                envspec, "validate", "--no-cache", "env.envspec.yaml"
            ],
            "envspec payload validate FILE": [envspec, "payload", "validate", payload.name],
        }  # fmt: skip
        for command in rows.values():  # compile and cache bytecode once
            subprocess.run(command, cwd=work, env=env, capture_output=True, check=False)
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(args.repeat):
            for name, command in rows.items():
                start = time.perf_counter()
                done = subprocess.run(command, cwd=work, env=env, capture_output=True, check=False)
                times[name].append(time.perf_counter() - start)
                if done.returncode != 0:
                    raise SystemExit(f"{name} exited {done.returncode}: {done.stdout!r}")
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["envspec payload validate FILE"] / medians["envspec validate --no-cache FILE"]
    print(f"| row | median of {args.repeat} |")
    print("|---|---:|")
    for name, median in medians.items():
        print(f"| {name} | {median * 1000:.0f} ms |")
    print(f"\npayload validate / validate: {ratio:.2f} (goal: 1.0 or less)")
    if args.json:
        args.json.write_text(json.dumps({"medians_s": medians, "ratio": ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
