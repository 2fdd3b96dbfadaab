"""The TOML of a PEP 723 ``script`` block, mapped to and from an envspec environment.

- ``requires-python`` <-> ``python`` (``==3.12.*`` is the pin ``3.12``; a range pins its
  lowest version, with a warning);
- ``dependencies`` <-> ``requirements.txt`` (order and comments kept);
- ``[tool.uv]`` ``index-url``, ``extra-index-url``, ``[[tool.uv.index]]``, ``find-links``
  and ``prerelease = "allow"`` <-> the ``--index-url``, ``--extra-index-url``,
  ``--find-links`` and ``--pre`` lines of ``requirements.txt``;
- pixi's ``[tool.pixi.workspace]`` ``channels`` and ``[tool.pixi.dependencies]`` <->
  ``environment.yml`` (the PyPI ``dependencies`` then under its ``pip:`` list).

Whatever does not map is reported, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from envspec.diagnostics import Code
from envspec.formats.pep723 import Block

__all__ = ["Loss", "Mapped", "block_environment", "environment_block"]


@dataclass(frozen=True, slots=True)
class Loss:
    """Something a conversion reports: a code, a message and a line of the source."""

    code: Code
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Mapped:
    """An environment (``None`` when an error stopped the mapping) and what was reported."""

    environment: dict[str, Any] | None
    losses: tuple[Loss, ...]


def _toml_error_line(message: str) -> tuple[int | None, int | None]:
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match is None:
        return None, None
    return int(match.group(1)), int(match.group(2))


def _key_lines(toml: str) -> dict[str, int]:
    """1-based block lines of top-level keys and table headers (for diagnostics)."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(toml.split("\n"), 1):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            table = header.group(1).replace('"', "").replace(" ", "")
            lines.setdefault(table, number)
            continue
        key = re.match(r"\s*([A-Za-z0-9_.\"'-]+)\s*=", line)
        if key:
            name = key.group(1).replace('"', "").replace("'", "")
            lines.setdefault(f"{table}.{name}" if table else name, number)
    return lines


def _dependency_comments(
    toml: str, count: int
) -> tuple[list[tuple[list[str], str]], list[str]] | None:
    """For each of the *count* items of the top-level ``dependencies`` array: the comment
    lines before it and its trailing comment; and the comment lines after the last item.
    ``None`` when the array cannot be followed."""
    header = re.search(r"(?m)^dependencies\s*=\s*\[", toml)
    first_table = re.search(r"(?m)^\s*\[", toml)
    if header is None or (first_table is not None and first_table.start() < header.start()):
        return None
    i = header.end()
    items: list[tuple[list[str], str]] = []
    pending: list[str] = []
    last_item_line = False
    while i < len(toml):
        char = toml[i]
        if char == "]":
            return (items, pending) if len(items) == count else None
        if char == "\n":
            last_item_line = False
            i += 1
        elif char in " \t,\r":
            i += 1
        elif char == "#":
            stop = toml.find("\n", i)
            stop = len(toml) if stop < 0 else stop
            comment = toml[i:stop].rstrip()
            if last_item_line and items:
                items[-1] = (items[-1][0], comment)
            else:
                pending.append(comment)
            i = stop
        elif char in "\"'":
            end = _string_end(toml, i)
            if end is None:
                return None
            items.append((pending, ""))
            pending = []
            last_item_line = True
            i = end
        else:
            return None
    return None


def _string_end(text: str, i: int) -> int | None:
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    if triple:
        end = text.find(quote * 3, i + 3)
        return None if end < 0 else end + 3
    j = i + 1
    while j < len(text):
        if text[j] == "\\" and quote == '"':
            j += 2
            continue
        if text[j] == quote:
            return j + 1
        if text[j] == "\n":
            return None
        j += 1
    return None


def _python_pin(spec: str) -> tuple[str | None, Loss | None]:
    """The envspec pin a ``requires-python`` gives, and a warning when it is a range."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    try:
        specifiers = SpecifierSet(spec)
    except InvalidSpecifier:
        return None, Loss("pep723-invalid", f"requires-python {spec!r} is not a version specifier")
    exact = re.fullmatch(r"\s*===?\s*(\d+\.\d+\.\d+)\s*", spec)
    if exact:
        return exact.group(1), None
    minors = [
        f"3.{minor}"
        for minor in range(40)
        if any(Version(f"3.{minor}.{patch}") in specifiers for patch in range(40))
    ]
    if not minors:
        why = f"requires-python {spec!r} accepts no Python 3 version"
        return None, Loss("pep723-invalid", why)
    bounded = any(s.operator in {"<", "<=", "==", "~=", "==="} for s in specifiers)
    if len(minors) == 1 and bounded:
        return minors[0], None
    return minors[0], Loss(
        "pep723-python-range",
        f"requires-python {spec!r} accepts several Python versions; the pin is the "
        f"lowest, {minors[0]}",
    )


_UV_INDEX_KEYS = ("index-url", "extra-index-url", "find-links", "index", "prerelease")


def _uv_options(uv: Mapping[str, Any], lines: dict[str, int]) -> tuple[list[str], list[Loss]]:
    """requirements.txt option lines for ``[tool.uv]``, and what does not map."""
    options: list[str] = []
    losses: list[Loss] = []

    def strings(key: str, value: Any) -> list[str]:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            losses.append(
                Loss("pep723-invalid", f"tool.uv.{key} must be a string or a list of strings")
            )
            return []
        return values

    for url in strings("index-url", uv.get("index-url", [])):
        options.append(f"--index-url {url}")
    for index in uv.get("index", []) if isinstance(uv.get("index"), list) else []:
        if not isinstance(index, Mapping) or not isinstance(index.get("url"), str):
            losses.append(Loss("pep723-invalid", "each [[tool.uv.index]] needs a 'url' string"))
            continue
        if index.get("explicit"):
            losses.append(
                Loss(
                    "pep723-dropped",
                    f"the explicit index {index.get('name') or index['url']!r} is used only "
                    "through tool.uv.sources, which pip requirements cannot say",
                    lines.get("tool.uv.index"),
                )
            )
            continue
        flag = "--index-url" if index.get("default") else "--extra-index-url"
        options.append(f"{flag} {index['url']}")
    for url in strings("extra-index-url", uv.get("extra-index-url", [])):
        options.append(f"--extra-index-url {url}")
    for url in strings("find-links", uv.get("find-links", [])):
        options.append(f"--find-links {url}")
    if uv.get("prerelease") == "allow":
        options.append("--pre")
    elif "prerelease" in uv:
        losses.append(
            Loss(
                "pep723-dropped",
                f"tool.uv.prerelease = {uv['prerelease']!r} has no pip equivalent",
                lines.get("tool.uv.prerelease"),
            )
        )
    for key in uv:
        if key not in _UV_INDEX_KEYS:
            losses.append(
                Loss(
                    "pep723-dropped",
                    f"tool.uv.{key} is not carried over (envspec has no such setting)",
                    lines.get(f"tool.uv.{key}") or lines.get("tool.uv"),
                )
            )
    return options, losses


def _quote_yaml(text: str) -> str:
    if (
        re.fullmatch(r"[A-Za-z0-9_.:/=<>!,*+ -]+", text)
        and not text.startswith(("-", " "))
        and ": " not in text
        and not text.endswith(":")
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _pixi_spec(name: str, value: Any) -> str | None:
    """The conda MatchSpec of one ``[tool.pixi.dependencies]`` entry (``None``: unusable)."""
    if isinstance(value, str):
        version, build, channel = value.strip(), "", ""
    elif isinstance(value, Mapping) and set(value) <= {"version", "build", "channel"}:
        version = str(value.get("version", "*")).strip()
        build = str(value.get("build", "")).strip()
        channel = str(value.get("channel", "")).strip()
    else:
        return None
    spec = f"{channel}::{name}" if channel else name
    if version and version != "*":
        spec += f" {version}" if version[0].isdigit() else version.replace(" ", "")
        if build:
            spec += f" {build}"
    elif build:
        spec += f" * {build}"
    return spec


def _pixi_environment(
    pixi: Mapping[str, Any],
    pip_lines: list[str],
    lines: dict[str, int],
) -> tuple[str | None, list[Loss]]:
    """``environment.yml`` for ``[tool.pixi]`` (channels, conda deps) and the PyPI deps."""
    losses: list[Loss] = []
    workspace = pixi.get("workspace", pixi.get("project", {}))
    channels: list[str] = []
    if isinstance(workspace, Mapping):
        if not isinstance(workspace.get("channels", []), list):
            why = "tool.pixi.workspace.channels must be an array"
            losses.append(Loss("pep723-invalid", why, lines.get("tool.pixi.workspace")))
        for channel in (
            workspace.get("channels", []) if isinstance(workspace.get("channels"), list) else []
        ):
            if isinstance(channel, str):
                channels.append(channel)
            elif isinstance(channel, Mapping) and isinstance(channel.get("channel"), str):
                channels.append(channel["channel"])
                if "priority" in channel:
                    losses.append(
                        Loss(
                            "pep723-dropped",
                            f"the priority of channel {channel['channel']!r} is not carried "
                            "over (environment.yml lists channels in order)",
                            lines.get("tool.pixi.workspace"),
                        )
                    )
        for key in workspace:
            if key != "channels":
                losses.append(
                    Loss(
                        "pep723-dropped",
                        f"tool.pixi.workspace.{key} is not carried over",
                        lines.get("tool.pixi.workspace"),
                    )
                )
    conda: list[str] = []
    deps = pixi.get("dependencies", {})
    if not isinstance(deps, Mapping):
        why = "tool.pixi.dependencies must be a table of conda package names"
        losses.append(Loss("pep723-invalid", why, lines.get("tool.pixi.dependencies")))
    else:
        for name, value in deps.items():
            spec = _pixi_spec(str(name), value)
            if spec is None:
                losses.append(
                    Loss(
                        "pep723-dropped",
                        f"the conda dependency {name!r} = {value!r} has fields a MatchSpec "
                        "cannot say; it is not carried over",
                        lines.get("tool.pixi.dependencies"),
                    )
                )
                continue
            conda.append(spec)
    for key in pixi:
        if key not in {"workspace", "project", "dependencies"}:
            losses.append(
                Loss(
                    "pep723-dropped",
                    f"tool.pixi.{key} is not carried over (envspec has one environment "
                    "for every platform)",
                    lines.get(f"tool.pixi.{key}") or lines.get("tool.pixi"),
                )
            )
    if not conda and not channels:
        return None, losses
    text = ""
    if channels:
        text += "channels:\n" + "".join(f"  - {_quote_yaml(c)}\n" for c in channels)
    text += "dependencies:\n" + "".join(f"  - {_quote_yaml(s)}\n" for s in conda)
    if pip_lines:
        if not any(re.match(r"(\S+::)?pip(\s|$|[<>=!])", s) for s in conda):
            text += "  - pip\n"
        text += "  - pip:\n" + "".join(f"      - {_quote_yaml(line)}\n" for line in pip_lines)
    return text, losses


def block_environment(block: Block) -> Mapped:
    """The envspec environment of a ``script`` block.  Line numbers in the losses are of
    the file (the block's TOML line + the opener's line)."""
    import tomllib

    def at(line: int | None) -> int | None:
        return None if line is None else block.start + line

    try:
        data = tomllib.loads(block.toml)
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_error_line(str(exc))
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        if line is not None:
            where = f" (line {at(line)}, column {(column or 0) + 2})"
            file_line = at(line)
        else:  # the TOML ends before a value does: the closing line is where it shows
            where, file_line = f" (the block ends on line {block.end})", block.end
        loss = Loss("pep723-toml", f"the block is not valid TOML: {message}{where}", file_line)
        return Mapped(None, (loss,))
    lines = {key: at(line) or block.start for key, line in _key_lines(block.toml).items()}
    losses: list[Loss] = []
    environment: dict[str, Any] = {"env_ver": "1.0"}

    dependencies = data.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        loss = Loss(
            "pep723-invalid",
            "'dependencies' must be an array of strings (PEP 508 requirements)",
            lines.get("dependencies"),
        )
        return Mapped(None, (loss,))
    requires = data.get("requires-python")
    if requires is not None:
        if not isinstance(requires, str):
            why = "'requires-python' must be a string (a version specifier)"
            return Mapped(None, (Loss("pep723-invalid", why, lines.get("requires-python")),))
        pin, found = _python_pin(requires)
        if found is not None:
            loss = Loss(found.code, found.message, lines.get("requires-python"))
            if loss.code == "pep723-invalid":
                return Mapped(None, (loss,))
            losses.append(loss)
        if pin is not None:
            environment["python"] = pin
    for key in data:
        if key not in {"dependencies", "requires-python", "tool"}:
            losses.append(
                Loss(
                    "pep723-dropped",
                    f"{key!r} is not a field of a PEP 723 script block; it is not carried over",
                    lines.get(key),
                )
            )
    tool = data.get("tool", {})
    tool = tool if isinstance(tool, Mapping) else {}
    options: list[str] = []
    uv = tool.get("uv")
    if isinstance(uv, Mapping):
        options, uv_losses = _uv_options(uv, lines)
        losses += uv_losses
    for name in tool:
        if name not in {"uv", "pixi"}:
            losses.append(
                Loss(
                    "pep723-dropped",
                    f"the [tool.{name}] settings are not carried over",
                    lines.get(f"tool.{name}"),
                )
            )
    if any(loss.code == "pep723-invalid" for loss in losses):
        return Mapped(None, tuple(losses))

    comments = _dependency_comments(block.toml, len(dependencies))
    requirement_lines: list[str] = []
    for index, requirement in enumerate(dependencies):
        before, trailing = comments[0][index] if comments else ([], "")
        requirement_lines += before
        requirement_lines.append(f"{requirement}  {trailing}" if trailing else requirement)
    if comments:
        requirement_lines += comments[1]

    pixi = tool.get("pixi")
    files: dict[str, str] = {}
    if isinstance(pixi, Mapping):
        conda, pixi_losses = _pixi_environment(pixi, list(dependencies), lines)
        losses += pixi_losses
        if any(loss.code == "pep723-invalid" for loss in pixi_losses):
            return Mapped(None, tuple(losses))
        if conda is not None:
            files["environment.yml"] = conda
            if options:
                losses.append(
                    Loss(
                        "pep723-dropped",
                        "the [tool.uv] index settings are not carried over: the PyPI "
                        "dependencies go to environment.yml's pip: list",
                        lines.get("tool.uv"),
                    )
                )
    if "environment.yml" not in files and (requirement_lines or options):
        files["requirements.txt"] = "".join(f"{line}\n" for line in [*options, *requirement_lines])
    if files:
        environment["files"] = files
    return Mapped(environment, tuple(losses))


# ------------------------------------------------------------------ environment -> TOML


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _requirement_lines(
    text: str, report: Callable[[str], None]
) -> tuple[list[tuple[list[str], str, str]], dict[str, Any], list[str]]:
    """Requirement lines -> [(comments before, requirement, trailing comment)], the
    ``[tool.uv]`` settings of its options, and the comments after the last one."""
    items: list[tuple[list[str], str, str]] = []
    uv: dict[str, Any] = {}
    pending: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            pending.append(line)
            continue
        parts = re.split(r"\s+#", line, maxsplit=1)
        requirement = parts[0].strip()
        comment = "#" + parts[1] if len(parts) > 1 else ""
        option = re.match(r"(--?[A-Za-z-]+)(?:[=\s]\s*(\S+))?$", requirement)
        if option:
            flag, value = option.group(1), option.group(2)
            if flag in {"-i", "--index-url"} and value:
                uv["index-url"] = value
            elif flag == "--extra-index-url" and value:
                uv.setdefault("extra-index-url", []).append(value)
            elif flag in {"-f", "--find-links"} and value:
                uv.setdefault("find-links", []).append(value)
            elif flag == "--pre" and value is None:
                uv["prerelease"] = "allow"
            else:
                report(f"the requirements.txt line {requirement!r} has no PEP 723 equivalent")
            continue
        if " --" in requirement or requirement.startswith("-"):
            kept = requirement.split(" --", 1)[0].strip()
            report(f"the options of {requirement!r} are not carried over (kept {kept!r})")
            requirement = kept
        items.append((pending, requirement, comment))
        pending = []
    return items, uv, pending


def _conda_entries(
    text: str, report: Callable[[str], None]
) -> tuple[list[str], list[tuple[str, Any]], list[str]]:
    """environment.yml -> channels, (name, pixi spec) pairs and the ``pip:`` lines."""
    from envspec._yaml import load_yaml

    data, problem = load_yaml(text)
    if problem is not None or not isinstance(data, Mapping):
        report("environment.yml could not be read; its dependencies are not carried over")
        return [], [], []
    channels = [str(c) for c in data.get("channels") or [] if isinstance(c, str | int)]
    conda: list[tuple[str, Any]] = []
    pip: list[str] = []
    for dep in data.get("dependencies") or []:
        if isinstance(dep, Mapping) and isinstance(dep.get("pip"), list):
            pip += [str(p) for p in dep["pip"]]
            continue
        if not isinstance(dep, str):
            report(f"the conda dependency {dep!r} is not a MatchSpec; it is not carried over")
            continue
        match = re.fullmatch(
            r"\s*(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)"
            r"\s*(?P<version>[<>=!~]*[^\s=]*)?(?:[\s=]+(?P<build>\S+))?\s*",
            dep,
        )
        if match is None:
            report(f"the conda dependency {dep!r} is not a simple MatchSpec; not carried over")
            continue
        version = match.group("version") or ""
        if version.startswith("=") and not version.startswith("=="):
            version = version[1:] + ("" if version.endswith("*") else ".*")
        version = version or "*"
        build, channel = match.group("build"), match.group("channel")
        if build or channel:
            table: dict[str, str] = {"version": version}
            if build:
                table["build"] = build
            if channel:
                table["channel"] = channel
            conda.append((match.group("name"), table))
        else:
            conda.append((match.group("name"), version))
    for key in data:
        if key not in {"channels", "dependencies", "name"}:
            report(f"environment.yml's {key!r} is not carried over")
    return channels, conda, pip


_NOT_CARRIED = ("kernel", "image", "env", "git", "cloud", "hardware")


def environment_block(environment: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The ``# /// script`` block of *environment*, and the messages of what it cannot
    carry (``pep723-not-carried`` warnings)."""
    lost: list[str] = []
    files = environment.get("files") or {}
    items: list[tuple[list[str], str, str]] = []
    trailing: list[str] = []
    uv: dict[str, Any] = {}
    channels: list[str] = []
    conda: list[tuple[str, Any]] = []
    conda_name = next((n for n in ("environment.yml", "environment.yaml") if n in files), None)
    if conda_name is not None:
        channels, conda, pip = _conda_entries(str(files[conda_name]), lost.append)
        items = [([], p, "") for p in pip]
        conda = [(n, v) for n, v in conda if n != "pip" or not pip]
        if "requirements.txt" in files:
            lost.append(
                f"requirements.txt is not carried over: Binder ignores it next to {conda_name}"
            )
    elif "requirements.txt" in files:
        items, uv, trailing = _requirement_lines(str(files["requirements.txt"]), lost.append)
    for name in files:
        if name not in {"requirements.txt", conda_name}:
            lost.append(f"the file {name} is not carried over (a script block cannot hold it)")
    for key in _NOT_CARRIED:
        if key in environment:
            lost.append(f"the environment's {key!r} is not carried over")

    body: list[str] = []
    python = environment.get("python")
    if isinstance(python, str):
        spec = f"=={python}.*" if python.count(".") == 1 else f"=={python}"
        body.append(f"requires-python = {_toml_string(spec)}")
    if items or trailing:
        body.append("dependencies = [")
        for before, requirement, comment in items:
            body += [f"    {c}" for c in before]
            body.append(f"    {_toml_string(requirement)},{'  ' + comment if comment else ''}")
        body += [f"    {c}" for c in trailing]
        body.append("]")
    else:
        body.append("dependencies = []")
    if uv:
        body.append("")
        body.append("[tool.uv]")
        body += [f"{_toml_key(k)} = {json.dumps(v, ensure_ascii=False)}" for k, v in uv.items()]
    if channels:
        body.append("")
        body.append("[tool.pixi.workspace]")
        body.append(f"channels = {json.dumps(channels, ensure_ascii=False)}")
    if conda:
        body.append("")
        body.append("[tool.pixi.dependencies]")
        for name, value in conda:
            if isinstance(value, str):
                body.append(f"{_toml_key(name)} = {_toml_string(value)}")
            else:
                inline = ", ".join(f"{k} = {_toml_string(v)}" for k, v in value.items())
                body.append(f"{_toml_key(name)} = {{ {inline} }}")
    block = "# /// script\n"
    block += "".join(f"# {line}\n" if line else "#\n" for line in body)
    return block + "# ///\n", lost
