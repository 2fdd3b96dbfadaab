"""The diagnostic codes of ``envspec import`` and ``envspec export``, registered in
:mod:`envspec._codes` with the others.  Each example runs the command its options name:
``import`` (``from=FORMAT``) or ``format-export`` (``to=FORMAT``)."""

from __future__ import annotations

from envspec.diagnostics import CodeInfo

__all__ = ["FORMAT_ENTRIES"]

_ENV = 'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n'

FORMAT_ENTRIES: tuple[CodeInfo, ...] = (
    # ------------------------------------------------------------------ any format
    CodeInfo(
        "format-unknown",
        "error",
        "No format has that name",
        "`--from` and `--to` take a name from the format registry; a typo must not be read "
        "as some other format.",
        "Use one of the names `envspec import --help` lists.",
        "analysis.py",
        "print('hello')\n",
        ("import", "from=nosuch"),
    ),
    CodeInfo(
        "format-source-invalid",
        "error",
        "The source is not a file of the format asked for",
        "An import reads one format; a file of another kind, or a folder without the files "
        "the format names, gives no environment.",
        "Check the path and --from; `envspec import --help` lists what each format reads.",
        "notes.txt",
        "numpy\n",
        ("import", "from=envspec"),
    ),
    CodeInfo(
        "format-output-exists",
        "error",
        "The export would replace a different file",
        "An export never overwrites a file that differs from what it would write, so hand "
        "edits are not lost; a file that is already identical is left as it is.",
        "Choose another -o, delete the file, or pass --force to replace it.",
        "analysis.envspec.yaml",
        _ENV,
        ("format-export", "to=envspec", "exists=environment.envspec.yaml"),
    ),
    # --- each format appends its own section below (keep sections in registry order)
    # ------------------------------------------------------------------ binder
    CodeInfo(
        "binder-no-inputs",
        "error",
        "No repo2docker configuration file to convert",
        "A Binder import reads repo2docker's files (requirements.txt, environment.yml, apt.txt, "
        "runtime.txt, postBuild, ...) from the repository folder, or from its `binder/` or "
        "`.binder/` folder when there is one; without any there is no environment, and an "
        "environment without files gives no folder.",
        "Give the repository folder (or one of its configuration files); with a `binder/` "
        "folder, put the files there.",
        "notes.txt",
        "numpy\n",
        ("import", "from=binder"),
    ),
    CodeInfo(
        "binder-not-carried",
        "warning",
        "Part of the repository or of the environment is not carried",
        "repo2docker reads files an environment cannot carry (`setup.py`, `DESCRIPTION`, the "
        "root's files when a `binder/` folder hides them), and an environment holds what a "
        "repository folder has no place for (an image, environment variables, hardware).",
        "Move what matters into a file both read, or keep it beside the notebook by hand.",
        "analysis.envspec.yaml",
        _ENV + 'image:\n  ref: "quay.io/jupyter/scipy-notebook:2024-12-02"\n',
        ("format-export", "to=binder"),
    ),
    # ------------------------------------------------------------------ devcontainer
    CodeInfo(
        "devcontainer-jsonc-invalid",
        "error",
        "The devcontainer.json is not JSONC",
        "devcontainer.json is JSON with comments and trailing commas; anything else cannot be "
        "read, and a guess could take the wrong image.",
        "Fix the file at the line and column shown.",
        "devcontainer.json",
        '{\n  // the image\n  "image": "python:3.12",\n  garbage\n}\n',
        ("import", "from=devcontainer"),
    ),
    CodeInfo(
        "devcontainer-command-not-carried",
        "warning",
        "A lifecycle command of the dev container is not carried",
        "`postCreateCommand` and the other lifecycle commands are shell text: an import never "
        "runs them and cannot tell what they install, so the environment does not hold it.",
        "Put what the command installs into requirements.txt, environment.yml or apt.txt.",
        "devcontainer.json",
        '{"image": "python:3.12", "postCreateCommand": "pip install numpy"}\n',
        ("import", "from=devcontainer"),
    ),
    CodeInfo(
        "devcontainer-feature-not-carried",
        "warning",
        "A dev container feature is not carried",
        "Features are install scripts fetched from a registry when the container is built; an "
        "environment has no place for them and an import never runs them.",
        "Install what the feature gives through the environment's files, or keep the feature "
        "in the devcontainer.json by hand.",
        "devcontainer.json",
        '{"image": "python:3.12",\n "features": {"ghcr.io/devcontainers/features/node:1": {}}}\n',
        ("import", "from=devcontainer"),
    ),
    CodeInfo(
        "devcontainer-not-carried",
        "warning",
        "Part of the dev container or of the environment is not carried",
        "A dev container holds settings an environment has no place for (ports, mounts, "
        "editor customizations), and an environment holds files a dev container does not "
        "install (lock files, Guix or Nix files).",
        "Keep what matters in the file it belongs to by hand.",
        "devcontainer.json",
        '{"image": "python:3.12", "forwardPorts": [8888]}\n',
        ("import", "from=devcontainer"),
    ),
    # ------------------------------------------------------------------ dockerfile
    CodeInfo(
        "dockerfile-not-carried",
        "warning",
        "Part of the Dockerfile or of the environment is not carried",
        "A Dockerfile runs arbitrary steps: an import reads the base image, `ENV`, the "
        "environment files it copies and inline `pip install` / `apt-get install` lists, and "
        "never runs anything; other steps are not carried.  An export cannot install every "
        "file an environment may hold (R, Julia, Guix, Nix).",
        "Move what the step installs into requirements.txt, environment.yml or apt.txt.",
        "Dockerfile",
        "FROM python:3.12-slim\nRUN curl -sSL https://example.org/setup.sh | sh\n",
        ("import", "from=dockerfile"),
    ),
)
