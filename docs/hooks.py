"""MkDocs hooks: the parts of the docs that are generated from the code at build time.

A page asks for generated content with an HTML comment on a line of its own:

``<!-- envspec:diagnostics -->``
    every diagnostic code of ``envspec._codes.CODES``, with its example run
    through the real command line;
``<!-- envspec:help [COMMAND [SUBCOMMAND]] -->``
    the ``--help`` text of ``envspec [COMMAND [SUBCOMMAND]]``, from the real
    argument parser (a page with such markers must have one for every command
    and every subcommand, such as ``conformance run``);
``<!-- envspec:cli-example -->``
    ``envspec validate`` run on a sample file, in text and JSON;
``<!-- envspec:schemas -->``
    the published JSON Schemas (``envspec.schema``);
``<!-- envspec:pre-commit-hooks -->``
    the hooks of ``.pre-commit-hooks.yaml``;
``<!-- envspec:run snippets/NAME.py -->``
    a runnable example from ``docs/snippets/`` and what it prints;
``<!-- envspec:not-embeddable -->``
    the files repo2docker reads that ``envspec pack`` reports instead of
    embedding, with the reason (``envspec.pack.NOT_EMBEDDABLE``);
``<!-- envspec:binder-examples -->``
    sets of embedded files, and what the ``ignored-by-binder`` rule
    (``envspec.checks.consistency.binder_ignored``) says Binder ignores in each;
``<!-- envspec:pack-session STEP -->``
    one step of a worked ``envspec pack`` / ``envspec unpack`` session, run
    for real in a temporary git repository (see ``_PACK_SESSION``);
``<!-- envspec:conformance-cases -->``
    every conformance case (``envspec.conformance.cases.load_cases()``), by role
    and feature (``envspec.conformance.features.FEATURES``), with counts per
    role and level and a link to the spec section each case checks;
``<!-- envspec:conformance-codes -->``
    every diagnostic code of the registry with its severity and the pointers the
    conformance cases expect; where a case accepts any pointer, the one the
    reference adapter reports (the cases are run for it);
``<!-- envspec:conformance-coverage -->``
    every requirement id of the spec (``envspec.conformance.requirements``): its
    sentence, the roles it binds and the core and extended cases that name it,
    with totals;
``<!-- envspec:conformance-session STEP -->``
    one step of a worked ``envspec conformance`` session, run for real against
    a deliberately flawed adapter built on the reference adapter (see
    ``_CONFORMANCE_SESSION``).
``<!-- envspec:guix names|export|import -->``
    the Guix name table (``envspec/formats/data/guix_names.toml``), or a real
    ``envspec export --to guix`` / ``envspec import --from guix`` run.

The requirement markers of the spec pages (``[req v1.absent-not-null: validator]``)
become small anchor links (``#req-v1.absent-not-null``), through a Markdown
extension added in ``on_config``.

Anything generated is checked while it is generated (each diagnostic example
must report its own code, each snippet must run), so the build fails when the
docs and the code disagree.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import markdown
import markdown.inlinepatterns
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from ruamel.yaml import YAML

from envspec._codes import CODES, TOOL_CODES
from envspec.checks.consistency import binder_ignored
from envspec.cli.main import build_parser, main
from envspec.conformance.cases import AnyCase, cases_root, load_cases, suite_version
from envspec.conformance.features import FEATURES, ROLES
from envspec.conformance.matching import is_any
from envspec.conformance.reference import Adapter
from envspec.conformance.requirements import (
    ADAPTER_CHECKS,
    ADAPTER_UNCHECKED,
    CASE_ROLES,
    DOCS,
    Requirement,
    coverage,
    read_requirements,
)
from envspec.conformance.runner import run
from envspec.conformance.transport import PythonTransport
from envspec.diagnostics import CodeInfo
from envspec.formats._guix_names import exceptions as guix_exceptions
from envspec.pack import NOT_EMBEDDABLE
from envspec.schema import SCHEMA_IDS, load, schema_filename
from envspec.vocabulary import FILES

# The argument may be several words (``envspec:help conformance run``).
_MARKER = re.compile(
    r"^<!--\s*envspec:(?P<name>[a-z-]+)(?:\s+(?P<arg>[^\s>]+(?:[ \t]+[^\s>]+)*))?\s*-->$",
    re.MULTILINE,
)
_HELP_COLUMNS = "80"
_LONG_RUN = re.compile(r"(.)\1{31,}", re.DOTALL)

# How registry examples are run (see ``CodeInfo.example_options``).
_EXAMPLE_FLAGS = frozenset(
    {"require", "unreadable", "migrate", "fsize-limit", "pack", "git-dirty", "unpack"}
    | {"lock", "check", "no-index"}
    | {"plan", "no-tools"}
    | {"export"}
    | {"payload"}
    | {"payload-tags", "payload-menu"}
    | {"import", "format-export"}
)
_EXAMPLE_SETTINGS = frozenset(
    {"to", "mkdir", "exists", "backend"} | {"tags", "interface"} | {"from"}
) | {"guix-commit", "option"}  # import / export: --guix-commit, --option KEY=VALUE
_EXAMPLE_SETTINGS |= {"extra", "group", "environment"}  # import: --extra, --group, --environment
_TAG_LIST = "tags.txt"
_UNPACK_DIR = "env"
_LAUNCHER = "import runpy; runpy.run_module('envspec', run_name='__main__', alter_sys=True)"
# Writes fail as on a full disk: files may not grow past one byte.
_FSIZE_LAUNCHER = (
    "import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1)); " + _LAUNCHER
)

#: A standalone file with one error and one warning, for the CLI page.
_CLI_SAMPLE_NAME = "environment.envspec.yaml"
_CLI_SAMPLE = """\
env_ver: "1.0"
python: "3.12"
files:
  requirements.txt: |
    numpy==2.1.0
    pandas=2.2
image:
  ref: quay.io/jupyter/scipy-notebook:2024-05-27
"""


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Render the requirement markers of the spec pages as anchors."""
    config.markdown_extensions.append(_RequirementMarkers())  # type: ignore[arg-type]
    return config


class _MarkerPattern(markdown.inlinepatterns.InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[ET.Element, int, int]:
        anchor = ET.Element("a")
        anchor.set("class", "req")
        anchor.set("id", f"req-{m[1]}")
        anchor.set("href", f"#req-{m[1]}")
        anchor.set("title", f"requirement {m[1]}; roles: {m[2]}")
        anchor.text = m[1]
        return anchor, m.start(0), m.end(0)


class _RequirementMarkers(markdown.Extension):
    """``[req ID: ROLES]`` -> ``<a class="req" id="req-ID" href="#req-ID">ID</a>``."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # A marker may be broken across lines of a paragraph ("[req\ndeploy.bearer: cloud]").
        pattern = r"\[req\s+([a-z0-9]+\.[a-z0-9]+(?:-[a-z0-9]+)*):\s+([a-z]+(?:, [a-z]+)*)\]"
        # Before links (160), which would otherwise read it as a reference link.
        md.inlinePatterns.register(_MarkerPattern(pattern, md), "envspec-requirement", 175)


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace every ``envspec:`` marker of the page by what it stands for."""
    docs_dir = Path(config.docs_dir)
    root = Path(config.config_file_path).parent
    helped = {
        " ".join(m["arg"].split()) if m["arg"] else None
        for m in _MARKER.finditer(markdown)
        if m["name"] == "help"
    }
    session: dict[str, str] = {}
    conformance: dict[str, str] = {}
    if helped:
        missing = sorted(set(_subcommands()) - helped)
        if missing:
            raise PluginError(
                f"{page.file.src_uri}: no 'envspec:help' marker for the command(s) {missing}"
            )

    def expand(match: re.Match[str]) -> str:
        name, arg = match["name"], match["arg"]
        generators: dict[str, Callable[[], str]] = {
            "diagnostics": _diagnostics,
            "help": lambda: _help(arg),
            "cli-example": _cli_example,
            "schemas": _schemas,
            "pre-commit-hooks": lambda: _pre_commit_hooks(root),
            "run": lambda: _run_snippet(docs_dir, arg),
            "not-embeddable": _not_embeddable,
            "binder-examples": _binder_examples,
            "pack-session": lambda: _pack_session_step(session, arg),
            "conformance-cases": lambda: _conformance_cases(root, files),
            "conformance-codes": _conformance_codes,
            "conformance-coverage": lambda: _conformance_coverage(root),
            "conformance-session": lambda: _conformance_session_step(conformance, arg),
            "guix": lambda: _guix(root, arg),
        }
        generate = generators.get(name)
        if generate is None:
            raise PluginError(f"{page.file.src_uri}: unknown marker 'envspec:{name}'")
        return generate()

    return _MARKER.sub(expand, markdown)


# ----------------------------------------------------------------- helpers


def _fence(text: str, language: str = "text") -> str:
    """A fenced code block that survives backticks inside *text*."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip(chr(10))}\n{ticks}"


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of the block."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _relative(text: str, folder: str) -> str:
    """*text* with the temporary *folder* taken out of the paths it mentions."""
    return text.replace(folder + os.sep, "").replace(json.dumps(folder + os.sep)[1:-1], "")


# ------------------------------------------------------------- diagnostics


def _language(file_name: str) -> str:
    if file_name.endswith((".ipynb", ".json")):
        return "json"
    if file_name.endswith((".yaml", ".yml")):
        return "yaml"
    return "text"


def _visible(text: str) -> tuple[str, bool]:
    """*text* with long runs shortened and invisible characters or stray bytes named.

    Returns the text and whether anything was replaced.
    """
    replaced = False

    def shorten(match: re.Match[str]) -> str:
        return f"⟨{match[1]} repeated {len(match[0])} times⟩"

    shown, count = _LONG_RUN.subn(shorten, text)
    replaced = count > 0
    out: list[str] = []
    for char in shown:
        if "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8 (surrogateescape)
            out.append(f"⟨byte {ord(char) - 0xDC00:02X}⟩")
            replaced = True
        elif char not in "\n\t" and unicodedata.category(char) in {"Cc", "Cf", "Cs"}:
            out.append(f"⟨U+{ord(char):04X}⟩")
            replaced = True
        else:
            out.append(char)
    return "".join(out), replaced


@dataclass(frozen=True)
class _Example:
    """How one registry example is run, from its ``example_options``."""

    info: CodeInfo
    flags: frozenset[str]
    settings: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, info: CodeInfo) -> _Example:
        pairs = [tuple(o.split("=", 1)) for o in info.example_options if "=" in o]
        flags = frozenset(o for o in info.example_options if "=" not in o)
        unknown = (flags - _EXAMPLE_FLAGS) | ({k for k, _ in pairs} - _EXAMPLE_SETTINGS)
        if unknown:
            raise PluginError(
                f"the example of {info.code!r} uses options the docs cannot run yet: "
                f"{sorted(unknown)} (teach docs/hooks.py how to run them)"
            )
        return cls(info, flags, tuple((k, v) for k, v in pairs))

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.settings if k == key]

    def argv(self) -> list[str]:
        """The ``envspec`` arguments that show the code (run in the example's folder)."""
        name = self.info.example_file
        if "migrate" in self.flags:
            return ["migrate", *(["--to", *self.values("to")] if self.values("to") else []), name]
        if "pack" in self.flags:
            return ["pack", name]
        if "unpack" in self.flags:
            return ["unpack", name, "-o", _UNPACK_DIR]
        if "lock" in self.flags:
            return ["lock", *(f"--{f}" for f in ("check", "no-index") if f in self.flags), name]
        if "export" in self.flags:
            return ["payload", "export", "--to", *self.values("to"), name]
        conversion = [a for c in self.values("guix-commit") for a in ("--guix-commit", c)]
        conversion += [a for o in self.values("option") for a in ("--option", o)]
        if "import" in self.flags:
            conversion += [
                a for key in ("extra", "group", "environment") for v in self.values(key)
                for a in (f"--{key}", v)
            ]  # fmt: skip
            return ["import", "--from", *self.values("from"), *conversion, name]
        if "format-export" in self.flags:
            return [
                "export", "--to", *self.values("to"), *conversion, name, "-o", _UNPACK_DIR + "/"
            ]  # fmt: skip
        if "payload" in self.flags:
            return ["payload", "validate", name]
        if self.flags & {"payload-tags", "payload-menu"}:
            command = "tags" if "payload-tags" in self.flags else "menu"
            interface = [a for i in self.values("interface") for a in ("--interface", i)]
            return ["payload", command, name, "--tags", _TAG_LIST, *interface]
        if "plan" in self.flags:
            backend = [a for b in self.values("backend") for a in ("--backend", b)]
            return ["launch", "--dry-run", *backend, name]
        return ["validate", *(["--require"] if "require" in self.flags else []), name]

    def prepare(self, folder: Path) -> None:
        """Write the example and what its options ask for into *folder*."""
        path = folder / self.info.example_file
        if "unreadable" in self.flags:
            path.symlink_to("missing-target")
        else:
            path.write_bytes(self.info.example.encode("utf-8", "surrogateescape"))
        for name in self.values("mkdir"):
            (folder / name).mkdir()
        for text in self.values("tags"):
            (folder / _TAG_LIST).write_text(text + "\n", encoding="utf-8")
        if self.flags & {"unpack", "format-export"}:
            (folder / _UNPACK_DIR).mkdir()
            for name in self.values("exists"):
                (folder / _UNPACK_DIR / name).write_text("# already here\n", encoding="utf-8")
        if "git-dirty" in self.flags:
            git = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.org"]
            for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "example"]):
                subprocess.run([*git, *args], cwd=folder, check=True, capture_output=True)
            (folder / "requirements.txt").write_text("numpy\n", encoding="utf-8")

    def run(self) -> tuple[str, str]:
        """Run the example through the real command line; return the command and its output."""
        argv = self.argv()
        with tempfile.TemporaryDirectory(prefix="envspec-docs-") as tmp:
            folder = Path(tmp) / "project"
            folder.mkdir()
            self.prepare(folder)
            env = {**os.environ, "ENVSPEC_CACHE_DIR": str(Path(tmp) / "cache"), "NO_COLOR": "1"}
            env["COLUMNS"] = _HELP_COLUMNS
            if "no-tools" in self.flags:
                (Path(tmp) / "empty-path").mkdir()
                env["PATH"] = str(Path(tmp) / "empty-path")
            launcher = _FSIZE_LAUNCHER if "fsize-limit" in self.flags else _LAUNCHER
            done = subprocess.run(
                [sys.executable, "-c", launcher, *argv],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            output = _relative(_relative(done.stdout + done.stderr, str(folder)), tmp)
            # A launch plan names the interpreter it found: not the build machine's path.
            output = output.replace(os.path.dirname(sys.executable) + os.sep, "…/bin/")
        if self.info.code not in output:
            raise PluginError(
                f"the documented example of {self.info.code!r} does not report it; "
                f"'envspec {' '.join(argv)}' printed:\n{output}"
            )
        return "envspec " + " ".join(argv), output


def _run_examples() -> dict[str, tuple[str, str]]:
    """Every registry example, run in parallel: code -> (command, output)."""
    examples = [_Example.of(info) for info in CODES.values()]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = pool.map(lambda example: example.run(), examples)
        return {
            example.info.code: result for example, result in zip(examples, results, strict=True)
        }


def _example_block(info: CodeInfo) -> str:
    if "unreadable" in info.example_options:
        return f"`{info.example_file}` is a symbolic link to a file that does not exist."
    if not info.example:
        return f"`{info.example_file}` is an empty file."
    shown, replaced = _visible(info.example)
    block = f"`{info.example_file}`:\n\n" + _fence(shown, _language(info.example_file))
    if replaced:
        block += (
            "\n\n⟨…⟩ stands for what cannot be shown here: a repeated character, "
            "an invisible character, or a byte that is not UTF-8."
        )
    return block


def _diagnostics() -> str:
    runs = _run_examples()
    errors = sum(info.severity == "error" for info in CODES.values())
    warnings = len(CODES) - errors
    lines = [
        f"There are {len(CODES)} codes: {errors} errors and {warnings} warnings.",
        "",
        "| Code | Severity | What it reports |",
        "|---|---|---|",
    ]
    lines += [
        f"| [`{code}`](#{code}) | {info.severity} | {info.title} |" for code, info in CODES.items()
    ]
    for code, info in CODES.items():
        command, output = runs[code]
        lines += [
            "",
            f"### `{code}` {{#{code}}}",
            "",
            f"**{info.title}.** Severity: {info.severity}.",
            "",
            f"Why it matters: {info.why}",
            "",
            "Example: " + _example_block(info),
            "",
            _fence(f"$ {command}\n{output}"),
            "",
            f"How to fix it: {info.fix}",
        ]
    return "\n".join(lines)


# --------------------------------------------------------------------- CLI


def _help(command: str | None) -> str:
    """``envspec [COMMAND [SUBCOMMAND]] --help``, as printed on an 80-column terminal."""
    argv = [*(command.split() if command else []), "--help"]
    out = io.StringIO()
    with (
        _environ(COLUMNS=_HELP_COLUMNS, NO_COLOR="1"),
        contextlib.redirect_stdout(out),
        contextlib.suppress(SystemExit),
    ):
        build_parser().parse_args(argv)
    if not out.getvalue():
        raise PluginError(f"'envspec {' '.join(argv)}' printed nothing")
    return _fence(f"$ envspec {' '.join(argv)}\n{out.getvalue()}")


def _subcommands(parser: argparse.ArgumentParser | None = None, prefix: str = "") -> list[str]:
    """The commands of ``envspec``, from the parser: ``validate``, ..., and nested
    subcommands as ``conformance run``."""
    found: list[str] = []
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append(prefix + name)
                found += _subcommands(child, f"{prefix}{name} ")
    return found


def _cli(argv: list[str], folder: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    shown = " ".join(_relative(arg, folder) for arg in argv)
    text = _relative(out.getvalue() + err.getvalue(), folder)
    return f"$ envspec {shown}\n{text}$ echo $?\n{status}"


def _cli_example() -> str:
    with (
        tempfile.TemporaryDirectory(prefix="envspec-docs-") as folder,
        _environ(ENVSPEC_CACHE_DIR=os.path.join(folder, "cache")),
    ):
        path = os.path.join(folder, _CLI_SAMPLE_NAME)
        Path(path).write_text(_CLI_SAMPLE, encoding="utf-8")
        text = _cli(["validate", path], folder)
        as_json = _cli(["validate", "--format", "json", path], folder)
    return "\n\n".join(
        [
            f"Given this `{_CLI_SAMPLE_NAME}`:",
            _fence(_CLI_SAMPLE, "yaml"),
            "the text output is:",
            _fence(text),
            "and the JSON output is:",
            _fence(as_json),
        ]
    )


# ----------------------------------------------------------------- schemas


def _schemas() -> str:
    lines = ["| File | `$id` | What it describes |", "|---|---|---|"]
    for name, schema_id in SCHEMA_IDS.items():
        schema = load(name)
        description = str(schema.get("description", "")).replace("``", "`")
        lines.append(f"| `schemas/{schema_filename(name)}` | `{schema_id}` | {description} |")
    return "\n".join(lines)


def _pre_commit_hooks(root: Path) -> str:
    """The hooks of ``.pre-commit-hooks.yaml``: id, what runs, on which files."""
    hooks = YAML(typ="safe").load((root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    if not isinstance(hooks, list) or not hooks:
        raise PluginError(".pre-commit-hooks.yaml does not list any hook")
    lines = ["| Hook `id` | Runs | Files | What it does |", "|---|---|---|---|"]
    for hook in hooks:
        files = hook.get("files", "")
        lines.append(
            f"| `{hook['id']}` | `{hook['entry']}` | `{files}` | {hook.get('description', '')} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- snippets


def _run_snippet(docs_dir: Path, relative: str | None) -> str:
    """The code of a snippet and what it prints when run."""
    if not relative:
        raise PluginError("'envspec:run' needs the path of a snippet")
    path = docs_dir / relative
    if not path.is_file():
        raise PluginError(f"snippet {relative!r} does not exist")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    except Exception as exc:
        raise PluginError(f"snippet {relative!r} failed: {exc!r}") from exc
    code = path.read_text(encoding="utf-8")
    return "\n\n".join([_fence(code, "python"), "Output:", _fence(out.getvalue())])


# ------------------------------------------------------------ pack/unpack


def _not_embeddable() -> str:
    """The files pack reports instead of embedding, with the reason."""
    lines = ["| File | Why it is not embedded |", "|---|---|"]
    for name, reason in NOT_EMBEDDABLE.items():
        if name in FILES:
            raise PluginError(f"{name!r} is both embeddable and listed as not embeddable")
        lines.append(f"| `{name}` | {reason[:1].upper()}{reason[1:]}. |")
    return "\n".join(lines)


#: Sets of embedded files (name -> content; only runtime.txt's content matters)
#: and the build repo2docker selects for them.
_BINDER_EXAMPLES: tuple[tuple[dict[str, str], str], ...] = (
    ({"Dockerfile": "", "requirements.txt": "", "apt.txt": "", "postBuild": ""}, "Dockerfile"),
    ({"Project.toml": "", "default.nix": "", "requirements.txt": ""}, "Julia"),
    ({"default.nix": "", "environment.yml": "", "apt.txt": "", "postBuild": ""}, "Nix"),
    ({"runtime.txt": "r-4.4-2024-06-01", "install.R": "", "requirements.txt": ""}, "R"),
    ({"environment.yml": "", "requirements.txt": "", "runtime.txt": "python-3.12"}, "conda"),
    ({"Pipfile": "", "Pipfile.lock": "", "requirements.txt": ""}, "Pipfile"),
    ({"requirements.txt": "", "runtime.txt": "python-3.12", "apt.txt": "", "start": ""}, "Python"),
    ({"pylock.toml": "", "manifest.scm": "", "requirements.txt": ""}, "Python"),
)


def _binder_examples() -> str:
    """What ``ignored-by-binder`` reports for typical sets of embedded files."""
    lines = [
        "| Embedded files | Build Binder selects | Reported as ignored by Binder |",
        "|---|---|---|",
    ]
    for files, build in _BINDER_EXAMPLES:
        unknown = set(files) - set(FILES)
        if unknown:
            raise PluginError(f"the Binder examples use unknown file names {sorted(unknown)}")
        shown = ", ".join(
            f"`{name}` (`{text}`)" if name == "runtime.txt" else f"`{name}`"
            for name, text in files.items()
        )
        ignored = binder_ignored(files)
        reported = (
            ", ".join(
                (f"`{name}` (because of `{winner}`)" if winner else f"`{name}` (nothing uses it)")
                for name, winner in sorted(ignored.items())
            )
            or "nothing"
        )
        lines.append(f"| {shown} | {build} | {reported} |")
    return "\n".join(lines)


#: The worked example's project: file name -> bytes.  ``requirements.txt`` has
#: Windows line endings and no final newline, to show that bytes are kept.
_SESSION_FILES = {
    "analysis.ipynb": b"""\
{
 "cells": [],
 "metadata": {
  "environment": {
   "env_ver": "1.0",
   "python": "3.12",
   "env": {"WANDB_API_KEY": null}
  },
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
""",
    "requirements.txt": b"numpy==2.1.0\r\npandas==2.2.3  # data frames",
    "postBuild": b"#!/bin/sh\nset -e\njupyter labextension list\n",
    "setup.py": b'from setuptools import setup\n\nsetup(name="analysis")\n',
}
_SESSION_LANGUAGES = {".ipynb": "json", ".py": "python", "postBuild": "sh"}
_SESSION_REMOTE = "https://ada:s3cret@git.example.org/lab/analysis.git"
_SESSION_HOME = "/home/ada"
_SESSION_DATE = "2025-01-06T12:00:00+00:00"
_SESSION_OUT = "../unpacked"
#: Each step: the commands it runs (in the project folder), in order.
_PACK_SESSION: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("pack", (("pack", "analysis.ipynb"),)),
    ("again", (("pack", "analysis.ipynb"), ("pack", "--check", "analysis.ipynb"))),
    ("unpack", (("unpack", "analysis.ipynb", "-o", _SESSION_OUT),)),
    ("unpack-again", (("unpack", "analysis.ipynb", "-o", _SESSION_OUT),)),
    ("dirty", (("pack", "--check", "analysis.ipynb"),)),
)


def _git(folder: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


def _pack_session() -> dict[str, str]:
    """Run the worked example once; return each step's text (Markdown)."""
    steps: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="envspec-docs-") as tmp:
        root = Path(tmp).resolve()
        project = root / "analysis"
        project.mkdir()
        for name, data in _SESSION_FILES.items():
            (project / name).write_bytes(data)
        (project / "postBuild").chmod(0o755)
        env = {
            **os.environ,
            "ENVSPEC_CACHE_DIR": str(root / "cache"),
            "NO_COLOR": "1",
            "COLUMNS": _HELP_COLUMNS,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.org",
            "GIT_AUTHOR_DATE": _SESSION_DATE,
            "GIT_COMMITTER_DATE": _SESSION_DATE,
        }
        _git(project, "init", "-q", env=env)
        _git(project, "remote", "add", "origin", _SESSION_REMOTE, env=env)
        _git(project, "add", "-A", env=env)
        _git(project, "commit", "-q", "-m", "Analysis", env=env)

        def shown(text: str) -> str:
            return text.replace(str(root), _SESSION_HOME).replace(tmp, _SESSION_HOME)

        def run(argv: tuple[str, ...]) -> str:
            done = subprocess.run(
                [sys.executable, "-c", _LAUNCHER, *argv],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            output = shown(done.stdout + done.stderr)
            return f"$ envspec {' '.join(argv)}\n{output}$ echo $?\n{done.returncode}"

        for step, commands in _PACK_SESSION:
            if step == "dirty":
                (project / "requirements.txt").write_bytes(b"numpy==2.2.0\n")
            steps[step] = _fence("\n".join(run(argv) for argv in commands))
            if step == "pack":
                notebook = json.loads((project / "analysis.ipynb").read_bytes())
                environment = notebook["metadata"].get("environment")
                if not isinstance(environment, dict):
                    raise PluginError(f"the worked example was not packed:\n{steps[step]}")
                steps["environment"] = _fence(json.dumps(environment, indent=1), "json")
            if step == "unpack":
                steps["unpacked"] = _unpacked_table(project, (project / _SESSION_OUT).resolve())
        steps["files"] = _session_files()
    return steps


def _unpacked_table(project: Path, out: Path) -> str:
    """The unpacked files, their modes, and whether their bytes equal the originals."""
    lines = ["| File | Mode | Same bytes as the original |", "|---|---|---|"]
    for path in sorted(out.iterdir()):
        same = path.read_bytes() == (project / path.name).read_bytes()
        if not same:
            raise PluginError(f"the worked example unpacked {path.name!r} with other bytes")
        mode = path.stat().st_mode & 0o777
        lines.append(f"| `{path.name}` | `{mode:o}` ({_rwx(mode)}) | yes |")
    return "\n".join(lines)


def _rwx(mode: int) -> str:
    return "".join(
        char if mode & (1 << (8 - index)) else "-" for index, char in enumerate("rwxrwxrwx")
    )


def _session_files() -> str:
    """The files of the worked example's project, as they are on disk."""
    parts = []
    for name, data in _SESSION_FILES.items():
        text = data.decode("utf-8")
        note = ""
        if "\r\n" in text:
            note = " (Windows line endings, shown here as `␍`, and no final newline)"
            text = text.replace("\r\n", "␍\n")
        language = _SESSION_LANGUAGES.get(Path(name).suffix or name, "text")
        parts.append(f"`{name}`{note}:\n\n" + _fence(text, language))
    return "\n\n".join(parts)


def _pack_session_step(session: dict[str, str], step: str | None) -> str:
    if not session:
        session.update(_pack_session())
    if step not in session:
        raise PluginError(
            f"'envspec:pack-session' needs one of the steps {sorted(session)}, not {step!r}"
        )
    return session[step]


# ------------------------------------------------------------- conformance

#: The spec pages a case may link to (``<page>.md#<anchor>``), as they are shown.
_SPEC_PAGES = {
    "index.md": "Overview",
    "1.0.md": "1.0",
    "1.1.md": "1.1",
    "0.1.md": "0.1",
    "conformance.md": "Conformance",
    "payload-1.0.md": "Payloads 1.0",
    "deploy-api-1.0.md": "Deploy API 1.0",
}
#: The spec page of each requirement id prefix (``v1.absent-not-null`` -> ``1.0.md``).
_REQUIREMENT_PAGES = {prefix: page for page, prefix in DOCS.items()}
_SNIPPET_LINE = re.compile(r'^--8<--\s+"(?P<path>[^"]+)"\s*$', re.MULTILINE)
_HEADING = re.compile(r"^#+\s+(?P<title>.+?)\s+\{#(?P<anchor>[a-z0-9-]+)\}\s*$", re.MULTILINE)


def _spec_sections(root: Path, files: Files) -> dict[str, dict[str, str]]:
    """Spec page -> heading anchor -> heading title, from the pages of the docs."""
    sections: dict[str, dict[str, str]] = {}
    for page in _SPEC_PAGES:
        file = files.get_file_from_path(f"spec/{page}")
        if file is None or file.abs_src_path is None:
            continue
        text = Path(file.abs_src_path).read_text(encoding="utf-8")
        # The spec pages of the docs include the files of spec/ (base path: the root).
        text = _SNIPPET_LINE.sub(lambda m: (root / m["path"]).read_text(encoding="utf-8"), text)
        sections[page] = {m["anchor"]: m["title"] for m in _HEADING.finditer(text)}
    return sections


def _md_text(text: str) -> str:
    """*text* as literal Markdown inside a table cell."""
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return text.replace("<", "&lt;")


def _conformance_cases(root: Path, files: Files) -> str:
    """Every case of the suite, by role and feature, with counts and spec links."""
    cases = load_cases()
    sections = _spec_sections(root, files)
    by_feature: dict[tuple[str, str], list[AnyCase]] = {}
    for case in cases:
        if case.role not in ROLES or case.features[0] not in FEATURES[case.role]:
            raise PluginError(
                f"conformance case {case.id!r}: its role and first feature "
                f"({case.role}, {case.features[0]}) are not in envspec.conformance.features"
            )
        page, _, anchor = case.spec.partition("#")
        if page not in sections:
            raise PluginError(
                f"conformance case {case.id!r} links to {case.spec!r}, but the docs have no "
                f"page spec/{page} (known: {sorted(sections)})"
            )
        if anchor not in sections[page]:
            raise PluginError(
                f"conformance case {case.id!r} links to {case.spec!r}: spec/{page} has no "
                f"heading with that anchor"
            )
        by_feature.setdefault((case.role, case.features[0]), []).append(case)

    def count(role: str, level: str | None = None) -> int:
        return sum(c.role == role and (level is None or c.level == level) for c in cases)

    lines = [
        f"Suite version **{suite_version()}**: {len(cases)} cases.",
        "",
        "| Role | Features | Core | Extended | Total |",
        "|---|---|---|---|---|",
    ]
    for role in ROLES:
        lines.append(
            f"| [`{role}`](#{role}) | {len(FEATURES[role])} | {count(role, 'core')} "
            f"| {count(role, 'extended')} | {count(role)} |"
        )
    core = sum(c.level == "core" for c in cases)
    lines.append(
        f"| **All** | {sum(len(f) for f in FEATURES.values())} | {core} "
        f"| {len(cases) - core} | {len(cases)} |"
    )
    for role in ROLES:
        lines += ["", f"## `{role}` {{#{role}}}", ""]
        lines += [
            f"{count(role)} cases ({count(role, 'core')} core, {count(role, 'extended')} "
            f"extended) in {len(FEATURES[role])} features.",
        ]
        for feature, description in FEATURES[role].items():
            found = by_feature.get((role, feature), [])
            lines += ["", f"### `{feature}` {{#{role}-{feature}}}", "", description, ""]
            if not found:
                lines.append("No case yet.")
                continue
            folder = cases_root() / role
            names = [
                f"`{role}/{path.name}`"
                for path in sorted(folder.glob("*.yaml"))
                if path.stem.split(".", 1)[0] == feature
            ]
            lines += [
                f"{' and '.join(names)}: {len(found)} case{'s' if len(found) != 1 else ''}.",
                "",
                "| Case | Level | Versions | What it checks | Spec section | Requirements |",
                "|---|---|---|---|---|---|",
            ]
            for case in found:
                page, _, anchor = case.spec.partition("#")
                title = sections[page][anchor]
                also = ", ".join(f"`{f}`" for f in case.features[1:])
                what = _md_text(case.description) + (f" (also: {also})" if also else "")
                versions = ", ".join(v.strip() for v in case.versions.split(","))
                requires = ", ".join(
                    f"[`{r}`](spec/{_REQUIREMENT_PAGES[r.split('.')[0]]}#req-{r})"
                    for r in case.requires
                )
                lines.append(
                    f"| `{case.id}` | {case.level} | `{versions}` | {what} "
                    f"| [{_SPEC_PAGES[page]}: {title}](spec/{page}#{anchor}) | {requires} |"
                )
    return "\n".join(lines)


def _pointer(pointer: str) -> str:
    """*pointer* as a code span in a table cell (``""`` for the empty pointer)."""
    return '`""`' if pointer == "" else "`" + pointer.replace("|", "\\|") + "`"


def _reference_pointers(wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    """For each case id of *wanted*, run the case against the reference adapter and
    return, per code of ``wanted[case_id]``, the pointers the reference reports."""

    answers: dict[int, dict[str, object]] = {}

    class Recorder(Adapter):
        def handle(self, message: dict[str, object]) -> dict[str, object]:
            answer = super().handle(message)
            if isinstance(message.get("seq"), int):
                answers[message["seq"]] = answer  # type: ignore[index]
            return answer

    transport = PythonTransport(Recorder)
    cases = [c for c in load_cases() if c.id in wanted]
    result = run(cases, transport)
    if result.verdict() != "conformant":
        raise PluginError("the reference adapter does not pass the cases of the codes table")
    found: dict[str, set[str]] = {}
    for seq, answer in answers.items():
        codes = wanted.get(transport.labels.get(seq, ""), set())
        outcome = answer.get("result")
        items = outcome.get("diagnostics", []) if isinstance(outcome, dict) else []
        for item in items:
            if item.get("code") in codes:
                found.setdefault(item["code"], set()).add(item["pointer"])
    return found


def _conformance_codes() -> str:
    """Every code of the registry: severity, and the pointers the cases expect."""
    expected: dict[str, set[str]] = {}
    anywhere: dict[str, set[str]] = {}  # case ids, by code
    for case in load_cases():
        # A cloud case expects problem codes of the deploy API, not diagnostics.
        for item in getattr(case.expect, "diagnostics", []):
            if is_any(item.pointer):
                anywhere.setdefault(item.code, set()).add(case.id)
            else:
                expected.setdefault(item.code, set()).add(str(item.pointer))
    wanted: dict[str, set[str]] = {}
    for code, ids in anywhere.items():
        for case_id in ids:
            wanted.setdefault(case_id, set()).add(code)
    reference = _reference_pointers(wanted)
    lines = [
        "| Code | Severity | Pointer in the cases |",
        "|---|---|---|",
    ]
    for code, info in CODES.items():
        cell: list[str] = []
        pointers = sorted(expected.get(code, ()))
        if pointers:
            shown = ", ".join(_pointer(p) for p in pointers[:4])
            more = len(pointers) - 4
            cell.append(shown + (f" and {more} more" if more > 0 else ""))
        if code in anywhere:
            given = ", ".join(_pointer(p) for p in sorted(reference.get(code, ()))) or "none"
            cell.append(f"any, in {len(anywhere[code])} case(s) (envspec reports {given})")
        if code in TOOL_CODES:
            cell.append('no case: an error of a tool\'s own input or output (`""`)')
        if not cell:
            raise PluginError(f"the code {code!r} has no conformance case")
        lines.append(f"| [`{code}`](diagnostics.md#{code}) | {info.severity} | {'; '.join(cell)} |")
    return "\n".join(lines)


def _conformance_coverage(root: Path) -> str:
    """Every requirement id of the spec, with the cases that name it, and totals."""
    found = read_requirements(root / "spec")
    if found.problems:
        problems = "\n".join(str(p) for p in found.problems)
        raise PluginError(f"the requirement markers of spec/ have problems:\n{problems}")
    cases = load_cases()
    table = coverage(found.items, cases)
    feature_of = {c.id: (c.role, c.features[0]) for c in cases}

    def case_links(ids: list[str]) -> str:
        return ", ".join(
            f"[`{i}`](conformance-cases.md#{feature_of[i][0]}-{feature_of[i][1]})" for i in ids
        )

    def tested(r: Requirement) -> str:
        if r.roles == ("none",):
            return "not tested by this suite version"
        parts = []
        if "adapter" in r.roles:
            checks = ADAPTER_CHECKS.get(r.id, ())
            parts.append(
                f"runner checks: {len(checks)}"
                if checks
                else f"not checked by the runner yet ({ADAPTER_UNCHECKED[r.id]})"
            )
        if table[r.id]["core"]:
            parts.append(case_links(table[r.id]["core"]))
        return "; ".join(parts)

    items = found.items
    must = [r for r in items if r.level == "must"]
    lines = [
        f"{len(items)} requirement ids ({len(must)} MUST-level, {len(items) - len(must)} "
        f"SHOULD-level with an id) in {len(_SPEC_PAGES)} spec pages, named by "
        f"{sum(bool(c.requires) for c in cases)} of the {len(cases)} cases.",
        "",
        "| Binds | Requirements | With a core case | Not tested by this suite version |",
        "|---|---|---|---|",
    ]
    for role in (*CASE_ROLES, "adapter"):
        bound = [r for r in must if role in r.roles]
        if role == "adapter":
            done = [r for r in bound if ADAPTER_CHECKS.get(r.id)]
        else:
            done = [r for r in bound if any(feature_of[c][0] == role for c in table[r.id]["core"])]
        lines.append(f"| `{role}` | {len(bound)} | {len(done)} | {len(bound) - len(done)} |")
    nobody = [r for r in must if r.roles == ("none",)]
    lines.append(f"| none (runners, authors, beyond a plan) | {len(nobody)} | - | {len(nobody)} |")
    for page, title in _SPEC_PAGES.items():
        here = [r for r in items if r.doc == page]
        lines += ["", f"## {title} {{#{page.removesuffix('.md').replace('.', '-')}}}", ""]
        lines += [
            f"{len(here)} requirements in [spec/{page}](spec/{page}).",
            "",
            "| Requirement | Statement | Binds | Core cases | Extended cases |",
            "|---|---|---|---|---|",
        ]
        for r in here:
            level = "" if r.level == "must" else " (SHOULD)"
            lines.append(
                f"| [`{r.id}`](spec/{page}#req-{r.id}){level} | {_md_statement(r.text)} "
                f"| {', '.join(r.roles)} | {tested(r)} | {case_links(table[r.id]['extended'])} |"
            )
    return "\n".join(lines)


def _md_statement(text: str) -> str:
    """A sentence of the spec inside a table cell: Markdown kept, pipes escaped."""
    return text.replace("|", "\\|").replace("<", "&lt;")


#: The worked ``envspec conformance`` session: a made-up validator, acme-envspec,
#: whose adapter wraps the reference adapter with two flaws (the pointers of a
#: notebook's diagnostics start at the environment instead of the notebook's
#: root, and the ``conda`` feature is not declared).
_ACME_ADAPTER = '''\
"""The adapter of acme-envspec: a validator with a bug and a missing feature."""
import json
import sys

from envspec.conformance.reference import Adapter


class Acme(Adapter):
    def _hello(self, message):
        hello = super()._hello(message)
        validator = hello["roles"]["validator"]
        validator["features"].remove("conda")  # conda files are not checked yet
        hello["implementation"] = {"name": "acme-envspec", "version": "2.3.0", "language": "python"}
        hello["roles"] = {"validator": validator}
        return hello

    def _validate(self, message):
        result = super()._validate(message)
        for diagnostic in result["diagnostics"]:  # the bug: pointers from the environment
            diagnostic["pointer"] = diagnostic["pointer"].removeprefix("/metadata/environment")
        return result


adapter = Acme()
for line in sys.stdin:
    message = json.loads(line)
    print(json.dumps(adapter.handle(message)), flush=True)
    if message["op"] == "bye":
        break
'''
_ACME_SKIPS = """\
skips:
  - id: validator.notebook.legacy-env-key
    reason: the legacy metadata.env location is not read yet
    issue_url: https://example.org/acme/issues/7
"""
_ACME_ADAPTER_NAME = "acme-adapter.py"
_ACME_SKIPS_NAME = "conformance-skips.yaml"
_ACME_SHOWN_ADAPTER = f"python3 {_ACME_ADAPTER_NAME}"
#: Each step: the arguments of ``envspec conformance`` (the adapter is added).
_CONFORMANCE_SESSION: dict[str, tuple[str, ...]] = {
    "run": tuple(
        f"run --feature notebook --feature conda --skip-file {_ACME_SKIPS_NAME} -V "
        "--out report/".split()
    ),
    "strict": tuple(
        f"run --id validator.notebook.legacy-env-key --skip-file {_ACME_SKIPS_NAME} "
        "--strict-skips".split()
    ),
    "export": ("export", "--version", "1.0", "cases-1.0/"),
}


def _conformance_session() -> dict[str, str]:
    """Run the worked example once; return each step's text (Markdown)."""
    steps: dict[str, str] = {
        "adapter": _fence(_ACME_ADAPTER, "python"),
        "skip-file": _fence(_ACME_SKIPS, "yaml"),
    }
    with tempfile.TemporaryDirectory(prefix="envspec-docs-") as tmp:
        folder = Path(tmp)
        (folder / _ACME_ADAPTER_NAME).write_text(_ACME_ADAPTER, encoding="utf-8")
        (folder / _ACME_SKIPS_NAME).write_text(_ACME_SKIPS, encoding="utf-8")
        adapter = f"{shlex.quote(sys.executable)} {_ACME_ADAPTER_NAME}"
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": _HELP_COLUMNS}

        def shown(text: str) -> str:
            return _relative(text.replace(adapter, _ACME_SHOWN_ADAPTER), tmp)

        for step, args in _CONFORMANCE_SESSION.items():
            argv = ["conformance", *args]
            if args[0] == "run":
                argv[2:2] = ["--adapter", adapter]
            done = subprocess.run(
                [sys.executable, "-c", _LAUNCHER, *argv],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            command = " ".join(
                f'"{_ACME_SHOWN_ADAPTER}"' if arg == adapter else arg for arg in argv
            )
            # Progress goes to standard error while the cases run, the rest comes after.
            output = shown(done.stderr + done.stdout)
            steps[step] = _fence(f"$ envspec {command}\n{output}$ echo $?\n{done.returncode}")
            if step == "run":
                _check_conformance_run(folder / "report", done.returncode, output)
            elif step == "strict" and (done.returncode != 1 or "remove it" not in output):
                raise PluginError(f"the strict-skips example does not fail as shown:\n{output}")
        report = folder / "report"
        steps["summary"] = _fence(shown((report / "summary.md").read_text("utf-8")), "markdown")
        steps["badge"] = _fence((report / "badge.json").read_text("utf-8"), "json")
        lines = (report / "results.ndjson").read_text("utf-8").splitlines()
        records = [json.loads(line) for line in lines]
        failed = next(r for r in records if r.get("status") == "fail")
        steps["result-line"] = _fence(json.dumps(failed, ensure_ascii=False), "json")
        exported = folder / "cases-1.0"
        manifest = json.loads((exported / "manifest.json").read_text("utf-8"))
        manifest["ids"] = [*manifest["ids"][:3], "..."]
        tree = sorted(p.relative_to(folder).as_posix() for p in exported.rglob("*.json"))
        steps["export-files"] = _fence("\n".join(tree))
        steps["manifest"] = _fence(json.dumps(manifest, indent=2), "json")
    return steps


def _check_conformance_run(report: Path, status: int, output: str) -> None:
    """The worked run must show each status the guide explains, and no error."""
    lines = (report / "results.ndjson").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    cases = [r for r in records if r["type"] == "case"]
    statuses = {r["status"] for r in cases}
    wanted = {"pass", "fail", "skipped", "unsupported"}
    core_fails = any(r["status"] == "fail" and r["level"] == "core" for r in cases)
    if status != 1 or not wanted <= statuses or "error" in statuses or not core_fails:
        raise PluginError(
            "the worked conformance run no longer shows the statuses "
            f"{sorted(wanted)} (a core failure, and no error) that the guide explains; it gave "
            f"{sorted(statuses)} and exit status {status} (see _CONFORMANCE_SESSION):\n{output}"
        )


def _conformance_session_step(session: dict[str, str], step: str | None) -> str:
    if not session:
        session.update(_conformance_session())
    if step not in session:
        raise PluginError(
            f"'envspec:conformance-session' needs one of the steps {sorted(session)}, not {step!r}"
        )
    return session[step]


# ------------------------------------------------------------------------ guix format

_GUIX_SAMPLE = """\
env_ver: "1.0"
python: "3.12"
files:
  environment.yml: |
    dependencies:
      - numpy>=1.26
      - scikit-learn
      - r-base
      - r-ggplot2
      - pip:
        - torch; sys_platform == "linux"
"""


def _guix(root: Path, step: str | None) -> str:
    """``envspec:guix names|export|import``: the name table, or a real run each way."""
    if step == "names":
        table = guix_exceptions()
        lines = ["| from | name | Guix package | checked against |", "| --- | --- | --- | --- |"]
        for section, label in (("pypi", "PyPI"), ("conda", "conda")):
            for name, entry in table[section].items():
                lines.append(
                    f"| {label} | `{name}` | `{entry['guix']}` | {_md_text(entry['source'])} |"
                )
        lines += ["", "| Guix package | PyPI project on import |", "| --- | --- |"]
        lines += [f"| `{name}` | `{entry['pypi']}` |" for name, entry in table["guix"].items()]
        return "\n".join(lines)
    with (
        tempfile.TemporaryDirectory(prefix="envspec-docs-") as folder,
        _environ(ENVSPEC_CACHE_DIR=os.path.join(folder, "cache")),
    ):
        if step == "export":
            Path(folder, "analysis.envspec.yaml").write_text(_GUIX_SAMPLE, encoding="utf-8")
            commit = "9edb3f66fd807b096b48283debdcddccfea34bad"
            source = os.path.join(folder, "analysis.envspec.yaml")
            argv = ["export", "--to", "guix", source, "--guix-commit", commit]
            run = _cli([*argv, "-o", os.path.join(folder, "guix") + "/"], folder)
            written = Path(folder, "guix", "manifest.scm").read_text(encoding="utf-8")
            return "\n\n".join(
                [
                    "Given this `analysis.envspec.yaml`:",
                    _fence(_GUIX_SAMPLE, "yaml"),
                    _fence(run, "console"),
                    "`guix/manifest.scm`:",
                    _fence(written, "scheme"),
                ]
            )
        if step == "import":
            example = root / "examples" / "formats" / "guix"
            shutil.copytree(example, Path(folder, "guix"))
            argv = ["import", "--from", "guix", os.path.join(folder, "guix") + "/"]
            return _fence(_cli([*argv, "--option", "requirements=yes"], folder), "console")
    raise PluginError(f"'envspec:guix' takes names, export or import, not {step!r}")
