"""``envspec serve``: binder-lite on this machine (a JupyterHub envspec configures and runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

HELP = "run binder-lite on this machine: JupyterHub with the envspec deploy service"
DESCRIPTION = """\
Write a JupyterHub configuration into the state folder and run the hub: a
SQLite database, each user's servers as local processes of this account,
configurable-http-proxy (JupyterHub's proxy, from the npm registry:
    npm install -g configurable-http-proxy
), the envspec deploy service as a hub service (people sign in through the
hub), and jupyterhub-idle-culler.  Everything listens on 127.0.0.1 only; put
a TLS reverse proxy in front to offer it to others.

The first admin account is 'admin'; its password is generated once, kept in
STATE/admin-password (readable by you only) and printed with the URL.
--config loads an existing jupyterhub_config.py before envspec's part (an
authenticator such as OAuthenticator, another spawner, limits); the
operator's guide (docs/binder-lite.md) has the snippet that adds envspec to
any hub.

People deploy a notebook from a git repository (https) on the service's
page; its environment is built with uv from the package index (or the index
options given here, never from the notebook) and cached by its content, and a
repository's setup scripts (postBuild, start) never run unless the service's
configuration trusts it.  Ctrl-C (or SIGTERM) stops the hub, its services and
the users' servers."""

EPILOG = """\
examples:
  envspec serve
  envspec serve --port 8080 --state-dir /srv/binder-lite
  envspec serve --config my_jupyterhub_config.py --idle-timeout 1800

exit status: 0 stopped with Ctrl-C or SIGTERM, 1 the hub could not start
(configurable-http-proxy missing, port in use, a bad --config), 2 usage error."""


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port on 127.0.0.1 (default 8000)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="where the configuration, databases and users' work live "
        "(default: ~/.local/state/envspec/serve)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="an existing jupyterhub_config.py, loaded before envspec's settings",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="the deployments' database URL (default: SQLite in the state folder; "
        "postgresql://... works as for JupyterHub)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="stop servers idle this long (jupyterhub-idle-culler; 0: never)",
    )
    parser.add_argument(
        "--allow-local-repositories",
        action="store_true",
        help="accept file:// URLs and local paths as repositories (testing, this "
        "machine's own repositories)",
    )
    index = parser.add_argument_group("package index (never taken from the notebook)")
    index.add_argument("--index-url", metavar="URL", help="the package index (uv's default)")
    index.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR|URL",
        help="a folder or page of wheels to use (repeatable)",
    )
    index.add_argument("--no-index", action="store_true", help="use only --find-links")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.service.embedded import Ready, ServeError, ServeOptions, default_state_dir, run

    if not 0 < args.port < 65536:
        err.write(f"envspec serve: error: --port {args.port} is not a port number (1-65535)\n")
        return 2
    if args.idle_timeout < 0:
        err.write("envspec serve: error: --idle-timeout must be 0 (never) or a number of seconds\n")
        return 2
    options = ServeOptions(
        state_dir=(args.state_dir or default_state_dir()).absolute(),
        port=args.port,
        config=args.config,
        database_url=args.db,
        allow_local_repositories=args.allow_local_repositories,
        find_links=tuple(str(Path(f).absolute()) if "://" not in f else f for f in args.find_links),
        index_url=args.index_url,
        no_index=args.no_index,
        idle_timeout=args.idle_timeout,
    )

    def ready(info: Ready) -> None:
        out.write(
            f"binder-lite is running (ready in {info.seconds:.1f} s). Open this URL in a browser:\n"
            f"    {info.url}\n"
            f"Sign in as '{info.user}' with the password\n"
            f"    {info.password}\n"
            f"(kept in {info.password_file}; the hub's configuration is {info.config_file}).\n"
            "Press Ctrl-C to stop.\n"
        )
        out.flush()

    try:
        return run(options, on_ready=ready)
    except ServeError as exc:
        err.write(f"envspec serve: error: {exc.message}\n")
        if exc.hint:
            err.write(f"  hint: {exc.hint}\n")
        return 1
