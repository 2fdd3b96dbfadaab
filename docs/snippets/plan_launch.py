"""Plan a launch in memory: what realizing the environment would do, as data."""

from envspec.launch.plan import Interpreter, LaunchOptions, plan_launch
from envspec.models.v1_0 import Environment

environment = Environment.model_validate(
    {
        "env_ver": "1.0",
        "python": "3.12",
        "kernel": {"name": "python3", "language": "python"},
        "files": {"requirements.txt": "numpy\n", "postBuild": "#!/bin/sh\nset -e\n"},
        "env": {"WANDB_API_KEY": None},
    }
)
options = LaunchOptions(interpreters=(Interpreter(version="3.12.4", path="/usr/bin/python3.12"),))
plan = plan_launch(environment, kernelspec={"name": "old-env"}, options=options)
print(plan.ok, plan.backend, [(s.kind, s.file) for s in plan.steps], plan.kernel.name)
for refusal in plan.refusals:
    print(f"{refusal.code:24} {refusal.pointer:20} {refusal.hint}")

# Trusted, with the variable supplied (its value never enters the plan):
options = options.model_copy(update={"trusted": True, "variables": frozenset({"WANDB_API_KEY"})})
print(plan_launch(environment, kernelspec=None, options=options).ok)
