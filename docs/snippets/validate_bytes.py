"""Check the contents of one file, here a notebook built in memory."""

import json

from envspec.validate import validate_bytes

notebook = {
    "cells": [],
    "metadata": {
        "environment": {
            "env_ver": "1.0",
            "python": 3.12,
            "files": {"requirements.txt": "numpy==2.1.0\n-e ../mylib\n"},
        }
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}

report = validate_bytes(json.dumps(notebook).encode(), "analysis.ipynb")
print(f"{report.errors} errors, {report.warnings} warnings")
for diagnostic in report.diagnostics:
    print(diagnostic.location(), diagnostic.code)
    print("   ", diagnostic.message)
