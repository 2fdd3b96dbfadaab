"""``envspec service run | token``: the deploy service, standalone."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any, TextIO

HELP = "run the deploy service (the deploy-handler API) standalone on 127.0.0.1"
DESCRIPTION = """\
The deploy service turns a notebook (uploaded, or in a git repository) into a
running Jupyter server with the notebook's environment and its kernel
preselected, behind the deploy-handler API (spec/deploy-api-1.0.md):
POST /api/v1/deployments, GET its status and its build log (server-sent
events), DELETE it, push the session's changes back to a new branch.

  run    serve the API on 127.0.0.1 until Ctrl-C or SIGTERM
  token  print a new bearer token for a user and the line of the tokens file

Behind JupyterHub the same service runs as a hub service ('envspec serve');
standalone, users are named by bearer tokens from a tokens file."""

RUN_DESCRIPTION = """\
Serve the deploy-handler API on 127.0.0.1 (never another interface: put a
proxy with TLS in front to serve others).  Deployments and their logs live in
the database --db (an SQLAlchemy URL, the scheme JupyterHub uses:
sqlite:///FILE by default, postgresql://... when you have one).  Users are
the bearer tokens of --tokens (lines 'USER SHA256-OF-TOKEN'; 'envspec service
token USER' writes one).  Checkouts and uploaded notebooks go to --data-dir;
environments to envspec's cache, keyed by their content hash (a commit that
changes only cells reuses the environment).

--config FILE reads a TOML file whose [service] table has the same settings
and more (limits, the git policy, trusted repositories, package index
options); the options given here win.  Code from a repository (postBuild,
start) never runs unless the repository matches trusted_repositories (or a
--trust-repository pattern).

When the service starts, every deployment a previous run left unfinished is
resumed (or fails after max_attempts restarts) and ready deployments get
their server back.  The URL is printed once the service accepts requests;
the log (no tokens in it) goes to stderr."""

RUN_EPILOG = """\
examples:
  envspec service token alice >> tokens.txt   # prints the token on stderr
  envspec service run --tokens tokens.txt --port 8585
  envspec service run --tokens tokens.txt --trust-repository 'https://github.com/my-lab/*'
  envspec service run --config service.toml
  envspec service run --db postgresql://envspec@db/envspec --tokens tokens.txt

exit status: 0 stopped by Ctrl-C or SIGTERM, 1 the configuration or the
tokens file cannot be used, 2 usage error."""

NEW_USER_DESCRIPTION = """\
Make a new random bearer token for USER: the line for the tokens file
('USER SHA256') goes to stdout, the token itself to stderr (give it to the
user; it is not stored anywhere)."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "service",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(
        dest="service_command", metavar="SUBCOMMAND", required=True, help="run or token"
    )
    run = sub.add_parser(
        "run",
        help="serve the API on 127.0.0.1",
        description=RUN_DESCRIPTION,
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", type=Path, metavar="FILE", help="a TOML file ([service] table)")
    run.add_argument(
        "--db", metavar="URL", help="the database (default: sqlite:///envspec-service.sqlite)"
    )
    run.add_argument(
        "--tokens", type=Path, metavar="FILE", help="the tokens file (USER SHA256 lines)"
    )
    run.add_argument(
        "--port", type=int, metavar="N", help="the port of 127.0.0.1 (default 8585; 0: a free one)"
    )
    run.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="checkouts and uploads (default ./envspec-service)",
    )
    run.add_argument("--base-url", metavar="PATH", help="the prefix of every route (default /)")
    run.add_argument("--max-builds", type=int, metavar="N", help="builds at once (default 2)")
    run.add_argument(
        "--build-timeout",
        type=float,
        metavar="SECONDS",
        help="fetch and build time limit (default 1800)",
    )
    run.add_argument(
        "--allow-local-repositories",
        action="store_true",
        default=None,
        help="accept file:// URLs and local paths (tests, one-person setups)",
    )
    run.add_argument(
        "--git-ca-bundle",
        type=Path,
        metavar="FILE",
        help="CA certificates (PEM) git trusts for https repositories (GIT_SSL_CAINFO)",
    )
    run.add_argument(
        "--trust-repository",
        action="append",
        metavar="PATTERN",
        help="a repository URL pattern (fnmatch: https://github.com/my-lab/*) whose postBuild "
        "and start may run (repeatable; adds to the config file's trusted_repositories)",
    )
    run.add_argument(
        "--find-links", action="append", metavar="PATH", help="a folder of wheels (repeatable)"
    )
    run.add_argument(
        "--no-index", action="store_true", default=None, help="only --find-links, no package index"
    )
    run.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO"
    )
    run.set_defaults(run=_run)
    token = sub.add_parser(
        "token",
        help="a new bearer token for a user",
        description=NEW_USER_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    token.add_argument("user", metavar="USER")
    token.set_defaults(run=_token)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.service.auth import TokensFileError
    from envspec.service.config import ConfigError, ServiceConfig, load_config

    overrides: dict[str, Any] = {
        "db_url": args.db,
        "tokens_file": args.tokens,
        "port": args.port,
        "data_dir": args.data_dir,
        "base_url": args.base_url,
        "max_concurrent_builds": args.max_builds,
        "build_timeout": args.build_timeout,
        "allow_local_repositories": args.allow_local_repositories,
        "git_ca_bundle": args.git_ca_bundle,
        "find_links": tuple(args.find_links) if args.find_links else None,
        "no_index": args.no_index,
        "log_level": args.log_level,
    }
    trusted = tuple(args.trust_repository or ())
    if args.port is not None and not 0 <= args.port < 65536:
        err.write(f"envspec service run: --port {args.port} is not a port number (0 to 65535)\n")
        return 2
    try:
        if args.config is not None:
            config = load_config(args.config, **overrides)
        else:
            config = ServiceConfig(**{k: v for k, v in overrides.items() if v is not None})
        if trusted:
            config = dataclasses.replace(
                config, trusted_repositories=(*config.trusted_repositories, *trusted)
            )
        from envspec.service.server import run, setup_logging

        setup_logging(config.log_level, err)

        def ready(url: str) -> None:
            out.write(f"envspec service listening on {url}\n")
            out.flush()

        return run(config, ready)
    except (ConfigError, TokensFileError) as exc:
        err.write(f"envspec service run: {exc}\n")
        return 1
    except OSError as exc:
        err.write(f"envspec service run: cannot listen: {exc.strerror or exc}\n")
        return 1


def _token(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import re

    from envspec.service.auth import hash_token, new_token

    if not re.fullmatch(r"[A-Za-z0-9._@-]{1,128}", args.user):
        err.write("envspec service token: USER may have letters, digits and . _ @ - only\n")
        return 2
    token = new_token()
    out.write(f"{args.user} {hash_token(token)}\n")
    err.write(f"token for {args.user}: {token}\n")
    return 0
