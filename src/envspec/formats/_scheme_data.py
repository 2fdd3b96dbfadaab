"""Read Scheme data as Guile's reader does, without evaluating anything.

A Guix manifest is a program, but the common ones are one call on literal data:
``(specifications->manifest (list "python" "python-numpy"))``.  :func:`read_data` turns
the text into plain data (lists, strings, symbols) with positions, so that the caller can
recognise those calls; it never runs any of it.  Strings follow Guile 3.0's escapes
exactly (``\\x`` takes two hex digits, ``\\u`` four, ``\\U`` six); anything Guile would
refuse to read is a :class:`SchemeReadError` with the offset where Guile stops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Atom", "Datum", "SList", "SString", "SchemeReadError", "Symbol", "read_data"]

#: Deeper nesting is refused (no manifest needs it; Python's stack would).
MAX_DEPTH = 200

_DELIMITERS = frozenset(' \t\n\r\f\v()[]";')
_SIMPLE_ESCAPES = {
    "\\": "\\",
    '"': '"',
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "0": "\0",
    "|": "|",
    "\n": "",
}
_HEX_DIGITS = {"x": 2, "u": 4, "U": 6}
_CLOSE = {"(": ")", "[": "]"}
# Guile's character names (``#\\space``), the ASCII control names included.
_CHARACTER_NAMES = frozenset(
    {
        *("alarm", "backspace", "delete", "del", "esc", "escape", "linefeed", "newline", "nl"),
        *("nul", "null", "page", "return", "space", "sp", "tab", "vtab", "soh", "stx", "etx"),
        *("eot", "enq", "ack", "bel", "bs", "ht", "lf", "vt", "ff", "cr", "so", "si", "dle"),
        *("dc1", "dc2", "dc3", "dc4", "nak", "syn", "etb", "can", "em", "sub", "fs", "gs"),
        *("rs", "us"),
    }
)
_UNIFORM_VECTOR = re.compile(r"#(?:vu8|[us](?:8|16|32|64)|f(?:32|64)|c(?:32|64))")
_RADIX_NUMBER = re.compile(r"(?P<prefixes>(?:#[xXbBoOdDeEiI]){1,2})(?P<digits>.*)")
_HASH_PREFIX = re.compile(r"#(?:true|false|t|f|nil|\*[01]*)")
_DIGITS = {"x": "0-9a-fA-F", "b": "01", "o": "0-7", "d": "0-9"}
_PREFIXES = {"'": "quote", "`": "quasiquote", ",@": "unquote-splicing", ",": "unquote"}
_GEXP_PREFIXES = {"#~": "gexp", "#$@": "ungexp-splicing", "#$": "ungexp", "#+": "ungexp-native"}
_SYNTAX_PREFIXES = {
    "#'": "syntax",
    "#`": "quasisyntax",
    "#,@": "unsyntax-splicing",
    "#,": "unsyntax",
}


class SchemeReadError(ValueError):
    """Text Guile's reader refuses, at *offset*."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True, slots=True)
class SString:
    """A string literal."""

    value: str
    offset: int


@dataclass(frozen=True, slots=True)
class Symbol:
    """A symbol."""

    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Atom:
    """Any other datum (numbers, booleans, characters, keywords, vectors), as written."""

    text: str
    offset: int


@dataclass(frozen=True, slots=True)
class SList:
    """A list; ``'x`` reads as ``(quote x)``, as in Scheme."""

    items: tuple[Datum, ...]
    offset: int

    def head(self) -> str | None:
        """The name of the first item when it is a symbol (the procedure called)."""
        if self.items and isinstance(self.items[0], Symbol):
            return self.items[0].name
        return None


Datum = SString | Symbol | Atom | SList


def read_data(text: str) -> list[Datum]:
    """Every top-level datum of *text*, in order.

    :raises SchemeReadError: the text is not readable Scheme (the offset of the problem).
    """
    return _Reader(text).all()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def all(self) -> list[Datum]:
        out: list[Datum] = []
        while True:
            self._skip()
            if self.i >= len(self.text):
                return out
            out.append(self._datum(0))

    def _skip(self) -> None:
        """Skip white space and comments (``;``, ``#| |#``, ``#!  !#`` and ``#;`` datum)."""
        text, n = self.text, len(self.text)
        while self.i < n:
            ch = text[self.i]
            if ch.isspace():
                self.i += 1
            elif ch == ";":
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end + 1
            elif text.startswith("#|", self.i):
                self._block_comment()
            elif text.startswith("#!", self.i):
                end = text.find("!#", self.i + 2)
                if end < 0:
                    raise SchemeReadError("the '#!' comment is never closed with '!#'", self.i)
                self.i = end + 2
            elif text.startswith("#;", self.i):
                start = self.i
                self.i += 2
                self._skip()
                if self.i >= n:
                    raise SchemeReadError("'#;' comments out nothing", start)
                self._datum(0)
            else:
                return

    def _block_comment(self) -> None:
        start, depth = self.i, 0
        text, n = self.text, len(self.text)
        while self.i < n:
            if text.startswith("#|", self.i):
                depth, self.i = depth + 1, self.i + 2
            elif text.startswith("|#", self.i):
                depth, self.i = depth - 1, self.i + 2
                if depth == 0:
                    return
            else:
                self.i += 1
        raise SchemeReadError("the block comment '#|' is never closed", start)

    def _datum(self, depth: int) -> Datum:
        if depth > MAX_DEPTH:
            raise SchemeReadError(f"lists nested more than {MAX_DEPTH} deep", self.i)
        text, start = self.text, self.i
        ch = text[start]
        if ch in "([":
            return self._list(depth)
        if ch in ")]":
            raise SchemeReadError(f"{ch!r} closes nothing", start)
        if ch == '"':
            return self._string()
        for prefix, name in (
            *_PREFIXES.items(),
            *_GEXP_PREFIXES.items(),
            *_SYNTAX_PREFIXES.items(),
        ):
            if text.startswith(prefix, start):
                self.i += len(prefix)
                self._skip()
                if self.i >= len(text):
                    raise SchemeReadError(f"{prefix!r} is followed by nothing", start)
                return SList((Symbol(name, start), self._datum(depth + 1)), start)
        if ch == "#":
            return self._hash(depth)
        return self._atom()

    def _list(self, depth: int) -> SList:
        start = self.i
        opener = self.text[start]
        self.i += 1
        items: list[Datum] = []
        while True:
            self._skip()
            if self.i >= len(self.text):
                raise SchemeReadError(f"{opener!r} is never closed", start)
            ch = self.text[self.i]
            if ch in ")]":
                if ch != _CLOSE[opener]:
                    raise SchemeReadError(f"{ch!r} does not match {opener!r}", self.i)
                self.i += 1
                return SList(tuple(items), start)
            items.append(self._datum(depth + 1))

    def _string(self) -> SString:
        text, start, n = self.text, self.i, len(self.text)
        parts: list[str] = []
        i = start + 1
        while True:
            end = _next_special(text, i)
            if end < 0:
                raise SchemeReadError("the string is never closed", start)
            parts.append(text[i:end])
            if text[end] == '"':
                self.i = end + 1
                return SString("".join(parts), start)
            # A backslash escape.
            if end + 1 >= n:
                raise SchemeReadError("the string is never closed", start)
            kind = text[end + 1]
            if kind in _SIMPLE_ESCAPES:
                parts.append(_SIMPLE_ESCAPES[kind])
                i = end + 2
            elif kind in _HEX_DIGITS:
                digits = text[end + 2 : end + 2 + _HEX_DIGITS[kind]]
                bad = next(
                    (k for k, c in enumerate(digits) if c not in "0123456789abcdefABCDEF"), None
                )
                if bad is not None or len(digits) < _HEX_DIGITS[kind]:
                    at = end + 2 + (bad if bad is not None else len(digits))
                    raise SchemeReadError(
                        f"invalid escape '\\{kind}': it takes {_HEX_DIGITS[kind]} hex digits", at
                    )
                code = int(digits, 16)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise SchemeReadError(f"'\\{kind}{digits}' is not a character", end)
                parts.append(chr(code))
                i = end + 2 + len(digits)
            else:
                raise SchemeReadError(
                    f"invalid escape '\\{kind}' in a string (write '\\\\' for a backslash)",
                    end + 1,
                )

    def _hash(self, depth: int) -> Datum:
        text, start = self.text, self.i
        following = text[start + 1 : start + 2]
        if following == "\\":
            return self._character()
        if following == "(":
            self.i += 1
            vector = self._list(depth)
            return Atom(text[start : self.i], vector.offset - 1)
        if following == "{":
            end = text.find("}#", start + 2)
            if end < 0:
                raise SchemeReadError("the symbol '#{' is never closed with '}#'", start)
            self.i = end + 2
            return Symbol(text[start + 2 : end], start)
        j = start + 1
        while j < len(text) and text[j] not in _DELIMITERS:
            j += 1
        word = text[start:j]
        if following == ":" and word[2:3] and word[2] not in "'`,#":  # a keyword
            self.i = j
            return Atom(word, start)
        uniform = _UNIFORM_VECTOR.match(word)
        if uniform and text[start + uniform.end() :].startswith("("):
            self.i = start + uniform.end()
            self._list(depth)
            return Atom(text[start : self.i], start)
        if number := _RADIX_NUMBER.fullmatch(word):
            if _is_radix_number(number):
                self.i = j
                return Atom(word, start)
        elif prefix := _HASH_PREFIX.match(word):
            # As Guile: "#true", "#t", "#*101" and "#nil" end where their syntax ends.
            self.i = start + prefix.end()
            return Atom(prefix.group(), start)
        if following == "<":
            raise SchemeReadError("'#<' is how Guile prints an object; it cannot be read", start)
        raise SchemeReadError(f"unknown '#' object {word[:12]!r} (Guile cannot read it)", start)

    def _character(self) -> Atom:
        text, start = self.text, self.i
        if start + 2 >= len(text):
            raise SchemeReadError("'#\\' names no character", start)
        j = start + 3  # the first character is taken even when it is a delimiter: #\(
        while j < len(text) and text[start + 2] not in _DELIMITERS and text[j] not in _DELIMITERS:
            j += 1
        name = text[start + 2 : j]
        if len(name) > 1 and not (
            name.lower() in _CHARACTER_NAMES or re.fullmatch(r"x[0-9a-fA-F]+|[0-7]+", name)
        ):
            raise SchemeReadError(f"unknown character name {name!r}", start)
        self.i = j
        return Atom(text[start:j], start)

    def _atom(self) -> Datum:
        text, start = self.text, self.i
        j = start
        while j < len(text) and text[j] not in _DELIMITERS:
            j += 1
        self.i = j
        word = text[start:j]
        if _is_number(word):
            return Atom(word, start)
        return Symbol(word, start)


def _is_radix_number(match: re.Match[str]) -> bool:
    """Whether ``#x1F``-style text is a number Guile reads (digits of its radix)."""
    radixes = [p for p in match["prefixes"].lower().split("#") if p in _DIGITS]
    if len(radixes) > 1:
        return False
    digits = _DIGITS[radixes[0] if radixes else "d"]
    body = rf"[{digits}]+(?:/[{digits}]+)?"
    if not radixes or radixes[0] == "d":
        body = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?:/[0-9]+)?"
    return re.fullmatch(rf"[+-]?{body}", match["digits"]) is not None


def _next_special(text: str, i: int) -> int:
    """The offset of the next ``"`` or ``\\`` from *i*, or -1."""
    quote, backslash = text.find('"', i), text.find("\\", i)
    if quote < 0:
        return backslash
    if backslash < 0:
        return quote
    return min(quote, backslash)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return word[-1:].isdigit() or word.endswith(".")
