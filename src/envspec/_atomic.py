"""Atomic file writes: a temporary file beside the target, then a rename."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Replace *path* with *data* so that readers see the old or the new file, never a mix.

    The permission bits of an existing file are kept (unless *mode* is
    given); a symbolic link is written through (its target is replaced, the
    link stays).  On any error the temporary file is removed and the original
    is left as it was.
    """
    target = Path(os.path.realpath(path))
    try:
        current = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        current = None
    final_mode = mode if mode is not None else (current if current is not None else 0o644)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, final_mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
