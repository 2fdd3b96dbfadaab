"""conda's ``variables`` <-> envspec's ``env``.

An ``environment.yml`` may hold a ``variables:`` mapping: conda stores it in the
environment and sets each variable when the environment is activated.  conda reads
the file with a YAML 1.2 safe loader and writes each value into the activation
script with Python's ``str``, so ``1`` is ``"1"``, ``1.50`` is ``"1.5"`` and ``true`` is
``"True"``: an import carries the value conda sets.

Nothing else can be carried: a ``variables`` member that is not a mapping, a name that
is not an environment variable name (envspec's ``env`` and POSIX shells allow
``[A-Za-z_][A-Za-z0-9_]*``), and a value that is not a string, number or boolean (a
mapping, a list, a date, an empty value) are each reported and left out.  An empty
``variables:`` is no variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envspec.diagnostics import Diagnostic, diagnostic, escape_pointer

if TYPE_CHECKING:
    from envspec.diagnostics import Code

__all__ = [
    "at_launch",
    "carried_variables",
    "conda_value",
    "env_of",
    "name_problem",
    "variables_line",
    "with_variables",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def conda_value(value: object) -> str | None:
    """The text conda sets for the ``variables`` value *value* (as the YAML 1.2 safe
    loader reads it), or ``None`` when it is not one envspec carries."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)  # conda's activation writes str(value): True -> "True"
    return None


def carried_variables(variables: object) -> dict[str, str]:
    """The variables of a ``variables`` member that an import carries, in file order."""
    if not isinstance(variables, Mapping):
        return {}
    carried: dict[str, str] = {}
    for name, value in variables.items():
        text = conda_value(value)
        if isinstance(name, str) and _NAME.fullmatch(name) and text is not None:
            carried[name] = text
    return carried


def name_problem(name: object) -> str | None:
    """Why *name* cannot be a name of envspec's ``env`` (nor of a POSIX shell variable),
    or ``None``: the same rule for every format that carries variables."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return None
    return (
        f"{str(name)!r} is not an environment variable name "
        "(letters, digits and '_', not starting with a digit)"
    )


def _kind(value: object) -> str:
    if value is None:
        return "no value (conda would set the text 'None')"
    if isinstance(value, Mapping):
        return "a mapping, not a string"
    if isinstance(value, list):
        return "a list, not a string"
    return f"a {type(value).__name__}, not a string, number or boolean"  # the value unshown


def env_of(
    data: Mapping[str, Any], text: str, where: str
) -> tuple[dict[str, str], list[Diagnostic]]:
    """The ``env`` of the conda file *data* (its text *text*, at *where*) and what was
    left out of it."""
    from envspec._yaml import position_of

    variables = data.get("variables")
    found: list[Diagnostic] = []

    def dropped(message: str, path: tuple[str, ...], hint: str | None = None) -> None:
        line, column = position_of(text, path)
        pointer = "".join("/" + escape_pointer(p) for p in path)
        found.append(
            diagnostic(
                "conda-variable-dropped",
                message,
                where,
                pointer,
                line=line,
                column=column,
                hint=hint,
            )
        )

    if variables is None:
        return {}, found  # absent or empty: no variables, nothing lost
    if not isinstance(variables, Mapping):
        kind = "a list" if isinstance(variables, list) else f"a {type(variables).__name__}"
        dropped(
            f"'variables' is {kind}, not a mapping of names to values; no variable is carried",
            ("variables",),
            hint="Write 'variables:' as a mapping (NAME: value), as conda reads it.",
        )
        return {}, found
    for name, value in variables.items():
        problem = name_problem(name)
        if problem is not None or not isinstance(name, str):
            dropped(
                f"variables: {problem}; left out",
                ("variables", str(name)),
                hint="Rename the variable; envspec's env and POSIX shells need such a name.",
            )
        elif conda_value(value) is None:
            dropped(
                f"variables: {name} has {_kind(value)}; left out",
                ("variables", name),
                hint=(
                    f"Give {name} a string value, or declare it in the environment's env "
                    f"with null ({name}: null) if the launcher must supply it."
                ),
            )
    return carried_variables(variables), found


def _wanted(env: Mapping[str, str | None]) -> dict[str, str]:
    return {name: value for name, value in env.items() if value is not None}


def at_launch(
    env: Mapping[str, str | None],
    where: str,
    code: Code = "conda-variable-at-launch",
    into: str = "'variables'",
) -> list[Diagnostic]:
    """One warning *code* for each variable supplied at launch (``null``): never written
    (*into* names where the others are)."""
    return [
        diagnostic(
            code,
            f"env: {name} is supplied at launch (null); it is not written to {into}",
            where,
            f"/env/{escape_pointer(name)}",
        )
        for name, value in env.items()
        if value is None
    ]


def with_variables(
    data: dict[str, Any], env: Mapping[str, str | None], where: str
) -> tuple[bool, list[Diagnostic]]:
    """Set the ``variables`` of the conda file *data* (in place) to the variables of
    *env* that have a value; whether *data* changed, and the warnings.

    When what the file's ``variables`` set already equals *env*, the file is left as it
    is (``1`` and ``"1"`` set the same text).  A file without variables gets them.
    Otherwise *env* wins: every value is written as a string (a string the file
    already has keeps its quoting), and the names whose value changes are reported."""
    wanted = _wanted(env)
    old = data.get("variables")
    if carried_variables(old) == wanted:
        return False, []  # the same variables (what cannot be carried was reported on import)
    before: Mapping[Any, Any] = old if isinstance(old, Mapping) else {}
    new: dict[Any, Any] = {}
    for name, value in before.items():
        if name in wanted:
            # The same string keeps the file's node (its quoting and comment).
            same = isinstance(value, str) and value == wanted[name]
            new[name] = value if same else _scalar(wanted[name])
    for name, value in wanted.items():
        new.setdefault(name, _scalar(value))
    changed = sorted(
        {str(n) for n in before if n not in wanted or conda_value(before[n]) != wanted[n]}
        | {n for n in wanted if n not in before}
    )
    if new:
        data["variables"] = new
    else:
        data.pop("variables", None)
    if old is None or (isinstance(old, Mapping) and not old):
        return True, []  # the file had no variables: they are added
    if not isinstance(old, Mapping):
        why = "the file's 'variables' is not a mapping; it is replaced by the environment's env"
    else:
        why = (
            "the file's 'variables' differ from the environment's env, which wins; "
            f"changed: {', '.join(changed)}"
        )
    return True, [diagnostic("conda-variables-replaced", why, where, "/env")]


def _scalar(value: str) -> str:
    """*value*, double-quoted when YAML 1.1 or 1.2 would read it plain as something else
    than this string (``on``, ``0755``, ``1e3``, ``a: b``)."""
    from envspec.formats._packages import yaml_scalar

    if yaml_scalar(value) == value:
        return value
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    quoted: str = DoubleQuotedScalarString(value)
    return quoted


def variables_line(env: Mapping[str, str | None]) -> str:
    """The ``variables:`` block of a new plain ``environment.yml`` ("" when none)."""
    from envspec.formats._packages import yaml_scalar

    wanted = _wanted(env)
    if not wanted:
        return ""
    return "variables:\n" + "".join(f"  {n}: {yaml_scalar(v)}\n" for n, v in wanted.items())
