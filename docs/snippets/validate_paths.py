"""Check files and folders, as `envspec validate` does, and use the result."""

import json
import tempfile
from pathlib import Path

from envspec.validate import validate_paths

with tempfile.TemporaryDirectory() as folder:
    project = Path(folder)
    (project / "environment.envspec.yaml").write_text('env_ver: "1.0"\npython: "3.12"\n')
    (project / "notes.ipynb").write_text('{"cells": [], "metadata": {}}')

    result = validate_paths([project], require=True)
    print("passes:", result.ok())
    print("passes without --require:", validate_paths([project]).ok())
    for report in result.reports:
        print(Path(report.path).name, "errors:", report.errors)
    first = result.diagnostics[0].to_dict()
    first["file"] = Path(str(first["file"])).name
    print(json.dumps(first, indent=2))
