"""PEP 723 inline script metadata: the ``# /// script`` block, read and written exactly.

The block rules (packaging.python.org, "Inline script metadata"):

- a block opens with the line ``# /// TYPE`` (``TYPE``: ASCII letters, digits, hyphens)
  and closes with the line ``# ///``;
- every line between is a comment: ``#`` alone, or ``#`` and a space; the content is
  each line without its first two characters (one for a lone ``#``);
- a ``# ///`` line closes the block only when the next line is not a content line;
- a ``# /// script`` line inside a ``script`` block is an error here (the PEP lets tools
  report a starting line inside a block);
- two ``script`` blocks are an error; an unclosed block is not a block (the PEP says to
  ignore it; uv refuses it; envspec reports it, since the dependencies would be lost);
- blocks of other types are not read.

Lines end with ``\\n`` (a ``\\r`` before it is allowed).  :func:`find_script_block` finds
the block and :func:`replace_block` puts one in a text; :mod:`envspec.formats.pep723_env`
maps the block's TOML to and from an envspec environment.  Line numbers are those of the
whole file (or cell).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from envspec.diagnostics import Code

__all__ = ["Block", "BlockProblem", "find_script_block", "replace_block"]

_OPENER = re.compile(r"# /// ([a-zA-Z0-9-]+)")
_CLOSER = "# ///"


@dataclass(frozen=True, slots=True)
class Block:
    """A closed ``script`` block: its TOML and where it is (1-based lines, inclusive)."""

    toml: str
    #: The line of ``# /// script``.
    start: int
    #: The line of the closing ``# ///``.
    end: int


@dataclass(frozen=True, slots=True)
class BlockProblem:
    """Why no block could be read (an error), with the 1-based line it is about."""

    code: Code
    message: str
    line: int | None = None
    column: int | None = None


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _content(line: str) -> str | None:
    """The embedded content of *line*, or ``None`` when it is not a content line."""
    if line == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    return None


def _scan(lines: list[str]) -> Iterator[tuple[str, int, int | None, BlockProblem | None]]:
    """Each block: (type, opener index, closer index or None, problem)."""
    i = 0
    while i < len(lines):
        opener = _OPENER.fullmatch(lines[i])
        if opener is None:
            i += 1
            continue
        kind = opener.group(1)
        j = i + 1
        end: int | None = None
        problem: BlockProblem | None = None
        while j < len(lines) and _content(lines[j]) is not None:
            if lines[j] == _CLOSER:
                after = lines[j + 1] if j + 1 < len(lines) else None
                if after is None or _content(after) is None:
                    end = j
                    break
            nested = _OPENER.fullmatch(lines[j])
            # Only a nested 'script' opener is reported: the specification's own valid
            # example holds '# /// text' inside a block.
            if nested is not None and problem is None and kind == nested.group(1) == "script":
                problem = BlockProblem(
                    "pep723-nested",
                    f"line {j + 1} starts a 'script' block inside the one opened on line "
                    f"{i + 1} (is a closing '# ///' missing, or are two blocks not separated "
                    "by a line that is not a comment?)",
                    j + 1,
                    1,
                )
            j += 1
        yield kind, i, end, problem
        i = (end + 1) if end is not None else j


_CODE = re.compile(r"#[^\n]*|(?P<quote>\"\"\"|'''|\"|')")
_STRING_END = {
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""', re.DOTALL),
    "'''": re.compile(r"(?:[^'\\]|\\.|'(?!''))*'''", re.DOTALL),
    '"': re.compile(r'(?:[^"\\\n]|\\.)*["\n]'),
    "'": re.compile(r"(?:[^'\\\n]|\\.)*['\n]"),
}


def _in_string(text: str, offset: int) -> bool:
    """Whether *offset* of the Python source *text* is inside a string literal.  Comments
    and strings are skipped in one pass up to *offset* (linear: no tokenizer)."""
    i = 0
    while True:
        match = _CODE.search(text, i)
        if match is None or match.start() >= offset:
            return False
        quote = match.group("quote")
        if quote is None:  # a comment: to the end of its line
            i = match.end()
            continue
        end = _STRING_END[quote].match(text, match.end())
        stop = end.end() if end is not None else len(text)
        if stop > offset:
            return True
        i = stop


def _offset(text: str, index: int) -> int:
    """The offset in *text* of the start of line *index* (0-based)."""
    offset = 0
    for _ in range(index):
        offset = text.index("\n", offset) + 1
    return offset


def find_script_block(text: str, *, python: bool = True) -> Block | BlockProblem | None:
    """The ``script`` block of *text*; a :class:`BlockProblem` when it breaks the rules;
    ``None`` when there is none.  With *python*, an opener inside a string (not a comment)
    is reported, since PEP 723 blocks are comments."""
    lines = _lines(text)
    found: list[tuple[int, int]] = []
    for kind, start, end, problem in _scan(lines):
        if kind != "script":
            continue
        if problem is not None:
            return problem
        if end is None:
            return BlockProblem(
                "pep723-unclosed",
                f"the '# /// script' block opened on line {start + 1} has no closing "
                "'# ///' line (every line up to it must start with '#'); PEP 723 readers "
                "ignore an unclosed block, so its dependencies would be lost",
                start + 1,
                1,
            )
        found.append((start, end))
    if len(found) > 1:
        lines_at = ", ".join(str(s + 1) for s, _ in found)
        return BlockProblem(
            "pep723-two-blocks",
            f"{len(found)} '# /// script' blocks (lines {lines_at}); PEP 723 allows one",
            found[1][0] + 1,
            1,
        )
    if not found:
        return None
    start, end = found[0]
    if python and _in_string(text, _offset(text, start)):
        return BlockProblem(
            "pep723-misplaced",
            f"the '# /// script' line {start + 1} is inside a string, not a comment; "
            "PEP 723 blocks are comments",
            start + 1,
            1,
        )
    toml = "".join((_content(line) or "") + "\n" for line in lines[start + 1 : end])
    return Block(toml, start + 1, end + 1)


def replace_block(text: str, block_text: str) -> str:
    """*text* with its ``script`` block replaced by *block_text* (or *block_text* put first,
    after a shebang and an encoding line, when there is none).  Other bytes are kept."""
    lines = text.split("\n")
    bare = _lines(text)
    for kind, start, end, _ in _scan(bare):
        if kind == "script" and end is not None:
            newline = "\r\n" if lines[start].endswith("\r") else "\n"
            body = block_text.rstrip("\n").replace("\n", newline)
            return "\n".join([*lines[:start], *body.split("\n"), *lines[end + 1 :]])
    head = 0
    while head < len(bare) and head < 2 and re.match(r"#!|#.*coding[:=]", bare[head]):
        head += 1
    rest = "\n".join(lines[head:])
    prefix = "".join(line + "\n" for line in lines[:head])
    return prefix + block_text + ("\n" + rest if rest.strip() else "")
