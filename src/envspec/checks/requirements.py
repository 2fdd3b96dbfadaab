"""pip requirements files, read the way pip reads them.

Plain requirement lines go through ``packaging`` (the parser pip itself
uses).  Lines with pip's own options go through pip-requirements-parser,
imported only when a file has such lines.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator, Sequence

from envspec.diagnostics import Code, Finding

__all__ = ["check_requirement_lines", "check_requirements", "logical_lines"]

# pip's "(^|\s+)#" takes quadratic time on long runs of spaces; the white space
# before the "#" is stripped with the rest of the line anyway.
_COMMENT = re.compile(r"(^|\s)#.*$")
_INCLUDE = {"-r", "--requirement", "-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}
_FIND_LINKS = {"-f", "--find-links"}
# A URL; pip also reads VCS URLs without "//" such as "bzr+lp:project".
_URL_SCHEME = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:git|hg|svn|bzr)\+[a-z-]+:)")
# file: URLs, and VCS checkouts of a local repository (git+file:, hg+file:).
_FILE_URL = re.compile(r"^(?:[A-Za-z]+\+)?file:", re.IGNORECASE)
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
# The options of a requirement line when they are only hashes pip accepts.
_HASHES = re.compile(r"(?:\s+--hash(?:=|\s+)(?:sha256|sha384|sha512):[0-9a-fA-F]+)*\s*")
# pip >= 23.1's per-requirement option, unknown to pip-requirements-parser 32.
_CONFIG_SETTINGS = re.compile(r"\s--config-settings(?:=|\s+)\S+")
# pip's common global options, well formed: checked here, without pip-requirements-parser
# (its import costs more than checking a whole commit).  Anything else goes to it.
_KNOWN_OPTION = re.compile(
    r"(?:--index-url|-i|--extra-index-url|--find-links|-f|--trusted-host|--only-binary"
    r"|--no-binary|--use-feature|-r|--requirement|-c|--constraint|-e|--editable)"
    r"(?:=|[ \t]+)[^\s=][^\s]*"
    r"|--pre|--prefer-binary|--require-hashes|--no-index"
)
# The URL schemes pip installs from (``pip._internal.vcs.is_url``): any other scheme
# (``git://`` without ``git+``, ``ssh://``, ``novcs+http://``) is not a URL to pip.
_PIP_SCHEMES = frozenset(
    ["http", "https", "file", "ftp"]
    + [f"git+{s}" for s in ("http", "https", "ssh", "git", "file")]
    + [f"hg+{s}" for s in ("file", "http", "https", "ssh", "static-http")]
    + [f"svn+{s}" for s in ("ssh", "http", "https", "svn", "file")]
    + [f"bzr+{s}" for s in ("http", "https", "ssh", "sftp", "ftp", "lp", "file")]
)
_VCS = ("git", "hg", "svn", "bzr")
# pip's egg fragment, and the project name it must be (pip >= 25 refuses anything else,
# extras and versions included).
_EGG = re.compile(r"[#&]egg=([^&]*)")
_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_ARCHIVE = re.compile(r"\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar)$", re.IGNORECASE)
# Options pip no longer has (pip-requirements-parser 32 still accepts them), with the
# pip release that removed them.
_REMOVED_OPTIONS = {"--install-option": "23.1", "--global-option": "25.3", "--build-option": "25.3"}
_REMOVED_OPTION = re.compile(r"(?:^|\s)(" + "|".join(_REMOVED_OPTIONS) + r")(?=[=\s]|$)")

# The common shape of a requirement, ``name[extras] op version, ...``: a strict subset
# of PEP 508 that needs no parser (and no import of one).  Anything else goes to
# ``packaging``; tests check that everything this accepts, packaging accepts too.
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_RELEASE = r"[0-9]+(?:\.[0-9]+)*"
_VERSION = _RELEASE + r"(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
_CLAUSE = (
    rf"(?:==|!=)[ \t]*(?:{_RELEASE}\.\*|{_VERSION})"
    rf"|~=[ \t]*[0-9]+(?:\.[0-9]+)+(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
    rf"|(?:>=|<=|>|<)[ \t]*{_VERSION}"
)
_MARKER_VAR = (
    r"(?:python_version|python_full_version|sys_platform|platform_system|os_name"
    r"|platform_machine|implementation_name|platform_python_implementation)"
)
_MARKER_VALUE = r"(?:\"[A-Za-z0-9._ -]*\"|'[A-Za-z0-9._ -]*')"
_MARKER_ATOM = rf"{_MARKER_VAR}[ \t]*(?:==|!=|<=|>=|<|>|~=)[ \t]*{_MARKER_VALUE}"
SIMPLE_REQUIREMENT = re.compile(
    rf"{_NAME}(?:[ \t]*\[[ \t]*{_NAME}(?:[ \t]*,[ \t]*{_NAME})*[ \t]*\])?"
    rf"(?:[ \t]*(?:{_CLAUSE})(?:[ \t]*,[ \t]*(?:{_CLAUSE}))*)?"
    rf"(?:[ \t]*;[ \t]*{_MARKER_ATOM}(?:[ \t]+(?:and|or)[ \t]+{_MARKER_ATOM})*)?"
)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join ``\\`` continuations and strip comments, as pip does; keep the first line number.

    Lines are split where pip splits them (``str.splitlines``: ``\\r`` alone, form feeds and
    Unicode line separators end a line too), so line numbers are pip's."""
    if "\\" in text:
        return _joined_lines(text)
    # Without a backslash no line continues: each line stands alone (the common case).
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = (_COMMENT.sub("", raw) if "#" in raw else raw).strip()
        if line:
            out.append((number, line))
    return out


def _joined_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
            if "#" not in line and not line.endswith("\\"):  # the common case, without regexes
                stripped = line.strip()
                if stripped:
                    out.append((start, stripped))
                continue
        if line.endswith("\\") and not _COMMENT.search(line):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = _COMMENT.sub("", "".join(pending)).strip()
        pending = []
        if joined:
            out.append((start, joined))
    if pending:
        joined = _COMMENT.sub("", "".join(pending)).strip()
        if joined:
            out.append((start, joined))
    return out


def check_requirements(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    """Findings for an embedded requirements.txt, each at its line."""
    yield from sorted(_findings(text, path), key=lambda f: f.line or 0)


# A line that no rule reports, in the common shape: a simple requirement (not a bare name
# that ends like an archive, which is a local path), an optional comment, nothing else
# (no option: no " -" before a comment).  Blank and comment-only lines too.
_QUIET_LINE = (
    r"[ \t]*(?:#[^\n]*)?\r?$"
    r"|(?![^\n#]*[ \t]-)[ \t]*"
    rf"(?!{_NAME}\.(?i:whl|tar\.gz|tgz|zip|tar\.bz2|tar)[ \t]*(?:[ \t]#[^\n]*)?\r?$)"
    rf"(?:{SIMPLE_REQUIREMENT.pattern})[ \t]*(?:[ \t]#[^\n]*)?\r?$"
)
# The commonest quiet line, tried first: it fails the look-ahead sooner.
_PINNED = rf"{_NAME}==[0-9]+(?:\.[0-9]+)*\r?$"
# Every other line, found in one pass of the regex engine: the text is never split into
# a list of lines.
_OTHER_LINE = re.compile(rf"^(?!{_PINNED}|{_QUIET_LINE}).+$", re.MULTILINE)
# Line boundaries of str.splitlines other than "\n" and "\r\n" (those take the general path).
_ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_ODD_WIDE_BREAKS = ("\x85", "\u2028", "\u2029")


def _odd_breaks(text: str) -> bool:
    # Substring tests run at memory speed; a regex over the whole text would not.
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return True
    if any(c in text for c in _ODD_BREAKS):
        return True
    return not text.isascii() and any(c in text for c in _ODD_WIDE_BREAKS)


def _lines_to_check(text: str) -> list[tuple[int, str]]:
    """The logical lines that a rule may report: :func:`logical_lines` without the quiet
    ones (in a text with continuations or unusual line boundaries, every line)."""
    if "\\" in text or _odd_breaks(text):
        return logical_lines(text)
    out: list[tuple[int, str]] = []
    number, last = 1, 0
    for match in _OTHER_LINE.finditer(text):
        number += text.count("\n", last, match.start())
        last = match.start()
        raw = match.group()
        line = (_COMMENT.sub("", raw) if "#" in raw else raw).strip()
        if line:
            out.append((number, line))
    return out


def _findings(text: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    return _findings_of(_lines_to_check(text), path)


def _findings_of(lines: list[tuple[int, str]], path: tuple[str | int, ...]) -> Iterator[Finding]:
    reported: set[int] = set()
    for finding in check_requirement_lines(lines, path):
        reported.add(finding.line or 0)
        yield finding
    # pip's option syntax: option lines, and requirement lines with options other
    # than well-formed hashes (the common case, checked here: the option parser
    # costs a millisecond a line).  A line is reported once.
    options: list[tuple[int, str]] = []
    for number, line in lines:
        if number in reported:
            continue
        if line.startswith("-") and _KNOWN_OPTION.fullmatch(line):
            continue  # a common option, well formed (its meaning is checked above)
        if not line.startswith("-"):
            if " -" not in line and "\t-" not in line:
                continue  # no option on this requirement line
            known = _CONFIG_SETTINGS.sub("", line)
            if _HASHES.fullmatch(known[len(_split_requirement(known)) :]):
                continue
        options.append((number, line))
    if options:
        yield from _pip_option_errors(options, path)


def check_requirement_lines(
    lines: Sequence[tuple[int, str]], path: tuple[str | int, ...]
) -> Iterator[Finding]:
    """Semantic rules (includes, editables, local paths) and PEP 508 syntax per logical line."""
    for number, line in lines:
        for code, message, hint in _line_problems(line):
            yield Finding(code, message, path, number, 1, hint)


@functools.lru_cache(maxsize=65536)
def _line_problems(line: str) -> tuple[tuple[Code, str, str | None], ...]:
    # The verdict on a line depends on its text alone, and lines repeat across
    # files: each distinct line is checked once.
    if "-option" in line:
        removed = _REMOVED_OPTION.search(line)
        if removed is not None:
            name = removed.group(1)
            return (
                (
                    "requirement-invalid",
                    f"{line!r}: pip has no option {name} (removed in pip "
                    f"{_REMOVED_OPTIONS[name]}); it refuses the whole file",
                    "Pass build options with --config-settings KEY=VALUE, or remove the option.",
                ),
            )
    if line.startswith("-"):
        return tuple((f.code, f.message, f.hint) for f in _option_line(0, line, ()))
    requirement = _split_requirement(line)
    if _is_local(requirement):
        return (("requirement-local", f"{requirement!r} is a local path", None),)
    if _URL_SCHEME.match(requirement):
        # A bare URL: pip reads it as a link; credentials are checked elsewhere.
        return _url_problems(requirement.split("; ", 1)[0])
    error = _pep508_error(requirement)
    if error is not None:
        return (("requirement-invalid", error, None),)
    error = _hash_error(line)
    if error is not None:
        hint = "Write --hash=sha256:<hex digest> (pip-compile --generate-hashes writes them)."
        return (("requirement-invalid", error, hint),)
    if "@" in requirement:
        url = requirement.split("@", 1)[1].split(";", 1)[0].strip()
        if _FILE_URL.match(url):
            return (("requirement-local", f"{requirement!r} points at a local file", None),)
        return _egg_problems(url)
    return ()


def _url_problems(url: str) -> tuple[tuple[Code, str, str | None], ...]:
    """A URL pip does not install from: an unknown scheme, or an egg fragment that is not a
    project name."""
    scheme = url.split(":", 1)[0].lower()
    if scheme not in _PIP_SCHEMES:
        if scheme in _VCS:
            hint = f"Name the VCS and the transport: {scheme}+https://... or {scheme}+ssh://..."
        elif "+" in scheme:
            hint = "pip's VCS schemes start with git+, hg+, svn+ or bzr+."
        else:
            hint = "For a git repository, write git+https://... or git+ssh://..."
        message = (
            f"{url!r}: pip does not install from {scheme}: URLs (it reads http, https, ftp, "
            "file and VCS URLs such as git+https)"
        )
        return (("requirement-invalid", message, hint),)
    return _egg_problems(url)


def _egg_problems(url: str) -> tuple[tuple[Code, str, str | None], ...]:
    if "egg=" not in url:
        return ()
    egg = _EGG.search(url)
    if egg is None or _PROJECT_NAME.fullmatch(egg.group(1)):
        return ()
    value = egg.group(1)
    name = re.split(r"[^A-Za-z0-9._-]", value, maxsplit=1)[0] or "name"
    message = (
        f"{url!r}: the egg fragment {value!r} is not a project name (pip 25 and later "
        "refuse extras or a version in it)"
    )
    hint = f"Write the requirement as '{name}[extras] @ <URL without #egg>' (PEP 508)."
    return (("requirement-invalid", message, hint),)


_HASH_OPTION = re.compile(r"\s--hash(?:=|\s+)(\S*)")
_HASH_VALUE = re.compile(r"(sha256|sha384|sha512):[0-9a-fA-F]+")


def _hash_error(line: str) -> str | None:
    """What pip says of a ``--hash`` it refuses (an algorithm it does not allow, no value)."""
    if "--hash" not in line:
        return None
    for value in _HASH_OPTION.findall(line):
        # Anything odder (quotes, escapes) is left to the option parser, which says why.
        if not _HASH_VALUE.fullmatch(value) and re.fullmatch(r"[\w-]*(?::\w*)?", value):
            name = value.partition(":")[0]
            if ":" not in value or not value.partition(":")[2]:
                return f"--hash={value!r}: a hash is an algorithm, ':' and a hex digest"
            return (
                f"--hash algorithm {name!r} is not allowed: pip accepts sha256, sha384 and sha512"
            )
    return None


def _option_line(number: int, line: str, path: tuple[str | int, ...]) -> Iterator[Finding]:
    if "'" in line or '"' in line or "\\" in line:
        try:
            tokens = shlex.split(line, posix=True)
        except ValueError as exc:
            # pip splits an option line with shlex too, and refuses a line it cannot split.
            message = f"{line!r}: pip cannot split this line ({exc})"
            yield Finding("requirement-invalid", message, path, number, 1)
            return
    else:
        tokens = line.split()  # what shlex gives without quotes or escapes, much faster
    if not tokens:
        return
    head, _, inline = tokens[0].partition("=")
    value = inline or (tokens[1] if len(tokens) > 1 else "")
    if head in _INCLUDE and not value:
        yield Finding(
            "requirement-invalid",
            f"{line!r} needs an argument: the requirements file to read",
            path,
            number,
            1,
        )
    elif head in _INCLUDE or any(head.startswith(flag) and len(head) > 2 for flag in ("-r", "-c")):
        target = value or head[2:]
        yield Finding(
            "requirement-include",
            f"{line!r} includes {target!r}, which is not embedded",
            path,
            number,
            1,
        )
    elif head in _EDITABLE or (head.startswith("-e") and len(head) > 2):
        yield Finding("requirement-editable", f"{line!r} is an editable install", path, number, 1)
    elif head in _FIND_LINKS and value and (_FILE_URL.match(value) or not _URL_SCHEME.match(value)):
        yield Finding(
            "requirement-local", f"--find-links {value!r} is a local path", path, number, 1
        )


def _split_requirement(line: str) -> str:
    # Per-requirement options (``--hash=...``) follow the requirement.
    if " -" not in line and "\t-" not in line:
        return line
    match = re.search(r"\s--?[A-Za-z]", line)
    return line[: match.start()].strip() if match else line


def _is_local(requirement: str) -> bool:
    if (
        requirement.startswith((".", "/", "~", "\\"))
        or _WINDOWS_PATH.match(requirement)
        or _FILE_URL.match(requirement)
    ):
        return True
    if _URL_SCHEME.match(requirement) or "@" in requirement:
        return False
    return "/" in requirement or "\\" in requirement or bool(_ARCHIVE.search(requirement))


@functools.lru_cache(maxsize=65536)
def _pep508_error(requirement: str) -> str | None:
    if SIMPLE_REQUIREMENT.fullmatch(requirement):
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    # pip expands ${VAR} before parsing; a placeholder keeps the syntax check meaningful.
    # "0" fits where a name or a version is expected ("numpy==${VERSION}").  pip expands
    # only names of capitals, digits and "_" (its ENV_VAR_RE): "${version}" stays as written.
    candidate = re.sub(r"\$\{[A-Z0-9_]+\}", "0", requirement)
    try:
        Requirement(candidate)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0]
        return f"{requirement!r} is not a valid requirement: {first}"
    return None


def _pip_option_errors(
    lines: list[tuple[int, str]], path: tuple[str | int, ...]
) -> Iterator[Finding]:
    """pip's own option syntax, checked by pip-requirements-parser (through a file: its
    ``from_string`` is broken in 32.0.1).  Each logical line is written at its line number."""
    import os
    import tempfile

    from pip_requirements_parser import RequirementsFile

    rows = [""] * lines[-1][0]
    for number, line in lines:
        # Runs of white space are collapsed (the parser's comment pattern takes
        # quadratic time on them).
        text = line if line.startswith("-") else _CONFIG_SETTINGS.sub("", line)
        rows[number - 1] = re.sub(r"\s+", " ", text)
    original = dict(lines)
    fd, name = tempfile.mkstemp(suffix=".txt", prefix="envspec-req-")
    try:
        # Lone surrogates (from JSON escapes) cannot be written as UTF-8: replaced.
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as handle:
            handle.write("\n".join(rows) + "\n")
        parsed = RequirementsFile.from_file(name, include_nested=False)
    finally:
        os.unlink(name)
    for invalid in parsed.invalid_lines:
        number = invalid.requirement_line.line_number
        message = invalid.error_message.replace(name, "requirements.txt").strip()
        message = message.split("\n", 1)[0].strip()
        message = message.removeprefix("pip_requirements_parser: error: ")
        if message.startswith("Invalid global options"):
            continue  # pip accepts global options on a requirement line (and ignores them)
        yield Finding(
            "requirement-invalid",
            f"{original.get(number, invalid.requirement_line.line).strip()!r}: {message}",
            path,
            number,
            1,
        )
