"""Pack a notebook's metadata in memory: the plan every envspec writer goes through."""

import tempfile
from pathlib import Path

from envspec.pack import collect, plan_pack

with tempfile.TemporaryDirectory() as folder:
    Path(folder, "requirements.txt").write_text("pandas==2.2.2\n")
    metadata = {  # a notebook received with its own environment.yml
        "kernelspec": {"name": "python3", "language": "python"},
        "environment": {"env_ver": "1.0", "files": {"environment.yml": "dependencies: [numpy]\n"}},
    }
    plan = plan_pack(metadata, collect(folder), None, name="analysis.ipynb")
    print(plan.status, list(plan.environment["files"]) if plan.environment else None)
    print("added:", plan.changes.added, "kept:", plan.changes.kept)
    for d in plan.diagnostics:
        print(f"{d.severity:8} {d.code:20} {d.pointer}")

    # A password in the folder's file: the gate refuses, and nothing may be written.
    Path(folder, "requirements.txt").write_text("--index-url https://alice:pw@example.org/simple\n")
    plan = plan_pack(metadata, collect(folder), None, name="analysis.ipynb")
    print(
        plan.status,
        plan.refused,
        [(d.code, d.message) for d in plan.diagnostics if d.severity == "error"],
    )
