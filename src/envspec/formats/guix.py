"""``guix``: GNU Guix's ``manifest.scm`` (and ``channels.scm``).

Export writes ``manifest.scm``, a ``(specifications->manifest (list "python" ...))`` form,
from the environment's ``requirements.txt`` and ``environment.yml`` (names mapped by
:mod:`envspec.formats._guix_names`), and ``channels.scm`` pinning the ``guix`` channel
when ``--guix-commit`` is given.  Guix has one version of each package per Guix commit,
so every version specifier, and the Python pin, is a warning: the commit is the pin.  An
environment that already embeds ``manifest.scm`` is written back byte for byte.

Import reads a manifest (a file, or a folder with ``manifest.scm`` and ``channels.scm``)
as data, never running it, and embeds both files byte for byte; ``--option
requirements=yes`` also derives a ``requirements.txt`` from the Python packages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from envspec.diagnostics import Code, Diagnostic, diagnostic
from envspec.formats._base import Converted, Document, Format, Options, Source

__all__ = ["CHANNEL_INTRODUCTION", "CHANNEL_URL", "Guix", "channels_text", "manifest_text"]

#: The ``guix`` channel as ``guix describe -f channels`` writes it.
CHANNEL_URL = "https://git.guix.gnu.org/guix.git"
#: The channel introduction of the Guix manual ("Channel Authentication").
CHANNEL_INTRODUCTION = (
    "9edb3f66fd807b096b48283debdcddccfea34bad",
    "BBB0 2DDF 2CEA F6A8 0D1D  E643 A2A0 6DF2 A33A 54FA",
)
_COMMIT = re.compile(r"[0-9a-fA-F]{40}")
# A conda match spec: [channel::]name[ version[ build]] / name[=<>!~]version...
_CONDA_SPEC = re.compile(
    r"\s*(?:(?P<channel>[^\s:]+(?:/[^\s:]+)*)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)"
    r"\s*(?P<rest>.*?)\s*"
)
_HASH_OPTION = re.compile(r"\s--hash(?:=|\s+)\S+")
_OPTION_NAME = re.compile(r"(--?[A-Za-z][A-Za-z-]*)")
_RUNTIME = re.compile(r"\s*python-([0-9]+\.[0-9]+)(?:\.[0-9]+)?\s*")
#: Embedded files a manifest cannot express.
_NOT_CARRIED = {
    "apt.txt": "Debian packages: their Guix names differ and are not mapped",
    "postBuild": "a build script: Guix builds only packages",
    "start": "a start-up script: 'guix shell' runs no wrapper",
    "Dockerfile": "a container build",
    "pylock.toml": "exact versions: Guix pins versions with the Guix commit (channels.scm)",
    "Pipfile": "pipenv dependencies are not mapped",
    "Pipfile.lock": "exact versions: Guix pins versions with the Guix commit (channels.scm)",
    "Project.toml": "Julia packages are not mapped",
    "Manifest.toml": "Julia packages are not mapped",
    "install.R": "an R script: list the r-* packages in the manifest instead",
    "default.nix": "a Nix expression",
    "pixi.lock": "exact versions: Guix pins versions with the Guix commit (channels.scm)",
}
_JUPYTER = ("python-ipykernel", "python-jupyterlab")
_YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False}
_SETTINGS = {"import": ("requirements",), "export": ("jupyter",)}


class Guix(Format):
    """GNU Guix manifests."""

    name: ClassVar[str] = "guix"
    summary: ClassVar[str] = "a Guix manifest.scm (+ channels.scm pinned with --guix-commit)"
    inputs: ClassVar[tuple[str, ...]] = ("manifest.scm", "channels.scm")
    default_output: ClassVar[str] = "manifest.scm"

    def read(self, source: Source, options: Options) -> Converted:
        from envspec.formats._guix_import import read_manifest

        settings = _settings(options, "import", source.path)
        if isinstance(settings, Diagnostic):
            return Converted(diagnostics=(settings,))
        commit = options.guix_commit
        if commit is not None and not _COMMIT.fullmatch(commit):
            return Converted(diagnostics=(_bad_commit(commit, source.path),))
        converted = read_manifest(source, derive_requirements=settings.get("requirements", False))
        if commit is None or converted.environment is None:
            return converted
        # --guix-commit on import: the environment pins that commit in channels.scm.
        files = converted.environment["files"]
        extra: tuple[Diagnostic, ...] = ()
        if "channels.scm" in files:
            why = (
                f"the folder's channels.scm is replaced by one pinning the guix channel to "
                f"{commit.lower()} (--guix-commit)"
            )
            extra = (diagnostic("guix-channels-replaced", why, source.file("channels.scm")),)
        files["channels.scm"] = channels_text(commit)
        return Converted(
            environment=converted.environment, diagnostics=(*converted.diagnostics, *extra)
        )

    def write(self, document: Document, options: Options) -> Converted:
        settings = _settings(options, "export", document.path)
        if isinstance(settings, Diagnostic):
            return Converted(diagnostics=(settings,))
        commit = options.guix_commit
        if commit is not None and not _COMMIT.fullmatch(commit):
            return Converted(diagnostics=(_bad_commit(commit, document.path),))
        return _Exporter(document, commit, jupyter=settings.get("jupyter", True)).run()


def _bad_commit(commit: str, path: str) -> Diagnostic:
    why = f"--guix-commit {commit!r} is not a full commit (40 hexadecimal digits)"
    return diagnostic("guix-commit-invalid", why, path)


def _settings(options: Options, direction: str, path: str) -> dict[str, bool] | Diagnostic:
    known = _SETTINGS[direction]
    out: dict[str, bool] = {}
    for key, value in options.settings.items():
        if key not in known or value.lower() not in _YES_NO:
            why = (
                f"--option {key}={value} is not a setting of the guix {direction}; "
                f"it takes {', '.join(f'{k}=yes|no' for k in known)}"
            )
            return diagnostic("guix-option-invalid", why, path)
        out[key] = _YES_NO[value.lower()]
    return out


def scheme_string(value: str) -> str:
    """*value* as a Scheme string literal Guile reads back to the same string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def manifest_text(packages: Iterable[str], extra: Iterable[str] = (), sources: str = "") -> str:
    """The ``specifications->manifest`` form of *packages* (then *extra*, with a comment)."""
    lines = [
        f";; Written by envspec{f' from {sources}' if sources else ''}.",
        ";; Guix has one version of each package per Guix commit: channels.scm pins it.",
        "(specifications->manifest",
    ]
    items = [f"       {scheme_string(p)}" for p in packages]
    extra = list(extra)
    if extra:
        items.append(
            "       ;; JupyterLab and the kernel: guix shell -m manifest.scm -- jupyter lab"
        )
        items += [f"       {scheme_string(p)}" for p in extra]
    if not items:
        return "\n".join([*lines, " (list))", ""])
    items[0] = " (list " + items[0].lstrip()
    # A comment line cannot end the list: the closing parentheses go on the last string.
    return "\n".join([*lines, *items]) + "))\n"


def channels_text(commit: str) -> str:
    """``channels.scm`` pinning the ``guix`` channel to *commit*."""
    introduction, fingerprint = CHANNEL_INTRODUCTION
    return (
        ";; Written by envspec: the Guix commit that gives the versions of manifest.scm.\n"
        ";; guix time-machine -C channels.scm -- shell -m manifest.scm\n"
        "(list (channel\n"
        "       (name 'guix)\n"
        f"       (url {scheme_string(CHANNEL_URL)})\n"
        '       (branch "master")\n'
        f"       (commit {scheme_string(commit.lower())})\n"
        "       (introduction\n"
        "        (make-channel-introduction\n"
        f"         {scheme_string(introduction)}\n"
        f"         (openpgp-fingerprint\n          {scheme_string(fingerprint)})))))\n"
    )


class _Exporter:
    def __init__(self, document: Document, commit: str | None, *, jupyter: bool) -> None:
        self.path = document.path
        self.environment = document.environment
        files = self.environment.get("files")
        self.files: Mapping[str, Any] = files if isinstance(files, Mapping) else {}
        self.commit = commit
        self.jupyter = jupyter
        self.packages: dict[str, None] = {"python": None}
        self.diagnostics: list[Diagnostic] = []

    def warn(
        self, code: Code, message: str, name: str | None = None, line: int | None = None
    ) -> None:
        pointer = f"/files/{name}" if name else ""
        self.diagnostics.append(diagnostic(code, message, self.path, pointer, line=line))

    def run(self) -> Converted:
        out: dict[str, bytes] = {}
        if isinstance(self.files.get("manifest.scm"), str):
            out["manifest.scm"] = self.files["manifest.scm"].encode("utf-8")
            merged = [
                n
                for n in ("requirements.txt", "environment.yml", "environment.yaml")
                if n in self.files
            ]
            if merged:
                self.warn(
                    "guix-manifest-kept",
                    f"the environment embeds manifest.scm: it is written as it is, and "
                    f"{', '.join(merged)} is not merged into it",
                    "manifest.scm",
                )
        else:
            out["manifest.scm"] = self.manifest().encode("utf-8")
        if self.commit is not None:
            if isinstance(self.files.get("channels.scm"), str):
                self.warn(
                    "guix-channels-replaced",
                    f"the embedded channels.scm is replaced by one pinning the guix channel to "
                    f"{self.commit.lower()} (--guix-commit)",
                    "channels.scm",
                )
            out["channels.scm"] = channels_text(self.commit).encode("utf-8")
        elif isinstance(self.files.get("channels.scm"), str):
            out["channels.scm"] = self.files["channels.scm"].encode("utf-8")
        return Converted(files=out, diagnostics=tuple(self.diagnostics))

    def manifest(self) -> str:
        python = self.environment.get("python")
        if isinstance(python, str):
            self.warn(
                "guix-python-pin-dropped",
                f"the Python pin {python} cannot be honoured: Guix's 'python' is the version "
                "of the Guix commit",
            )
        sources: list[str] = []
        for name in sorted(self.files):
            content = self.files[name]
            if not isinstance(content, str):
                continue
            if name == "requirements.txt":
                sources.append(name)
                self.requirements(content, name)
            elif name in {"environment.yml", "environment.yaml"}:
                sources.append(name)
                self.conda(content, name)
            elif name == "runtime.txt":
                match = _RUNTIME.fullmatch(content)
                if match:
                    self.warn(
                        "guix-python-pin-dropped",
                        f"runtime.txt asks for Python {match[1]}: Guix's 'python' is the "
                        "version of the Guix commit",
                        name,
                    )
                else:
                    self.warn("guix-not-carried", "runtime.txt names no Python version", name)
            elif name in _NOT_CARRIED:
                self.warn(
                    "guix-not-carried", f"{name} is not carried over: {_NOT_CARRIED[name]}", name
                )
        extra: list[str] = []
        kernel = self.environment.get("kernel")
        language = kernel.get("language", "python") if isinstance(kernel, Mapping) else "python"
        if self.jupyter and language == "python":
            extra = [p for p in _JUPYTER if p not in self.packages]
        return manifest_text(self.packages, extra, " and ".join(sources))

    def add(self, package: str) -> None:
        self.packages.setdefault(package, None)

    def requirements(self, text: str, name: str, prefix: str = "") -> None:
        from packaging.requirements import InvalidRequirement, Requirement

        from envspec.checks.requirements import logical_lines
        from envspec.formats._guix_names import guix_name

        for number, line in logical_lines(text):
            where = f"{prefix}line {number}" if prefix else None
            at = None if prefix else number
            if line.startswith("-"):
                option = _OPTION_NAME.match(line)
                shown = option[1] if option else line.split()[0]
                self.warn(
                    "guix-requirement-skipped",
                    f"{where + ': ' if where else ''}the pip option {shown} has no Guix "
                    "equivalent and is skipped",
                    name,
                    at,
                )
                continue
            try:
                requirement = Requirement(_HASH_OPTION.sub("", line).strip())
            except InvalidRequirement:
                self.warn(
                    "guix-requirement-skipped",
                    f"{where + ': ' if where else ''}the line names no package (a path or a "
                    "URL) and is skipped",
                    name,
                    at,
                )
                continue
            package = guix_name(requirement.name)
            self.add(package)
            said = f"{where + ': ' if where else ''}{requirement.name} ({package})"
            if requirement.specifier:
                self.warn(
                    "guix-version-dropped",
                    f"{said}: the version specifier {requirement.specifier} is dropped",
                    name,
                    at,
                )
            if requirement.extras:
                extras = ",".join(sorted(requirement.extras))
                self.warn(
                    "guix-extras-dropped", f"{said}: the extras [{extras}] are dropped", name, at
                )
            if requirement.marker is not None:
                self.warn(
                    "guix-marker-dropped",
                    f"{said}: the marker '{requirement.marker}' is dropped (the package is "
                    "always installed)",
                    name,
                    at,
                )
            if requirement.url:
                self.warn(
                    "guix-url-dropped",
                    f"{said}: the direct reference (URL) is dropped; Guix builds its own package",
                    name,
                    at,
                )

    def conda(self, text: str, name: str) -> None:
        from envspec._yaml import load_yaml
        from envspec.formats._guix_names import conda_guix_name

        data, problem = load_yaml(text)
        if problem is not None or not isinstance(data, Mapping):
            self.warn("guix-not-carried", f"{name} cannot be read and is not carried over", name)
            return
        channels = data.get("channels")
        if isinstance(channels, list) and channels:
            listed = ", ".join(str(c) for c in channels)
            self.warn(
                "guix-not-carried",
                f"the conda channels ({listed}) are not carried over: Guix packages come from "
                "Guix channels",
                name,
            )
        dependencies = data.get("dependencies")
        for index, dependency in enumerate(dependencies if isinstance(dependencies, list) else []):
            if isinstance(dependency, Mapping) and isinstance(dependency.get("pip"), list):
                lines = "\n".join(str(item) for item in dependency["pip"])
                self.requirements(lines, name, prefix=f"dependencies[{index}].pip ")
                continue
            spec = _CONDA_SPEC.fullmatch(dependency) if isinstance(dependency, str) else None
            if spec is None:
                self.warn(
                    "guix-requirement-skipped",
                    f"dependencies[{index}] is not a conda package and is skipped",
                    name,
                )
                continue
            package_name, rest = spec["name"], spec["rest"]
            if spec["channel"]:
                self.warn(
                    "guix-not-carried",
                    f"dependencies[{index}]: the conda channel {spec['channel']} of "
                    f"{package_name} is not carried over: Guix packages come from Guix channels",
                    name,
                )
            if package_name.lower() == "python":
                if rest:
                    self.warn(
                        "guix-python-pin-dropped",
                        f"{name} asks for python {rest}: Guix's 'python' is the version of the "
                        "Guix commit",
                        name,
                    )
                continue
            package = conda_guix_name(package_name)
            self.add(package)
            if rest:
                self.warn(
                    "guix-version-dropped",
                    f"dependencies[{index}]: {package_name} ({package}): the version {rest} is "
                    "dropped",
                    name,
                )
