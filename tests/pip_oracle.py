"""pip's own verdict on every logical line of requirements files (run as a script).

Run with a pip wheel first on ``sys.path`` (``PYTHONPATH=pip-X.whl``): the pip of the
test environment may be older than the one whose behaviour envspec follows.  Reads
file paths as arguments and prints JSON: for each file, ``[line, text, verdict,
detail]`` per logical line, where *verdict* is

* ``requirement``: pip builds an install requirement from the line;
* ``editable``: an editable requirement (``-e``) pip accepts;
* ``include``: ``-r`` / ``-c`` with a value (pip would open that file);
* ``option``: an option line pip accepts (*detail*: the arguments it drops, if any);
* ``error``: pip refuses the line (*detail*: its message).

Each line is judged alone, the way pip judges it inside a file: pip's own splitting,
continuation joining, comment stripping and ``${VAR}`` expansion, its option parser and
its requirement constructor.  Nothing is fetched; the working folder is empty, so no
local path exists.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path


def verdicts(path: str) -> list[list[object]]:
    from pip._internal.exceptions import PipError
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import (
        OptionParsingError,
        ParsedLine,
        break_args_options,
        build_parser,
        handle_requirement_line,
        preprocess,
    )

    text = Path(path).read_text("utf-8")
    out: list[list[object]] = []
    for number, line in preprocess(text):
        args_str, options_str = break_args_options(line)
        try:
            parser = build_parser()
            defaults = parser.get_default_values()
            defaults.index_url = None
            try:
                tokens = shlex.split(options_str)
            except ValueError as exc:
                raise OptionParsingError(f"Could not split options: {options_str}") from exc
            opts, dropped = parser.parse_args(tokens, defaults)
        except OptionParsingError as exc:
            out.append([number, line, "error", exc.msg.strip().splitlines()[0]])
            continue
        parsed = ParsedLine(path, number, args_str, opts, False)
        if parsed.requirement is None:
            if opts.requirements or opts.constraints:
                out.append([number, line, "include", ""])
            else:
                out.append([number, line, "option", " ".join(dropped)])
            continue
        try:
            install_req_from_parsed_requirement(handle_requirement_line(parsed))
        except (PipError, ValueError) as exc:
            message = str(getattr(exc, "message", None) or exc).strip()
            out.append([number, line, "error", (message.splitlines() or [type(exc).__name__])[0]])
            continue
        out.append([number, line, "editable" if parsed.is_editable else "requirement", ""])
    return out


def main(paths: list[str]) -> None:
    import logging

    logging.disable(logging.CRITICAL)  # pip warns about lines it accepts (missing files)
    json.dump({path: verdicts(path) for path in paths}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
