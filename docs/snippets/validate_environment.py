"""Check an environment that is already a Python dict, with the notebook's kernelspec."""

from envspec.validate import validate_environment

environment = {
    "env_ver": "1.0",
    "kernel": {"name": "python3", "language": "python"},
    "image": {"ref": "quay.io/jupyter/scipy-notebook:2024-05-27"},
    "env": {"OPENAI_API_KEY": "sk-not-a-real-key"},
}
kernelspec = {"name": "conda-env-old-py", "language": "python"}

for diagnostic in validate_environment(environment, kernelspec=kernelspec):
    print(f"{diagnostic.severity:8} {diagnostic.code:18} {diagnostic.pointer}")
