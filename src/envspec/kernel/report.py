"""The kernel that says why the notebook's environment is not running.

When the provisioner cannot start a notebook in its own environment (none
declared, a build that fails, a variable or trust that is missing), it starts
this kernel instead, from envspec's own installation, with the report in
``ENVSPEC_KERNEL_REPORT``.  It runs no code at all: every cell answers with
the report as an error (code, message, hint), so the notebook never runs,
silently, in another environment.  Fix the cause, then restart the kernel.

Run as ``python -m envspec.kernel.report -f CONNECTION_FILE``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ipykernel.kernelbase import Kernel

from envspec._version import __version__

__all__ = ["REPORT_VARIABLE", "ReportKernel", "report_lines"]

#: The variable that carries the report (JSON) to this kernel.
REPORT_VARIABLE = "ENVSPEC_KERNEL_REPORT"

_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


def _report() -> dict[str, Any]:
    try:
        data = json.loads(os.environ.get(REPORT_VARIABLE, ""))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # Started from kernel.json's own command: the front end ignored the provisioner.
        data = {
            "message": "this kernel was started without envspec's kernel provisioner (the "
            "front end ran the kernelspec's command itself), so nothing chose the notebook's "
            "environment",
            "hint": "open the notebook in a front end that starts kernels through "
            "jupyter_client 7 or later (JupyterLab, Notebook 7, nbclient), with envspec "
            "installed beside the Jupyter server",
        }
    return data


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as the lines of an error's traceback."""
    code = report.get("code")
    lines = [
        f"{_RED}{_BOLD}This notebook is not running: envspec could not start it in its "
        f"environment.{_RESET}",
        f"{code}: {report.get('message')}" if code else str(report.get("message")),
    ]
    if report.get("notebook"):
        lines.append(f"notebook: {report['notebook']}")
    if report.get("hint"):
        lines.append(f"hint: {report['hint']}")
    if report.get("details"):
        lines += ["", str(report["details"]).rstrip()]
    lines += ["", "No code runs in this kernel. Fix the cause above, then restart the kernel."]
    return lines


class ReportKernel(Kernel):
    """A kernel whose every execution fails with the report (it runs nothing)."""

    implementation = "envspec-report"
    implementation_version = __version__
    language_info = {  # noqa: RUF012 - the attribute ipykernel reads
        "name": "python",
        "mimetype": "text/x-python",
        "file_extension": ".py",
    }

    @property
    def banner(self) -> str:  # type: ignore[override]
        return "\n".join(report_lines(_report()))

    def do_execute(  # type: ignore[override]
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict[str, Any] | None = None,
        allow_stdin: bool = False,
        **_: Any,
    ) -> dict[str, Any]:
        report = _report()
        name = "EnvironmentNotRunning"
        value = str(report.get("message"))
        traceback = report_lines(report)
        if not silent:
            self.send_response(  # type: ignore[no-untyped-call]
                self.iopub_socket,
                "error",
                {"ename": name, "evalue": value, "traceback": traceback},
            )
        return {
            "status": "error",
            "execution_count": self.execution_count,
            "ename": name,
            "evalue": value,
            "traceback": traceback,
        }

    def do_complete(self, code: str, cursor_pos: int) -> dict[str, Any]:  # type: ignore[override]
        return {
            "status": "ok",
            "matches": [],
            "cursor_start": cursor_pos,
            "cursor_end": cursor_pos,
            "metadata": {},
        }


def main() -> None:
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=ReportKernel)


if __name__ == "__main__":
    main()
