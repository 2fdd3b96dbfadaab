#!/usr/bin/env -S uv run --script
# /// script
# requires-python = "==3.12.*"
# dependencies = [
#     # numerics
#     "numpy>=1.26",
#     "pandas>=2.2,<3",  # data frames
# ]
# [tool.uv]
# extra-index-url = ["https://download.pytorch.org/whl/cpu"]
# ///
"""Summarise a CSV file."""

import sys

import pandas as pd

print(pd.read_csv(sys.argv[1]).describe())
