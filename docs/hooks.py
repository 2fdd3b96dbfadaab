"""MkDocs hooks: the parts of the docs that are generated from the code at build time.

A page asks for generated content with an HTML comment on a line of its own:

``<!-- envspec:diagnostics -->``
    every diagnostic code of ``envspec._codes.CODES``, with its example run
    through the real command line;
``<!-- envspec:help [COMMAND] -->``
    the ``--help`` text of ``envspec [COMMAND]``, from the real argument parser
    (a page with such markers must have one for every command);
``<!-- envspec:cli-example -->``
    ``envspec validate`` run on a sample file, in text and JSON;
``<!-- envspec:schemas -->``
    the published JSON Schemas (``envspec.schema``);
``<!-- envspec:pre-commit-hooks -->``
    the hooks of ``.pre-commit-hooks.yaml``;
``<!-- envspec:run snippets/NAME.py -->``
    a runnable example from ``docs/snippets/`` and what it prints.

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
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from ruamel.yaml import YAML

from envspec._codes import CODES
from envspec.cli.main import build_parser, main
from envspec.diagnostics import CodeInfo
from envspec.schema import SCHEMA_IDS, load, schema_filename

_MARKER = re.compile(
    r"^<!--\s*envspec:(?P<name>[a-z-]+)(?:\s+(?P<arg>[^\s>]+))?\s*-->$", re.MULTILINE
)
_HELP_COLUMNS = "80"
_LONG_RUN = re.compile(r"(.)\1{31,}", re.DOTALL)

# How registry examples are run (see ``CodeInfo.example_options``).
_EXAMPLE_FLAGS = frozenset(
    {"require", "unreadable", "migrate", "fsize-limit", "pack", "git-dirty", "unpack"}
)
_EXAMPLE_SETTINGS = frozenset({"to", "mkdir", "exists"})
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


def on_page_markdown(markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace every ``envspec:`` marker of the page by what it stands for."""
    docs_dir = Path(config.docs_dir)
    root = Path(config.config_file_path).parent
    helped = {m["arg"] for m in _MARKER.finditer(markdown) if m["name"] == "help"}
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
        if "unpack" in self.flags:
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
    """``envspec [COMMAND] --help``, as the parser prints it on an 80-column terminal."""
    argv = [command, "--help"] if command else ["--help"]
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


def _subcommands() -> list[str]:
    """The names of the subcommands of ``envspec``, from the parser."""
    return [
        name
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


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
