"""The diagnostic codes of ``envspec import`` and ``envspec export``, registered in
:mod:`envspec._codes` with the others.  Each example runs the command its options name:
``import`` (``from=FORMAT``) or ``format-export`` (``to=FORMAT``)."""

from __future__ import annotations

from envspec.diagnostics import CodeInfo

__all__ = ["FORMAT_ENTRIES"]

_ENV = 'env_ver: "1.0"\npython: "3.12"\nfiles:\n  requirements.txt: "numpy>=1.26\\n"\n'

FORMAT_ENTRIES: tuple[CodeInfo, ...] = (
    # ------------------------------------------------------------------ any format
    CodeInfo(
        "format-unknown",
        "error",
        "No format has that name",
        "`--from` and `--to` take a name from the format registry; a typo must not be read "
        "as some other format.",
        "Use one of the names `envspec import --help` lists.",
        "analysis.py",
        "print('hello')\n",
        ("import", "from=nosuch"),
    ),
    CodeInfo(
        "format-source-invalid",
        "error",
        "The source is not a file of the format asked for",
        "An import reads one format; a file of another kind, or a folder without the files "
        "the format names, gives no environment.",
        "Check the path and --from; `envspec import --help` lists what each format reads.",
        "notes.txt",
        "numpy\n",
        ("import", "from=envspec"),
    ),
    CodeInfo(
        "format-output-exists",
        "error",
        "The export would replace a different file",
        "An export never overwrites a file that differs from what it would write, so hand "
        "edits are not lost; a file that is already identical is left as it is.",
        "Choose another -o, delete the file, or pass --force to replace it.",
        "analysis.envspec.yaml",
        _ENV,
        ("format-export", "to=envspec", "exists=environment.envspec.yaml"),
    ),
    # --- each format appends its own section below (keep sections in registry order)
)
