"""The build log: every command, all their output, credentials masked."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from envspec.environments.cache import redact

__all__ = ["TAIL_LINES", "BuildLog"]

#: Lines of the build log shown with an error.
TAIL_LINES = 20


class BuildLog:
    """The build log: every command and every line of output, credentials redacted."""

    def __init__(self, path: Path, secrets_: Sequence[str] = ()) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = open(path, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._secrets = [s for s in secrets_ if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, redact(secret))
        return text

    def line(self, text: str) -> None:
        with contextlib.suppress(OSError):  # a full disk must not hide the real error
            self._file.write(self._clean(text) + "\n")
            self._file.flush()

    def command(self, argv: Sequence[str]) -> None:
        self.line("$ " + shlex.join(argv))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()

    def tail(self, count: int = TAIL_LINES) -> list[str]:
        with contextlib.suppress(OSError):
            self._file.flush()
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        return lines[-count:]
