"""The adapter for envspec itself: the reference implementation of every role.

In-process: ``envspec conformance run --adapter python:envspec.conformance.reference:Adapter``.
As a child process (what any other language does)::

    envspec conformance run --adapter "python -m envspec.conformance.reference"

It is also the worked example of an adapter in Python: one ``handle`` method
that takes a request and returns an answer, and a loop that reads and writes
one JSON line at a time.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from envspec._version import __version__

__all__ = ["Adapter", "main"]


def _diagnostics(items: Any, pointer_of: Any = None) -> list[dict[str, Any]]:
    return [
        {
            "code": d.code,
            "pointer": pointer_of(d) if pointer_of else d.pointer,
            "severity": d.severity,
            "message": d.message,
        }
        for d in items
    ]


class Adapter:
    """Answers protocol requests with the envspec library."""

    def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        """One request in, one answer out (errors become ``errored`` answers)."""
        seq = message.get("seq")
        op = message.get("op")
        # An op with a hyphen (service-log) is answered by a method with an underscore.
        method = getattr(self, f"_{op.replace('-', '_')}", None) if isinstance(op, str) else None
        if method is None:
            return {"seq": seq, "unsupported": {"reason": f"unknown op {op!r}"}}
        if op == "hello" and message.get("protocol") != 1:
            # Another protocol version: no result (the runner reports that we did not start).
            reason = f"this adapter speaks protocol 1, not {message.get('protocol')!r}"
            return {"seq": seq, "unsupported": {"reason": reason}}
        try:
            return {"seq": seq, "result": method(message)}
        except Exception as exc:  # noqa: BLE001 (the protocol reports it)
            import traceback

            return {
                "seq": seq,
                "errored": {
                    "message": f"{type(exc).__name__}: {exc}",
                    "traceback": (traceback.format_exc()),
                },
            }

    def _hello(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.conformance.features import FEATURES
        from envspec.versions import SUPPORTED

        return {
            "protocol": 1,
            "implementation": {
                "name": "envspec",
                "version": __version__,
                "language": "python",
                "homepage": "https://envspec.dev",
            },
            "roles": {
                "validator": {"versions": list(SUPPORTED), "features": list(FEATURES["validator"])},
                "migrator": {"versions": list(SUPPORTED), "features": list(FEATURES["migrator"])},
                "packer": {"versions": ["1.0"], "features": list(FEATURES["packer"])},
                "launcher": {"versions": ["1.0", "1.1"], "features": list(FEATURES["launcher"])},
                "spawner": {"versions": ["1.0"], "features": list(FEATURES["spawner"])},
            },
        }

    def _bye(self, message: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.validate import validate_bytes

        file = message["file"]
        data = (
            base64.b64decode(file["base64"])
            if file.get("base64") is not None
            else file["text"].encode("utf-8", "surrogatepass")
        )
        from envspec.payloads.validate import is_payload_file, validate_payload_bytes

        if is_payload_file(file["name"]):
            report = validate_payload_bytes(data, file["name"], check_files=False)
        else:
            report = validate_bytes(data, file["name"], require=bool(message.get("require")))
        diagnostics = _diagnostics(report.diagnostics)
        return {
            "valid": not any(d["severity"] == "error" for d in diagnostics),
            "diagnostics": diagnostics,
        }

    def _migrate(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.migrations import MigrationError, migrate

        try:
            lossy = bool(message.get("lossy"))
            result = migrate(message["document"], message["to"], allow_lossy=lossy)
        except MigrationError as exc:
            return {
                "document": None,
                "diagnostics": [
                    {"code": exc.code, "pointer": "", "severity": "error", "message": str(exc)}
                ],
            }
        return {"document": result.document, "diagnostics": []}

    def _pack(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec._git import find_source, is_dirty
        from envspec.notebook import read_document
        from envspec.pack import collect, plan_pack

        folder = Path(message["folder"])
        notebook = folder / message["notebook"]
        read = read_document(notebook.read_bytes(), "notebook")
        metadata = read.document["metadata"] if read.document else {}
        collected = collect(folder)
        git = find_source(folder)
        # The same plan, and so the same secret gate, as every writer of envspec.
        plan = plan_pack(metadata, collected, git, name=message["notebook"])
        strip = "/metadata/environment"
        diagnostics = _diagnostics(
            plan.diagnostics,
            lambda d: d.pointer.removeprefix(strip) if d.pointer.startswith(strip) else "",
        )
        if plan.status == "failed":
            return {"environment": None, "diagnostics": diagnostics}
        if git is not None and is_dirty(git.toplevel, ignore=frozenset({notebook.resolve()})):
            diagnostics.insert(
                0,
                {
                    "code": "git-dirty",
                    "pointer": "/git/commit",
                    "severity": "warning",
                    "message": "the repository has uncommitted changes",
                },
            )
        return {"environment": plan.environment, "diagnostics": diagnostics}

    def _unpack(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.diagnostics import escape_pointer
        from envspec.unpack import unpack_environment

        outcome = unpack_environment(
            message["environment"], message["folder"], force=bool(message.get("force"))
        )

        legacy = message["environment"].get("env_ver") == "0.1"

        def pointer(d: Any) -> str:
            # Conflicts name the file on disk; the protocol points into the environment
            # (0.1 keeps its files at the top level).
            if d.code == "file-exists":
                name = escape_pointer(os.path.basename(d.file))
                return f"/{name}" if legacy else f"/files/{name}"
            return str(d.pointer)

        return {"diagnostics": _diagnostics(outcome.diagnostics, pointer)}

    def _plan(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.launch.plan import Interpreter, LaunchOptions, Machine, plan_launch
        from envspec.loader import load_environment
        from envspec.models.v1_0 import Environment

        options = dict(message.get("options") or {})
        machine = options.get("machine")
        document = message["environment"]
        # A document that conforms but is inconsistent (two Python pins) is planned, and
        # refused by the plan; an older version is migrated first.
        environment = (
            Environment.model_validate(document)
            if str(document.get("env_ver", "")).startswith("1.")
            else load_environment(document).environment
        )
        plan = plan_launch(
            environment,
            kernelspec=message.get("kernelspec"),
            options=LaunchOptions(
                trusted=bool(options.get("trusted")),
                variables=frozenset(options.get("variables") or {}),
                allow_missing_variables=bool(options.get("allow_missing_variables")),
                backend=options.get("backend"),
                interpreters=tuple(
                    Interpreter(version=v, path=f"/python-{v}/bin/python3")
                    for v in options.get("interpreters") or ()
                ),
                tools=frozenset(options.get("tools") or ()),
                machine=Machine(**machine) if machine is not None else None,
                accept_smaller_machine=bool(options.get("accept_smaller_machine")),
            ),
        )
        return plan_answer(plan)

    def _menu(self, message: dict[str, Any]) -> dict[str, Any]:
        import datetime

        from envspec.payloads.load import menu_payload
        from envspec.payloads.menu import build_menu
        from envspec.payloads.models import Payload
        from envspec.payloads.tags import make_policy, read_tag_list

        payload = menu_payload(Payload.model_validate(message["payload"]))
        tag_list = read_tag_list(message["tags"])
        today = message.get("today")
        policy = make_policy(payload.policy)
        menu = build_menu(
            payload,
            tag_list,
            today=datetime.date.fromisoformat(today) if today else None,
            policy=policy,
        )
        return {
            **menu_answer(menu),
            "diagnostics": _diagnostics([*tag_list.diagnostics, *menu.diagnostics]),
        }

    def _launch(self, message: dict[str, Any]) -> dict[str, Any]:
        from envspec.payloads.compatibility import InterfaceRange, choose_image
        from envspec.payloads.load import compat_images, menu_payload
        from envspec.payloads.models import Payload
        from envspec.payloads.tags import make_policy, sort_tags

        payload = Payload.model_validate(message["payload"])
        images, interface = compat_images(payload)
        policy = make_policy(menu_payload(payload).policy)

        def newest_first(tags: list[str]) -> list[str]:
            return [p.tag for p in sort_tags(policy, [policy.parse(t) for t in tags])]

        decision = choose_image(
            message["tag"],
            images,
            InterfaceRange.parse(message["interface"]),
            default_interface=interface,
            newest_first=newest_first,
        )
        return {
            "launch": decision.launch,
            "rebuild": decision.rebuild,
            "diagnostics": _diagnostics(decision.diagnostics),
        }


def menu_answer(menu: Any) -> dict[str, Any]:
    """The ``menu`` result of the protocol for a :class:`~envspec.payloads.menu.Menu`."""
    return {
        "tags": [
            {"tag": t, "category": e.category, "display_name": e.display}
            for t in menu.order
            for e in (menu.entry(t),)
        ],
        "default": menu.default,
        "menu": [e.tag for e in menu.menu],
        "prepull": menu.prepull,
        "dropdown": menu.dropdown,
        "bots": menu.bots,
        "aliases": menu.aliases,
    }


def plan_answer(plan: Any) -> dict[str, Any]:
    """The normative part of a :class:`~envspec.launch.plan.LaunchPlan`, as the ``plan``
    result of the protocol."""
    from envspec.diagnostics import escape_pointer

    def step(s: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": s.kind, "file": s.file}
        if s.kind == "image":
            out["image"] = s.detail.get("reference")
        return out

    diagnostics = [
        {"code": r.code, "pointer": r.pointer, "severity": "error", "message": r.message}
        for r in plan.refusals
    ]
    diagnostics += [
        {
            "code": s.code,
            "pointer": "/files/" + escape_pointer(s.file),
            "severity": "warning",
            "message": s.message,
        }
        for s in plan.skipped
    ]
    diagnostics += [
        {"code": n.code, "pointer": n.pointer, "severity": "warning", "message": n.message}
        for n in plan.notes
    ]
    return {
        "ok": plan.ok,
        "backend": plan.backend,
        "steps": [step(s) for s in plan.steps],
        "kernel": {"name": plan.kernel.name},
        "required": list(plan.required),
        "variables": list(plan.variables),
        "diagnostics": diagnostics,
    }


def main() -> int:
    """Serve the protocol on stdin/stdout until ``bye`` or the end of input."""
    adapter = Adapter()
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    for line in stdin:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError as exc:
            message = None
            sys.stderr.write(f"envspec adapter: ignored a line that is not JSON: {exc}\n")
        if not isinstance(message, dict):
            continue
        answer = adapter.handle(message)
        stdout.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        stdout.flush()
        if message.get("op") == "bye":
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
