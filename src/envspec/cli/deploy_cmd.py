"""``envspec deploy NOTEBOOK``: deploy a notebook to the cloud target it names."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO

HELP = "deploy a notebook to the cloud service its environment names, print its URL"
DESCRIPTION = """\
Upload NOTEBOOK to the deploy handler of one of its cloud targets (the
'cloud' list of its metadata.environment: each has a name and a handler_url,
the base URL of a service that implements the deploy-handler API,
spec/deploy-api-1.0.md), follow the build log, and print the notebook's URL
once it is ready.

The first target is used unless --target NAME picks another.  The bearer
token comes from the environment variable --token-env names (default
ENVSPEC_DEPLOY_TOKEN): never from the command line, where other users of the
machine could read it.  The token is sent only over https (or http to
127.0.0.1).  The build log goes to stderr; -q silences it."""

EPILOG = """\
examples:
  export ENVSPEC_DEPLOY_TOKEN=...   # from the service's operator, or its web page
  envspec deploy analysis.ipynb
  envspec deploy analysis.ipynb --target gpu-notebooks
  envspec deploy analysis.ipynb --no-wait --format json

output: the URL of the ready notebook (json: the deployment object of the
API: id, status, url, error...).

exit status: 0 ready (or created, with --no-wait), 1 the deployment failed,
the service refused it or cannot be reached, or the notebook names no such
target, 2 usage error (no token)."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "deploy",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebook", metavar="NOTEBOOK", type=Path, help="the notebook (*.ipynb)")
    parser.add_argument(
        "--target", metavar="NAME", help="the cloud target's name (default: the first)"
    )
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        default="ENVSPEC_DEPLOY_TOKEN",
        help="the environment variable holding the bearer token (default ENVSPEC_DEPLOY_TOKEN)",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help="return once the deployment is created"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long to wait for ready (default 3600)",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    parser.add_argument("-q", "--quiet", action="store_true", help="no build log on stderr")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import json

    from envspec.service.client import DeployError, deploy

    token = os.environ.get(args.token_env, "").strip()
    if not token:
        err.write(
            f"envspec deploy: no token: set the environment variable {args.token_env} "
            "(or name another with --token-env)\n"
        )
        return 2

    def on_log(phase: str, line: str) -> None:
        if not args.quiet:
            err.write(f"[{phase}] {line}\n")
            err.flush()

    try:
        target, deployment = deploy(
            args.notebook,
            token,
            target=args.target,
            wait=not args.no_wait,
            timeout=args.timeout,
            on_log=on_log,
        )
    except DeployError as exc:
        err.write(f"envspec deploy: {exc.message}\n")
        if exc.hint:
            err.write(f"hint: {exc.hint}\n")
        return 1
    if args.format == "json":
        out.write(json.dumps(deployment, indent=2) + "\n")
    status = deployment.get("status")
    if status == "ready":
        if args.format == "text":
            out.write(f"{deployment['url']}\n")
        return 0
    if args.no_wait:
        if args.format == "text":
            out.write(f"deployment {deployment['id']} created on {target.name} ({status})\n")
        return 0
    error = deployment.get("error") or {}
    err.write(
        f"envspec deploy: the deployment {status}"
        + (f" ({error.get('code')}): {error.get('detail')}" if error else "")
        + "\n"
    )
    return 1
