"""The closed vocabulary of roles and features the conformance cases use.

An adapter declares, per role, the features it implements; the runner sends
only the cases whose features are all declared.  Every feature is documented
here once; the case listing in the docs is grouped by these names.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["FEATURES", "OPERATIONS", "ROLES", "Role"]

Role = Literal["validator", "migrator", "packer", "launcher", "spawner", "cloud"]

#: Roles of this suite version, in report order.
ROLES: Final[tuple[Role, ...]] = (
    "validator",
    "migrator",
    "packer",
    "launcher",
    "spawner",
    "cloud",
)

#: The operations (protocol requests) each role answers.
OPERATIONS: Final[dict[Role, tuple[str, ...]]] = {
    "validator": ("validate",),
    "migrator": ("migrate",),
    "packer": ("pack", "unpack"),
    "launcher": ("plan",),
    "spawner": ("menu", "launch"),
    # The cases of the cloud role are HTTP requests to the service at the declared url;
    # the adapter only gives the users' tokens, when it can the service's log, and a new
    # repository for the cases that need one.
    "cloud": ("tokens", "service-log", "repository"),
}

FEATURES: Final[dict[Role, dict[str, str]]] = {
    "validator": {
        "reading": "Reading files: encodings, JSON and YAML syntax, depth, notebook shape.",
        "notebook": "The environment inside a notebook's metadata (`metadata.environment`).",
        "standalone": "Standalone `*.envspec.yaml` environment files.",
        "versions": "`env_ver`: missing, malformed, unknown major, newer minor, legacy 0.1.",
        "structure": "Members, types, required members, closed file names (the JSON Schema).",
        "pip": "The syntax and rules of an embedded `requirements.txt`.",
        "conda": "The shape and match specs of an embedded conda `environment.yml`.",
        "toml-files": "Embedded TOML files: `pylock.toml`, `Pipfile.lock`, Julia files.",
        "repo2docker-files": "`runtime.txt`, `apt.txt`, `Dockerfile`, `start` and Binder rules.",
        "guix": "Embedded Guix files (`manifest.scm`, `channels.scm`).",
        "image": "The `image` reference and digest.",
        "git": "The `git` source: commit and subdirectory.",
        "urls": "URLs: absolute, no credentials, secure transport.",
        "secrets": "No secret values: tokens, keys, secret-named variables.",
        "consistency": "Agreement between kernel, kernelspec and Python pins.",
        "pixi-lock": "`env_ver` 1.1: the embedded `pixi.lock` and the closed set of 1.1.",
        "payload": "Payload files for spawners (`*.payload.yaml`, `payload_ver` 1.0).",
    },
    "migrator": {
        "upgrade": "Legacy 0.1 documents migrated to 1.0, keeping their meaning.",
        "downgrade": "Explicit downgrades to 0.1, refusing to drop data unless allowed.",
        "preservation": "What has no place in the target is kept, never dropped silently.",
        "minor": "Between minors of 1: 1.0 to 1.1 and back, a `pixi.lock` never dropped silently.",
    },
    "packer": {
        "pack": "A folder's environment files become the environment, exact text.",
        "binder-folders": "repo2docker's `binder/` and `.binder/` precedence.",
        "kernel": "The notebook's kernelspec recorded as `kernel`.",
        "git-source": "The git remote and commit of the folder recorded as `git`.",
        "unpack": "An environment's files written back exactly, with permissions.",
        "unpack-safety": "Unpacking never writes outside the folder or over user files.",
    },
    "launcher": {
        "precedence": "Which embedded files are applied, in which order (Binder precedence).",
        "python": "The Python pin (`python`, `runtime.txt`): met, or the launch is refused.",
        "variables": "`env`: values set, `null` variables supplied or the launch refused.",
        "trust": "Code files (`postBuild`, `start`, `Dockerfile`, Guix) run only when trusted.",
        "kernel": "The kernel the notebook opens with: `kernel`, else the kernelspec.",
        "image": "Images run by digest; the container and Guix ways of realizing.",
        "hardware": "A machine smaller than `hardware` is refused unless accepted.",
        "lock": "A conda lock (`pixi.lock`, 1.1) is installed as locked, not solved again.",
    },
    "spawner": {
        "categories": "Tags read by the payload's policy: category and display name.",
        "order": "Menu order: categories in the policy's order, newest first, total.",
        "prepull": "The prepull set: the N newest of each category, the recommended tag, pins.",
        "aliases": "Aliases resolved by digest; the recommended image first and the default.",
        "filters": "The cycle restriction, the dropdown's filters, the names bots ask for.",
        "compatibility": "Which image launches: interface ranges and maintenance rebuilds.",
    },
    "cloud": {
        "deploy": "A deployment from a notebook: created, polled to ready, its log read, deleted; "
        "GET versions; a postBuild nobody trusted is not run.",
        "isolation": "Another user's deployment cannot be read, streamed, stopped or listed.",
        "problems": "Bad requests answered as problem details (RFC 9457) with the right status.",
        "git": "Deployments from an https git repository: ready, a notebook path it lacks ends "
        "as failed, push back to that repository only.",
        "secrecy": "Tokens never appear in the service's log (the adapter gives the log).",
    },
}
