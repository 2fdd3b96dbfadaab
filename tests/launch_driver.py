"""``envspec launch`` in a child process with the environment given, not created.

``python launch_driver.py PYTHON ARGS...`` runs the real command line
(:func:`envspec.cli.main.main`) with two seams of :func:`envspec.launch.run.launch`
filled: the plan is the pip + kernel plan of the notebook's files, and "creating"
the environment returns the one at PYTHON (made by the test with uv).  Everything
else (clone, kernelspec, server, signals) is the real thing.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    python = Path(sys.argv[1])
    args = sys.argv[2:]

    from envspec.cli.main import main as cli
    from envspec.launch import run
    from envspec.launch.plan import KernelChoice, LaunchPlan, Step

    class Created:
        prefix = python.parent.parent
        key = "test"
        reused = True

    Created.python = python  # type: ignore[attr-defined]

    def planner(environment: Any, *, kernelspec: Any, options: Any) -> LaunchPlan:
        steps = [Step(kind="pip", file=name) for name in (environment.files or {})]
        name = (environment.kernel.name if environment.kernel else None) or (
            (kernelspec or {}).get("name", "python3")
        )
        return LaunchPlan(
            backend="local",
            steps=(*steps, Step(kind="kernel")),
            kernel=KernelChoice(name=name, source="notebook"),
        )

    def create(plan: LaunchPlan, files: Any, **_: Any) -> Created:
        return Created()

    run.launch = functools.partial(run.launch, create=create, planner=planner)  # type: ignore[assignment]
    return cli(args)


if __name__ == "__main__":
    sys.exit(main())
