"""``envspec kernel install`` and ``envspec kernel remove``."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

HELP = "install the kernel that runs each notebook in its own environment"
DESCRIPTION = """\
Install a Jupyter kernelspec whose kernel runs each notebook in the
environment the notebook declares.  When a notebook starts this kernel (in
JupyterLab, Notebook, JupyterHub, VS Code, nbclient...), envspec's kernel
provisioner finds the notebook (jupyter_server gives its path), reads its
metadata.environment (or, when it has none, the environment files of its
folder: requirements.txt, environment.yml, a binder/ folder...), creates the
environment or reuses it from the cache, and starts ipykernel with the
environment's Python and its env variables.

A notebook that cannot run in its environment (none declared, a build that
fails, a required variable that the server does not set, postBuild without
trust) still gets a kernel: every cell then fails with the reason, its code
and a hint.  The notebook never runs in another environment silently.

envspec (with its launch extra) must be installed in the Python that runs the
Jupyter server: the provisioner runs there.  Creating an environment may take
minutes; the kernel waits up to --build-timeout seconds (default 1800).
Package index options are given here (or in uv's own configuration and
UV_* variables of the server's environment), never by the notebook."""

EPILOG = """\
examples:
  envspec kernel install                     # for you (the Jupyter data folder)
  envspec kernel install --sys-prefix        # for this Python environment (JupyterHub)
  envspec kernel install --prefix /opt/jupyter --name envspec --display-name "My envs"
  envspec kernel install --find-links /srv/wheels --no-index
  envspec kernel remove

exit status: 0 done (or already up to date); 1 the kernelspec could not be written or
removed; 2 usage error.  docs: docs/kernel.md."""


def _scope(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--user",
        dest="scope",
        action="store_const",
        const="user",
        help="in your Jupyter data folder (the default)",
    )
    where.add_argument(
        "--sys-prefix",
        dest="scope",
        action="store_const",
        const="sys-prefix",
        help="in the prefix of the Python running envspec (a virtual or conda environment)",
    )
    where.add_argument(
        "--prefix",
        metavar="DIR",
        help="in DIR/share/jupyter/kernels (add DIR/share/jupyter to JUPYTER_PATH)",
    )
    parser.add_argument(
        "--name",
        default="envspec",
        help="the kernelspec's name (default: envspec)",
    )


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "kernel",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(
        dest="action",
        metavar="{install,remove}",
        required=True,
        help="install (or update) the kernelspec, or remove it; each has its own --help",
    )
    install = actions.add_parser(
        "install",
        help="install (or update) the envspec kernelspec",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _scope(install)
    from envspec.kernel.spec import DEFAULT_DISPLAY_NAME

    install.add_argument(
        "--display-name",
        default=DEFAULT_DISPLAY_NAME,
        help=f"the name shown in the kernel picker (default: {DEFAULT_DISPLAY_NAME!r})",
    )
    from envspec.cli.index_options import add_index_options

    add_index_options(
        install,
        "package index (for every environment this kernel creates; never from the notebook)",
        find_links_help="a folder or page of wheels (repeatable; folders are made absolute)",
    )
    install.add_argument(
        "--build-timeout",
        metavar="SECONDS",
        type=float,
        help="how long a kernel start may spend creating its environment (default 1800)",
    )
    install.set_defaults(run=run_install)
    remove = actions.add_parser(
        "remove",
        help="remove the envspec kernelspec",
        description="Remove an envspec kernelspec (a kernelspec of that name that is not "
        "envspec's is left alone).  The environments stay in envspec's cache.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _scope(remove)
    remove.set_defaults(run=run_remove)


def _where(args: argparse.Namespace) -> tuple[Any, str | None]:
    if args.prefix is not None:
        return "prefix", args.prefix
    return args.scope or "user", None


def run_install(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from envspec.cli.main import EXIT_FAIL, EXIT_OK, EXIT_USAGE
    from envspec.cli.render import visible
    from envspec.kernel.spec import KernelspecError, ProvisionerConfig, install_kernelspec

    if args.build_timeout is not None and args.build_timeout <= 0:
        err.write("envspec kernel install: error: --build-timeout must be positive\n")
        return EXIT_USAGE
    links = []
    for link in args.find_links:
        if "://" in link:
            links.append(link)
            continue
        if not os.path.isdir(link):
            err.write(
                f"envspec kernel install: error: --find-links {visible(repr(link))} "
                "is not a folder (give a folder of wheels or a URL)\n"
            )
            return EXIT_USAGE
        links.append(os.path.abspath(link))
    config = ProvisionerConfig(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        find_links=tuple(links),
        no_index=args.no_index,
        offline=args.offline,
        build_timeout=args.build_timeout,
    )
    scope, prefix = _where(args)
    try:
        folder, changed = install_kernelspec(
            name=args.name,
            display_name=args.display_name,
            scope=scope,
            prefix=prefix,
            config=config,
        )
    except KernelspecError as exc:
        err.write(f"envspec kernel install: error: {visible(str(exc))}\n")
        return EXIT_FAIL
    verb = "installed" if changed else "up to date"
    out.write(f"{verb}: kernelspec {args.name!r} in {visible(str(folder))}\n")
    import importlib.util

    if importlib.util.find_spec("jupyter_client") is None:
        err.write(
            "envspec kernel install: warning: jupyter_client is not installed in this Python, "
            "so a Jupyter server running here cannot load envspec's kernel provisioner; "
            "install envspec with its launch extra in the Python that runs the server\n"
        )
    if scope == "prefix":
        share = os.path.join(os.path.abspath(prefix or "."), "share", "jupyter")
        out.write(f"    Jupyter finds it when JUPYTER_PATH includes {visible(share)}\n")
    return EXIT_OK


def run_remove(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from envspec.cli.main import EXIT_FAIL, EXIT_OK
    from envspec.cli.render import visible
    from envspec.kernel.spec import KernelspecError, remove_kernelspec

    scope, prefix = _where(args)
    try:
        folder = remove_kernelspec(name=args.name, scope=scope, prefix=prefix)
    except KernelspecError as exc:
        err.write(f"envspec kernel remove: error: {visible(str(exc))}\n")
        return EXIT_FAIL
    out.write(f"removed: {visible(str(folder))}\n")
    return EXIT_OK
