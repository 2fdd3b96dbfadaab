"""pixi's ``[activation.env]`` <-> envspec's ``env``.

pixi sets the variables of a feature's ``[activation.env]`` table (and of its
``[target.SELECTOR.activation.env]`` tables for the platform activated) when it activates
an environment.  It resolves them as it resolves dependencies, then combines the
features: within a feature a matching target's value replaces the feature's own (of
several matching targets the one defined later wins); across features the default
feature counts least and, of the environment's own features, the one listed first wins
(pixi's ``Environment::activation_env``: ``cuda = ["cuda1", "cuda2"]`` sets cuda1's
value).

pixi's manifest holds strings only, and its activation writes each value into a shell
script, so ``$HOME/bin`` (or ``%USERPROFILE%`` on Windows) is expanded there; envspec's
``env`` values are literal.  So a name that is not an ``env`` name, a value that is not a
string and a value with such a reference are reported and left out, both ways (and an
empty value on export: pixi's manifest schema does not allow one).
``activation.scripts`` are not carried (``pixi-table-dropped``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from envspec.diagnostics import Diagnostic, diagnostic, escape_pointer

if TYPE_CHECKING:
    from envspec.formats._pixi_manifest import Manifest

__all__ = ["activation_env", "combine", "export_env", "key_line"]

#: What a shell (or cmd.exe) expands in a value pixi's activation writes.
_EXPANDED = re.compile(r"[$`]|%[A-Za-z_][A-Za-z0-9_]*%")

_TOML_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    list: "an array",
    dict: "a table",
}


def _kind(value: object) -> str:
    for kind, text in _TOML_TYPES.items():
        if isinstance(value, kind):
            return text
    return "a date or time"  # TOML's other values


def _header(parts: list[str]) -> re.Pattern[str]:
    """The header line ``[a.b."c"]`` of the table at *parts* (keys bare or quoted)."""
    keys = r"\s*\.\s*".join(
        "(?:" + "|".join(re.escape(f) for f in (p, f'"{p}"', f"'{p}'")) + ")" for p in parts
    )
    return re.compile(rf"^\s*\[\s*{keys}\s*\]\s*(?:#.*)?$")


def _line(text: str, parts: list[str], name: str) -> int | None:
    """The line that sets the variable *name* of the ``activation`` table at *parts*."""
    return key_line(text, [*parts, "activation", "env"], name)


def key_line(text: str, tables: list[str], name: str) -> int | None:
    """The line that sets the key *name* of the TOML table at the path *tables*: in its
    ``[a.b.c]`` table, an inline ``c = {...}`` of its parent table, or a dotted key of
    the table above."""
    lines = text.splitlines()
    quoted = "|".join(re.escape(f) for f in (name, f'"{name}"', f"'{name}'"))
    key = re.compile(rf"(?:^|[{{,\s.])(?:{quoted})\s*=")
    for depth in (len(tables), len(tables) - 1, len(tables) - 2):
        start = 0
        if depth > 0:
            header = _header(tables[:depth])
            found = next((i for i, line in enumerate(lines) if header.match(line)), None)
            if found is None:
                continue
            start = found + 1
        for number in range(start, len(lines)):
            if depth > 0 and lines[number].lstrip().startswith("["):
                break
            if key.search(lines[number]):
                return number + 1
    return None


def activation_env(
    manifest: Manifest, activation: object, label: str, parts: list[str], env: dict[str, str]
) -> None:
    """Put the variables of the ``activation`` table *activation* (of a feature or of one
    of its targets, *label*; its TOML path *parts*) into *env*, a value already there
    replaced; report what is not carried."""
    where = ".".join([*parts, "activation"])
    if not isinstance(activation, Mapping):
        manifest.warn("pixi-invalid", f"the activation of {label} must be a table", where)
        return
    for key in sorted(set(activation) - {"env"}):
        what = "activation scripts" if key == "scripts" else f"activation key {key!r}"
        verb = "are" if key == "scripts" else "is"
        manifest.warn("pixi-table-dropped", f"the {what} of {label} {verb} not carried", where)
    variables = activation.get("env")
    if variables is None:
        return

    def dropped(message: str, name: str | None, hint: str | None = None) -> None:
        line = _line(manifest.text, parts, "env" if name is None else name)  # None: all
        if line is None:
            from envspec.formats.pyproject import line_of

            line = line_of(manifest.text, f"[{where}") or line_of(manifest.text, where)
        manifest.found.append(
            diagnostic("pixi-variable-dropped", message, manifest.where, line=line, hint=hint)
        )

    if not isinstance(variables, Mapping):
        dropped(
            f"the activation env of {label} is {_kind(variables)}, not a table of names to "
            "strings; no variable is carried",
            None,
            'Write the variables as a table, [activation.env] NAME = "value", as pixi reads them.',
        )
        return
    from envspec.formats._condavars import name_problem

    for name, value in variables.items():
        problem = name_problem(name)
        if problem is not None:
            hint = "Rename the variable; envspec's env and POSIX shells need such a name."
            dropped(f"activation env of {label}: {problem}; left out", name, hint)
        elif not isinstance(value, str):
            dropped(
                f"activation env of {label}: {name} is {_kind(value)}, not a string "
                "(pixi reads strings only); left out",
                name,
                f'Quote the value ({name} = "..."): pixi refuses a manifest with another value.',
            )
        elif _EXPANDED.search(value):
            dropped(
                f"activation env of {label}: the value of {name} refers to other variables, "
                "which pixi's activation expands and envspec's env does not; left out",
                name,
            )
        else:
            env[name] = value


def combine(features: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """The variables of an environment from those of its features (``default`` first,
    then the environment's features in its order), as pixi combines them: the default
    feature counts least; of the others, the one listed first wins."""
    combined: dict[str, str] = {}
    for name, env in features:
        if name == "default":
            combined.update(env)
    for name, env in reversed(features):
        if name != "default":
            combined.update(env)
    return combined


def export_env(
    env: Mapping[str, str | None], where: str
) -> tuple[dict[str, str], list[Diagnostic]]:
    """The ``[activation.env]`` table of *env*, and what it cannot hold: a variable
    supplied at launch (``null``), a value pixi's activation would expand, an empty value
    (pixi's manifest schema requires at least one character)."""
    from envspec.formats._condavars import at_launch

    found = at_launch(env, where, "pixi-variable-at-launch", "[activation.env]")
    table: dict[str, str] = {}
    for name, value in env.items():
        if value is None:
            continue
        why = (
            "is empty, which pixi's manifest schema does not allow"
            if value == ""
            else "has '$', '`' or '%NAME%', which pixi's activation would expand"
            if _EXPANDED.search(value)
            else None
        )
        if why is not None:
            found.append(
                diagnostic(
                    "pixi-variable-dropped",
                    f"env: the value of {name} {why}: it is not written to [activation.env]",
                    where,
                    f"/env/{escape_pointer(name)}",
                )
            )
            continue
        table[name] = value
    return table, found
