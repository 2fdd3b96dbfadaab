"""A Dockerfile as a list of instructions: parser directives, comments, line continuations
and here-documents handled as BuildKit reads them.  Reading only: nothing is run."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

__all__ = ["Instruction", "arguments", "instructions", "pairs", "substitute"]

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: its keyword (upper case), its arguments (continuations joined) and the
    1-based line it starts on."""

    keyword: str
    value: str
    line: int


def instructions(text: str) -> list[Instruction]:
    """The instructions of the Dockerfile *text*, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    escape = "\\"
    index = 0
    # Parser directives: only at the very top, before any comment, blank line or instruction.
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index])
        if not match:
            break
        if match.group(1).lower() == "escape" and match.group(2) in {"\\", "`"}:
            escape = match.group(2)
        index += 1
    found: list[Instruction] = []
    while index < len(lines):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index + 1
        parts: list[str] = []
        while True:
            line = lines[index].rstrip()
            index += 1
            if line.endswith(escape):
                parts.append(line[:-1])
                # Comment and empty lines inside a continuation are dropped, as Docker does.
                while index < len(lines) and (
                    not lines[index].strip() or lines[index].lstrip().startswith("#")
                ):
                    index += 1
                if index < len(lines):
                    continue
            else:
                parts.append(line)
            break
        value = " ".join(p.strip() for p in parts)
        keyword, _, rest = value.partition(" ")
        rest = rest.strip()
        for match in _HEREDOC.finditer(rest):
            body: list[str] = []
            while index < len(lines):
                line = lines[index]
                index += 1
                if (line.lstrip("\t") if match.group(1) else line) == match.group(3):
                    break
                body.append(line)
            rest += "\n" + "\n".join(body)
        found.append(Instruction(keyword.upper(), rest, start))
    return found


def substitute(value: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """*value* with ``$NAME`` / ``${NAME}`` / ``${NAME:-default}`` replaced from *variables*;
    also the names that had no value."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in variables:
            return variables[name]
        if match.group(2) is not None and match.group(0).find(":-") != -1:
            return match.group(2)
        missing.append(name)
        return match.group(0)

    return _VARIABLE.sub(replace, value), missing


def arguments(value: str) -> list[str]:
    """The words of an instruction's arguments: the JSON array form, or shell-like words."""
    text = value.strip()
    if text.startswith("["):
        import json

        try:
            words = json.loads(text)
        except ValueError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return words
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def _words(value: str) -> list[str]:
    """Words as Docker splits ``ENV`` and ``LABEL`` arguments: quotes group, a backslash
    escapes the next character (inside double quotes too); single quotes are literal."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and quote != "'" and i + 1 < len(value):
            current.append(value[i + 1])
            started = True
            i += 2
            continue
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "\"'":
            quote = char
            started = True
        elif char.isspace():
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        words.append("".join(current))
    return words


def pairs(value: str) -> dict[str, str]:
    """``ENV`` / ``LABEL`` pairs: ``k=v k2="v 2"``, or the legacy ``k v`` (one pair)."""
    words = _words(value)
    if words and "=" not in words[0]:
        rest = value.strip().split(None, 1)
        return {words[0]: rest[1].strip() if len(rest) > 1 else ""}
    found = dict(w.split("=", 1) for w in words if "=" in w)
    return {k: v for k, v in found.items() if k}
