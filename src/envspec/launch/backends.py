"""The Guix and container backends: the commands they run, and a clear error without the tool.

``--backend guix`` runs JupyterLab inside ``guix shell -m manifest.scm`` (through
``guix time-machine -C channels.scm --`` when the environment pins channels):
the manifest provides JupyterLab and the kernel, as guix-jupyter does.
``--backend docker`` pulls the environment's ``image`` by digest and runs it
with the notebook folder mounted, published on 127.0.0.1 only, the token
passed in the environment (never on the command line).  Both exist here as
commands built from the plan; they run where the tool is installed (``guix``;
``docker`` or ``podman`` whose ``info`` answers).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from envspec.launch.targets import LaunchError

__all__ = [
    "CONTAINER_HOME",
    "GUIX_INSTALL",
    "ContainerCommands",
    "container_commands",
    "find_container_engine",
    "guix_command",
    "require_guix",
]

GUIX_INSTALL = (
    "install Guix (https://guix.gnu.org/manual/en/html_node/Binary-Installation.html, "
    "or 'apt-get install guix' on Debian 12 and Ubuntu 22.04 or later), "
    "or launch with --backend local"
)
DOCKER_INSTALL = (
    "install Docker (https://docs.docker.com/engine/install/) or Podman "
    "(apt-get install podman) and make sure 'docker info' works for your user, "
    "or launch with --backend local"
)
#: Where the notebook folder is mounted in the container (the home of Jupyter's images).
CONTAINER_HOME = "/home/jovyan/work"


def require_guix() -> str:
    """The ``guix`` executable, or an error that says how to get it."""
    found = shutil.which("guix")
    if found is None:
        raise LaunchError("the guix backend needs 'guix', which is not installed", GUIX_INSTALL)
    return found


def guix_command(
    manifest: Path,
    channels: Path | None,
    lab_arguments: Sequence[str],
    *,
    guix: str = "guix",
) -> list[str]:
    """``guix [time-machine -C channels.scm --] shell -m manifest.scm -- jupyter lab ARGS``."""
    shell = ["shell", "-m", str(manifest), "--", "jupyter", "lab", *lab_arguments]
    if channels is not None:
        return [guix, "time-machine", "-C", str(channels), "--", *shell]
    return [guix, *shell]


def guix_lab_arguments(folder: Path, port: int) -> list[str]:
    """JupyterLab's options inside the Guix shell (the token comes from JUPYTER_TOKEN)."""
    return [
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={folder}",
    ]


def find_container_engine(candidates: Iterable[str] = ("docker", "podman")) -> str:
    """The first container engine whose ``info`` answers, or an error that says how to get one."""
    names = tuple(candidates)
    missing: list[str] = []
    for name in names:
        found = shutil.which(name)
        if found is None:
            missing.append(name)
            continue
        try:
            done = subprocess.run(
                [found, "info"],
                capture_output=True,
                timeout=30,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return found
    if len(missing) == len(names):
        raise LaunchError(
            "the docker backend needs docker or podman, neither is installed", DOCKER_INSTALL
        )
    raise LaunchError(
        "the docker backend needs a container engine that answers, "
        "and 'docker info' / 'podman info' failed (is the daemon running?)",
        DOCKER_INSTALL,
    )


@dataclass(frozen=True, slots=True)
class ContainerCommands:
    pull: list[str]
    run: list[str]
    #: The container's name (``docker stop NAME`` stops it).
    name: str


def image_reference(ref: str, digest: str | None) -> str:
    """``ref@sha256:...`` when the environment gives a digest (that image exactly), else *ref*."""
    if digest is None:
        return ref
    base = ref.split("@", 1)[0]
    return f"{base}@{digest}"


#: Where the launch's kernelspecs are mounted in the container (first on JUPYTER_PATH).
CONTAINER_KERNELS = "/opt/envspec/jupyter"


def dockerfile_build(engine: str, dockerfile: Path, folder: Path, tag: str) -> list[str]:
    """Build the environment's Dockerfile with the served folder as its context."""
    return [engine, "build", "-t", tag, "-f", str(dockerfile), str(folder)]


def container_commands(
    engine: str,
    ref: str,
    digest: str | None,
    folder: Path,
    port: int,
    *,
    name: str,
    variables: Iterable[str] = (),
    kernels: Path | None = None,
    pull: bool = True,
) -> ContainerCommands:
    """``pull`` and ``run`` of the environment's image: published on 127.0.0.1:*port* only,
    the folder mounted at :data:`CONTAINER_HOME`, the token and each variable passed by
    name (``-e NAME``: the value comes from this process's environment, never the command
    line)."""
    image = image_reference(ref, digest)
    run = [
        engine, "run", "--rm", "--init", "--name", name,
        "-p", f"127.0.0.1:{port}:8888",
        "-e", "JUPYTER_TOKEN",
        "-v", f"{folder}:{CONTAINER_HOME}",
        "-w", CONTAINER_HOME,
    ]  # fmt: skip
    if kernels is not None:  # the kernel the notebook expects, registered in the container
        run += [
            "-v",
            f"{kernels}:{CONTAINER_KERNELS}:ro",
            "-e",
            f"JUPYTER_PATH={CONTAINER_KERNELS}",
        ]
    for variable in sorted(set(variables)):
        run += ["-e", variable]
    run += [
        image,
        "jupyter", "lab",
        "--ServerApp.ip=0.0.0.0",  # inside the container; published on 127.0.0.1 only
        "--ServerApp.port=8888",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={CONTAINER_HOME}",
    ]  # fmt: skip
    return ContainerCommands([engine, "pull", image] if pull else [], run, name)
