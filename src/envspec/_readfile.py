"""Reading a file the user named or a walk found, without ever blocking or crashing."""

from __future__ import annotations

import os
import stat

__all__ = ["UNEXPECTED_HINT", "read_regular", "reason"]

#: The hint of a file that envspec failed to handle (not a problem of the file's access).
UNEXPECTED_HINT = "envspec could not handle this file; please report it with the file as a bug."

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file (a FIFO would block and a device may never end).

    :raises OSError: the file cannot be opened or read, or is not a regular file.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        # Some special files cannot even be opened (a socket): say what they are.
        if not _is_regular(path):
            raise OSError(0, "not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "not a regular file")
        chunks = [os.read(fd, st.st_size + 1)]
        # Read on to the end: the file may have grown, or be more than one read returns.
        while chunks[-1] and (chunk := os.read(fd, 1 << 16)):
            chunks.append(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _is_regular(path: str | os.PathLike[str]) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # gone or not allowed: the error of opening it says why


def reason(exc: BaseException) -> str:
    """What went wrong, in a few words (``Permission denied``, ``Is a directory``)."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    text = str(exc).split("\n", 1)[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
