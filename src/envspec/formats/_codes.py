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
    # ------------------------------------------------------------------ guix
    CodeInfo(
        "guix-commit-invalid",
        "error",
        "--guix-commit is not a full Guix commit",
        "channels.scm pins the whole Guix package graph by one commit; an abbreviated or "
        "mistyped commit would pin nothing, or something else.",
        "Give the full 40-digit commit, as `guix describe` prints it.",
        "analysis.envspec.yaml",
        _ENV,
        ("format-export", "to=guix", "guix-commit=1a2b3c"),
    ),
    CodeInfo(
        "guix-option-invalid",
        "error",
        "A --option the guix format does not have",
        "A misspelt setting must not be ignored: the conversion would not be the one asked for.",
        "Import takes `--option requirements=yes|no`; export takes `--option jupyter=yes|no`.",
        "analysis.envspec.yaml",
        _ENV,
        ("format-export", "to=guix", "option=requirement=yes"),
    ),
    CodeInfo(
        "guix-not-a-manifest",
        "error",
        "The Scheme file is not a Guix manifest",
        "Import reads the packages of a `(specifications->manifest ...)` or "
        "`(packages->manifest ...)` call; a package definition, a channels file or another "
        "program lists no packages it can read without running it.",
        "Import the manifest.scm (or the folder holding it), not channels.scm or guix.scm.",
        "manifest.scm",
        '(define-module (my packages))\n(define-public hello "world")\n',
        ("import", "from=guix"),
    ),
    CodeInfo(
        "guix-version-dropped",
        "warning",
        "A version specifier cannot be carried into a Guix manifest",
        "Guix has one version of each package per Guix commit: `numpy>=1.26` becomes "
        "`python-numpy`, at the version of the commit that builds the environment.",
        "Pin the Guix commit with --guix-commit (it writes channels.scm); "
        "`guix time-machine -C channels.scm` then gives the same versions everywhere.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-python-pin-dropped",
        "warning",
        "The Python pin cannot be honoured by Guix",
        "Guix's `python` package is the Python of the Guix commit (older versions are not "
        "kept under that name), so a pin such as 3.12 is not carried over.",
        "Choose, with --guix-commit, a Guix commit whose Python is the one you need.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-extras-dropped",
        "warning",
        "Extras of a requirement are not carried into a Guix manifest",
        "Guix packages have no optional extras: `requests[socks]` becomes `python-requests` "
        "without the extra's dependencies.",
        "Add the packages the extra would install to the manifest by hand.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "requests[socks]\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-marker-dropped",
        "warning",
        "An environment marker is not carried into a Guix manifest",
        "A manifest lists packages unconditionally: a requirement for some platforms or "
        "Python versions only is installed everywhere.",
        "Remove the package from the manifest if the platform Guix builds for does not need it.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "pywin32; sys_platform == \'win32\'\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-url-dropped",
        "warning",
        "A direct reference (URL) is not carried into a Guix manifest",
        "Guix builds each package from its own definition: `name @ URL` becomes the Guix "
        "package of that name, not the code at the URL.",
        "Package the code for Guix (a channel of your own) if the Guix package is not the same.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: '
        '"demo @ https://example.org/demo-1.0-py3-none-any.whl\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-requirement-skipped",
        "warning",
        "A requirements line that names no package is skipped",
        "pip options (`--index-url`, `-r other.txt`) and bare paths or URLs have no Guix "
        "equivalent; what they would install is not in the manifest.",
        "List the packages by name, or package the local code for Guix.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "--pre\\nnumpy\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-not-carried",
        "warning",
        "An embedded file or setting has no place in a Guix manifest",
        "A manifest lists packages; scripts (`postBuild`, `start`), Debian packages "
        "(`apt.txt`), lock files and conda channels are left out of it.",
        "Add what they provide to the manifest by hand, or keep the envspec environment.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy\\n"\n  apt.txt: "curl\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-manifest-kept",
        "warning",
        "The embedded manifest.scm is exported as it is",
        "An environment that embeds manifest.scm (one imported from Guix) is written back "
        "byte for byte; its requirements.txt or environment.yml are not merged into it.",
        "Edit manifest.scm itself, or remove it from the environment to generate a new one.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy\\n"\n'
        '  manifest.scm: "(specifications->manifest (list \\"python\\"))\\n"\n',
        ("format-export", "to=guix"),
    ),
    CodeInfo(
        "guix-channels-replaced",
        "warning",
        "--guix-commit replaces the embedded channels.scm",
        "The commit given on the command line is the pin asked for; the embedded channels "
        "file (other channels included) is not written.",
        "Leave out --guix-commit to export the embedded channels.scm as it is.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n'
        '  manifest.scm: "(specifications->manifest (list \\"python\\"))\\n"\n'
        "  channels.scm: \"(list (channel (name 'guix)\\n"
        '    (url \\"https://example.org/guix.git\\")))\\n"\n',
        ("format-export", "to=guix", "guix-commit=" + "0123456789abcdef" * 2 + "01234567"),
    ),
    CodeInfo(
        "guix-expression-skipped",
        "warning",
        "A manifest entry is known only by running the manifest",
        "Import reads the manifest as data and never runs it: a variable such as "
        "`python-numpy` or a computed list names packages only when Guix evaluates the file.",
        'Write the entry as a specification string ("python-numpy") to carry it over.',
        "manifest.scm",
        "(use-modules (gnu packages python-xyz))\n"
        '(packages->manifest (list (specification->package "python") python-numpy))\n',
        ("import", "from=guix"),
    ),
    CodeInfo(
        "guix-package-not-python",
        "warning",
        "A Guix package of the manifest is not a Python package",
        "`--option requirements=yes` derives requirements.txt from the `python-*` packages; "
        "others (`r-ggplot2`, `gcc-toolchain`) have no PyPI name and stay only in manifest.scm.",
        "Nothing to do when the environment runs with Guix; otherwise install them another way.",
        "manifest.scm",
        '(specifications->manifest (list "python" "python-numpy" "r-ggplot2"))\n',
        ("import", "from=guix", "option=requirements=yes"),
    ),
    # ---------------------------------------------------- PEP 723: juv, marimo, script
    CodeInfo(
        "pep723-missing",
        "error",
        "The script or notebook has no `# /// script` block",
        "PEP 723 tools (uv, juv, marimo, pixi) read a script's environment from its "
        "`# /// script` block; without one there is nothing to import.",
        "Add a block (`uv init --script`, `uv add --script`, `juv init`) or choose the "
        "format that matches the file.",
        "analysis.py",
        "import numpy\n",
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-unclosed",
        "error",
        "A `# /// script` block has no closing `# ///` line",
        "PEP 723 readers ignore an unclosed block (uv refuses the script), so the "
        "dependencies would silently be lost.",
        "End the block with a line that is exactly `# ///`; every line up to it must start "
        "with `#` (a blank line ends the comment).",
        "analysis.py",
        '# /// script\n# dependencies = ["numpy"]\n\nimport numpy\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-two-blocks",
        "error",
        "More than one `# /// script` block",
        "PEP 723 requires tools to refuse a file with two `script` blocks: which one holds "
        "the environment is unclear.",
        "Merge the blocks into one.",
        "analysis.py",
        '# /// script\n# dependencies = ["numpy"]\n# ///\n\n'
        '# /// script\n# dependencies = ["pandas"]\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-nested",
        "error",
        "A block starts inside the `# /// script` block",
        "A `# ///` line ends a block only when the next line is not a comment, so two blocks "
        "with no line between them read as one broken block; PEP 723 lets tools refuse a "
        "starting line inside a block.",
        "Close the block with `# ///` and put a line that is not a comment (a blank line) "
        "before the next block.",
        "analysis.py",
        '# /// script\n# dependencies = ["numpy"]\n# ///\n# /// script\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-misplaced",
        "error",
        "A `# /// script` block where PEP 723 tools do not read it",
        "A block is a top-level comment: one inside a string, or in a notebook's markdown "
        "cell, is not the environment juv or marimo use, though a text search finds it.",
        "Move the block to the top of the script, or into a code cell of the notebook.",
        "analysis.py",
        'NOTES = """\n# /// script\n# dependencies = ["numpy"]\n# ///\n"""\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-toml",
        "error",
        "The `# /// script` block is not valid TOML",
        "The block's content (its lines without `# `) is TOML; uv and juv refuse a block "
        "they cannot parse.  The line given is the file's.",
        "Fix the TOML at the line shown (quotes, commas, closing brackets).",
        "analysis.py",
        '# /// script\n# dependencies = ["numpy"\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-invalid",
        "error",
        "A field of the `# /// script` block has the wrong type or value",
        "`dependencies` is an array of PEP 508 strings and `requires-python` a version "
        "specifier; anything else cannot be installed.",
        'Write `dependencies = ["name>=1.0"]` and `requires-python = ">=3.12"`.',
        "analysis.py",
        '# /// script\n# dependencies = "numpy"\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-python-range",
        "warning",
        "`requires-python` accepts several Python versions; the pin is the lowest",
        "envspec pins one Python version; `>=3.11` becomes `3.11`, which the script accepts, "
        "but later versions it also accepts are not tried.",
        'Write `requires-python = "==3.12.*"` to choose the version, or keep the pin.',
        "analysis.py",
        '# /// script\n# requires-python = ">=3.11"\n# dependencies = ["numpy"]\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-dropped",
        "warning",
        "A setting of the `# /// script` block is not carried over",
        "Tool settings with no envspec equivalent (`[tool.uv]` beyond its indexes, "
        "`[tool.ruff]`, pixi platforms) are not part of the imported environment.",
        "Check the listed setting; keep the script if you rely on it.",
        "analysis.py",
        '# /// script\n# dependencies = ["numpy"]\n# [tool.uv]\n'
        '# exclude-newer = "2025-01-01T00:00:00Z"\n# ///\n',
        ("import", "from=script"),
    ),
    CodeInfo(
        "pep723-not-carried",
        "warning",
        "Part of the environment has no place in a `# /// script` block",
        "A block holds dependencies, `requires-python`, indexes and pixi's conda "
        "dependencies; files such as `apt.txt` or `postBuild` and members such as `env` "
        "are not written.",
        "Keep the notebook's envspec environment for what the block cannot say.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n'
        '  apt.txt: "graphviz\\n"\n',
        ("format-export", "to=script"),
    ),
    CodeInfo(
        "juv-lock-invalid",
        "warning",
        "The notebook's `uv.lock` metadata is not a uv lock file",
        "juv keeps uv's lock file as a string under the notebook metadata key `uv.lock`; "
        "anything else is not carried over.",
        "Run `juv lock` to write it again, or `juv lock --clear` to remove it.",
        "analysis.ipynb",
        '{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, '
        '"outputs": [], "source": ["# /// script\\n", "# dependencies = [\\"numpy\\"]\\n", '
        '"# ///"]}], "metadata": {"uv.lock": 3}, "nbformat": 4, "nbformat_minor": 5}\n',
        ("import", "from=juv"),
    ),
    CodeInfo(
        "juv-lock-stale",
        "warning",
        "juv's `uv.lock` was made for other dependencies",
        "The lock records the requirements it was solved for; when the block's dependencies "
        "differ, uv solves again at `juv run` and the lock no longer says what runs.",
        "Run `juv lock NOTEBOOK` to solve the lock for the current dependencies.",
        "analysis.ipynb",
        '{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, '
        '"outputs": [], "source": ["# /// script\\n", "# dependencies = [\\"numpy\\"]\\n", '
        '"# ///"]}], "metadata": {"uv.lock": "version = 1\\nrequires-python = \\">=3.12\\"\\n'
        '\\n[manifest]\\nrequirements = [{ name = \\"pandas\\" }]\\n"}, '
        '"nbformat": 4, "nbformat_minor": 5}\n',
        ("import", "from=juv"),
    ),
    # ------------------------------------------ conda, pixi, pyproject, requirements
    CodeInfo(
        "format-file-dropped",
        "warning",
        "The export does not carry an embedded file",
        "A package format holds packages only: system packages (`apt.txt`), scripts "
        "(`postBuild`, `start`), lock files and the files of other ecosystems have no place "
        "in it, and a requirements file beside a conda file is ignored by Binder too.",
        "Keep the notebook (or the envspec file) as the full description; add what is "
        "missing by hand in the exported file's own terms.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n  apt.txt: "graphviz\\n"\n',
        ("format-export", "to=requirements"),
    ),
    CodeInfo(
        "python-range-pinned",
        "warning",
        "The Python pin is the lowest version a range allows",
        "envspec pins one Python version; `requires-python` or a conda `python` spec that "
        "is not a simple lower bound (`>=3.10,<3.13`, `==3.11.*`) gives its lowest allowed "
        "minor, which may not be the one the author runs.",
        "Check the `python` pin of the imported environment and change it if needed.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\nrequires-python = ">=3.10,<3.13"\n'
        'dependencies = ["numpy>=1.26"]\n',
        ("import", "from=pyproject"),
    ),
    CodeInfo(
        "pip-to-conda-inexact",
        "warning",
        "A requirement has no exact conda form; it stays under pip:",
        "Extras, environment markers, URLs, pre-release or local versions, `===` and hash "
        "checking have no conda equivalent; the requirement is kept in the `pip:` list, "
        "which pip installs after the conda packages.",
        "Nothing to do if pip may install it; otherwise find the conda-forge package and "
        "add it to the dependencies by hand.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy>=1.26\\nrequests[socks]>=2.31\\n"\n',
        ("format-export", "to=conda"),
    ),
    CodeInfo(
        "conda-to-pip-inexact",
        "warning",
        "A conda dependency has no exact pip form",
        "Conda packages that are not Python distributions (compilers, C libraries, R, "
        "nodejs), build strings, channel pins and `|` alternatives have no pip equivalent: "
        "the dependency is dropped or written without them.",
        "Install what is dropped by other means (`apt.txt`, the image), or keep the conda file.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  environment.yml: |\n    channels:\n      - conda-forge\n'
        "    dependencies:\n      - numpy>=1.26\n      - nodejs=20\n",
        ("format-export", "to=requirements"),
    ),
    CodeInfo(
        "conda-variable-dropped",
        "warning",
        "A conda variable cannot be carried to the environment's env",
        "conda sets the `variables` of an environment file on activation; envspec's `env` "
        "holds names of letters, digits and `_` (not starting with a digit) with string "
        "values. A `variables` that is not a mapping, another name, or a nested, dated or "
        "empty value has no place there: it is left out.",
        "Rename the variable or give it a string value; declare a variable the launcher "
        "must supply in `env` with `null`.",
        "environment.yml",
        "channels:\n  - conda-forge\ndependencies:\n  - numpy\nvariables:\n"
        '  OMP_NUM_THREADS: "4"\n  2FAST: "yes"\n',
        ("import", "from=conda"),
    ),
    CodeInfo(
        "conda-variable-at-launch",
        "warning",
        "A variable supplied at launch is not written to the conda file",
        "A `null` value in `env` means the launcher supplies the variable (a secret, a "
        "machine-specific path); an environment file's `variables` are stored in the "
        "environment and copied with it, so the variable is not written there.",
        "Set the variable when the environment is activated (`conda env config vars set` "
        "on each machine, or the shell that starts Jupyter).",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nenv:\n  WANDB_API_KEY: null\nfiles:\n'
        '  requirements.txt: "numpy>=1.26\\n"\n',
        ("format-export", "to=conda"),
    ),
    CodeInfo(
        "conda-variables-replaced",
        "warning",
        "The conda file's variables differ from the environment's env, which wins",
        "An environment holds one set of variables: `env`. The export writes it into the "
        "kept conda file's `variables`, so a variable set there and not in `env` (or set "
        "to another value) changes.",
        "Check the exported `variables`; put the variables you want in the environment's `env`.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nenv:\n  MODE: slow\nfiles:\n  environment.yml: |\n'
        "    channels:\n      - conda-forge\n    dependencies:\n      - numpy\n"
        "    variables:\n      MODE: fast\n",
        ("format-export", "to=conda"),
    ),
    CodeInfo(
        "pip-line-dropped",
        "warning",
        "A requirements line cannot be carried by the target format",
        "pip options (`--index-url`), editable installs, local paths, bare URLs and "
        "`--hash` options belong to pip's requirements format; PEP 621 dependencies and "
        "pixi's PyPI dependencies cannot hold them.",
        "Add the option in the target tool's own terms (an index in `[tool.uv]` or "
        "`[pypi-options]`, for example).",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "--extra-index-url https://example.org/simple\\n'
        'numpy>=1.26\\n"\n',
        ("format-export", "to=pyproject"),
    ),
    CodeInfo(
        "pixi-invalid",
        "error",
        "The pixi manifest is not valid",
        "A dependency, channel or environment that pixi would refuse cannot be converted.",
        "Fix the manifest as the message says (`pixi list` reports the same problem).",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
        "[dependencies]\nnumpy = 3\n",
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-nothing-mappable",
        "error",
        "The pixi environment has nothing envspec can carry",
        "A manifest whose selected environment has no conda or PyPI dependency (only tasks, "
        "per-platform targets, activation...) gives no environment: importing it would "
        "lose everything it says.",
        "Choose another environment with --environment, or add the dependencies to the "
        "workspace's [dependencies].",
        "pixi.toml",
        '[workspace]\nname = "tasks-only"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[tasks]\nhello = "echo hello"\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-unknown-environment",
        "error",
        "The pixi workspace has no environment of that name",
        "--environment names one of the manifest's [environments] (or one of its features); "
        "a typo must not import another environment.",
        "Use one of the names the message lists.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n',
        ("import", "from=pixi", "environment=gpu"),
    ),
    CodeInfo(
        "pixi-unknown-platform",
        "error",
        "The platform to import is not one pixi knows, or not one of the environment's",
        "--option platform=NAME imports the dependencies of one platform (the manifest's "
        "[target.NAME] tables merged over the others); a name pixi does not know, or a "
        "platform the environment is not for, must not import a wrong environment.",
        "Use a conda platform name (linux-64, linux-aarch64, osx-64, osx-arm64, win-64...) "
        "listed in the workspace's platforms.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\n'
        'platforms = ["linux-64", "osx-arm64"]\n\n[dependencies]\nnumpy = ">=1.26"\n',
        ("import", "from=pixi", "option=platform=linux64"),
    ),
    CodeInfo(
        "pixi-environment-not-selected",
        "warning",
        "Other pixi environments and features are not imported",
        "An envspec environment is one environment; the manifest's other environments and "
        "the features only they use are left out.",
        "Import the one you need with --environment NAME (one notebook each if needed).",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[feature.test.dependencies]\npytest = "*"\n'
        '\n[environments]\ntest = ["test"]\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-task-dropped",
        "warning",
        "pixi tasks are not carried",
        "Tasks are commands run by `pixi run`; an environment file has no place for them.",
        "Keep the commands in the notebook or in a script; nothing to do otherwise.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[tasks]\ntest = "pytest"\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-target-dropped",
        "warning",
        "Per-platform pixi dependencies are not carried",
        "A conda environment file lists the same dependencies for every platform; "
        "`[target.PLATFORM]` tables have no equivalent.",
        "Import the environment of one platform with --option platform=PLATFORM (its "
        "targets are merged over [dependencies]), or move the dependencies that every "
        "platform needs to [dependencies].",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\n'
        'platforms = ["linux-64", "osx-arm64"]\n\n[dependencies]\nnumpy = ">=1.26"\n\n'
        '[target.linux-64.dependencies]\nlibgomp = "*"\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-table-dropped",
        "warning",
        "A pixi table has no envspec equivalent",
        "Activation scripts, system requirements, host and build dependencies, PyPI "
        "options and channel priorities are pixi's own; they are left out (activation "
        "variables are carried to `env`).",
        "Nothing to do unless the notebook needs it: run what an activation script does "
        "in the notebook, or set its variables in `[activation.env]`.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[activation]\nscripts = ["setup.sh"]\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-dependency-dropped",
        "warning",
        "A pixi dependency cannot be carried",
        "Local paths, editable installs and conda source packages (path, git, url) exist "
        "only on the author's machine or need pixi to build them.",
        "Publish the package, or depend on a released version.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[pypi-dependencies]\n'
        'mylib = { path = ".", editable = true }\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-variable-dropped",
        "warning",
        "A pixi activation variable cannot be carried",
        "pixi sets the variables of `[activation.env]` when it activates an environment, "
        "writing each into a shell script: `$HOME` or `%USERPROFILE%` in a value is "
        "expanded there, while envspec's `env` values are literal. A name that is not an "
        "`env` name (letters, digits and `_`, not starting with a digit), a value that is "
        "not a string, and a value that refers to other variables are left out, on import "
        "and on export; so is an empty value on export (pixi's manifest schema requires at "
        "least one character).",
        "Give the variable a literal string value; set a value that depends on the machine "
        "where the notebook runs in `env` with `null`, so that the launcher supplies it.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[activation.env]\nDATA = "data"\n'
        'EXTRA_PATH = "$HOME/bin"\n',
        ("import", "from=pixi"),
    ),
    CodeInfo(
        "pixi-variable-at-launch",
        "warning",
        "A variable supplied at launch is not written to the pixi manifest",
        "A `null` value in `env` means the launcher supplies the variable (a secret, a "
        "machine-specific path); `[activation.env]` is part of the manifest, shared with "
        "it, so the variable is not written there.",
        "Set the variable in the shell that runs `pixi run` or `pixi shell` (or that starts "
        "Jupyter) on each machine.",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\nenv:\n  WANDB_API_KEY: null\nfiles:\n'
        '  requirements.txt: "numpy>=1.26\\n"\n',
        ("format-export", "to=pixi"),
    ),
    CodeInfo(
        "pixi-dependency-conflict",
        "error",
        "Features of the pixi environment name one package in ways pixi cannot install",
        "pixi gives the solver every feature's spec of a package, and installs a package "
        "that matches them all: version constraints are joined into one, but a conda "
        "package wanted from two channels, or a PyPI package from two URLs (uv's "
        '"conflicting URLs"), cannot be installed; importing one of them would give an '
        "environment pixi does not make.",
        "Name the package's channel or URL in one feature only (or the same in each), or "
        "import an environment without one of the features.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge", "bioconda"]\n'
        'platforms = ["linux-64"]\n\n[dependencies]\n'
        'numpy = { version = ">=1.26", channel = "conda-forge" }\n\n'
        '[feature.bio.dependencies]\nnumpy = { version = "<2", channel = "bioconda" }\n\n'
        '[environments]\nbio = ["bio"]\n',
        ("import", "from=pixi", "environment=bio"),
    ),
    CodeInfo(
        "pyproject-no-project",
        "error",
        "The pyproject.toml has no [project] table",
        "Only PEP 621's [project] table says what a project depends on in a standard way; "
        "tool-specific tables (Poetry's) are not read.",
        "Add a [project] table, or import a pixi workspace with --from pixi.",
        "pyproject.toml",
        '[tool.poetry]\nname = "analysis"\n\n[tool.poetry.dependencies]\npython = "^3.12"\n',
        ("import", "from=pyproject"),
    ),
    CodeInfo(
        "pyproject-invalid",
        "error",
        "A pyproject.toml value is not what PEP 621 or PEP 735 allows",
        "A dependency list that is not a list of valid requirements, or a `requires-python` "
        "that allows no Python, cannot be converted; pip and uv refuse it too.",
        "Fix the value at the line the message gives.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\ndependencies = ["numpy>=>1"]\n',
        ("import", "from=pyproject"),
    ),
    CodeInfo(
        "pyproject-unknown-extra",
        "error",
        "The project has no optional-dependency extra of that name",
        "--extra names one of [project.optional-dependencies]; a typo must not import the "
        "environment without it.",
        "Use one of the extras the message lists, or `all`.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\ndependencies = ["numpy"]\n\n'
        '[project.optional-dependencies]\nplot = ["matplotlib"]\n',
        ("import", "from=pyproject", "extra=gpu"),
    ),
    CodeInfo(
        "pyproject-unknown-group",
        "error",
        "The file has no dependency group of that name",
        "--group and `{include-group = ...}` name one of [dependency-groups] (PEP 735); "
        "PEP 735 makes an unknown name an error.",
        "Use one of the groups the message lists.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\ndependencies = ["numpy"]\n\n'
        '[dependency-groups]\ntest = ["pytest"]\n',
        ("import", "from=pyproject", "group=lint"),
    ),
    CodeInfo(
        "pyproject-group-cycle",
        "error",
        "Dependency groups include each other in a cycle",
        "PEP 735 makes a cycle of `{include-group = ...}` an error: the group has no "
        "finite list of requirements.",
        "Remove one of the includes the message names.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\n\n[dependency-groups]\n'
        'test = ["pytest", {include-group = "lint"}]\nlint = ["ruff", {include-group = "test"}]\n',
        ("import", "from=pyproject", "group=test"),
    ),
    CodeInfo(
        "pyproject-dynamic",
        "warning",
        "The dependencies are dynamic and are not read",
        '`dynamic = ["dependencies"]` means the build backend computes them (from '
        "`setup.py` or a requirements file): they are not in the file, and running the "
        "backend would run the project's code.",
        "Import the requirements file the backend reads with --from requirements, or list "
        "the dependencies in [project].",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\ndynamic = ["dependencies"]\n',
        ("import", "from=pyproject"),
    ),
    CodeInfo(
        "pyproject-pixi-ignored",
        "warning",
        "[tool.pixi] is not read by the pyproject import",
        "The pyproject format reads PEP 621 and PEP 735 only; the conda dependencies and "
        "channels of [tool.pixi] are left out.",
        "Import the file with --from pixi to get the conda dependencies too.",
        "pyproject.toml",
        '[project]\nname = "analysis"\nversion = "1.0"\ndependencies = ["numpy"]\n\n'
        '[tool.pixi.workspace]\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
        '[tool.pixi.dependencies]\npython = "3.12.*"\n',
        ("import", "from=pyproject"),
    ),
    CodeInfo(
        "requirements-python-dropped",
        "warning",
        "A requirements file cannot pin Python",
        "pip installs into a Python that already exists; the environment's Python pin (or "
        "its conda `python` dependency) has no place in requirements.txt.",
        "Pin Python where the environment is made (`runtime.txt`, uv's --python, the image).",
        "analysis.envspec.yaml",
        'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n',
        ("format-export", "to=requirements"),
    ),
)
