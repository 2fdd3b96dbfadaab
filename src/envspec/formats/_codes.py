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
        "Move the dependencies that every platform needs to [dependencies].",
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
        "Activation scripts and variables, system requirements, host and build "
        "dependencies, PyPI options and channel priorities are pixi's own; they are left "
        "out.",
        "Set variables with the environment's `env` member; nothing to do for the rest "
        "unless the notebook needs it.",
        "pixi.toml",
        '[workspace]\nname = "analysis"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n'
        '\n[dependencies]\nnumpy = ">=1.26"\n\n[activation.env]\nDATA = "data"\n',
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
