"""Reports of a run: an NDJSON stream, a JSON summary, JUnit XML, Markdown and badges.

All of them are pure functions of a :class:`~envspec.conformance.runner.Run`;
:func:`write_reports` puts them in a folder.  Every report has the protocol checks
beside the roles, and says whether the run is a conformance claim: a run of an
in-process adapter is not (it shares the runner's interpreter, judge included).
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from envspec.conformance.runner import CaseResult, Run

__all__ = [
    "CLAIM_NOTE",
    "badge",
    "junit_xml",
    "markdown",
    "ndjson_lines",
    "protocol_line",
    "rerun_command",
    "role_totals",
    "summary",
    "write_reports",
]

_STATUSES = ("pass", "fail", "error", "skipped", "unsupported")
_COLORS = {"conformant": "brightgreen", "partial": "yellow", "failing": "red"}

#: What every report of an in-process run says.
CLAIM_NOTE = (
    "in-process run: for development only, not a conformance claim (the adapter shares the "
    "runner's interpreter); only a run of the adapter as a child process is a claim"
)


def protocol_line(run: Run) -> str:
    """One line on the protocol checks: ``protocol: conformant (7/7 checks passed)``."""
    checks = [c for c in run.protocol if c.status != "not-applicable"]
    passed = sum(c.status == "pass" for c in checks)
    failed = [c.id for c in checks if c.status == "fail"]
    line = f"protocol: {run.protocol_verdict()} ({passed}/{len(checks)} checks passed"
    return line + (f"; failed: {', '.join(failed)})" if failed else ")")


def _check_record(run: Run) -> list[dict[str, Any]]:
    return [
        {
            "type": "protocol",
            "id": c.id,
            "description": c.description,
            "status": c.status,
            "seconds": round(c.seconds, 6),
            "details": c.details,
        }
        for c in run.protocol
    ]


def _suite() -> str:
    from envspec.conformance.cases import suite_version

    return suite_version()


def _implementation(run: Run) -> dict[str, Any]:
    implementation = (run.hello or {}).get("implementation")
    return dict(implementation) if isinstance(implementation, dict) else {}


def role_totals(entry: dict[str, Any]) -> dict[str, int]:
    """Failed, errors, skipped and unsupported of one role of :func:`summary`, both levels
    together."""
    core, extended = entry["core"], entry["extended"]
    return {k: core[k] + extended[k] for k in ("fail", "error", "skipped", "unsupported")}


def rerun_command(run: Run, case_id: str) -> str:
    """The command that runs *case_id* again, alone, with message checking on."""
    extra = "".join(f" {shlex.quote(a)}" for a in run.rerun_args)
    return (
        f"envspec conformance run --adapter {shlex.quote(run.adapter)}{extra} "
        f"--id {shlex.quote(case_id)} -V"
    )


def _case_record(result: CaseResult) -> dict[str, Any]:
    case = result.case
    record: dict[str, Any] = {
        "type": "case",
        "id": case.id,
        "role": case.role,
        "level": case.level,
        "features": list(case.features),
        "spec": case.spec,
        "status": result.status,
        "version": result.version,
        "seconds": round(result.seconds, 6),
        "details": result.details,
    }
    if result.skip is not None:
        record["skip"] = {"reason": result.skip.reason, "issue_url": result.skip.issue_url}
    if result.stderr:
        record["stderr"] = result.stderr
    return record


def ndjson_lines(run: Run) -> Iterator[str]:
    """A header, one line per case, and a footer: every line a JSON object."""
    header = {
        "type": "header",
        "suite": _suite(),
        "protocol": 1,
        "adapter": run.adapter,
        "implementation": _implementation(run),
        "roles": (run.hello or {}).get("roles", {}),
        "started": run.started,
        "claim": run.claim,
        "options": {
            "timeout": run.options.timeout,
            "strict_skips": run.options.strict_skips,
            "accept_partial": run.options.accept_partial,
            "skips": [{"id": s.id, "reason": s.reason} for s in run.options.skips],
        },
    }
    yield json.dumps(header, ensure_ascii=False)
    for result in run.results:
        yield json.dumps(_case_record(result), ensure_ascii=False)
    for record in _check_record(run):
        yield json.dumps(record, ensure_ascii=False)
    footer = {
        "type": "footer",
        "verdict": run.verdict(),
        "protocol": run.protocol_verdict() if run.protocol else None,
        "claim": run.claim,
        "exit_code": run.exit_code,
        "seconds": round(run.seconds, 3),
        "restarts": run.restarts,
        "startup_error": run.startup_error,
    }
    yield json.dumps(footer, ensure_ascii=False)


def _counts(results: list[CaseResult]) -> dict[str, int]:
    counter: Counter[str] = Counter(r.status for r in results)
    return {status: counter.get(status, 0) for status in _STATUSES} | {"total": len(results)}


def summary(run: Run) -> dict[str, Any]:
    """Counts and verdicts per role and level, the failed and skipped case ids."""
    roles: dict[str, Any] = {}
    for role in run.roles():
        results = [r for r in run.results if r.case.role == role and r.counts]
        features: dict[str, dict[str, int]] = {}
        for result in results:
            for feature in result.case.features:
                entry = features.setdefault(feature, {"pass": 0, "total": 0})
                entry["total"] += 1
                entry["pass"] += result.status == "pass"
        support = (run.hello or {}).get("roles", {}).get(role, {})
        roles[role] = {
            "verdict": run.verdict(role),
            "versions": support.get("versions", []),
            "core": _counts([r for r in results if r.case.level == "core"]),
            "extended": _counts([r for r in results if r.case.level == "extended"]),
            "features": dict(sorted(features.items())),
            "failed": [r.case.id for r in results if r.status in ("fail", "error")],
            "skipped": [r.case.id for r in results if r.status == "skipped"],
            "unsupported": [r.case.id for r in results if r.status == "unsupported"],
        }
    return {
        "suite": _suite(),
        "implementation": _implementation(run),
        "adapter": run.adapter,
        "started": run.started,
        "seconds": round(run.seconds, 3),
        "verdict": run.verdict(),
        "exit_code": run.exit_code,
        "claim": run.claim,
        "startup_error": run.startup_error,
        "roles": roles,
        "protocol": {
            "verdict": run.protocol_verdict() if run.protocol else None,
            "checks": {c.id: {"status": c.status, "details": c.details} for c in run.protocol},
        },
    }


def junit_xml(run: Run) -> str:
    """JUnit XML: a test suite per role, a test case per case (class = role.feature)."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="envspec conformance", time=f"{run.seconds:.3f}")
    for role in run.roles() or ["validator"]:
        results = [r for r in run.results if r.case.role == role and r.counts]
        counts = _counts(results)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"envspec conformance: {role}",
            tests=str(len(results)),
            failures=str(counts["fail"]),
            errors=str(counts["error"]),
            skipped=str(counts["skipped"] + counts["unsupported"]),
            time=f"{sum(r.seconds for r in results):.3f}",
        )
        _properties(suite, run)
        for result in results:
            case = result.case
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"{role}.{case.features[0]}",
                name=case.id,
                time=f"{result.seconds:.3f}",
            )
            text = "\n".join(result.details)
            if result.status == "fail":
                child = ET.SubElement(element, "failure", message=_first(result), type=case.level)
                child.text = f"{text}\n\nrerun: {rerun_command(run, case.id)}"
            elif result.status == "error":
                child = ET.SubElement(element, "error", message=_first(result), type=case.level)
                child.text = f"{text}\n{result.stderr}".rstrip()
            elif result.status in ("skipped", "unsupported"):
                ET.SubElement(element, "skipped", message=f"{result.status}: {_first(result)}")
    if run.protocol:
        failed = sum(c.status == "fail" for c in run.protocol)
        suite = ET.SubElement(
            root,
            "testsuite",
            name="envspec conformance: protocol",
            tests=str(len(run.protocol)),
            failures=str(failed),
            errors="0",
            skipped=str(sum(c.status == "not-applicable" for c in run.protocol)),
            time=f"{sum(c.seconds for c in run.protocol):.3f}",
        )
        _properties(suite, run)
        for check in run.protocol:
            element = ET.SubElement(
                suite, "testcase", classname="protocol", name=check.id, time=f"{check.seconds:.3f}"
            )
            if check.status == "fail":
                child = ET.SubElement(element, "failure", message=check.description, type="core")
                child.text = "\n".join(check.details)
            elif check.status == "not-applicable":
                ET.SubElement(element, "skipped", message="; ".join(check.details))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _properties(suite: Any, run: Run) -> None:
    """Whether the run is a conformance claim, as JUnit properties of *suite*."""
    import xml.etree.ElementTree as ET

    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="claim", value=str(run.claim).lower())
    if not run.claim:
        ET.SubElement(properties, "property", name="note", value=CLAIM_NOTE)


def _first(result: CaseResult) -> str:
    return result.details[0].splitlines()[0] if result.details else result.status


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(run: Run) -> str:
    """A Markdown summary (for a CI step summary): verdicts, counts, failures with a
    command to rerun each."""
    data = summary(run)
    name = data["implementation"].get("name", run.adapter)
    version = data["implementation"].get("version", "")
    lines = [
        f"# envspec conformance: {name} {version}".rstrip(),
        "",
        f"Suite {data['suite']}, adapter `{run.adapter}`, {run.started}, {run.seconds:.2f} s. "
        f"**Verdict: {data['verdict']}.**",
        "",
    ]
    if not run.claim:
        lines += [f"**{CLAIM_NOTE[0].upper()}{CLAIM_NOTE[1:]}.**", ""]
    if run.startup_error:
        lines += [f"The adapter did not start: `{_md(run.startup_error)}`", ""]
    lines += [
        "| Role | Versions | Verdict | Core (pass/total) | Extended (pass/total) "
        "| Failed | Errors | Skipped | Unsupported |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for role, entry in data["roles"].items():
        core, ext, total = entry["core"], entry["extended"], role_totals(entry)
        lines.append(
            f"| {role} | {', '.join(entry['versions'])} | {entry['verdict']} "
            f"| {core['pass']}/{core['total']} | {ext['pass']}/{ext['total']} "
            f"| {total['fail']} | {total['error']} | {total['skipped']} "
            f"| {total['unsupported']} |"
        )
    if run.protocol:
        lines += ["", f"Protocol checks: **{run.protocol_verdict()}**.", ""]
        lines += ["| Check | Status | What it requires | Details |", "|---|---|---|---|"]
        lines += [
            f"| `{c.id}` | {c.status} | {_md(c.description)} | {_md('; '.join(c.details))} |"
            for c in run.protocol
        ]
    bad = [r for r in run.results if r.status in ("fail", "error")]
    if bad:
        lines += ["", "## Failures", ""]
        for result in bad:
            lines += [
                f"### `{result.case.id}` ({result.status}, {result.case.level})",
                "",
                f"{result.case.description}. Spec: `{result.case.spec}`.",
                "",
                *[f"- {_md(d)}" for d in result.details],
                "",
                "```sh",
                rerun_command(run, result.case.id),
                "```",
                "",
            ]
    skipped = [r for r in run.results if r.status in ("skipped", "unsupported")]
    if skipped:
        if lines[-1] == "":
            lines.pop()
        lines += ["", "## Skipped and unsupported", "", "| Case | Level | Why |", "|---|---|---|"]
        lines += [
            f"| `{r.case.id}` | {r.case.level} | {r.status}: {_md(_first(r))} |" for r in skipped
        ]
    return "\n".join(lines).rstrip() + "\n"


def badge(run: Run, role: str | None = None) -> dict[str, Any]:
    """A shields.io endpoint badge: the verdict, or the pass rate when failing."""
    results = [r for r in run.results if r.counts and (role is None or r.case.role == role)]
    verdict = run.verdict(role)
    passed = sum(r.status == "pass" for r in results)
    message = verdict if verdict != "failing" else f"{passed}/{len(results)} passing"
    label = "envspec" + (f" {role}" if role else "")
    color = _COLORS[verdict]
    if not run.claim:
        message, color = f"{message} (in-process: no claim)", "lightgrey"
    return {"schemaVersion": 1, "label": label, "message": message, "color": color}


def write_reports(run: Run, out_dir: str | Path) -> list[Path]:
    """Write every report into *out_dir* (created); returns the paths written."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "results.ndjson": "".join(line + "\n" for line in ndjson_lines(run)),
        "summary.json": json.dumps(summary(run), indent=2, ensure_ascii=False) + "\n",
        "junit.xml": junit_xml(run),
        "summary.md": markdown(run),
        "badge.json": json.dumps(badge(run), indent=2) + "\n",
    }
    for role in run.roles():
        contents[f"badge-{role}.json"] = json.dumps(badge(run, role), indent=2) + "\n"
    written = []
    for name, text in contents.items():
        path = folder / name
        path.write_text(text, "utf-8")
        written.append(path)
    return written
