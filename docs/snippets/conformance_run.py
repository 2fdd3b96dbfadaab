"""Run the packer cases against envspec's own adapter, in-process, and write the reports."""

import tempfile
from collections import Counter

from envspec.conformance.cases import Selection, load_cases, suite_version
from envspec.conformance.reports import write_reports
from envspec.conformance.runner import RunOptions, run
from envspec.conformance.transport import connect

cases = Selection(roles=("packer",), levels=("core",)).apply(load_cases())
transport = connect("python:envspec.conformance.reference:Adapter", check_messages=True)
result = run(cases, transport, RunOptions(timeout=30))

print(f"suite {suite_version()}, {len(cases)} cases")
print("statuses:", dict(Counter(r.status for r in result.results)))
print("packer:", result.verdict("packer"), "| exit status:", result.exit_code)
with tempfile.TemporaryDirectory() as folder:
    print("reports:", sorted(path.name for path in write_reports(result, folder)))
